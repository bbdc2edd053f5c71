package report

import (
	"errors"
	"io"
	"testing"
	"time"
)

// BenchmarkDroppedStderr is what a logging goroutine pays to report one
// record dropped by a full queue when no ErrorHandler is set: the cost on
// the caller of DropNewest during an outage, from 8 goroutines at once.
func BenchmarkDroppedStderr(b *testing.B) {
	r := New("httpsink http://127.0.0.1:1/x", nil)
	r.out, r.every = io.Discard, time.Hour
	full := errors.New("queue full")
	r.Dropped(1, full) // the first line, written at once
	b.ReportAllocs()
	b.SetParallelism(4) // 8 goroutines on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Dropped(1, full)
		}
	})
	b.StopTimer()
	r.Close()
}
