//go:build unix

// Package spooltest kills a network sink's process with SIGKILL while it
// logs into a spool, and counts, at a receiver, the records the next
// process on the same spool delivers: every record whose Handle returned
// nil must arrive (issue 13). It is used by tests only; each sink gives
// it how to make the sink and where its records arrive.
//
// [Kill] re-runs the calling test in a child process (this test binary,
// with -test.run), which logs numbered records from 8 goroutines into a
// sink pointed at a loopback port nothing listens on (or, with Config.Up,
// at the receiver), and prints each number once Handle has returned for
// it. The parent kills the child at a random instant, opens the same spool
// with the receiver up, waits for the spool to be replayed, shuts the sink
// down, and compares what arrived with what was accepted.
package spooltest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
)

// Handler is what Kill needs of a sink.
type Handler interface {
	slog.Handler
	Shutdown(ctx context.Context) error
	Stats() multi.Stats
}

// Receiver is where the parent's sink delivers the records of each trial.
type Receiver interface {
	// URL is the destination of the sink that replays trial's spool.
	URL(trial int) string
	// Arrivals is what arrived for trial, once that sink's Shutdown has
	// returned.
	Arrivals(t testing.TB, trial int) Arrivals
}

// Config is one sink's kill test.
type Config struct {
	// SeedEnv names the environment variable that, set to a seed Kill
	// logged, reruns the same trials (HTTPSINK_KILL_SEED).
	SeedEnv string
	// Trials is how many children are killed (default 30, or
	// $SPOOLTEST_TRIALS).
	Trials int
	// Open makes the sink: its Options' defaults but Spool.Dir dir,
	// sending to url. The child calls it with a URL from DownURL (from
	// Receiver.URL with Up), the parent with one from Receiver.URL.
	Open func(url, dir string) (Handler, error)
	// Spooled returns how many records h's spool holds not yet replayed
	// (the sink's Spool.Len()): Shutdown does not wait for the spool, so
	// the parent waits for it to be empty first, as a process that goes
	// on running would.
	Spooled func(h Handler) int
	// DownURL is the child's destination, given a loopback address
	// ("127.0.0.1:port") nothing listens on.
	DownURL func(addr string) string
	// Up sends the child's records to the receiver (Receiver.URL of the
	// trial) instead of DownURL: the kill then also catches records in
	// flight, and duplicates are expected.
	Up bool
	// Relay, after the first child's kill, starts a second child on the
	// same spool with the receiver up, which replays what the first
	// left while it logs, and kills it in turn.
	Relay bool
	// Receiver starts the receiver that counts what the parent's sinks
	// deliver; it is called once, in the parent only.
	Receiver func(t testing.TB) Receiver
	// Window is the range of the wait between the child's first accepted
	// record and the kill, drawn uniformly (default 300ms to 1.5s).
	Window [2]time.Duration
	// Rate, if set, bounds the records the child logs a second (about),
	// where the receiver is slow to take or count them; zero logs as
	// fast as the sink takes them.
	Rate int
	// RaceRate is Rate under the race detector, which slows the replay
	// about tenfold; zero means Rate.
	RaceRate int
	// ShutdownTimeout bounds the parent's wait for the replay and its
	// Shutdown, together (default 2 minutes).
	ShutdownTimeout time.Duration
}

// Environment of the child.
const (
	envChild = "SPOOLTEST_CHILD"
	envURL   = "SPOOLTEST_URL"
	envDir   = "SPOOLTEST_DIR"
	envBase  = "SPOOLTEST_BASE"
)

// Goroutines is how many goroutines of the child log; record n of
// goroutine g, its i-th, has n = g<<32 | i.
const Goroutines = 8

// Totals sums the trials of a Kill.
type Totals struct {
	Trials, Accepted, Lost, Duplicates int
}

// Kill runs c.Trials trials (see the package doc) and fails t if any
// accepted record did not arrive; duplicates are counted and logged, not
// failed. In the child process (re-run by Kill) it logs until it is killed
// and never returns. It skips under -short.
func Kill(t *testing.T, c Config) Totals {
	t.Helper()
	if raceEnabled && c.RaceRate != 0 {
		c.Rate = c.RaceRate
	}
	if os.Getenv(envChild) == t.Name() {
		child(c)
	}
	if testing.Short() {
		t.Skip("kills child processes")
	}
	if c.Trials == 0 {
		c.Trials = 30
		if s := os.Getenv("SPOOLTEST_TRIALS"); s != "" {
			var err error
			if c.Trials, err = strconv.Atoi(s); err != nil {
				t.Fatalf("SPOOLTEST_TRIALS=%q: %v", s, err)
			}
		}
	}
	if c.Window == [2]time.Duration{} {
		c.Window = [2]time.Duration{300 * time.Millisecond, 1500 * time.Millisecond}
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 2 * time.Minute
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(c.SeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", c.SeedEnv, s, err)
		}
	}
	t.Logf("seed %d (%s=%d reruns these trials)", seed, c.SeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	recv := c.Receiver(t)
	var tot Totals
	for trial := range c.Trials {
		wait := c.Window[0] + time.Duration(rng.Int64N(int64(c.Window[1]-c.Window[0])+1))
		accepted := runChild(t, c, recv, trial, wait)
		tot.Trials++
		tot.Accepted += len(accepted.n)
		tot.Lost += accepted.lost
		tot.Duplicates += accepted.dup
	}
	t.Logf("%d trials: %d records accepted, %d lost, %d duplicates", tot.Trials, tot.Accepted, tot.Lost, tot.Duplicates)
	return tot
}

// trialResult is one trial's accepted numbers and what became of them.
type trialResult struct {
	n         map[int]bool
	lost, dup int
}

// runChild runs one trial: the child, its kill after wait, the replay,
// the count.
func runChild(t *testing.T, c Config, recv Receiver, trial int, wait time.Duration) trialResult {
	t.Helper()
	// Each trial's directory goes at its end, not the test's: a journal
	// takes 104 MiB.
	dir, err := os.MkdirTemp("", "spooltest")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	url := recv.URL(trial)
	if !c.Up {
		url = c.DownURL(DownAddr(t))
	}
	res := trialResult{n: map[int]bool{}}
	killChild(t, trial, url, dir, 0, wait, res.n)
	if c.Relay {
		killChild(t, trial, recv.URL(trial), dir, 1<<31, wait, res.n)
	}

	// The next process on the spool, with the receiver up.
	start := time.Now()
	h, err := c.Open(recv.URL(trial), dir)
	if err != nil {
		t.Fatalf("trial %d: open the sink on the spool after the kill: %v", trial, err)
	}
	// Shutdown does not wait for the spool (wssink's does not replay it
	// at all): wait for the replay of what the child spooled and the
	// journal recovered, as a process that goes on running would.
	ctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	for c.Spooled(h) > 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if n := c.Spooled(h); n > 0 {
		t.Errorf("trial %d: %d records still spooled after %v", trial, n, c.ShutdownTimeout)
	}
	err = h.Shutdown(ctx)
	cancel()
	if err != nil {
		t.Errorf("trial %d: Shutdown: %v", trial, err)
	}
	replay := time.Since(start)
	st := h.Stats()
	start = time.Now()
	arr := recv.Arrivals(t, trial)
	count := time.Since(start)
	for n := range res.n {
		if arr[n] == 0 {
			res.lost++
		}
	}
	res.dup = arr.Duplicates()
	t.Logf("trial %2d: killed %v after the first record: accepted %d, arrived %d, lost %d, duplicates %d (replay %v: spooled %d, replayed %d, written %d, dropped %d; count %v)",
		trial, wait.Round(time.Millisecond), len(res.n), len(arr), res.lost, res.dup, replay.Round(time.Millisecond), st.Spooled, st.Replayed, st.Written, st.Dropped, count.Round(time.Millisecond))
	if res.lost > 0 {
		t.Errorf("trial %d: %d of %d accepted records lost (first: %s)", trial, res.lost, len(res.n), firstLost(res.n, arr))
	}
	return res
}

// killChild starts a child on dir logging to url, kills it wait after its
// first accepted record, and adds the numbers it accepted to accepted;
// its goroutines number their records from base.
func killChild(t *testing.T, trial int, url, dir string, base int, wait time.Duration, accepted map[int]bool) {
	t.Helper()
	before := len(accepted)
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChild+"="+t.Name(), envURL+"="+url, envDir+"="+dir, envBase+"="+strconv.Itoa(base))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	first := make(chan struct{})
	started := first
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if n, err := strconv.Atoi(sc.Text()); err == nil {
				if first != nil {
					close(first)
					first = nil
				}
				accepted[n] = true
			}
		}
	}()
	// The wait counts from the first accepted record: a busy machine may
	// take a while to start the child.
	select {
	case <-started:
		time.Sleep(wait)
	case <-done:
	case <-time.After(30 * time.Second):
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("trial %d: child ended with %v, not by SIGKILL; its standard error:\n%s", trial, err, stderr.String())
	}
	if len(accepted) == before {
		t.Fatalf("trial %d: the child accepted no record before the kill; its standard error:\n%s", trial, stderr.String())
	}

}

// firstLost names a few accepted numbers that did not arrive.
func firstLost(accepted map[int]bool, arr Arrivals) string {
	var s []string
	for n := range accepted {
		if arr[n] == 0 {
			s = append(s, fmt.Sprintf("g %d i %d", n>>32, n&(1<<32-1)))
			if len(s) == 5 {
				break
			}
		}
	}
	return strings.Join(s, ", ")
}

// child is the child process: it logs numbered records, each with 5
// attributes, from Goroutines goroutines as fast as it can, and prints
// each number to standard output once Handle has returned nil for it,
// until it is killed.
func child(c Config) {
	h, err := c.Open(os.Getenv(envURL), os.Getenv(envDir))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	base, _ := strconv.Atoi(os.Getenv(envBase))
	LogNumbered(h, base, c.Rate)
}

// LogNumbered logs numbered records, each with 5 attributes, into h from
// Goroutines goroutines, record i of goroutine g numbered g<<32 | base+i,
// as fast as h takes them or at about rate a second (zero: no bound), and
// prints each number to standard output once Handle has returned nil for
// it. It is a child process's body: it never returns, and a Handle error
// exits the process with status 4. The file sink's kill test uses it too.
func LogNumbered(h slog.Handler, base, rate int) {
	var mu sync.Mutex
	out := bufio.NewWriterSize(os.Stdout, 1<<10)
	var wg sync.WaitGroup
	start := time.Now()
	for g := range Goroutines {
		wg.Go(func() {
			for i := base; ; i++ {
				n := g<<32 | i
				r := slog.NewRecord(time.Now(), slog.LevelInfo, "record", 0)
				r.AddAttrs(slog.Int("g", g), slog.Int("i", i), slog.Int("n", n),
					slog.String("method", "GET"), slog.String("path", "/api/v1/users"))
				if err := h.Handle(context.Background(), r); err != nil {
					fmt.Fprintln(os.Stderr, "Handle:", err)
					os.Exit(4)
				}
				// Printed only after Handle returned; what sits in the
				// pipe's buffer at the kill is counted as not accepted,
				// which errs towards counting fewer as accepted.
				mu.Lock()
				out.WriteString(strconv.Itoa(n))
				out.WriteByte('\n')
				if out.Buffered() > 512 {
					out.Flush()
				}
				mu.Unlock()
				if rate > 0 {
					// Each goroutine keeps to its share of Rate, sleeping
					// a millisecond or more when ahead.
					ahead := time.Duration(i-base+1)*time.Second*Goroutines/time.Duration(rate) - time.Since(start)
					if ahead >= time.Millisecond {
						time.Sleep(ahead)
					}
				}
			}
		})
	}
	wg.Wait()
	os.Exit(5) // not reached
}

// DownAddr returns a loopback address that was listened on and closed:
// nothing listens there, and dials to it are refused.
func DownAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Arrivals is how many times each record number arrived.
type Arrivals map[int]int

// Duplicates is how many arrivals were repeats of an earlier one.
func (a Arrivals) Duplicates() int {
	d := 0
	for _, c := range a {
		d += c - 1
	}
	return d
}

// Number returns the "n" of a JSON record.
func Number(rec []byte) (int, error) {
	var r struct {
		N *int `json:"n"`
	}
	if err := json.Unmarshal(rec, &r); err != nil {
		return 0, fmt.Errorf("spooltest: record %.200q: %w", rec, err)
	}
	if r.N == nil {
		return 0, fmt.Errorf("spooltest: record %.200q has no n", rec)
	}
	return *r.N, nil
}

// Tally counts arrivals per trial, for a receiver that runs in the test's
// process; it is safe for concurrent use. The zero value is ready.
type Tally struct {
	mu sync.Mutex
	m  map[int]Arrivals
}

// Add counts one arrival of record n in trial.
func (y *Tally) Add(trial, n int) {
	y.mu.Lock()
	defer y.mu.Unlock()
	if y.m == nil {
		y.m = map[int]Arrivals{}
	}
	a := y.m[trial]
	if a == nil {
		a = Arrivals{}
		y.m[trial] = a
	}
	a[n]++
}

// Arrivals returns a copy of trial's arrivals.
func (y *Tally) Arrivals(trial int) Arrivals {
	y.mu.Lock()
	defer y.mu.Unlock()
	a := make(Arrivals, len(y.m[trial]))
	for n, c := range y.m[trial] {
		a[n] = c
	}
	return a
}

// TrialPath is the URL path "/trial/N" for a receiver that tells trials
// apart by path; ParseTrialPath reads it back.
func TrialPath(trial int) string { return "/trial/" + strconv.Itoa(trial) }

// ParseTrialPath returns the trial of a path made by TrialPath.
func ParseTrialPath(path string) (int, error) {
	s, ok := strings.CutPrefix(path, "/trial/")
	if !ok {
		return 0, fmt.Errorf("spooltest: path %q is not /trial/N", path)
	}
	return strconv.Atoi(s)
}

// Conns counts a receiver's connections still being read, by trial. A
// killed child's kernel still sends what its socket held, and the
// receiver may still be reading it when the parent's sink has shut down:
// a trial's arrivals are counted once every connection of it has been
// read to its end ([Conns.Wait]). The zero Conns is ready to use.
type Conns struct {
	mu   sync.Mutex
	open map[int]int
	idle chan struct{} // closed when a connection ends
}

// Add counts a connection of trial as being read.
func (c *Conns) Add(trial int) {
	c.mu.Lock()
	if c.open == nil {
		c.open = map[int]int{}
	}
	c.open[trial]++
	c.mu.Unlock()
}

// Done counts a connection of trial as read to its end.
func (c *Conns) Done(trial int) {
	c.mu.Lock()
	c.open[trial]--
	if c.idle != nil {
		close(c.idle)
		c.idle = nil
	}
	c.mu.Unlock()
}

// Wait returns once no connection of trial is being read, or fails t
// after a minute.
func (c *Conns) Wait(t testing.TB, trial int) {
	deadline := time.After(time.Minute)
	for {
		c.mu.Lock()
		n := c.open[trial]
		if c.idle == nil {
			c.idle = make(chan struct{})
		}
		idle := c.idle
		c.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-idle:
		case <-deadline:
			t.Errorf("trial %d: %d connections still open a minute after the sink's Shutdown", trial, n)
			return
		}
	}
}
