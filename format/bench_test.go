package format_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/format"
)

// The benchmarks log through a slog.Logger to io.Discard, ours and slog's
// handlers side by side in one run; the sub-benchmark names put the two in
// columns for `benchstat -col /impl`.

var (
	benchTime = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	errBench  = errors.New("connection reset by peer")
)

var attrs5 = []slog.Attr{
	slog.String("method", "GET"),
	slog.Int("status", 200),
	slog.Float64("latency_ms", 12.75),
	slog.Duration("elapsed", 1234*time.Microsecond),
	slog.Time("started", benchTime),
}

var attrs10 = []slog.Attr{
	slog.String("method", "GET"),
	slog.Int("status", 200),
	slog.Float64("latency_ms", 12.75),
	slog.Duration("elapsed", 1234*time.Microsecond),
	slog.Time("started", benchTime),
	slog.Bool("cached", false),
	slog.Uint64("bytes", 48213),
	slog.Any("err", errBench),
	slog.Group("req", slog.String("path", "/api/v1/users"), slog.Int("id", 42)),
}

type impl struct {
	name string
	new  func(w io.Writer, lv slog.Leveler) slog.Handler
}

func impls(f format.Format) []impl {
	return []impl{
		{"slog", func(w io.Writer, lv slog.Leveler) slog.Handler {
			if f == format.JSON {
				return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv})
			}
			return slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv})
		}},
		{"multi", func(w io.Writer, lv slog.Leveler) slog.Handler {
			return format.New(w, &format.Options{Format: f, Level: lv})
		}},
	}
}

// record builds a record once, as a slog.Logger would per call; the
// benchmarks hand it to Handle, so that they measure the handlers and not
// the Logger's runtime.Callers and time.Now, which both sides pay alike.
func record(msg string, attrs ...slog.Attr) slog.Record {
	r := slog.NewRecord(benchTime, slog.LevelInfo, msg, 0)
	r.AddAttrs(attrs...)
	return r
}

func BenchmarkFormat(b *testing.B) {
	ctx := context.Background()
	cases := []struct {
		name string
		run  func(b *testing.B, h slog.Handler)
	}{
		{"msg", func(b *testing.B, h slog.Handler) {
			r := record("request handled")
			for b.Loop() {
				h.Handle(ctx, r)
			}
		}},
		{"attrs5", func(b *testing.B, h slog.Handler) {
			r := record("request handled", attrs5...)
			for b.Loop() {
				h.Handle(ctx, r)
			}
		}},
		{"attrs5span", func(b *testing.B, h slog.Handler) {
			// A context with a span (the tests' SpanFunc, see
			// trace_test.go); slog's handlers ignore it.
			r := record("request handled", attrs5...)
			for b.Loop() {
				h.Handle(spanCtx, r)
			}
		}},
		{"attrs10group", func(b *testing.B, h slog.Handler) {
			r := record("request handled", attrs10...)
			for b.Loop() {
				h.Handle(ctx, r)
			}
		}},
		{"with3then2", func(b *testing.B, h slog.Handler) {
			h = h.WithAttrs([]slog.Attr{slog.String("service", "api"), slog.Int("pid", 4242), slog.String("region", "eu-west-1")})
			r := record("request handled", slog.String("method", "GET"), slog.Int("status", 200))
			for b.Loop() {
				h.Handle(ctx, r)
			}
		}},
		{"disabled", func(b *testing.B, h slog.Handler) {
			// What a Logger does for a record below the level.
			for b.Loop() {
				if h.Enabled(ctx, slog.LevelDebug) {
					b.Fatal("debug enabled")
				}
			}
		}},
		{"attrs5parallel", func(b *testing.B, h slog.Handler) {
			r := record("request handled", attrs5...)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					h.Handle(ctx, r)
				}
			})
		}},
		{"logger_attrs5", func(b *testing.B, h slog.Handler) {
			// The whole path of slog.Logger.LogAttrs, time.Now and
			// runtime.Callers included.
			l := slog.New(h)
			for b.Loop() {
				l.LogAttrs(ctx, slog.LevelInfo, "request handled", attrs5...)
			}
		}},
	}
	for _, f := range []format.Format{format.JSON, format.Text} {
		for _, c := range cases {
			for _, im := range impls(f) {
				b.Run("format="+f.String()+"/case="+c.name+"/impl="+im.name, func(b *testing.B) {
					b.ReportAllocs()
					c.run(b, im.new(io.Discard, slog.LevelInfo))
				})
			}
		}
	}
}

// BenchmarkHuman measures the human formats on the five-attribute record.
func BenchmarkHuman(b *testing.B) {
	ctx := context.Background()
	for _, f := range []format.Format{format.Plain, format.Structured, format.Console} {
		b.Run("format="+f.String()+"/case=attrs5/impl=multi", func(b *testing.B) {
			b.ReportAllocs()
			h := format.New(io.Discard, &format.Options{Format: f, Name: "api", Color: true})
			r := record("request handled", attrs5...)
			for b.Loop() {
				h.Handle(ctx, r)
			}
		})
	}
}
