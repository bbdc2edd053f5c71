package multi_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/multitest"
)

// recorder is a minimal sink kept by the tests that need what
// multitest.Recorder does not do: panic in Handle on demand, and count the
// attributes it was given without resolving them.
type recorder struct {
	dst    *dest
	level  slog.Level
	attrs  int
	panics bool
}

type dest struct {
	mu        sync.Mutex
	msgs      []string
	attrs     []int
	flushes   atomic.Int32
	shutdowns atomic.Int32
	healthy   atomic.Bool
}

func newRecorder(level slog.Level) *recorder {
	d := &dest{}
	d.healthy.Store(true)
	return &recorder{dst: d, level: level}
}

func (r *recorder) Enabled(_ context.Context, l slog.Level) bool { return l >= r.level }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	if r.panics {
		panic("boom")
	}
	r.dst.mu.Lock()
	defer r.dst.mu.Unlock()
	r.dst.msgs = append(r.dst.msgs, rec.Message)
	r.dst.attrs = append(r.dst.attrs, r.attrs+rec.NumAttrs())
	return nil
}
func (r *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	c := *r
	c.attrs += len(as)
	return &c
}
func (r *recorder) WithGroup(string) slog.Handler { c := *r; return &c }
func (r *recorder) Flush(context.Context) error   { r.dst.flushes.Add(1); return nil }
func (r *recorder) Shutdown(context.Context) error {
	r.dst.shutdowns.Add(1)
	return nil
}
func (r *recorder) Stats() multi.Stats {
	r.dst.mu.Lock()
	defer r.dst.mu.Unlock()
	return multi.Stats{Written: uint64(len(r.dst.msgs))}
}
func (r *recorder) Healthy() bool    { return r.dst.healthy.Load() }
func (r *recorder) BorrowsRecords()  {}
func (r *recorder) Destination() any { return r.dst }

func (r *recorder) messages() []string {
	r.dst.mu.Lock()
	defer r.dst.mu.Unlock()
	return append([]string(nil), r.dst.msgs...)
}

func TestNewPanicsOnNilHandlerNamingIt(t *testing.T) {
	defer func() {
		p := recover()
		if p == nil || !strings.Contains(p.(string), "multi.New: handler[1] of 3 is nil; check the error its constructor returned") {
			t.Fatalf("recover() = %v; want a panic naming handler[1] of 3", p)
		}
	}()
	multi.New(newRecorder(0), nil, newRecorder(0))
}

func TestFanOutGivesEachChildItsLevel(t *testing.T) {
	debug, warn := multitest.NewRecorder(&multitest.Options{Level: slog.LevelDebug}), multitest.NewRecorder(&multitest.Options{Level: slog.LevelWarn})
	var buf bytes.Buffer
	foreign := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError})
	log := slog.New(multi.New(debug, warn, foreign))

	log.Debug("d")
	log.Info("i")
	log.Warn("w")
	log.Error("e")

	if got, want := strings.Join(debug.Messages(), ","), "d,i,w,e"; got != want {
		t.Errorf("debug child got %q; want %q", got, want)
	}
	if got, want := strings.Join(warn.Messages(), ","), "w,e"; got != want {
		t.Errorf("warn child got %q; want %q", got, want)
	}
	if !strings.Contains(buf.String(), "msg=e") || strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("foreign child got %q; want just the error record", buf.String())
	}
}

func TestEnabledWhenAnyChildIs(t *testing.T) {
	h := multi.New(multitest.NewRecorder(&multitest.Options{Level: slog.LevelError}), multitest.NewRecorder(&multitest.Options{Level: slog.LevelInfo}))
	ctx := context.Background()
	if h.Enabled(ctx, slog.LevelDebug) {
		t.Error("Enabled(DEBUG) = true; no child is enabled at DEBUG")
	}
	if !h.Enabled(ctx, slog.LevelInfo) {
		t.Error("Enabled(INFO) = false; the second child is enabled at INFO")
	}
}

func TestMinLevelFiltersAnyHandler(t *testing.T) {
	var buf bytes.Buffer
	lv := new(slog.LevelVar)
	lv.Set(slog.LevelWarn)
	foreign := multi.MinLevel(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}), lv)
	rec := multitest.NewRecorder(&multitest.Options{Level: slog.LevelDebug})
	log := slog.New(multi.New(multi.MinLevel(rec, slog.LevelError), foreign))

	log.Info("info")
	log.Warn("warn")
	log.Error("error")
	lv.Set(slog.LevelInfo)
	log.Info("info again")

	if got := strings.Count(buf.String(), "\n"); got != 3 {
		t.Errorf("foreign handler got %d lines; want 3 (warn, error, info again):\n%s", got, buf.String())
	}
	if got := rec.Messages(); len(got) != 1 || got[0] != "error" {
		t.Errorf("recorder got %q; want [error]", got)
	}
	// Handle without Enabled still filters.
	if err := multi.MinLevel(rec, slog.LevelError).Handle(context.Background(), slog.NewRecord(timeZero, slog.LevelInfo, "direct", 0)); err != nil {
		t.Fatal(err)
	}
	if got := rec.Messages(); len(got) != 1 {
		t.Errorf("MinLevel.Handle passed a record below its level: %q", got)
	}
}

func TestOneChildsErrorOrPanicDoesNotStopTheOthers(t *testing.T) {
	bad := multitest.NewDrill(nil)
	disk := errors.New("disk on fire")
	bad.Fail(disk)
	panicky := newRecorder(0)
	panicky.panics = true
	good := multitest.NewRecorder(nil)
	h := multi.New(bad, panicky, good)

	err := h.Handle(context.Background(), slog.NewRecord(timeZero, slog.LevelInfo, "hello", 0))
	if got := good.Messages(); len(got) != 1 || got[0] != "hello" {
		t.Fatalf("good child got %q; want [hello]", got)
	}
	if err == nil {
		t.Fatal("Handle returned nil; want the joined errors of the failing children")
	}
	msg := err.Error()
	for _, want := range []string{"multi: handler[0] (*multitest.Drill): multitest: drill: record \"hello\": disk on fire", "multi: handler[1] (*multi_test.recorder): Handle panicked: boom"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if !errors.Is(err, disk) {
		t.Errorf("errors.Is(err, child's error) = false; the child's error must stay wrapped")
	}
}

// Handle recovers once per call and resumes after the child that
// panicked: two panics in a row, first and last, still reach the others.
func TestHandleResumesAfterEachPanickingChild(t *testing.T) {
	p1, p2, p3 := newRecorder(0), newRecorder(0), newRecorder(0)
	p1.panics, p2.panics, p3.panics = true, true, true
	good1, good2 := multitest.NewRecorder(nil), multitest.NewRecorder(nil)
	h := multi.New(p1, p2, good1, p3, good2)
	err := h.Handle(context.Background(), slog.NewRecord(timeZero, slog.LevelInfo, "hello", 0))
	for name, r := range map[string]*multitest.Recorder{"good1": good1, "good2": good2} {
		if got := r.Messages(); len(got) != 1 || got[0] != "hello" {
			t.Errorf("%s got %q; want [hello]", name, got)
		}
	}
	for _, i := range []string{"0", "1", "3"} {
		if want := "handler[" + i + "] (*multi_test.recorder): Handle panicked: boom"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not contain %q", err, want)
		}
	}
}

func TestFlushAndShutdownReachEveryHandlerInTheTree(t *testing.T) {
	a, b, c := multitest.NewRecorder(nil), multitest.NewRecorder(nil), multitest.NewRecorder(nil)
	inner := multi.New(b, multi.MinLevel(c, slog.LevelWarn))
	root := multi.New(a, inner, slog.NewJSONHandler(&bytes.Buffer{}, nil))
	derived := slog.New(root).With("k", "v").WithGroup("g").Handler()

	ctx := context.Background()
	if err := multi.Flush(ctx, derived); err != nil {
		t.Fatal(err)
	}
	if err := multi.Shutdown(ctx, derived); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*multitest.Recorder{"a": a, "b": b, "c behind MinLevel": c} {
		if f, s := r.Flushes(), r.Shutdowns(); f != 1 || s != 1 {
			t.Errorf("%s: flushes=%d shutdowns=%d; want 1 and 1", name, f, s)
		}
	}
}

func TestWithAttrsReachesEveryChild(t *testing.T) {
	a, b := multitest.NewRecorder(nil), multitest.NewRecorder(nil)
	log := slog.New(multi.New(a, b)).With("x", 1, "y", 2)
	log.Info("m", "z", 3)
	for _, r := range []*multitest.Recorder{a, b} {
		if got := r.WithAttr("x", 1); len(got) != 1 || got[0].NumAttrs() != 3 {
			t.Errorf("child kept %v; want one record with x, y and z", r.Records())
		}
	}
}

func TestStatsSumAndHealthOfChildren(t *testing.T) {
	a, b := multitest.NewRecorder(nil), multitest.NewDrill(nil)
	h := multi.New(a, multi.MinLevel(b, slog.LevelInfo), slog.NewJSONHandler(&bytes.Buffer{}, nil))
	log := slog.New(h)
	log.Info("one")
	log.Info("two")
	if got := h.Stats().Written; got != 4 {
		t.Errorf("Stats().Written = %d; want 4 (2 records x 2 reporting children)", got)
	}
	if !h.Healthy() {
		t.Error("Healthy() = false with every child healthy")
	}
	b.SetHealthy(false)
	if h.Healthy() {
		t.Error("Healthy() = true with a child unhealthy behind MinLevel")
	}
}

// A destination reported by several children (the handler itself, one
// derived from it, one behind MinLevel, one inside a nested Handler) is
// counted once; a foreign Reporter that is no Sharer, and a Sharer whose
// key cannot be compared, are counted each time, as before.
func TestStatsCountEachSharedDestinationOnce(t *testing.T) {
	a, b := newRecorder(0), newRecorder(0)
	h := multi.New(a, a.WithAttrs([]slog.Attr{slog.Int("k", 1)}), multi.MinLevel(a, slog.LevelInfo),
		multi.New(a.WithGroup("g"), b), b)
	log := slog.New(h)
	log.Info("one")
	log.Info("two")
	// a's destination got 4 handlers x 2 records; b's 2 x 2.
	if got, want := h.Stats().Written, uint64(8+4); got != want {
		t.Errorf("Stats().Written = %d; want %d (each destination once)", got, want)
	}

	u := unshared{newRecorder(0)}
	h = multi.New(u, u, odd{unshared{a}})
	if got, want := h.Stats().Written, uint64(0+0+8); got != want {
		t.Errorf("Stats().Written = %d; want %d", got, want)
	}
	slog.New(multi.New(u, u)).Info("x")
	if got, want := multi.New(u, u).Stats().Written, uint64(2+2); got != want {
		t.Errorf("Stats() of two children that are no Sharer = %d; want %d (each counted)", got, want)
	}
	if got, want := multi.New(odd{unshared{a}}, odd{unshared{a}}).Stats().Written, uint64(8+8); got != want {
		t.Errorf("Stats() of Sharers with uncomparable keys = %d; want %d (each counted, no panic)", got, want)
	}
}

// unshared is a Reporter that says nothing of its destination.
type unshared struct{ r *recorder }

func (u unshared) Enabled(ctx context.Context, l slog.Level) bool  { return u.r.Enabled(ctx, l) }
func (u unshared) Handle(ctx context.Context, r slog.Record) error { return u.r.Handle(ctx, r) }
func (u unshared) WithAttrs([]slog.Attr) slog.Handler              { return u }
func (u unshared) WithGroup(string) slog.Handler                   { return u }
func (u unshared) Stats() multi.Stats                              { return u.r.Stats() }
func (u unshared) Healthy() bool                                   { return true }

// odd is a Sharer whose key is a slice, which == cannot compare.
type odd struct{ unshared }

func (o odd) Destination() any { return []int{1} }

// mutator is a foreign handler that breaks the rule it should keep: it adds
// attributes to the record it was given.
type mutator struct{ seen *[]int }

func (m mutator) Enabled(context.Context, slog.Level) bool { return true }
func (m mutator) Handle(_ context.Context, r slog.Record) error {
	r.AddAttrs(slog.String("added", "by mutator"))
	*m.seen = append(*m.seen, r.NumAttrs())
	return nil
}
func (m mutator) WithAttrs([]slog.Attr) slog.Handler { return m }
func (m mutator) WithGroup(string) slog.Handler      { return m }

func TestForeignChildrenGetAClone(t *testing.T) {
	var s1, s2 []int
	after := multitest.NewRecorder(nil)
	h := multi.New(mutator{&s1}, mutator{&s2}, after)
	r := slog.NewRecord(timeZero, slog.LevelInfo, "m", 0)
	for i := range 8 { // more than fit in the record's inline array
		r.AddAttrs(slog.Int("i", i))
	}
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if s1[0] != 9 || s2[0] != 9 {
		t.Errorf("mutators saw %v and %v attrs; want 9 each (8 + their own)", s1, s2)
	}
	if n := after.Records()[0].NumAttrs(); n != 8 {
		t.Errorf("child after the mutators saw %d attrs; want 8", n)
	}
}

// nop is a borrower that reads every attribute and keeps nothing.
type nop struct{}

func (nop) Enabled(context.Context, slog.Level) bool { return true }
func (nop) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(slog.Attr) bool { return true })
	return nil
}
func (n nop) WithAttrs([]slog.Attr) slog.Handler { return n }
func (n nop) WithGroup(string) slog.Handler      { return n }

type nopBorrower struct{ nop }

func (nopBorrower) BorrowsRecords() {}

func TestFanOutOfBorrowersDoesNotAllocate(t *testing.T) {
	r := slog.NewRecord(timeZero, slog.LevelInfo, "m", 0)
	for i := range 10 { // more than fit in the record's inline array, so a clone allocates
		r.AddAttrs(slog.Int("i", i))
	}
	ctx := context.Background()
	borrowers := multi.New(nopBorrower{}, nopBorrower{}, multi.MinLevel(nopBorrower{}, slog.LevelDebug))
	if n := testing.AllocsPerRun(200, func() { _ = borrowers.Handle(ctx, r) }); n != 0 {
		t.Errorf("fan-out of three borrowers allocates %v times per record; want 0", n)
	}
}

var timeZero = slog.Record{}.Time
