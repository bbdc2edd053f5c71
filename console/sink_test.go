package console

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
)

// stuckWriter blocks every Write until release is closed, like a terminal
// paused with Ctrl-S or a pipe nobody reads.
type stuckWriter struct {
	entered chan struct{} // receives once per Write that has started
	release chan struct{}
}

func newStuckWriter() *stuckWriter {
	return &stuckWriter{entered: make(chan struct{}, 16), release: make(chan struct{})}
}

func (w *stuckWriter) Write(p []byte) (int, error) {
	w.entered <- struct{}{}
	<-w.release
	return len(p), nil
}

// waitUnlocked polls until nobody holds s.mu: the helper goroutine an
// abandoned Flush or Shutdown leaves behind has taken the lock and given it
// back, its last act.
func waitUnlocked(t *testing.T, s *sink) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !s.mu.TryLock() {
		if time.Now().After(deadline) {
			t.Fatal("the lock is still held 10s after the stuck write returned")
		}
		runtime.Gosched()
	}
	s.mu.Unlock()
}

func TestShutdownGivesUpOnAStuckWriteAtItsDeadline(t *testing.T) {
	w := newStuckWriter()
	s := &sink{w: w}
	wrote := make(chan error, 1)
	go func() { _, err := s.Write([]byte("stuck\n")); wrote <- err }()
	<-w.entered

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	err := s.shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("shutdown = %v, want context.DeadlineExceeded", err)
	}
	if want := "console: shutdown: wait for a write in progress: context deadline exceeded"; err.Error() != want {
		t.Errorf("shutdown error = %q, want %q", err, want)
	}
	if err := s.shutdown(t.Context()); err != nil {
		t.Errorf("second shutdown = %v, want nil", err)
	}

	close(w.release)
	if err := <-wrote; err != nil {
		t.Errorf("the stuck write = %v, want nil", err)
	}
	waitUnlocked(t, s)
	if _, err := s.Write([]byte("late\n")); err != nil {
		t.Errorf("write after shutdown = %v, want nil: the console keeps writing", err)
	}
	st := s.snapshot()
	if st.Written != 2 || st.Dropped != 0 || st.Failed != 0 {
		t.Errorf("stats = written %d dropped %d failed %d, want 2 0 0", st.Written, st.Dropped, st.Failed)
	}
}

func TestFlushGivesUpAtCancelAndLeavesTheLockUsable(t *testing.T) {
	w := newStuckWriter()
	s := &sink{w: w}
	go s.Write([]byte("slow\n"))
	<-w.entered
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.flush(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("flush = %v, want context.Canceled", err)
	}
	close(w.release)
	waitUnlocked(t, s)
	// A later writer and a later flush get through: nothing kept the lock.
	if _, err := s.Write([]byte("next\n")); err != nil {
		t.Fatal(err)
	}
	<-w.entered
	if err := s.flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := s.stats.Snapshot().Written; got != 2 {
		t.Errorf("written = %d, want 2", got)
	}
}

// gateWriter lets writes through until gate is set; then each Write blocks
// until release is closed.
type gateWriter struct {
	n       int
	gate    bool
	entered chan struct{}
	release chan struct{}
}

func (w *gateWriter) Write(p []byte) (int, error) {
	if w.gate {
		w.entered <- struct{}{}
		<-w.release
	}
	w.n += len(p)
	return len(p), nil
}

func TestStatsCountEveryWriteAndNeverWaitForAStuckOne(t *testing.T) {
	w := &gateWriter{entered: make(chan struct{}, 1), release: make(chan struct{})}
	s := &sink{w: w}
	s.noteTime(time.Unix(1700000000, 0)) // one record time for all: no millisecond tick publishes
	for range 3*publishEvery + 5 {
		if _, err := s.Write([]byte("0123456789\n")); err != nil {
			t.Fatal(err)
		}
	}
	st := s.snapshot()
	if st.Written != 3*publishEvery+5 || st.Bytes != uint64(w.n) || st.LastWrite.Unix() != 1700000000 {
		t.Fatalf("stats after %d writes: written %d bytes %d (wrote %d) last %v", 3*publishEvery+5, st.Written, st.Bytes, w.n, st.LastWrite)
	}

	// A write stuck in the kernel holds the lock: Stats answers anyway,
	// with everything published before it.
	for range 3 {
		s.Write([]byte("0123456789\n"))
	}
	w.gate = true
	go s.Write([]byte("stuck\n"))
	<-w.entered
	done := make(chan multi.Stats)
	go func() { done <- s.snapshot() }()
	select {
	case st = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Stats waited for a stuck write")
	}
	close(w.release)
	if st.Written < 3*publishEvery+5 || st.Written > 3*publishEvery+8 {
		t.Errorf("stats during a stuck write: written %d", st.Written)
	}
	waitUnlocked(t, s)
	if st := s.snapshot(); st.Written != 3*publishEvery+9 {
		t.Errorf("stats after the stuck write: written %d, want %d", st.Written, 3*publishEvery+9)
	}
}

// A Shutdown called while another waits for a stuck write returns when its
// own ctx ends; once the first is done, a later call returns nil at once.
func TestConcurrentShutdownHonoursItsContext(t *testing.T) {
	w := newStuckWriter()
	h := New(w, &Options{Color: ColorNever})
	go h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "stuck", 0))
	<-w.entered

	first := make(chan error, 1)
	go func() { first <- h.Shutdown(context.Background()) }()
	for !h.s.shutDown.Load() {
		runtime.Gosched()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	err := h.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "shutdown under way") {
		t.Fatalf("second Shutdown = %v, want its deadline, waiting for the shutdown under way", err)
	}
	close(w.release)
	select {
	case err := <-first:
		if err != nil {
			t.Fatalf("first Shutdown = %v, want nil once the write returned", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("first Shutdown did not return after the write did")
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown after Shutdown = %v, want nil", err)
	}
}
