package wssink

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"testing/slogtest"
	"time"
)

// TestSlogtest runs testing/slogtest with every record read back from what
// a NewReceiver got over a real connection, in each mode.
func TestSlogtest(t *testing.T) {
	for _, mode := range []Mode{Batch, Record} {
		t.Run(mode.String(), func(t *testing.T) {
			var h *Handler
			var col *collector
			slogtest.Run(t, func(t *testing.T) slog.Handler {
				col = &collector{}
				srv := newWSServer(t, NewReceiver(col.handle, nil))
				o := fastOptions()
				o.Ack, o.Mode = true, mode
				var err error
				h, err = New(srv.url(), o)
				if err != nil {
					t.Fatal(err)
				}
				return h
			}, func(t *testing.T) map[string]any {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := h.Flush(ctx); err != nil {
					t.Fatal(err)
				}
				shutdown(t, h)
				recs := col.records()
				if len(recs) != 1 {
					t.Fatalf("receiver got %d records, want 1", len(recs))
				}
				var m map[string]any
				if err := json.Unmarshal(recs[0], &m); err != nil {
					t.Fatalf("record %s: %v", recs[0], err)
				}
				return m
			})
		})
	}
	checkNoGoroutines(t)
}
