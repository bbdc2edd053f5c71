package multi_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/httpsink"
	"github.com/jinpy-utils/multi/multitest"
)

func mustFailover(t testing.TB, o *multi.FailoverOptions, primary slog.Handler, secondaries ...slog.Handler) slog.Handler {
	t.Helper()
	h, err := multi.Failover(o, primary, secondaries...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestFailoverFollowsHealthAndHoldsBeforeGoingBack(t *testing.T) {
	primary, second, third := multitest.NewDrill(nil), multitest.NewDrill(nil), multitest.NewRecorder(nil)
	h := mustFailover(t, &multi.FailoverOptions{Hold: time.Minute}, primary, second, third)
	var clock atomic.Int64
	multi.SetFailoverClock(h, clock.Load)
	log := slog.New(h).With("k", "v")

	log.Info("1")
	primary.SetHealthy(false)
	log.Info("2")
	second.SetHealthy(false)
	log.Info("3")
	second.SetHealthy(true)
	log.Info("4")
	primary.SetHealthy(true)
	log.Info("5") // the primary is healthy from now: the hold starts
	clock.Add(int64(59 * time.Second))
	log.Info("6")
	primary.SetHealthy(false) // a flap restarts the hold
	log.Info("7")
	primary.SetHealthy(true)
	log.Info("8")
	clock.Add(int64(59 * time.Second))
	log.Info("9")
	clock.Add(int64(time.Second))
	log.Info("10")

	for _, c := range []struct {
		name string
		got  []string
		want string
	}{
		{"primary", primary.Messages(), "1,10"},
		{"second", second.Messages(), "2,4,5,6,7,8,9"},
		{"third", third.Messages(), "3"},
	} {
		if got := strings.Join(c.got, ","); got != c.want {
			t.Errorf("%s got %s; want %s", c.name, got, c.want)
		}
	}
	if v, ok := multitest.Attr(primary.Records()[1], "k"); !ok || v.String() != "v" {
		t.Errorf("record through the derived Failover lacks k=v")
	}
	if s := multi.New(h).Stats(); s.Written != 10 {
		t.Errorf("Stats().Written = %d; want 10", s.Written)
	}
}

func TestFailoverWithNothingHealthySendsToThePrimary(t *testing.T) {
	primary, second := multitest.NewDrill(nil), multitest.NewDrill(nil)
	h := mustFailover(t, nil, primary, second)
	primary.SetHealthy(false)
	second.SetHealthy(false)
	slog.New(h).Info("m")
	if primary.Len() != 1 || second.Len() != 0 || multi.HealthyOf(h) {
		t.Errorf("primary %d, second %d, healthy %v; want 1, 0, false", primary.Len(), second.Len(), multi.HealthyOf(h))
	}
}

func TestFailoverRefusesBadInputNamingTheFix(t *testing.T) {
	r := multitest.NewRecorder(nil)
	var nilRec *multitest.Recorder
	for _, tc := range []struct {
		o    *multi.FailoverOptions
		hs   []slog.Handler
		want string
	}{
		{nil, []slog.Handler{nil, r}, "multi.Failover: primary is nil; check the error"},
		{nil, []slog.Handler{r, r, nilRec}, "secondaries[1] is nil (*multitest.Recorder)"},
		{nil, []slog.Handler{r}, "no secondaries; write at least one handler after the primary"},
		{&multi.FailoverOptions{Hold: -time.Second}, []slog.Handler{r, r}, "Hold -1s is negative; write 0 for the default of 10s"},
	} {
		_, err := multi.Failover(tc.o, tc.hs[0], tc.hs[1:]...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Failover = %v; want an error containing %q", err, tc.want)
		}
	}
}

func TestFailoverLifecycleReachesEveryHandler(t *testing.T) {
	a, b := multitest.NewRecorder(nil), multitest.NewRecorder(nil)
	h := mustFailover(t, nil, a, b, a.WithAttrs([]slog.Attr{slog.Int("k", 1)}))
	slog.New(h).Info("m")
	ctx := context.Background()
	if err := multi.Flush(ctx, h); err != nil {
		t.Fatal(err)
	}
	if err := multi.Shutdown(ctx, h); err != nil {
		t.Fatal(err)
	}
	if a.Flushes() != 2 || b.Flushes() != 1 || a.Shutdowns() != 2 || b.Shutdowns() != 1 {
		t.Errorf("a %d/%d, b %d/%d flushes/shutdowns; want 2/2 and 1/1", a.Flushes(), a.Shutdowns(), b.Flushes(), b.Shutdowns())
	}
	if got := multi.New(h).Stats().Written; got != 1 {
		t.Errorf("Written = %d; want 1 (a's store counted once)", got)
	}
}

// collector is an HTTP log collector on a fixed loopback address that can
// be stopped and started again there; it counts how many times each "seq"
// arrived in the bodies httpsink sends.
type collector struct {
	name string
	addr string
	mu   sync.Mutex
	srv  *httptest.Server
	seqs map[int]int // seq -> times received
}

func newHTTPCollector(t *testing.T, name string) *collector {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{name: name, addr: ln.Addr().String(), seqs: map[int]int{}}
	c.start(t, ln)
	t.Cleanup(c.stop)
	return c
}

func (c *collector) start(t *testing.T, ln net.Listener) {
	if ln == nil {
		var err error
		for range 200 { // the port may linger a moment after the stop
			if ln, err = net.Listen("tcp", c.addr); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("%s: listen again on %s: %v", c.name, c.addr, err)
		}
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(c.serve))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	c.mu.Lock()
	c.srv = srv
	c.mu.Unlock()
}

// stop closes the server; requests in flight finish first.
func (c *collector) stop() {
	c.mu.Lock()
	srv := c.srv
	c.srv = nil
	c.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (c *collector) serve(w http.ResponseWriter, r *http.Request) {
	body, err := httpsink.ReadBody(r, nil, 0)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, part := range strings.Split(string(body), `"seq":`)[1:] {
		end := strings.IndexAny(part, ",}")
		n, err := strconv.Atoi(part[:end])
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.seqs[n]++
	}
}

func (c *collector) max() (max int, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	max = -1
	for s, k := range c.seqs {
		n += k
		if s > max {
			max = s
		}
	}
	return max, n
}

func (c *collector) url() string { return "http://" + c.addr + "/ingest" }

// Two real collectors behind httpsink: the primary is stopped mid-stream
// and started again. Every record sent arrives once, at one of them, and
// the traffic goes back to the primary.
func TestFailoverBetweenTwoHTTPCollectors(t *testing.T) {
	start := time.Now()
	logf := func(format string, args ...any) {
		t.Logf("%7.3fs "+format, append([]any{time.Since(start).Seconds()}, args...)...)
	}
	pc, sc := newHTTPCollector(t, "primary"), newHTTPCollector(t, "secondary")
	// The one option: a spool, so that what the primary could not send
	// waits on disk and its prober finds the collector back.
	primary, err := httpsink.New(pc.url(), &httpsink.Options{Spool: delivery.Spool{Dir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	secondary, err := httpsink.New(sc.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := mustFailover(t, &multi.FailoverOptions{Hold: 200 * time.Millisecond}, primary, secondary)
	log := slog.New(h)
	seq := 0
	send := func() {
		log.Info("tick", "seq", seq)
		seq++
	}
	// sendUntil logs a record every millisecond until cond holds (or a
	// minute passes, which fails the test: it is a bound, not a timing).
	sendUntil := func(what string, cond func() bool) {
		deadline := time.Now().Add(time.Minute)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("after a minute: not %s", what)
			}
			send()
			time.Sleep(time.Millisecond)
		}
		logf("%s (seq %d)", what, seq)
	}

	sendUntil("the primary receives", func() bool { _, n := pc.max(); return n > 0 })
	pc.stop()
	logf("primary collector stopped")
	sendUntil("the secondary receives", func() bool { _, n := sc.max(); return n > 0 })
	sendUntil("the secondary takes 50 more", func() bool { _, n := sc.max(); return n >= 50 })
	restartAt := seq
	pc.start(t, nil)
	logf("primary collector started again")
	sendUntil("records sent after the restart reach the primary", func() bool { m, _ := pc.max(); return m >= restartAt })
	back := seq
	for range 50 {
		send()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := multi.Shutdown(ctx, h); err != nil {
		t.Fatal(err)
	}
	logf("shut down after %d records", seq)

	_, np := pc.max()
	_, ns := sc.max()
	logf("delivered: primary %d, secondary %d, sum %d, sent %d", np, ns, np+ns, seq)
	if np+ns != seq {
		t.Errorf("delivered %d + %d = %d; want %d sent", np, ns, np+ns, seq)
	}
	pc.mu.Lock()
	sc.mu.Lock()
	defer pc.mu.Unlock()
	defer sc.mu.Unlock()
	var missing, twice []int
	for i := range seq {
		switch pc.seqs[i] + sc.seqs[i] {
		case 0:
			missing = append(missing, i)
		case 1:
		default:
			twice = append(twice, i)
		}
	}
	if len(missing) > 0 || len(twice) > 0 {
		t.Errorf("seqs missing %v, delivered more than once %v", trim(missing), trim(twice))
	}
	late := 0
	for i := back; i < seq; i++ {
		if sc.seqs[i] > 0 {
			late++
		}
	}
	if late > 0 {
		t.Errorf("%d of the last 50 records went to the secondary; want all at the primary", late)
	}
}

func trim(s []int) string {
	if len(s) > 10 {
		return fmt.Sprint(s[:10], "...")
	}
	return fmt.Sprint(s)
}

// A collector that goes down: the traffic moves to a second one, and back
// once the first has been healthy for the hold.
func ExampleFailover() {
	primary, fallback := multitest.NewDrill(nil), multitest.NewRecorder(nil)
	h, err := multi.Failover(&multi.FailoverOptions{Hold: time.Hour}, primary, fallback)
	if err != nil {
		fmt.Println(err)
		return
	}
	log := slog.New(h)
	log.Info("one")
	primary.SetHealthy(false) // as httpsink reports a failed request
	log.Info("two")
	primary.SetHealthy(true)
	log.Info("three") // the primary must stay healthy for an hour first
	fmt.Println(primary.Messages(), fallback.Messages())
	// Output: [one] [two three]
}
