package httpsink

import (
	"context"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/vltest"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSpoolDrainsThroughAFaultyProxy: a real VictoriaLogs behind a proxy
// that, for 20s, fails about 30% of requests at random (cut connections,
// 429 with Retry-After, 503, hangs past the Timeout after forwarding),
// then is healthy for 10s. 8 goroutines send 20,000 records with a spool.
// After Shutdown the spool is empty and every record is in VictoriaLogs;
// duplicates only from forwarded requests that hung.
func TestSpoolDrainsThroughAFaultyProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("30s")
	}
	const n = 20_000
	const faulty, healthy = 20 * time.Second, 10 * time.Second
	v := vltest.Start(t)
	target, _ := url.Parse(v.Base)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var faults atomic.Bool
	var hung atomic.Int64
	var mu sync.Mutex
	kinds := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if faults.Load() {
			kind := ""
			switch roll := rand.IntN(100); {
			case roll < 10:
				kind = "cut"
			case roll < 18:
				kind = "429"
			case roll < 26:
				kind = "503"
			case roll < 30:
				kind = "hang"
			}
			mu.Lock()
			kinds[kind]++
			mu.Unlock()
			switch kind {
			case "cut":
				if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
					conn.Close()
				}
				return
			case "429":
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			case "503":
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			case "hang":
				// Taken by the collector, never answered: the one source
				// of duplicates allowed.
				hung.Add(1)
				proxy.ServeHTTP(httptest.NewRecorder(), r.Clone(context.WithoutCancel(r.Context())))
				<-r.Context().Done()
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()

	faults.Store(true)
	start := time.Now()
	h := mustNew(t, srv.URL+"/insert/jsonline?_msg_field=msg&_time_field=time&_stream_fields=test",
		&Options{Spool: delivery.Spool{Dir: t.TempDir()}, Queue: delivery.Queue{BatchSize: 500, Size: 1000}, Retry: delivery.Retry{Max: 2, Backoff: delivery.Backoff{InitialInterval: 200 * time.Millisecond}}, Timeout: time.Second,
			ErrorHandler: func(error) {}})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := slog.New(h).With("test", "drain")
			per := n / 8
			gap := faulty / time.Duration(per)
			for i := range per {
				l.Info("rec", "seq", w*per+i)
				time.Sleep(gap)
			}
		}()
	}
	wg.Wait()
	liveTook := time.Since(start)
	stFault := h.Stats()
	faults.Store(false)
	healthyAt := time.Now()
	waitFor(t, "the spool to drain", healthy, func() bool { return h.s.Spool.Len() == 0 })
	drainTook := time.Since(healthyAt)
	stDrained := h.Stats()
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := h.Stats()
	mu.Lock()
	t.Logf("faults %v; after the faulty phase (%v): %+v; drained in %v", kinds, liveTook.Round(time.Millisecond), stFault, drainTook.Round(time.Millisecond))
	mu.Unlock()
	live := float64(stFault.Written-stFault.Replayed) / liveTook.Seconds()
	replayed := float64(stFault.Replayed) / liveTook.Seconds()
	t.Logf("during the faults: live %.0f records/s, replay %.0f records/s (offered %.0f/s; %d spooled, %d replayed); after: %d more replayed in %v",
		live, replayed, float64(n)/faulty.Seconds(), stFault.Spooled, stFault.Replayed, stDrained.Replayed-stFault.Replayed, drainTook.Round(time.Millisecond))
	if st.Dropped != 0 || st.Queued != 0 {
		t.Fatalf("stats %+v: want nothing dropped or left", st)
	}
	v.Flush(t)
	rows := v.Query(t, `test:drain | fields seq`)
	seen := make(map[int]int, n)
	for _, r := range rows {
		i, err := strconv.Atoi(r["seq"])
		if err != nil {
			t.Fatalf("row %v", r)
		}
		seen[i]++
	}
	missing, dups := 0, 0
	for i := range n {
		switch c := seen[i]; {
		case c == 0:
			missing++
		case c > 1:
			dups += c - 1
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d records missing in VictoriaLogs", missing, n)
	}
	// A hung request that was forwarded holds at most one batch.
	if limit := int(hung.Load()) * 500; dups > limit {
		t.Fatalf("%d duplicates, more than the %d hung requests can explain", dups, hung.Load())
	}
	t.Logf("all %d in VictoriaLogs, %d duplicates from %d hung requests", n, dups, hung.Load())
}
