package bench_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lmittmann/tint"
	"github.com/rs/zerolog"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/console"
	"github.com/jinpy-utils/multi/file"
	"github.com/jinpy-utils/multi/format"
)

// BenchmarkLogger measures speed as a program sees it: every record goes
// through slog.Logger.LogAttrs (or, for zap and zerolog, through their own
// API), with its caller lookup and clock, to a writer that keeps nothing.
// Each sub-benchmark pairs one logger (ours) with the one it is measured
// against (theirs) in alternating rounds of 1000 records (see pair) and
// reports the median of ours' time over theirs' as the metric "x":
//
//	impl=json         format JSON          / slog.JSONHandler
//	impl=text         format Text          / slog.TextHandler
//	impl=console      console, colour      / tint, colour
//	impl=file         file, a regular file / slog.JSONHandler over a bufio.Writer on one
//	impl=fanout-slog  multi.New(2 slog.JSONHandlers) / slog.NewMultiHandler(the same)
//	impl=fanout-ours  multi.New(2 format JSON)       / slog.NewMultiHandler(the same)
//	impl=zapslog      zap's core under zapslog / slog.JSONHandler
//	impl=zap          zap's own API            / slog.JSONHandler
//	impl=zerolog      zerolog's own API        / slog.JSONHandler
//	impl=frontend     slog.Logger over a handler that drops every record / slog.JSONHandler
//
// The cases: msg (the message alone), attrs5, attrs10 (ten attributes, two
// of them in a group: slog.Record keeps five inline and allocates for the
// rest), with3+2 (Logger.With of three, then two), disabled (a DEBUG record
// with five attributes, below the handlers' level), ctx (attrs5 with a
// context holding two values) and parallel (attrs5 from GOMAXPROCS
// goroutines). Run it with
//
//	go test -run '^$' -bench Logger -count 6 . | tee logger.txt
//	benchstat -filter '.unit:x' logger.txt
func BenchmarkLogger(b *testing.B) {
	for _, c := range loggerCases {
		for _, im := range loggerImpls() {
			b.Run("case="+c+"/impl="+im.name, func(b *testing.B) {
				ours, stopOurs := im.ours(b)
				theirs, stopTheirs := im.theirs(b)
				defer stopOurs()
				defer stopTheirs()
				wo, wt := ours(c), theirs(c)
				if wo == nil || wt == nil {
					b.Skip("no such case for " + im.name)
				}
				pair(b, "x", c == "parallel", wo, wt)
			})
		}
	}
}

var loggerCases = []string{"msg", "attrs5", "attrs10", "with3+2", "disabled", "ctx", "parallel"}

// A side builds a logger and returns its workload for a case (nil if it
// has none) and a function that releases it.
type side func(b *testing.B) (func(c string) workload, func())

type loggerImpl struct {
	name         string
	ours, theirs side
}

func loggerImpls() []loggerImpl {
	slogJSON := handlerSide(func(*testing.B) slog.Handler { return slog.NewJSONHandler(io.Discard, nil) })
	ourJSON := handlerSide(func(*testing.B) slog.Handler {
		return format.New(io.Discard, &format.Options{Format: format.JSON})
	})
	return []loggerImpl{
		{"json", ourJSON, slogJSON},
		{"text", handlerSide(func(*testing.B) slog.Handler {
			return format.New(io.Discard, &format.Options{Format: format.Text})
		}), handlerSide(func(*testing.B) slog.Handler { return slog.NewTextHandler(io.Discard, nil) })},
		{"console", handlerSide(func(*testing.B) slog.Handler {
			return console.New(io.Discard, &console.Options{Color: console.ColorAlways})
		}), handlerSide(func(*testing.B) slog.Handler {
			return tint.NewTextHandler(io.Discard, &tint.Options{TimeFormat: "15:04:05.000"})
		})},
		{"file", fileSide, bufferedSlogSide},
		{"fanout-slog", handlerSide(func(*testing.B) slog.Handler {
			return multi.New(slog.NewJSONHandler(io.Discard, nil), slog.NewJSONHandler(io.Discard, nil))
		}), handlerSide(func(*testing.B) slog.Handler {
			return slog.NewMultiHandler(slog.NewJSONHandler(io.Discard, nil), slog.NewJSONHandler(io.Discard, nil))
		})},
		{"fanout-ours", handlerSide(func(*testing.B) slog.Handler {
			return multi.New(format.New(io.Discard, nil), format.New(io.Discard, nil))
		}), handlerSide(func(*testing.B) slog.Handler {
			return slog.NewMultiHandler(format.New(io.Discard, nil), format.New(io.Discard, nil))
		})},
		{"zapslog", handlerSide(func(*testing.B) slog.Handler { return zapslog.NewHandler(zapCore()) }), slogJSON},
		{"zap", zapSide, slogJSON},
		{"zerolog", zerologSide, slogJSON},
		{"frontend", handlerSide(func(*testing.B) slog.Handler { return dropHandler{} }), slogJSON},
	}
}

var errReset = errors.New("connection reset by peer")

type ctxKey int

// handlerSide is a side that logs through slog.Logger over the handler
// newH returns.
func handlerSide(newH func(*testing.B) slog.Handler) side {
	return func(b *testing.B) (func(string) workload, func()) {
		return slogWorkload(slog.New(newH(b))), func() {}
	}
}

func slogWorkload(l *slog.Logger) func(string) workload {
	return func(c string) workload {
		ctx := context.Background()
		switch c {
		case "msg":
			return func(n int) {
				for range n {
					l.LogAttrs(ctx, slog.LevelInfo, "request handled")
				}
			}
		case "attrs5", "parallel", "disabled", "ctx":
			level := slog.LevelInfo
			if c == "disabled" {
				level = slog.LevelDebug
			}
			if c == "ctx" {
				ctx = context.WithValue(context.WithValue(ctx, ctxKey(1), "tenant-7"), ctxKey(2), 42)
			}
			return func(n int) {
				for range n {
					l.LogAttrs(ctx, level, "request handled",
						slog.String("method", "GET"),
						slog.Int("status", 200),
						slog.Float64("latency_ms", 12.75),
						slog.Duration("elapsed", 1234*time.Microsecond),
						slog.Any("err", errReset),
					)
				}
			}
		case "attrs10":
			return func(n int) {
				for range n {
					l.LogAttrs(ctx, slog.LevelInfo, "request handled",
						slog.String("method", "GET"),
						slog.String("path", "/api/v1/users"),
						slog.Int("status", 200),
						slog.Float64("latency_ms", 12.75),
						slog.Duration("elapsed", 1234*time.Microsecond),
						slog.Int64("bytes", 5120),
						slog.Bool("cached", false),
						slog.Any("err", errReset),
						slog.Group("client", slog.String("ip", "10.0.0.1"), slog.String("agent", "curl/8.5")),
					)
				}
			}
		case "with3+2":
			lw := l.With(slog.String("service", "api"), slog.Int("pid", 4242), slog.Bool("canary", false))
			return func(n int) {
				for range n {
					lw.LogAttrs(ctx, slog.LevelInfo, "request handled", slog.String("path", "/api/v1/users"), slog.Int("id", 42))
				}
			}
		}
		return nil
	}
}

// dropHandler is enabled at every level and drops every record unread: a
// slog.Logger over it costs what the front end costs.
type dropHandler struct{}

func (dropHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (dropHandler) Handle(context.Context, slog.Record) error    { return nil }
func (d dropHandler) WithAttrs([]slog.Attr) slog.Handler         { return d }
func (d dropHandler) WithGroup(string) slog.Handler              { return d }

// fileSide is package file on a regular file in a temporary directory,
// rotating at 64 MiB into one backup, so that the disk does not fill.
func fileSide(b *testing.B) (func(string) workload, func()) {
	h, err := file.New(filepath.Join(b.TempDir(), "app.log"), &file.Options{MaxSize: 64 << 20, MaxBackups: 1})
	if err != nil {
		b.Fatal(err)
	}
	return slogWorkload(slog.New(h)), func() {
		if err := h.Shutdown(context.Background()); err != nil {
			b.Error(err)
		}
	}
}

// bufferedSlogSide is slog.JSONHandler over a 64 KiB bufio.Writer on a
// regular file, which goes back to its start every 64 MiB: the file
// sink's floor.
func bufferedSlogSide(b *testing.B) (func(string) workload, func()) {
	f, err := os.Create(filepath.Join(b.TempDir(), "slog.log"))
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(&rewinding{f: f}, 64<<10)
	return slogWorkload(slog.New(slog.NewJSONHandler(w, nil))), func() {
		_ = w.Flush()
		_ = f.Close()
	}
}

type rewinding struct {
	f *os.File
	n int64
}

func (r *rewinding) Write(p []byte) (int, error) {
	if r.n > 64<<20 {
		if _, err := r.f.Seek(0, io.SeekStart); err != nil {
			return 0, err
		}
		r.n = 0
	}
	n, err := r.f.Write(p)
	r.n += int64(n)
	return n, err
}

func zapCore() zapcore.Core {
	return zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel)
}

// zapSide is zap's own Logger, without caller or stack traces.
func zapSide(*testing.B) (func(string) workload, func()) {
	l := zap.New(zapCore())
	return func(c string) workload {
		switch c {
		case "msg":
			return func(n int) {
				for range n {
					l.Info("request handled")
				}
			}
		case "attrs5", "parallel", "disabled":
			log := l.Info
			if c == "disabled" {
				log = l.Debug
			}
			return func(n int) {
				for range n {
					log("request handled",
						zap.String("method", "GET"),
						zap.Int("status", 200),
						zap.Float64("latency_ms", 12.75),
						zap.Duration("elapsed", 1234*time.Microsecond),
						zap.NamedError("err", errReset),
					)
				}
			}
		case "attrs10":
			return func(n int) {
				for range n {
					l.Info("request handled",
						zap.String("method", "GET"),
						zap.String("path", "/api/v1/users"),
						zap.Int("status", 200),
						zap.Float64("latency_ms", 12.75),
						zap.Duration("elapsed", 1234*time.Microsecond),
						zap.Int64("bytes", 5120),
						zap.Bool("cached", false),
						zap.NamedError("err", errReset),
						zap.Dict("client", zap.String("ip", "10.0.0.1"), zap.String("agent", "curl/8.5")),
					)
				}
			}
		case "with3+2":
			lw := l.With(zap.String("service", "api"), zap.Int("pid", 4242), zap.Bool("canary", false))
			return func(n int) {
				for range n {
					lw.Info("request handled", zap.String("path", "/api/v1/users"), zap.Int("id", 42))
				}
			}
		}
		return nil // zap's API takes no context
	}, func() {}
}

// zerologSide is zerolog's own Logger at level INFO, with a timestamp.
func zerologSide(*testing.B) (func(string) workload, func()) {
	l := zerolog.New(io.Discard).Level(zerolog.InfoLevel).With().Timestamp().Logger()
	return func(c string) workload {
		switch c {
		case "msg":
			return func(n int) {
				for range n {
					l.Info().Msg("request handled")
				}
			}
		case "attrs5", "parallel", "disabled", "ctx":
			ev := l.Info
			if c == "disabled" {
				ev = l.Debug
			}
			ctx := context.Background()
			if c == "ctx" {
				ctx = context.WithValue(context.WithValue(ctx, ctxKey(1), "tenant-7"), ctxKey(2), 42)
			}
			return func(n int) {
				for range n {
					ev().Ctx(ctx).
						Str("method", "GET").
						Int("status", 200).
						Float64("latency_ms", 12.75).
						Dur("elapsed", 1234*time.Microsecond).
						AnErr("err", errReset).
						Msg("request handled")
				}
			}
		case "attrs10":
			return func(n int) {
				for range n {
					l.Info().
						Str("method", "GET").
						Str("path", "/api/v1/users").
						Int("status", 200).
						Float64("latency_ms", 12.75).
						Dur("elapsed", 1234*time.Microsecond).
						Int64("bytes", 5120).
						Bool("cached", false).
						AnErr("err", errReset).
						Dict("client", zerolog.Dict().Str("ip", "10.0.0.1").Str("agent", "curl/8.5")).
						Msg("request handled")
				}
			}
		case "with3+2":
			lw := l.With().Str("service", "api").Int("pid", 4242).Bool("canary", false).Logger()
			return func(n int) {
				for range n {
					lw.Info().Str("path", "/api/v1/users").Int("id", 42).Msg("request handled")
				}
			}
		}
		return nil
	}, func() {}
}
