package multi_test

import (
	"context"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/file"
)

// A fan-out nested in another must not hand the caller's record to its
// last, foreign child: the outer fan-out passes it on uncloned to the
// children after it, so a child that adds attributes to its record would
// write into memory the others share.
func TestNestedFanOutClonesForItsLastForeignChild(t *testing.T) {
	for name, wrap := range map[string]func(slog.Handler) slog.Handler{
		"nested":             func(h slog.Handler) slog.Handler { return h },
		"nested in MinLevel": func(h slog.Handler) slog.Handler { return multi.MinLevel(h, slog.LevelDebug) },
	} {
		var s1, s2 []int
		h := multi.New(wrap(multi.New(mutator{&s1})), mutator{&s2})
		// As slog.Logger makes it: a fresh record, with more attributes
		// than fit in its inline array, added one by one.
		r := slog.NewRecord(timeZero, slog.LevelInfo, "m", 0)
		for i := range 8 {
			r.AddAttrs(slog.Int("i", i))
		}
		if err := h.Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if s1[0] != 9 || s2[0] != 9 {
			t.Errorf("%s: mutators saw %v and %v attrs; want 9 each (8 + their own, no !BUG)", name, s1, s2)
		}
	}
}

func TestParseLevelRejectsOffsetsThatOverflow(t *testing.T) {
	for _, in := range []string{
		"ERROR+" + strconv.Itoa(math.MaxInt),
		"CRITICAL+" + strconv.Itoa(math.MaxInt-11),
		"TRACE-" + strconv.Itoa(math.MaxInt),
		"DEBUG" + strconv.Itoa(math.MinInt),
	} {
		if l, err := multi.ParseLevel(in); err == nil {
			t.Errorf("ParseLevel(%q) = %d; want an error, not a level that wrapped around", in, l)
		}
	}
	for _, tc := range []struct {
		in   string
		want slog.Level
	}{
		{"INFO+" + strconv.Itoa(math.MaxInt), math.MaxInt},
		{"CRITICAL+" + strconv.Itoa(math.MaxInt-12), math.MaxInt},
		{"TRACE-" + strconv.Itoa(math.MaxInt-8), -math.MaxInt},
		{"INFO-" + strconv.Itoa(math.MaxInt) + "", -math.MaxInt},
		{"info-0", 0},
		{"+4", 4},
	} {
		if l, err := multi.ParseLevel(tc.in); err != nil || l != tc.want {
			t.Errorf("ParseLevel(%q) = %d, %v; want %d", tc.in, l, err, tc.want)
		}
	}
}

// sharingWrapper wraps a handler and forwards its Destination, as a
// decorating handler might, but reports no Stats of its own: StatsOf and
// Handler.Stats reach the wrapped handler's through Unwrap.
type sharingWrapper struct{ slog.Handler }

func (w sharingWrapper) Unwrap() slog.Handler { return w.Handler }
func (w sharingWrapper) Destination() any     { return w.Handler.(multi.Sharer).Destination() }

func TestStatsReachAReporterBehindASharingWrapper(t *testing.T) {
	r := newRecorder(slog.LevelInfo)
	h := multi.New(sharingWrapper{r})
	if err := h.Handle(context.Background(), slog.NewRecord(timeZero, slog.LevelInfo, "m", 0)); err != nil {
		t.Fatal(err)
	}
	if st, _ := multi.StatsOf(sharingWrapper{r}); st.Written != 1 {
		t.Fatalf("StatsOf the wrapper: written %d, want 1", st.Written)
	}
	if st := h.Stats(); st.Written != 1 {
		t.Errorf("fan-out stats: written %d, want 1", st.Written)
	}
	// Still counted once when the destination is reached twice.
	h = multi.New(sharingWrapper{r}, r, r.WithAttrs([]slog.Attr{slog.Int("a", 1)}))
	if st := h.Stats(); st.Written != 1 {
		t.Errorf("fan-out of three on one destination: written %d, want 1", st.Written)
	}
}

func TestNestedFanOutOfBorrowersDoesNotAllocate(t *testing.T) {
	r := slog.NewRecord(timeZero, slog.LevelInfo, "m", 0)
	for i := range 10 { // more than fit in the record's inline array, so a clone allocates
		r.AddAttrs(slog.Int("i", i))
	}
	ctx := context.Background()
	h := multi.New(multi.New(nopBorrower{}, nopBorrower{}), multi.MinLevel(multi.New(nopBorrower{}), slog.LevelDebug), nopBorrower{})
	if n := testing.AllocsPerRun(200, func() { _ = h.Handle(ctx, r) }); n != 0 {
		t.Errorf("nested fan-outs of borrowers allocate %v times per record; want 0", n)
	}
}

// enablePanics is a foreign handler whose Enabled panics.
type enablePanics struct{ slog.Handler }

func (enablePanics) Enabled(context.Context, slog.Level) bool { panic("enabled boom") }

// A child whose Enabled panics neither stops the others nor reaches the
// caller as a panic: the fan-out counts it as enabled, and Handle returns
// the panic as an error naming the child.
func TestAChildWhoseEnabledPanicsIsAnError(t *testing.T) {
	ok := newRecorder(0)
	h := multi.New(enablePanics{slog.NewJSONHandler(io.Discard, nil)}, ok)
	if !h.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("Enabled = false with a panicking child first")
	}
	err := h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0))
	if err == nil || !strings.Contains(err.Error(), "handler[0] (multi_test.enablePanics): Handle panicked: enabled boom") {
		t.Errorf("Handle = %v, want the panic as an error naming handler[0]", err)
	}
	if got := ok.messages(); len(got) != 1 || got[0] != "m" {
		t.Errorf("the other child got %q, want [m]", got)
	}
}

// A nil *slog.LevelVar given to MinLevel adds no limit, like a nil Leveler,
// instead of panicking at the first record.
func TestMinLevelWithANilLevelVarAddsNoLimit(t *testing.T) {
	r := newRecorder(slog.LevelDebug)
	h := multi.MinLevel(r, (*slog.LevelVar)(nil))
	if h != slog.Handler(r) {
		t.Fatalf("MinLevel(h, nil *LevelVar) = %T, want h itself", h)
	}
	slog.New(h).Debug("d")
	if got := r.messages(); len(got) != 1 {
		t.Errorf("got %q, want the debug record", got)
	}
}

// funcHandler is a handler of func kind, to be refused when nil.
type funcHandler func(context.Context, slog.Record) error

func (funcHandler) Enabled(context.Context, slog.Level) bool          { return true }
func (f funcHandler) Handle(ctx context.Context, r slog.Record) error { return f(ctx, r) }
func (f funcHandler) WithAttrs([]slog.Attr) slog.Handler              { return f }
func (f funcHandler) WithGroup(string) slog.Handler                   { return f }

// panicOf returns what f panics with, or nil.
func panicOf(f func()) (p any) {
	defer func() { p = recover() }()
	f()
	return nil
}

// A typed nil, such as the nil *file.Handler file.New returns with its
// error, is refused by New and MinLevel at once, with the message of an
// untyped nil plus the type, instead of panicking at the first Stats.
func TestNewAndMinLevelRefuseTypedNilHandlers(t *testing.T) {
	fh, err := file.New("", nil)
	if err == nil || fh != nil {
		t.Fatalf("file.New(\"\") = %v, %v; want a nil *file.Handler and an error", fh, err)
	}
	untyped := panicOf(func() { multi.New(newRecorder(0), nil) })
	if untyped != "multi.New: handler[1] of 2 is nil; check the error its constructor returned" {
		t.Fatalf("multi.New with an untyped nil panicked with %v", untyped)
	}
	if p := panicOf(func() { multi.New(newRecorder(0), fh) }); p != "multi.New: handler[1] of 2 is nil (*file.Handler); check the error its constructor returned" {
		t.Errorf("multi.New with a nil *file.Handler panicked with %v", p)
	}
	for _, tc := range []struct {
		h    slog.Handler
		name string
	}{
		{fh, "*file.Handler"},
		{(*recorder)(nil), "*multi_test.recorder"},
		{funcHandler(nil), "multi_test.funcHandler"},
	} {
		p := panicOf(func() { multi.New(newRecorder(0), tc.h) })
		want := strings.Replace(untyped.(string), "is nil", "is nil ("+tc.name+")", 1)
		if p != want {
			t.Errorf("multi.New(ok, typed nil %s) panicked with %v; want %q", tc.name, p, want)
		}
		p = panicOf(func() { multi.MinLevel(tc.h, slog.LevelInfo) })
		if s, _ := p.(string); !strings.Contains(s, "multi.MinLevel: handler is nil ("+tc.name+"); check the error its constructor returned") {
			t.Errorf("multi.MinLevel(typed nil %s) panicked with %v; want the nil refused naming its type", tc.name, p)
		}
	}
	if p := panicOf(func() { multi.MinLevel(nil, slog.LevelInfo) }); p != "multi.MinLevel: handler is nil; check the error its constructor returned" {
		t.Errorf("multi.MinLevel(nil) panicked with %v", p)
	}
}

// lifecyclePanics is a sink whose every lifecycle method panics.
type lifecyclePanics struct{ slog.Handler }

func (lifecyclePanics) Flush(context.Context) error    { panic("flush boom") }
func (lifecyclePanics) Shutdown(context.Context) error { panic("shutdown boom") }
func (lifecyclePanics) Stats() multi.Stats             { panic("stats boom") }
func (lifecyclePanics) Healthy() bool                  { panic("healthy boom") }

// A fan-out's Stats, Healthy, Flush and Shutdown never panic because of a
// child: the panic becomes that child's error (LastError for Stats, an
// unhealthy child for Healthy), and the other children are reached.
func TestFanOutLifecycleSurvivesAPanickingChild(t *testing.T) {
	ok := newRecorder(0)
	bad := lifecyclePanics{slog.NewJSONHandler(io.Discard, nil)}
	h := multi.New(ok, multi.MinLevel(bad, slog.LevelDebug))
	slog.New(h).Info("m")

	st := h.Stats()
	if st.Written != 1 {
		t.Errorf("Stats: written %d; want the healthy child's 1", st.Written)
	}
	if st.LastError == nil || !strings.Contains(st.LastError.Error(), "multi: handler[1] (*multi.minLevel): Stats panicked: stats boom") {
		t.Errorf("Stats: LastError = %v; want the child's panic named", st.LastError)
	}
	if st.LastErrorTime.IsZero() {
		t.Error("Stats: LastErrorTime is zero")
	}
	if h.Healthy() {
		t.Error("Healthy = true with a child whose Healthy panics")
	}
	if multi.New(ok).Healthy() != true {
		t.Error("Healthy = false without the panicking child")
	}
	ctx := context.Background()
	err := multi.Flush(ctx, h)
	if err == nil || !strings.Contains(err.Error(), "multi: handler[1] (*multi.minLevel): Flush panicked: flush boom") {
		t.Errorf("Flush = %v; want the child's panic as its error", err)
	}
	err = multi.Shutdown(ctx, h)
	if err == nil || !strings.Contains(err.Error(), "multi: handler[1] (*multi.minLevel): Shutdown panicked: shutdown boom") {
		t.Errorf("Shutdown = %v; want the child's panic as its error", err)
	}
	if f, s := ok.dst.flushes.Load(), ok.dst.shutdowns.Load(); f != 1 || s != 1 {
		t.Errorf("the healthy child: flushes=%d shutdowns=%d; want 1 and 1", f, s)
	}
}

// statsPanics is a sink whose Stats panics while its Healthy says true.
type statsPanics struct{ *recorder }

func (statsPanics) Stats() multi.Stats { panic("stats boom") }

// healthPanics is a sink whose Healthy panics while its Stats works.
type healthPanics struct{ *recorder }

func (healthPanics) Healthy() bool { panic("healthy boom") }

// A child's panic is never silent: slog.Logger drops what Handle returns,
// so the fan-out's Stats shows the most recent panic as LastError, and a
// child whose Stats panics counts as unhealthy even if its Healthy says
// otherwise.
func TestAChildsPanicShowsInStatsAndHealth(t *testing.T) {
	panicky := newRecorder(0)
	panicky.panics = true
	h := multi.New(newRecorder(0), panicky)
	slog.New(h).With("k", "v").Info("m") // through a derived fan-out
	if st := h.Stats(); st.LastError == nil || st.LastError.Error() != "multi: handler[1] (*multi_test.recorder): Handle panicked: boom" {
		t.Errorf("Stats().LastError = %v; want the Handle panic", st.LastError)
	}

	h = multi.New(newRecorder(0), healthPanics{newRecorder(0)})
	if h.Healthy() {
		t.Error("Healthy = true with a child whose Healthy panics")
	}
	if st := h.Stats(); st.LastError == nil || st.LastError.Error() != "multi: handler[1] (multi_test.healthPanics): Healthy panicked: healthy boom" {
		t.Errorf("Stats().LastError = %v; want the Healthy panic", st.LastError)
	}

	h = multi.New(statsPanics{newRecorder(0)})
	if !h.Healthy() {
		t.Error("Healthy = false before any Stats call")
	}
	if st := h.Stats(); st.LastError == nil || st.LastError.Error() != "multi: handler[0] (multi_test.statsPanics): Stats panicked: stats boom" {
		t.Errorf("Stats().LastError = %v; want the Stats panic", st.LastError)
	}
	if h.Healthy() {
		t.Error("Healthy = true after the child's Stats panicked")
	}
}
