package wssink

import (
	"context"
	"log/slog"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/format"
)

// Handler is a slog.Handler that streams JSON records over a WebSocket. Make
// one with [New]. Handlers derived with WithAttrs and WithGroup share their
// parent's connection, queue and counters.
type Handler struct {
	core *format.Handler
	s    *sink
}

var (
	_ multi.Sink           = (*Handler)(nil)
	_ multi.RecordBorrower = (*Handler)(nil)
	_ multi.Sharer         = (*Handler)(nil)
)

// New returns a handler that streams to url (ws:// or wss://). It checks
// the options (errors name the field), opens the spool if one is set, and
// starts connecting in the background: New never waits for the network.
func New(url string, opts *Options) (*Handler, error) {
	s, err := newSink(url, opts)
	if err != nil {
		return nil, err
	}
	core := format.New(s, &format.Options{
		Format:      format.JSON,
		Level:       s.cfg.Level,
		AddSource:   s.cfg.AddSource,
		ReplaceAttr: s.cfg.ReplaceAttr,
		Name:        s.cfg.Name,
	})
	s.start()
	return &Handler{core: core, s: s}, nil
}

// Enabled reports whether records at level l are handled.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.core.Enabled(ctx, l) }

// Handle encodes r as one JSON object and queues it; it does not wait for
// the network (unless the queue is full and Queue.OnFull is Block). After
// Shutdown it returns an error wrapping [multi.ErrClosed] and counts the
// record as dropped.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error { return h.core.Handle(ctx, r) }

// WithAttrs returns a handler that adds attrs to every record and shares
// h's connection.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Handler{core: h.core.WithAttrs(attrs).(*format.Handler), s: h.s}
}

// WithGroup returns a handler that puts later attributes in group name and
// shares h's connection.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{core: h.core.WithGroup(name).(*format.Handler), s: h.s}
}

// Flush returns once every record handed to Handle before the call was
// delivered (acknowledged, with Ack on) and the spool is empty, or when ctx
// ends, with an error saying how many records are still pending. Once the
// handler has given up reconnecting (MaxReconnectAttempts), it returns an
// error saying so.
func (h *Handler) Flush(ctx context.Context) error { return h.s.flush(ctx) }

// Sync writes the spool and its journal to the disk, so that the records
// accepted so far survive a crash of the machine or a power loss too, not
// only the process being killed (see package delivery, "What survives");
// without a spool it does nothing. It costs milliseconds on a disk: call it
// from a goroutine of your own (a ticker, or before a risky step), never
// per record.
func (h *Handler) Sync() error { return h.s.Sync() }

// Shutdown sends what is queued, waits for its acknowledgements, closes the
// connection with a normal close frame and stops the handler's goroutines.
// When ctx ends first, or the server has not been connected for
// Timeout plus a second (so with the server down,
// Shutdown(context.Background()) returns after about Timeout plus a
// second), records not yet delivered go to the spool (or are counted as
// dropped), the connection is cut, and the error says so.
// Shutdown is idempotent: a later call waits for the first to finish (or
// for its own ctx to end, and then returns an error wrapping ctx.Err()) and
// returns nil.
func (h *Handler) Shutdown(ctx context.Context) error { return h.s.shutdown(ctx) }

// Stats returns the handler's counters. Written and Bytes count records
// delivered (acknowledged, with Ack on) and the bytes of the messages that
// carried them, before compression.
func (h *Handler) Stats() multi.Stats { return h.s.stats() }

// Healthy reports whether the handler is connected.
func (h *Handler) Healthy() bool { return h.s.healthy() }

// ConnStats returns the connection counters.
func (h *Handler) ConnStats() ConnStats { return h.s.connStats() }

// BorrowsRecords marks Handler as a [multi.RecordBorrower]: it reads a
// record only during Handle.
func (*Handler) BorrowsRecords() {}

// Destination identifies the connection shared by the handler from New and
// those derived from it, so that [multi.Handler.Stats] counts it once (see
// [multi.Sharer]).
func (h *Handler) Destination() any { return h.s }

// StreamHeader is the handshake header that names a Handler's stream of
// messages: a random string, the same on every connection of one Handler,
// new for the next. With the message sequence numbers it lets a server
// recognize a message it has already handled.
const StreamHeader = "Wssink-Stream"

// ConnStats counts what happened to the handler's connections.
type ConnStats struct {
	Connected    bool   // a connection is up now
	Connects     uint64 // connections established
	Disconnects  uint64 // connections lost (not counting the close at Shutdown)
	DialFailures uint64 // dials that failed
	Messages     uint64 // messages written, resends included
	Resent       uint64 // messages written again after a reconnect
	Acks         uint64 // acknowledgements received
	Truncated    uint64 // records truncated to fit MaxMessageSize
	Unacked      int    // messages written and not yet acknowledged
}
