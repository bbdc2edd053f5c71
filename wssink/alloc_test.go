//go:build !race

package wssink

import (
	"context"
	"github.com/jinpy-utils/multi/delivery"
	"log/slog"
	"testing"
	"time"
)

// TestHandleDoesNotAllocate counts the caller's allocations: encoding a
// record and appending it to the queue. No batch closes while it counts
// (AllocsPerRun counts every goroutine's allocations, the connection's too).
func TestHandleDoesNotAllocate(t *testing.T) {
	srv, _ := countingReceiver(t)
	h, err := New(srv.url(), &Options{Queue: delivery.Queue{BatchSize: 5000, Size: 100000, FlushInterval: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Shutdown(context.Background())
	l := slog.New(h)
	for i := range 3000 { // the queue's storage grows to its working size
		benchLog(l, i)
	}
	if err := h.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() { benchLog(l, 1) }); n != 0 {
		t.Errorf("%v allocations per record on the caller's path; want 0", n)
	}
}
