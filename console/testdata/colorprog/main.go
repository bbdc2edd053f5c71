// Command colorprog logs one record per level to stdout through a console
// handler with default colour detection (ColorAuto), and no time, so that
// its output is the same on every run. The console package's tests run it
// under a pseudo-terminal, into a file and into a pipe, with NO_COLOR,
// FORCE_COLOR and TERM set in different ways, and check the bytes.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/console"
)

func main() {
	h := console.New(os.Stdout, &console.Options{
		Level: multi.LevelTrace,
		Name:  "colorprog",
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	})
	logger := slog.New(h)
	ctx := context.Background()
	for i, l := range []slog.Level{
		multi.LevelTrace, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn,
		slog.LevelError, multi.LevelCritical, slog.LevelInfo + 2,
	} {
		logger.Log(ctx, l, "level check", "n", i)
	}
	if err := h.Shutdown(ctx); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
}
