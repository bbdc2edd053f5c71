package otlpsink

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/multitest"
)

// With Encoding JSON the body is the OTLP/JSON mapping of the same
// request: checked as JSON, field by field.
func TestJSONEncoding(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want application/json", http.StatusUnsupportedMediaType)
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
		w.Write([]byte(`{"partialSuccess":{}}`))
	}))
	defer srv.Close()
	sc := multi.SpanContext{TraceID: [16]byte{0x4b, 15: 0x36}, SpanID: [8]byte{0xaa, 7: 1}, Flags: 1}
	multi.SetSpanFunc(multitest.SpanFunc)
	defer multi.SetSpanFunc(nil)
	h, err := New(&Options{Endpoint: srv.URL + "/v1/logs", Encoding: JSON, Compression: None, Name: "scope-x",
		Resource: map[string]string{"service.name": "svc"}, Queue: delivery.Queue{FlushInterval: time.Hour},
		ErrorHandler: func(err error) { t.Error(err) }})
	if err != nil {
		t.Fatal(err)
	}
	l := slog.New(h).With("tenant", "acme").WithGroup("req").With("id", 7)
	ctx := multitest.WithSpan(context.Background(), sc)
	l.WarnContext(ctx, "slow \"q\"", "n", math.MaxInt64, "f", math.NaN(), "ok", true, "raw", []byte("hi"), slog.Group("u", "name", "ann"), slog.Group("empty"))
	slog.New(h).WithGroup("g").Info("bare")
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 {
		t.Fatalf("%d requests", len(bodies))
	}
	var req struct {
		ResourceLogs []struct {
			Resource struct {
				Attributes []map[string]any `json:"attributes"`
			} `json:"resource"`
			ScopeLogs []struct {
				Scope      struct{ Name string } `json:"scope"`
				LogRecords []map[string]any      `json:"logRecords"`
			} `json:"scopeLogs"`
		} `json:"resourceLogs"`
	}
	if err := json.Unmarshal(bodies[0], &req); err != nil {
		t.Fatalf("%v in %s", err, bodies[0])
	}
	sl := req.ResourceLogs[0].ScopeLogs[0]
	if sl.Scope.Name != "scope-x" || len(sl.LogRecords) != 2 {
		t.Fatalf("scope logs %+v", sl)
	}
	r := sl.LogRecords[0]
	got, _ := json.Marshal(map[string]any{"body": r["body"], "severityNumber": r["severityNumber"], "severityText": r["severityText"], "traceId": r["traceId"], "spanId": r["spanId"], "flags": r["flags"], "attributes": r["attributes"]})
	want := `{"attributes":[{"key":"tenant","value":{"stringValue":"acme"}},{"key":"req","value":{"kvlistValue":{"values":[{"key":"id","value":{"intValue":"7"}},{"key":"n","value":{"intValue":"9223372036854775807"}},{"key":"f","value":{"doubleValue":"NaN"}},{"key":"ok","value":{"boolValue":true}},{"key":"raw","value":{"bytesValue":"aGk="}},{"key":"u","value":{"kvlistValue":{"values":[{"key":"name","value":{"stringValue":"ann"}}]}}}]}}}],"body":{"stringValue":"slow \"q\""},"flags":1,"severityNumber":13,"severityText":"WARN","spanId":"aa00000000000001","traceId":"4b000000000000000000000000000036"}`
	if string(got) != want {
		t.Errorf("record\n got %s\nwant %s", got, want)
	}
	if _, ok := r["timeUnixNano"].(string); !ok {
		t.Errorf("timeUnixNano %v is not a string", r["timeUnixNano"])
	}
	if b := sl.LogRecords[1]; b["attributes"] != nil || b["traceId"] != nil {
		t.Errorf("a record with an empty group and no span: %v", b)
	}
}
