package multi_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
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
// *slog.LevelVar, and nested fan-outs. Any other child (slog's own
// handlers among them: their Leveler cannot be seen), or a Leveler of the
// caller's, keeps the guard.
func TestEnabledIsUnguardedOnlyForChildrenThatCannotPanic(t *testing.T) {
	var lv slog.LevelVar
	fh, err := file.New(t.TempDir()+"/app.log", &file.Options{Level: &lv})
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Shutdown(context.Background())
	safe := map[string]slog.Handler{
		"format, nil options": format.New(io.Discard, nil),
		"format, a LevelVar":  format.New(io.Discard, &format.Options{Level: &lv}),
		"console":             console.New(io.Discard, &console.Options{Level: slog.LevelDebug}),
		"file, a LevelVar":    fh,
		"a fan-out":           multi.New(enablePanics{slog.NewJSONHandler(io.Discard, nil)}),
		"a derived format":    format.New(io.Discard, nil).WithAttrs([]slog.Attr{slog.Int("a", 1)}),
	}
	for name, h := range safe {
		if !multi.EnabledIsUnguarded(multi.New(h, format.New(io.Discard, nil))) {
			t.Errorf("%s: Enabled is guarded; want unguarded", name)
		}
	}
	guarded := map[string]slog.Handler{
		"slog JSON":                            slog.NewJSONHandler(io.Discard, nil),
		"slog Text, a LevelVar":                slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: &lv}),
		"slog JSON, a Leveler of the caller's": slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: panickyLeveler{}}),
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
			panics := !strings.HasPrefix(name, "slog ") && (f == fan || name != "a foreign handler")
			if panics && !f.Enabled(context.Background(), slog.LevelDebug) {
				t.Errorf("%s: Enabled = false with a panicking child; want true", name)
			}
		}
	}
}
