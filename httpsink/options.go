package httpsink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/core"
)

// Encoding is the shape of a request body.
type Encoding int

const (
	// NDJSON, the default, is one JSON record a line (Vector's and Fluent
	// Bit's HTTP sources, VictoriaLogs /insert/jsonline with
	// ?_msg_field=msg&_time_field=time), Content-Type application/x-ndjson:
	// what collectors take as it is.
	NDJSON Encoding = iota
	// Envelope is the body of the jinpy-utils Python logger's REST backend:
	// {"logs":[record,...],"timestamp":"<RFC 3339>","source":"<Source>","count":N}
	// with Content-Type application/json, for a receiver written for it.
	Envelope
	// ElasticsearchBulk is the bulk API: a {"create":{}} action line
	// before each record, the index being the URL's (/my-index/_bulk) (Elasticsearch,
	// OpenSearch, VictoriaLogs /insert/elasticsearch/_bulk), Content-Type
	// application/x-ndjson. Per-item failures in a 200 response are
	// handled too (see the package doc).
	ElasticsearchBulk
	// Loki is the Loki push API in JSON: records grouped into streams by
	// the values of the Labels attributes, each record the line of its
	// entry, timestamped with the record's time (Grafana Loki, VictoriaLogs
	// /insert/loki/api/v1/push), Content-Type application/json.
	Loki
)

var encodingNames = [...]string{"ndjson", "envelope", "elasticsearch-bulk", "loki"}

// String returns "ndjson", "envelope", "elasticsearch-bulk" or "loki".
func (e Encoding) String() string {
	if e >= 0 && int(e) < len(encodingNames) {
		return encodingNames[e]
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// ParseEncoding reads an encoding name in any case: envelope, ndjson
// (or jsonline), elasticsearch-bulk (or elasticsearch, bulk), loki.
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-") {
	case "envelope", "json":
		return Envelope, nil
	case "ndjson", "jsonline", "jsonlines":
		return NDJSON, nil
	case "elasticsearch-bulk", "elasticsearch", "bulk", "es":
		return ElasticsearchBulk, nil
	case "loki":
		return Loki, nil
	}
	return 0, fmt.Errorf("httpsink: encoding %q is not one of envelope, ndjson, elasticsearch-bulk, loki", s)
}

// MarshalText returns the encoding's name.
func (e Encoding) MarshalText() ([]byte, error) {
	if e < 0 || int(e) >= len(encodingNames) {
		return nil, fmt.Errorf("httpsink: marshal encoding: unknown encoding %d", int(e))
	}
	return []byte(encodingNames[e]), nil
}

// UnmarshalText reads an encoding name as [ParseEncoding] does.
func (e *Encoding) UnmarshalText(b []byte) error {
	v, err := ParseEncoding(string(b))
	if err != nil {
		return err
	}
	*e = v
	return nil
}

// DefaultTimeout bounds one request (see Options.Timeout).
const DefaultTimeout = delivery.DefaultTimeout

// Options configure a [Handler]. A nil *Options means the defaults; a zero
// field means that field's default. Queue, Retry, Spool and TLS are the
// options every network sink shares, documented once in package
// [delivery].
type Options struct {
	// Level is the minimum level handled; nil means slog.LevelInfo. A
	// *slog.LevelVar changes it at run time.
	Level slog.Leveler
	// AddSource adds the caller's file and line ("source") to each record.
	AddSource bool
	// ReplaceAttr rewrites or drops attributes, as in slog.HandlerOptions.
	ReplaceAttr func(groups []string, a slog.Attr) slog.Attr
	// Name is the logger name, written as a "logger" key when set.
	Name string

	// Source names this program: the Envelope's "source" and the Loki
	// streams' "source" label. Default: Name, or else the base name of the
	// executable.
	Source string
	// Method is the HTTP method (default POST).
	Method string
	// Headers are added to every request. An Authorization header here is
	// a secret like BearerToken, as are Cookie, Api-Key and every *-Token
	// and *-Key header: they never appear in errors or stats.
	Headers http.Header
	// Encoding is the body's shape (default NDJSON). For Elasticsearch
	// bulk, the index (or data stream) is the URL's: /my-index/_bulk.
	Encoding Encoding
	// Labels are the attribute keys whose values become Loki stream
	// labels, besides "source" ("level", "service", or "http.method" for
	// an attribute in a group). Label names are sanitised to Loki's
	// [a-zA-Z_][a-zA-Z0-9_]*. Loki encoding only.
	Labels []string
	// Compress gzips request bodies (Content-Encoding: gzip).
	Compress bool
	// Timeout bounds one request, from dial to the end of the response
	// (default 10s).
	Timeout time.Duration

	// Queue is the in-memory queue and its batches (see delivery.Queue).
	Queue delivery.Queue
	// Retry is how a failed request is retried (see delivery.Retry).
	Retry delivery.Retry
	// Spool keeps on disk the batches that cannot be delivered now (see
	// delivery.Spool). Without one, undeliverable batches are dropped and
	// counted.
	Spool delivery.Spool

	// BearerToken, when set, is sent as "Authorization: Bearer <token>".
	BearerToken string
	// TokenFunc, when set, is called before every request for a bearer
	// token (for tokens that expire; cache inside it). Its error fails the
	// attempt, which is retried. At most one of BearerToken and TokenFunc.
	TokenFunc func(ctx context.Context) (string, error)
	// TLS configures the handler's own client for https:// (see
	// delivery.TLS).
	TLS delivery.TLS
	// Client sends the requests instead of the handler's own. TLS
	// configures the handler's own client only, so the two cannot be
	// combined.
	Client *http.Client

	// EncryptionKey, when set, must be 32 bytes: every request body is
	// sealed with AES-256-GCM (see [Open]).
	EncryptionKey []byte

	// ErrorHandler is told about runtime errors: batches dropped (with
	// the HTTP status and the first bytes of the response), the collector
	// going down, the spool failing, records dropped by the queue (at most
	// once a second, with the count), the first record refused after
	// Shutdown. It is called under the module's one contract (see "Errors"
	// in package multi): no lock held, never twice at once, never given a
	// secret, and it may log to this handler. Nil means standard error, at
	// most a line every few seconds; a function that does nothing silences
	// them.
	ErrorHandler func(error)
}

// config is Options resolved: defaults filled in, everything checked.
type config struct {
	Options
	url      *url.URL
	endpoint string // scheme://host/path, for errors: no user info, no query
	labels   []lokiLabel
	secrets  []string
	buffer   buffer.Options
}

// resolve validates o and fills in the defaults. Every invalid field is
// reported, by name.
func resolve(rawURL string, o *Options) (*config, error) {
	c := &config{}
	if o != nil {
		c.Options = *o
	}
	e := core.Errors{Prefix: "httpsink: "}
	bad := e.Add

	u, err := url.Parse(rawURL)
	switch {
	case rawURL == "":
		bad("URL is empty: give the collector's, such as http://localhost:9428/insert/jsonline?_msg_field=msg&_time_field=time")
	case !strings.Contains(rawURL, "://"):
		// localhost:9428/x parses as scheme "localhost"; 127.0.0.1:9428/x
		// not at all. Either way the scheme is missing.
		bad("URL %q has no scheme: did you mean http://%s?", core.SafeRaw(rawURL), core.SafeRaw(rawURL))
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		bad("URL is not valid: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		bad("URL %s: scheme %q is not http or https", core.SafeURL(u), u.Scheme)
	case u.Host == "":
		bad("URL %s: no host", core.SafeURL(u))
	default:
		c.url = u
		c.endpoint = core.SafeURL(u)
	}

	if c.Method == "" {
		c.Method = http.MethodPost
	} else if strings.ContainsAny(c.Method, " \t\r\n") {
		bad("Options.Method %q is not an HTTP method", c.Method)
	}
	if c.Encoding < NDJSON || c.Encoding > Loki {
		bad("Options.Encoding is %d: not one of ndjson, envelope, elasticsearch-bulk, loki", int(c.Encoding))
	}
	if len(c.Labels) > 0 && c.Encoding != Loki {
		bad("Options.Labels is set but Encoding is %s: labels are for Loki", c.Encoding)
	}
	for _, k := range c.Labels {
		if k == "" {
			bad("Options.Labels has an empty key")
		}
	}
	if c.Source == "" {
		c.Source = c.Name
	}
	if c.Source == "" {
		c.Source = filepath.Base(os.Args[0])
	}

	e.CheckTimeout("Timeout", &c.Timeout, DefaultTimeout)
	e.CheckRetry(&c.Retry)
	e.CheckSpool(&c.Spool)
	c.buffer = e.CheckQueue(&c.Queue, c.Spool.Dir != "")

	if c.BearerToken != "" && c.TokenFunc != nil {
		bad("Options.BearerToken and Options.TokenFunc are both set: choose one")
	}
	e.CheckAuth(c.Headers, c.BearerToken)
	if c.Headers.Get("Authorization") != "" && c.TokenFunc != nil {
		bad("Options.Headers has an Authorization header and Options.TokenFunc is set too: choose one")
	}
	if c.Client != nil && c.TLS != (delivery.TLS{}) {
		bad("Options.Client is set together with Options.TLS: configure TLS on the Client's transport instead")
	}

	if n := len(c.EncryptionKey); n != 0 && n != 32 {
		bad("Options.EncryptionKey is %d bytes: AES-256-GCM needs 32", n)
	}

	if c.Encoding == Loki {
		c.labels = lokiLabels(c.Labels)
	}
	if c.url != nil {
		c.secrets = core.Secrets(c.url, c.Headers, c.BearerToken)
	}
	if err := e.Err(); err != nil {
		return nil, err
	}
	return c, nil
}
