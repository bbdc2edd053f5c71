package httpsink

import (
	"context"
	"encoding/base64"
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
	// ElasticsearchBulk is the bulk API: a {"create":{}} action line (with
	// "_index" when Index is set) before each record (Elasticsearch,
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

// Defaults of [Options] and [Backoff].
const (
	DefaultTimeout         = 10 * time.Second
	DefaultMaxRetries      = 5
	DefaultInitialInterval = 500 * time.Millisecond
	DefaultMultiplier      = 2.0
	DefaultMaxInterval     = 30 * time.Second
	DefaultMaxElapsedTime  = 2 * time.Minute
	DefaultJitter          = 0.5
	DefaultSpoolMaxBytes   = 256 << 20
)

// Backoff shapes the waits between attempts to send a batch: exponential,
// with jitter, as github.com/cenkalti/backoff/v4 computes them. A zero
// field means its default.
type Backoff struct {
	// InitialInterval is the wait before the first retry (default 500ms).
	InitialInterval time.Duration
	// Multiplier grows the wait after each retry (default 2): the
	// jinpy-utils Python logger's retry_backoff_factor. At least 1.
	Multiplier float64
	// MaxInterval caps one wait (default 30s, or InitialInterval if that
	// is longer), a server's Retry-After included.
	MaxInterval time.Duration
	// MaxElapsedTime is how long a batch is retried before it counts as
	// undeliverable (default 2m). Negative: no time limit (MaxRetries and
	// Shutdown still end the retries).
	MaxElapsedTime time.Duration
	// Jitter is the randomization factor: each wait is drawn from
	// [w·(1-Jitter), w·(1+Jitter)] (default 0.5). Negative: no jitter.
	Jitter float64
}

// Options configure a [Handler]. A nil *Options means the defaults; a zero
// field means that field's default.
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
	// TimeFormat is a time.Time layout for the record's time; empty means
	// RFC 3339 with nanoseconds, as slog.JSONHandler writes it.
	TimeFormat string

	// Source names this program: the Envelope's "source" and the Loki
	// streams' "source" label. Default: Name, or else the base name of the
	// executable.
	Source string
	// Method is the HTTP method (default POST).
	Method string
	// Headers are added to every request. An Authorization header here is
	// a secret like BearerToken: it never appears in errors or stats.
	Headers http.Header
	// Encoding is the body's shape (default NDJSON).
	Encoding Encoding
	// Labels are the attribute keys whose values become Loki stream
	// labels, besides "source" ("level", "service", or "http.method" for
	// an attribute in a group). Label names are sanitised to Loki's
	// [a-zA-Z_][a-zA-Z0-9_]*. Loki encoding only.
	Labels []string
	// Index is the Elasticsearch index (or data stream) of the action
	// lines. Empty: the one in the URL (/my-index/_bulk). ElasticsearchBulk
	// encoding only.
	Index string
	// Compress gzips request bodies (Content-Encoding: gzip).
	Compress bool

	// BatchSize is the most records per request (default 512).
	BatchSize int
	// BatchBytes is the most record bytes per request, before compression
	// (default 1 MiB).
	BatchBytes int
	// FlushInterval is the longest a record waits for its batch to fill
	// (default 1s).
	FlushInterval time.Duration
	// QueueSize is the most records held in memory (default 10000).
	QueueSize int
	// QueueBytes is the most bytes of records held in memory (default 64
	// MiB); the queue is full when a record would take it past QueueSize
	// records or QueueBytes bytes. A record larger than QueueBytes is
	// accepted only into an empty queue, and then held alone. A QueueBytes
	// below BatchBytes lowers BatchBytes to it.
	QueueBytes int
	// OnFull is what happens when the queue is full. The default, Auto,
	// is Divert with a Spool (the oldest queued batch is appended to the
	// spool on the caller's goroutine) and DropNewest without one (the new
	// record is dropped and counted), so Handle never waits on the
	// network. DropOldest drops and counts the oldest instead; Block makes
	// Handle wait for the sender, at most a second
	// (buffer.DefaultBlockTimeout), then drop and count.
	OnFull buffer.Policy

	// Timeout bounds one request, from dial to the end of the response
	// (default 10s).
	Timeout time.Duration
	// MaxRetries is how many times a failed request is retried before the
	// batch counts as undeliverable (default 5). Negative: no retries.
	MaxRetries int
	// Backoff shapes the waits between retries.
	Backoff Backoff

	// BearerToken, when set, is sent as "Authorization: Bearer <token>".
	BearerToken string
	// TokenFunc, when set, is called before every request for a bearer
	// token (for tokens that expire; cache inside it). Its error fails the
	// attempt, which is retried. At most one of BearerToken and TokenFunc.
	TokenFunc func(ctx context.Context) (string, error)

	// CAFile is a PEM file of certificate authorities trusted besides the
	// system roots.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// mutual TLS; set both or neither.
	CertFile, KeyFile string
	// InsecureSkipVerify turns off server certificate verification. It is
	// off unless set here.
	InsecureSkipVerify bool
	// Client sends the requests instead of the handler's own. The TLS
	// options above configure the handler's own client only, so they
	// cannot be combined with Client.
	Client *http.Client

	// Spool is a directory for batches that cannot be delivered now: they
	// are appended to files there and sent, oldest first, when the
	// collector answers again, by this process or the next one that opens
	// the directory. Empty: undeliverable batches are dropped and counted.
	Spool string
	// SpoolMaxBytes bounds the spool on disk (default 256 MiB; negative:
	// no bound). Batches that do not fit are dropped and counted.
	SpoolMaxBytes int64

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
}

// resolve validates o and fills in the defaults. Every invalid field is
// reported, by name.
func resolve(rawURL string, o *Options) (*config, error) {
	c := &config{}
	if o != nil {
		c.Options = *o
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("httpsink: "+format, args...))
	}

	u, err := url.Parse(rawURL)
	switch {
	case rawURL == "":
		bad("URL is empty: give the collector's, such as http://localhost:9428/insert/jsonline?_msg_field=msg&_time_field=time")
	case !strings.Contains(rawURL, "://"):
		// localhost:9428/x parses as scheme "localhost"; 127.0.0.1:9428/x
		// not at all. Either way the scheme is missing.
		bad("URL %q has no scheme: did you mean http://%s?", redactRaw(rawURL), redactRaw(rawURL))
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		bad("URL is not valid: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		bad("URL %s: scheme %q is not http or https", redactURL(u), u.Scheme)
	case u.Host == "":
		bad("URL %s: no host", redactURL(u))
	default:
		c.url = u
		c.endpoint = redactURL(u)
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
	if c.Index != "" && c.Encoding != ElasticsearchBulk {
		bad("Options.Index is set but Encoding is %s: an index is for elasticsearch-bulk", c.Encoding)
	}
	if strings.ContainsAny(c.Index, "\"\\\n\r") {
		bad("Options.Index %q has a quote, backslash or newline", c.Index)
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

	nonNeg := func(field string, v time.Duration) {
		if v < 0 {
			bad("Options.%s is %v: must not be negative", field, v)
		}
	}
	nonNeg("Timeout", c.Timeout)
	nonNeg("FlushInterval", c.FlushInterval)
	nonNeg("Backoff.InitialInterval", c.Backoff.InitialInterval)
	nonNeg("Backoff.MaxInterval", c.Backoff.MaxInterval)
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	b := &c.Backoff
	if b.InitialInterval == 0 {
		b.InitialInterval = DefaultInitialInterval
	}
	switch {
	case b.Multiplier == 0:
		b.Multiplier = DefaultMultiplier
	case b.Multiplier < 1:
		bad("Options.Backoff.Multiplier is %v: must be at least 1", b.Multiplier)
	}
	if b.MaxInterval == 0 {
		b.MaxInterval = max(DefaultMaxInterval, b.InitialInterval)
	}
	if b.MaxInterval < b.InitialInterval {
		bad("Options.Backoff.MaxInterval %v is less than InitialInterval %v", b.MaxInterval, b.InitialInterval)
	}
	switch {
	case b.MaxElapsedTime == 0:
		b.MaxElapsedTime = DefaultMaxElapsedTime
	case b.MaxElapsedTime < 0:
		b.MaxElapsedTime = 0 // backoff/v4: no limit
	}
	switch {
	case b.Jitter == 0:
		b.Jitter = DefaultJitter
	case b.Jitter < 0:
		b.Jitter = 0
	case b.Jitter >= 1:
		bad("Options.Backoff.Jitter is %v: must be less than 1", b.Jitter)
	}

	if c.BearerToken != "" && c.TokenFunc != nil {
		bad("Options.BearerToken and Options.TokenFunc are both set: choose one")
	}
	if c.Headers.Get("Authorization") != "" && (c.BearerToken != "" || c.TokenFunc != nil) {
		bad("Options.Headers has an Authorization header and a bearer token is set too: choose one")
	}
	if strings.ContainsAny(c.BearerToken, "\r\n") {
		bad("Options.BearerToken has a newline")
	}
	if c.Client != nil && (c.CAFile != "" || c.CertFile != "" || c.KeyFile != "" || c.InsecureSkipVerify) {
		bad("Options.Client is set together with CAFile, CertFile, KeyFile or InsecureSkipVerify: configure TLS on the Client's transport instead")
	}

	if c.Spool == "" && c.OnFull == buffer.Divert {
		bad("Options.OnFull is divert but Options.Spool is empty: divert writes to the spool")
	}
	c.OnFull = c.OnFull.Resolve(c.Spool != "")
	switch {
	case c.SpoolMaxBytes == 0:
		c.SpoolMaxBytes = DefaultSpoolMaxBytes
	case c.SpoolMaxBytes < 0:
		c.SpoolMaxBytes = 0 // spool: no bound
	}
	if n := len(c.EncryptionKey); n != 0 && n != 32 {
		bad("Options.EncryptionKey is %d bytes: AES-256-GCM needs 32", n)
	}

	if c.Encoding == Loki {
		c.labels = lokiLabels(c.Labels)
	}
	if c.BearerToken != "" {
		c.secrets = append(c.secrets, c.BearerToken)
	}
	for k, vs := range c.Headers {
		if isSecretHeader(k) {
			for _, v := range vs {
				c.secrets = append(c.secrets, v)
				// "Bearer xyz": the token alone is a secret too.
				if _, tok, ok := strings.Cut(v, " "); ok && len(tok) >= 4 {
					c.secrets = append(c.secrets, tok)
				}
			}
		}
	}
	if u != nil && u.User != nil {
		// The client sends the user information as "Authorization: Basic
		// base64(user:password)"; a user name alone (https://TOKEN@host) is
		// a credential too.
		name := u.User.Username()
		p, _ := u.User.Password()
		c.secrets = append(c.secrets, base64.StdEncoding.EncodeToString([]byte(name+":"+p)))
		if len(name) >= 4 {
			c.secrets = append(c.secrets, name, url.UserPassword(name, "").String())
		}
		if p != "" {
			c.secrets = append(c.secrets, p, url.UserPassword(name, p).String())
		}
	}
	if u != nil {
		// Some collectors take their key in the query (?api_key=...).
		for k, vs := range u.Query() {
			if isSecretParam(k) {
				c.secrets = append(c.secrets, vs...)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// isSecretHeader reports whether a header's value is a credential.
func isSecretHeader(k string) bool {
	// The same rule as wssink's: credentials by name, and any *-Token or
	// *-Key header (X-Access-Token, X-Api-Key, ...).
	k = http.CanonicalHeaderKey(k)
	switch k {
	case "Authorization", "Proxy-Authorization", "Api-Key", "Cookie":
		return true
	}
	return strings.HasSuffix(k, "-Token") || strings.HasSuffix(k, "-Key")
}

// isSecretParam reports whether a query parameter's name says it carries
// a credential.
func isSecretParam(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"key", "token", "secret", "pass", "auth", "sig", "credential"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// redactURL returns scheme://host/path: no user info, no query, no
// fragment, which may all carry credentials.
func redactURL(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return r.String()
}

// redactRaw is a URL as written without its query and user information,
// for an error about a URL that did not parse as one.
func redactRaw(raw string) string {
	raw, _, _ = strings.Cut(raw, "?")
	if at := strings.LastIndex(raw, "@"); at >= 0 {
		raw = raw[at+1:]
	}
	return raw
}
