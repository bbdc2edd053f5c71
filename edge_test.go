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
	if err == nil || !strings.Contains(err.Error(), "handler 1 (multi_test.enablePanics) panicked: enabled boom") {
		t.Errorf("Handle = %v, want the panic as an error naming handler 1", err)
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
