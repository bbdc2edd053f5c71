package httpsink

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/delivery"

	"github.com/jinpy-utils/multi/internal/core"
	"github.com/jinpy-utils/multi/internal/faultnet"
)

// handleLatencies has goroutines log total records through l, and
// returns every Handle's wall time, sorted.
func handleLatencies(l *slog.Logger, goroutines, total int) []time.Duration {
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
	return all
}

func quantile(all []time.Duration, q float64) time.Duration { return all[int(q*float64(len(all)-1))] }

// TestCollectorDownLatencyBesideSlogJSON puts the figures of the test
// below beside slog.JSONHandler writing to io.Discard, in the same
// harness, in alternating rounds: on a machine with fewer cores than
// logging goroutines, the tail of both is the scheduler's (a goroutine
// preempted between its two clock reads), and only the difference is
// the sink's. It logs; it asserts nothing about time.
func TestCollectorDownLatencyBesideSlogJSON(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("timings: not under -race or -short")
	}
	const goroutines, total = 8, 50_000
	addr := faultnet.Down(t, faultnet.Refuse)
	for round := range 3 {
		js := handleLatencies(slog.New(slog.NewJSONHandler(io.Discard, nil)), goroutines, total)
		h, err := New("http://"+addr+"/insert", &Options{Timeout: time.Second, ErrorHandler: func(error) {}})
		if err != nil {
			t.Fatal(err)
		}
		hs := handleLatencies(slog.New(h), goroutines, total)
		h.Shutdown(context.Background())
		t.Logf("round %d: httpsink (collector down) p50 %v p99.9 %v max %v; slog.JSONHandler(io.Discard) p50 %v p99.9 %v max %v",
			round, quantile(hs, .5), quantile(hs, .999), hs[len(hs)-1], quantile(js, .5), quantile(js, .999), js[len(js)-1])
	}
}

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
				all := handleLatencies(slog.New(h), goroutines, total)
				p := func(q float64) time.Duration { return quantile(all, q) }
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

// Shutdown while the prober replays the spool lets the request in flight
// finish rather than cut it: a cut request the collector had taken would
// be sent again by the drain, and every record of it delivered twice.
func TestShutdownDuringReplayDeliversEachRecordOnce(t *testing.T) {
	dir := t.TempDir()
	down, err := New("http://"+reservePort(t)+"/ingest", &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: dir},
		Retry: delivery.Retry{Max: -1}, ErrorHandler: func(error) {}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	l := slog.New(down)
	for i := range n {
		l.Info("spooled", "i", i)
	}
	if err := down.Shutdown(context.Background()); err != nil {
		t.Logf("first Shutdown: %v", err)
	}
	if st := down.Stats(); st.Spooled != n {
		t.Fatalf("spooled %d of %d records", st.Spooled, n)
	}

	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
			var rec struct{ I int }
			if json.Unmarshal([]byte(line), &rec) == nil {
				seen[strconv.Itoa(rec.I)]++
			}
		}
		mu.Unlock()
		time.Sleep(200 * time.Millisecond) // taken, and slow to answer
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	up, err := New(srv.URL, &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the prober's first frame is in flight
	if err := up.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	dups := 0
	for _, c := range seen {
		dups += c - 1
	}
	if len(seen) != n || dups != 0 {
		t.Fatalf("collector got %d distinct records of %d, %d duplicates; stats %+v", len(seen), n, dups, up.Stats())
	}
}
