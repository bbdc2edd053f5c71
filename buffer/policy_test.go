package buffer

import (
	"bytes"
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

// fillBehindBlockedWriter builds a buffer of BatchSize 2 and QueueSize 4
// whose writer is stuck on its first batch [r0 r1], then fills the queue
// with [r2 r3] [r4 r5]. Call it inside a synctest bubble.
func fillBehindBlockedWriter(t *testing.T, o *Options) (*Buffer, *recorder) {
	t.Helper()
	r := &recorder{gate: make(chan struct{})}
	o.BatchSize, o.QueueSize = 2, 4
	b := newBuffer(t, r.write, o)
	add(t, b, "r0", "r1")
	synctest.Wait() // the writer has [r0 r1] and waits at the gate
	add(t, b, "r2", "r3", "r4", "r5")
	wantBatches(t, r, []string{"r0", "r1"})
	wantStats(t, b, Counters{Added: 6, Written: 2, Queued: 4, Batches: 1, QueuedBytes: 8})
	return b, r
}

func TestBlockWaitsForRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, r := fillBehindBlockedWriter(t, &Options{OnFull: Block})
		done := make(chan error, 1)
		go func() { done <- b.Add([]byte("r6")) }()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Add on a full queue returned %v, want it to wait", err)
		default:
		}
		// A blocked Add is not counted until it is accepted or refused.
		wantStats(t, b, Counters{Added: 6, Written: 2, Queued: 4, Batches: 1, QueuedBytes: 8})

		r.gate <- struct{}{} // [r0 r1] done; the writer takes [r2 r3]
		if err := <-done; err != nil {
			t.Fatalf("Add after room was made: %v", err)
		}
		close(r.gate)
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantBatches(t, r, []string{"r0", "r1"}, []string{"r2", "r3"}, []string{"r4", "r5"}, []string{"r6"})
		wantStats(t, b, Counters{Added: 7, Written: 7, Batches: 4})
	})
}

func TestBlockedAddReturnsErrClosedAtShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &drops{}
		b, r := fillBehindBlockedWriter(t, &Options{OnFull: Block, OnDrop: d.onDrop})
		done := make(chan error, 1)
		go func() { done <- b.Add([]byte("r6")) }()
		synctest.Wait()

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		shut := make(chan error, 1)
		go func() { shut <- b.Shutdown(ctx) }()
		// The blocked Add is refused at once, before Shutdown's ctx ends.
		if err := <-done; !errors.Is(err, multi.ErrClosed) {
			t.Fatalf("blocked Add returned %v at Shutdown, want an error wrapping multi.ErrClosed", err)
		}
		// The writer ignores everything but its ctx: Shutdown gives up after
		// 1s, cancels it, and drops the 4 records still queued.
		err := <-shut
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "dropped 4 queued records") {
			t.Fatalf("Shutdown = %v, want it to say it dropped 4 queued records and wrap context.DeadlineExceeded", err)
		}
		if r.cancelled != 1 {
			t.Fatalf("the write in progress saw its ctx cancelled %d times, want 1", r.cancelled)
		}
		wantBatches(t, r, []string{"r0", "r1"})
		wantStats(t, b, Counters{Added: 7, Written: 2, Dropped: 5, Batches: 1})
		if d.total() != 5 || d.calls != 2 || !errors.Is(d.errs[0], multi.ErrClosed) || !errors.Is(d.errs[1], context.DeadlineExceeded) {
			t.Fatalf("OnDrop got %d records in %d calls (%v), want 1 for ErrClosed then 4 for the deadline", d.n, d.calls, d.errs)
		}
	})
}

func TestDropNewestRefusesTheNewRecord(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &drops{}
		b, r := fillBehindBlockedWriter(t, &Options{OnFull: DropNewest, OnDrop: d.onDrop})
		for _, rec := range []string{"r6", "r7"} {
			err := b.Add([]byte(rec))
			if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "drop-newest") {
				t.Fatalf("Add(%s) on a full queue = %v, want ErrFull naming drop-newest", rec, err)
			}
		}
		if d.n != 2 || d.calls != 2 || !errors.Is(d.errs[0], ErrFull) {
			t.Fatalf("OnDrop got %d records in %d calls (%v), want 2 in 2 calls with ErrFull", d.n, d.calls, d.errs)
		}
		r.gate <- struct{}{}
		synctest.Wait() // the writer has taken [r2 r3]: room for two
		add(t, b, "r8")
		close(r.gate)
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantBatches(t, r, []string{"r0", "r1"}, []string{"r2", "r3"}, []string{"r4", "r5"}, []string{"r8"})
		wantStats(t, b, Counters{Added: 9, Written: 7, Dropped: 2, Batches: 4})
	})
}

func TestDropOldestDropsRecordsNotBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &drops{}
		b, r := fillBehindBlockedWriter(t, &Options{OnFull: DropOldest, OnDrop: d.onDrop})
		// r6 drops r2 (the batch in write, [r0 r1], is never touched), r7
		// drops r3, which empties that batch, r8 drops r4.
		add(t, b, "r6")
		wantStats(t, b, Counters{Added: 7, Written: 2, Dropped: 1, Queued: 4, Batches: 1, QueuedBytes: 8})
		add(t, b, "r7", "r8")
		if d.n != 3 || d.calls != 3 || !errors.Is(d.errs[2], ErrFull) || !strings.Contains(d.errs[2].Error(), "drop-oldest") {
			t.Fatalf("OnDrop got %d records in %d calls (%v), want 3 in 3 calls with ErrFull naming drop-oldest", d.n, d.calls, d.errs)
		}
		close(r.gate)
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantBatches(t, r, []string{"r0", "r1"}, []string{"r5"}, []string{"r6", "r7"}, []string{"r8"})
		wantStats(t, b, Counters{Added: 9, Written: 6, Dropped: 3, Batches: 4})
	})
}

// goid returns the current goroutine's id, to tell whose goroutine a
// callback ran on.
func goid() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	f := bytes.Fields(buf)
	return string(f[1])
}

func TestDivertHandsTheOldestBatchToOverflowOnTheCallersGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu       sync.Mutex
			diverted [][]string
			where    []string
		)
		overflow := func(bt *Batch) error {
			mu.Lock()
			defer mu.Unlock()
			diverted = append(diverted, records(bt))
			where = append(where, goid())
			if len(diverted) == 2 {
				return errors.New("disk full")
			}
			return nil
		}
		d := &drops{}
		b, r := fillBehindBlockedWriter(t, &Options{OnFull: Divert, Overflow: overflow, OnDrop: d.onDrop})
		add(t, b, "r6") // diverts [r2 r3]; r6 opens a batch
		add(t, b, "r7") // [r6 r7] closes: queue [r4 r5] [r6 r7]
		add(t, b, "r8") // diverts [r4 r5], which Overflow refuses
		me := goid()
		if len(where) != 2 || where[0] != me || where[1] != me {
			t.Fatalf("Overflow ran on goroutines %v, want both on the caller's, %s", where, me)
		}
		if got := diverted; len(got) != 2 || strings.Join(got[0], " ") != "r2 r3" || strings.Join(got[1], " ") != "r4 r5" {
			t.Fatalf("Overflow got %q, want [r2 r3] then [r4 r5]", got)
		}
		if d.n != 2 || d.calls != 1 || !strings.Contains(d.errs[0].Error(), "disk full") {
			t.Fatalf("OnDrop got %d records in %d calls (%v), want the 2 records Overflow refused, with its error", d.n, d.calls, d.errs)
		}
		wantStats(t, b, Counters{Added: 9, Written: 2, Diverted: 2, Dropped: 2, Queued: 3, Batches: 1, QueuedBytes: 6})
		close(r.gate)
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantBatches(t, r, []string{"r0", "r1"}, []string{"r6", "r7"}, []string{"r8"})
		wantStats(t, b, Counters{Added: 9, Written: 5, Diverted: 2, Dropped: 2, Batches: 3})
	})
}

func TestDivertSurvivesAPanickingOverflow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		overflow := func(bt *Batch) error {
			calls++
			if calls == 1 {
				panic("spool bug")
			}
			return nil
		}
		d := &drops{}
		b, r := fillBehindBlockedWriter(t, &Options{OnFull: Divert, Overflow: overflow, OnDrop: d.onDrop})
		add(t, b, "r6", "r7", "r8") // two diverts: the first panics
		if calls != 2 || d.n != 2 || !strings.Contains(d.errs[0].Error(), "Overflow panicked: spool bug") {
			t.Fatalf("Overflow called %d times, OnDrop got %d records (%v), want 2 calls and the panicking batch's 2 records dropped", calls, d.n, d.errs)
		}
		wantStats(t, b, Counters{Added: 9, Written: 2, Diverted: 2, Dropped: 2, Queued: 3, Batches: 1, QueuedBytes: 6})
		close(r.gate)
	})
}

func TestShutdownDivertsWhatItCannotDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var diverted []string
		overflow := func(bt *Batch) error {
			diverted = append(diverted, records(bt)...)
			return nil
		}
		b, r := fillBehindBlockedWriter(t, &Options{OnFull: Divert, Overflow: overflow})
		add(t, b, "r6") // diverts [r2 r3]; r6 is in the open batch
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := b.Shutdown(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "diverted 3 queued records") {
			t.Fatalf("Shutdown = %v, want it to say it diverted 3 records and wrap context.DeadlineExceeded", err)
		}
		if got := strings.Join(diverted, " "); got != "r2 r3 r4 r5 r6" {
			t.Fatalf("Overflow got %q, want r2 r3 r4 r5 r6, oldest first", got)
		}
		wantBatches(t, r, []string{"r0", "r1"})
		wantStats(t, b, Counters{Added: 7, Written: 2, Diverted: 5, Batches: 1})
	})
}

// A queue full by bytes refuses a record that does not fit without the
// lock, and still takes a smaller one that fits the room it has left.
func TestDropNewestFullByBytesTakesWhatFits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &drops{}
		r := &recorder{gate: make(chan struct{})}
		b := newBuffer(t, r.write, &Options{OnFull: DropNewest, OnDrop: d.onDrop, BatchSize: 2, QueueBytes: 10})
		add(t, b, "r0", "r1")
		synctest.Wait()                   // the writer has [r0 r1] and waits at the gate
		add(t, b, "r2", "r3", "r4", "r5") // 8 of 10 bytes
		for range 3 {
			// The first refusal takes the lock and marks the queue full;
			// the next two are refused on the lock-free path.
			if err := b.Add([]byte("big")); !errors.Is(err, ErrFull) {
				t.Fatalf("Add(big) with 2 bytes free = %v, want ErrFull", err)
			}
		}
		add(t, b, "x") // fits the 2 bytes left
		if err := b.Add([]byte("yy")); !errors.Is(err, ErrFull) {
			t.Fatalf("Add(yy) with 1 byte free = %v, want ErrFull", err)
		}
		close(r.gate)
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		add(t, b, "big") // room again once the writer took the queue
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if d.n != 4 {
			t.Fatalf("dropped %d records, want 4", d.n)
		}
		wantStats(t, b, Counters{Added: 12, Written: 8, Dropped: 4, Batches: 5})
	})
}
