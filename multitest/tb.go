package multitest

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/format"
)

// TB is a [multi.Sink] that writes each record as a line of slog's text
// format, without the time, to a test's output (testing.TB's Output), so
// that a failing test shows what the code under test logged, next to the
// test's own messages. Build one with [NewTB].
//
// A goroutine may go on logging after its test has ended (the test did not
// wait for it); testing panics at such a write. TB does not: from the
// moment the test's cleanup runs it writes nothing more, and counts each
// record it is given as dropped.
type TB struct {
	h *format.Handler
	w *tbWriter
}

type tbWriter struct {
	mu        sync.Mutex
	t         testing.TB
	done      bool // the test has ended
	closed    bool // Shutdown was called
	written   uint64
	bytes     uint64
	dropped   uint64
	flushes   int
	shutdowns int
}

// NewTB returns a TB writing to t's output at opts.Level and above (every
// level with a nil Level). It registers a cleanup with t that stops the
// writes when the test ends.
func NewTB(t testing.TB, opts *Options) *TB {
	if t == nil {
		panic("multitest.NewTB: t is nil; pass the test's *testing.T")
	}
	w := &tbWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	var level slog.Leveler = slog.Level(-1 << 31)
	if opts != nil && opts.Level != nil {
		level = opts.Level
	}
	noTime := func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	return &TB{h: format.New(w, &format.Options{Format: format.Text, Level: level, ReplaceAttr: noTime}), w: w}
}

// Write writes one encoded line to the test's output, or, once the test
// has ended or after Shutdown, counts it as dropped. The lock is held
// across the write, so the test's cleanup cannot end it mid-line.
func (w *tbWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done || w.closed {
		w.dropped++
		if w.closed {
			return 0, fmt.Errorf("multitest: TB: %w", multi.ErrClosed)
		}
		return len(p), nil
	}
	n, err := w.t.Output().Write(p)
	w.written++
	w.bytes += uint64(n)
	return n, err
}

// Enabled reports whether l is at or above the TB's level.
func (h *TB) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

// Handle writes r as one line. After Shutdown it returns an error wrapping
// [multi.ErrClosed]; after the test has ended it writes nothing and
// returns nil. Either way r is counted as dropped.
func (h *TB) Handle(ctx context.Context, r slog.Record) error { return h.h.Handle(ctx, r) }

// WithAttrs returns a TB whose lines carry attrs; it writes to the same test.
func (h *TB) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &TB{h: h.h.WithAttrs(attrs).(*format.Handler), w: h.w}
}

// WithGroup returns a TB that puts later attributes in group name.
func (h *TB) WithGroup(name string) slog.Handler {
	return &TB{h: h.h.WithGroup(name).(*format.Handler), w: h.w}
}

// Flush counts the call: every line is written before Handle returns. It
// returns an error wrapping [multi.ErrClosed] after Shutdown.
func (h *TB) Flush(context.Context) error {
	h.w.mu.Lock()
	defer h.w.mu.Unlock()
	if h.w.closed {
		return fmt.Errorf("multitest: TB: flush: %w", multi.ErrClosed)
	}
	h.w.flushes++
	return nil
}

// Shutdown stops the writes; it is idempotent.
func (h *TB) Shutdown(context.Context) error {
	h.w.mu.Lock()
	defer h.w.mu.Unlock()
	h.w.closed = true
	h.w.shutdowns++
	return nil
}

// Stats counts the lines written and the records dropped after the test
// ended or after Shutdown.
func (h *TB) Stats() multi.Stats {
	h.w.mu.Lock()
	defer h.w.mu.Unlock()
	return multi.Stats{Written: h.w.written, Bytes: h.w.bytes, Dropped: h.w.dropped}
}

// Healthy reports whether the test is still running and Shutdown has not
// been called.
func (h *TB) Healthy() bool {
	h.w.mu.Lock()
	defer h.w.mu.Unlock()
	return !h.w.done && !h.w.closed
}

// Destination returns the test's writer, shared by the TB and those
// derived from it.
func (h *TB) Destination() any { return h.w }

// BorrowsRecords marks TB as a [multi.RecordBorrower]: it encodes the
// record during Handle and keeps nothing of it.
func (h *TB) BorrowsRecords() {}
