package httpsink

import (
	"compress/gzip"
	"context"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/format"
	"github.com/jinpy-utils/multi/internal/core"
	"github.com/jinpy-utils/multi/internal/httpx"
	"github.com/jinpy-utils/multi/internal/tlsconf"
)

// Handler is a slog.Handler that ships records to an HTTP log collector.
// Build it with [New]; call Shutdown at exit. Handlers derived with
// WithAttrs and WithGroup share its queue, sender and spool.
type Handler struct {
	core *format.Handler
	s    *sink
}

// sink is the destination shared by a Handler and the handlers derived
// from it: the delivery core (queue, sender, spool, counters) and the HTTP
// transport under it.
type sink struct {
	*core.Sender
	c         *config
	client    *http.Client
	transport *http.Transport // ours, nil with Options.Client
	aead      cipher.AEAD     // nil without Options.EncryptionKey

	// The transport's state, used under the sender's lock: one request
	// at a time.
	enc     *encoder
	body    []byte // the encoded body
	zbody   zbuf   // the gzipped body
	gz      *gzip.Writer
	sealed  []byte
	payload []byte // what Attempt sends: body or zbody
}

// New returns a Handler that ships records to url in batches, as opts
// says. It checks every option and returns an error naming each bad one;
// it opens the spool (and replays what an earlier process left there in
// the background) and starts the sender.
func New(url string, opts *Options) (*Handler, error) {
	c, err := resolve(url, opts)
	if err != nil {
		return nil, err
	}
	fo := &format.Options{
		Format:      format.JSON,
		Level:       c.Level,
		AddSource:   c.AddSource,
		ReplaceAttr: c.ReplaceAttr,
		Name:        c.Name,
	}
	if err := fo.Validate(); err != nil {
		return nil, fmt.Errorf("httpsink: %w", err)
	}
	s := &sink{c: c, enc: newEncoder(c)}
	if k := c.EncryptionKey; len(k) > 0 {
		if s.aead, err = newAEAD(k); err != nil {
			return nil, fmt.Errorf("httpsink: Options.EncryptionKey: %w", err)
		}
		c.secrets = append(c.secrets, string(k), hex.EncodeToString(k), base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k))
	}
	if c.Client != nil {
		s.client = c.Client
	} else {
		t := c.TLS
		tc, err := tlsconf.Config(t.CAFile, t.CertFile, t.KeyFile, t.InsecureSkipVerify)
		if err != nil {
			return nil, fmt.Errorf("httpsink: %w", err)
		}
		s.transport = httpx.NewTransport(tc)
		s.client = &http.Client{Transport: s.transport}
	}
	if c.Compress {
		s.gz, _ = gzip.NewWriterLevel(nil, gzip.BestSpeed)
	}
	s.Sender, err = core.NewSender(core.Config{
		Name:         "httpsink",
		TrimNewline:  true,
		Endpoint:     c.endpoint,
		Buffer:       c.buffer,
		Spool:        c.Spool,
		ErrorHandler: c.ErrorHandler,
		Secrets:      c.secrets,
	}, core.SenderConfig{Transport: s, Retry: c.Retry, Timeout: c.Timeout, Name: c.Name})
	if err != nil {
		return nil, err
	}
	return &Handler{core: format.New(s, fo), s: s}, nil
}

// Enabled reports whether l is at least the handler's level.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.core.Enabled(ctx, l)
}

// Handle encodes r as a JSON line, on the caller's goroutine, and queues it
// for the sender. It returns an error only when the record is not queued:
// after Shutdown (wrapping multi.ErrClosed), or when the queue is full
// under DropNewest.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	return h.core.Handle(ctx, r)
}

// WithAttrs returns a Handler whose records carry attrs, sharing h's
// destination.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Handler{core: h.core.WithAttrs(attrs).(*format.Handler), s: h.s}
}

// WithGroup returns a Handler whose later attributes are in group name,
// sharing h's destination.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{core: h.core.WithGroup(name).(*format.Handler), s: h.s}
}

// Flush returns when every record handled before the call has been
// delivered, spooled or dropped, or when ctx ends.
func (h *Handler) Flush(ctx context.Context) error { return h.s.Flush(ctx) }

// Sync writes the spool and its journal to the disk, so that the records
// accepted so far survive a crash of the machine or a power loss too, not
// only the process being killed (see package delivery, "What survives");
// without a spool it does nothing. It costs milliseconds on a disk: call it
// from a goroutine of your own (a ticker, or before a risky step), never
// per record.
func (h *Handler) Sync() error { return h.s.Sync() }

// Shutdown flushes the queue, then stops the sender and the prober, closes
// the spool and the idle connections. It is bounded whatever its ctx:
// while the collector answers (any HTTP response, even 429 or 503) batches
// are retried, each wait at most a second; once it has not answered for
// Options.Timeout plus a second (refused, cut or timed-out requests), the
// batches still queued skip the network and go to the spool, or are
// counted as dropped without one. So with the collector down
// Shutdown(context.Background()) returns after about Timeout plus a
// second. With the collector up, after the queue it replays the spool
// until it is empty, a request fails, or ctx ends. If ctx ends first, the
// batch being sent gives up (and goes to the spool, if any) and the queue
// goes to the spool, or is dropped and counted. Shutdown is idempotent: a later call
// waits for the first to finish and returns nil, or returns an error
// wrapping its own ctx's error if that ends first.
func (h *Handler) Shutdown(ctx context.Context) error {
	err := h.s.Sender.Shutdown(ctx)
	if h.s.transport != nil {
		h.s.transport.CloseIdleConnections()
	}
	return err
}

// Stats returns what the handler has done. Written counts records the
// collector accepted, replayed ones included; Bytes their size before
// compression; Queued the records in memory, the batch being sent included.
func (h *Handler) Stats() multi.Stats { return h.s.Sender.Stats() }

// Healthy is false from the first failed request until a request succeeds.
func (h *Handler) Healthy() bool { return h.s.Counters.Healthy() }

// BorrowsRecords marks the handler as a multi.RecordBorrower: it encodes
// the record during Handle and keeps nothing of it.
func (h *Handler) BorrowsRecords() {}

// Destination identifies the queue and sender shared by the handler from
// New and those derived from it, so that [multi.Handler.Stats] counts them
// once (see [multi.Sharer]).
func (h *Handler) Destination() any { return h.s }

var (
	_ multi.Sink           = (*Handler)(nil)
	_ multi.RecordBorrower = (*Handler)(nil)
	_ multi.Sharer         = (*Handler)(nil)
)
