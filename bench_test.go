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
