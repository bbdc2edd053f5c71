//go:build !race

package httpsink

import (
	"context"
	"github.com/jinpy-utils/multi/delivery"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestHandleDoesNotAllocate counts the caller's allocations: encoding a
// record and appending it to the queue. No batch closes while it counts
// (AllocsPerRun counts every goroutine's allocations, the sender's too).
func TestHandleDoesNotAllocate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	h, err := New(srv.URL, &Options{Encoding: NDJSON, Queue: delivery.Queue{BatchSize: 5000, BatchBytes: 64 << 20, Size: 100000, FlushInterval: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Shutdown(context.Background())
	l := slog.New(h)
	ctx := context.Background()
	for i := range 3000 { // the queue's storage grows to its working size
		logOne(l, ctx, i)
	}
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() { logOne(l, ctx, 1) }); n != 0 {
		t.Errorf("%v allocations per record on the caller's path; want 0", n)
	}
}
