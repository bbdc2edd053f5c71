//go:build linux

package journald

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jinpy-utils/multi"
)

// The span the tests' SpanFunc finds in spanCtx: the W3C Trace Context
// example ids, sampled.
var (
	testSpan = multi.SpanContext{
		TraceID: [16]byte{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:  [8]byte{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		Flags:   1,
	}
	spanCtx = context.WithValue(context.Background(), spanKey{}, testSpan)
)

type spanKey struct{}

func init() {
	multi.SetSpanFunc(func(ctx context.Context) (multi.SpanContext, bool) {
		s, ok := ctx.Value(spanKey{}).(multi.SpanContext)
		return s, ok
	})
}

func TestSpanIsTraceFields(t *testing.T) {
	j := newFakeJournal(t)
	h, err := New(&Options{Socket: j.path, Identifier: "myapp"})
	require.NoError(t, err)
	defer h.Shutdown(context.Background()) //nolint:errcheck
	l := slog.New(h)

	l.InfoContext(spanCtx, "m", "trace_id", "spoof", "n", 1)
	b, _ := j.next()
	assert.Equal(t, "MESSAGE=m\nPRIORITY=6\nSYSLOG_IDENTIFIER=myapp\n"+
		"TRACE_ID=4bf92f3577b34da6a3ce929d0e0e4736\nSPAN_ID=00f067aa0ba902b7\nTRACE_FLAGS=01\n"+
		"X_TRACE_ID=spoof\nN=1\n", string(b), "an attribute cannot forge the trace id")

	l.InfoContext(context.Background(), "m", "n", 1)
	e := j.entry()
	for _, f := range []string{"TRACE_ID", "SPAN_ID", "TRACE_FLAGS"} {
		assert.NotContains(t, e, f, "no span, no %s", f)
	}
}
