package wssink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/jinpy-utils/multi/delivery"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/buffer"
)

// rawServer keeps every message it gets, as is, and acknowledges those
// that carry a seq when ack is set.
type rawServer struct {
	ack bool

	mu       sync.Mutex
	msgs     [][]byte
	headers  []http.Header
	closedBy []websocket.StatusCode
}

func (rs *rawServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionContextTakeover})
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(-1)
	rs.mu.Lock()
	rs.headers = append(rs.headers, r.Header.Clone())
	rs.mu.Unlock()
	for {
		_, msg, err := c.Read(r.Context())
		if err != nil {
			rs.mu.Lock()
			rs.closedBy = append(rs.closedBy, websocket.CloseStatus(err))
			rs.mu.Unlock()
			return
		}
		rs.mu.Lock()
		rs.msgs = append(rs.msgs, msg)
		rs.mu.Unlock()
		if rs.ack {
			var m struct{ Seq uint64 }
			if json.Unmarshal(msg, &m) == nil && m.Seq > 0 {
				c.Write(r.Context(), websocket.MessageText, appendAck(nil, m.Seq))
			}
		}
	}
}

func (rs *rawServer) messages() [][]byte {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([][]byte(nil), rs.msgs...)
}

func (rs *rawServer) closes() []websocket.StatusCode {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]websocket.StatusCode(nil), rs.closedBy...)
}

// fixedTime makes record times and message timestamps predictable.
var fixedTime = time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)

func fixRecordTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Time(slog.TimeKey, fixedTime)
	}
	return a
}

func TestBatchMessageIsPythonLogBatch(t *testing.T) {
	for _, ack := range []bool{false, true} {
		t.Run(fmt.Sprintf("ack=%v", ack), func(t *testing.T) {
			rs := &rawServer{ack: ack}
			srv := newWSServer(t, rs)
			o := fastOptions()
			o.Ack = ack
			o.ReplaceAttr = fixRecordTime
			o.Queue.FlushInterval = time.Hour // one batch, closed by Flush
			h, err := New(srv.url(), o)
			if err != nil {
				t.Fatal(err)
			}
			h.s.enc.now = func() time.Time { return fixedTime }
			log := slog.New(h)
			log.Info("one", "i", 1)
			log.Warn("two", "i", 2)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := h.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			eventually(t, 5*time.Second, "one message", func() bool { return len(rs.messages()) == 1 })
			seq := ""
			if ack {
				seq = `"seq":1,`
			}
			want := `{"type":"log_batch",` + seq + `"timestamp":"2025-01-02T03:04:05.000006Z","source":"wssink-test","count":2,"logs":[` +
				`{"time":"2025-01-02T03:04:05.000006Z","level":"INFO","msg":"one","i":1},` +
				`{"time":"2025-01-02T03:04:05.000006Z","level":"WARN","msg":"two","i":2}]}`
			if got := string(rs.messages()[0]); got != want {
				t.Errorf("message:\n got %s\nwant %s", got, want)
			}
			shutdown(t, h)
			st := h.Stats()
			if st.Written != 2 || st.Dropped != 0 || st.Queued != 0 {
				t.Errorf("stats: %+v", st)
			}
			if st.Bytes != uint64(len(want)) {
				t.Errorf("Bytes = %d, want %d (the message)", st.Bytes, len(want))
			}
			cs := h.ConnStats()
			if cs.Connects != 1 || cs.Messages != 1 || cs.Disconnects != 0 {
				t.Errorf("conn stats: %+v", cs)
			}
			if ack && cs.Acks != 1 {
				t.Errorf("Acks = %d, want 1", cs.Acks)
			}
			srv.stop()
			if got := rs.closes(); len(got) != 1 || got[0] != websocket.StatusNormalClosure {
				t.Errorf("server saw close status %v, want [StatusNormalClosure]", got)
			}
			checkNoGoroutines(t)
		})
	}
}

func TestRecordModeSendsOneMessagePerRecord(t *testing.T) {
	for _, ack := range []bool{false, true} {
		t.Run(fmt.Sprintf("ack=%v", ack), func(t *testing.T) {
			rs := &rawServer{ack: ack}
			srv := newWSServer(t, rs)
			o := fastOptions()
			o.Ack = ack
			o.Mode = Record
			o.ReplaceAttr = fixRecordTime
			h, err := New(srv.url(), o)
			if err != nil {
				t.Fatal(err)
			}
			log := slog.New(h)
			for i := range 3 {
				log.Info("m", "i", i)
			}
			eventually(t, 5*time.Second, "three messages", func() bool { return len(rs.messages()) == 3 })
			shutdown(t, h)
			for i, m := range rs.messages() {
				rec := fmt.Sprintf(`{"time":"2025-01-02T03:04:05.000006Z","level":"INFO","msg":"m","i":%d}`, i)
				want := rec
				if ack {
					want = fmt.Sprintf(`{"type":"log","seq":%d,"log":%s}`, i+1, rec)
				}
				if string(m) != want {
					t.Errorf("message %d:\n got %s\nwant %s", i, m, want)
				}
			}
		})
	}
}

func TestReceiverHandsOverEveryRecord(t *testing.T) {
	for _, mode := range []Mode{Batch, Record} {
		for _, ack := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/ack=%v", mode, ack), func(t *testing.T) {
				var col collector
				srv := newWSServer(t, NewReceiver(col.handle, nil))
				o := fastOptions()
				o.Mode, o.Ack = mode, ack
				h, err := New(srv.url(), o)
				if err != nil {
					t.Fatal(err)
				}
				log := slog.New(h).With("app", "t")
				const n = 2000
				for i := range n {
					log.Info("hello", "i", i)
				}
				eventually(t, 20*time.Second, "all records", func() bool { return col.count() >= n })
				shutdown(t, h)
				seen := col.ints(t, "i")
				for i := range n {
					if seen[i] != 1 {
						t.Fatalf("record %d seen %d times", i, seen[i])
					}
				}
				if got := col.records()[0]; !bytes.Contains(got, []byte(`"msg":"hello","app":"t","i":0}`)) {
					t.Errorf("first record %s", got)
				}
				if st := h.Stats(); st.Written != n || st.Dropped != 0 {
					t.Errorf("stats %+v", st)
				}
			})
		}
	}
}

func TestBatchesSplitToMaxMessageSize(t *testing.T) {
	rs := &rawServer{ack: true}
	srv := newWSServer(t, rs)
	o := fastOptions()
	o.Ack = true
	o.MaxMessageSize = 2048
	o.Queue.FlushInterval = time.Hour
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(h)
	const n = 100
	for i := range n {
		log.Info(strings.Repeat("x", 100), "i", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	shutdown(t, h)
	msgs := rs.messages()
	if len(msgs) < 2 {
		t.Fatalf("%d messages; a 100-record batch of ~15 KB must be split", len(msgs))
	}
	next := 0
	for k, m := range msgs {
		if len(m) > 2048 {
			t.Errorf("message %d is %d bytes, MaxMessageSize 2048", k, len(m))
		}
		var b struct {
			Type  string
			Seq   uint64
			Count int
			Logs  []struct{ I int }
		}
		if err := json.Unmarshal(m, &b); err != nil {
			t.Fatalf("message %d: %v", k, err)
		}
		if b.Type != "log_batch" || b.Seq != uint64(k+1) || b.Count != len(b.Logs) {
			t.Errorf("message %d: type %q seq %d count %d logs %d", k, b.Type, b.Seq, b.Count, len(b.Logs))
		}
		for _, l := range b.Logs {
			if l.I != next {
				t.Fatalf("message %d: record %d, want %d (order)", k, l.I, next)
			}
			next++
		}
	}
	if next != n {
		t.Errorf("%d records arrived, want %d", next, n)
	}
	if cs := h.ConnStats(); cs.Truncated != 0 || cs.Messages != uint64(len(msgs)) {
		t.Errorf("conn stats %+v", cs)
	}
}

func TestOversizedRecordIsTruncatedAndCounted(t *testing.T) {
	for _, mode := range []Mode{Batch, Record} {
		t.Run(mode.String(), func(t *testing.T) {
			var col collector
			srv := newWSServer(t, NewReceiver(col.handle, nil))
			o := fastOptions()
			o.Ack, o.Mode = true, mode
			o.MaxMessageSize = 1024
			h, err := New(srv.url(), o)
			if err != nil {
				t.Fatal(err)
			}
			log := slog.New(h)
			log.Info("small", "i", 0)
			log.Info("big", "i", 1, "blob", strings.Repeat("é", 2000), "after", "gone")
			log.Info("small", "i", 2)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := h.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			shutdown(t, h)
			recs := col.records()
			if len(recs) != 3 {
				t.Fatalf("%d records, want 3", len(recs))
			}
			var big map[string]any
			if err := json.Unmarshal(recs[1], &big); err != nil {
				t.Fatalf("truncated record is not JSON: %v\n%s", err, recs[1])
			}
			if big["msg"] != "big" || big["i"] != 1.0 || big["after"] != nil {
				t.Errorf("truncated record kept the wrong members: %s", recs[1])
			}
			if n, _ := big["_truncated"].(float64); n < 4000 {
				t.Errorf("_truncated = %v, want the original size", big["_truncated"])
			}
			if blob, _ := big["blob"].(string); blob == "" || strings.Trim(blob, "é") != "" {
				t.Errorf("blob should keep a prefix of whole characters: %q", blob)
			}
			if cs := h.ConnStats(); cs.Truncated != 1 {
				t.Errorf("Truncated = %d, want 1", cs.Truncated)
			}
			if st := h.Stats(); st.Written != 3 || st.Dropped != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestHandshakeCarriesHeadersTokenAndCompression(t *testing.T) {
	rs := &rawServer{}
	srv := newWSServer(t, rs)
	o := fastOptions()
	o.Headers = http.Header{"X-Tenant": {"blue"}}
	o.BearerToken = "s3cret-token"
	o.Compress = true
	o.Subprotocols = []string{"logs.v1"}
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	slog.New(h).Info("hi")
	eventually(t, 5*time.Second, "a message", func() bool { return len(rs.messages()) == 1 })
	shutdown(t, h)
	rs.mu.Lock()
	hd := rs.headers[0]
	rs.mu.Unlock()
	if hd.Get("X-Tenant") != "blue" || hd.Get("Authorization") != "Bearer s3cret-token" {
		t.Errorf("headers %v", hd)
	}
	if !strings.Contains(hd.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
		t.Errorf("no permessage-deflate offered: %v", hd)
	}
	if hd.Get("Sec-WebSocket-Protocol") != "logs.v1" {
		t.Errorf("subprotocol %q", hd.Get("Sec-WebSocket-Protocol"))
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	// A server that refuses the handshake: errors are reported, and none
	// of them may carry the token or the URL's password.
	srv := newWSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	var mu sync.Mutex
	var errs []string
	o := fastOptions()
	o.BearerToken = "s3cret-token"
	o.MaxReconnectAttempts = 2
	o.ErrorHandler = func(err error) {
		mu.Lock()
		errs = append(errs, err.Error())
		mu.Unlock()
	}
	u := strings.Replace(srv.url(), "ws://", "ws://user:hunter2@", 1)
	h, err := New(u, o)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "two failed dials", func() bool { return h.ConnStats().DialFailures == 2 })
	shutdown2(t, h)
	mu.Lock()
	defer mu.Unlock()
	if len(errs) == 0 {
		t.Fatal("no error reported")
	}
	for _, e := range append(errs, fmt.Sprint(h.Stats().LastError)) {
		if strings.Contains(e, "s3cret") || strings.Contains(e, "hunter2") {
			t.Errorf("secret in error: %s", e)
		}
	}
	if !strings.Contains(errs[0], "401") {
		t.Errorf("error should say what the server answered: %s", errs[0])
	}
}

func TestURLQueryAndHeadersNeverInErrors(t *testing.T) {
	// Nothing listens: net/http's dial error quotes the whole URL, query
	// included, and errors New returns quote the URL too.
	srv := newDownServer(t, http.NotFoundHandler())
	var mu sync.Mutex
	var errs []string
	o := fastOptions()
	o.MaxReconnectAttempts = 2
	o.Headers = http.Header{"X-Api-Key": {"k3y-value"}, "X-Tenant": {"blue"}}
	o.ErrorHandler = func(err error) {
		mu.Lock()
		errs = append(errs, err.Error())
		mu.Unlock()
	}
	u := strings.Replace(srv.url(), "ws://", "ws://user:hunter2@", 1) + "logs?token=q5ecret&tenant=blue"
	h, err := New(u, o)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "two failed dials", func() bool { return h.ConnStats().DialFailures == 2 })
	shutdown2(t, h)
	_, errNew := New(strings.Replace(u, "ws://", "ftp://", 1), nil)
	_, errParse := New("ws://user:hunter2@bad host/?token=q5ecret", nil)
	mu.Lock()
	defer mu.Unlock()
	if len(errs) == 0 || errNew == nil || errParse == nil {
		t.Fatalf("want reported errors and two from New; got %q, %v, %v", errs, errNew, errParse)
	}
	for _, e := range append(errs, fmt.Sprint(h.Stats().LastError), errNew.Error(), errParse.Error()) {
		for _, sec := range []string{"q5ecret", "hunter2", "k3y-value"} {
			if strings.Contains(e, sec) {
				t.Errorf("%q in error: %s", sec, e)
			}
		}
	}
	if !strings.Contains(errs[0], "connection refused") || !strings.Contains(errs[0], srv.addr+"/logs") {
		t.Errorf("error should name the host and path and say what went wrong: %s", errs[0])
	}
}

// shutdown2 shuts h down and returns its error without judging it.
func shutdown2(t *testing.T, h *Handler) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return h.Shutdown(ctx)
}

func TestHandleAfterShutdownIsClosedAndDropped(t *testing.T) {
	var col collector
	srv := newWSServer(t, NewReceiver(col.handle, nil))
	h, err := New(srv.url(), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	shutdown(t, h)
	err = h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "late", 0))
	if !errors.Is(err, multi.ErrClosed) {
		t.Errorf("Handle after Shutdown: %v, want ErrClosed", err)
	}
	if err := h.Flush(context.Background()); !errors.Is(err, multi.ErrClosed) {
		t.Errorf("Flush after Shutdown: %v, want ErrClosed", err)
	}
	if st := h.Stats(); st.Dropped != 1 {
		t.Errorf("Dropped = %d, want 1", st.Dropped)
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if h.Healthy() {
		t.Error("healthy after Shutdown")
	}
}

func TestHealthyOnlyWhileConnected(t *testing.T) {
	var col collector
	srv := newDownServer(t, NewReceiver(col.handle, nil))
	h, err := New(srv.url(), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(t, h)
	eventually(t, 5*time.Second, "a failed dial", func() bool { return h.ConnStats().DialFailures > 0 })
	if h.Healthy() {
		t.Error("healthy with the server down")
	}
	srv.start()
	eventually(t, 5*time.Second, "healthy once the server is up", h.Healthy)
	srv.stop()
	eventually(t, 5*time.Second, "unhealthy once the server is gone", func() bool { return !h.Healthy() })
	if cs := h.ConnStats(); cs.Disconnects != 1 || cs.Connected {
		t.Errorf("conn stats %+v", cs)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	cases := []struct {
		url  string
		o    Options
		want string
	}{
		{"http://x/", Options{}, "scheme"},
		{"ws://user:hunter2@x:port/", Options{}, `url "ws://x:port/": invalid port`},
		{"ws://", Options{}, "no host"},
		{"ws://x/", Options{Timeout: -1}, "Options.Timeout is -1ns"},
		{"ws://x/", Options{Queue: delivery.Queue{FlushInterval: -1}}, "FlushInterval"},
		{"ws://x/", Options{Reconnect: delivery.Backoff{InitialInterval: -1}}, "Options.Reconnect.InitialInterval is -1ns"},
		{"ws://x/", Options{Reconnect: delivery.Backoff{InitialInterval: time.Minute, MaxInterval: time.Second}}, "Options.Reconnect.MaxInterval 1s is less than InitialInterval 1m0s"},
		{"ws://x/", Options{MaxReconnectAttempts: -1}, "MaxReconnectAttempts"},
		{"ws://x/", Options{Queue: delivery.Queue{Size: -1}}, "Options.Queue.Size is -1"},
		{"ws://x/", Options{Queue: delivery.Queue{Bytes: -1}}, "Options.Queue.Bytes is -1"},
		{"ws://x/", Options{Queue: delivery.Queue{BatchSize: -5}}, "BatchSize"},
		{"ws://x/", Options{Queue: delivery.Queue{BatchBytes: -5}}, "BatchBytes"},
		{"ws://x/", Options{MaxUnacked: -1}, "MaxUnacked"},
		{"ws://x/", Options{MaxMessageSize: 100}, "MaxMessageSize"},
		{"ws://x/", Options{Mode: 7}, "Mode"},
		{"ws://x/", Options{Queue: delivery.Queue{OnFull: 9}}, "OnFull"},
		{"ws://x/", Options{Queue: delivery.Queue{OnFull: buffer.Divert}}, "Spool"},
		{"localhost:8080/logs", Options{}, "did you mean ws://localhost:8080/logs?"},
		{"ws://x/", Options{BearerToken: "a\nb"}, "BearerToken"},
		{"ws://x/", Options{Headers: http.Header{"Bad Key": {"v"}}}, "Headers"},
		{"ws://x/", Options{TLS: delivery.TLS{CertFile: "c.pem"}}, "KeyFile"},
		{"ws://x/", Options{TLS: delivery.TLS{CAFile: "/nonexistent/ca.pem"}}, "CAFile"},
		{"ws://x/", Options{Source: strings.Repeat("s", 4000), MaxMessageSize: 4096}, "Source"},
	}
	for _, c := range cases {
		h, err := New(c.url, &c.o)
		if err == nil {
			h.Shutdown(context.Background())
			t.Errorf("New(%q, %+v) accepted", c.url, c.o)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "wssink: ") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("New(%q): %v; want an error naming %s", c.url, err, c.want)
		}
	}
	checkNoGoroutines(t)
}

// The default MaxReconnectInterval never undercuts a ReconnectInterval set
// above it: setting only the first step is not an error.
func TestMaxReconnectIntervalDefaultFollowsReconnectInterval(t *testing.T) {
	for _, tc := range []struct{ first, max, want time.Duration }{
		{0, 0, delivery.DefaultMaxInterval},
		{time.Second, 0, delivery.DefaultMaxInterval},
		{2 * time.Minute, 0, 2 * time.Minute},
		{2 * time.Minute, 5 * time.Minute, 5 * time.Minute},
	} {
		var c config
		if err := c.resolve("ws://x/", &Options{Reconnect: delivery.Backoff{InitialInterval: tc.first, MaxInterval: tc.max}}); err != nil {
			t.Errorf("ReconnectInterval %v, MaxReconnectInterval %v: %v", tc.first, tc.max, err)
			continue
		}
		if c.Reconnect.MaxInterval != tc.want {
			t.Errorf("ReconnectInterval %v, MaxReconnectInterval %v: resolved to %v, want %v", tc.first, tc.max, c.Reconnect.MaxInterval, tc.want)
		}
	}
	var c config
	if err := c.resolve("ws://x/", &Options{Reconnect: delivery.Backoff{MaxInterval: -time.Second}}); err == nil || !strings.Contains(err.Error(), "Options.Reconnect.MaxInterval is -1s: must not be negative") {
		t.Errorf("negative MaxReconnectInterval: %v", err)
	}
}

func TestParseMode(t *testing.T) {
	for s, want := range map[string]Mode{"batch": Batch, "RECORD": Record, " Batch ": Batch} {
		if got, err := ParseMode(s); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseMode("stream"); err == nil || !strings.Contains(err.Error(), `"stream"`) {
		t.Errorf("ParseMode(stream): %v", err)
	}
}

var isoStamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`)

func TestBatchTimestampIsRFC3339UTC(t *testing.T) {
	e := newEncoder(Batch, false, "s", 1<<20, false)
	m := e.encode([][]byte{[]byte(`{}`)}, nil)
	e.stamp(m, 0)
	var b struct{ Timestamp string }
	if err := json.Unmarshal(m.data, &b); err != nil || !isoStamp.MatchString(b.Timestamp) {
		t.Errorf("timestamp %q (%v) in %s", b.Timestamp, err, m.data)
	}
}
