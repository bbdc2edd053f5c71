package multiotel_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/console"
	"github.com/jinpy-utils/multi/file"
	"github.com/jinpy-utils/multi/format"
	multiotel "github.com/jinpy-utils/multi/otel"
	"github.com/jinpy-utils/multi/syslog"
)

func init() { multiotel.Install() }

// startSpan starts a real span of the SDK, sampled or not, and returns its
// context and its ids as the sinks must write them.
func startSpan(t *testing.T, sampled bool) (ctx context.Context, tid, sid, flags string) {
	t.Helper()
	sampler := sdktrace.AlwaysSample()
	if !sampled {
		sampler = sdktrace.NeverSample()
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler))
	t.Cleanup(func() { tp.Shutdown(context.Background()) }) //nolint:errcheck
	ctx, span := tp.Tracer("multiotel_test").Start(context.Background(), "op")
	t.Cleanup(func() { span.End() })
	sc := span.SpanContext()
	if !sc.IsValid() {
		t.Fatal("the SDK started an invalid span")
	}
	return ctx, sc.TraceID().String(), sc.SpanID().String(), sc.TraceFlags().String()
}

// rec is a record without a time, so that lines are exact bytes.
func rec(msg string, attrs ...slog.Attr) slog.Record {
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, msg, 0)
	r.AddAttrs(attrs...)
	return r
}

func TestFormatJSONCarriesTheSpan(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		ctx, tid, sid, flags := startSpan(t, sampled)
		want := map[bool]string{true: "01", false: "00"}[sampled]
		if flags != want {
			t.Fatalf("sampled=%v: the SDK's flags are %s", sampled, flags)
		}
		var buf bytes.Buffer
		h := format.New(&buf, nil)
		if err := h.Handle(ctx, rec("handled", slog.Int("status", 200))); err != nil {
			t.Fatal(err)
		}
		line := `{"level":"INFO","msg":"handled","trace_id":"` + tid + `","span_id":"` + sid + `","trace_flags":"` + flags + `","status":200}` + "\n"
		if got := buf.String(); got != line {
			t.Errorf("sampled=%v:\n got %s\nwant %s", sampled, got, line)
		}
	}
}

func TestConsoleCarriesTheSpan(t *testing.T) {
	ctx, tid, sid, _ := startSpan(t, true)
	var buf bytes.Buffer
	h := console.New(&buf, &console.Options{Color: console.ColorNever})
	if err := h.Handle(ctx, rec("handled", slog.Int("status", 200))); err != nil {
		t.Fatal(err)
	}
	line := `[INFO] handled trace=` + tid[:8] + `… span=` + sid[:8] + `… {"status":200}` + "\n"
	if got := buf.String(); got != line {
		t.Errorf("\n got %s\nwant %s", got, line)
	}
}

func TestSpanlessContextCarriesNone(t *testing.T) {
	// A context with a span context that is not valid, as
	// trace.ContextWithSpanContext can make one, counts as none.
	invalid := trace.ContextWithSpanContext(context.Background(), trace.SpanContext{})
	for _, ctx := range []context.Context{context.Background(), context.TODO(), invalid} {
		var buf bytes.Buffer
		h := format.New(&buf, nil)
		if err := h.Handle(ctx, rec("handled")); err != nil {
			t.Fatal(err)
		}
		if got, want := buf.String(), `{"level":"INFO","msg":"handled"}`+"\n"; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

// TestEverySinkCarriesTheSpan logs through multi.New to console, a file and
// a syslog receiver, once with a span and once without.
func TestEverySinkCarriesTheSpan(t *testing.T) {
	ctx, tid, sid, flags := startSpan(t, true)

	var con bytes.Buffer
	path := filepath.Join(t.TempDir(), "app.log")
	fh, err := file.New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	sh, err := syslog.New("udp://"+pc.LocalAddr().String(), &syslog.Options{Hostname: "host", AppName: "app"})
	if err != nil {
		t.Fatal(err)
	}
	h := multi.New(console.New(&con, &console.Options{Color: console.ColorNever}), fh, sh)
	l := slog.New(h)
	l.InfoContext(ctx, "with span", "n", 1)
	l.InfoContext(context.Background(), "without span", "n", 2)
	if err := multi.Shutdown(context.Background(), h); err != nil {
		t.Fatal(err)
	}

	cl := strings.Split(strings.TrimSuffix(con.String(), "\n"), "\n")
	if len(cl) != 2 {
		t.Fatalf("console: %q", con.String())
	}
	if want := ` [INFO] with span trace=` + tid[:8] + `… span=` + sid[:8] + `… {"n":1}`; !strings.HasSuffix(cl[0], want) {
		t.Errorf("console:\n got %s\nwant …%s", cl[0], want)
	}
	if want := ` [INFO] without span {"n":2}`; !strings.HasSuffix(cl[1], want) {
		t.Errorf("console:\n got %s\nwant …%s", cl[1], want)
	}

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fl := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(fl) != 2 {
		t.Fatalf("file: %q", b)
	}
	if want := `,"level":"INFO","msg":"with span","trace_id":"` + tid + `","span_id":"` + sid + `","trace_flags":"` + flags + `","n":1}`; !strings.HasSuffix(fl[0], want) {
		t.Errorf("file:\n got %s\nwant …%s", fl[0], want)
	}
	if want := `,"level":"INFO","msg":"without span","n":2}`; !strings.HasSuffix(fl[1], want) {
		t.Errorf("file:\n got %s\nwant …%s", fl[1], want)
	}

	buf := make([]byte, 64<<10)
	var sl []string
	for range 2 {
		pc.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		sl = append(sl, string(buf[:n]))
	}
	if want := ` host app ` + strings.Fields(sl[0])[4] + ` - [slog@32473 trace_id="` + tid + `" span_id="` + sid + `" trace_flags="` + flags + `" n="1"] ` + "\xEF\xBB\xBFwith span"; !strings.HasSuffix(sl[0], want) {
		t.Errorf("syslog:\n got %s\nwant …%s", sl[0], want)
	}
	if want := ` - [slog@32473 n="2"] ` + "\xEF\xBB\xBFwithout span"; !strings.HasSuffix(sl[1], want) {
		t.Errorf("syslog:\n got %s\nwant …%s", sl[1], want)
	}
}
