package wssink

import (
	"context"
	"encoding/json"
	"github.com/jinpy-utils/multi/delivery"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// wsServer is a real HTTP server on 127.0.0.1 that can be stopped (cutting
// every connection, hijacked ones included) and started again on the same
// port, like a collector that restarts.
type wsServer struct {
	t       testing.TB
	addr    string
	handler http.Handler

	mu     sync.Mutex
	stopFn func() // stops the running server; nil when stopped
}

func newWSServer(t testing.TB, h http.Handler) *wsServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &wsServer{t: t, addr: ln.Addr().String(), handler: h}
	s.startOn(ln)
	t.Cleanup(s.stop)
	return s
}

// newDownServer returns a server that is not listening yet: its port was
// picked and released, so dials to it are refused until start.
func newDownServer(t *testing.T, h http.Handler) *wsServer {
	t.Helper()
	s := newWSServer(t, h)
	s.stop()
	return s
}

func (s *wsServer) url() string { return "ws://" + s.addr + "/" }

func (s *wsServer) start() {
	s.t.Helper()
	var ln net.Listener
	var err error
	eventuallyQuiet(10*time.Second, func() bool { // the port may be busy for a moment after a stop
		ln, err = net.Listen("tcp", s.addr)
		return err == nil
	})
	if err != nil {
		s.t.Fatalf("restart server on %s: %v", s.addr, err)
	}
	s.startOn(ln)
}

func (s *wsServer) startOn(ln net.Listener) {
	// Each run of the server tracks its own connections, so that stop can
	// close hijacked ones too (http.Server.Close does not).
	var mu sync.Mutex
	idle := sync.NewCond(&mu)
	conns := map[net.Conn]struct{}{}
	stopped, active := false, 0
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			active++
			mu.Unlock()
			defer func() {
				mu.Lock()
				active--
				idle.Broadcast()
				mu.Unlock()
			}()
			s.handler.ServeHTTP(w, r)
		}),
		ConnState: func(c net.Conn, st http.ConnState) {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case st == http.StateNew && stopped:
				c.Close()
			case st == http.StateNew:
				conns[c] = struct{}{}
			case st == http.StateClosed:
				delete(conns, c)
			}
		},
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	s.mu.Lock()
	s.stopFn = func() {
		srv.Close()
		mu.Lock()
		stopped = true
		for c := range conns {
			c.Close()
		}
		for active > 0 {
			idle.Wait()
		}
		mu.Unlock()
		<-done
	}
	s.mu.Unlock()
}

// stop closes the listener and every connection, and waits for the
// handlers to return.
func (s *wsServer) stop() {
	s.mu.Lock()
	f := s.stopFn
	s.stopFn = nil
	s.mu.Unlock()
	if f != nil {
		f()
	}
}

// collector keeps copies of the records a receiver handled.
type collector struct {
	mu   sync.Mutex
	recs [][]byte
	fail func(recs [][]byte) error // optional: refuse a message
}

func (c *collector) handle(_ context.Context, recs [][]byte) error {
	if c.fail != nil {
		if err := c.fail(recs); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range recs {
		c.recs = append(c.recs, append([]byte(nil), r...))
	}
	return nil
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.recs)
}

func (c *collector) records() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.recs...)
}

// ints returns how often each value of the integer attribute key was seen.
func (c *collector) ints(t *testing.T, key string) map[int]int {
	t.Helper()
	seen := map[int]int{}
	for _, r := range c.records() {
		var m map[string]any
		if err := json.Unmarshal(r, &m); err != nil {
			t.Fatalf("record is not JSON: %v: %.200s", err, r)
		}
		v, ok := m[key].(float64)
		if !ok {
			t.Fatalf("record has no %q: %.200s", key, r)
		}
		seen[int(v)]++
	}
	return seen
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if !eventuallyQuiet(within, cond) {
		t.Fatalf("after %v: %s", within, what)
	}
}

// ownFrames mark goroutines that must be gone after Shutdown and a server
// stop: the handler's, the queue's, coder/websocket's, the HTTP client's
// and the test server's.
var ownFrames = []string{
	"wssink.(*sink)", "buffer.(*Buffer)", "wssink.(*receiver)", "wssink.(*wsServer)",
	"coder/websocket", "net/http.(*persistConn)", "net/http.(*conn).serve",
}

// leftGoroutines returns the stacks of goroutines that run any of ownFrames.
func leftGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, f := range ownFrames {
			if strings.Contains(g, f) {
				left = append(left, g)
				break
			}
		}
	}
	return left
}

// checkNoGoroutines fails unless every goroutine of ownFrames has ended
// (polling: the goroutines of a closed socket end a moment after it).
func checkNoGoroutines(t *testing.T) {
	t.Helper()
	var left []string
	eventuallyQuiet(5*time.Second, func() bool {
		left = leftGoroutines()
		return len(left) == 0
	})
	if len(left) > 0 {
		t.Fatalf("%d goroutines left:\n\n%s", len(left), strings.Join(left, "\n\n"))
	}
}

// eventuallyQuiet polls cond until it holds or within passes.
func eventuallyQuiet(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}

// fastOptions are options for tests: short intervals, a quick flush.
func fastOptions() *Options {
	return &Options{
		Queue: delivery.Queue{FlushInterval: 5 * time.Millisecond}, Reconnect: delivery.Backoff{InitialInterval: 5 * time.Millisecond, MaxInterval: 50 * time.Millisecond}, Timeout: 2 * time.Second,

		Source: "wssink-test",
	}
}

func shutdown(t *testing.T, h *Handler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}
