package otlpsink

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/vltest"
	"github.com/jinpy-utils/multi/multitest"
)

// TestVictoriaLogsOTLP ships 100,000 records from 8 goroutines to a real
// VictoriaLogs' OTLP endpoint and finds them there with LogsQL: all of
// them, by severity, by trace id, with their fields.
func TestVictoriaLogsOTLP(t *testing.T) {
	vl := vltest.Start(t)
	multi.SetSpanFunc(multitest.SpanFunc)
	defer multi.SetSpanFunc(nil)
	t.Setenv("OTEL_SERVICE_NAME", "vl-test")
	h, err := New(&Options{
		Endpoint:     vl.Base + "/insert/opentelemetry/v1/logs",
		Name:         "otlpsink-test",
		Queue:        delivery.Queue{Size: 200_000},
		ErrorHandler: func(err error) { t.Errorf("ErrorHandler: %v", err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, per = 8, 12_500
	sc := multi.SpanContext{TraceID: [16]byte{0x4b, 0xf9, 0x2f, 0x35, 15: 0x36}, SpanID: [8]byte{0xaa, 7: 0x01}, Flags: 1}
	spanCtx := multitest.WithSpan(context.Background(), sc)
	start := time.Now()
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := slog.New(h).With("g", g)
			for i := range per {
				switch {
				case g == 0 && i < 10:
					l.WarnContext(spanCtx, "in a span", "i", i, slog.Group("http", slog.String("method", "GET"), slog.Int("status", 200)))
				default:
					l.Info("request handled", "i", i, "path", "/api/v1/items", "ok", true)
				}
			}
		}()
	}
	wg.Wait()
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	st := h.Stats()
	vl.Flush(t)
	total := goroutines * per
	if n := vl.Count(t, "*"); n != total || st.Written != uint64(total) || st.Dropped != 0 {
		t.Fatalf("VictoriaLogs holds %d records, stats %+v: want %d", n, st, total)
	}
	t.Logf("%d records through OTLP/protobuf+gzip in %v (%.0f records/s), %d retries", total, took.Round(time.Millisecond), float64(total)/took.Seconds(), st.Retries)
	if n := vl.Count(t, "severity_text:WARN severity_number:13"); n != 10 {
		t.Errorf("%d WARN records, want 10", n)
	}
	rows := vl.Query(t, fmt.Sprintf("trace_id:%s | sort by (i)", hex.EncodeToString(sc.TraceID[:])))
	if len(rows) != 10 {
		t.Fatalf("%d records with the trace id, want 10: %v", len(rows), rows)
	}
	r := rows[0]
	for k, want := range map[string]string{
		"_msg": "in a span", "span_id": hex.EncodeToString(sc.SpanID[:]), "severity_text": "WARN", "severity_number": "13", "i": "0",
		"g": "0", "http.method": "GET", "http.status": "200", "service.name": "vl-test", "scope.name": "otlpsink-test",
	} {
		if r[k] != want {
			t.Errorf("field %q = %q, want %q (row %v)", k, r[k], want, r)
		}
	}
}
