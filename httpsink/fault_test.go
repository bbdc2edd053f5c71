package httpsink

import (
	"context"
	"github.com/jinpy-utils/multi/delivery"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestFaultyCollectorGetsEverySequenceNumber ships 20,000 numbered records
// to a collector that cuts 30% of connections mid-request, answers 503 or
// 429 with Retry-After to others, and hangs past Timeout on some. Every
// number arrives, and the stats account for every request the collector
// failed.
func TestFaultyCollectorGetsEverySequenceNumber(t *testing.T) {
	const n = 20000
	c := newCollector(t, NDJSON)
	var mu sync.Mutex
	kinds := map[string]int{}
	failed := 0
	rng := uint64(0x9E3779B97F4A7C15)
	c.setFault(func(w http.ResponseWriter, r *http.Request, i int) bool {
		mu.Lock()
		rng ^= rng << 13 // xorshift: the same faults every run
		rng ^= rng >> 7
		rng ^= rng << 17
		roll := rng % 100
		kind := ""
		switch {
		case roll < 30:
			kind = "cut"
		case roll < 40:
			kind = "503"
		case roll < 50:
			kind = "429"
		case roll < 55:
			kind = "hang"
		}
		if kind != "" {
			failed++ // counted before the client can see the failure
			kinds[kind]++
		}
		mu.Unlock()
		switch kind {
		case "cut": // mid-request: the body is not read, no response is written
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return true
			}
			conn.Close()
		case "503":
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		case "429":
			w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
		case "hang":
			hang(r)
		default:
			return false
		}
		return true
	})
	h, err := New(c.url(), &Options{Encoding: NDJSON, Queue: delivery.Queue{BatchSize: 200, Size: n}, Retry: delivery.Retry{Max: 1000, MaxElapsedTime: -1, Backoff: delivery.Backoff{InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond}}, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	l := slog.New(h)
	for i := range n {
		l.Info("rec", "seq", i)
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, dup := seqs(t, c.got())
	if missing := allOf(got, n); len(missing) > 0 {
		t.Fatalf("%d sequence numbers missing, first %v; stats %+v", len(missing), missing[:min(10, len(missing))], h.Stats())
	}
	mu.Lock()
	defer mu.Unlock()
	st := h.Stats()
	t.Logf("faults %v; stats %+v; %d records arrived", kinds, st, len(got))
	for _, k := range []string{"cut", "503", "429", "hang"} {
		if kinds[k] == 0 {
			t.Errorf("no %s fault happened", k)
		}
	}
	// Every failure the collector caused is counted, and retried. On a busy
	// machine a request the collector took may also time out before its
	// answer arrives: the sender counts that failure too and sends the
	// batch again, so its records arrive twice (at least once). Only such
	// failures may bring duplicates, at most a batch each.
	extra := int(st.Failed) - failed
	if extra < 0 || st.Retries != st.Failed {
		t.Fatalf("stats count %d failed requests and %d retries; the collector failed %d", st.Failed, st.Retries, failed)
	}
	if dups := len(got) - n; dup != (dups > 0) || dups > extra*200 {
		t.Fatalf("%d records arrived for %d numbers, with %d failures the collector did not cause", len(got), n, extra)
	}
	if st.Written != n || st.Dropped != 0 || st.Queued != 0 || !h.Healthy() {
		t.Fatalf("stats %+v, healthy %v", st, h.Healthy())
	}
}
