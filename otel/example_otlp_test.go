package multiotel_test

import (
	"context"
	"log"
	"log/slog"
	"os"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/console"
	multiotel "github.com/jinpy-utils/multi/otel"
	"github.com/jinpy-utils/multi/otlpsink"
)

// Send to an OpenTelemetry Collector (OTEL_EXPORTER_OTLP_ENDPOINT, else
// localhost:4318) beside a coloured console, every record with the trace
// and span ids of the span it was logged in. The README shows this
// program.
func Example_otlp() {
	multiotel.Install()                // every sink writes the span of the record's ctx
	exporter, err := otlpsink.New(nil) // OTEL_* variables, as the specification reads them
	if err != nil {
		log.Fatal(err)
	}
	h := multi.New(console.New(os.Stderr, nil), exporter)
	defer multi.Shutdown(context.Background(), h)
	logger := slog.New(h)

	ctx, span := sdktrace.NewTracerProvider().Tracer("shop").Start(context.Background(), "checkout")
	logger.InfoContext(ctx, "order placed", "order", 1234)
	span.End()
}
