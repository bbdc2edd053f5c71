//go:build !race

package syslog

import (
	"context"
	"github.com/jinpy-utils/multi/delivery"
	"log/slog"
	"testing"
	"time"
)

// TestHandleDoesNotAllocate counts the caller's allocations: encoding a
// record and appending it to the queue (AllocsPerRun counts every
// goroutine's allocations, the writer's too).
func TestHandleDoesNotAllocate(t *testing.T) {
	for _, format := range []Format{RFC5424, RFC3164} {
		u := newUDPReceiver(t)
		h, err := New(u.addr(), &Options{Format: format, Queue: delivery.Queue{Size: 100000, FlushInterval: time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		l := slog.New(h).With("service", "api")
		ctx := context.Background()
		for i := range 3000 { // the queue's storage grows to its working size
			logOne(l, ctx, i)
		}
		if err := h.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(1000, func() { logOne(l, ctx, 1) }); n != 0 {
			t.Errorf("%v: %v allocations per record on the caller's path; want 0", format, n)
		}
		h.Shutdown(ctx) //nolint:errcheck
	}
}
