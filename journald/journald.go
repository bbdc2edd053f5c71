package journald

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/internal/once"
	"github.com/jinpy-utils/multi/internal/report"
	"github.com/jinpy-utils/multi/internal/stats"
)

// DefaultSocket is the journal's native socket.
const DefaultSocket = "/run/systemd/journal/socket"

// DefaultSendTimeout is how long Handle waits for room in the journal
// socket's buffer before it drops the record.
const DefaultSendTimeout = 100 * time.Millisecond

// Options configure a [Handler]. A nil *Options means the defaults; a zero
// field means that field's default.
type Options struct {
	// Level is the minimum level handled; nil means slog.LevelInfo. A
	// *slog.LevelVar changes it at run time.
	Level slog.Leveler
	// AddSource adds the caller's CODE_FILE, CODE_LINE and CODE_FUNC.
	AddSource bool
	// ReplaceAttr rewrites or drops attributes, as in
	// slog.HandlerOptions. It sees every attribute and "source" (with
	// AddSource); the message and level are the MESSAGE and PRIORITY
	// fields, not attributes, and are not passed to it.
	ReplaceAttr func(groups []string, a slog.Attr) slog.Attr

	// Identifier is SYSLOG_IDENTIFIER, what journalctl shows and -t
	// selects (default the base name of os.Args[0]).
	Identifier string
	// Socket is the journal's socket (default
	// /run/systemd/journal/socket; a journal namespace's is
	// /run/systemd/journal.NAMESPACE/socket).
	Socket string
	// SendTimeout is the longest Handle waits for room in the socket's
	// buffer when journald is behind (default 100ms); then the record is
	// dropped and counted. Negative: never wait.
	SendTimeout time.Duration

	// ErrorHandler, when set, is told of runtime errors, under the
	// contract of package internal/report: no lock held, never
	// re-entered, drops folded to one call a second. Nil: errors are
	// summarised on standard error, a line every 5s.
	ErrorHandler func(error)
}

// Handler is a slog.Handler that writes records to the systemd journal.
// Build it with [New]. Handlers derived with WithAttrs and WithGroup share
// its socket.
type Handler struct {
	s *sink

	pre    []byte   // fields from WithAttrs
	prefix []byte   // the open groups, sanitized, each followed by '_'
	groups []string // the open groups, for ReplaceAttr
}

// sink is what a Handler and those derived from it share.
type sink struct {
	level     slog.Leveler
	addSource bool
	rep       func([]string, slog.Attr) slog.Attr
	ident     []byte // the SYSLOG_IDENTIFIER field
	path      string
	timeout   time.Duration
	sock      *socket
	reporter  *report.Reporter
	counters  stats.Counters
	closed    atomic.Bool
	errClosed error
	shut      once.Shutdown

	gapN   atomic.Int64 // entries dropped and not yet told to the journal
	gapMu  sync.Mutex   // one gap entry at a time
	gapWhy atomic.Pointer[string]
}

// New returns a Handler that writes to the journal's socket. It fails if
// the socket is not there (no systemd-journald, or the wrong Socket), so
// that a handler that could never deliver is refused at once.
func New(opts *Options) (*Handler, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Socket == "" {
		o.Socket = DefaultSocket
	}
	if o.Identifier == "" && len(os.Args) > 0 {
		o.Identifier = filepath.Base(os.Args[0])
	}
	if o.SendTimeout == 0 {
		o.SendTimeout = DefaultSendTimeout
	}
	s := &sink{
		level:     o.Level,
		addSource: o.AddSource,
		rep:       o.ReplaceAttr,
		path:      o.Socket,
		timeout:   max(o.SendTimeout, 0),
		reporter:  report.New("journald "+o.Socket, o.ErrorHandler),
		errClosed: fmt.Errorf("journald: %w", multi.ErrClosed),
	}
	if s.level == nil {
		s.level = slog.LevelInfo
	}
	if o.Identifier != "" {
		s.ident = appendStringField(nil, "SYSLOG_IDENTIFIER", o.Identifier)
	}
	sock, err := dial(o.Socket, s.timeout)
	if err != nil {
		return nil, err
	}
	s.sock = sock
	return &Handler{s: s}, nil
}

// Enabled reports whether l is at least the handler's level.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.s.level.Level()
}

// Handle encodes r as one journal entry and sends it, on the caller's
// goroutine: one datagram, or for an entry over 128 KiB (or one the
// kernel finds too large for a datagram), a sealed memfd passed over the
// socket. It returns an
// error if the entry was not sent (counted in Stats().Dropped).
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	s := h.s
	if s.closed.Load() {
		s.counters.Dropped(1)
		s.reporter.Refused(s.errClosed)
		return s.errClosed
	}
	if s.gapN.Load() > 0 {
		s.gap()
	}
	e := newEncoder()
	defer e.free()
	e.span, e.hasSpan = multi.SpanFromContext(ctx)
	h.encode(e, r)
	if err := s.sock.send(e.buf); err != nil {
		err = fmt.Errorf("journald: send entry of %d bytes to %s: %w", len(e.buf), s.path, err)
		was := s.counters.Healthy()
		s.counters.Failed(err)
		s.counters.Dropped(1)
		if was {
			s.reporter.Down(err) // once per outage; the drops after it are folded
		} else {
			s.reporter.Dropped(1, err)
		}
		why := err.Error()
		s.gapWhy.Store(&why)
		s.gapN.Add(1)
		return err
	}
	if !s.counters.Healthy() {
		s.reporter.Up()
	}
	s.counters.Wrote(1, len(e.buf), time.Now())
	return nil
}

// gap sends, ahead of the next entry, one entry that says how many were
// dropped since the last one went out and why (PRIORITY 4, MULTI_DROPPED,
// MULTI_REASON), so that the gap shows where the journal is read. It is
// not counted as written.
func (s *sink) gap() {
	s.gapMu.Lock()
	defer s.gapMu.Unlock()
	n := s.gapN.Load()
	if n == 0 {
		return
	}
	why := ""
	if p := s.gapWhy.Load(); p != nil {
		why = *p
	}
	b := appendStringField(nil, "MESSAGE", "multi: entries dropped before this one")
	b = append(b, "PRIORITY=4\n"...)
	b = append(b, s.ident...)
	b = append(b, "MULTI_DROPPED="...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, '\n')
	b = appendStringField(b, "MULTI_REASON", why)
	if s.sock.send(b) == nil {
		s.gapN.Add(-n)
	}
}

// WithAttrs returns a Handler whose entries carry attrs, encoded once now.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := h.clone()
	e := newEncoder()
	defer e.free()
	e.buf = append(e.buf, h2.pre...)
	e.prefix = append(e.prefix, h2.prefix...)
	e.groups = append(e.groups, h2.groups...)
	for _, a := range attrs {
		e.appendAttr(h.s.rep, a)
	}
	h2.pre = slices.Clone(e.buf)
	return h2
}

// WithGroup returns a Handler whose later attributes are in group name:
// their field names start with NAME_. An empty name returns h.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := h.clone()
	for i := 0; i < len(name); i++ {
		h2.prefix = append(h2.prefix, nameChar(name[i]))
	}
	h2.prefix = append(h2.prefix, '_')
	h2.groups = append(h2.groups, name)
	return h2
}

func (h *Handler) clone() *Handler {
	return &Handler{s: h.s, pre: slices.Clip(h.pre), prefix: slices.Clip(h.prefix), groups: slices.Clip(h.groups)}
}

// Flush returns nil: Handle sends each entry before it returns, so nothing
// is held. After Shutdown it returns an error wrapping multi.ErrClosed.
func (h *Handler) Flush(context.Context) error {
	if h.s.closed.Load() {
		return fmt.Errorf("journald: flush: %w", multi.ErrClosed)
	}
	return nil
}

// Shutdown closes the socket. Later Handles return an error wrapping
// multi.ErrClosed. It is idempotent.
func (h *Handler) Shutdown(ctx context.Context) error {
	return h.s.shut.Do(ctx, "journald: shutdown", func() error {
		h.s.closed.Store(true)
		err := h.s.sock.close()
		h.s.reporter.Close()
		if err != nil {
			return fmt.Errorf("journald: shutdown: %w", err)
		}
		return nil
	})
}

// Stats returns what the handler has done: entries sent (Written) and
// their bytes, entries dropped, and failed sends. Queued is always 0.
func (h *Handler) Stats() multi.Stats { return h.s.counters.Snapshot() }

// Healthy is false from a failed send until one succeeds, and after
// Shutdown.
func (h *Handler) Healthy() bool { return h.s.counters.Healthy() && !h.s.closed.Load() }

// BorrowsRecords marks the handler as a multi.RecordBorrower.
func (h *Handler) BorrowsRecords() {}

// Destination identifies the socket shared by the handler from New and
// those derived from it (see [multi.Sharer]).
func (h *Handler) Destination() any { return h.s }

var (
	_ multi.Sink           = (*Handler)(nil)
	_ multi.RecordBorrower = (*Handler)(nil)
	_ multi.Sharer         = (*Handler)(nil)
)
