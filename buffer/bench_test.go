package buffer

import (
	"bytes"
	"context"
	"sync"
	"testing"
)

// A typical JSON log line, as the format package writes it.
var benchRecord = []byte(`{"time":"2025-11-25T09:15:00.123456789Z","level":"INFO","msg":"request served","method":"GET","path":"/api/v1/items","status":200,"bytes":5120,"elapsed":0.0123}` + "\n")

// BenchmarkAdd compares Add with the plain standard-library way to hand
// records to a background goroutine: a buffered channel of copies
// (impl=chan), which allocates a copy per record. The writer does nothing.
func BenchmarkAdd(b *testing.B) {
	b.Run("serial/impl=buffer", func(b *testing.B) {
		buf := benchBuffer(b, &Options{OnFull: Block}) // as before the default changed
		b.ReportAllocs()
		b.SetBytes(int64(len(benchRecord)))
		for b.Loop() {
			if err := buf.Add(benchRecord); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("serial/impl=chan", func(b *testing.B) {
		add := benchChan(b)
		b.ReportAllocs()
		b.SetBytes(int64(len(benchRecord)))
		for b.Loop() {
			add(benchRecord)
		}
	})
	b.Run("parallel/impl=buffer", func(b *testing.B) {
		buf := benchBuffer(b, &Options{OnFull: Block}) // as before the default changed
		b.ReportAllocs()
		b.SetBytes(int64(len(benchRecord)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := buf.Add(benchRecord); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("parallel/impl=chan", func(b *testing.B) {
		add := benchChan(b)
		b.ReportAllocs()
		b.SetBytes(int64(len(benchRecord)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				add(benchRecord)
			}
		})
	})
}

// BenchmarkAddFullQueue measures the drop paths: the writer is stuck, the
// queue is full, and every Add drops a record.
func BenchmarkAddFullQueue(b *testing.B) {
	for _, p := range []Policy{DropNewest, DropOldest} {
		b.Run(p.String(), func(b *testing.B) {
			stuck := make(chan struct{})
			buf := benchBuffer(b, &Options{OnFull: p, QueueSize: 1024, BatchSize: 64}, stuck)
			for range 1024 {
				_ = buf.Add(benchRecord)
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = buf.Add(benchRecord)
			}
			b.StopTimer()
			close(stuck)
		})
	}
}

func benchBuffer(b *testing.B, o *Options, stuck ...chan struct{}) *Buffer {
	write := func(context.Context, *Batch) {}
	if len(stuck) > 0 {
		write = func(ctx context.Context, _ *Batch) {
			select {
			case <-stuck[0]:
			case <-ctx.Done():
			}
		}
	}
	buf, err := New(write, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if len(stuck) == 0 {
			if err := buf.Shutdown(context.Background()); err != nil {
				b.Error(err)
			}
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = buf.Shutdown(ctx)
	})
	return buf
}

// benchChan is the standard-library baseline: a buffered channel of record
// copies, drained by one goroutine into batches of 512.
func benchChan(b *testing.B) func([]byte) {
	ch := make(chan []byte, DefaultQueueSize)
	var wg sync.WaitGroup
	wg.Go(func() {
		batch := make([][]byte, 0, DefaultBatchSize)
		for rec := range ch {
			batch = append(batch, rec)
			if len(batch) == cap(batch) {
				batch = batch[:0]
			}
		}
	})
	b.Cleanup(func() {
		close(ch)
		wg.Wait()
	})
	return func(rec []byte) { ch <- bytes.Clone(rec) }
}

// BenchmarkAddFullQueueParallel is a full queue under DropNewest with
// many goroutines logging at once, as in an outage: the refusals take no
// lock.
func BenchmarkAddFullQueueParallel(b *testing.B) {
	stuck := make(chan struct{})
	buf := benchBuffer(b, &Options{OnFull: DropNewest, QueueSize: 1024, BatchSize: 64}, stuck)
	for range 1024 {
		_ = buf.Add(benchRecord)
	}
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = buf.Add(benchRecord)
		}
	})
	b.StopTimer()
	close(stuck)
}
