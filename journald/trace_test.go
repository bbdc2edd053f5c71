//go:build linux

package journald

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/multitest"
)

// testSpan is the span the tests find in spanCtx, through multitest's
// SpanFunc.
var (
	testSpan = multitest.Span
	spanCtx  = multitest.WithSpan(context.Background(), testSpan)
)

func init() { multi.SetSpanFunc(multitest.SpanFunc) }

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
