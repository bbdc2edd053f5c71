package buffer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jinpy-utils/multi"
)

// sized returns a record that starts with name and is padded with dots to
// size bytes.
func sized(name string, size int) string {
	return name + strings.Repeat(".", size-len(name))
}

// kib returns 1 KiB records "r<i>...." for i in [from, to).
func kib(from, to int) []string {
	var out []string
	for _, n := range recs("r", from, to) {
		out = append(out, sized(n, 1<<10))
	}
	return out
}

// names returns the batches with the padding cut off each record.
func names(batches [][]string) [][]string {
	out := make([][]string, len(batches))
	for i, bt := range batches {
		for _, rec := range bt {
			out[i] = append(out[i], strings.TrimRight(rec, "."))
		}
	}
	return out
}

func wantNames(t *testing.T, r *recorder, want ...[]string) {
	t.Helper()
	if got := names(r.got()); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("batches written:\n got %q\nwant %q", got, want)
	}
}

// returned reports whether the Add running in the background has returned,
// and with what.
func returned(done chan error) (error, bool) {
	select {
	case err := <-done:
		return err, true
	default:
		return nil, false
	}
}

// fillBytesBehindBlockedWriter builds a buffer bounded at 10 KiB (the
// count bound, 100, is never reached) whose batches close at 4 KiB, with
// its writer stuck on [r0..r3] and the queue full with 10 1-KiB records:
// [r4..r7] [r8..r11] queued and [r12 r13] open. Call it inside a synctest
// bubble.
func fillBytesBehindBlockedWriter(t *testing.T, o *Options) (*Buffer, *recorder) {
	t.Helper()
	r := &recorder{gate: make(chan struct{})}
	o.QueueSize, o.QueueBytes, o.BatchBytes = 100, 10<<10, 4<<10
	b := newBuffer(t, r.write, o)
	add(t, b, kib(0, 4)...)
	synctest.Wait() // the writer has [r0..r3] and waits at the gate
	add(t, b, kib(4, 14)...)
	wantNames(t, r, recs("r", 0, 4))
	wantStats(t, b, Counters{Added: 14, Written: 4, Queued: 10, QueuedBytes: 10 << 10, Batches: 1})
	return b, r
}

func TestQueueBytesBlockWaitsForRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, r := fillBytesBehindBlockedWriter(t, &Options{OnFull: Block})
		done := make(chan error, 1)
		go func() { done <- b.Add([]byte(kib(14, 15)[0])) }()
		synctest.Wait()
		if err, ok := returned(done); ok {
			t.Fatalf("Add past QueueBytes returned %v, want it to wait", err)
		}
		wantStats(t, b, Counters{Added: 14, Written: 4, Queued: 10, QueuedBytes: 10 << 10, Batches: 1})

		r.gate <- struct{}{} // [r0..r3] done; the writer takes [r4..r7]
		if err := <-done; err != nil {
			t.Fatalf("Add after room was made: %v", err)
		}
		wantStats(t, b, Counters{Added: 15, Written: 8, Queued: 7, QueuedBytes: 7 << 10, Batches: 2})
		close(r.gate)
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantNames(t, r, recs("r", 0, 4), recs("r", 4, 8), recs("r", 8, 12), recs("r", 12, 15))
		wantStats(t, b, Counters{Added: 15, Written: 15, Batches: 4})
	})
}

// A large record that waits is not overtaken by small ones that would fit
// sooner: the oldest waiter's room is reserved, and others get in only
// when there is room for it and for them.
func TestQueueBytesBlockReservesRoomForTheOldestWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, r := fillBytesBehindBlockedWriter(t, &Options{OnFull: Block})
		big, small := make(chan error, 1), make(chan error, 1)
		go func() { big <- b.Add([]byte(sized("B", 5<<10))) }()
		synctest.Wait()
		go func() { small <- b.Add([]byte(sized("s", 1<<10))) }()
		synctest.Wait()

		r.gate <- struct{}{} // the writer takes [r4..r7]: 4 KiB free, B needs 5
		synctest.Wait()
		if err, ok := returned(big); ok {
			t.Fatalf("5 KiB Add with 4 KiB free returned %v, want it to wait", err)
		}
		if err, ok := returned(small); ok {
			t.Fatalf("1 KiB Add behind a waiting 5 KiB one returned %v with room for only one of them, want it to wait", err)
		}
		// Still no room for both: a new Add waits too.
		late := make(chan error, 1)
		go func() { late <- b.Add([]byte("l")) }()
		synctest.Wait()
		if err, ok := returned(late); ok {
			t.Fatalf("new 1-byte Add with a 5 KiB one waiting for room returned %v, want it to wait", err)
		}
		r.gate <- struct{}{} // the writer takes [r8..r11]: 8 KiB free, room for all
		if err := <-big; err != nil {
			t.Fatal(err)
		}
		if err := <-small; err != nil {
			t.Fatal(err)
		}
		if err := <-late; err != nil {
			t.Fatal(err)
		}
		close(r.gate)
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		// Once there is room for all, the order among them is free; B is
		// larger than BatchBytes, so it is alone in its batch.
		got := names(r.got())
		if !slices.EqualFunc(got[:3], [][]string{recs("r", 0, 4), recs("r", 4, 8), recs("r", 8, 12)}, slices.Equal) {
			t.Fatalf("batches written: %q, want [r0..r3] [r4..r7] [r8..r11] first", got)
		}
		var rest []string
		for _, bt := range got[3:] {
			if slices.Contains(bt, "B") && len(bt) != 1 {
				t.Fatalf("B shares a batch: %q", got)
			}
			rest = append(rest, bt...)
		}
		slices.Sort(rest)
		if !slices.Equal(rest, []string{"B", "l", "r12", "r13", "s"}) {
			t.Fatalf("batches written: %q, want r12 r13 B s l after [r8..r11]", got)
		}
		if c := b.Stats(); c.Added != 17 || c.Written != 17 || c.Queued != 0 {
			t.Fatalf("Stats %+v, want 17 added and written", c)
		}
	})
}

func TestQueueBytesDropNewest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &drops{}
		b, r := fillBytesBehindBlockedWriter(t, &Options{OnFull: DropNewest, OnDrop: d.onDrop})
		// Even a 1-byte record does not fit in a queue holding QueueBytes.
		for _, rec := range []string{kib(14, 15)[0], "x"} {
			err := b.Add([]byte(rec))
			if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "10240 bytes") || !strings.Contains(err.Error(), "drop-newest") {
				t.Fatalf("Add of %d bytes past QueueBytes = %v, want ErrFull naming 10240 bytes and drop-newest", len(rec), err)
			}
		}
		if d.n != 2 || d.calls != 2 {
			t.Fatalf("OnDrop got %d records in %d calls, want 2 in 2", d.n, d.calls)
		}
		wantStats(t, b, Counters{Added: 16, Written: 4, Dropped: 2, Queued: 10, QueuedBytes: 10 << 10, Batches: 1})
		r.gate <- struct{}{}
		synctest.Wait() // the writer has taken [r4..r7]: 4 KiB free
		add(t, b, kib(16, 20)...)
		if err := b.Add([]byte("y")); !errors.Is(err, ErrFull) {
			t.Fatalf("Add with the queue full again = %v, want ErrFull", err)
		}
		close(r.gate)
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantNames(t, r, recs("r", 0, 4), recs("r", 4, 8), recs("r", 8, 12), []string{"r12", "r13", "r16", "r17"}, recs("r", 18, 20))
		wantStats(t, b, Counters{Added: 21, Written: 18, Dropped: 3, Batches: 5})
	})
}

// DropOldest drops as many of the oldest records as the new record's bytes
// need, and no more.
func TestQueueBytesDropOldestDropsOnlyWhatIsNeeded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &drops{}
		b, r := fillBytesBehindBlockedWriter(t, &Options{OnFull: DropOldest, OnDrop: d.onDrop})
		add(t, b, sized("D", 3<<10)) // drops r4 r5 r6
		if d.n != 3 || d.calls != 1 || !errors.Is(d.errs[0], ErrFull) || !strings.Contains(d.errs[0].Error(), "drop-oldest") {
			t.Fatalf("OnDrop got %d records in %d calls (%v), want 3 in one call with ErrFull naming drop-oldest", d.n, d.calls, d.errs)
		}
		wantStats(t, b, Counters{Added: 15, Written: 4, Dropped: 3, Queued: 8, QueuedBytes: 10 << 10, Batches: 1})
		add(t, b, kib(14, 15)...) // drops r7, which empties the oldest batch
		wantStats(t, b, Counters{Added: 16, Written: 4, Dropped: 4, Queued: 8, QueuedBytes: 10 << 10, Batches: 1})
		close(r.gate)
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantNames(t, r, recs("r", 0, 4), recs("r", 8, 12), recs("r", 12, 14), []string{"D", "r14"})
		wantStats(t, b, Counters{Added: 16, Written: 12, Dropped: 4, Batches: 4})
	})
}

// Divert hands over as many of the oldest batches as the new record's
// bytes need, the open batch included when it is all that is left.
func TestQueueBytesDivertsTheOldestBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var diverted [][]string
		overflow := func(bt *Batch) error {
			diverted = append(diverted, records(bt))
			return nil
		}
		b, r := fillBytesBehindBlockedWriter(t, &Options{OnFull: Divert, Overflow: overflow})
		add(t, b, kib(14, 15)...) // diverts [r4..r7]
		if got := names(diverted); !slices.EqualFunc(got, [][]string{recs("r", 4, 8)}, slices.Equal) {
			t.Fatalf("Overflow got %q, want [r4..r7]", got)
		}
		// 7 KiB held, [r8..r11] queued, [r12 r13 r14] open: an 8 KiB record
		// needs both diverted.
		add(t, b, sized("E", 8<<10))
		if got := names(diverted); !slices.EqualFunc(got, [][]string{recs("r", 4, 8), recs("r", 8, 12), recs("r", 12, 15)}, slices.Equal) {
			t.Fatalf("Overflow got %q, want [r4..r7] [r8..r11] [r12..r14]", got)
		}
		wantStats(t, b, Counters{Added: 16, Written: 4, Diverted: 11, Queued: 1, QueuedBytes: 8 << 10, Batches: 1})
		close(r.gate)
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantNames(t, r, recs("r", 0, 4), []string{"E"})
		wantStats(t, b, Counters{Added: 16, Written: 5, Diverted: 11, Batches: 2})
	})
}

// A record larger than QueueBytes is accepted into an empty queue, and
// then held alone: every policy makes the queue empty for it as it would
// make room for any record, and it leaves no room for another.
func TestQueueBytesRecordLargerThanTheQueue(t *testing.T) {
	huge := sized("X", 12<<10)
	t.Run("empty queue, every policy", func(t *testing.T) {
		for _, p := range []Policy{Block, DropNewest, DropOldest, Divert} {
			synctest.Test(t, func(t *testing.T) {
				r := &recorder{}
				o := &Options{QueueBytes: 10 << 10, OnFull: p}
				if p == Divert {
					o.Overflow = func(*Batch) error { return errors.New("unexpected divert") }
				}
				b := newBuffer(t, r.write, o)
				add(t, b, huge)
				synctest.Wait() // the writer has taken [X]
				add(t, b, "a")
				if err := b.Flush(context.Background()); err != nil {
					t.Fatal(err)
				}
				wantNames(t, r, []string{"X"}, []string{"a"})
				wantStats(t, b, Counters{Added: 2, Written: 2, Batches: 2})
			})
		}
	})
	t.Run("block waits for the queue to empty", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := &recorder{gate: make(chan struct{})}
			b := newBuffer(t, r.write, &Options{QueueBytes: 10 << 10, BatchSize: 2, OnFull: Block})
			add(t, b, "a", "b")
			synctest.Wait() // the writer has [a b]
			add(t, b, "c")  // open, and all the queue holds
			big := make(chan error, 1)
			go func() { big <- b.Add([]byte(huge)) }()
			synctest.Wait()
			if err, ok := returned(big); ok {
				t.Fatalf("Add of a record larger than QueueBytes into a non-empty queue returned %v, want it to wait", err)
			}
			// Once the writer is free it takes [c] at once, not at the
			// FlushInterval: the waiting Add closed the open batch.
			r.gate <- struct{}{}
			synctest.Wait()
			if err, ok := returned(big); !ok || err != nil {
				t.Fatalf("Add of a record larger than QueueBytes into an empty queue: returned %v, %v; want accepted", ok, err)
			}
			wantStats(t, b, Counters{Added: 4, Written: 3, Queued: 1, QueuedBytes: 12 << 10, Batches: 2})
			// While X is held, nothing else fits.
			small := make(chan error, 1)
			go func() { small <- b.Add([]byte("d")) }()
			synctest.Wait()
			if err, ok := returned(small); ok {
				t.Fatalf("Add while a record larger than QueueBytes is held returned %v, want it to wait", err)
			}
			r.gate <- struct{}{} // the writer takes [X]
			if err := <-small; err != nil {
				t.Fatal(err)
			}
			close(r.gate)
			if err := b.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			wantNames(t, r, []string{"a", "b"}, []string{"c"}, []string{"X"}, []string{"d"})
			wantStats(t, b, Counters{Added: 5, Written: 5, Batches: 4})
		})
	})
	t.Run("drop-newest refuses it unless the queue is empty", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := &recorder{gate: make(chan struct{})}
			b := newBuffer(t, r.write, &Options{QueueBytes: 10 << 10, BatchSize: 1, OnFull: DropNewest})
			add(t, b, "a", "b")
			synctest.Wait() // the writer has [a]; [b] is queued
			if err := b.Add([]byte(huge)); !errors.Is(err, ErrFull) {
				t.Fatalf("Add of a record larger than QueueBytes into a non-empty queue = %v, want ErrFull", err)
			}
			r.gate <- struct{}{}
			synctest.Wait() // the writer has [b]; the queue is empty
			add(t, b, huge)
			if err := b.Add([]byte("c")); !errors.Is(err, ErrFull) {
				t.Fatalf("Add while a record larger than QueueBytes is held = %v, want ErrFull", err)
			}
			close(r.gate)
			if err := b.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			wantNames(t, r, []string{"a"}, []string{"b"}, []string{"X"})
			wantStats(t, b, Counters{Added: 5, Written: 3, Dropped: 2, Batches: 3})
		})
	})
	t.Run("drop-oldest drops every record held", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := &drops{}
			b, r := fillBytesBehindBlockedWriter(t, &Options{OnFull: DropOldest, OnDrop: d.onDrop})
			add(t, b, huge) // drops r4..r13, the open batch's r12 r13 too
			if d.n != 10 || d.calls != 1 {
				t.Fatalf("OnDrop got %d records in %d calls, want 10 in 1", d.n, d.calls)
			}
			wantStats(t, b, Counters{Added: 15, Written: 4, Dropped: 10, Queued: 1, QueuedBytes: 12 << 10, Batches: 1})
			close(r.gate)
			if err := b.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			wantNames(t, r, recs("r", 0, 4), []string{"X"})
		})
	})
	t.Run("divert diverts every queued batch", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var diverted []string
			overflow := func(bt *Batch) error {
				for _, rec := range records(bt) {
					diverted = append(diverted, strings.TrimRight(rec, "."))
				}
				return nil
			}
			b, r := fillBytesBehindBlockedWriter(t, &Options{OnFull: Divert, Overflow: overflow})
			add(t, b, huge)
			if got := strings.Join(diverted, " "); got != strings.Join(recs("r", 4, 14), " ") {
				t.Fatalf("Overflow got %q, want r4..r13", got)
			}
			wantStats(t, b, Counters{Added: 15, Written: 4, Diverted: 10, Queued: 1, QueuedBytes: 12 << 10, Batches: 1})
			close(r.gate)
			if err := b.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			wantNames(t, r, recs("r", 0, 4), []string{"X"})
		})
	})
}

// Flush and Shutdown with a byte-bound queue: Flush waits for what was
// added before it, Shutdown wakes an Add waiting for bytes, and the bytes
// Shutdown drops leave the gauge at zero.
func TestQueueBytesFlushAndShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &drops{}
		b, r := fillBytesBehindBlockedWriter(t, &Options{OnFull: Block, OnDrop: d.onDrop})
		flushed := make(chan error, 1)
		go func() { flushed <- b.Flush(context.Background()) }()
		waiting := make(chan error, 1)
		go func() { waiting <- b.Add([]byte(kib(14, 15)[0])) }()
		synctest.Wait()
		if err, ok := returned(flushed); ok {
			t.Fatalf("Flush returned %v with records pending, want it to wait", err)
		}
		r.gate <- struct{}{} // the writer takes [r4..r7]: room for r14
		if err := <-waiting; err != nil {
			t.Fatal(err)
		}
		r.gate <- struct{}{} // [r8..r11]
		r.gate <- struct{}{} // [r12 r13], closed by the Flush
		synctest.Wait()
		if err, ok := returned(flushed); ok {
			t.Fatalf("Flush returned %v while write had the last batch added before it, want it to wait", err)
		}
		r.gate <- struct{}{} // [r12 r13] written; r14, added after the Flush, is still open
		if err := <-flushed; err != nil {
			t.Fatalf("Flush: %v", err)
		}
		wantNames(t, r, recs("r", 0, 4), recs("r", 4, 8), recs("r", 8, 12), recs("r", 12, 14))
		wantStats(t, b, Counters{Added: 15, Written: 14, Queued: 1, QueuedBytes: 1 << 10, Batches: 4})

		// The writer gets stuck on [r14..r17]; the queue fills again and one
		// more Add waits for bytes.
		add(t, b, kib(15, 18)...)
		synctest.Wait()
		add(t, b, kib(18, 28)...)
		go func() { waiting <- b.Add([]byte(kib(28, 29)[0])) }()
		synctest.Wait()
		if err, ok := returned(waiting); ok {
			t.Fatalf("Add past QueueBytes returned %v, want it to wait", err)
		}
		wantStats(t, b, Counters{Added: 28, Written: 18, Queued: 10, QueuedBytes: 10 << 10, Batches: 5})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		shut := make(chan error, 1)
		go func() { shut <- b.Shutdown(ctx) }()
		if err := <-waiting; !errors.Is(err, multi.ErrClosed) {
			t.Fatalf("Add waiting for bytes returned %v at Shutdown, want multi.ErrClosed", err)
		}
		if err := <-shut; !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "dropped 10 queued records") {
			t.Fatalf("Shutdown = %v, want it to drop the 10 queued records at its deadline (the writer is stuck)", err)
		}
		wantStats(t, b, Counters{Added: 29, Written: 18, Dropped: 11, Batches: 5})
		if d.total() != 11 {
			t.Fatalf("OnDrop told of %d records, want 11", d.total())
		}
	})
}
