package otlpsink_test

import (
	"context"
	"log/slog"

	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/otlpsink"
)

// Export to a Collector's OTLP/HTTP port, with a spool so that nothing is
// lost while it is down. Without an Endpoint, OTEL_EXPORTER_OTLP_ENDPOINT
// names it (or localhost:4318).
func Example() {
	h, err := otlpsink.New(&otlpsink.Options{
		Endpoint: "http://otel-collector:4318/v1/logs",
		Name:     "checkout",
		Spool:    delivery.Spool{Dir: "/var/spool/checkout/otlp"},
	})
	if err != nil {
		panic(err)
	}
	defer h.Shutdown(context.Background())
	slog.New(h).Info("order placed", "order", 1234, slog.Group("payment", "method", "card"))
}
