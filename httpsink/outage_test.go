package httpsink

import (
	"context"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/core"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// seqs returns the "seq" of each JSON record, and whether any came twice.
func seqs(t testing.TB, recs []string) (got []int, dup bool) {
	t.Helper()
	seen := map[int]bool{}
	for _, r := range recs {
		i := strings.Index(r, `"seq":`)
		if i < 0 {
			t.Fatalf("record %q has no seq", r)
		}
		j := i + len(`"seq":`)
		k := j
		for k < len(r) && r[k] >= '0' && r[k] <= '9' {
			k++
		}
		n, err := strconv.Atoi(r[j:k])
		if err != nil {
			t.Fatalf("record %q: %v", r, err)
		}
		if seen[n] {
			dup = true
		}
		seen[n] = true
		got = append(got, n)
	}
	return got, dup
}

// allOf reports whether got holds each of 0..n-1.
func allOf(got []int, n int) (missing []int) {
	have := make([]bool, n)
	for _, g := range got {
		if g >= 0 && g < n {
			have[g] = true
		}
	}
	for i, ok := range have {
		if !ok {
			missing = append(missing, i)
		}
	}
	return missing
}

func segmentsIn(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCollectorDownForTheWholeRunLosesNothing(t *testing.T) {
	const n = 5000
	addr := reservePort(t) // nothing listens: connections are refused
	url := "http://" + addr + "/ingest"
	dir := t.TempDir()
	opts := &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: dir}, Retry: delivery.Retry{Max: 2, Backoff: delivery.Backoff{InitialInterval: time.Millisecond, MaxInterval: 20 * time.Millisecond}}, Queue: delivery.Queue{BatchSize: 100, Size: 1000}}
	h, err := New(url, opts)
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
	st := h.Stats()
	if st.Spooled != n || st.Dropped != 0 || st.Written != 0 || st.Queued != 0 || h.Healthy() {
		t.Fatalf("after an outage: stats %+v, healthy %v; want all %d spooled", st, h.Healthy(), n)
	}

	// The collector comes up; the next process replays the spool at start,
	// without a record of its own.
	c := newCollectorAt(t, NDJSON, addr)
	h2 := mustNew(t, url, opts)
	waitFor(t, "the spool to be replayed", 20*time.Second, func() bool { return len(c.got()) >= n })
	got, dup := seqs(t, c.got())
	if missing := allOf(got, n); len(missing) > 0 || dup || len(got) != n {
		t.Fatalf("%d records arrived, missing %v, duplicates %v", len(got), missing, dup)
	}
	waitFor(t, "the replayed segments to be deleted", 5*time.Second, func() bool { return len(segmentsIn(t, dir)) == 0 })
	st = h2.Stats()
	if st.Replayed != n || st.Written != n || !h2.Healthy() {
		t.Fatalf("replaying process: stats %+v, healthy %v", st, h2.Healthy())
	}
}

func TestOutageEndsWithoutAnotherRecord(t *testing.T) {
	addr := reservePort(t)
	url := "http://" + addr + "/ingest"
	h := mustNew(t, url, &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: t.TempDir()}, Retry: delivery.Retry{Max: 1, Backoff: delivery.Backoff{InitialInterval: time.Millisecond, MaxInterval: 20 * time.Millisecond}}, Queue: delivery.Queue{BatchSize: 50}})
	l := slog.New(h)
	for i := range 1000 {
		l.Info("rec", "seq", i)
	}
	if err := h.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := h.Stats(); st.Spooled != 1000 || h.Healthy() {
		t.Fatalf("during the outage: stats %+v, healthy %v", st, h.Healthy())
	}
	c := newCollectorAt(t, NDJSON, addr)
	waitFor(t, "the spool to be replayed", 20*time.Second, func() bool { return len(c.got()) >= 1000 })
	waitFor(t, "health", 5*time.Second, h.Healthy)
	for i := 1000; i < 1010; i++ {
		l.Info("rec", "seq", i)
	}
	h.Flush(context.Background())
	got, dup := seqs(t, c.got())
	if missing := allOf(got, 1010); len(missing) > 0 || dup {
		t.Fatalf("missing %v, duplicates %v", missing, dup)
	}
	// The spool went first, in order: the new records came last.
	if !slices.Equal(got[1000:], []int{1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009}) {
		t.Fatalf("last records %v", got[1000:])
	}
	if st := h.Stats(); st.Replayed != 1000 || st.Written != 1010 {
		t.Fatalf("stats %+v", st)
	}
}

// TestBreakerSpoolsWithoutRequests: once a batch has exhausted its retries
// against a failing collector, the following batches go to the spool
// without a request until the breaker's wait is over.
func TestBreakerSpoolsWithoutRequests(t *testing.T) {
	c := newCollector(t, NDJSON)
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	var e errs
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: t.TempDir()}, Retry: delivery.Retry{Max: 2, MaxElapsedTime: -1, Backoff: delivery.Backoff{InitialInterval: time.Hour, MaxInterval: time.Hour}}, Queue: delivery.Queue{BatchSize: 10, Size: 1000, FlushInterval: time.Hour},
		ErrorHandler: e.handle,
	})
	installFakeTime(h, t0)
	l := slog.New(h)
	for i := range 500 {
		l.Info("rec", "seq", i)
	}
	h.Flush(context.Background())
	if req, _ := c.counts(); req != 3 {
		t.Fatalf("%d requests, want 3 (the first batch and its 2 retries)", req)
	}
	st := h.Stats()
	if st.Spooled != 500 || st.Failed != 3 || st.Retries != 2 || st.Dropped != 0 || h.Healthy() {
		t.Fatalf("stats %+v, healthy %v", st, h.Healthy())
	}
	if rep := e.text(); strings.Count(rep, "\n") != 1 || !strings.Contains(rep, "is not answering; spooling batches") {
		t.Fatalf("reports %q, want one about the outage", rep)
	}
}

func TestSpoolFullDropsAndReports(t *testing.T) {
	addr := reservePort(t)
	var e errs
	h := mustNew(t, "http://"+addr+"/x", &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: t.TempDir(), MaxBytes: 8 << 10}, Retry: delivery.Retry{Max: -1}, Queue: delivery.Queue{BatchSize: 20},
		ErrorHandler: e.handle})
	l := slog.New(h)
	for i := range 1000 {
		l.Info("rec", "seq", i)
	}
	h.Flush(context.Background())
	st := h.Stats()
	if st.Spooled == 0 || st.Dropped == 0 || st.Spooled+st.Dropped != 1000 {
		t.Fatalf("stats %+v: want every record spooled or dropped, some of each", st)
	}
	if !strings.Contains(e.text(), "spool: full") {
		t.Fatalf("reports %q do not say the spool is full", e.text())
	}
}

func TestRefusedBatchGetsOneMoreChanceFromTheSpool(t *testing.T) {
	c := newCollector(t, NDJSON)
	refused := 0
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		body, _ := ReadBody(r, nil, 0)
		// The record, not a gap record quoting the refusal.
		if strings.Contains(string(body), `"msg":"bad"`) {
			refused++
			http.Error(w, "bad record", http.StatusBadRequest)
			return true
		}
		return false
	})
	var e errs
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: t.TempDir()}, ErrorHandler: e.handle})
	l := slog.New(h)
	l.Info("bad")
	h.Flush(context.Background())
	if st := h.Stats(); st.Spooled != 1 || st.Dropped != 0 {
		t.Fatalf("after a 400: stats %+v, want the batch spooled", st)
	}
	l.Info("good")
	h.Flush(context.Background()) // succeeds, then replays the spool: 400 again
	st := h.Stats()
	if refused != 2 || st.Dropped != 1 || st.Written != 1 || st.Replayed != 0 {
		t.Fatalf("refused %d times, stats %+v", refused, st)
	}
	// The gap record about the dropped "bad" goes ahead of "good" when
	// the prober replayed (and dropped) it first, or waits for the next
	// batch.
	got := slices.DeleteFunc(msgs(t, c.got()), func(m string) bool { return m == core.GapMessage })
	if !slices.Equal(got, []string{"good"}) {
		t.Fatalf("collector got %q", got)
	}
	if !strings.Contains(e.text(), `"bad record\n"`) {
		t.Fatalf("reports %q", e.text())
	}
}
