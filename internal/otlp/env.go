// Package otlp holds what an OTLP log exporter needs apart from delivery:
// the exporter settings resolved from the OpenTelemetry environment
// variables, and (later) the ExportLogsServiceRequest framer.
//
// Resolution follows the OpenTelemetry specification
// (protocol/exporter.md and resource/sdk.md):
//   - OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is used as is;
//     OTEL_EXPORTER_OTLP_ENDPOINT is a base URL to which "v1/logs" is
//     appended (after a "/" when the base has none at its end).
//     The default is http://localhost:4318/v1/logs.
//   - OTEL_EXPORTER_OTLP(_LOGS)_HEADERS is a comma-separated list of
//     key=value pairs, each key and value percent-decoded and trimmed.
//   - OTEL_EXPORTER_OTLP(_LOGS)_TIMEOUT is in milliseconds (default 10000).
//   - OTEL_EXPORTER_OTLP(_LOGS)_COMPRESSION is "gzip" or "none".
//
// A signal-specific variable wins over the generic one, and a value the
// caller set explicitly wins over both. A malformed variable is an error
// naming the variable, never silently ignored.
package otlp

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultEndpoint is the OTLP/HTTP logs endpoint used when nothing is set.
const DefaultEndpoint = "http://localhost:4318/v1/logs"

// DefaultTimeout is the export timeout used when nothing is set.
const DefaultTimeout = 10 * time.Second

// KeyValue is one string attribute or header.
type KeyValue struct {
	Key, Value string
}

// Config is the resolved exporter configuration. Its zero fields mean
// "not set" when passed to Resolve as explicit settings.
type Config struct {
	Endpoint    string        // full URL of the logs endpoint
	Headers     []KeyValue    // extra request headers, in order
	Timeout     time.Duration // per-export timeout
	Compression string        // "gzip" or "none"
}

// Resolve returns explicit completed from the environment read by getenv
// (os.Getenv in production), then from the defaults.
func Resolve(explicit Config, getenv func(string) string) (Config, error) {
	c := explicit
	if c.Endpoint == "" {
		if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT")); v != "" {
			c.Endpoint = v
		} else if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")); v != "" {
			if !strings.HasSuffix(v, "/") {
				v += "/"
			}
			c.Endpoint = v + "v1/logs"
		} else {
			c.Endpoint = DefaultEndpoint
		}
	}
	if _, err := url.ParseRequestURI(c.Endpoint); err != nil {
		return Config{}, fmt.Errorf("otlp: endpoint %q: %w", c.Endpoint, err)
	}
	if c.Headers == nil {
		name, v := pick(getenv, "HEADERS")
		if v != "" {
			h, err := ParseList(v)
			if err != nil {
				return Config{}, fmt.Errorf("otlp: %s: %w", name, err)
			}
			c.Headers = h
		}
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
		if name, v := pick(getenv, "TIMEOUT"); v != "" {
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil || ms < 0 {
				return Config{}, fmt.Errorf("otlp: %s=%q: want a whole number of milliseconds, such as 10000", name, v)
			}
			c.Timeout = time.Duration(ms) * time.Millisecond
		}
	} else if c.Timeout < 0 {
		return Config{}, fmt.Errorf("otlp: timeout %v is negative", c.Timeout)
	}
	if c.Compression == "" {
		c.Compression = "none"
		if name, v := pick(getenv, "COMPRESSION"); v != "" {
			if v != "gzip" && v != "none" {
				return Config{}, fmt.Errorf("otlp: %s=%q: want gzip or none", name, v)
			}
			c.Compression = v
		}
	} else if c.Compression != "gzip" && c.Compression != "none" {
		return Config{}, fmt.Errorf("otlp: compression %q: want gzip or none", c.Compression)
	}
	return c, nil
}

// pick returns the signal-specific variable when set, else the generic one.
func pick(getenv func(string) string, suffix string) (name, value string) {
	name = "OTEL_EXPORTER_OTLP_LOGS_" + suffix
	if v := strings.TrimSpace(getenv(name)); v != "" {
		return name, v
	}
	name = "OTEL_EXPORTER_OTLP_" + suffix
	return name, strings.TrimSpace(getenv(name))
}

// ParseList parses a W3C-Baggage-like list "k1=v1,k2=v2" as used by
// OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS: keys and values
// are trimmed of spaces and percent-decoded ("+" stays "+"); empty members
// are skipped. Any malformed member makes the whole list an error, as the
// specification asks (the whole value is discarded).
func ParseList(s string) ([]KeyValue, error) {
	var out []KeyValue
	for member := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(member) == "" {
			continue
		}
		k, v, ok := strings.Cut(member, "=")
		if !ok {
			return nil, fmt.Errorf("member %q has no '='", member)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "" {
			return nil, fmt.Errorf("member %q has an empty key", member)
		}
		dk, err := url.PathUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("member %q: key: %w", member, err)
		}
		dv, err := url.PathUnescape(v)
		if err != nil {
			return nil, fmt.Errorf("member %q: value: %w", member, err)
		}
		out = append(out, KeyValue{dk, dv})
	}
	return out, nil
}

// Resource returns the resource attributes from OTEL_RESOURCE_ATTRIBUTES,
// with OTEL_SERVICE_NAME, when set, replacing any service.name there.
func Resource(getenv func(string) string) ([]KeyValue, error) {
	attrs, err := ParseList(getenv("OTEL_RESOURCE_ATTRIBUTES"))
	if err != nil {
		return nil, fmt.Errorf("otlp: OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	if name := strings.TrimSpace(getenv("OTEL_SERVICE_NAME")); name != "" {
		for i := 0; i < len(attrs); i++ {
			if attrs[i].Key == "service.name" {
				attrs = append(attrs[:i], attrs[i+1:]...)
				i--
			}
		}
		attrs = append(attrs, KeyValue{"service.name", name})
	}
	return attrs, nil
}
