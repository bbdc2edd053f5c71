package buffer

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestBatchClosesAtBatchSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		b := newBuffer(t, r.write, &Options{BatchSize: 3})
		add(t, b, recs("r", 0, 7)...)
		synctest.Wait()
		wantBatches(t, r, recs("r", 0, 3), recs("r", 3, 6))
		wantStats(t, b, Counters{Added: 7, Written: 6, Queued: 1, Batches: 2, QueuedBytes: 2})
	})
}

func TestBatchClosesAtBatchBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		b := newBuffer(t, r.write, &Options{BatchBytes: 10})
		// 4-byte records: a third would make 12 bytes, past 10, so it
		// opens the next batch.
		add(t, b, "aaa0", "aaa1", "aaa2", "aaa3", "aaa4")
		// 4+6 is exactly 10: the batch closes on reaching BatchBytes.
		add(t, b, "bbbbb5", "c6")
		synctest.Wait()
		wantBatches(t, r,
			[]string{"aaa0", "aaa1"},
			[]string{"aaa2", "aaa3"},
			[]string{"aaa4", "bbbbb5"})
		wantStats(t, b, Counters{Added: 7, Written: 6, Queued: 1, Batches: 3, QueuedBytes: 2})
	})
}

func TestRecordLargerThanBatchBytesGoesAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		b := newBuffer(t, r.write, &Options{BatchBytes: 10})
		big := strings.Repeat("x", 25)
		add(t, b, "ab", big, "cd", big, big)
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantBatches(t, r, []string{"ab"}, []string{big}, []string{"cd"}, []string{big}, []string{big})
	})
}

func TestIntervalCountsFromTheBatchsFirstRecord(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		b := newBuffer(t, r.write, &Options{FlushInterval: time.Second})
		elapse(5 * time.Second) // an idle buffer writes nothing
		start := time.Now()
		add(t, b, "a")
		elapse(600 * time.Millisecond)
		add(t, b, "b") // does not restart the clock
		elapse(399 * time.Millisecond)
		synctest.Wait()
		wantBatches(t, r)
		elapse(time.Millisecond)
		synctest.Wait()
		wantBatches(t, r, []string{"a", "b"})
		if at := r.times[0].Sub(start); at != time.Second {
			t.Fatalf("batch written %v after its first record, want 1s", at)
		}

		// The next batch has its own clock, started by its first record.
		elapse(250 * time.Millisecond)
		add(t, b, "c")
		elapse(999 * time.Millisecond)
		synctest.Wait()
		wantBatches(t, r, []string{"a", "b"})
		elapse(time.Millisecond)
		synctest.Wait()
		wantBatches(t, r, []string{"a", "b"}, []string{"c"})
		if at := r.times[1].Sub(start); at != 2250*time.Millisecond {
			t.Fatalf("second batch written at +%v, want +2.25s", at)
		}
	})
}

func TestBatchClosedBySizeDoesNotShortenTheNextInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		b := newBuffer(t, r.write, &Options{BatchSize: 2, FlushInterval: time.Second})
		start := time.Now()
		add(t, b, "a", "b") // closed by size at once; its timer is stale
		elapse(500 * time.Millisecond)
		add(t, b, "c")
		elapse(900 * time.Millisecond) // past the first batch's deadline
		synctest.Wait()
		wantBatches(t, r, []string{"a", "b"})
		elapse(100 * time.Millisecond)
		synctest.Wait()
		wantBatches(t, r, []string{"a", "b"}, []string{"c"})
		if at := r.times[1].Sub(start); at != 1500*time.Millisecond {
			t.Fatalf("second batch written at +%v, want +1.5s", at)
		}
	})
}

func TestFlushClosesTheOpenBatchAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		b := newBuffer(t, r.write, &Options{FlushInterval: time.Hour})
		start := time.Now()
		add(t, b, "a", "b", "c")
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("Flush took %v of fake time, want 0", d)
		}
		wantBatches(t, r, []string{"a", "b", "c"})
		// Flushing an empty buffer returns at once.
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantStats(t, b, Counters{Added: 3, Written: 3, Batches: 1})
	})
}

func TestAddCopiesTheRecord(t *testing.T) {
	r := &recorder{}
	b := newBuffer(t, r.write, nil)
	rec := []byte("hello")
	add(t, b, string(rec))
	if err := b.Add(rec); err != nil {
		t.Fatal(err)
	}
	copy(rec, "HELLO")
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantBatches(t, r, []string{"hello", "hello"})
}

func TestBatchRecordCannotOverwriteItsNeighbour(t *testing.T) {
	var second string
	b := newBuffer(t, func(_ context.Context, bt *Batch) {
		r0 := bt.Record(0)
		_ = append(r0, "XXXX"...) // must reallocate, not write into record 1
		d := bt.Data()
		_ = append(d, "YYYY"...) // must not write past the batch
		second = string(bt.Record(1))
	}, nil)
	add(t, b, "one", "two")
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if second != "two" {
		t.Fatalf("record 1 = %q after appending to record 0, want %q", second, "two")
	}
}

func TestBatchRecordOutOfRangePanics(t *testing.T) {
	var recovered []any
	b := newBuffer(t, func(_ context.Context, bt *Batch) {
		for _, i := range []int{-1, bt.Len()} {
			func() {
				defer func() { recovered = append(recovered, recover()) }()
				bt.Record(i)
			}()
		}
	}, nil)
	add(t, b, "only")
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(recovered) != 2 || recovered[0] == nil || recovered[1] == nil {
		t.Fatalf("Record(-1) and Record(Len()) recovered %v, want two panics", recovered)
	}
}

func TestBatchesAreRecycled(t *testing.T) {
	seen := map[*Batch]bool{}
	b := newBuffer(t, func(_ context.Context, bt *Batch) { seen[bt] = true }, &Options{BatchSize: 4})
	for i := range 1000 {
		add(t, b, recs("r", i, i+1)...)
		if i%10 == 0 {
			if err := b.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Serial Adds and Flushes never hold more than the open batch, one
	// queued and one being written.
	if len(seen) > 3 {
		t.Fatalf("write saw %d distinct batches over 1000 records, want at most 3 (recycled)", len(seen))
	}
	wantStats(t, b, Counters{Added: 1000, Written: 1000, Batches: 301}) // 1, then 3 for every 10 records
}
