package console_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/console"
	"github.com/jinpy-utils/multi/format"
)

// BenchmarkConsole writes the same records in the Console format to
// io.Discard through this package, with and without colour, side by side in
// one run; "format" is package format's encoder alone, writing to io.Discard
// without this package's lock and counters. The comparison with
// github.com/lmittmann/tint is in the module under bench/, so that tint
// never enters this module's go.mod. Compare them with
//
//	benchstat -col /impl bench.txt
//
// Records are built once and handed to Handle, as a slog.Logger would hand
// them, so that the benchmark measures the handlers and not the Logger's
// runtime.Callers and time.Now, which both sides pay alike.
func BenchmarkConsole(b *testing.B) {
	for _, c := range benchCases() {
		for _, color := range []bool{false, true} {
			for _, im := range benchImpls() {
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

func onOff(color bool) string {
	if color {
		return "on"
	}
	return "off"
}

type benchCase struct {
	name  string
	r     slog.Record
	attrs []slog.Attr // added with WithAttrs first
}

func (c benchCase) handler(h slog.Handler) slog.Handler {
	if c.attrs != nil {
		return h.WithAttrs(c.attrs)
	}
	return h
}

func benchCases() []benchCase {
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	errReset := errors.New("connection reset by peer")
	record := func(l slog.Level, msg string, attrs ...slog.Attr) slog.Record {
		r := slog.NewRecord(at, l, msg, 0)
		r.AddAttrs(attrs...)
		return r
	}
	return []benchCase{
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

type benchImpl struct {
	name string
	new  func(color bool) slog.Handler
}

// benchImpls are the bare encoder and this package.
func benchImpls() []benchImpl {
	return []benchImpl{
		// The encoder alone, without this package's lock and counters: the
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
