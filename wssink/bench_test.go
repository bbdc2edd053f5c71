package wssink

import (
	"context"
	"fmt"
	"github.com/jinpy-utils/multi/delivery"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/buffer"
)

// benchLog logs the record every benchmark here logs: a message and four
// attributes of common kinds.
func benchLog(l *slog.Logger, i int) {
	l.LogAttrs(context.Background(), slog.LevelInfo, "request served",
		slog.String("method", "GET"),
		slog.String("path", "/api/v1/items"),
		slog.Int("status", 200),
		slog.Int("i", i),
	)
}

// countingReceiver counts the records a NewReceiver got.
func countingReceiver(b testing.TB) (*wsServer, *atomic.Int64) {
	var n atomic.Int64
	srv := newWSServer(b, NewReceiver(func(_ context.Context, recs [][]byte) error {
		n.Add(int64(len(recs)))
		return nil
	}, nil))
	return srv, &n
}

// BenchmarkHandle measures the caller's cost of one record: encoding it and
// appending it to the queue, while the handler's goroutines ship earlier
// records to a loopback receiver. slog.JSONHandler writing to io.Discard is
// the yardstick. Every 4096 records the timer stops while the queue drains,
// so the caller never waits for the network inside the timed part.
func BenchmarkHandle(b *testing.B) {
	b.Run("slog.JSONHandler", func(b *testing.B) {
		l := slog.New(slog.NewJSONHandler(io.Discard, nil))
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			benchLog(l, i)
		}
	})
	b.Run("wssink", func(b *testing.B) {
		srv, _ := countingReceiver(b)
		// Block, as before the default changed: the caller's cost with
		// every record delivered, not the cost of a refusal.
		o := &Options{Queue: delivery.Queue{Size: 1 << 16, FlushInterval: 50 * time.Millisecond, OnFull: buffer.Block}}
		h, err := New(srv.url(), o)
		if err != nil {
			b.Fatal(err)
		}
		defer h.Shutdown(context.Background())
		l := slog.New(h)
		for i := range 20000 { // warm up: batches and buffers at working size
			benchLog(l, i)
		}
		if err := h.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		const chunk = 1 << 12
		i := 0
		for b.Loop() {
			benchLog(l, i)
			i++
			if i%chunk == 0 {
				b.StopTimer()
				if err := h.Flush(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		}
		b.StopTimer()
		if st := h.Stats(); st.Dropped != 0 {
			b.Fatalf("dropped %d", st.Dropped)
		}
	})
}

// BenchmarkEndToEnd measures records per second from slog to a loopback
// NewReceiver, timing until the receiver has handled every record, with
// and without Ack and a spool (with a spool and Ack off, written messages
// are confirmed by pongs).
func BenchmarkEndToEnd(b *testing.B) {
	for _, c := range []struct{ ack, spool bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		name := fmt.Sprintf("ack=%v/spool=%v", c.ack, c.spool)
		b.Run(name, func(b *testing.B) {
			srv, got := countingReceiver(b)
			o := &Options{Ack: c.ack, Queue: delivery.Queue{FlushInterval: 10 * time.Millisecond, OnFull: buffer.Block}}
			if c.spool {
				o.Spool.Dir = b.TempDir()
			}
			h, err := New(srv.url(), o)
			if err != nil {
				b.Fatal(err)
			}
			defer h.Shutdown(context.Background())
			l := slog.New(h)
			for i := range 10000 {
				benchLog(l, i)
			}
			eventuallyQuiet(time.Minute, func() bool { return got.Load() == 10000 })
			got.Store(0)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				benchLog(l, i)
			}
			if err := h.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
			if !eventuallyQuiet(time.Minute, func() bool { return got.Load() == int64(b.N) }) {
				b.Fatalf("receiver got %d of %d records", got.Load(), b.N)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
		})
	}
}
