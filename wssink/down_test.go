package wssink

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/internal/faultnet"
)

// TestServerDownShutdownIsBounded: with the server down, refusing or never
// answering the handshake, 8 goroutines log 50,000 records; every record is
// spooled or counted as dropped, and Shutdown(context.Background()) returns
// (its time is logged; the test asserts only a generous bound).
func TestServerDownShutdownIsBounded(t *testing.T) {
	const goroutines, total = 8, 50_000
	for _, mode := range faultnet.Modes {
		for _, spooled := range []bool{false, true} {
			name := string(mode) + "/nospool"
			if spooled {
				name = string(mode) + "/spool"
			}
			t.Run(name, func(t *testing.T) {
				o := &Options{Timeout: time.Second, ErrorHandler: func(error) {}}
				if spooled {
					o.Spool.Dir = t.TempDir()
				}
				h, err := New("ws://"+faultnet.Down(t, mode)+"/logs", o)
				if err != nil {
					t.Fatal(err)
				}
				l := slog.New(h)
				var wg sync.WaitGroup
				var worst time.Duration
				var mu sync.Mutex
				for g := range goroutines {
					wg.Add(1)
					go func() {
						defer wg.Done()
						var w time.Duration
						for i := range total / goroutines {
							start := time.Now()
							l.Info("request handled", "g", g, "i", i)
							w = max(w, time.Since(start))
						}
						mu.Lock()
						worst = max(worst, w)
						mu.Unlock()
					}()
				}
				wg.Wait()
				start := time.Now()
				done := make(chan error, 1)
				go func() { done <- h.Shutdown(context.Background()) }()
				select {
				case <-done:
				case <-time.After(60 * time.Second):
					t.Fatal("Shutdown(context.Background()) had not returned after 60s with the server down")
				}
				took := time.Since(start)
				t.Logf("max Handle %v; Shutdown(context.Background()) took %v", worst, took)
				st := h.Stats()
				if st.Written != 0 || st.Spooled+st.Dropped != total || st.Queued != 0 {
					t.Errorf("stats %+v: want every one of %d records spooled or dropped", st, total)
				}
				if spooled && st.Dropped != 0 {
					t.Errorf("with a spool, %d records were dropped", st.Dropped)
				}
			})
		}
	}
}
