package multi_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/multitest"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func mustSample(t testing.TB, h slog.Handler, o *multi.SampleOptions) slog.Handler {
	t.Helper()
	s, err := multi.Sample(h, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// at is a record at the fake time epoch+d.
func at(d time.Duration, l slog.Level, msg string, args ...any) slog.Record {
	r := slog.NewRecord(epoch.Add(d), l, msg, 0)
	r.Add(args...)
	return r
}

func handle(t testing.TB, h slog.Handler, rs ...slog.Record) {
	t.Helper()
	for _, r := range rs {
		if err := h.Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSamplePassesTheFirstThenEveryMth(t *testing.T) {
	rec := multitest.NewRecorder(nil)
	s := mustSample(t, rec, &multi.SampleOptions{First: 3, Thereafter: 5})
	for i := range 20 {
		handle(t, s, at(time.Duration(i)*time.Millisecond, slog.LevelInfo, "flood", "i", i))
		handle(t, s, at(time.Duration(i)*time.Millisecond, slog.LevelDebug, "flood", "i", i)) // another level, another key
	}
	var got []string
	for _, r := range rec.AtLevel(slog.LevelInfo) {
		v, _ := multitest.Attr(r, "i")
		got = append(got, v.String())
	}
	if want := "0,1,2,7,12,17"; strings.Join(got, ",") != want {
		t.Errorf("passed i=%s; want %s (the first 3, then every 5th)", strings.Join(got, ","), want)
	}
	if n := len(rec.AtLevel(slog.LevelDebug)); n != 6 {
		t.Errorf("DEBUG passed %d; want 6: it is counted apart from INFO", n)
	}
	if s := multi.New(s).Stats(); s.Sampled != 28 || s.Written != 12 || s.Dropped != 0 {
		t.Errorf("Stats = Written %d, Sampled %d, Dropped %d; want 12, 28, 0", s.Written, s.Sampled, s.Dropped)
	}
}

func TestSampleStartsAgainEachTick(t *testing.T) {
	rec := multitest.NewRecorder(nil)
	s := mustSample(t, rec, &multi.SampleOptions{First: 2, Thereafter: -1, Tick: time.Second})
	for i := range 5 {
		handle(t, s, at(time.Duration(i)*time.Millisecond, slog.LevelInfo, "m", "tick", 1))
	}
	for i := range 5 {
		handle(t, s, at(time.Second+time.Duration(i)*time.Millisecond, slog.LevelInfo, "m", "tick", 2))
	}
	if got := len(rec.WithAttr("tick", 1)); got != 2 {
		t.Errorf("tick 1 passed %d; want 2", got)
	}
	if got := len(rec.WithAttr("tick", 2)); got != 2 {
		t.Errorf("tick 2 passed %d; want 2", got)
	}
}

func TestSampleNeverDropsAtOrAboveTheFloor(t *testing.T) {
	rec := multitest.NewRecorder(nil)
	s := mustSample(t, rec, &multi.SampleOptions{First: 1, Thereafter: -1, Cap: 1})
	for range 50 {
		handle(t, s, at(0, slog.LevelWarn, "w"), at(0, slog.LevelError, "e"), at(0, slog.LevelInfo, "i"))
	}
	if w, e, i := len(rec.WithMessage("w")), len(rec.WithMessage("e")), len(rec.WithMessage("i")); w != 50 || e != 50 || i != 1 {
		t.Errorf("passed WARN %d, ERROR %d, INFO %d; want 50, 50, 1", w, e, i)
	}
	lv := new(slog.LevelVar)
	lv.Set(slog.LevelError)
	rec2 := multitest.NewRecorder(nil)
	s2 := mustSample(t, rec2, &multi.SampleOptions{First: 1, Thereafter: -1, Floor: lv})
	handle(t, s2, at(0, slog.LevelWarn, "w"), at(0, slog.LevelWarn, "w"))
	lv.Set(slog.LevelWarn)
	handle(t, s2, at(0, slog.LevelWarn, "w"))
	if got := rec2.Len(); got != 2 {
		t.Errorf("with the floor a LevelVar at ERROR then WARN: %d passed; want 2", got)
	}
}

func TestSampleCapBoundsATickOverAllKeys(t *testing.T) {
	rec := multitest.NewRecorder(nil)
	s := mustSample(t, rec, &multi.SampleOptions{Cap: 5})
	for i := range 20 {
		handle(t, s, at(0, slog.LevelInfo, fmt.Sprint("distinct ", i)))
	}
	handle(t, s, at(2*time.Second, slog.LevelInfo, "next tick"))
	if got := strings.Join(rec.Messages(), ","); got != "distinct 0,distinct 1,distinct 2,distinct 3,distinct 4,next tick" {
		t.Errorf("passed %s; want the first five, then the next tick's", got)
	}
	if got := multi.New(s).Stats().Sampled; got != 15 {
		t.Errorf("Sampled = %d; want 15", got)
	}
}

func TestSampleSummarySaysWhatWasDroppedAtTheNextTick(t *testing.T) {
	rec := multitest.NewRecorder(nil)
	s := mustSample(t, rec, &multi.SampleOptions{First: 1, Thereafter: -1, Summary: true})
	for range 4 {
		handle(t, s, at(0, slog.LevelInfo, "disk slow"))
	}
	handle(t, s, at(3*time.Second, slog.LevelInfo, "disk slow"))
	want := "disk slow,3 records like this dropped in the last 1s,disk slow"
	if got := strings.Join(rec.Messages(), ","); got != want {
		t.Fatalf("got %s; want %s", got, want)
	}
	sum := rec.Records()[1]
	if v, _ := multitest.Attr(sum, "sampled.dropped"); v.Uint64() != 3 {
		t.Errorf("sampled.dropped = %v; want 3", v)
	}
	if v, _ := multitest.Attr(sum, "sampled.key"); v.String() != "disk slow" || sum.Level != slog.LevelInfo {
		t.Errorf("sampled.key = %v at %v; want \"disk slow\" at INFO", v, sum.Level)
	}
	handle(t, s, at(3*time.Second, slog.LevelInfo, "disk slow"))
	if err := multi.Flush(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if got := rec.Messages(); got[len(got)-1] != "1 records like this dropped in the last 1s" {
		t.Errorf("after Flush the last record is %q; want the summary of the pending drop", got[len(got)-1])
	}
}

func TestSampleByAttrCountsEachValueApartIncludingBoundOnes(t *testing.T) {
	rec := multitest.NewRecorder(nil)
	s := mustSample(t, rec, &multi.SampleOptions{First: 1, Thereafter: -1, Key: multi.ByAttr("user"), Summary: true})
	ann := slog.New(s).With("user", "ann")
	bob := slog.New(s).WithGroup("req").With("user", "bob")
	for range 3 {
		ann.Info("login")
		bob.Info("login")
		slog.New(s).Info("login", "user", 7)
	}
	if got := rec.Len(); got != 3 {
		t.Errorf("passed %d; want 3, one per user", got)
	}
	if err := multi.Flush(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range rec.Records()[3:] {
		v, _ := multitest.Attr(r, "sampled.key")
		keys = append(keys, v.String())
	}
	for _, want := range []string{"user=ann", "user=bob", "user=7"} {
		if !strings.Contains(strings.Join(keys, " "), want) {
			t.Errorf("summary keys %q lack %q", keys, want)
		}
	}
}

func TestSampleBySourceCountsEachCallSiteApart(t *testing.T) {
	rec := multitest.NewRecorder(nil)
	log := slog.New(mustSample(t, rec, &multi.SampleOptions{First: 1, Thereafter: -1, Key: multi.BySource}))
	for i := range 3 {
		log.Info(fmt.Sprint("a", i)) // one call site, three messages
		log.Info(fmt.Sprint("b", i))
	}
	if got := strings.Join(rec.Messages(), ","); got != "a0,b0" {
		t.Errorf("passed %s; want a0,b0: one per call site", got)
	}
}

func TestSampleRefusesBadInputNamingTheFix(t *testing.T) {
	var nilRec *multitest.Recorder
	for _, tc := range []struct {
		h    slog.Handler
		o    *multi.SampleOptions
		want string
	}{
		{nil, nil, "multi.Sample: handler is nil; check the error"},
		{nilRec, nil, "handler is nil (*multitest.Recorder)"},
		{multitest.NewRecorder(nil), &multi.SampleOptions{Tick: -time.Second}, "Tick -1s is negative; write 0 for the default of 1s"},
		{multitest.NewRecorder(nil), &multi.SampleOptions{First: -1}, "First -1 is negative"},
		{multitest.NewRecorder(nil), &multi.SampleOptions{Thereafter: -2}, "write -1 to drop every record after First"},
		{multitest.NewRecorder(nil), &multi.SampleOptions{Cap: -3}, "write 0 for no cap"},
		{multitest.NewRecorder(nil), &multi.SampleOptions{Key: multi.ByAttr("")}, `as in ByAttr("user")`},
		{multitest.NewRecorder(nil), &multi.SampleOptions{Floor: (*slog.LevelVar)(nil)}, "Floor is a nil *slog.LevelVar"},
	} {
		_, err := multi.Sample(tc.h, tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Sample(%T, %+v) = %v; want an error containing %q", tc.h, tc.o, err, tc.want)
		}
	}
}

// Sample hands its child the caller's record: inside New it is a borrower
// exactly when its child is.
func TestSampleKeepsTheRecordBorrowerContract(t *testing.T) {
	var seen []int
	after := multitest.NewRecorder(nil)
	h := multi.New(mustSample(t, mutator{&seen}, nil), after)
	r := slog.NewRecord(timeZero, slog.LevelInfo, "m", 0)
	for i := range 8 {
		r.AddAttrs(slog.Int("i", i))
	}
	handle(t, h, r)
	if n := after.Records()[0].NumAttrs(); n != 8 {
		t.Errorf("child after a sampled mutator saw %d attrs; want 8 (the mutator got a clone)", n)
	}
	ctx := context.Background()
	borrowers := multi.New(mustSample(t, nopBorrower{}, nil), mustSample(t, nopBorrower{}, nil))
	if n := testing.AllocsPerRun(200, func() { _ = borrowers.Handle(ctx, r) }); n != 0 {
		t.Errorf("fan-out of two sampled borrowers allocates %v times per record; want 0", n)
	}
}

func TestSampleLifecycleReachesTheChild(t *testing.T) {
	rec := multitest.NewRecorder(nil)
	s := mustSample(t, rec, nil)
	tree := multi.New(s, slog.New(s).With("k", 1).Handler())
	handle(t, tree, at(0, slog.LevelInfo, "m"))
	ctx := context.Background()
	if err := multi.Flush(ctx, tree); err != nil {
		t.Fatal(err)
	}
	if err := multi.Shutdown(ctx, tree); err != nil {
		t.Fatal(err)
	}
	if rec.Flushes() != 2 || rec.Shutdowns() != 2 || tree.Stats().Written != 2 || !tree.Healthy() {
		t.Errorf("flushes %d, shutdowns %d, written %d, healthy %v; want 2, 2, 2 (one store, counted once), true",
			rec.Flushes(), rec.Shutdowns(), tree.Stats().Written, tree.Healthy())
	}
}

// The property: whatever the interleaving of 8 goroutines on a fake clock,
// every record handled is written or counted as sampled, the summaries add
// up to what was sampled, and nothing at or above the floor is dropped.
func TestSamplePropertyWrittenPlusSampledIsHandled(t *testing.T) {
	for seed := range uint64(4) {
		rec := multitest.NewRecorder(nil)
		s := mustSample(t, rec, &multi.SampleOptions{First: 3, Thereafter: 7, Cap: 40, Tick: 10 * time.Millisecond, Summary: true})
		var clock atomic.Int64 // fake nanoseconds since epoch
		var handled, floor atomic.Uint64
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				rnd := rand.New(rand.NewPCG(seed, uint64(g)))
				log := slog.New(s).With("g", g)
				for range 2000 {
					now := clock.Add(rnd.Int64N(int64(100 * time.Microsecond)))
					l := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelInfo, slog.LevelWarn, slog.LevelError}[rnd.IntN(5)]
					r := slog.NewRecord(epoch.Add(time.Duration(now)), l, fmt.Sprint("m", rnd.IntN(6)), 0)
					if err := log.Handler().Handle(context.Background(), r); err != nil {
						t.Error(err)
					}
					handled.Add(1)
					if l >= slog.LevelWarn {
						floor.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if err := multi.Flush(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		var written, summarized, atFloor uint64
		for _, r := range rec.Records() {
			if v, ok := multitest.Attr(r, "sampled.dropped"); ok {
				summarized += v.Uint64()
				continue
			}
			written++
			if r.Level >= slog.LevelWarn {
				atFloor++
			}
		}
		sampled := multi.New(s).Stats().Sampled
		if written+sampled != handled.Load() {
			t.Errorf("seed %d: written %d + sampled %d = %d; want handled %d", seed, written, sampled, written+sampled, handled.Load())
		}
		if summarized != sampled {
			t.Errorf("seed %d: summaries say %d dropped; Stats.Sampled %d", seed, summarized, sampled)
		}
		if atFloor != floor.Load() {
			t.Errorf("seed %d: %d records at or above WARN arrived; want all %d", seed, atFloor, floor.Load())
		}
		if sampled == 0 {
			t.Errorf("seed %d: nothing sampled; the test does not exercise sampling", seed)
		}
	}
}

// A flood of one message is thinned to the first records of each second
// and every hundredth after; warnings always pass.
func ExampleSample() {
	rec := multitest.NewRecorder(nil)
	h, err := multi.Sample(rec, &multi.SampleOptions{First: 2, Thereafter: 100, Summary: true})
	if err != nil {
		panic(err)
	}
	log := slog.New(h)
	for range 1000 {
		log.Info("cache miss")
	}
	log.Warn("cache disabled")
	_ = multi.Flush(context.Background(), h) // sends the summary of what is pending

	st, _ := multi.StatsOf(h)
	fmt.Println(rec.Messages()[:3], len(rec.WithMessage("cache miss")), st.Sampled)
	fmt.Println(rec.Messages()[rec.Len()-1])
	// Output:
	// [cache miss cache miss cache miss] 11 989
	// 989 records like this dropped in the last 1s
}
