// Package multiotel connects the sinks and formats of
// github.com/jinpy-utils/multi to OpenTelemetry tracing: after [Install],
// a record logged with a context that carries a valid span (one started
// with an OpenTelemetry tracer, or a remote span context put there by a
// propagator) carries that span's trace id, span id and trace flags, in
// every sink and format (trace_id, span_id and trace_flags in JSON and
// Text; see the package docs of format, syslog and journald).
//
//	multiotel.Install()
//	ctx, span := tracer.Start(ctx, "handle")
//	defer span.End()
//	logger.InfoContext(ctx, "request handled") // ... "trace_id":"4bf9…","span_id":"00f0…","trace_flags":"01" ...
//
// It is a module of its own so that a program that does not use
// OpenTelemetry builds none of it: the main module has only the hook,
// multi.SetSpanFunc, and this module installs OpenTelemetry's lookup
// there. The package is named multiotel, not otel, so that it can be
// imported beside go.opentelemetry.io/otel, which OpenTelemetry programs
// import as otel, without renaming either.
package multiotel

import (
	"context"

	"go.opentelemetry.io/otel/trace"

	"github.com/jinpy-utils/multi"
)

// Install makes every sink and format of github.com/jinpy-utils/multi find
// a record's span with OpenTelemetry's trace.SpanContextFromContext. Only a
// valid span context (trace and span ids both set) is written. Call it
// once, at start, before logging; calling it again changes nothing.
func Install() { multi.SetSpanFunc(spanFromContext) }

// spanFromContext is the multi.SpanFunc of OpenTelemetry. It allocates
// nothing.
func spanFromContext(ctx context.Context) (multi.SpanContext, bool) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return multi.SpanContext{}, false
	}
	return multi.SpanContext{
		TraceID: sc.TraceID(),
		SpanID:  sc.SpanID(),
		Flags:   byte(sc.TraceFlags()),
	}, true
}
