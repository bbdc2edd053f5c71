package otlpsink

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/multitest"
)

// collector is an OTLP/HTTP logs receiver on loopback that keeps what it
// was sent, decoded.
type collector struct {
	srv      *httptest.Server
	mu       sync.Mutex
	recs     []logRecord
	resource map[string]string
	scope    string
	gzipped  bool
	answer   func(w http.ResponseWriter) bool // optional: answers instead
}

func newCollector(t *testing.T) *collector {
	c := &collector{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/logs" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "want POST /v1/logs, application/x-protobuf", http.StatusBadRequest)
			return
		}
		var body io.Reader = r.Body
		gz := r.Header.Get("Content-Encoding") == "gzip"
		if gz {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.answer != nil && c.answer(w) {
			return
		}
		c.gzipped = gz
		c.take(t, b)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *collector) url() string { return c.srv.URL + "/v1/logs" }

func (c *collector) take(t *testing.T, b []byte) {
	fieldsOf(t, b, func(num protowire.Number, _ protowire.Type, rl []byte, _ uint64) {
		if num != 1 {
			t.Fatalf("ExportLogsServiceRequest field %d", num)
		}
		fieldsOf(t, rl, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) {
			switch num {
			case 1: // resource
				c.resource = map[string]string{}
				fieldsOf(t, v, func(_ protowire.Number, _ protowire.Type, kv []byte, _ uint64) { keyValue(t, kv, "", c.resource) })
			case 2: // scope logs
				fieldsOf(t, v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) {
					switch num {
					case 1:
						fieldsOf(t, v, func(_ protowire.Number, _ protowire.Type, name []byte, _ uint64) { c.scope = string(name) })
					case 2:
						c.recs = append(c.recs, decodeRecord(t, v))
					}
				})
			}
		})
	})
}

func (c *collector) records() []logRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]logRecord(nil), c.recs...)
}

func newHandler(t *testing.T, c *collector, o *Options) *Handler {
	t.Helper()
	if o == nil {
		o = &Options{}
	}
	o.Endpoint = c.url()
	if o.ErrorHandler == nil {
		o.ErrorHandler = func(err error) { t.Logf("ErrorHandler: %v", err) }
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Shutdown(context.Background()) })
	return h
}

type panicky struct{}

func (panicky) LogValue() slog.Value { panic("boom") }

// What a record becomes, field by field: the OTel logs data model.
func TestRecordsFollowTheLogsDataModel(t *testing.T) {
	t.Setenv("OTEL_SERVICE_NAME", "checkout")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,service.version=1.2")
	c := newCollector(t)
	h := newHandler(t, c, &Options{Name: "shop/cart", Resource: map[string]string{"service.version": "1.3"}})
	when := time.Date(2026, 12, 3, 10, 0, 0, 123456789, time.UTC)
	l := slog.New(h).With("tenant", "acme").WithGroup("req").With("id", 7)
	r := slog.NewRecord(when, slog.LevelWarn, "payment \xffslow", 0)
	r.AddAttrs(
		slog.String("method", "POST"), slog.Int("status", 503), slog.Float64("ratio", math.Inf(1)),
		slog.Bool("retry", true), slog.Duration("took", 1500*time.Millisecond),
		slog.Group("user", slog.String("name", "ann"), slog.Group("empty")),
		slog.Any("err", errors.New("card declined")), slog.Any("raw", []byte{0, 1}),
		slog.Any("tags", []string{"a", "b"}), slog.Any("bad", panicky{}), slog.Uint64("big", math.MaxUint64),
	)
	if err := l.Handler().Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	slog.New(h).Log(context.Background(), multi.LevelCritical, "down")
	if err := h.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := c.records()
	if len(got) != 2 {
		t.Fatalf("%d records arrived, want 2", len(got))
	}
	g := got[0]
	if g.time != uint64(when.UnixNano()) || g.observed == 0 || g.severity != 13 || g.severityText != "WARN" || g.body != "payment \uFFFDslow" {
		t.Errorf("record %+v", g)
	}
	want := "req.bad=LogValue panicked req.big=18446744073709551615 req.err=card declined req.id=7 req.method=POST req.ratio=+Inf req.raw=b\"\\x00\\x01\" req.retry=true req.status=503 req.tags=[a b] req.took=1500000000 req.user.name=ann tenant=acme"
	if a := g.attrList(); !strings.HasPrefix(strings.ReplaceAll(a, "\n", " "), want[:20]) || !strings.Contains(a, "req.took=1500000000") || !strings.Contains(a, "tenant=acme") || !strings.Contains(a, "req.user.name=ann") || !strings.Contains(a, "req.err=card declined") || !strings.Contains(a, `req.raw=b"\x00\x01"`) || !strings.Contains(a, "req.tags=[a b]") || !strings.Contains(a, "req.big=18446744073709551615") || !strings.Contains(a, "req.bad=") || strings.Contains(a, "empty") {
		t.Errorf("attributes\n %s\nwant\n %s", a, want)
	}
	if got[1].severity != 21 || got[1].severityText != "CRITICAL" || len(got[1].attrs) != 0 || got[1].traceID != nil {
		t.Errorf("second record %+v", got[1])
	}
	if c.scope != "shop/cart" || c.resource["service.name"] != "checkout" || c.resource["service.version"] != "1.3" || c.resource["deployment.environment"] != "prod" || !c.gzipped {
		t.Errorf("scope %q, resource %v, gzip %v", c.scope, c.resource, c.gzipped)
	}
}

// A record whose ctx carries a span has its trace id, span id and flags.
func TestSpanOfTheContext(t *testing.T) {
	sc := multi.SpanContext{TraceID: [16]byte{0x4b, 0xf9, 0x2f, 15: 0x36}, SpanID: [8]byte{0x00, 0xf0, 7: 0x67}, Flags: 1}
	multi.SetSpanFunc(multitest.SpanFunc)
	defer multi.SetSpanFunc(nil)
	c := newCollector(t)
	h := newHandler(t, c, nil)
	l := slog.New(h)
	l.InfoContext(multitest.WithSpan(context.Background(), sc), "in a span")
	l.Info("no span")
	h.Flush(context.Background())
	got := c.records()
	if len(got) != 2 || string(got[0].traceID) != string(sc.TraceID[:]) || string(got[0].spanID) != string(sc.SpanID[:]) || got[0].flags != 1 {
		t.Fatalf("records %+v", got)
	}
	if got[1].traceID != nil || got[1].spanID != nil || got[1].flags != 0 {
		t.Errorf("a record without a span carries one: %+v", got[1])
	}
}

// The collector's answers: partial success counts the rejected records as
// dropped with its message; a 400 drops the batch at once; 503 is retried.
func TestCollectorAnswers(t *testing.T) {
	c := newCollector(t)
	var calls int
	c.answer = func(w http.ResponseWriter) bool {
		calls++
		switch calls {
		case 1:
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return true
		case 2:
			var ps []byte
			ps = protowire.AppendTag(ps, 1, protowire.VarintType)
			ps = protowire.AppendVarint(ps, 2)
			ps = protowire.AppendTag(ps, 2, protowire.BytesType)
			ps = protowire.AppendString(ps, "2 records too old")
			var resp []byte
			resp = protowire.AppendTag(resp, 1, protowire.BytesType)
			resp = protowire.AppendBytes(resp, ps)
			w.Header().Set("Content-Type", "application/x-protobuf")
			w.Write(resp)
			return true
		case 3:
			http.Error(w, "bad request", http.StatusBadRequest)
			return true
		}
		return false
	}
	var mu sync.Mutex
	var errs []string
	h := newHandler(t, c, &Options{
		Retry:        delivery.Retry{Backoff: delivery.Backoff{InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond}},
		Queue:        delivery.Queue{BatchSize: 5},
		ErrorHandler: func(err error) { mu.Lock(); errs = append(errs, err.Error()); mu.Unlock() },
	})
	l := slog.New(h)
	for i := range 5 {
		l.Info("first", "i", i)
	}
	h.Flush(context.Background())
	for i := range 5 {
		l.Info("second", "i", i)
	}
	h.Flush(context.Background())
	l.Info("third")
	h.Flush(context.Background())
	st := h.Stats()
	if st.Written != 4 || st.Dropped != 2+5 || st.Retries != 1 || calls != 4 {
		t.Fatalf("stats %+v after %d requests: want the 503 retried, 2 rejected, the 400 batch of 5 dropped, then the gap record and third delivered", st, calls)
	}
	mu.Lock()
	all := strings.Join(errs, "\n")
	mu.Unlock()
	if !strings.Contains(all, "2 records too old") || !strings.Contains(all, "status 400 Bad Request") {
		t.Errorf("errors reported:\n%s", all)
	}
	got := c.records()
	if len(got) != 2 || got[0].body != "records dropped before this one" || got[0].attrs["dropped"] != "7" || got[1].body != "third" {
		t.Errorf("after the drops the collector got %+v", got)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		env  map[string]string
		want string
	}{
		{Options{Endpoint: "grpc://h:4317"}, nil, `scheme "grpc" is not http or https`},
		{Options{Endpoint: "http://h/v1/logs", Compression: 7}, nil, "Options.Compression is 7"},
		{Options{Endpoint: "http://h/v1/logs", Queue: delivery.Queue{Size: -1}}, nil, "otlpsink: Options.Queue.Size is -1"},
		{Options{}, map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "soon"}, "OTEL_EXPORTER_OTLP_TIMEOUT"},
		{Options{Endpoint: "http://h/v1/logs", TLS: delivery.TLS{CAFile: "ca.pem"}}, nil, "is not https"},
	} {
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		_, err := New(&tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.o, err, tc.want)
		}
		for k := range tc.env {
			t.Setenv(k, "")
		}
	}
}

// The environment names the endpoint, as the specification says: the
// signal's own variable as it is, the generic one with /v1/logs.
func TestEndpointFromTheEnvironment(t *testing.T) {
	c := newCollector(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", c.srv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=blue")
	t.Setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "none")
	h, err := New(&Options{ErrorHandler: func(error) {}})
	if err != nil {
		t.Fatal(err)
	}
	slog.New(h).Info("via env")
	h.Shutdown(context.Background())
	if got := c.records(); len(got) != 1 || got[0].body != "via env" || c.gzipped {
		t.Fatalf("records %+v, gzip %v", got, c.gzipped)
	}
}

func TestHandleDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations: not under -race")
	}
	c := newCollector(t)
	h := newHandler(t, c, &Options{Queue: delivery.Queue{Size: 1 << 20, FlushInterval: time.Hour}})
	l := slog.New(h).With("service", "api")
	ctx := context.Background()
	n := testing.AllocsPerRun(1000, func() {
		l.LogAttrs(ctx, slog.LevelInfo, "request handled", slog.String("path", "/api/v1/items"), slog.Int("status", 200),
			slog.Duration("took", time.Millisecond), slog.Bool("cached", false), slog.Float64("ratio", 0.5))
	})
	if n != 0 {
		t.Errorf("Handle allocates %v times a record", n)
	}
}

// slogtest's rules, checked on what the collector received.
func TestSlogtest(t *testing.T) {
	c := newCollector(t)
	h := newHandler(t, c, &Options{Level: slog.LevelDebug})
	results := func() []map[string]any {
		h.Flush(context.Background())
		var out []map[string]any
		for _, r := range c.records() {
			m := map[string]any{slog.MessageKey: r.body, slog.LevelKey: r.severityText}
			if r.time != 0 {
				m[slog.TimeKey] = time.Unix(0, int64(r.time))
			}
			for k, v := range r.attrs {
				cur := m
				parts := strings.Split(k, ".")
				for _, p := range parts[:len(parts)-1] {
					next, ok := cur[p].(map[string]any)
					if !ok {
						next = map[string]any{}
						cur[p] = next
					}
					cur = next
				}
				cur[parts[len(parts)-1]] = v
			}
			out = append(out, m)
		}
		return out
	}
	if err := slogtest.TestHandler(h, results); err != nil {
		t.Error(err)
	}
}

// The message goes through ReplaceAttr, as in slog's handlers, so that a
// redactor sees it.
func TestMessageThroughReplaceAttr(t *testing.T) {
	c := newCollector(t)
	h := newHandler(t, c, &Options{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.MessageKey {
			return slog.String(a.Key, strings.ReplaceAll(a.Value.String(), "hunter2", "[REDACTED]"))
		}
		return a
	}})
	slog.New(h).Info("password hunter2 refused")
	h.Flush(context.Background())
	if got := c.records(); len(got) != 1 || got[0].body != "password [REDACTED] refused" {
		t.Fatalf("records %+v", got)
	}
}
