package httpsink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/jinpy-utils/multi/delivery"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/buffer"
)

var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

// records returns n records at fixed times, and the lines slog.JSONHandler
// writes for them (without newlines): what every encoding must carry.
func records(n int) ([]slog.Record, []string) {
	var rs []slog.Record
	var want []string
	var buf bytes.Buffer
	jh := slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: multi.LevelTrace})
	for i := range n {
		r := slog.NewRecord(t0.Add(time.Duration(i)*time.Millisecond), slog.Level(i%4*4-4), fmt.Sprintf("hello %d \"quoted\"\n", i), 0)
		r.AddAttrs(slog.Int("seq", i), slog.String("service", []string{"api", "db"}[i%2]),
			slog.Group("http", slog.String("method", "GET"), slog.Int("status", 200+i)))
		rs = append(rs, r)
		buf.Reset()
		jh.Handle(context.Background(), r)
		want = append(want, strings.TrimSuffix(buf.String(), "\n"))
	}
	return rs, want
}

func handleAll(t *testing.T, h slog.Handler, rs []slog.Record) {
	t.Helper()
	for _, r := range rs {
		if err := h.Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEveryEncodingCarriesTheJSONLines(t *testing.T) {
	for _, enc := range []Encoding{Envelope, NDJSON, ElasticsearchBulk, Loki} {
		for _, gz := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/gzip=%v", enc, gz), func(t *testing.T) {
				c := newCollector(t, enc)
				o := &Options{Encoding: enc, Compress: gz, Level: multi.LevelTrace, Queue: delivery.Queue{BatchSize: 7}}
				if enc == Loki {
					o.Labels = []string{"service"}
				}
				h := mustNew(t, c.url(), o)
				rs, want := records(20)
				handleAll(t, h, rs)
				if err := h.Flush(context.Background()); err != nil {
					t.Fatal(err)
				}
				got := c.got()
				if enc == Loki {
					// Streams group records: compare as sets, order within a stream kept.
					slices.Sort(got)
					want = slices.Sorted(slices.Values(want))
				}
				if !slices.Equal(got, want) {
					t.Fatalf("records received\n%s\nwant (slog.JSONHandler's lines)\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				c.mu.Lock()
				hdr := c.headers[0]
				c.mu.Unlock()
				if ct := hdr.Get("Content-Type"); ct != enc.contentType() {
					t.Errorf("Content-Type %q, want %q", ct, enc.contentType())
				}
				if ce := hdr.Get("Content-Encoding"); (ce == "gzip") != gz {
					t.Errorf("Content-Encoding %q with Compress %v", ce, gz)
				}
				st := h.Stats()
				if st.Written != 20 || st.Dropped != 0 || st.Failed != 0 || st.Queued != 0 {
					t.Errorf("stats %+v, want 20 written, nothing else", st)
				}
				wantBytes := 0
				for _, w := range want {
					wantBytes += len(w) // the JSON line, not its line break
				}
				if st.Bytes != uint64(wantBytes) {
					t.Errorf("Bytes = %d, want %d (the records' size)", st.Bytes, wantBytes)
				}
			})
		}
	}
}

func TestBodiesExactly(t *testing.T) {
	rs, lines := records(3)
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"ndjson", Options{Encoding: NDJSON}, lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n"},
		{"bulk", Options{Encoding: ElasticsearchBulk},
			"{\"create\":{}}\n" + lines[0] + "\n{\"create\":{}}\n" + lines[1] + "\n{\"create\":{}}\n" + lines[2] + "\n"},
		{"loki", Options{Encoding: Loki, Source: "app", Labels: []string{"service", "http.method", "missing"}},
			`{"streams":[` +
				`{"stream":{"source":"app","service":"api","http_method":"GET"},"values":[` +
				`["1741964966535897000",` + quote(lines[0]) + `],["1741964966537897000",` + quote(lines[2]) + `]]},` +
				`{"stream":{"source":"app","service":"db","http_method":"GET"},"values":[` +
				`["1741964966536897000",` + quote(lines[1]) + `]]}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCollector(t, tc.o.Encoding)
			tc.o.Level = multi.LevelTrace
			h := mustNew(t, c.url(), &tc.o)
			handleAll(t, h, rs)
			h.Flush(context.Background())
			c.mu.Lock()
			defer c.mu.Unlock()
			if len(c.bodies) != 1 {
				t.Fatalf("%d requests, want 1", len(c.bodies))
			}
			if got := string(c.bodies[0]); got != tc.want {
				t.Fatalf("body\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestEnvelopeIsThePythonShape(t *testing.T) {
	c := newCollector(t, Envelope)
	h := mustNew(t, c.url(), &Options{Source: "billing", Encoding: Envelope})
	rs, lines := records(2)
	before := time.Now()
	handleAll(t, h, rs[1:]) // INFO only: rs[0] is DEBUG
	h.Flush(context.Background())
	var env struct {
		Logs      []json.RawMessage
		Timestamp time.Time
		Source    string
		Count     int
	}
	c.mu.Lock()
	body := c.bodies[0]
	c.mu.Unlock()
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	if env.Source != "billing" || env.Count != 1 || len(env.Logs) != 1 || string(env.Logs[0]) != lines[1] {
		t.Fatalf("envelope %s", body)
	}
	if env.Timestamp.Before(before.Add(-time.Second)) || env.Timestamp.After(time.Now().Add(time.Second)) {
		t.Fatalf("envelope timestamp %v is not the send time", env.Timestamp)
	}
	if !bytes.HasPrefix(body, []byte(`{"logs":[`)) {
		t.Fatalf("body %s does not start with logs", body)
	}
}

func TestRequestHeaders(t *testing.T) {
	c := newCollector(t, NDJSON)
	h := mustNew(t, c.url(), &Options{
		Encoding:    NDJSON,
		Method:      http.MethodPut,
		Headers:     http.Header{"X-Tenant": {"acme"}},
		BearerToken: "s3cr3t-token",
	})
	var method string
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		method = r.Method
		return false
	})
	slog.New(h).Info("hi")
	h.Flush(context.Background())
	c.mu.Lock()
	defer c.mu.Unlock()
	hdr := c.headers[0]
	if method != http.MethodPut || hdr.Get("Authorization") != "Bearer s3cr3t-token" || hdr.Get("X-Tenant") != "acme" ||
		hdr.Get("User-Agent") != "multi-httpsink/1" {
		t.Fatalf("method %s, headers %v", method, hdr)
	}
}

func TestTokenFuncIsAskedForEveryRequest(t *testing.T) {
	c := newCollector(t, NDJSON)
	var calls atomic.Int32
	h := mustNew(t, c.url(), &Options{
		Encoding: NDJSON,
		TokenFunc: func(ctx context.Context) (string, error) {
			return fmt.Sprintf("token-%d", calls.Add(1)), nil
		},
	})
	l := slog.New(h)
	for i := range 3 {
		l.Info("hi", "i", i)
		if err := h.Flush(context.Background()); err != nil {
			t.Fatalf("Flush %d: %v", i, err)
		}
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("TokenFunc called %d times for 3 requests, want 3", n)
	}
	if got := msgs(t, c.got()); !slices.Equal(got, []string{"hi", "hi", "hi"}) {
		t.Errorf("collector got %q, want the 3 records, one per request", got)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.headers) != 3 {
		t.Fatalf("%d requests reached the collector, want 3 (one per Flush)", len(c.headers))
	}
	for i, hdr := range c.headers {
		if got, want := hdr.Get("Authorization"), fmt.Sprintf("Bearer token-%d", i+1); got != want {
			t.Errorf("request %d: Authorization %q, want %q", i, got, want)
		}
	}
}

func TestDerivedHandlersShareTheDestination(t *testing.T) {
	c := newCollector(t, NDJSON)
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, ReplaceAttr: func(g []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(g) == 0 {
			return slog.Attr{}
		}
		return a
	}})
	base := slog.New(h).With("app", "x")
	a := base.WithGroup("a")
	b := base.WithGroup("b")
	a.Info("one", "k", 1)
	b.Info("two", "k", 2)
	// Flushing a derived handler flushes the shared queue.
	if err := multi.Flush(context.Background(), b.Handler()); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"level":"INFO","msg":"one","app":"x","a":{"k":1}}`,
		`{"level":"INFO","msg":"two","app":"x","b":{"k":2}}`,
	}
	if got := c.got(); !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st, _ := multi.StatsOf(a.Handler()); st.Written != 2 {
		t.Fatalf("derived handler's stats: %+v", st)
	}
}

func TestSlogtest(t *testing.T) {
	c := newCollector(t, NDJSON)
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, Level: slog.LevelDebug})
	slogtest.Run(t, func(t *testing.T) slog.Handler { return h }, func(t *testing.T) map[string]any {
		if err := h.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := c.got()
		if len(got) == 0 {
			t.Fatal("nothing arrived")
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(got[len(got)-1]), &m); err != nil {
			t.Fatal(err)
		}
		return m
	})
}

func TestHandleAfterShutdownIsErrClosedAndCounted(t *testing.T) {
	c := newCollector(t, NDJSON)
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON})
	slog.New(h).Info("before")
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "after", 0)
	if err := h.Handle(context.Background(), r); !errors.Is(err, multi.ErrClosed) {
		t.Fatalf("Handle after Shutdown = %v, want ErrClosed", err)
	}
	if err := h.Flush(context.Background()); !errors.Is(err, multi.ErrClosed) {
		t.Fatalf("Flush after Shutdown = %v, want ErrClosed", err)
	}
	st := h.Stats()
	if st.Written != 1 || st.Dropped != 1 {
		t.Fatalf("stats %+v, want 1 written, 1 dropped", st)
	}
	if got := msgs(t, c.got()); !slices.Equal(got, []string{"before"}) {
		t.Fatalf("collector got %q", got)
	}
}

func TestShutdownLeavesNoGoroutines(t *testing.T) {
	c := newCollector(t, NDJSON)
	before := countGoroutines()
	h, err := New(c.url(), &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	slog.New(h).Info("x")
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.srv.CloseClientConnections()
	goroutinesSettle(t, before)
}

func TestNewRejectsBadOptionsByName(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "cert.pem")
	os.WriteFile(notPEM, []byte("nope"), 0o600)
	for _, tc := range []struct {
		name string
		url  string
		o    Options
		want []string
	}{
		{"bad URL", "http://a b.com/%zz", Options{}, []string{"URL is not valid"}},
		{"scheme", "ftp://host/x", Options{}, []string{"URL", "scheme \"ftp\""}},
		{"no host", "http:///x", Options{}, []string{"no host"}},
		{"key length", "http://h/x", Options{EncryptionKey: make([]byte, 16)}, []string{"EncryptionKey is 16 bytes"}},
		{"cert file", "http://h/x", Options{TLS: delivery.TLS{CertFile: notPEM, KeyFile: notPEM}}, []string{"CertFile", notPEM}},
		{"missing CA", "http://h/x", Options{TLS: delivery.TLS{CAFile: filepath.Join(dir, "nope.pem")}}, []string{"CAFile", "nope.pem"}},
		{"cert without key", "http://h/x", Options{TLS: delivery.TLS{CertFile: notPEM}}, []string{"KeyFile is empty"}},
		{"two tokens", "http://h/x", Options{BearerToken: "abcd", TokenFunc: func(context.Context) (string, error) { return "", nil }}, []string{"BearerToken", "TokenFunc"}},
		{"client and TLS", "http://h/x", Options{Client: http.DefaultClient, TLS: delivery.TLS{CAFile: "x"}}, []string{"Client", "Options.TLS"}},
		{"divert without spool", "http://h/x", Options{Queue: delivery.Queue{OnFull: buffer.Divert}}, []string{"OnFull", "Spool"}},
		{"labels without loki", "http://h/x", Options{Labels: []string{"a"}}, []string{"Labels"}},
		{"encoding", "http://h/x", Options{Encoding: 9}, []string{"Encoding is 9"}},
		{"negative timeout", "http://h/x", Options{Timeout: -time.Second}, []string{"Timeout is -1s"}},
		{"multiplier", "http://h/x", Options{Retry: delivery.Retry{Backoff: delivery.Backoff{Multiplier: 0.5}}}, []string{"Multiplier is 0.5"}},
		{"buffer option", "http://h/x", Options{Queue: delivery.Queue{BatchSize: -1}}, []string{"BatchSize"}},
		{"queue bytes", "http://h/x", Options{Queue: delivery.Queue{Bytes: -1}}, []string{"Options.Queue.Bytes is -1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := New(tc.url, &tc.o)
			if err == nil {
				h.Shutdown(context.Background())
				t.Fatal("New succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "httpsink: ") {
				t.Errorf("error %q does not start with the package", err)
			}
		})
	}
}

func TestParseEncoding(t *testing.T) {
	for _, e := range []Encoding{Envelope, NDJSON, ElasticsearchBulk, Loki} {
		b, err := e.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var got Encoding
		if err := got.UnmarshalText(bytes.ToUpper(b)); err != nil || got != e {
			t.Fatalf("round trip of %v: %v, %v", e, got, err)
		}
	}
	if _, err := ParseEncoding("xml"); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Fatalf("ParseEncoding(xml) = %v", err)
	}
}
