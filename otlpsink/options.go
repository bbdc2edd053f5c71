package otlpsink

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/core"
	"github.com/jinpy-utils/multi/internal/otlp"
)

// Compression is whether request bodies are gzipped.
type Compression int

const (
	// FromEnv, the zero value, reads OTEL_EXPORTER_OTLP_LOGS_COMPRESSION
	// or OTEL_EXPORTER_OTLP_COMPRESSION ("gzip" or "none"), and is gzip
	// when neither is set: a collector takes gzip, and log records
	// compress tenfold.
	FromEnv Compression = iota
	// Gzip compresses every body (Content-Encoding: gzip).
	Gzip
	// None sends bodies as they are.
	None
)

// Encoding is the body's wire format.
type Encoding int

const (
	// Protobuf, the default, is binary protobuf (application/x-protobuf),
	// what every OTLP/HTTP receiver takes and the smaller on the wire.
	Protobuf Encoding = iota
	// JSON is the OTLP/JSON mapping (application/json), for receivers and
	// proxies that only read JSON.
	JSON
)

// String returns "protobuf" or "json".
func (e Encoding) String() string {
	switch e {
	case Protobuf:
		return "protobuf"
	case JSON:
		return "json"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// UnmarshalText reads "protobuf" (or "proto", "") or "json".
func (e *Encoding) UnmarshalText(b []byte) error {
	switch strings.ToLower(strings.TrimSpace(string(b))) {
	case "", "protobuf", "proto", "http/protobuf":
		*e = Protobuf
	case "json", "http/json":
		*e = JSON
	default:
		return fmt.Errorf("otlpsink: encoding %q is not protobuf or json", b)
	}
	return nil
}

// Options configure a [Handler]. A nil *Options means the defaults; a zero
// field means that field's default, read from the OpenTelemetry
// environment variables where the specification defines one (see the
// package doc). Queue, Retry, Spool and TLS are the options every network
// sink shares, documented once in package [delivery].
type Options struct {
	// Level is the minimum level handled; nil means slog.LevelInfo.
	Level slog.Leveler
	// AddSource adds the caller as the attributes code.file.path,
	// code.line.number and code.function.name (OpenTelemetry's semantic
	// conventions).
	AddSource bool
	// ReplaceAttr rewrites or drops attributes, as in slog.HandlerOptions.
	// The message is passed to it too, under the key "msg" (so that a
	// format.Redactor sees it), and becomes the body; the time and the
	// level are LogRecord fields of their own and are not.
	ReplaceAttr func(groups []string, a slog.Attr) slog.Attr
	// Name is the instrumentation scope of every record (the logger's
	// name). Empty: no scope.
	Name string

	// Endpoint is the full URL of the logs endpoint, such as
	// http://collector:4318/v1/logs. Default: from the environment, else
	// http://localhost:4318/v1/logs.
	Endpoint string
	// Headers are added to every request, after those of
	// OTEL_EXPORTER_OTLP_(LOGS_)HEADERS. The values of Authorization,
	// Cookie, Api-Key and every *-Token and *-Key header are secrets: they
	// never appear in errors or stats.
	Headers http.Header
	// Encoding is Protobuf (the default) or JSON.
	Encoding Encoding
	// Compression is FromEnv (default: gzip unless the environment says
	// none), Gzip or None.
	Compression Compression
	// Resource are resource attributes besides those of OTEL_SERVICE_NAME
	// and OTEL_RESOURCE_ATTRIBUTES, which they override by key.
	Resource map[string]string
	// Timeout bounds one request (default: OTEL_EXPORTER_OTLP_(LOGS_)TIMEOUT,
	// else 10s).
	Timeout time.Duration

	// Queue is the in-memory queue and its batches (see delivery.Queue).
	Queue delivery.Queue
	// Retry is how a failed export is retried (see delivery.Retry).
	Retry delivery.Retry
	// Spool keeps on disk the batches that cannot be delivered now (see
	// delivery.Spool).
	Spool delivery.Spool
	// TLS configures https:// endpoints (see delivery.TLS).
	TLS delivery.TLS

	// ErrorHandler is told about runtime errors under the module's one
	// contract (see "Errors" in package multi). Nil means standard error,
	// at most a line every few seconds; a function that does nothing
	// silences them.
	ErrorHandler func(error)
}

// config is Options resolved.
type config struct {
	Options
	url      *url.URL
	endpoint string // without credentials or query, for errors
	gzip     bool
	resource []otlp.KeyValue
	headers  http.Header
	buffer   buffer.Options
	secrets  []string
}

func resolve(o *Options, getenv func(string) string) (*config, error) {
	c := &config{}
	if o != nil {
		c.Options = *o
	}
	e := core.Errors{Prefix: "otlpsink: "}
	if c.Encoding != Protobuf && c.Encoding != JSON {
		e.Add("Options.Encoding is %d: not Protobuf or JSON", int(c.Encoding))
	}
	explicit := otlp.Config{Endpoint: c.Endpoint, Timeout: c.Timeout}
	switch c.Compression {
	case FromEnv:
	case Gzip:
		explicit.Compression = "gzip"
	case None:
		explicit.Compression = "none"
	default:
		e.Add("Options.Compression is %d: not one of FromEnv, Gzip, None", int(c.Compression))
	}
	if c.Timeout < 0 {
		e.Add("Options.Timeout is %v: must not be negative (0 means the environment's, or 10s)", c.Timeout)
		explicit.Timeout = 0
	}
	oc, err := otlp.Resolve(explicit, getenv)
	if err != nil {
		e.Add("%v", err)
	}
	c.Timeout = oc.Timeout
	c.gzip = oc.Compression == "gzip"
	if c.Compression == FromEnv && getenv("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION") == "" && getenv("OTEL_EXPORTER_OTLP_COMPRESSION") == "" {
		// The specification's default is none; ours is gzip, which every
		// collector takes and which makes log batches a tenth the size.
		c.gzip = true
	}
	u, err := url.Parse(oc.Endpoint)
	switch {
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		e.Add("endpoint %q is not a URL: %v", core.SafeRaw(oc.Endpoint), err)
	case u.Scheme != "http" && u.Scheme != "https":
		e.Add("endpoint %s: scheme %q is not http or https (OTLP/gRPC is not spoken here: use the collector's OTLP/HTTP port, 4318)", core.SafeURL(u), u.Scheme)
	case u.Host == "":
		e.Add("endpoint %s: no host", core.SafeURL(u))
	default:
		c.url = u
		c.endpoint = core.SafeURL(u)
	}
	c.headers = http.Header{}
	for _, kv := range oc.Headers {
		c.headers.Add(kv.Key, kv.Value)
	}
	for k, vs := range c.Headers {
		c.headers[http.CanonicalHeaderKey(k)] = vs
	}
	e.CheckAuth(c.headers, "")
	e.CheckRetry(&c.Retry)
	e.CheckSpool(&c.Spool)
	c.buffer = e.CheckQueue(&c.Queue, c.Spool.Dir != "")
	if c.url != nil && c.url.Scheme != "https" && c.TLS != (delivery.TLS{}) {
		e.Add("Options.TLS is set but the endpoint %s is not https", c.endpoint)
	}

	res, err := otlp.Resource(getenv)
	if err != nil {
		e.Add("%v", err)
	}
	for k, v := range c.Resource {
		res = setKV(res, k, v)
	}
	if !hasKey(res, "service.name") {
		// The specification's default: unknown_service:<executable>.
		exe := "unknown"
		if len(os.Args) > 0 {
			exe = os.Args[0][strings.LastIndex(os.Args[0], "/")+1:]
		}
		res = setKV(res, "service.name", "unknown_service:"+exe)
	}
	c.resource = res
	if c.url != nil {
		c.secrets = core.Secrets(c.url, c.headers, "")
	}
	if err := e.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

func setKV(kvs []otlp.KeyValue, k, v string) []otlp.KeyValue {
	for i := range kvs {
		if kvs[i].Key == k {
			kvs[i].Value = v
			return kvs
		}
	}
	return append(kvs, otlp.KeyValue{Key: k, Value: v})
}

func hasKey(kvs []otlp.KeyValue, k string) bool {
	for _, kv := range kvs {
		if kv.Key == k {
			return true
		}
	}
	return false
}

// String returns "from-env", "gzip" or "none".
func (c Compression) String() string {
	switch c {
	case FromEnv:
		return "from-env"
	case Gzip:
		return "gzip"
	case None:
		return "none"
	}
	return fmt.Sprintf("Compression(%d)", int(c))
}

// UnmarshalText reads "gzip", "none" or "from-env" (or "").
func (c *Compression) UnmarshalText(b []byte) error {
	switch strings.ToLower(strings.TrimSpace(string(b))) {
	case "", "from-env", "env":
		*c = FromEnv
	case "gzip":
		*c = Gzip
	case "none":
		*c = None
	default:
		return fmt.Errorf("otlpsink: compression %q is not gzip, none or from-env", b)
	}
	return nil
}
