package core

import (
	"context"
	"errors"
	"testing"

	"github.com/jinpy-utils/multi/buffer"
)

// BenchmarkQueueDropped is the cost, on the logging goroutine, of one
// record refused by a full queue: what every Handle pays during an outage
// once the queue is full.
func BenchmarkQueueDropped(b *testing.B) {
	k, err := New(Config{Name: "bench", Endpoint: "x", Buffer: buffer.Options{}, ErrorHandler: func(error) {}, Write: func(context.Context, *buffer.Batch) {}})
	if err != nil {
		b.Fatal(err)
	}
	defer k.Buf.Shutdown(b.Context())
	full := errors.New("queue full")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k.queueDropped(1, full)
		}
	})
}
