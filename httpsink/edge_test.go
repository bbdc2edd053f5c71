package httpsink

import (
	"context"
	"encoding/base64"
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

// TestShutdownDeadlineWhileProberWaitsForTheSender: the sender is in
// a long back-off wait and the prober, kicked by a divert, waits for the
// sender's lock. Shutdown with a short deadline must still return soon,
// with every record spooled and no goroutine left.
func TestShutdownDeadlineWhileProberWaitsForTheSender(t *testing.T) {
	c := newCollector(t, NDJSON)
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	before := countGoroutines()
	h, err := New(c.url(), &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: t.TempDir()}, Queue: delivery.Queue{BatchSize: 1, Size: 2}, Retry: delivery.Retry{Max: 5, MaxElapsedTime: -1, Backoff: delivery.Backoff{InitialInterval: time.Hour, MaxInterval: time.Hour, Jitter: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	l := slog.New(h)
	l.Info("rec", "seq", 0)
	waitFor(t, "the first request", 10*time.Second, func() bool { req, _ := c.counts(); return req >= 1 })
	// The sender now waits an hour before its retry. Two batches fill the
	// queue; the third record diverts the oldest to the spool and kicks
	// the prober, which then waits for the sender's lock.
	for i := 1; i <= 3; i++ {
		l.Info("rec", "seq", i)
	}
	waitFor(t, "the prober to take its kick", 10*time.Second, func() bool {
		return h.Stats().Spooled == 1 && len(h.s.Kick) == 0
	})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.Shutdown(ctx) }()
	select {
	case err := <-done:
		// Shutdown cut the hour's wait and spooled what it could not send:
		// nothing is lost, so it may report no error.
		_ = err
	case <-time.After(15 * time.Second):
		t.Fatal("Shutdown did not return after its ctx ended: it waits for the prober, which waits for the retrying sender")
	}
	st := h.Stats()
	if st.Spooled != 4 || st.Dropped != 0 || st.Written != 0 || st.Queued != 0 {
		t.Fatalf("stats %+v, want all 4 records spooled", st)
	}
	c.srv.CloseClientConnections()
	goroutinesSettle(t, before)
}

// bulkFirst answers the first request with a bulk response holding items.
func bulkFirst(items ...string) func(http.ResponseWriter, *http.Request, int) bool {
	return func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n != 1 {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"took":1,"errors":true,"items":[`+strings.Join(items, ",")+`]}`)
		return true
	}
}

// TestBulkItemsToRetryBesideRefusedOnesAreSpooled: a bulk response
// that refuses one item for good and one for now (429). The first is
// dropped; the second may succeed later and goes to the spool.
func TestBulkItemsToRetryBesideRefusedOnesAreSpooled(t *testing.T) {
	c := newCollector(t, ElasticsearchBulk)
	c.setFault(bulkFirst(
		`{"create":{"status":400,"error":{"type":"mapper_parsing_exception"}}}`,
		`{"create":{"status":429,"error":{"type":"es_rejected_execution_exception"}}}`))
	h := mustNew(t, c.url(), &Options{Encoding: ElasticsearchBulk, Spool: delivery.Spool{Dir: t.TempDir()}, Retry: delivery.Retry{Max: -1}, Queue: delivery.Queue{BatchSize: 2, FlushInterval: time.Hour}})
	l := slog.New(h)
	l.Info("a")
	l.Info("b")
	if err := h.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := h.Stats(); st.Dropped != 1 || st.Spooled != 1 {
		t.Fatalf("stats %+v, want the refused item dropped and the 429 one spooled", st)
	}
	l.Info("c")
	if err := h.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// b goes from the spool as soon as the prober (woken by the spooling)
	// or the sender (after c) replays it: before or after c.
	waitFor(t, "b from the spool", 10*time.Second, func() bool { return h.Stats().Replayed == 1 })
	got := msgs(t, c.got())
	slices.Sort(got)
	if !slices.Equal(got, []string{"b", "c", core.GapMessage}) {
		t.Fatalf("collector got %q, want b (from the spool) and c once each, and a gap record about a", got)
	}
	if st := h.Stats(); st.Written != 2 || st.Replayed != 1 || st.Dropped != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestBulkItemsDeliveredBesideFailedOnesAreWritten: the items a bulk
// response accepted are delivered and count as written.
func TestBulkItemsDeliveredBesideFailedOnesAreWritten(t *testing.T) {
	c := newCollector(t, ElasticsearchBulk)
	c.setFault(bulkFirst(`{"create":{"status":201}}`,
		`{"create":{"status":400,"error":{"type":"mapper_parsing_exception"}}}`,
		`{"create":{"status":201}}`))
	h := mustNew(t, c.url(), &Options{Encoding: ElasticsearchBulk, Queue: delivery.Queue{BatchSize: 3, FlushInterval: time.Hour}})
	l := slog.New(h)
	for _, m := range []string{"a", "bb", "c"} {
		l.Info(m)
	}
	if err := h.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := h.Stats()
	if st.Written != 2 || st.Dropped != 1 || st.Queued != 0 || st.Bytes == 0 {
		t.Fatalf("stats %+v, want 2 written (a and c were accepted), their bytes, and 1 dropped", st)
	}
}

// TestRetryAfterBeyondMaxElapsedTimeEndsTheRetries: a Retry-After
// that would take the retries past MaxElapsedTime ends them: no retry once
// MaxElapsedTime has passed.
func TestRetryAfterBeyondMaxElapsedTimeEndsTheRetries(t *testing.T) {
	c := newCollector(t, NDJSON)
	c.setFault(failFirst(1000, http.StatusServiceUnavailable, http.Header{"Retry-After": {"30"}}))
	var e errs
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Retry: delivery.Retry{Max: 10, MaxElapsedTime: 10 * time.Second, Backoff: delivery.Backoff{InitialInterval: time.Second, MaxInterval: time.Minute, Jitter: -1}}, ErrorHandler: e.handle})
	ft := installFakeTime(h, t0)
	slog.New(h).Info("x")
	h.Flush(context.Background())
	if req, _ := c.counts(); req != 1 {
		t.Fatalf("%d requests after waits %v, want 1: a retry 30s on is past MaxElapsedTime 10s", req, ft.recorded())
	}
	if st := h.Stats(); st.Dropped != 1 || st.Retries != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestReplayInterruptedMidFrameResumesWithoutDuplicates: a spooled
// batch is split by 413s on replay; its first record is delivered, the
// second is too large and dropped, and the third meets a 503 that stops
// the replay. The next replay sends the third only: nothing is delivered
// or counted twice.
func TestReplayInterruptedMidFrameResumesWithoutDuplicates(t *testing.T) {
	c := newCollector(t, NDJSON)
	var mu sync.Mutex
	up, failedC := false, false
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		body, _ := ReadBody(r, nil, 0)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case !up:
			w.WriteHeader(http.StatusServiceUnavailable)
		case strings.Count(string(body), "\n") > 1 || strings.Contains(string(body), "big"):
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		case strings.Contains(string(body), `"msg":"c"`) && !failedC:
			failedC = true
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			return false
		}
		return true
	})
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: t.TempDir()}, Retry: delivery.Retry{Max: -1, Backoff: delivery.Backoff{InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond}}, Queue: delivery.Queue{BatchSize: 3, FlushInterval: time.Hour}})
	l := slog.New(h)
	l.Info("a")
	l.Info("big")
	l.Info("c")
	if err := h.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := h.Stats(); st.Spooled != 3 {
		t.Fatalf("stats %+v, want the batch spooled", st)
	}
	mu.Lock()
	up = true
	mu.Unlock()
	waitFor(t, "the spool to be replayed", 30*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return failedC && h.s.Spool.Len() == 0 && slices.Contains(msgs(t, c.got()), "c")
	})
	if got := msgs(t, c.got()); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("collector got %q, want a and c once each", got)
	}
	if st := h.Stats(); st.Written != 2 || st.Replayed != 2 || st.Dropped != 1 {
		t.Fatalf("stats %+v, want 2 written and replayed, 1 dropped", st)
	}
}

// TestQueuedDuringReplayAfterABatch: once the sender's batch is
// delivered, it is no longer queued while the sender replays the spool.
func TestQueuedDuringReplayAfterABatch(t *testing.T) {
	c := newCollector(t, NDJSON)
	var mu sync.Mutex
	up, newSeen := false, false
	replaying := make(chan struct{})
	release := make(chan struct{})
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		body, _ := ReadBody(r, nil, 0)
		mu.Lock()
		u := up
		mu.Unlock()
		if !u {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		if strings.Contains(string(body), `"msg":"new"`) {
			mu.Lock()
			newSeen = true
			mu.Unlock()
		}
		if strings.Contains(string(body), `"msg":"old"`) {
			close(replaying)
			<-release
		}
		return false
	})
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: t.TempDir()}, Retry: delivery.Retry{Max: -1, Backoff: delivery.Backoff{InitialInterval: time.Hour, MaxInterval: time.Hour}}, Queue: delivery.Queue{FlushInterval: time.Hour}})
	ft := installFakeTime(h, t0)
	l := slog.New(h)
	l.Info("old")
	h.Flush(context.Background())
	if st := h.Stats(); st.Spooled != 1 {
		t.Fatalf("stats %+v", st)
	}
	mu.Lock()
	up = true
	mu.Unlock()
	ft.mu.Lock()
	ft.now = ft.now.Add(2 * time.Hour) // the breaker's wait is over: the next batch is a probe
	ft.mu.Unlock()
	l.Info("new")
	flushed := make(chan error, 1)
	go func() { flushed <- h.Flush(context.Background()) }()
	select {
	case <-replaying:
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("the spool was not replayed after the batch")
	}
	st := h.Stats()
	close(release)
	mu.Lock()
	afterNew := newSeen
	mu.Unlock()
	switch {
	case afterNew && (st.Written != 1 || st.Queued != 0):
		t.Errorf("while the sender replays after its batch: stats %+v, want the delivered batch written and not queued", st)
	case !afterNew && (st.Written != 0 || st.Queued != 1):
		// The prober, woken by the spooling, saw the breaker's wait over
		// first and replays while the new batch waits for it.
		t.Errorf("while the prober replays before the batch: stats %+v, want none written and the batch queued", st)
	}
	select {
	case <-flushed:
	case <-time.After(10 * time.Second):
		t.Fatal("Flush did not return")
	}
}

// TestURLPasswordSentAsBasicAuthIsNotEchoed: the URL's user info goes
// out as a Basic Authorization header; a collector echoing it must not get
// the credential into errors.
func TestURLPasswordSentAsBasicAuthIsNotEchoed(t *testing.T) {
	const password = "password-SECRET-4444"
	c := newCollector(t, NDJSON)
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "auth=%q", r.Header.Get("Authorization"))
		return true
	})
	var e errs
	u := strings.Replace(c.url(), "http://", "http://user:"+password+"@", 1)
	h := mustNew(t, u, &Options{Encoding: NDJSON, ErrorHandler: e.handle})
	slog.New(h).Info("x")
	h.Flush(context.Background())
	basic := base64.StdEncoding.EncodeToString([]byte("user:" + password))
	text := e.text()
	if !strings.Contains(text, "auth=") {
		t.Fatalf("the echo was not reported: %q", text)
	}
	checkNoSecret(t, "ErrorHandler", text, []string{password, basic})
	checkNoSecret(t, "Stats.LastError", h.Stats().LastError.Error(), []string{password, basic})
}

// A user name alone in the URL (https://TOKEN@host, as some collectors
// take their key) is a credential: neither it nor its Basic form reaches
// errors or Stats.
func TestURLUserNameIsASecret(t *testing.T) {
	const token = "tok-SECRET-5555"
	c := newCollector(t, NDJSON)
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "auth=%q url=%s", r.Header.Get("Authorization"), r.URL)
		return true
	})
	var e errs
	h := mustNew(t, strings.Replace(c.url(), "http://", "http://"+token+"@", 1), &Options{Encoding: NDJSON, ErrorHandler: e.handle})
	slog.New(h).Info("x")
	h.Flush(context.Background())
	basic := base64.StdEncoding.EncodeToString([]byte(token + ":"))
	if text := e.text(); !strings.Contains(text, "auth=") {
		t.Fatalf("the echo was not reported: %q", text)
	}
	checkNoSecret(t, "ErrorHandler", e.text(), []string{token, basic})
	checkNoSecret(t, "Stats.LastError", h.Stats().LastError.Error(), []string{token, basic})
}

// TestStatusLineDoesNotLeakSecrets: a collector that puts the token
// in its status line: the StatusError in the chain is scrubbed too.
func TestStatusLineDoesNotLeakSecrets(t *testing.T) {
	const token = "bearer-SECRET-7777"
	c := newCollector(t, NDJSON)
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		conn, bw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return true
		}
		defer conn.Close()
		fmt.Fprintf(bw, "HTTP/1.1 400 Bad token %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", r.Header.Get("Authorization"))
		bw.Flush()
		return true
	})
	var e errs
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, BearerToken: token, ErrorHandler: e.handle})
	slog.New(h).Info("x")
	h.Flush(context.Background())
	reported := e.all()
	if len(reported) == 0 {
		t.Fatal("nothing reported")
	}
	for _, err := range append(reported, h.Stats().LastError) {
		for ; err != nil; err = errors.Unwrap(err) {
			checkNoSecret(t, "error chain", err.Error(), []string{token})
			var se *StatusError
			if errors.As(err, &se) {
				checkNoSecret(t, "StatusError.Status", se.Status, []string{token})
			}
		}
	}
}

// A bulk response's "errors": true is found however it is spaced, and not
// where it is false or only mentioned.
func TestBulkHasErrors(t *testing.T) {
	for body, want := range map[string]bool{
		`{"took":3,"errors":true,"items":[]}`:                          true,
		"{\n  \"took\" : 3,\n  \"errors\" : true,\n  \"items\" : [] }": true,
		`{"errors":	true}`:                                  true,
		`{"took":3,"errors":false,"items":[]}`:              false,
		`{"errors" : false, "items":[{"reason":"errors"}]}`: false,
		`{"msg":"errors"}`:                                  false,
		`{"errors"`:                                         false,
		``:                                                  false,
	} {
		if got := bulkHasErrors([]byte(body)); got != want {
			t.Errorf("bulkHasErrors(%q) = %v, want %v", body, got, want)
		}
	}
}

// A second Shutdown while the first waits for a collector that does not
// answer returns when its own ctx ends, not when the first is done; once the
// first is done, a later call returns nil at once.
func TestConcurrentShutdownHonoursItsContext(t *testing.T) {
	c := newCollector(t, NDJSON)
	hang := make(chan struct{})
	unhang := sync.OnceFunc(func() { close(hang) })
	t.Cleanup(unhang) // before the collector closes, should the test fail
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	before := countGoroutines()
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Timeout: time.Hour, Retry: delivery.Retry{Max: -1}})
	slog.New(h).Info("pending")
	waitFor(t, "the request", 10*time.Second, func() bool { req, _ := c.counts(); return req >= 1 })

	firstCtx, release := context.WithCancel(context.Background())
	defer release()
	first := make(chan error, 1)
	go func() { first <- h.Shutdown(firstCtx) }()
	waitFor(t, "the first Shutdown under way", 10*time.Second, h.s.Closed)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	second := make(chan error, 1)
	go func() { second <- h.Shutdown(ctx) }()
	select {
	case err := <-second:
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "shutdown under way") {
			t.Errorf("second Shutdown = %v, want its ctx's deadline, waiting for the shutdown under way", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second Shutdown still waiting 10s after its 50ms ctx ended")
	}
	release()
	select {
	case err := <-first:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("first Shutdown = %v, want its ctx's cancellation", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("first Shutdown did not return after its ctx ended")
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown after Shutdown = %v, want nil", err)
	}
	if st := h.Stats(); st.Dropped != 1 || st.Queued != 0 {
		t.Errorf("stats %+v, want the record dropped and nothing queued", st)
	}
	unhang()
	c.srv.CloseClientConnections()
	goroutinesSettle(t, before)
}

// Whatever goes to the spool wakes the prober, so it is replayed without
// waiting for the next batch: a kick the prober took before the append
// (openBreaker kicks first) found the spool empty. Here nothing else kicks
// it, and no batch flows.
func TestSpoolingWakesTheProber(t *testing.T) {
	c := newCollector(t, NDJSON)
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: t.TempDir()}, Queue: delivery.Queue{FlushInterval: time.Hour}})
	h.s.SendMu.Lock()
	h.s.ToSpool([][]byte{[]byte(`{"time":"t","level":"INFO","msg":"spooled"}`)}, nil)
	h.s.SendMu.Unlock()
	waitFor(t, "the spooled record at the collector", 10*time.Second, func() bool {
		return slices.Contains(msgs(t, c.got()), "spooled")
	})
	// The collector holds the record before the sender has read the
	// response and counted it: wait for the count, then check it is exact.
	waitFor(t, "the replay counted and the spool emptied", 10*time.Second, func() bool { return h.Stats().Replayed > 0 && h.s.Spool.Len() == 0 })
	if st := h.Stats(); st.Replayed != 1 || st.Written != 1 || h.s.Spool.Len() != 0 {
		t.Fatalf("stats %+v, spool %d: want the record replayed", st, h.s.Spool.Len())
	}
}

// Backoff.MaxInterval defaults to 30s, or to InitialInterval if that is
// longer, as its doc says: setting only InitialInterval is not an error.
func TestMaxIntervalDefaultFollowsInitialInterval(t *testing.T) {
	for _, tc := range []struct{ first, max, want time.Duration }{
		{0, 0, delivery.DefaultMaxInterval},
		{time.Second, 0, delivery.DefaultMaxInterval},
		{2 * time.Minute, 0, 2 * time.Minute},
		{2 * time.Minute, 5 * time.Minute, 5 * time.Minute},
	} {
		c, err := resolve("http://h/x", &Options{Retry: delivery.Retry{Backoff: delivery.Backoff{InitialInterval: tc.first, MaxInterval: tc.max}}})
		if err != nil {
			t.Errorf("InitialInterval %v, MaxInterval %v: %v", tc.first, tc.max, err)
			continue
		}
		if c.Retry.MaxInterval != tc.want {
			t.Errorf("InitialInterval %v, MaxInterval %v: resolved to %v, want %v", tc.first, tc.max, c.Retry.MaxInterval, tc.want)
		}
	}
}

func TestURLWithoutSchemeSuggestsOne(t *testing.T) {
	for raw, want := range map[string]string{
		"localhost:9428/insert/jsonline":       `httpsink: URL "localhost:9428/insert/jsonline" has no scheme: did you mean http://localhost:9428/insert/jsonline?`,
		"127.0.0.1:9428/insert/jsonline?k=SEC": `httpsink: URL "127.0.0.1:9428/insert/jsonline" has no scheme: did you mean http://127.0.0.1:9428/insert/jsonline?`,
		"user:SECRET@host:1/x":                 `httpsink: URL "host:1/x" has no scheme: did you mean http://host:1/x?`,
		"":                                     `httpsink: URL is empty: give the collector's, such as http://localhost:9428/insert/jsonline?_msg_field=msg&_time_field=time`,
		"ftp://host/x":                         `httpsink: URL ftp://host/x: scheme "ftp" is not http or https`,
	} {
		_, err := New(raw, nil)
		if err == nil || err.Error() != want {
			t.Errorf("New(%q) = %v\nwant %s", raw, err, want)
		}
	}
}
