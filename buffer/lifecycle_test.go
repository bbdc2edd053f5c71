package buffer

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jinpy-utils/multi"
)

func TestFlushWaitsForWriteToReturn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{gate: make(chan struct{})}
		b := newBuffer(t, r.write, &Options{FlushInterval: time.Hour})
		add(t, b, "a", "b")
		flushed := make(chan error, 3)
		for range 3 { // concurrent Flushes are fine
			go func() { flushed <- b.Flush(context.Background()) }()
		}
		synctest.Wait()
		wantBatches(t, r, []string{"a", "b"}) // handed to write at once...
		select {
		case err := <-flushed:
			t.Fatalf("Flush returned %v while write was still running", err)
		default: // ...but Flush waits for write to return
		}
		close(r.gate)
		for range 3 {
			if err := <-flushed; err != nil {
				t.Fatalf("Flush: %v", err)
			}
		}
	})
}

func TestFlushWaitsOnlyForRecordsAddedBeforeIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{gate: make(chan struct{})}
		b := newBuffer(t, r.write, &Options{BatchSize: 2})
		add(t, b, "a")
		flushed := make(chan error, 1)
		go func() { flushed <- b.Flush(context.Background()) }()
		synctest.Wait()
		add(t, b, "b", "c", "d") // after the Flush: [b c] and [d] queue behind [a]
		r.gate <- struct{}{}     // [a] done
		if err := <-flushed; err != nil {
			t.Fatalf("Flush: %v", err)
		}
		wantStats(t, b, Counters{Added: 4, Written: 3, Queued: 1, Batches: 2, QueuedBytes: 1})
		close(r.gate)
	})
}

func TestFlushErrorSaysHowManyRecordsWerePending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{gate: make(chan struct{})}
		b := newBuffer(t, r.write, &Options{BatchSize: 2})
		add(t, b, "r0", "r1", "r2", "r3", "r4") // [r0 r1] in write, [r2 r3] [r4] queued
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		flushed := make(chan error, 1)
		go func() { flushed <- b.Flush(ctx) }()
		synctest.Wait()
		add(t, b, "r5", "r6") // after the Flush: not counted as its pending
		start := time.Now()
		err := <-flushed
		if waited := time.Since(start); waited != 5*time.Second {
			t.Fatalf("Flush returned after %v, want at its 5s deadline", waited)
		}
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "5 records still pending") {
			t.Fatalf("Flush = %v, want it to say 5 records still pending and wrap context.DeadlineExceeded", err)
		}

		// One batch later, a Flush with a done ctx waits for nothing.
		r.gate <- struct{}{}
		synctest.Wait()
		done, cancel2 := context.WithCancel(context.Background())
		cancel2()
		if err := b.Flush(done); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "5 records still pending") {
			t.Fatalf("Flush with a done ctx = %v, want 5 records still pending ([r2 r3] in write, [r4] and [r5 r6] queued) and context.Canceled", err)
		}
		close(r.gate)
		synctest.Wait()
		if err := b.Flush(done); err != nil {
			t.Fatalf("Flush of a drained buffer with a done ctx = %v, want nil", err)
		}
	})
}

func TestShutdownDrainsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		b := newBuffer(t, r.write, &Options{BatchSize: 3, FlushInterval: time.Hour})
		add(t, b, recs("r", 0, 8)...)
		start := time.Now()
		if err := b.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("Shutdown took %v of fake time, want 0: it must not wait for FlushInterval", d)
		}
		wantBatches(t, r, recs("r", 0, 3), recs("r", 3, 6), recs("r", 6, 8))
		wantStats(t, b, Counters{Added: 8, Written: 8, Batches: 3})
	})
}

func TestAfterShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &drops{}
		r := &recorder{}
		b := newBuffer(t, r.write, &Options{OnDrop: d.onDrop})
		add(t, b, "a")
		if err := b.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := b.Shutdown(context.Background()); err != nil {
				t.Fatalf("second Shutdown = %v, want nil (idempotent)", err)
			}
		}
		err := b.Add([]byte("late"))
		if !errors.Is(err, multi.ErrClosed) || !strings.HasPrefix(err.Error(), "buffer: add: ") {
			t.Fatalf("Add after Shutdown = %v, want \"buffer: add: ...\" wrapping multi.ErrClosed", err)
		}
		if err := b.Flush(context.Background()); !errors.Is(err, multi.ErrClosed) {
			t.Fatalf("Flush after Shutdown = %v, want multi.ErrClosed", err)
		}
		if d.n != 1 || !errors.Is(d.errs[0], multi.ErrClosed) {
			t.Fatalf("OnDrop got %d records (%v), want the late one with ErrClosed", d.n, d.errs)
		}
		wantBatches(t, r, []string{"a"})
		wantStats(t, b, Counters{Added: 2, Written: 1, Dropped: 1, Batches: 1})
	})
}

func TestShutdownCancelsARetryingWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A writer that retries every 100ms until its ctx is cancelled.
		var attempts int
		var writeErr error
		d := &drops{}
		b := newBuffer(t, func(ctx context.Context, bt *Batch) {
			for {
				attempts++
				select {
				case <-time.After(100 * time.Millisecond):
				case <-ctx.Done():
					writeErr = ctx.Err()
					return
				}
			}
		}, &Options{BatchSize: 2, OnDrop: d.onDrop})
		add(t, b, "r0", "r1", "r2", "r3", "r4")
		ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := b.Shutdown(ctx)
		if waited := time.Since(start); waited != 250*time.Millisecond {
			t.Fatalf("Shutdown returned after %v, want 250ms", waited)
		}
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "dropped 3 queued records") {
			t.Fatalf("Shutdown = %v, want dropped 3 queued records wrapping context.DeadlineExceeded", err)
		}
		if !errors.Is(writeErr, context.Canceled) || attempts != 3 {
			t.Fatalf("write made %d attempts and ended with %v, want 3 attempts ended by its ctx being cancelled", attempts, writeErr)
		}
		if d.n != 3 || !errors.Is(d.errs[0], context.DeadlineExceeded) {
			t.Fatalf("OnDrop got %d records (%v), want 3 with the deadline", d.n, d.errs)
		}
		wantStats(t, b, Counters{Added: 5, Written: 2, Dropped: 3, Batches: 1})
	})
}

func TestFlushWaitingAcrossAnAbandonedShutdownReportsTheLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{gate: make(chan struct{})}
		b := newBuffer(t, r.write, &Options{BatchSize: 2})
		add(t, b, "r0", "r1", "r2")
		flushed := make(chan error, 1)
		go func() { flushed <- b.Flush(context.Background()) }()
		synctest.Wait()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := b.Shutdown(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Shutdown with a done ctx = %v, want context.Canceled", err)
		}
		if err := <-flushed; !errors.Is(err, multi.ErrClosed) || !strings.Contains(err.Error(), "not written") {
			t.Fatalf("Flush = %v, want it to say its records were not written, wrapping multi.ErrClosed", err)
		}
		wantStats(t, b, Counters{Added: 3, Written: 2, Dropped: 1, Batches: 1})
	})
}

func TestConcurrentShutdownsWaitForTheFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{gate: make(chan struct{})}
		b := newBuffer(t, r.write, nil)
		add(t, b, "a")
		first, third := make(chan error, 1), make(chan error, 1)
		go func() { first <- b.Shutdown(context.Background()) }()
		synctest.Wait() // the first Shutdown waits for write([a])

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := b.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "shutdown under way") {
			t.Fatalf("second Shutdown with a 1s ctx = %v, want it to give up waiting for the first", err)
		}
		go func() { third <- b.Shutdown(context.Background()) }()
		synctest.Wait()
		select {
		case err := <-third:
			t.Fatalf("third Shutdown returned %v before the first finished", err)
		default:
		}
		close(r.gate)
		if err := <-first; err != nil {
			t.Fatalf("first Shutdown: %v", err)
		}
		if err := <-third; err != nil {
			t.Fatalf("third Shutdown: %v", err)
		}
		wantStats(t, b, Counters{Added: 1, Written: 1, Batches: 1})
	})
}

// TestShutdownStopsTheGoroutine checks, with the real scheduler, that no
// goroutine outlives Shutdown. (Every synctest test checks it too: a
// bubble whose goroutines do not all exit fails the test.)
func TestShutdownStopsTheGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for range 5 {
		b, err := New(func(context.Context, *Batch) {}, &Options{FlushInterval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for range 100 {
				_ = b.Add([]byte("x"))
			}
		})
		wg.Wait()
		if err := b.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		checkReconciled(t, b)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after Shutdown:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}

func TestShutdownWithADoneCtxLosesNothingWhenNothingIsPending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		b := newBuffer(t, r.write, nil)
		add(t, b, "a")
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the writer is idle
		done, cancel := context.WithCancel(context.Background())
		cancel()
		if err := b.Shutdown(done); err != nil {
			t.Fatalf("Shutdown of a drained buffer with a done ctx = %v, want nil", err)
		}
		wantStats(t, b, Counters{Added: 1, Written: 1, Batches: 1})
	})
}

func TestShutdownReportsACancelledWriteEvenWithNothingQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{gate: make(chan struct{})}
		b := newBuffer(t, r.write, &Options{BatchSize: 1})
		add(t, b, "a")
		synctest.Wait() // write has [a] and waits at the gate
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := b.Shutdown(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || err.Error() != "buffer: shutdown: cancelled the write in progress: context deadline exceeded" {
			t.Fatalf("Shutdown = %v, want it to say it cancelled the write in progress", err)
		}
		if r.cancelled != 1 {
			t.Fatalf("write saw its ctx cancelled %d times, want 1", r.cancelled)
		}
		wantStats(t, b, Counters{Added: 1, Written: 1, Batches: 1})
	})
}

func TestEmptyRecordIsARecord(t *testing.T) {
	r := &recorder{}
	b := newBuffer(t, r.write, &Options{BatchBytes: 1})
	add(t, b, "", "", "x", "")
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Empty records never reach BatchBytes; "x" does, and closes its batch.
	wantBatches(t, r, []string{"", "", "x"}, []string{""})
}
