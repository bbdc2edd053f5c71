package multi

import (
	"context"
	"encoding/hex"
	"sync/atomic"
)

// SpanContext is what a record's context says about the span it was logged
// in: the W3C trace id, span id and trace flags. Sinks and formats write it
// with the record (trace_id, span_id and trace_flags in JSON and Text;
// OTLP's own fields in the OTLP sink).
type SpanContext struct {
	TraceID [16]byte
	SpanID  [8]byte
	Flags   byte
}

// Valid reports whether the trace and span ids are both set, as the W3C
// Trace Context requires of a span that can be correlated.
func (s SpanContext) Valid() bool {
	return s.TraceID != [16]byte{} && s.SpanID != [8]byte{}
}

// AppendTraceID appends the trace id as 32 lowercase hex digits.
func (s SpanContext) AppendTraceID(dst []byte) []byte { return hex.AppendEncode(dst, s.TraceID[:]) }

// AppendSpanID appends the span id as 16 lowercase hex digits.
func (s SpanContext) AppendSpanID(dst []byte) []byte { return hex.AppendEncode(dst, s.SpanID[:]) }

// SpanFunc returns the span a context carries, if it carries a valid one.
type SpanFunc func(ctx context.Context) (SpanContext, bool)

var spanFunc atomic.Pointer[SpanFunc]

// SetSpanFunc installs f as the way every sink and format of this module
// finds the span of a record's context; nil removes it. The nested module
// github.com/jinpy-utils/multi/otel installs the OpenTelemetry one, so a
// program that does not use OpenTelemetry builds none of it. Call it once,
// at start, before logging; a change while records are being logged takes
// effect record by record.
func SetSpanFunc(f SpanFunc) {
	if f == nil {
		spanFunc.Store(nil)
		return
	}
	spanFunc.Store(&f)
}

// SpanFromContext returns the span ctx carries, through the SpanFunc
// installed with SetSpanFunc. Without one, or for a nil or background
// context, it returns false at once, without allocating.
func SpanFromContext(ctx context.Context) (SpanContext, bool) {
	f := spanFunc.Load()
	if f == nil || ctx == nil || ctx == context.Background() {
		return SpanContext{}, false
	}
	s, ok := (*f)(ctx)
	if !ok || !s.Valid() {
		return SpanContext{}, false
	}
	return s, true
}
