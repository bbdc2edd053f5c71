package syslog

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/internal/tlsconf"
)

// Handler is a slog.Handler that sends records to a syslog receiver. Build
// it with [New]; call Shutdown at exit. Handlers derived with WithAttrs and
// WithGroup share its queue, connection and spool.
type Handler struct {
	s *sink

	// Per-clone state, clipped on clone so siblings never share memory.
	pre    []byte   // SD-PARAMs from WithAttrs, each ` NAME="VALUE"`
	prefix []byte   // the open groups, each followed by '.'
	groups []string // the open groups, for ReplaceAttr
}

// New returns a Handler that sends records to addr:
//
//	""                      the local syslog socket: /dev/log, /var/run/syslog or /var/run/log
//	"unix:///dev/log"       a Unix datagram socket
//	"udp://host[:514]"      UDP, one message a datagram (RFC 5426)
//	"tcp://host[:514]"      TCP, octet-counting framing (RFC 6587)
//	"tls://host[:6514]"     TLS, octet-counting framing (RFC 5425)
//
// It checks every option and returns an error naming each bad one, opens
// the spool if there is one and starts the writer. It does not dial: the
// first batch does, so a receiver that is not up yet is no error.
func New(addr string, opts *Options) (*Handler, error) {
	c, err := resolve(addr, opts)
	if err != nil {
		return nil, err
	}
	tc, err := tlsconf.Config(c.TLS.CAFile, c.TLS.CertFile, c.TLS.KeyFile, c.TLS.InsecureSkipVerify)
	if err != nil {
		return nil, fmt.Errorf("syslog: %w", err)
	}
	t := newTransport(c, tc)
	s, err := newSink(c, t.dial)
	if err != nil {
		return nil, err
	}
	return &Handler{s: s}, nil
}

// Enabled reports whether l is at least the handler's level.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool {
	min := slog.LevelInfo
	if h.s.c.Level != nil {
		min = h.s.c.Level.Level()
	}
	return l >= min
}

// Handle encodes r as one syslog message, on the caller's goroutine, and
// queues it for the writer. It returns an error only when the record is
// not queued: after Shutdown (wrapping multi.ErrClosed), or when the queue
// is full under DropNewest.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	e := newEncoder(h.s.c)
	defer e.free()
	e.span, e.hasSpan = multi.SpanFromContext(ctx)
	h.encode(e, r)
	if n := len(e.buf); e.fit(h.s.c, h.s.c.MaxMessageSize) {
		h.s.cut(n)
	}
	return h.s.add(e.buf)
}

// WithAttrs returns a Handler whose records carry attrs, encoded once now,
// sharing h's destination.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := h.clone()
	e := newEncoder(h.s.c)
	defer e.free()
	e.buf = append(e.buf, h2.pre...)
	e.prefix = append(e.prefix, h2.prefix...)
	e.groups = append(e.groups, h2.groups...)
	for _, a := range attrs {
		e.appendAttr(h.s.c, a)
	}
	h2.pre = slices.Clone(e.buf)
	return h2
}

// WithGroup returns a Handler whose later attributes are in group name
// (their SD-PARAM names start with "name."), sharing h's destination. An
// empty name returns h.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := h.clone()
	h2.prefix = append(append(h2.prefix, name...), '.')
	h2.groups = append(h2.groups, name)
	return h2
}

func (h *Handler) clone() *Handler {
	return &Handler{s: h.s, pre: slices.Clip(h.pre), prefix: slices.Clip(h.prefix), groups: slices.Clip(h.groups)}
}

// Flush returns when every record handled before the call has been
// written to the socket, spooled or dropped, or when ctx ends.
func (h *Handler) Flush(ctx context.Context) error { return h.s.flush(ctx) }

// Sync writes the spool and its journal to the disk, so that the records
// accepted so far survive a crash of the machine or a power loss too, not
// only the process being killed (see package delivery, "What survives");
// without a spool it does nothing. It costs milliseconds on a disk: call it
// from a goroutine of your own (a ticker, or before a risky step), never
// per record.
func (h *Handler) Sync() error { return h.s.Sync() }

// Shutdown flushes the queue, drains the spool while the receiver is up,
// closes the connection and the spool, and stops the writer and the
// prober. If ctx ends first, the write in progress is cut and what is
// still queued goes to the spool or is dropped and counted. It is
// idempotent: a later call waits for the first to finish and returns nil,
// or returns an error wrapping its own ctx's error if that ends first.
func (h *Handler) Shutdown(ctx context.Context) error { return h.s.shutdown(ctx) }

// Stats returns what the handler has done. Written counts records handed
// to the kernel whole (for TCP and TLS, not proof that the receiver read
// them: see the package doc), Replayed those among them read back from the
// spool; Queued the records in memory, the batch being written included.
func (h *Handler) Stats() multi.Stats { return h.s.stats() }

// Healthy is false from the first failed dial or write until a write
// succeeds, and after Shutdown.
func (h *Handler) Healthy() bool { return h.s.healthy() }

// BorrowsRecords marks the handler as a multi.RecordBorrower: it encodes
// the record during Handle and keeps nothing of it.
func (h *Handler) BorrowsRecords() {}

// Destination identifies the queue and connection shared by the handler
// from New and those derived from it (see [multi.Sharer]).
func (h *Handler) Destination() any { return h.s }

var (
	_ multi.Sink           = (*Handler)(nil)
	_ multi.RecordBorrower = (*Handler)(nil)
	_ multi.Sharer         = (*Handler)(nil)
)
