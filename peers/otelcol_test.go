// Package peers holds the tests that run this module's sinks against real
// peers too heavy for the main module's graph. Its go.mod, not the main
// one, requires them; scripts/otelcol.sh builds the Collector they run.
package peers

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/multitest"
	"github.com/jinpy-utils/multi/otlpsink"
)

// collectorBinary finds otelcol-multi: on PATH, then in GOPATH/bin.
// Without it the test skips, or fails when CI is set.
func collectorBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("otelcol-multi"); err == nil {
		return p
	}
	for _, dir := range filepath.SplitList(build.Default.GOPATH) {
		p := filepath.Join(dir, "bin", "otelcol-multi")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	msg := "otelcol-multi is not installed (on PATH or in GOPATH/bin): run scripts/otelcol.sh"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// lockedBuffer is the collector's output, written by os/exec's copying
// goroutine and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// collector is a running otelcol-multi: the otlp receiver's HTTP protocol
// on a free loopback port, the file exporter writing to out, no batch
// processor (one line per request) and no internal-metrics port.
type collector struct {
	endpoint string // http://127.0.0.1:port/v1/logs
	out      string
	cmd      *exec.Cmd
	log      *lockedBuffer
	exited   chan error
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startCollector(t *testing.T) *collector {
	t.Helper()
	bin := collectorBinary(t)
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	c := &collector{endpoint: "http://" + addr + "/v1/logs", out: filepath.Join(dir, "logs.jsonl"), log: &lockedBuffer{}, exited: make(chan error, 1)}
	conf := fmt.Sprintf(`receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
exporters:
  debug:
    verbosity: basic
  file:
    path: %s
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [file, debug]
`, addr, c.out)
	confPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	c.cmd = exec.Command(bin, "--config="+confPath)
	c.cmd.Stdout, c.cmd.Stderr = c.log, c.log
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.exited <- c.cmd.Wait() }()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.exited
		if t.Failed() {
			t.Logf("collector output:\n%s", c.log.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return c
		}
		select {
		case err := <-c.exited:
			c.exited <- err
			t.Fatalf("collector exited before listening on %s: %v\n%s", addr, err, c.log.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector not listening on %s after 15s:\n%s", addr, c.log.String())
		}
	}
}

// stop stops the collector with SIGTERM, which makes the file exporter
// flush and close its file, and waits for it to exit.
func (c *collector) stop(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.exited:
		c.exited <- err
		if err != nil {
			t.Fatalf("collector exited with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("collector did not exit within 15s of SIGTERM")
	}
}

// readExported decodes the file exporter's OTLP/JSON lines, one
// ExportLogsServiceRequest each, with the official protobuf types.
func readExported(t *testing.T, path string) []*collogspb.ExportLogsServiceRequest {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var reqs []*collogspb.ExportLogsServiceRequest
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		fixed, err := base64IDs(line)
		if err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, line)
		}
		req := &collogspb.ExportLogsServiceRequest{}
		if err := protojson.Unmarshal(fixed, req); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, line)
		}
		reqs = append(reqs, req)
	}
	return reqs
}

// base64IDs rewrites the traceId and spanId of OTLP/JSON, which the
// specification writes in hex, into base64, which protojson reads for
// bytes fields; everything else in OTLP/JSON is protojson's mapping.
func base64IDs(line []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case map[string]any:
			for k, el := range x {
				if s, ok := el.(string); ok && (k == "traceId" || k == "spanId") {
					b, err := hex.DecodeString(s)
					if err != nil {
						return fmt.Errorf("%s %q is not hex: %w", k, s, err)
					}
					x[k] = base64.StdEncoding.EncodeToString(b)
					continue
				}
				if err := walk(el); err != nil {
					return err
				}
			}
		case []any:
			for _, el := range x {
				if err := walk(el); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// AnyValue and KeyValue builders for the expected records.
func str(s string) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
}

func i64(n int64) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: n}}
}

func f64(f float64) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: f}}
}

func boolean(b bool) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: b}}
}

func byts(b []byte) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: b}}
}

func array(vs ...*commonpb.AnyValue) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: vs}}}
}

func kvlist(kvs ...*commonpb.KeyValue) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: kvs}}}
}

func kv(k string, v *commonpb.AnyValue) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: v}
}

// TestCollectorReceivesWhatOtlpsinkSent sends records through otlpsink to
// a real OpenTelemetry Collector, in each encoding and compression, and
// compares what its file exporter wrote, decoded with the official OTLP
// protobuf types, record by record: body, attributes (groups as
// kvlistValue), severity, span, time, resource and scope.
func TestCollectorReceivesWhatOtlpsinkSent(t *testing.T) {
	multi.SetSpanFunc(multitest.SpanFunc)
	defer multi.SetSpanFunc(nil)
	t.Setenv("OTEL_SERVICE_NAME", "peers-test")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test,team=logs%20and%20traces")
	for _, tc := range []struct {
		name        string
		encoding    otlpsink.Encoding
		compression otlpsink.Compression
	}{
		{"protobuf+gzip", otlpsink.Protobuf, otlpsink.FromEnv},
		{"protobuf", otlpsink.Protobuf, otlpsink.None},
		{"json+gzip", otlpsink.JSON, otlpsink.FromEnv},
		{"json", otlpsink.JSON, otlpsink.None},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testCollectorRoundTrip(t, tc.encoding, tc.compression)
		})
	}
}

func testCollectorRoundTrip(t *testing.T, enc otlpsink.Encoding, comp otlpsink.Compression) {
	c := startCollector(t)
	h, err := otlpsink.New(&otlpsink.Options{
		Endpoint:     c.endpoint,
		Name:         "multi-peers-test",
		Level:        multi.LevelTrace,
		Encoding:     enc,
		Compression:  comp,
		ErrorHandler: func(err error) { t.Errorf("ErrorHandler: %v", err) },
	})
	if err != nil {
		t.Fatal(err)
	}

	sc := multi.SpanContext{
		TraceID: [16]byte{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:  [8]byte{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		Flags:   1,
	}
	spanCtx := multitest.WithSpan(context.Background(), sc)
	bound := h.WithAttrs([]slog.Attr{slog.String("svc", "api")})
	nested := bound.WithGroup("req").WithAttrs([]slog.Attr{slog.String("id", "r-1")}).WithGroup("inner")
	base := time.Date(2026, 12, 3, 17, 0, 0, 123456789, time.UTC)
	attrTime := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.FixedZone("", 3600))

	type send struct {
		h     slog.Handler
		ctx   context.Context
		level slog.Level
		msg   string
		attrs []slog.Attr
		want  *logspb.LogRecord
	}
	sends := []send{
		{h, context.Background(), multi.LevelTrace, "trace detail", []slog.Attr{slog.Int("n", 1)},
			&logspb.LogRecord{SeverityNumber: 1, SeverityText: "TRACE", Body: str("trace detail"),
				Attributes: []*commonpb.KeyValue{kv("n", i64(1))}}},
		{h, context.Background(), slog.LevelDebug, "debug detail", []slog.Attr{slog.Float64("ratio", 0.25), slog.Bool("ok", true)},
			&logspb.LogRecord{SeverityNumber: 5, SeverityText: "DEBUG", Body: str("debug detail"),
				Attributes: []*commonpb.KeyValue{kv("ratio", f64(0.25)), kv("ok", boolean(true))}}},
		{h, context.Background(), slog.LevelInfo, "kinds", []slog.Attr{
			slog.String("s", "text"), slog.Int64("neg", -7), slog.Uint64("u", 7),
			slog.Duration("took", 1500*time.Millisecond), slog.Time("at", attrTime),
			slog.Any("raw", []byte{0, 1, 0xfe}), slog.Any("err", errors.New("boom")),
			slog.Any("tags", []string{"a", "b"}), slog.Any("mixed", []any{"x", 2, true}),
		},
			&logspb.LogRecord{SeverityNumber: 9, SeverityText: "INFO", Body: str("kinds"),
				Attributes: []*commonpb.KeyValue{
					kv("s", str("text")), kv("neg", i64(-7)), kv("u", i64(7)),
					kv("took", i64(1_500_000_000)), kv("at", str("2026-01-02T03:04:05.000006+01:00")),
					kv("raw", byts([]byte{0, 1, 0xfe})), kv("err", str("boom")),
					kv("tags", array(str("a"), str("b"))), kv("mixed", array(str("x"), i64(2), boolean(true))),
				}}},
		{h, context.Background(), slog.LevelWarn, "grouped", []slog.Attr{
			slog.Group("http", slog.String("method", "GET"), slog.Group("resp", slog.Int("status", 200))),
			slog.Group("empty"),
			slog.Group("", slog.String("inlined", "x")),
		},
			&logspb.LogRecord{SeverityNumber: 13, SeverityText: "WARN", Body: str("grouped"),
				Attributes: []*commonpb.KeyValue{
					kv("http", kvlist(kv("method", str("GET")), kv("resp", kvlist(kv("status", i64(200)))))),
					kv("inlined", str("x")),
				}}},
		{h, spanCtx, slog.LevelError, "in a span", []slog.Attr{slog.String("op", "charge")},
			&logspb.LogRecord{SeverityNumber: 17, SeverityText: "ERROR", Body: str("in a span"),
				TraceId: sc.TraceID[:], SpanId: sc.SpanID[:], Flags: 1,
				Attributes: []*commonpb.KeyValue{kv("op", str("charge"))}}},
		{nested, spanCtx, multi.LevelCritical, "derived", []slog.Attr{slog.String("k", "v")},
			&logspb.LogRecord{SeverityNumber: 21, SeverityText: "CRITICAL", Body: str("derived"),
				TraceId: sc.TraceID[:], SpanId: sc.SpanID[:], Flags: 1,
				Attributes: []*commonpb.KeyValue{
					kv("svc", str("api")),
					kv("req", kvlist(kv("id", str("r-1")), kv("inner", kvlist(kv("k", str("v")))))),
				}}},
		{bound.WithGroup("solo"), context.Background(), slog.LevelInfo + 2, "between levels", nil,
			&logspb.LogRecord{SeverityNumber: 11, SeverityText: "INFO+2", Body: str("between levels"),
				Attributes: []*commonpb.KeyValue{kv("svc", str("api"))}}},
		{h, context.Background(), slog.LevelInfo, "bad \xff utf-8", []slog.Attr{slog.String("k\xfe", "v\xff")},
			&logspb.LogRecord{SeverityNumber: 9, SeverityText: "INFO", Body: str("bad \uFFFD utf-8"),
				Attributes: []*commonpb.KeyValue{kv("k\uFFFD", str("v\uFFFD"))}}},
	}

	start := time.Now()
	for i, s := range sends {
		at := base.Add(time.Duration(i) * time.Millisecond)
		r := slog.NewRecord(at, s.level, s.msg, 0)
		r.AddAttrs(s.attrs...)
		if err := s.h.Handle(s.ctx, r); err != nil {
			t.Fatalf("Handle %q: %v", s.msg, err)
		}
		s.want.TimeUnixNano = uint64(at.UnixNano())
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	end := time.Now()
	if st := h.Stats(); st.Written != uint64(len(sends)) || st.Dropped != 0 {
		t.Fatalf("stats %+v: want %d written, none dropped", st, len(sends))
	}
	c.stop(t)

	reqs := readExported(t, c.out)
	var got []*logspb.LogRecord
	for _, req := range reqs {
		for _, rl := range req.ResourceLogs {
			res := slices.Clone(rl.GetResource().GetAttributes())
			slices.SortFunc(res, func(a, b *commonpb.KeyValue) int { return strings.Compare(a.Key, b.Key) })
			wantRes := []*commonpb.KeyValue{
				kv("deployment.environment.name", str("test")),
				kv("service.name", str("peers-test")),
				kv("team", str("logs and traces")),
			}
			if d := cmp.Diff(wantRes, res, protocmp.Transform()); d != "" {
				t.Errorf("resource attributes (-want +got):\n%s", d)
			}
			for _, sl := range rl.ScopeLogs {
				if d := cmp.Diff(&commonpb.InstrumentationScope{Name: "multi-peers-test"}, sl.Scope, protocmp.Transform()); d != "" {
					t.Errorf("scope (-want +got):\n%s", d)
				}
				got = append(got, sl.LogRecords...)
			}
		}
	}
	t.Logf("%d records in %d requests", len(got), len(reqs))
	if len(got) != len(sends) {
		t.Fatalf("the collector wrote %d records, want %d", len(got), len(sends))
	}
	for i, r := range got {
		obs := time.Unix(0, int64(r.ObservedTimeUnixNano))
		if obs.Before(start.Add(-time.Millisecond)) || obs.After(end) {
			t.Errorf("record %d (%q): observed time %v, not between %v and %v", i, sends[i].msg, obs, start, end)
		}
		r.ObservedTimeUnixNano = 0
		if d := cmp.Diff(sends[i].want, r, protocmp.Transform()); d != "" {
			t.Errorf("record %d (%q) (-want +got):\n%s", i, sends[i].msg, d)
		}
	}
}
