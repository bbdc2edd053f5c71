package multi_test

import (
	"context"
	"testing"

	"github.com/jinpy-utils/multi"
)

type spanKey struct{}

func TestSpanFromContext(t *testing.T) {
	want := multi.SpanContext{TraceID: [16]byte{0x4b, 0xf9, 15: 1}, SpanID: [8]byte{0x00, 0xf0, 7: 7}, Flags: 1}
	ctx := context.WithValue(context.Background(), spanKey{}, want)
	if _, ok := multi.SpanFromContext(ctx); ok {
		t.Fatal("a span without a SpanFunc installed")
	}
	multi.SetSpanFunc(func(ctx context.Context) (multi.SpanContext, bool) {
		s, ok := ctx.Value(spanKey{}).(multi.SpanContext)
		return s, ok
	})
	defer multi.SetSpanFunc(nil)
	got, ok := multi.SpanFromContext(ctx)
	if !ok || got != want {
		t.Fatalf("SpanFromContext = %+v, %v; want %+v", got, ok, want)
	}
	if s := string(got.AppendTraceID(nil)); s != "4bf90000000000000000000000000001" {
		t.Errorf("trace id %s", s)
	}
	if s := string(got.AppendSpanID(nil)); s != "00f0000000000007" {
		t.Errorf("span id %s", s)
	}
	invalid := context.WithValue(context.Background(), spanKey{}, multi.SpanContext{SpanID: [8]byte{1}})
	if _, ok := multi.SpanFromContext(invalid); ok {
		t.Error("a span without a trace id is valid")
	}
	if _, ok := multi.SpanFromContext(context.Background()); ok {
		t.Error("a span in the background context")
	}
	if n := testing.AllocsPerRun(100, func() { multi.SpanFromContext(ctx) }); n != 0 {
		t.Errorf("SpanFromContext allocates %v times", n)
	}
}
