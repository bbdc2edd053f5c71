package file

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/format"
	"github.com/jinpy-utils/multi/internal/once"
	"github.com/jinpy-utils/multi/internal/report"
)

// Format selects the line format; see package format.
type Format = format.Format

// Handler is a slog.Handler that writes one line per record to a file. It
// implements [multi.Sink]. Handlers derived with WithAttrs and WithGroup
// share their parent's file; flushing or shutting down any of them reaches
// it.
type Handler struct {
	core    *format.Handler
	s       *sink
	flushAt slog.Leveler
}

// sink is what one New returned: its own open/closed state on a writer that
// other handlers on the same path may share.
type sink struct {
	w      *writer
	h      *hook            // nil without ErrorHandler
	rep    *report.Reporter // h's, or standard error's
	closed atomic.Bool
	shut   once.Shutdown
}

// Write is called by the format core with one whole line.
func (s *sink) Write(p []byte) (int, error) {
	if s.closed.Load() {
		return 0, s.refuse()
	}
	return s.w.Write(p)
}

// refuse counts a record refused after Shutdown, and reports the first.
func (s *sink) refuse() error {
	s.w.c.Dropped(1)
	s.rep.Refused(fmt.Errorf("file: record refused after Shutdown of %s: %w", s.w.given, multi.ErrClosed))
	return errClosed
}

// New opens path for appending, creating its directory (mode 0755) and the
// file (mode Options.Mode, default 0600) if needed, and returns a handler
// that writes records to it. A nil opts means defaults. The path must name
// a regular file (or none yet); its file name may hold {date}, replaced by
// the current date (see the package doc).
//
// Another New on the same path in this process, while a handler on it is
// open, shares that handler's writer; it must ask for the same file
// options (rotation, buffer, mode) or New returns an error.
func New(path string, opts *Options) (*Handler, error) {
	if opts == nil {
		opts = &Options{}
	}
	fo := &format.Options{
		Format:      opts.Format,
		Level:       opts.Level,
		AddSource:   opts.AddSource,
		ReplaceAttr: opts.ReplaceAttr,
		TimeFormat:  opts.TimeFormat,
		Name:        opts.Name,
	}
	if err := fo.Validate(); err != nil {
		return nil, fmt.Errorf("file: option Format: %w", err)
	}
	cfg, err := opts.config()
	if err != nil {
		return nil, err
	}
	flushAt := opts.FlushLevel
	if flushAt == nil {
		flushAt = DefaultFlushLevel
	}
	s := &sink{rep: report.New("file "+path, opts.ErrorHandler)}
	if opts.ErrorHandler != nil {
		s.h = &hook{r: s.rep}
	}
	if s.w, err = acquire(path, cfg, s.h); err != nil {
		return nil, err
	}
	return &Handler{core: format.New(s, fo), s: s, flushAt: flushAt}, nil
}

// Enabled reports whether records at level l are written.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.core.Enabled(ctx, l)
}

// Handle encodes r as one line and appends it to the file's buffer. It
// makes no system call unless the buffer is full, the file is due to
// rotate, or r is at or above Options.FlushLevel (ERROR by default): such a
// record is written to the file, after the records buffered before it,
// before Handle returns. It returns an error only when the record was
// dropped: after Shutdown (wrapping [multi.ErrClosed]; the first such
// record is reported), or while the file cannot be written and the buffer
// is full.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if h.s.closed.Load() {
		return h.s.refuse()
	}
	if err := h.core.Handle(ctx, r); err != nil {
		return err
	}
	if r.Level >= h.flushAt.Level() {
		// A failed write keeps the record buffered and is reported:
		// it is not lost, so Handle does not fail.
		_ = h.s.w.flush()
	}
	return nil
}

// EnabledCannotPanic reports whether Enabled never panics: the level is
// a slog.Level or a *slog.LevelVar. It implements multi.SafeEnabler.
func (h *Handler) EnabledCannotPanic() bool { return h.core.EnabledCannotPanic() }

// WithAttrs returns a handler that adds attrs to every record, writing to
// the same file.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Handler{core: h.core.WithAttrs(attrs).(*format.Handler), s: h.s, flushAt: h.flushAt}
}

// WithGroup returns a handler that puts later attributes in group name,
// writing to the same file.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{core: h.core.WithGroup(name).(*format.Handler), s: h.s, flushAt: h.flushAt}
}

// BorrowsRecords marks the handler as one that does not keep records
// (see [multi.RecordBorrower]).
func (h *Handler) BorrowsRecords() {}

// Flush writes every record handled before the call to the file (and
// fsyncs it with Options.Sync). It returns the write error if the file
// cannot be written; the records then stay in the buffer.
func (h *Handler) Flush(ctx context.Context) error {
	if h.s.closed.Load() {
		return errClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file: flush %s: %w", h.s.w.given, err)
	}
	return h.s.w.flush()
}

// Shutdown flushes and detaches the handler from its file. The last
// handler open on a path closes the file, stops the flush goroutine and
// waits for compression in flight, or for ctx to end (the compression is
// then abandoned, leaving the backup uncompressed, and the goroutine still
// stops before Shutdown returns). A later call waits for the first and
// returns nil, or returns an error wrapping its own ctx's error if that
// ends first.
func (h *Handler) Shutdown(ctx context.Context) error {
	s := h.s
	return s.shut.Do(ctx, "file: shutdown "+s.w.given, func() error {
		s.closed.Store(true)
		// Write out this handler's records even if others keep the file open.
		ferr := s.w.flush()
		err := release(ctx, s.w, s.h)
		if err == nil && ferr != nil && ferr != errClosed {
			err = ferr
		}
		s.rep.Close()
		return err
	})
}

// Stats reports what the file has seen. Handlers sharing a path report the
// same counters, which [multi.Handler.Stats] counts once. Queued is the
// number of records in the buffer.
func (h *Handler) Stats() multi.Stats { return h.s.w.stats() }

// Healthy is false from a failed write, rotation or reopen until the next
// one succeeds.
func (h *Handler) Healthy() bool { return h.s.w.healthy() }

// Destination identifies the file's writer, which every handler on the
// same path shares, so that [multi.Handler.Stats] counts it once (see
// [multi.Sharer]).
func (h *Handler) Destination() any { return h.s.w }

var _ multi.Sharer = (*Handler)(nil)

// Rotate rotates the file now, as if it had reached MaxSize: the file
// becomes NAME.1, older backups shift up. It does nothing if the file is
// empty.
func (h *Handler) Rotate() error {
	if h.s.closed.Load() {
		return errClosed
	}
	return h.s.w.rotate()
}

// Reopen writes out the buffer and opens the path afresh, creating the
// file if needed. Call it after an external tool (logrotate) moved the
// file away; wire it to SIGHUP:
//
//	sig := make(chan os.Signal, 1)
//	signal.Notify(sig, syscall.SIGHUP)
//	go func() {
//		for range sig {
//			h.Reopen()
//		}
//	}()
//
// The handler also notices on its own, at its next write to the file, that
// the path names another file or none, and reopens it; Reopen makes that
// happen at once.
func (h *Handler) Reopen() error {
	if h.s.closed.Load() {
		return errClosed
	}
	return h.s.w.reopen()
}

// Path returns the absolute path of the file being written now (with
// {date} filled in).
func (h *Handler) Path() string {
	w := h.s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.path()
}
