package bench_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/jinpy-utils/multi"
)

// discard is a handler that reads every attribute and keeps nothing, a
// RecordBorrower, so that what is measured is the sampler and not an
// encoder.
type discard struct{}

func (discard) Enabled(context.Context, slog.Level) bool { return true }
func (discard) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(slog.Attr) bool { return true })
	return nil
}
func (d discard) WithAttrs([]slog.Attr) slog.Handler { return d }
func (d discard) WithGroup(string) slog.Handler      { return d }
func (discard) BorrowsRecords()                      {}

// discardCore is zap's counterpart of discard: it takes every entry and
// reads its fields.
type discardCore struct{}

func (discardCore) Enabled(zapcore.Level) bool          { return true }
func (c discardCore) With([]zapcore.Field) zapcore.Core { return c }
func (c discardCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	return ce.AddCore(e, c)
}
func (discardCore) Write(_ zapcore.Entry, fs []zapcore.Field) error {
	for range fs {
	}
	return nil
}
func (discardCore) Sync() error { return nil }

// BenchmarkSample compares multi.Sample with zap's sampler
// (zapcore.NewSamplerWithOptions) on what each adds to a logger that
// discards: impl=zap and impl=multi are the loggers without a sampler,
// impl=zap-sampled and impl=multi-sampled with one; case=pass is a record
// the sampler lets through (First is huge), case=drop one it drops.
// multi's loggers are driven by Handle on a prepared record and zap's by
// Check and Write on a prepared entry, so that neither side pays its
// logger's caller lookup and clock.
//
//	go test -run '^$' -bench Sample -count 6 . | benchstat -col /impl -
func BenchmarkSample(b *testing.B) {
	now := time.Now()
	rec := slog.NewRecord(now, slog.LevelInfo, "request served", 0)
	rec.AddAttrs(slog.String("method", "GET"), slog.Int("status", 200), slog.Duration("took", time.Millisecond))
	fields := []zap.Field{zap.String("method", "GET"), zap.Int("status", 200), zap.Duration("took", time.Millisecond)}
	entry := zapcore.Entry{Level: zapcore.InfoLevel, Time: now, Message: "request served"}

	for _, c := range []struct {
		name              string
		first, thereafter int
	}{{"pass", 1 << 30, 1}, {"drop", 1, 0}} {
		thereafter := c.thereafter
		if thereafter == 0 {
			thereafter = -1
		}
		sampled, err := multi.Sample(discard{}, &multi.SampleOptions{First: c.first, Thereafter: thereafter})
		if err != nil {
			b.Fatal(err)
		}
		for _, im := range []struct {
			name string
			h    slog.Handler
		}{{"multi", discard{}}, {"multi-sampled", sampled}} {
			b.Run("case="+c.name+"/impl="+im.name, func(b *testing.B) {
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					_ = im.h.Handle(ctx, rec)
				}
			})
		}
		zs := zapcore.NewSamplerWithOptions(discardCore{}, time.Second, c.first, c.thereafter)
		for _, im := range []struct {
			name string
			core zapcore.Core
		}{{"zap", discardCore{}}, {"zap-sampled", zs}} {
			b.Run("case="+c.name+"/impl="+im.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if ce := im.core.Check(entry, nil); ce != nil {
						ce.Write(fields...)
					}
				}
			})
		}
	}
}
