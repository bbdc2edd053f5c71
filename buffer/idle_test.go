package buffer

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Under DropNewest, a queue full by bytes can be full with the writer idle:
// the open batch holds the bytes, and nothing closes it before
// FlushInterval. Refusing a record must still close it, so that the writer
// makes room at once and the next record is not refused for a whole
// interval while the writer sits idle.
func TestDropNewestFullByBytesLetsTheIdleWriterMakeRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		d := &drops{}
		b := newBuffer(t, r.write, &Options{QueueBytes: 100, FlushInterval: time.Hour, OnFull: DropNewest, OnDrop: d.onDrop})
		add(t, b, sized("a", 60)) // open, and all the queue holds
		if err := b.Add([]byte(sized("b", 60))); !errors.Is(err, ErrFull) {
			t.Fatalf("Add past QueueBytes = %v, want ErrFull", err)
		}
		synctest.Wait() // no time passes: the writer had better have [a] by now
		wantNames(t, r, []string{"a"})
		if err := b.Add([]byte(sized("c", 60))); err != nil {
			t.Fatalf("Add once the idle writer could have taken the open batch = %v, want it accepted", err)
		}
		wantStats(t, b, Counters{Added: 3, Written: 1, Dropped: 1, Queued: 1, QueuedBytes: 60, Batches: 1})
		if d.total() != 1 || !strings.Contains(d.errs[0].Error(), "drop-newest") {
			t.Fatalf("OnDrop got %d records (%v), want b", d.total(), d.errs)
		}
	})
}
