package report

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type lines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lines) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *lines) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func stderrReporter(t *testing.T) (*Reporter, *clock, *lines) {
	c := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	out := &lines{}
	r := New("httpsink http://127.0.0.1:1/x", nil)
	r.now, r.out, r.every = c.now, out, time.Hour // the timer never fires in a test
	return r, c, out
}

func TestStderrFirstFailureAtOnceThenOneLinePerInterval(t *testing.T) {
	r, c, out := stderrReporter(t)
	r.Down(errors.New("connection refused"))
	r.Error(errors.New("connection refused again"))
	r.Dropped(10, errors.New("queue full"))
	r.Dropped(5, errors.New("queue full"))
	want := "multi: httpsink http://127.0.0.1:1/x: down: connection refused\n"
	if got := out.String(); got != want {
		t.Fatalf("after the first failure:\n got %q\nwant %q", got, want)
	}
	c.add(time.Hour)
	r.Up()
	want += "multi: httpsink http://127.0.0.1:1/x: recovered after 1h0m0s; since the last line: 1 more errors, 15 records dropped (queue full)\n"
	if got := out.String(); got != want {
		t.Fatalf("after recovery:\n got %q\nwant %q", got, want)
	}
}

func TestStderrCloseWritesWhatIsHeldBack(t *testing.T) {
	r, _, out := stderrReporter(t)
	r.Error(errors.New("first"))
	r.Dropped(7, errors.New("shutdown"))
	r.Close()
	want := "multi: httpsink http://127.0.0.1:1/x: first\n" +
		"multi: httpsink http://127.0.0.1:1/x: 7 records dropped (shutdown)\n"
	if got := out.String(); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	r.Close()
	if got := out.String(); got != want {
		t.Fatalf("a second Close wrote again: %q", got)
	}
}

func TestStderrTimerReleasesHeldLine(t *testing.T) {
	out := &lines{}
	r := New("file app.log", nil)
	r.out, r.every = out, 20*time.Millisecond
	r.Error(errors.New("one"))
	r.Error(errors.New("two"))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "two") {
		if time.Now().After(deadline) {
			t.Fatalf("the held line was never written: %q", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.Close()
	if got, want := out.String(), "multi: file app.log: one\nmulti: file app.log: two\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestRefusedOnceAndAtOnce(t *testing.T) {
	r, _, out := stderrReporter(t)
	r.Error(errors.New("x"))
	r.Refused(errors.New("handler is shut down"))
	r.Refused(errors.New("handler is shut down"))
	if n := strings.Count(out.String(), "shut down"); n != 1 {
		t.Fatalf("refusal reported %d times: %q", n, out.String())
	}
	if !strings.Contains(out.String(), "counted in Stats().Dropped") {
		t.Fatalf("the refusal line does not say where later ones go: %q", out.String())
	}
}

func TestHandlerMayLogBackWithoutRecursion(t *testing.T) {
	var got []string
	var r *Reporter
	r = New("x", func(err error) {
		got = append(got, err.Error())
		r.Error(errors.New("from inside")) // a handler that logs to its failing sink
	})
	r.Error(errors.New("a"))
	r.Error(errors.New("b"))
	want := []string{"a", "b (and 1 more errors while the ErrorHandler ran)"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestHandlerDropsFoldedPerSecond(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	var got []error
	r := New("x", func(err error) { got = append(got, err) })
	r.now = c.now
	queueFull := errors.New("queue full")
	r.Dropped(1, queueFull)
	r.Dropped(2, queueFull)
	r.Dropped(3, queueFull)
	c.add(time.Second)
	r.Dropped(4, queueFull)
	if len(got) != 2 {
		t.Fatalf("got %d reports, want 2: %v", len(got), got)
	}
	if got[0].Error() != "dropped 1 records: queue full" || got[1].Error() != "dropped 9 records: queue full" {
		t.Fatalf("got %v", got)
	}
	if !errors.Is(got[1], queueFull) {
		t.Fatalf("the reason is not wrapped: %v", got[1])
	}
	r.Dropped(5, queueFull)
	r.Close()
	if len(got) != 3 || got[2].Error() != "dropped 5 records" {
		t.Fatalf("Close did not report the muted drops: %v", got)
	}
}

func TestUpSaysNothingToHandler(t *testing.T) {
	var got []string
	r := New("x", func(err error) { got = append(got, err.Error()) })
	r.Up()
	r.Down(errors.New("refused"))
	r.Down(errors.New("refused again"))
	r.Up()
	if strings.Join(got, "|") != "refused|refused again" {
		t.Fatalf("got %q", got)
	}
}

func TestConcurrentReports(t *testing.T) {
	r, _, out := stderrReporter(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 500; j++ {
				r.Error(errors.New("e"))
				r.Dropped(1, errors.New("full"))
				r.Down(errors.New("d"))
				r.Up()
			}
		}()
	}
	wg.Wait()
	r.Close()
	if n := strings.Count(out.String(), "\n"); n != 2 {
		t.Fatalf("%d lines within one interval, want the first and Close's: %q", n, out.String())
	}
	if !strings.Contains(out.String(), "4000 records dropped") {
		t.Fatalf("the drop summary lost records: %q", out.String())
	}
}

func TestRewrap(t *testing.T) {
	full := errors.New("buffer: queue full: no room")
	w := &Rewrapper{Prefix: "httpsink: "}
	got := w.Wrap(full)
	if got.Error() != "httpsink: queue full: no room" || !errors.Is(got, full) {
		t.Fatalf("Wrap = %q", got)
	}
	if n := testing.AllocsPerRun(100, func() { _ = w.Wrap(full) }); n != 0 {
		t.Errorf("Wrap of the same error allocates %v times", n)
	}
	if Rewrap("x: ", nil) != nil {
		t.Error("Rewrap(nil) is not nil")
	}
}

type sliceErr []string

func (e sliceErr) Error() string { return "slice error" }

// TestDroppedWithAnUncomparableReason: a reason whose type cannot be
// compared with == is reported, not a panic on the logging goroutine.
func TestDroppedWithAnUncomparableReason(t *testing.T) {
	r, _, out := stderrReporter(t)
	r.Dropped(1, sliceErr{"a"})
	r.Dropped(2, sliceErr{"b"})
	r.Close()
	if !strings.Contains(out.String(), "2 records dropped (slice error)") {
		t.Fatalf("got %q", out.String())
	}
}
