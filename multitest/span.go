package multitest

import (
	"context"

	"github.com/jinpy-utils/multi"
)

// Span is a span context for tests: the W3C Trace Context example's ids
// (trace 4bf92f3577b34da6a3ce929d0e0e4736, span 00f067aa0ba902b7),
// sampled.
var Span = multi.SpanContext{
	TraceID: [16]byte{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
	SpanID:  [8]byte{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
	Flags:   1,
}

type spanKey struct{}

// WithSpan returns ctx carrying s, for SpanFunc to find.
func WithSpan(ctx context.Context, s multi.SpanContext) context.Context {
	return context.WithValue(ctx, spanKey{}, s)
}

// SpanFunc is a multi.SpanFunc that finds the span WithSpan stored. With
// multi.SetSpanFunc(multitest.SpanFunc), a test checks trace correlation
// without OpenTelemetry.
func SpanFunc(ctx context.Context) (multi.SpanContext, bool) {
	s, ok := ctx.Value(spanKey{}).(multi.SpanContext)
	return s, ok
}
