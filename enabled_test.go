package multi_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/console"
	"github.com/jinpy-utils/multi/file"
	"github.com/jinpy-utils/multi/format"
)

// panickyLeveler is a Leveler of the caller's that panics.
type panickyLeveler struct{}

func (panickyLeveler) Level() slog.Level { panic("leveler boom") }

// A fan-out calls its children's Enabled without a recover only when none
// of them can panic there: ours with a constant level or a
// *slog.LevelVar, nested fan-outs, and slog's own JSON and Text handlers
// whose Enabled returned when New called it. Any other child, a Leveler
// of the caller's given to ours, or slog's handler over a Leveler that
// panicked (a nil *slog.LevelVar), keeps the guard.
func TestEnabledIsUnguardedOnlyForChildrenThatCannotPanic(t *testing.T) {
	var lv slog.LevelVar
	fh, err := file.New(t.TempDir()+"/app.log", &file.Options{Level: &lv})
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Shutdown(context.Background())
	safe := map[string]slog.Handler{
		"format, nil options":   format.New(io.Discard, nil),
		"format, a LevelVar":    format.New(io.Discard, &format.Options{Level: &lv}),
		"console":               console.New(io.Discard, &console.Options{Level: slog.LevelDebug}),
		"file, a LevelVar":      fh,
		"a fan-out":             multi.New(enablePanics{slog.NewJSONHandler(io.Discard, nil)}),
		"a derived format":      format.New(io.Discard, nil).WithAttrs([]slog.Attr{slog.Int("a", 1)}),
		"slog JSON":             slog.NewJSONHandler(io.Discard, nil),
		"slog Text, a LevelVar": slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: &lv}),
		"slog JSON, derived":    slog.NewJSONHandler(io.Discard, nil).WithGroup("g"),
	}
	for name, h := range safe {
		if !multi.EnabledIsUnguarded(multi.New(h, format.New(io.Discard, nil))) {
			t.Errorf("%s: Enabled is guarded; want unguarded", name)
		}
	}
	guarded := map[string]slog.Handler{
		"slog JSON, a Leveler of the caller's": slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: panickyLeveler{}}),
		"slog Text, a nil *slog.LevelVar":      slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: (*slog.LevelVar)(nil)}),
		"format, a Leveler of the caller's":    format.New(io.Discard, &format.Options{Level: panickyLeveler{}}),
		"console, a Leveler of the caller's":   console.New(io.Discard, &console.Options{Level: panickyLeveler{}}),
		"a foreign handler":                    enablePanics{slog.NewJSONHandler(io.Discard, nil)},
	}
	for name, h := range guarded {
		fan := multi.New(format.New(io.Discard, nil), h)
		if multi.EnabledIsUnguarded(fan) {
			t.Errorf("%s: Enabled is unguarded; want guarded", name)
		}
		// The guard holds, and survives WithAttrs (enablePanics's own
		// WithAttrs returns slog's handler, which does not panic).
		for _, f := range []slog.Handler{fan, fan.WithAttrs([]slog.Attr{slog.Int("a", 1)}), fan.WithGroup("g")} {
			panics := f == fan || name != "a foreign handler"
			if panics && !f.Enabled(context.Background(), slog.LevelDebug) {
				t.Errorf("%s: Enabled = false with a panicking child; want true", name)
			}
		}
	}
}
