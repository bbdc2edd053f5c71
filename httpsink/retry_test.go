package httpsink

import (
	"context"
	"errors"
	"fmt"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/core"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTime replaces the handler's clock and sleep: sleeps return at once
// and move the clock, and every wait asked for is recorded.
type fakeTime struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func installFakeTime(h *Handler, start time.Time) *fakeTime {
	ft := &fakeTime{now: start}
	h.s.Now = func() time.Time {
		ft.mu.Lock()
		defer ft.mu.Unlock()
		return ft.now
	}
	h.s.Sleep = func(ctx context.Context, d time.Duration) error {
		ft.mu.Lock()
		defer ft.mu.Unlock()
		ft.waits = append(ft.waits, d)
		ft.now = ft.now.Add(d)
		return ctx.Err()
	}
	return ft
}

func (ft *fakeTime) recorded() []time.Duration {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return slices.Clone(ft.waits)
}

// failFirst makes the first n requests answer status (with a body).
func failFirst(n, status int, header http.Header) func(http.ResponseWriter, *http.Request, int) bool {
	return func(w http.ResponseWriter, r *http.Request, i int) bool {
		if i > n {
			return false
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "no luck #%d", i)
		return true
	}
}

func TestRetryableStatusesAreRetried(t *testing.T) {
	for _, status := range []int{408, 429, 500, 502, 503, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			c := newCollector(t, NDJSON)
			c.setFault(failFirst(2, status, nil))
			h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Retry: fastRetry(0)})
			installFakeTime(h, t0)
			l := slog.New(h)
			l.Info("a")
			l.Info("b")
			h.Flush(context.Background())
			if got := msgs(t, c.got()); !slices.Equal(got, []string{"a", "b"}) {
				t.Fatalf("collector got %q", got)
			}
			st := h.Stats()
			if st.Failed != 2 || st.Retries != 2 || st.Written != 2 || st.Dropped != 0 {
				t.Fatalf("stats %+v, want 2 failed, 2 retries, 2 written", st)
			}
			if !h.Healthy() {
				t.Fatal("unhealthy after a success")
			}
		})
	}
}

func TestPermanentStatusesAreDroppedAndReported(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 422, 501} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			c := newCollector(t, NDJSON)
			c.setFault(failFirst(1, status, nil))
			var e errs
			h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Retry: fastRetry(0), ErrorHandler: e.handle})
			l := slog.New(h)
			l.Info("a")
			l.Info("b")
			h.Flush(context.Background())
			st := h.Stats()
			if st.Failed != 1 || st.Retries != 0 || st.Written != 0 || st.Dropped != 2 {
				t.Fatalf("stats %+v, want 1 failed, 0 retries, 2 dropped", st)
			}
			if h.Healthy() {
				t.Fatal("healthy after a failed batch")
			}
			reported := e.all()
			if len(reported) != 1 {
				t.Fatalf("ErrorHandler told %d errors, want 1: %v", len(reported), reported)
			}
			var se *StatusError
			if !errors.As(reported[0], &se) || se.StatusCode != status || se.Body != "no luck #1" {
				t.Fatalf("reported %v; want a StatusError %d with the body", reported[0], status)
			}
			msg := reported[0].Error()
			for _, w := range []string{"dropped 2 records", fmt.Sprint(status), `"no luck #1"`, c.srv.URL + "/ingest"} {
				if !strings.Contains(msg, w) {
					t.Errorf("report %q does not mention %q", msg, w)
				}
			}
			if st.LastError == nil || st.LastError.Error() != msg {
				t.Errorf("Stats.LastError = %v, want the report", st.LastError)
			}
			// The next batch goes through: a permanent error is the batch's,
			// not the sink's. A gap record about the 2 dropped goes ahead.
			l.Info("c")
			h.Flush(context.Background())
			if got := msgs(t, c.got()); !slices.Equal(got, []string{core.GapMessage, "c"}) || !h.Healthy() {
				t.Fatalf("after the refused batch, collector got %q, healthy %v", got, h.Healthy())
			}
		})
	}
}

func TestRetryAfterIsObeyedAndCapped(t *testing.T) {
	c := newCollector(t, NDJSON)
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	answers := []struct {
		status int
		after  string
	}{
		{429, "7"},   // seconds
		{503, "120"}, // capped by MaxInterval
		{503, start.Add(20 * time.Second).Format(http.TimeFormat)}, // an HTTP date, 3s ahead of the clock by then
		{503, "Wed, 21 Oct 2015 07:28:00 GMT"},                     // in the past: at once
		{503, "soon"},                                              // unreadable: the back-off's wait
	}
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n > len(answers) {
			return false
		}
		a := answers[n-1]
		w.Header().Set("Retry-After", a.after)
		w.WriteHeader(a.status)
		return true
	})
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Retry: delivery.Retry{Max: 10, Backoff: delivery.Backoff{InitialInterval: time.Second, MaxInterval: 10 * time.Second, Jitter: -1}}})
	ft := installFakeTime(h, start)
	slog.New(h).Info("x")
	h.Flush(context.Background())
	// Back-off alone would be 1s, 2s, 4s, 8s, 10s: the headers replace the
	// first four, the last one is the back-off's fifth step.
	want := []time.Duration{7 * time.Second, 10 * time.Second, 3 * time.Second, 0, 10 * time.Second}
	if got := ft.recorded(); !slices.Equal(got, want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
	if got := msgs(t, c.got()); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("collector got %q", got)
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	c := newCollector(t, NDJSON)
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n > 1 {
			return false
		}
		w.Header().Set("Retry-After", start.Add(4*time.Second).Format(http.TimeFormat))
		w.WriteHeader(503)
		return true
	})
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Retry: delivery.Retry{Backoff: delivery.Backoff{InitialInterval: time.Second, MaxInterval: 10 * time.Second}}})
	ft := installFakeTime(h, start)
	slog.New(h).Info("x")
	h.Flush(context.Background())
	if got := ft.recorded(); !slices.Equal(got, []time.Duration{4 * time.Second}) {
		t.Fatalf("waits %v, want [4s]", got)
	}
}

func TestBackoffWaitsGrowWithJitter(t *testing.T) {
	c := newCollector(t, NDJSON)
	c.setFault(failFirst(6, 503, nil))
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Retry: delivery.Retry{Max: 6, Backoff: delivery.Backoff{InitialInterval: 100 * time.Millisecond, Multiplier: 3, MaxInterval: 2 * time.Second}}})
	ft := installFakeTime(h, t0)
	slog.New(h).Info("x")
	h.Flush(context.Background())
	waits := ft.recorded()
	base := []time.Duration{100, 300, 900, 2000, 2000, 2000} // ms: ×3, capped at 2s
	if len(waits) != len(base) {
		t.Fatalf("waits %v, want %d", waits, len(base))
	}
	for i, w := range waits {
		b := base[i] * time.Millisecond
		if w < b/2 || w > b*3/2 {
			t.Errorf("wait %d = %v, want %v ±50%%", i, w, b)
		}
	}
	if slices.Equal(waits[3:], []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second}) {
		t.Errorf("waits %v have no jitter", waits)
	}
}

func TestRetriesEnd(t *testing.T) {
	t.Run("MaxRetries", func(t *testing.T) {
		c := newCollector(t, NDJSON)
		c.setFault(failFirst(1000, 503, nil))
		var e errs
		h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Retry: fastRetry(3), ErrorHandler: e.handle})
		installFakeTime(h, t0)
		slog.New(h).Info("x")
		h.Flush(context.Background())
		if req, _ := c.counts(); req != 4 {
			t.Fatalf("%d requests, want 4", req)
		}
		if st := h.Stats(); st.Failed != 4 || st.Retries != 3 || st.Dropped != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("no retries", func(t *testing.T) {
		c := newCollector(t, NDJSON)
		c.setFault(failFirst(1000, 503, nil))
		h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Retry: delivery.Retry{Max: -1}})
		slog.New(h).Info("x")
		h.Flush(context.Background())
		if req, _ := c.counts(); req != 1 {
			t.Fatalf("%d requests, want 1", req)
		}
	})
	t.Run("MaxElapsedTime", func(t *testing.T) {
		c := newCollector(t, NDJSON)
		c.setFault(failFirst(1000, 503, nil))
		var e errs
		h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Retry: delivery.Retry{Max: 1000, MaxElapsedTime: 10 * time.Second, Backoff: delivery.Backoff{InitialInterval: time.Second, MaxInterval: time.Second, Jitter: -1}}, ErrorHandler: e.handle})
		installFakeTime(h, t0)
		slog.New(h).Info("x")
		h.Flush(context.Background())
		// Waits of 1s while elapsed+1s <= 10s: 10 waits, 11 requests.
		if req, _ := c.counts(); req != 11 {
			t.Fatalf("%d requests, want 11", req)
		}
		if !strings.Contains(e.text(), "retried for 10s") {
			t.Fatalf("report %q does not say how long it retried", e.text())
		}
	})
}

func TestNetworkErrorsAndTimeoutsAreRetried(t *testing.T) {
	c := newCollector(t, NDJSON)
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		switch n {
		case 1: // cut mid-request
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return true
			}
			conn.Close()
			return true
		case 2: // hang past the timeout
			hang(r)
			return true
		}
		return false
	})
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Timeout: 50 * time.Millisecond, Retry: fastRetry(0)})
	slog.New(h).Info("x")
	h.Flush(context.Background())
	if got := msgs(t, c.got()); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("collector got %q", got)
	}
	st := h.Stats()
	if st.Failed != 2 || st.Retries != 2 {
		t.Fatalf("stats %+v, want 2 failed, 2 retries", st)
	}
	if !strings.Contains(st.LastError.Error(), "no response within Timeout 50ms") {
		t.Fatalf("last error %q does not name the timeout", st.LastError)
	}
}

func TestTooLargeSplitsInHalves(t *testing.T) {
	c := newCollector(t, NDJSON)
	var sizes []int
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		body, _ := ReadBody(r, nil, 0)
		k := strings.Count(string(body), "\n")
		sizes = append(sizes, k)
		if k > 3 || strings.Contains(string(body), "huge") {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return true
		}
		return false
	})
	var e errs
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Queue: delivery.Queue{BatchSize: 10}, ErrorHandler: e.handle})
	l := slog.New(h)
	for i := range 10 {
		if i == 7 {
			l.Info("huge")
			continue
		}
		l.Info(fmt.Sprint(i))
	}
	h.Flush(context.Background())
	want := []string{"0", "1", "2", "3", "4", "5", "6", "8", "9"}
	if got := msgs(t, c.got()); !slices.Equal(got, want) {
		t.Fatalf("collector got %q, want %q", got, want)
	}
	// 10 → 5+5; 5 → 2+3; 5 (5..9) → 2 (5,6) + 3 (huge,8,9) → 1 (huge) + 2 (8,9).
	if wantSizes := []int{10, 5, 2, 3, 5, 2, 3, 1, 2}; !slices.Equal(sizes, wantSizes) {
		t.Fatalf("request sizes %v, want %v", sizes, wantSizes)
	}
	st := h.Stats()
	if st.Dropped != 1 || st.Written != 9 || st.Retries != 0 || st.Failed != 5 {
		t.Fatalf("stats %+v, want 1 dropped, 9 written, 5 failed (10, 5, 5, 3 and 1 records refused)", st)
	}
	if !strings.Contains(e.text(), "dropped 1 records") || !strings.Contains(e.text(), "413") {
		t.Fatalf("reports %q", e.text())
	}
}

func TestBulkItemFailures(t *testing.T) {
	c := newCollector(t, ElasticsearchBulk)
	var mu sync.Mutex
	var seen [][]string
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		body, _ := ReadBody(r, nil, 0)
		recs, _ := parseBody(ElasticsearchBulk, body)
		m := msgs(t, recs)
		mu.Lock()
		seen = append(seen, m)
		mu.Unlock()
		if n != 1 {
			return false
		}
		// Item 1 is refused for good, item 2 for now.
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"took":3,"errors":true,"items":[`+
			`{"create":{"status":201}},`+
			`{"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [n]"}}},`+
			`{"create":{"status":429,"error":{"type":"es_rejected_execution_exception"}}},`+
			`{"create":{"status":201}}]}`)
		return true
	})
	var e errs
	h := mustNew(t, c.url(), &Options{Encoding: ElasticsearchBulk, Queue: delivery.Queue{BatchSize: 4}, ErrorHandler: e.handle, Retry: fastRetry(0)})
	l := slog.New(h)
	for _, m := range []string{"a", "b", "c", "d"} {
		l.Info(m)
	}
	h.Flush(context.Background())
	mu.Lock()
	defer mu.Unlock()
	if want := [][]string{{"a", "b", "c", "d"}, {"c"}}; !slices.EqualFunc(seen, want, slices.Equal) {
		t.Fatalf("requests carried %q, want %q", seen, want)
	}
	st := h.Stats()
	if st.Dropped != 1 || st.Failed != 1 || st.Retries != 1 || st.Written != 3 {
		// Written counts the items the first response accepted (a, d) and the resend (c).
		t.Fatalf("stats %+v", st)
	}
	if !strings.Contains(e.text(), "mapper_parsing_exception") {
		t.Fatalf("report %q does not carry the item's error", e.text())
	}
}

func TestHealthyFromFirstFailureUntilASuccess(t *testing.T) {
	c := newCollector(t, NDJSON)
	var mu sync.Mutex
	down := true
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		mu.Lock()
		defer mu.Unlock()
		if down {
			w.WriteHeader(503)
		}
		return down
	})
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Retry: delivery.Retry{Max: -1}})
	if !h.Healthy() {
		t.Fatal("unhealthy before anything was sent")
	}
	l := slog.New(h)
	l.Info("lost")
	h.Flush(context.Background())
	if h.Healthy() {
		t.Fatal("healthy after a failed batch")
	}
	l.Info("lost too")
	h.Flush(context.Background())
	if h.Healthy() {
		t.Fatal("healthy after a second failed batch")
	}
	mu.Lock()
	down = false
	mu.Unlock()
	l.Info("ok")
	h.Flush(context.Background())
	if !h.Healthy() {
		t.Fatal("unhealthy after a success")
	}
	st := h.Stats()
	if st.Written != 1 || st.Dropped != 2 || st.Failed != 2 || st.Queued != 0 || st.LastWrite.IsZero() {
		t.Fatalf("stats %+v", st)
	}
}
