package buffer

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
)

// streams collects, per producer, the sequence numbers that reached a
// callback, in the order they arrived.
type streams struct {
	mu  sync.Mutex
	got [][]int
}

func (s *streams) take(bt *Batch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range bt.Len() {
		var p, n int
		if _, err := fmt.Sscanf(string(bt.Record(i)), "p%d n%d ", &p, &n); err != nil {
			panic(fmt.Sprintf("record %q: %v", bt.Record(i), err))
		}
		s.got[p] = append(s.got[p], n)
	}
}

// TestHammer runs 16 producers against every policy while two goroutines
// Flush over and over and a Shutdown lands halfway through. Every record
// must end up exactly once in one of: written, diverted, refused by Add, or
// (DropOldest only) dropped to make room, each stream in the producer's
// order, and the counters must agree with what was seen.
//
// Under "bytes", the queue is bounded by QueueBytes alone (1 KiB, while
// 256 records take at least 2 KiB), records vary in size, and one in 500
// is larger than QueueBytes.
func TestHammer(t *testing.T) {
	for _, bound := range []string{"records", "bytes"} {
		for _, p := range []Policy{Block, DropNewest, DropOldest, Divert} {
			t.Run(bound+"/"+p.String(), func(t *testing.T) { hammer(t, p, bound == "bytes") })
		}
	}
}

func hammer(t *testing.T, policy Policy, byBytes bool) {
	const producers, perProducer = 16, 2500
	written := &streams{got: make([][]int, producers)}
	diverted := &streams{got: make([][]int, producers)}
	d := &drops{}
	o := &Options{BatchSize: 64, QueueSize: 256, FlushInterval: time.Millisecond, OnFull: policy, OnDrop: d.onDrop}
	if byBytes {
		o.QueueBytes = 1 << 10
	}
	if policy == Divert {
		o.Overflow = func(bt *Batch) error {
			diverted.take(bt)
			runtime.Gosched() // let other diverters try to overtake
			return nil
		}
	}
	// Except under Block, where the producers would wait for it, the writer
	// stalls on its first batch until 2000 records were added, so that the
	// full-queue policy surely comes into play.
	stall := make(chan struct{})
	if policy == Block {
		close(stall)
	}
	var writes atomic.Int64
	b := newBuffer(t, func(_ context.Context, bt *Batch) {
		<-stall
		written.take(bt)
		if writes.Add(1)%3 == 0 {
			runtime.Gosched() // a writer slower than the producers
		}
	}, o)

	refused := make([][]int, producers)
	var full atomic.Int64 // Adds refused with ErrFull
	var added atomic.Int64
	var wg sync.WaitGroup

	// The flushers start first, and the producers only once both have
	// flushed once, so that Flushes run all through the stream.
	var flushes atomic.Int64
	running := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				err := b.Flush(context.Background())
				if errors.Is(err, multi.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("Flush: %v", err)
					return
				}
				if flushes.Add(1) == 2 {
					close(running)
				}
			}
		})
	}
	<-running

	for p := range producers {
		wg.Go(func() {
			var rec []byte
			for n := range perProducer {
				rec = fmt.Appendf(rec[:0], "p%d n%d ", p, n)
				if byBytes {
					pad := n % 7 * 10
					if n%500 == 499 {
						pad = 1500 // larger than QueueBytes
					}
					rec = append(rec, make([]byte, pad)...)
				}
				rec = append(rec, '\n')
				if err := b.Add(rec); err != nil {
					if !errors.Is(err, multi.ErrClosed) && !(policy == DropNewest && errors.Is(err, ErrFull)) {
						t.Errorf("Add: unexpected error %v", err)
					}
					if errors.Is(err, ErrFull) {
						full.Add(1)
					}
					refused[p] = append(refused[p], n)
				}
				switch added.Add(1) {
				case 2000:
					if policy != Block {
						close(stall)
					}
				case producers * perProducer / 2:
					// Shut down halfway, from this producer's goroutine,
					// while the other fifteen keep adding.
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					if err := b.Shutdown(ctx); err != nil {
						t.Errorf("Shutdown: %v", err)
					}
					cancel()
				}
			}
		})
	}
	wg.Wait()

	var nWritten, nDiverted, nRefused int
	for p := range producers {
		w, v, r := written.got[p], diverted.got[p], refused[p]
		for name, s := range map[string][]int{"written": w, "diverted": v, "refused": r} {
			for i := 1; i < len(s); i++ {
				if s[i] <= s[i-1] {
					t.Fatalf("producer %d: %s records out of order or repeated: n%d after n%d", p, name, s[i], s[i-1])
				}
			}
		}
		all := slices.Concat(w, v, r)
		slices.Sort(all)
		if len(slices.Compact(slices.Clone(all))) != len(all) {
			t.Fatalf("producer %d: a record was both written/diverted/refused", p)
		}
		switch policy {
		case DropOldest:
			// Records dropped to make room are the only ones unseen.
		default:
			if len(all) != perProducer {
				t.Fatalf("producer %d: %d written + %d diverted + %d refused, want %d in all", p, len(w), len(v), len(r), perProducer)
			}
		}
		if policy == Block {
			// Nothing is lost before Shutdown; everything after it is refused.
			k := len(w)
			if !slices.Equal(w, seq(0, k)) || !slices.Equal(r, seq(k, perProducer)) {
				t.Fatalf("producer %d under Block: written %d..., refused %v..., want a prefix written and the rest refused", p, len(w), r[:min(len(r), 5)])
			}
		}
		nWritten += len(w)
		nDiverted += len(v)
		nRefused += len(r)
	}
	c := b.Stats()
	total := uint64(producers * perProducer)
	if c.Added != total || c.Written != uint64(nWritten) || c.Diverted != uint64(nDiverted) || c.Queued != 0 || c.QueuedBytes != 0 ||
		c.Dropped != total-uint64(nWritten+nDiverted) || uint64(d.total()) != c.Dropped {
		t.Fatalf("Stats %+v, OnDrop told of %d; saw %d written, %d diverted, %d refused of %d", c, d.total(), nWritten, nDiverted, nRefused, total)
	}
	if nRefused == 0 || nWritten == 0 {
		t.Fatalf("the hammer did not hit: %d written, %d refused", nWritten, nRefused)
	}
	switch {
	case policy == DropNewest && full.Load() == 0,
		policy == DropOldest && c.Dropped == uint64(nRefused),
		policy == Divert && nDiverted == 0:
		t.Fatalf("the queue never filled: the %v policy was not exercised (%+v)", policy, c)
	}
	t.Logf("%+v, %d flushes", c, flushes.Load())
}

func seq(from, to int) []int {
	s := []int{}
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}
