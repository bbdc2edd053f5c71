//go:build !race

package buffer

import (
	"bytes"
	"context"
	"testing"
)

// TestAddDoesNotAllocate counts Add's allocations in steady state (every
// goroutine's: the writer's too), on the plain path and on the full-queue
// paths of a byte-bounded queue, where DropOldest drops several records and
// Divert hands over batches to make room.
func TestAddDoesNotAllocate(t *testing.T) {
	small, large := bytes.Repeat([]byte("s"), 100), bytes.Repeat([]byte("L"), 1000)
	for _, tc := range []struct {
		name  string
		o     Options
		stuck bool
	}{
		{"room", Options{}, false},
		{"drop-oldest by bytes", Options{OnFull: DropOldest, QueueBytes: 4096, BatchBytes: 1024}, true},
		{"divert by bytes", Options{OnFull: Divert, QueueBytes: 4096, BatchBytes: 1024, Overflow: func(*Batch) error { return nil }}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stuck := make(chan struct{})
			defer close(stuck)
			write := func(context.Context, *Batch) {}
			if tc.stuck {
				write = func(ctx context.Context, _ *Batch) {
					select {
					case <-stuck:
					case <-ctx.Done():
					}
				}
			}
			b := newBuffer(t, write, &tc.o)
			for range 20000 { // the batches grow to their working size
				_ = b.Add(small)
				_ = b.Add(large)
			}
			if !tc.stuck {
				if err := b.Flush(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			before := b.Stats()
			n := testing.AllocsPerRun(1000, func() {
				_ = b.Add(small)
				_ = b.Add(large)
			})
			if n != 0 {
				t.Errorf("%v allocations per pair of Adds; want 0", n)
			}
			if c := b.Stats(); tc.stuck && c.Dropped+c.Diverted == before.Dropped+before.Diverted {
				t.Fatalf("the full-queue path was not taken: %+v", c)
			}
		})
	}
}
