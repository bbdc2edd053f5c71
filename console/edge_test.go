package console_test

import (
	"bytes"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/console"
)

// failingFlusher buffers nothing and fails every Flush.
type failingFlusher struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *failingFlusher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}
func (w *failingFlusher) Flush() error { return errors.New("flush failed") }

// The ErrorHandler may log through the handler whose Flush failed, as the
// Options documentation promises: it is called with no lock held.
func TestErrorHandlerMayLogAFlushFailureToTheSameHandler(t *testing.T) {
	w := &failingFlusher{}
	var logger *slog.Logger
	reported := 0
	h := console.New(w, &console.Options{ErrorHandler: func(err error) {
		reported++
		logger.Error("flushing failed", "err", err)
	}})
	logger = slog.New(h)

	done := make(chan error, 1)
	go func() { done <- h.Flush(ctx) }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Flush succeeded; want its error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Flush deadlocked: the ErrorHandler's record waits for the lock Flush holds")
	}
	if reported != 1 {
		t.Errorf("ErrorHandler called %d times, want 1", reported)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !bytes.Contains(w.buf.Bytes(), []byte("flushing failed")) {
		t.Errorf("the ErrorHandler's record was not written: %q", w.buf.String())
	}
}

type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("broken") }

// The ErrorHandler runs after the failure is counted: the record it is
// told about is already in Stats as dropped.
func TestErrorHandlerSeesTheFailedRecordCountedAsDropped(t *testing.T) {
	var h *console.Handler
	var failed, dropped uint64
	h = console.New(brokenWriter{}, &console.Options{ErrorHandler: func(error) {
		st := h.Stats()
		failed, dropped = st.Failed, st.Dropped
	}})
	if err := h.Handle(ctx, record(slog.LevelInfo, "lost")); err == nil {
		t.Fatal("Handle succeeded on a broken writer")
	}
	if failed != 1 || dropped != 1 {
		t.Errorf("in the ErrorHandler: failed %d, dropped %d; want 1 and 1", failed, dropped)
	}
}

// Healthy turns false at a failed flush of the writer, as its doc says, and
// true again at the next write that succeeds.
func TestAFailedFlushMakesTheHandlerUnhealthyUntilAWriteSucceeds(t *testing.T) {
	h := console.New(&failingFlusher{}, &console.Options{Color: console.ColorNever})
	if err := h.Flush(ctx); err == nil {
		t.Fatal("Flush succeeded; want its error")
	}
	if h.Healthy() {
		t.Error("Healthy after a failed flush")
	}
	slog.New(h).Info("written")
	if !h.Healthy() {
		t.Error("not Healthy after a write that succeeded")
	}
}
