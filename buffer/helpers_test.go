package buffer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a write function that keeps a copy of every batch it is
// handed. With a gate, each call waits, after recording its batch, until
// the test sends on the gate (or closes it), or until its ctx ends.
type recorder struct {
	gate chan struct{}

	mu        sync.Mutex
	batches   [][]string
	times     []time.Time
	cancelled int // calls whose ctx ended while they waited at the gate
}

func (r *recorder) write(ctx context.Context, b *Batch) {
	recs := records(b)
	r.mu.Lock()
	r.batches = append(r.batches, recs)
	r.times = append(r.times, time.Now())
	r.mu.Unlock()
	if r.gate == nil {
		return
	}
	select {
	case <-r.gate:
	case <-ctx.Done():
		r.mu.Lock()
		r.cancelled++
		r.mu.Unlock()
	}
}

// got returns the batches written so far.
func (r *recorder) got() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.batches)
}

// records copies the records of b, checking that Data agrees with them.
func records(b *Batch) []string {
	out := make([]string, b.Len())
	var joined strings.Builder
	for i := range out {
		out[i] = string(b.Record(i))
		joined.WriteString(out[i])
	}
	if got := string(b.Data()); got != joined.String() || len(got) != b.Bytes() {
		panic(fmt.Sprintf("Batch.Data() = %q (Bytes %d), want the records joined, %q", got, b.Bytes(), joined.String()))
	}
	return out
}

// recs returns the records "prefix0", "prefix1", ... up to n-1.
func recs(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprint(prefix, i))
	}
	return out
}

// drops collects OnDrop calls.
type drops struct {
	mu    sync.Mutex
	n     int
	calls int
	errs  []error
}

func (d *drops) onDrop(n int, err error) {
	d.mu.Lock()
	d.n += n
	d.calls++
	d.errs = append(d.errs, err)
	d.mu.Unlock()
}

func (d *drops) total() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n
}

// newBuffer builds a Buffer and registers a cleanup that shuts it down and
// checks that its counters reconcile: every record added is written,
// dropped, diverted or still queued, and nothing is queued after Shutdown.
func newBuffer(t *testing.T, write func(context.Context, *Batch), o *Options) *Buffer {
	t.Helper()
	b, err := New(write, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		// Bounded, so that a test failing with its writer at a gate does
		// not hang: Shutdown then cancels the write.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = b.Shutdown(ctx)
		checkReconciled(t, b)
	})
	return b
}

func checkReconciled(t *testing.T, b *Buffer) {
	t.Helper()
	c := b.Stats()
	if c.Queued < 0 || c.Added != c.Written+c.Dropped+c.Diverted+uint64(c.Queued) {
		t.Errorf("counters do not reconcile: %+v: Added != Written + Dropped + Diverted + Queued", c)
	}
	if c.QueuedBytes < 0 || c.Queued == 0 && c.QueuedBytes != 0 {
		t.Errorf("QueuedBytes = %d with Queued = %d (%+v)", c.QueuedBytes, c.Queued, c)
	}
	if b.isClosedAndStopped() && (c.Queued != 0 || c.QueuedBytes != 0) {
		t.Errorf("after Shutdown, Queued = %d and QueuedBytes = %d, want 0 (%+v)", c.Queued, c.QueuedBytes, c)
	}
}

func (b *Buffer) isClosedAndStopped() bool {
	select {
	case <-b.stopped:
		return true
	default:
		return false
	}
}

func add(t *testing.T, b *Buffer, rs ...string) {
	t.Helper()
	for _, r := range rs {
		if err := b.Add([]byte(r)); err != nil {
			t.Fatalf("Add(%q): %v", r, err)
		}
	}
}

func wantBatches(t *testing.T, r *recorder, want ...[]string) {
	t.Helper()
	got := r.got()
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("batches written:\n got %q\nwant %q", got, want)
	}
}

func wantStats(t *testing.T, b *Buffer, want Counters) {
	t.Helper()
	if got := b.Stats(); got != want {
		t.Fatalf("Stats:\n got %+v\nwant %+v", got, want)
	}
}

// elapse lets d pass on the synctest bubble's fake clock. Inside a bubble
// this returns as soon as every other goroutine is blocked: no real time
// passes.
func elapse(d time.Duration) { <-time.After(d) }
