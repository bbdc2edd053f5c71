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
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/core"
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
	DefaultPingInterval = 20 * time.Second
	DefaultMaxUnacked   = 64

	defaultMaxMessageSize = 1 << 20
	// DefaultMaxMessageSize is the default message size limit, 1 MiB.
	DefaultMaxMessageSize = defaultMaxMessageSize
	// MinMaxMessageSize is the smallest MaxMessageSize accepted.
	MinMaxMessageSize = 1024
)

// Options configure a [Handler]. A nil *Options means the defaults; a zero
// field means that field's default. Queue, Reconnect, Spool and TLS are
// the options every network sink shares, documented once in package
// [delivery].
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
	// Headers are added to the WebSocket handshake request. The values of
	// Authorization, Cookie, Api-Key and every *-Token and *-Key header
	// are secrets: they never appear in errors or stats.
	Headers http.Header
	// BearerToken, when set, is sent as "Authorization: Bearer <token>" in
	// the handshake. It never appears in errors or stats.
	BearerToken string
	// TLS configures wss:// (see delivery.TLS).
	TLS delivery.TLS
	// Subprotocols are offered in the handshake, in order of preference.
	Subprotocols []string
	// Compress negotiates permessage-deflate (RFC 7692, with context
	// takeover); a server that declines it gets uncompressed messages.
	Compress bool

	// Timeout bounds one network operation (default 10s): a dial, TLS and
	// WebSocket handshake included; writing one message; the wait for a
	// pong; and, with Ack, the wait of the oldest message written for its
	// acknowledgement. One that takes longer replaces the connection.
	Timeout time.Duration
	// PingInterval is how often the connection is pinged (default 20s); a
	// pong must come back within Timeout. Negative: no pings.
	PingInterval time.Duration
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
	// MaxUnacked bounds the messages sent but not yet acknowledged, or,
	// without Ack but with a Spool, not yet confirmed by a pong (default
	// 64). When it is reached sending pauses until acks (or the pong) come
	// in; records wait in the queue meanwhile, where Queue.OnFull applies.
	MaxUnacked int

	// Queue is the in-memory queue and its batches (see delivery.Queue).
	Queue delivery.Queue
	// Reconnect shapes the waits between dials after a failed dial or a
	// lost connection (see delivery.Backoff: 500ms, doubling, ±50%, up to
	// 30s). The waits start over only after a connection that stayed up
	// for MaxInterval, so a server that accepts and then drops every
	// connection is not redialled at the first step forever.
	Reconnect delivery.Backoff
	// MaxReconnectAttempts is how many dials in a row may fail before the
	// handler gives up for good (0, the default: never give up). After it
	// gives up, queued and later records go to the Spool, or are dropped.
	MaxReconnectAttempts int
	// Spool keeps on disk the records that cannot be delivered (see
	// delivery.Spool): batches diverted from a full queue, records still
	// undelivered when Shutdown gives up, and everything after
	// MaxReconnectAttempts. They are sent again once a connection is up.
	Spool delivery.Spool

	// ErrorHandler is told about delivery errors (failed dials, lost
	// connections, drops, truncations, the first record refused after
	// Shutdown), under the module's one contract (see "Errors" in package
	// multi): no lock held, never twice at once, never given a secret, and
	// it may log to this handler. Nil means standard error, at most a line
	// every few seconds; a function that does nothing silences them.
	ErrorHandler func(error)
}

// config is Options after defaults and validation.
type config struct {
	Options
	url     *url.URL
	buffer  buffer.Options
	secrets []string
}

func (c *config) resolve(rawURL string, o *Options) error {
	if o != nil {
		c.Options = *o
	}
	e := core.Errors{Prefix: "wssink: "}
	u, err := url.Parse(rawURL)
	switch {
	case rawURL == "":
		e.Add("url is empty: give the server's, such as ws://localhost:8080/logs")
	case !strings.Contains(rawURL, "://"):
		e.Add("url %q has no scheme: did you mean %s?", core.SafeRaw(rawURL), core.SafeRaw("ws://"+rawURL))
	case err != nil:
		// url.Error repeats the raw URL, password included: quote the
		// redacted one instead.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		e.Add("url %q: %v", core.SafeRaw(rawURL), err)
	case u.Scheme != "ws" && u.Scheme != "wss":
		e.Add("url %q: scheme must be ws or wss", core.SafeURL(u))
	case u.Host == "":
		e.Add("url %q: no host", core.SafeURL(u))
	default:
		c.url = u
		c.secrets = core.Secrets(u, c.Headers, c.BearerToken)
	}
	e.CheckTimeout("Timeout", &c.Timeout, delivery.DefaultTimeout)
	e.CheckBackoff("Reconnect", &c.Reconnect)
	e.CheckSpool(&c.Spool)
	c.buffer = e.CheckQueue(&c.Queue, c.Spool.Dir != "")
	e.CheckAuth(c.Headers, c.BearerToken)
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	nonNeg := func(field string, p *int, def int) {
		switch {
		case *p < 0:
			e.Add("Options.%s is %d: must not be negative (0 means %d)", field, *p, def)
		case *p == 0:
			*p = def
		}
	}
	nonNeg("MaxReconnectAttempts", &c.MaxReconnectAttempts, 0)
	nonNeg("MaxMessageSize", &c.MaxMessageSize, DefaultMaxMessageSize)
	nonNeg("MaxUnacked", &c.MaxUnacked, DefaultMaxUnacked)
	if c.MaxMessageSize < MinMaxMessageSize {
		e.Add("Options.MaxMessageSize is %d: must be at least %d", c.MaxMessageSize, MinMaxMessageSize)
	}
	if c.Mode != Batch && c.Mode != Record {
		e.Add("Options.Mode is %d: must be Batch or Record", int(c.Mode))
	}
	if c.Source == "" {
		c.Source = filepath.Base(os.Args[0])
	}
	if len(c.Source)+64 > c.MaxMessageSize/2 {
		e.Add("Options.Source: %d bytes leave too little room in a message of MaxMessageSize %d", len(c.Source), c.MaxMessageSize)
	}
	return e.Err()
}
