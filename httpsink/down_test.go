package httpsink

import (
	"context"
	"github.com/jinpy-utils/multi/internal/core"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/internal/faultnet"
)

// TestCollectorDownNeverHurtsTheCaller: with the collector down, refusing
// connections or never answering, 8 goroutines log 50,000 records. Every
// Handle returns at once (the figures are logged; the test asserts only a
// generous bound), every record is spooled or counted as dropped, and
// Shutdown(context.Background()) returns within about one request Timeout
// plus a second.
func TestCollectorDownNeverHurtsTheCaller(t *testing.T) {
	const goroutines, total = 8, 50_000
	const timeout = time.Second
	for _, mode := range faultnet.Modes {
		for _, spooled := range []bool{false, true} {
			name := string(mode) + "/nospool"
			if spooled {
				name = string(mode) + "/spool"
			}
			t.Run(name, func(t *testing.T) {
				o := &Options{Timeout: timeout, ErrorHandler: func(error) {}}
				if spooled {
					o.Spool.Dir = t.TempDir()
				}
				h, err := New("http://"+faultnet.Down(t, mode)+"/insert", o)
				if err != nil {
					t.Fatal(err)
				}
				l := slog.New(h)
				lat := make([][]time.Duration, goroutines)
				var wg sync.WaitGroup
				for g := range goroutines {
					wg.Add(1)
					go func() {
						defer wg.Done()
						d := make([]time.Duration, 0, total/goroutines)
						for i := range total / goroutines {
							start := time.Now()
							l.Info("request handled", "g", g, "i", i, "path", "/api/v1/items", "status", 200, "bytes", 5120)
							d = append(d, time.Since(start))
						}
						lat[g] = d
					}()
				}
				wg.Wait()
				all := slices.Concat(lat...)
				slices.Sort(all)
				p := func(q float64) time.Duration { return all[int(q*float64(len(all)-1))] }
				t.Logf("Handle latency over %d records: p50 %v, p99.9 %v, max %v", len(all), p(0.5), p(0.999), all[len(all)-1])
				if max := all[len(all)-1]; max > 2*time.Second {
					t.Errorf("a Handle call waited %v with the collector down", max)
				}

				start := time.Now()
				if err := h.Shutdown(context.Background()); err != nil && spooled {
					t.Errorf("Shutdown with a spool: %v", err)
				}
				took := time.Since(start)
				t.Logf("Shutdown(context.Background()) took %v (Timeout %v)", took, timeout)
				if took > timeout+core.DrainGrace+10*time.Second {
					t.Errorf("Shutdown took %v, want about Timeout+1s = %v", took, timeout+core.DrainGrace)
				}
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
