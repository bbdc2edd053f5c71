package httpsink

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/jinpy-utils/multi/delivery"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// collector is a real HTTP log collector on 127.0.0.1: it reads every
// request as a receiver would (ReadBody: unseal, gunzip), parses the body
// in its encoding and keeps the records, in arrival order.
type collector struct {
	t   testing.TB
	srv *httptest.Server
	enc Encoding
	key []byte

	// fault, when set, may answer a request instead of the collector: it
	// returns true if it did (the request then counts as failed).
	fault func(w http.ResponseWriter, r *http.Request, n int) bool

	mu       sync.Mutex
	records  []string      // every record received, without its newline
	headers  []http.Header // the headers of every request that got through
	bodies   [][]byte      // every body that got through, as sent (sealed)
	requests int           // every request seen
	failed   int           // requests the fault answered
	arrived  chan struct{} // poked after each accepted request
}

func newCollector(t testing.TB, enc Encoding) *collector {
	c := &collector{t: t, enc: enc, arrived: make(chan struct{}, 1)}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.srv.Close)
	return c
}

// newCollectorAt starts a collector on a given address (a port a test
// reserved while the collector was "down").
func newCollectorAt(t testing.TB, enc Encoding, addr string) *collector {
	c := &collector{t: t, enc: enc, arrived: make(chan struct{}, 1)}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(c.serve))
	var err error
	for range 100 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			c.srv.Listener.Close()
			c.srv.Listener = ln
			break
		}
		time.Sleep(10 * time.Millisecond) // the port may linger in TIME_WAIT
	}
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	c.srv.Start()
	t.Cleanup(c.srv.Close)
	return c
}

func (c *collector) url() string { return c.srv.URL + "/ingest" }

func (c *collector) serve(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.requests++
	n := c.requests
	fault := c.fault
	c.mu.Unlock()
	orig := r.Body
	raw := new(bytes.Buffer)
	r.Body = readCloser{orig, raw}
	if fault != nil {
		if fault(w, r, n) {
			c.mu.Lock()
			c.failed++
			c.mu.Unlock()
			return
		}
		// The fault may have read some of the body: read it again.
		r.Body = readCloser{struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(raw.Bytes()), orig), orig}, new(bytes.Buffer)}
		raw = r.Body.(readCloser).tee
	}
	body, err := ReadBody(r, c.key, 0)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	recs, err := parseBody(c.enc, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		c.t.Errorf("collector: %v in body %q", err, body)
		return
	}
	c.mu.Lock()
	c.records = append(c.records, recs...)
	c.headers = append(c.headers, r.Header.Clone())
	c.bodies = append(c.bodies, raw.Bytes())
	c.mu.Unlock()
	select {
	case c.arrived <- struct{}{}:
	default:
	}
	if c.enc == ElasticsearchBulk {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"took":1,"errors":false,"items":[]}`)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// readCloser tees what is read into a buffer.
type readCloser struct {
	r interface {
		Read([]byte) (int, error)
		Close() error
	}
	tee *bytes.Buffer
}

func (rc readCloser) Read(p []byte) (int, error) {
	n, err := rc.r.Read(p)
	rc.tee.Write(p[:n])
	return n, err
}
func (rc readCloser) Close() error { return rc.r.Close() }

// parseBody returns the records of a plain body, each without newline.
func parseBody(enc Encoding, body []byte) ([]string, error) {
	var recs []string
	switch enc {
	case NDJSON:
		if len(body) == 0 || body[len(body)-1] != '\n' {
			return nil, fmt.Errorf("ndjson body does not end in a newline")
		}
		for _, l := range strings.Split(string(body[:len(body)-1]), "\n") {
			if !json.Valid([]byte(l)) {
				return nil, fmt.Errorf("ndjson line %q is not JSON", l)
			}
			recs = append(recs, l)
		}
	case ElasticsearchBulk:
		if len(body) == 0 || body[len(body)-1] != '\n' {
			return nil, fmt.Errorf("bulk body does not end in a newline")
		}
		lines := strings.Split(string(body[:len(body)-1]), "\n")
		if len(lines)%2 != 0 {
			return nil, fmt.Errorf("bulk body has %d lines, not action/document pairs", len(lines))
		}
		for i := 0; i < len(lines); i += 2 {
			var action map[string]map[string]string
			if err := json.Unmarshal([]byte(lines[i]), &action); err != nil || action["create"] == nil {
				return nil, fmt.Errorf("bulk action line %q is not a create", lines[i])
			}
			recs = append(recs, lines[i+1])
		}
	case Loki:
		var push struct {
			Streams []struct {
				Stream map[string]string `json:"stream"`
				Values [][2]string       `json:"values"`
			} `json:"streams"`
		}
		if err := json.Unmarshal(body, &push); err != nil {
			return nil, err
		}
		for _, s := range push.Streams {
			for _, v := range s.Values {
				recs = append(recs, v[1])
			}
		}
	default:
		var env struct {
			Logs      []json.RawMessage `json:"logs"`
			Timestamp string            `json:"timestamp"`
			Source    string            `json:"source"`
			Count     int               `json:"count"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			return nil, err
		}
		if env.Count != len(env.Logs) {
			return nil, fmt.Errorf("envelope count %d, but %d logs", env.Count, len(env.Logs))
		}
		if _, err := time.Parse(time.RFC3339Nano, env.Timestamp); err != nil {
			return nil, fmt.Errorf("envelope timestamp: %v", err)
		}
		for _, l := range env.Logs {
			recs = append(recs, string(l))
		}
	}
	return recs, nil
}

func (c *collector) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.records...)
}

func (c *collector) counts() (requests, failed int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests, c.failed
}

func (c *collector) setFault(f func(w http.ResponseWriter, r *http.Request, n int) bool) {
	c.mu.Lock()
	c.fault = f
	c.mu.Unlock()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		runtime.Gosched()
		time.Sleep(2 * time.Millisecond)
	}
}

// mustNew builds a Handler and shuts it down at the end of the test.
func mustNew(t testing.TB, url string, o *Options) *Handler {
	t.Helper()
	h, err := New(url, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Shutdown(context.Background()) })
	return h
}

// fastRetry retries quickly, max times (0: the default), for tests.
func fastRetry(max int) delivery.Retry {
	return delivery.Retry{Max: max, MaxElapsedTime: -1, Backoff: delivery.Backoff{InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond}}
}

// msgs returns the "msg" of each JSON record.
func msgs(t testing.TB, recs []string) []string {
	t.Helper()
	out := make([]string, len(recs))
	for i, r := range recs {
		var m struct{ Msg string }
		if err := json.Unmarshal([]byte(r), &m); err != nil {
			t.Fatalf("record %q: %v", r, err)
		}
		out[i] = m.Msg
	}
	return out
}

// reservePort returns a loopback address nothing listens on (yet).
func reservePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// errs collects what an ErrorHandler is told.
type errs struct {
	mu   sync.Mutex
	list []error
}

func (e *errs) handle(err error) {
	e.mu.Lock()
	e.list = append(e.list, err)
	e.mu.Unlock()
}

func (e *errs) all() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.list...)
}

func (e *errs) text() string {
	var b strings.Builder
	for _, err := range e.all() {
		b.WriteString(err.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

// goroutinesSettle waits for the goroutine count to drop back to n.
func goroutinesSettle(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines left, want at most %d:\n%s", runtime.NumGoroutine(), n, buf)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func countGoroutines() int { return runtime.NumGoroutine() }

// hang holds a request until the client gives up on it. The body is read
// first: only then does the server notice the client closing the
// connection and cancel the request's context.
func hang(r *http.Request) {
	io.Copy(io.Discard, r.Body)
	<-r.Context().Done()
}
