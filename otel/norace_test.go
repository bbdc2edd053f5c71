//go:build !race

package multiotel_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/jinpy-utils/multi/format"
)

// TestHandleWithASpanDoesNotAllocate: finding the span through
// OpenTelemetry and writing it costs no allocation. (The race detector
// makes sync.Pool drop items at random, so this runs without it.)
func TestHandleWithASpanDoesNotAllocate(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background()) //nolint:errcheck
	ctx, span := tp.Tracer("multiotel_test").Start(context.Background(), "op")
	defer span.End()
	r := rec("handled", slog.Int("status", 200))
	for _, f := range []format.Format{format.JSON, format.Text, format.Console} {
		h := format.New(io.Discard, &format.Options{Format: f})
		for name, c := range map[string]context.Context{"span": ctx, "none": context.TODO()} {
			if n := testing.AllocsPerRun(100, func() { h.Handle(c, r) }); n != 0 {
				t.Errorf("%v, %s: %v allocs per record", f, name, n)
			}
		}
	}
}
