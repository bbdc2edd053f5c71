package syslog

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

const spanParams = ` trace_id="4bf92f3577b34da6a3ce929d0e0e4736" span_id="00f067aa0ba902b7" trace_flags="01"`

func TestSpanIsSDParamsBeforeTheAttributes(t *testing.T) {
	for _, f := range []Format{RFC5424, RFC3164} {
		t.Run(f.String(), func(t *testing.T) {
			u := newUDPReceiver(t)
			h, err := New(u.addr(), &Options{Format: f, Hostname: "host", AppName: "app"})
			require.NoError(t, err)
			h.s.c.procID = "42"
			if f == RFC5424 {
				h.s.header = header5424(h.s.c)
			} else {
				h.s.header = header3164(h.s.c)
			}
			l := slog.New(h.WithAttrs([]slog.Attr{slog.String("svc", "api")}))
			l.InfoContext(spanCtx, "m", "n", 1)
			l.InfoContext(context.Background(), "m", "n", 1)
			l.InfoContext(context.TODO(), "m")
			shutdown(t, h)
			got := []string{u.next(), u.next(), u.next()}
			if f == RFC5424 {
				want := []string{
					`[slog@32473` + spanParams + ` svc="api" n="1"] ` + bom + "m",
					`[slog@32473 svc="api" n="1"] ` + bom + "m",
					`[slog@32473 svc="api"] ` + bom + "m",
				}
				for i := range got {
					m, err := parse5424(got[i])
					require.NoError(t, err, got[i])
					assert.Equal(t, want[i], got[i][len(got[i])-len(want[i]):], "record %d: %s", i, got[i])
					assert.Equal(t, "m", m.msg)
				}
				return
			}
			want := []string{
				"app[42]: m" + spanParams + ` svc="api" n="1"`,
				`app[42]: m svc="api" n="1"`,
				`app[42]: m svc="api"`,
			}
			for i := range got {
				assert.Contains(t, got[i], want[i], "record %d", i)
			}
		})
	}
}

func TestSpanOnlyRecordIsNotNILVALUE(t *testing.T) {
	h := testHandler(t, "tcp://127.0.0.1:1", nil)
	r := slog.NewRecord(testTime, slog.LevelInfo, "m", 0)
	e := newEncoder(h.s.c)
	defer e.free()
	e.span, e.hasSpan = multi.SpanFromContext(spanCtx)
	h.encode(e, r)
	assert.Equal(t, "<14>1 2026-12-03T14:05:06.123456Z host app 42 - [slog@32473"+spanParams+"] "+bom+"m", string(e.buf))
}
