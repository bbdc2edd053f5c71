package format_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/format"
	"github.com/jinpy-utils/multi/multitest"
)

// testSpan is the span the tests find in spanCtx, through multitest's
// SpanFunc.
var (
	testSpan = multitest.Span
	spanCtx  = multitest.WithSpan(context.Background(), testSpan)
)

func init() { multi.SetSpanFunc(multitest.SpanFunc) }

func TestSpanIsWrittenAfterMessageBeforeAttributes(t *testing.T) {
	const (
		tid = "4bf92f3577b34da6a3ce929d0e0e4736"
		sid = "00f067aa0ba902b7"
	)
	tests := []struct {
		f    format.Format
		want string
	}{
		{format.JSON, `{"time":"2024-05-06T07:08:09.12Z","level":"INFO","msg":"m","logger":"api","trace_id":"` + tid + `","span_id":"` + sid + `","trace_flags":"01","w":1,"g":{"k":"v"}}`},
		{format.Text, `time=2024-05-06T07:08:09.120Z level=INFO msg=m logger=api trace_id=` + tid + ` span_id=` + sid + ` trace_flags=01 w=1 g.k=v`},
		{format.Plain, `2024-05-06T07:08:09.120000+00:00 [INFO] api: m trace_id=` + tid + ` span_id=` + sid + ` trace_flags=01`},
		{format.Structured, `2024-05-06T07:08:09.120000+00:00 [INFO] api: m trace_id=` + tid + ` span_id=` + sid + ` trace_flags=01 {"w":1,"g":{"k":"v"}}`},
		{format.Console, `07:08:09.120 [INFO] api: m trace=4bf92f35… span=00f067aa… {"w":1,"g":{"k":"v"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.f.String(), func(t *testing.T) {
			var buf bytes.Buffer
			h := format.New(&buf, &format.Options{Format: tt.f, Name: "api"}).WithAttrs([]slog.Attr{slog.Int("w", 1)}).WithGroup("g")
			if err := h.Handle(spanCtx, rec(t0, slog.LevelInfo, "m", slog.String("k", "v"))); err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSuffix(buf.String(), "\n"); got != tt.want {
				t.Errorf("with a span:\n got %s\nwant %s", got, tt.want)
			}
			for _, ctx := range []context.Context{context.Background(), context.TODO(), nil} {
				buf.Reset()
				if err := h.Handle(ctx, rec(t0, slog.LevelInfo, "m", slog.String("k", "v"))); err != nil {
					t.Fatal(err)
				}
				if got := buf.String(); strings.Contains(got, "trace") || strings.Contains(got, "span") {
					t.Errorf("without a span (%v): %s", ctx, got)
				}
			}
		})
	}
}

func TestSpanFlagsAreTwoHexDigits(t *testing.T) {
	s := testSpan
	s.Flags = 0xab
	ctx := multitest.WithSpan(context.Background(), s)
	var buf bytes.Buffer
	format.New(&buf, &format.Options{Format: format.Text}).Handle(ctx, rec(t0, slog.LevelInfo, "m"))
	if got := buf.String(); !strings.Contains(got, " trace_flags=ab\n") {
		t.Errorf("got %q", got)
	}
}

func TestSpanKeysPassThroughReplaceAttr(t *testing.T) {
	type seen struct {
		groups int
		key    string
		val    string
	}
	for f := format.JSON; f <= format.Console; f++ {
		t.Run(f.String(), func(t *testing.T) {
			var got []seen
			rep := func(groups []string, a slog.Attr) slog.Attr {
				switch a.Key {
				case format.TraceIDKey, format.SpanIDKey, format.TraceFlagsKey:
					got = append(got, seen{len(groups), a.Key, a.Value.String()})
				}
				switch a.Key {
				case format.SpanIDKey:
					return slog.Attr{}
				case format.TraceIDKey:
					return slog.String("tid", "T-"+a.Value.String())
				case slog.TimeKey:
					return slog.Attr{}
				}
				return a
			}
			var buf bytes.Buffer
			h := format.New(&buf, &format.Options{Format: f, ReplaceAttr: rep}).WithGroup("g")
			h.Handle(spanCtx, rec(t0, slog.LevelInfo, "m", slog.Int("k", 1)))
			want := []seen{
				{0, format.TraceIDKey, "4bf92f3577b34da6a3ce929d0e0e4736"},
				{0, format.SpanIDKey, "00f067aa0ba902b7"},
				{0, format.TraceFlagsKey, "01"},
			}
			if f == format.Console {
				want = want[:2] // Console writes no flags
			}
			if !slicesEqual(got, want) {
				t.Errorf("ReplaceAttr saw %v, want %v", got, want)
			}
			line := map[format.Format]string{
				format.JSON:       `{"level":"INFO","msg":"m","tid":"T-4bf92f3577b34da6a3ce929d0e0e4736","trace_flags":"01","g":{"k":1}}`,
				format.Text:       `level=INFO msg=m tid=T-4bf92f3577b34da6a3ce929d0e0e4736 trace_flags=01 g.k=1`,
				format.Plain:      `[INFO] m trace_id=T-4bf92f3577b34da6a3ce929d0e0e4736 trace_flags=01`,
				format.Structured: `[INFO] m trace_id=T-4bf92f3577b34da6a3ce929d0e0e4736 trace_flags=01 {"g":{"k":1}}`,
				format.Console:    `[INFO] m trace=T-4bf92f… {"g":{"k":1}}`,
			}[f]
			if s := strings.TrimSuffix(buf.String(), "\n"); s != line {
				t.Errorf("\n got %s\nwant %s", s, line)
			}
		})
	}
}

func slicesEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSpanWithoutSpanFuncIsLeftOut(t *testing.T) {
	var buf bytes.Buffer
	h := format.New(&buf, nil)
	multi.SetSpanFunc(nil)
	defer multi.SetSpanFunc(multitest.SpanFunc)
	h.Handle(spanCtx, rec(t0, slog.LevelInfo, "m"))
	if strings.Contains(buf.String(), "trace_id") {
		t.Errorf("no SpanFunc, yet: %s", buf.String())
	}
}

func TestZeroAllocsWithSpan(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	for f := format.JSON; f <= format.Console; f++ {
		h := format.New(io.Discard, &format.Options{Format: f, Name: "svc"})
		w := h.WithAttrs([]slog.Attr{slog.String("service", "api")}).WithGroup("g")
		for name, run := range map[string]func(){
			"span/msg":    func() { h.Handle(spanCtx, rec(t0, slog.LevelInfo, "m")) },
			"span/attrs5": func() { h.Handle(spanCtx, benchRec5) },
			"span/with":   func() { w.Handle(spanCtx, benchRec2) },
			"nospan/ctx":  func() { h.Handle(context.TODO(), benchRec5) },
			//lint:ignore SA1012 a nil ctx must work too
			"nospan/nilctx": func() { h.Handle(nil, benchRec5) },
		} {
			if n := testing.AllocsPerRun(100, run); n != 0 {
				t.Errorf("%v %s: %v allocs per record", f, name, n)
			}
		}
	}
}
