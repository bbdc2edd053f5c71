package multi_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/format"
)

// The fan-out benchmarks compare, on the same records in one run:
//
//	impl=slog-multi   slog.NewMultiHandler of three slog JSON handlers
//	impl=multi-slog   multi.New of the same three slog JSON handlers
//	impl=multi-ours   multi.New of three of our JSON handlers
//	impl=sum-ours     the three JSON handlers of ours called one after another,
//	                  which is what a fan-out cannot beat
//
// Run: go test -run '^$' -bench FanOut -count 6 . | benchstat -col /impl -
func BenchmarkFanOut(b *testing.B) {
	slogJSON := func() slog.Handler { return slog.NewJSONHandler(io.Discard, nil) }
	ours := func() slog.Handler { return format.New(io.Discard, nil) }
	for _, attrs := range []struct {
		name string
		n    int
	}{{"attrs=5", 5}, {"attrs=10", 10}} {
		as := benchAttrs(attrs.n)
		for _, impl := range []struct {
			name string
			h    slog.Handler
		}{
			{"slog-multi", slog.NewMultiHandler(slogJSON(), slogJSON(), slogJSON())},
			{"multi-slog", multi.New(slogJSON(), slogJSON(), slogJSON())},
			{"multi-ours", multi.New(ours(), ours(), ours())},
			{"sum-ours", sequence{ours(), ours(), ours()}},
		} {
			b.Run(attrs.name+"/impl="+impl.name, func(b *testing.B) {
				log := slog.New(impl.h)
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					log.LogAttrs(ctx, slog.LevelInfo, "request served", as...)
				}
			})
		}
	}
}

// sequence calls its handlers one after another with no fan-out logic: the
// floor a fan-out is measured against.
type sequence []slog.Handler

func (s sequence) Enabled(ctx context.Context, l slog.Level) bool { return s[0].Enabled(ctx, l) }
func (s sequence) Handle(ctx context.Context, r slog.Record) error {
	var err error
	for _, h := range s {
		err = errors.Join(err, h.Handle(ctx, r))
	}
	return err
}
func (s sequence) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s sequence) WithGroup(string) slog.Handler      { return s }

func benchAttrs(n int) []slog.Attr {
	all := []slog.Attr{
		slog.String("method", "GET"),
		slog.Int("status", 200),
		slog.Duration("elapsed", 1234567*time.Nanosecond),
		slog.Bool("cached", false),
		slog.Float64("ratio", 0.125),
		slog.String("path", "/api/v1/users/42"),
		slog.Int64("bytes", 4096),
		slog.Time("at", time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)),
		slog.String("agent", "curl/8.5.0"),
		slog.Uint64("id", 18446744073709551615),
	}
	return all[:n]
}

// BenchmarkFanOutDisabled is the cost of a log call below every child's
// level: Enabled of the fan-out, which runs for every call.
func BenchmarkFanOutDisabled(b *testing.B) {
	ours := func() slog.Handler { return format.New(io.Discard, nil) }
	for _, impl := range []struct {
		name string
		h    slog.Handler
	}{
		{"slog-multi", slog.NewMultiHandler(ours(), ours(), ours())},
		{"multi-ours", multi.New(ours(), ours(), ours())},
	} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if impl.h.Enabled(ctx, slog.LevelDebug) {
					b.Fatal("enabled below every child's level")
				}
			}
		})
	}
}

// BenchmarkSample measures, through slog.Logger, a record that passes a
// Sample wrapper against the same record straight to a child that only
// reads the attributes:
//
//	impl=child          the child alone
//	impl=sample-floor   a WARN record: above the floor, no counting
//	impl=sample-count   an INFO record counted by message, and passed
//	impl=sample-attr    counted by an attribute bound with With
//	impl=sample-drop    an INFO record over the limit, dropped
//
// Run: go test -run '^$' -bench Sample -count 6 . | benchstat -col /impl -
func BenchmarkSample(b *testing.B) {
	child := func() slog.Handler { return nopBorrower{} } // so that the sampler's cost is not lost in the encoder's
	many := &multi.SampleOptions{First: 1 << 62}
	mk := func(o *multi.SampleOptions) slog.Handler {
		h, err := multi.Sample(child(), o)
		if err != nil {
			b.Fatal(err)
		}
		return h
	}
	as := benchAttrs(5)
	for _, impl := range []struct {
		name  string
		log   *slog.Logger
		level slog.Level
	}{
		{"child", slog.New(child()), slog.LevelInfo},
		{"sample-floor", slog.New(mk(nil)), slog.LevelWarn},
		{"sample-count", slog.New(mk(many)), slog.LevelInfo},
		{"sample-attr", slog.New(mk(&multi.SampleOptions{First: 1 << 62, Key: multi.ByAttr("user")})).With("user", "ann"), slog.LevelInfo},
		{"sample-drop", slog.New(mk(&multi.SampleOptions{First: 1, Thereafter: -1})), slog.LevelInfo},
	} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				impl.log.LogAttrs(ctx, impl.level, "request served", as...)
			}
		})
	}
}

// BenchmarkSampleParallel is BenchmarkSample's sample-count on every
// processor at once: the cost of sharing one key's counter.
func BenchmarkSampleParallel(b *testing.B) {
	h, err := multi.Sample(format.New(io.Discard, nil), &multi.SampleOptions{First: 1 << 62})
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(h)
	as := benchAttrs(5)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			log.LogAttrs(ctx, slog.LevelInfo, "request served", as...)
		}
	})
}

// BenchmarkSampleHandle is BenchmarkSample's child and sample-count
// (and, for the cost of any wrapper, MinLevel) without slog.Logger (whose own cost, a runtime.Callers and the record,
// is hundreds of ns and hides the few the sampler adds): Handle on a
// prepared record.
func BenchmarkSampleHandle(b *testing.B) {
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "request served", 0)
	r.AddAttrs(benchAttrs(5)...)
	s, err := multi.Sample(nopBorrower{}, &multi.SampleOptions{First: 1 << 62})
	if err != nil {
		b.Fatal(err)
	}
	for _, impl := range []struct {
		name string
		h    slog.Handler
	}{{"child", nopBorrower{}}, {"minlevel", multi.MinLevel(nopBorrower{}, slog.LevelDebug)}, {"sample-count", s}} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				_ = impl.h.Handle(ctx, r)
			}
		})
	}
}

// BenchmarkSampleOverhead times the child alone and the child behind
// Sample (a record counted and passed) in alternating rounds of 1000
// records, so that both see the same neighbours on a shared machine, and
// reports the difference per record as "ns-over-child" (and MinLevel's,
// the cost of any wrapper, as a reference in its own sub-benchmark).
//
//	go test -run '^$' -bench SampleOverhead -count 6 .
func BenchmarkSampleOverhead(b *testing.B) {
	const round = 1000
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "request served", 0)
	r.AddAttrs(benchAttrs(5)...)
	s, err := multi.Sample(nopBorrower{}, &multi.SampleOptions{First: 1 << 62})
	if err != nil {
		b.Fatal(err)
	}
	for _, w := range []struct {
		name string
		h    slog.Handler
	}{{"sample", s}, {"minlevel", multi.MinLevel(nopBorrower{}, slog.LevelDebug)}} {
		b.Run("wrapper="+w.name, func(b *testing.B) {
			ctx := context.Background()
			run := func(h slog.Handler) time.Duration {
				start := time.Now()
				for range round {
					_ = h.Handle(ctx, r)
				}
				return time.Since(start)
			}
			var child, wrapped time.Duration
			n := 0
			b.ReportAllocs()
			for i := 0; i < b.N; i += 2 * round {
				if i%(4*round) == 0 {
					child += run(nopBorrower{})
					wrapped += run(w.h)
				} else {
					wrapped += run(w.h)
					child += run(nopBorrower{})
				}
				n += round
			}
			b.ReportMetric(float64(wrapped-child)/float64(n), "ns-over-child")
		})
	}
}
