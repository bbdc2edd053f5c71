//go:build !race

package console_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/console"
	"github.com/jinpy-utils/multi/format"
)

// The race detector makes sync.Pool drop items at random, so allocations
// are only counted without it (scripts/test runs these tests both ways).

func TestHandleDoesNotAllocate(t *testing.T) {
	r := slog.NewRecord(time.Now(), slog.LevelWarn, "request handled", 0)
	r.AddAttrs(slog.String("method", "GET"), slog.Int("status", 200), slog.Float64("ms", 12.75),
		slog.Duration("took", time.Millisecond), slog.Bool("cached", false))
	for _, c := range []struct {
		name string
		opts *console.Options
	}{
		{"console", &console.Options{Color: console.ColorNever}},
		{"console colour", &console.Options{Color: console.ColorAlways}},
		{"json", &console.Options{Format: format.JSON}},
	} {
		h := console.New(io.Discard, c.opts).WithAttrs([]slog.Attr{slog.String("service", "api")})
		ctx := context.Background()
		if n := testing.AllocsPerRun(500, func() { _ = h.Handle(ctx, r) }); n != 0 {
			t.Errorf("%s: %v allocations per record; want 0", c.name, n)
		}
	}
}
