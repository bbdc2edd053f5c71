package wssink

import (
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

// Mode says how records are put into messages.
type Mode int

const (
	// Batch sends one log_batch message per batch of records (the default).
	Batch Mode = iota
	// Record sends one message per record.
	Record
)

// String returns "batch" or "record".
func (m Mode) String() string {
	switch m {
	case Batch:
		return "batch"
	case Record:
		return "record"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode reads "batch" or "record", in any case.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "batch":
		return Batch, nil
	case "record":
		return Record, nil
	}
	return 0, fmt.Errorf("wssink: mode %q is not batch or record", s)
}

// Defaults of [Options].
const (
	DefaultFlushInterval        = 200 * time.Millisecond
	DefaultReconnectInterval    = time.Second
	DefaultMaxReconnectInterval = 30 * time.Second
	DefaultDialTimeout          = 10 * time.Second
	DefaultPingInterval         = 20 * time.Second
	DefaultPingTimeout          = 10 * time.Second
	DefaultWriteTimeout         = 10 * time.Second
	DefaultMaxUnacked           = 64
	DefaultAckTimeout           = 30 * time.Second
	DefaultSpoolMaxBytes        = 256 << 20

	defaultMaxMessageSize = 1 << 20
	// DefaultMaxMessageSize is the default message size limit, 1 MiB.
	DefaultMaxMessageSize = defaultMaxMessageSize
	// MinMaxMessageSize is the smallest MaxMessageSize accepted.
	MinMaxMessageSize = 1024
)

// Options configure a [Handler]. A nil *Options means the defaults; a zero
// field means that field's default.
type Options struct {
	// Level is the minimum level handled; nil means slog.LevelInfo.
	Level slog.Leveler
	// AddSource adds the caller's file and line ("source") to each record.
	AddSource bool
	// ReplaceAttr rewrites or drops attributes, as in slog.HandlerOptions.
	ReplaceAttr func(groups []string, a slog.Attr) slog.Attr
	// Name is the logger name, written as a "logger" key when set.
	Name string

	// Source names this program in every log_batch message ("source").
	// Default: the base name of the executable.
	Source string
	// Headers are added to the WebSocket handshake request.
	Headers http.Header
	// BearerToken, when set, is sent as "Authorization: Bearer <token>" in
	// the handshake. It never appears in errors or stats.
	BearerToken string
	// CAFile is a PEM file of certificate authorities trusted for wss://
	// besides the system roots.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and key, for
	// servers that ask for one; set both or neither.
	CertFile, KeyFile string
	// InsecureSkipVerify turns off server certificate verification. Only
	// for tests; it is never on unless set here.
	InsecureSkipVerify bool
	// Subprotocols are offered in the handshake, in order of preference.
	Subprotocols []string
	// Compress negotiates permessage-deflate (RFC 7692, with context
	// takeover); a server that declines it gets uncompressed messages.
	Compress bool

	// BatchSize is the most records per batch (default 512, the buffer's).
	BatchSize int
	// BatchBytes is the most record bytes per batch (default 1 MiB).
	BatchBytes int
	// FlushInterval is the longest a record waits for its batch to fill
	// (default 200ms).
	FlushInterval time.Duration
	// QueueSize is the most records held in memory waiting for the
	// connection (default 10000).
	QueueSize int
	// QueueBytes is the most bytes of records held in memory waiting for
	// the connection (default 64 MiB); the queue is full when a record
	// would take it past QueueSize records or QueueBytes bytes. A record
	// larger than QueueBytes is accepted only into an empty queue, and then
	// held alone. A QueueBytes below BatchBytes lowers BatchBytes to it.
	QueueBytes int
	// OnFull is what happens when the queue is full. The default, Auto,
	// is Divert with a Spool (the oldest queued batch goes to the spool)
	// and DropNewest without one (the new record is dropped and counted),
	// so Handle never waits on the network. DropOldest drops and counts
	// the oldest instead; Block makes Handle wait for the connection, at
	// most a second (buffer.DefaultBlockTimeout), then drop and count.
	OnFull buffer.Policy

	// ReconnectInterval is the first back-off step after a failed dial or a
	// lost connection (default 1s); the steps double, with ±50% jitter, up
	// to MaxReconnectInterval (default 30s, or ReconnectInterval if that
	// is longer). They start over after a connection that stayed up for
	// MaxReconnectInterval, so a server that accepts and then drops every
	// connection is not redialled at the first step forever.
	ReconnectInterval    time.Duration
	MaxReconnectInterval time.Duration
	// MaxReconnectAttempts is how many dials in a row may fail before the
	// handler gives up for good (0, the default: never give up). After it
	// gives up, queued and later records go to the Spool, or are dropped.
	MaxReconnectAttempts int
	// DialTimeout bounds one dial, TLS and WebSocket handshake included
	// (default 10s).
	DialTimeout time.Duration
	// PingInterval is how often the connection is pinged (default 20s); a
	// pong must come back within PingTimeout (default 10s) or the
	// connection is replaced. A negative PingInterval turns pings off.
	PingInterval time.Duration
	PingTimeout  time.Duration
	// WriteTimeout bounds writing one message (default 10s); a write that
	// times out replaces the connection.
	WriteTimeout time.Duration
	// MaxMessageSize is the largest message sent, in bytes (default 1 MiB,
	// at least 1024). A batch that would be larger is split across
	// messages; a single record that cannot fit is truncated (see the
	// package doc) and counted in ConnStats.Truncated.
	MaxMessageSize int

	// Mode is Batch (the default) or Record.
	Mode Mode
	// Ack turns on acknowledged delivery (see the package doc): every
	// message carries a sequence number and is kept until the server
	// acknowledges it, and resent after a reconnect.
	Ack bool
	// MaxUnacked bounds the messages sent but not yet acknowledged
	// (default 64). When it is reached sending pauses until acks come in;
	// records wait in the queue meanwhile, where OnFull applies.
	MaxUnacked int
	// AckTimeout is how long the oldest unacknowledged message may wait
	// for its ack before the connection is taken as broken and replaced
	// (default 30s).
	AckTimeout time.Duration

	// Spool is a directory where records that cannot be delivered are kept
	// on disk: batches diverted from a full queue (OnFull Divert), records
	// still undelivered when Shutdown's context ends, and everything after
	// MaxReconnectAttempts is exhausted. Spooled records are sent again
	// once a connection is up, by this process or the next one using the
	// same directory. Empty: no spool.
	Spool string
	// SpoolMaxBytes bounds the spool on disk (default 256 MiB; negative:
	// no bound, as in httpsink). Records that do not fit are dropped and
	// counted.
	SpoolMaxBytes int64

	// ErrorHandler is told about delivery errors (failed dials, lost
	// connections, drops, truncations, the first record refused after
	// Shutdown), under the module's one contract (see "Errors" in package
	// multi): no lock held, never twice at once, and it may log to this
	// handler. Nil means standard error, at most a line every few seconds;
	// a function that does nothing silences them.
	ErrorHandler func(error)
}

// config is Options after defaults and validation.
type config struct {
	Options
	url *url.URL
}

func (c *config) resolve(rawURL string, o *Options) error {
	if o != nil {
		c.Options = *o
	}
	var errs []error
	bad := func(err error) { errs = append(errs, err) }
	u, err := url.Parse(rawURL)
	switch {
	case rawURL != "" && !strings.Contains(rawURL, "://"):
		bad(fmt.Errorf("wssink: url %q has no scheme: did you mean %s?", redactURL(rawURL), redactURL("ws://"+rawURL)))
	case err != nil:
		// url.Error repeats the raw URL, password included: quote the
		// redacted one instead.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		bad(fmt.Errorf("wssink: url %q: %w", redactURL(rawURL), err))
	case u.Scheme != "ws" && u.Scheme != "wss":
		bad(fmt.Errorf("wssink: url %q: scheme must be ws or wss", redactURL(rawURL)))
	case u.Host == "":
		bad(fmt.Errorf("wssink: url %q: no host", redactURL(rawURL)))
	default:
		c.url = u
	}
	durations := []struct {
		name string
		p    *time.Duration
		def  time.Duration
	}{
		{"FlushInterval", &c.FlushInterval, DefaultFlushInterval},
		{"ReconnectInterval", &c.ReconnectInterval, DefaultReconnectInterval},
		{"DialTimeout", &c.DialTimeout, DefaultDialTimeout},
		{"PingTimeout", &c.PingTimeout, DefaultPingTimeout},
		{"WriteTimeout", &c.WriteTimeout, DefaultWriteTimeout},
		{"AckTimeout", &c.AckTimeout, DefaultAckTimeout},
	}
	for _, d := range durations {
		if *d.p < 0 {
			bad(fmt.Errorf("wssink: Options.%s %v: must not be negative", d.name, *d.p))
		}
		if *d.p == 0 {
			*d.p = d.def
		}
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	switch {
	case c.MaxReconnectInterval < 0:
		bad(fmt.Errorf("wssink: Options.MaxReconnectInterval %v: must not be negative", c.MaxReconnectInterval))
	case c.MaxReconnectInterval == 0:
		// The default never undercuts a first step set above it.
		c.MaxReconnectInterval = max(DefaultMaxReconnectInterval, c.ReconnectInterval)
	case c.MaxReconnectInterval < c.ReconnectInterval:
		bad(fmt.Errorf("wssink: Options.MaxReconnectInterval %v: less than ReconnectInterval %v", c.MaxReconnectInterval, c.ReconnectInterval))
	}
	ints := []struct {
		name string
		p    *int
		def  int
	}{
		{"BatchSize", &c.BatchSize, 0},
		{"BatchBytes", &c.BatchBytes, 0},
		{"QueueSize", &c.QueueSize, 0},
		{"QueueBytes", &c.QueueBytes, 0},
		{"MaxReconnectAttempts", &c.MaxReconnectAttempts, 0},
		{"MaxMessageSize", &c.MaxMessageSize, DefaultMaxMessageSize},
		{"MaxUnacked", &c.MaxUnacked, DefaultMaxUnacked},
	}
	for _, n := range ints {
		if *n.p < 0 {
			bad(fmt.Errorf("wssink: Options.%s %d: must not be negative", n.name, *n.p))
		}
		if *n.p == 0 {
			*n.p = n.def
		}
	}
	switch {
	case c.SpoolMaxBytes == 0:
		c.SpoolMaxBytes = DefaultSpoolMaxBytes
	case c.SpoolMaxBytes < 0:
		c.SpoolMaxBytes = 0 // spool: no bound, as in httpsink
	}
	if c.MaxMessageSize < MinMaxMessageSize {
		bad(fmt.Errorf("wssink: Options.MaxMessageSize %d: must be at least %d", c.MaxMessageSize, MinMaxMessageSize))
	}
	if c.Mode != Batch && c.Mode != Record {
		bad(fmt.Errorf("wssink: Options.Mode %d: must be Batch or Record", int(c.Mode)))
	}
	if c.OnFull < buffer.Auto || c.OnFull > buffer.Divert {
		bad(fmt.Errorf("wssink: Options.OnFull %d: not a buffer policy", int(c.OnFull)))
	}
	c.OnFull = c.OnFull.Resolve(c.Spool != "")
	if c.OnFull == buffer.Divert && c.Spool == "" {
		bad(fmt.Errorf("wssink: Options.OnFull %v: needs Options.Spool, the directory to divert to", c.OnFull))
	}
	if c.Source == "" {
		c.Source = filepath.Base(os.Args[0])
	}
	if strings.ContainsAny(c.BearerToken, "\r\n") {
		bad(fmt.Errorf("wssink: Options.BearerToken: contains a line break"))
	}
	for k, vs := range c.Headers {
		for _, v := range vs {
			if strings.ContainsAny(k, "\r\n: ") || strings.ContainsAny(v, "\r\n") {
				bad(fmt.Errorf("wssink: Options.Headers %q: not a valid header line", k))
			}
		}
	}
	if len(c.Source)+64 > c.MaxMessageSize/2 {
		bad(fmt.Errorf("wssink: Options.Source: %d bytes leave too little room in a message of MaxMessageSize %d", len(c.Source), c.MaxMessageSize))
	}
	return errors.Join(errs...)
}

// redactURL is safeURL for a URL that may not parse: what does not parse
// loses everything before an '@' and from a '?' or '#' on.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err == nil {
		return safeURL(u)
	}
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	if i := strings.LastIndex(raw, "@"); i >= 0 {
		raw = "…" + raw[i:]
	}
	return raw
}

// safeURL returns scheme://host/path of u: no user information, query or
// fragment, which may all carry credentials.
func safeURL(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return r.String()
}

// secrets lists the strings no error or stat may carry: the URL's user
// information (user name and password, as given and unescaped: net/http
// quotes the URL with the user name unescaped) and query, the bearer token
// and the values of the Authorization, Cookie and *-Token/*-Key headers.
func (c *config) secrets() []string {
	var s []string
	if u := c.url.User; u != nil {
		raw := u.String() // escaped user[:password]
		name, pass, _ := strings.Cut(raw, ":")
		s = append(s, raw, name, u.Username())
		if p, ok := u.Password(); ok {
			s = append(s, pass, p)
		}
	}
	if c.url.RawQuery != "" {
		s = append(s, c.url.RawQuery)
		for _, vs := range c.url.Query() {
			s = append(s, vs...)
		}
	}
	if c.BearerToken != "" {
		s = append(s, c.BearerToken)
	}
	for k, vs := range c.Headers {
		k = http.CanonicalHeaderKey(k)
		if k == "Authorization" || k == "Cookie" || k == "Proxy-Authorization" ||
			strings.HasSuffix(k, "-Token") || strings.HasSuffix(k, "-Key") {
			s = append(s, vs...)
		}
	}
	return s
}

// scrub returns err with every secret of at least four bytes replaced by
// [REDACTED], or err itself when it carries none. A scrubbed error keeps
// only its text: unwrapping it could reach the secret again.
func scrub(err error, secrets []string) error {
	msg := err.Error()
	for _, sec := range secrets {
		if len(sec) >= 4 {
			msg = strings.ReplaceAll(msg, sec, "[REDACTED]")
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}
