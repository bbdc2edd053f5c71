package multitest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/multitest"
)

// asMap turns a kept record into the map testing/slogtest reads.
func asMap(rec slog.Record) map[string]any {
	m := map[string]any{slog.LevelKey: rec.Level, slog.MessageKey: rec.Message}
	if !rec.Time.IsZero() {
		m[slog.TimeKey] = rec.Time
	}
	rec.Attrs(func(a slog.Attr) bool {
		put(m, a)
		return true
	})
	return m
}

func put(m map[string]any, a slog.Attr) {
	if a.Value.Kind() != slog.KindGroup {
		m[a.Key] = a.Value.Any()
		return
	}
	g := map[string]any{}
	for _, c := range a.Value.Group() {
		put(g, c)
	}
	m[a.Key] = g
}

func TestRecorderPassesSlogtest(t *testing.T) {
	var r *multitest.Recorder
	slogtest.Run(t, func(*testing.T) slog.Handler {
		r = multitest.NewRecorder(nil)
		return r
	}, func(t *testing.T) map[string]any {
		recs := r.Records()
		if len(recs) != 1 {
			t.Fatalf("kept %d records; want 1", len(recs))
		}
		return asMap(recs[0])
	})
}

func TestRecorderResolvesBoundAttrsIntoGroups(t *testing.T) {
	r := multitest.NewRecorder(nil)
	log := slog.New(r).With("app", "api").WithGroup("req").With("id", 7)
	sibling := slog.New(r).WithGroup("other")
	log.Info("served", "status", 200)
	sibling.Info("x", "k", 1)

	served := r.WithMessage("served")
	if len(served) != 1 {
		t.Fatalf("WithMessage(served) = %d records; want 1", len(served))
	}
	for path, want := range map[string]any{"app": "api", "req.id": 7, "req.status": 200} {
		if v, ok := multitest.Attr(served[0], path); !ok || !v.Equal(slog.AnyValue(want)) {
			t.Errorf("Attr(%q) = %v, %v; want %v", path, v, ok, want)
		}
	}
	if _, ok := multitest.Attr(r.WithMessage("x")[0], "req.id"); ok {
		t.Error("a sibling derived from the parent sees req.id; groups leaked between siblings")
	}
	if got := len(r.WithAttr("other.k", 1)); got != 1 {
		t.Errorf("WithAttr(other.k, 1) = %d records; want 1", got)
	}
}

func TestRecorderQueriesByLevel(t *testing.T) {
	r := multitest.NewRecorder(&multitest.Options{Level: slog.LevelInfo})
	log := slog.New(r)
	log.Debug("not kept")
	log.Info("i")
	log.Warn("w1")
	log.Warn("w2")
	if got := len(r.AtLevel(slog.LevelWarn)); got != 2 {
		t.Errorf("AtLevel(WARN) = %d; want 2", got)
	}
	if got := strings.Join(r.Messages(), ","); got != "i,w1,w2" {
		t.Errorf("Messages() = %q; want i,w1,w2", got)
	}
	r.Reset()
	if r.Len() != 0 || r.Stats().Written != 3 {
		t.Errorf("after Reset: Len %d, Written %d; want 0 and 3", r.Len(), r.Stats().Written)
	}
}

func TestRecorderIsSafeForConcurrentUse(t *testing.T) {
	r := multitest.NewRecorder(nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			log := slog.New(r).With("g", g)
			for i := range 100 {
				log.Info("m", "i", i)
				_ = r.Len()
			}
		})
	}
	wg.Wait()
	if got := r.Len(); got != 800 {
		t.Fatalf("Len() = %d; want 800", got)
	}
	if got := len(r.WithAttr("g", 3)); got != 100 {
		t.Errorf("records with g=3: %d; want 100", got)
	}
}

func TestRecorderKeepsTheLifecycleContract(t *testing.T) {
	r := multitest.NewRecorder(nil)
	derived := r.WithAttrs([]slog.Attr{slog.Int("a", 1)})
	tree := multi.New(r, derived)
	log := slog.New(tree)
	log.Info("one")
	if err := multi.Flush(context.Background(), tree); err != nil {
		t.Fatal(err)
	}
	if got := tree.Stats().Written; got != 2 {
		t.Errorf("Stats().Written = %d; want 2 (the shared store counted once)", got)
	}
	if err := multi.Shutdown(context.Background(), tree); err != nil {
		t.Fatal(err)
	}
	err := derived.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "late", 0))
	if !errors.Is(err, multi.ErrClosed) {
		t.Errorf("Handle after Shutdown = %v; want ErrClosed", err)
	}
	if s := r.Stats(); s.Dropped != 1 || s.Written != 2 {
		t.Errorf("Stats() = %+v; want Written 2, Dropped 1", s)
	}
	if r.Flushes() != 2 || r.Shutdowns() != 2 {
		t.Errorf("Flushes %d, Shutdowns %d; want 2 and 2 (each child reached)", r.Flushes(), r.Shutdowns())
	}
}

// fakeTB is a testing.TB whose output and cleanups the test controls.
type fakeTB struct {
	testing.TB
	out      bytes.Buffer
	cleanups []func()
}

func (f *fakeTB) Output() io.Writer { return &f.out }
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) end() {
	for _, fn := range f.cleanups {
		fn()
	}
}

func TestTBWritesLinesUntilTheTestEnds(t *testing.T) {
	tb := &fakeTB{TB: t}
	h := multitest.NewTB(tb, nil)
	log := slog.New(h).With("user", "ann")
	log.Debug("hello", "n", 1)
	tb.end()
	log.Info("after the end")
	if got, want := tb.out.String(), "level=DEBUG msg=hello user=ann n=1\n"; got != want {
		t.Errorf("output %q; want %q", got, want)
	}
	if s := h.Stats(); s.Written != 1 || s.Dropped != 1 {
		t.Errorf("Stats() = %+v; want Written 1, Dropped 1", s)
	}
	if h.Healthy() {
		t.Error("Healthy() = true after the test ended")
	}
}

// A goroutine that outlives its test logs through a TB: with t.Log that
// panics; TB drops and counts instead.
func TestTBIsSafeAfterTheTestHasEnded(t *testing.T) {
	var h *multitest.TB
	started := make(chan struct{})
	t.Run("inner", func(t *testing.T) {
		h = multitest.NewTB(t, nil)
		slog.New(h).Info("during the test")
		close(started)
	})
	<-started
	var wg sync.WaitGroup
	wg.Go(func() { slog.New(h).Info("after the test") })
	wg.Wait()
	if s := h.Stats(); s.Written != 1 || s.Dropped != 1 {
		t.Errorf("Stats() = %+v; want Written 1, Dropped 1", s)
	}
}

func TestDrillFailsBlocksAndGoesUnhealthyOnCommand(t *testing.T) {
	d := multitest.NewDrill(nil)
	derived := d.WithAttrs([]slog.Attr{slog.String("k", "v")})
	log := slog.New(multi.New(derived))
	log.Info("kept")

	d.Fail(errors.New("disk full"))
	err := derived.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "lost", 0))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Handle while failing = %v; want the drill's error", err)
	}
	d.Fail(nil)

	d.SetHealthy(false)
	if multi.HealthyOf(log.Handler()) {
		t.Error("tree healthy with its drill set unhealthy")
	}
	d.SetHealthy(true)

	release := d.Block()
	done := make(chan struct{})
	go func() { log.Info("waited"); close(done) }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Handle(ctx, slog.NewRecord(time.Now(), slog.LevelInfo, "gave up", 0)); !errors.Is(err, context.Canceled) {
		t.Errorf("blocked Handle with a cancelled ctx = %v; want context.Canceled", err)
	}
	release()
	<-done

	if got := strings.Join(d.Messages(), ","); got != "kept,waited" {
		t.Errorf("kept %q; want kept,waited", got)
	}
	if s := multi.New(d).Stats(); s.Written != 2 || s.Failed != 2 || s.Dropped != 2 || s.LastError == nil {
		t.Errorf("Stats() = %+v; want Written 2, Failed 2, Dropped 2 and a LastError", s)
	}
}

// A test asserts on what its code logged.
func ExampleRecorder() {
	rec := multitest.NewRecorder(nil)
	log := slog.New(rec).With("request", 42)

	log.Info("served", "status", 200)
	log.Warn("slow", "ms", 1200)

	for _, r := range rec.AtLevel(slog.LevelWarn) {
		ms, _ := multitest.Attr(r, "ms")
		fmt.Println(r.Message, ms)
	}
	fmt.Println(len(rec.WithAttr("request", 42)))
	// Output:
	// slow 1200
	// 2
}

// A drill takes one destination of a tree down.
func ExampleDrill() {
	good, bad := multitest.NewRecorder(nil), multitest.NewDrill(nil)
	tree := multi.New(good, bad)
	bad.Fail(errors.New("collector down"))
	bad.SetHealthy(false)

	err := slog.New(tree).Handler().Handle(context.Background(), slog.NewRecord(time.Time{}, slog.LevelInfo, "hello", 0))
	fmt.Println(err != nil, tree.Healthy(), good.Len(), tree.Stats().Dropped)
	// Output: true false 1 1
}

// A test that shows what the code under test logged, beside its own
// messages, when it fails.
func ExampleNewTB() {
	testServer := func(t *testing.T) {
		log := slog.New(multitest.NewTB(t, &multitest.Options{Level: slog.LevelDebug}))
		log.Debug("listening", "port", 8080) // "level=DEBUG msg=listening port=8080" in the test's output
	}
	_ = testServer
}
