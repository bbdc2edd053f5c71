package multi_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/format"
)

// Two destinations at their own levels: human lines from DEBUG up, JSON
// from WARN up. Any slog.Handler can be a child; MinLevel raises the level
// of one that has none of its own to set.
func Example() {
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	human := format.New(os.Stdout, &format.Options{Format: format.Plain, Level: slog.LevelDebug, ReplaceAttr: noTime})
	machine := format.New(os.Stdout, &format.Options{Format: format.JSON, ReplaceAttr: noTime})

	h := multi.New(human, multi.MinLevel(machine, slog.LevelWarn))
	defer multi.Shutdown(context.Background(), h) // flushes and releases every child

	log := slog.New(h)
	log.Debug("cache warmed", "entries", 1024)
	log.Warn("disk almost full", "free_mb", 512)

	level, err := multi.ParseLevel("critical")
	fmt.Println(level == multi.LevelCritical, err)
	// Output:
	// [DEBUG] cache warmed
	// [WARN] disk almost full
	// {"level":"WARN","msg":"disk almost full","free_mb":512}
	// true <nil>
}
