package bench_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/lmittmann/tint"

	"github.com/jinpy-utils/multi/console"
	"github.com/jinpy-utils/multi/format"
)

// BenchmarkConsole writes the same records in the Console format to
// io.Discard through package console and through github.com/lmittmann/tint,
// with and without colour, side by side in one run; "format" is package
// format's encoder alone, writing to io.Discard without console's lock and
// counters. Compare them with
//
//	benchstat -col /impl bench.txt
//
// Records are built once and handed to Handle, as a slog.Logger would hand
// them, so that the benchmark measures the handlers and not the Logger's
// runtime.Callers and time.Now, which both sides pay alike.
func BenchmarkConsole(b *testing.B) {
	for _, c := range consoleCases() {
		for _, color := range []bool{false, true} {
			for _, im := range consoleImpls() {
				b.Run("case="+c.name+"/color="+onOff(color)+"/impl="+im.name, func(b *testing.B) {
					h := c.handler(im.new(color))
					b.ReportAllocs()
					for b.Loop() {
						if err := h.Handle(context.Background(), c.r); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkConsoleRatio times package console and tint in alternating
// rounds of 1000 records (see pair), so that both see the same neighbours
// on a shared machine, and reports console's time over tint's as the
// metric "console/tint". ns/op is per record of either. Records are handed
// to Handle directly; BenchmarkLogger's impl=console goes through
// slog.Logger.
func BenchmarkConsoleRatio(b *testing.B) {
	for _, c := range consoleCases() {
		for _, color := range []bool{false, true} {
			b.Run("case="+c.name+"/color="+onOff(color), func(b *testing.B) {
				impls := consoleImpls()
				theirs := c.handler(impls[0].new(color))
				ours := c.handler(impls[len(impls)-1].new(color))
				run := func(h slog.Handler) workload {
					return func(n int) {
						for range n {
							_ = h.Handle(context.Background(), c.r)
						}
					}
				}
				pair(b, "console/tint", false, run(ours), run(theirs))
			})
		}
	}
}

func onOff(color bool) string {
	if color {
		return "on"
	}
	return "off"
}

type consoleCase struct {
	name  string
	r     slog.Record
	attrs []slog.Attr // added with WithAttrs first
}

func (c consoleCase) handler(h slog.Handler) slog.Handler {
	if c.attrs != nil {
		return h.WithAttrs(c.attrs)
	}
	return h
}

func consoleCases() []consoleCase {
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	errReset := errors.New("connection reset by peer")
	record := func(l slog.Level, msg string, attrs ...slog.Attr) slog.Record {
		r := slog.NewRecord(at, l, msg, 0)
		r.AddAttrs(attrs...)
		return r
	}
	return []consoleCase{
		{"msg", record(slog.LevelInfo, "request handled"), nil},
		{"attrs5", record(slog.LevelWarn, "request handled",
			slog.String("method", "GET"),
			slog.Int("status", 200),
			slog.Float64("latency_ms", 12.75),
			slog.Duration("elapsed", 1234*time.Microsecond),
			slog.Any("err", errReset),
		), nil},
		{"with3+2", record(slog.LevelError, "request handled",
			slog.String("path", "/api/v1/users"),
			slog.Int("id", 42),
		), []slog.Attr{slog.String("service", "api"), slog.Int("pid", 4242), slog.Bool("canary", false)}},
	}
}

type consoleImpl struct {
	name string
	new  func(color bool) slog.Handler
}

// consoleImpls are tint, the bare encoder and package console, in that order.
func consoleImpls() []consoleImpl {
	return []consoleImpl{
		{"tint", func(color bool) slog.Handler {
			return tint.NewTextHandler(io.Discard, &tint.Options{TimeFormat: "15:04:05.000", NoColor: !color})
		}},
		// The encoder alone, without console's lock and counters: the
		// difference to "console" is what the sink adds.
		{"format", func(color bool) slog.Handler {
			return format.New(io.Discard, &format.Options{Format: format.Console, Color: color})
		}},
		{"console", func(color bool) slog.Handler {
			mode := console.ColorNever
			if color {
				mode = console.ColorAlways
			}
			return console.New(io.Discard, &console.Options{Color: mode})
		}},
	}
}
