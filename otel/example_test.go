package multiotel_test

import (
	"context"
	"log/slog"
	"os"

	"go.opentelemetry.io/otel/trace"

	"github.com/jinpy-utils/multi/format"
	multiotel "github.com/jinpy-utils/multi/otel"
)

func Example() {
	multiotel.Install()

	// A span context as a propagator puts it in a request's context (a
	// span started with tracer.Start works the same); fixed ids, for
	// reproducible output.
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
		Remote:     true,
	})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), sc)

	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	for _, f := range []format.Format{format.JSON, format.Console} {
		logger := slog.New(format.New(os.Stdout, &format.Options{Format: f, ReplaceAttr: noTime}))
		logger.InfoContext(ctx, "request handled", "status", 200)
		logger.InfoContext(context.Background(), "no span")
	}
	// Output:
	// {"level":"INFO","msg":"request handled","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","trace_flags":"01","status":200}
	// {"level":"INFO","msg":"no span"}
	// [INFO] request handled trace=4bf92f35… span=00f067aa… {"status":200}
	// [INFO] no span
}
