// Package otlpsink is a slog.Handler that exports records as OpenTelemetry
// logs over OTLP/HTTP, with protobuf bodies (or the OTLP/JSON mapping,
// with Encoding JSON): to the OpenTelemetry
// Collector, Grafana Alloy, VictoriaLogs (/insert/opentelemetry/v1/logs)
// or any backend that takes OTLP.
//
//	h, err := otlpsink.New(nil) // OTEL_EXPORTER_OTLP_ENDPOINT, or localhost:4318
//	if err != nil { ... }
//	logger := slog.New(h)
//	defer h.Shutdown(context.Background())
//
// # Data model
//
// Each record is one LogRecord, encoded on the caller's goroutine as
// protobuf (0 allocations for attributes of slog's basic kinds) and queued:
// a batch is those bytes framed in one ExportLogsServiceRequest of one
// resource and one instrumentation scope. The fields:
//
//   - time_unix_nano is the record's time; observed_time_unix_nano the
//     time Handle saw it.
//   - severity_number is the slog level + 9 (TRACE 1, DEBUG 5, INFO 9,
//     WARN 13, ERROR 17, CRITICAL 21, clamped to 1..24), severity_text
//     the level's name.
//   - body is the message, a string.
//   - attributes are the record's and those bound with WithAttrs, as
//     AnyValues: strings, ints (durations in nanoseconds; a uint64 above
//     MaxInt64 as a string), doubles (NaN and infinities as they are),
//     bools, bytes for []byte, arrays for []string and []any, and groups
//     as kvlistValue. A time is an RFC 3339 string. An error is its Error
//     text, a TextMarshaler its text, anything else fmt's %+v. Invalid
//     UTF-8 is replaced with U+FFFD, since a collector would refuse the
//     whole request for it. AddSource adds code.file.path,
//     code.line.number and code.function.name.
//   - trace_id, span_id and flags are the span of the record's ctx when it
//     carries one (see multi.SpanFromContext; the nested module
//     github.com/jinpy-utils/multi/otel installs OpenTelemetry's).
//   - The scope is Options.Name; the resource is OTEL_SERVICE_NAME and
//     OTEL_RESOURCE_ATTRIBUTES, then Options.Resource, with service.name
//     "unknown_service:<executable>" when none is set, as the
//     specification says.
//
// # Configuration from the environment
//
// As the OpenTelemetry specification defines them, with explicit options
// winning: the endpoint from OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (used as
// is) or OTEL_EXPORTER_OTLP_ENDPOINT (with /v1/logs appended), else
// http://localhost:4318/v1/logs; headers from OTEL_EXPORTER_OTLP_HEADERS
// and OTEL_EXPORTER_OTLP_LOGS_HEADERS; the timeout from
// OTEL_EXPORTER_OTLP_(LOGS_)TIMEOUT (milliseconds), else 10s; compression
// from OTEL_EXPORTER_OTLP_(LOGS_)COMPRESSION, gzip unless "none". A
// malformed variable is refused by New, by name.
//
// # Delivery
//
// Delivery is the module's one delivery core, as in httpsink: the queue,
// retries, the spool and its breaker, drop accounting and the gap record,
// Stats and a bounded Shutdown, with the options documented once in
// package delivery. The codes OTLP calls retryable (429, 502, 503, 504)
// are retried with back-off, a Retry-After taking the place of a wait; 413
// splits the batch; any other status drops the batch, counted and
// reported with the collector's answer, and is never retried forever. A
// 200 whose partial_success rejects records counts that many as dropped,
// with the collector's error message.
//
// With a Spool, every record Handle accepted survives the process being
// killed at any instant: it is in the spool's memory-mapped journal before
// Handle returns, and the next process that opens the directory delivers
// it (see "What survives" in package delivery; Sync adds a crash of the
// machine).
package otlpsink
