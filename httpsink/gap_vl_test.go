package httpsink

import (
	"context"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/vltest"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/internal/core"
)

// TestGapRecordReachesVictoriaLogs: records dropped while the collector
// answered 503 are told about, once delivery resumes, by one WARN record
// ahead of the new ones, found in a real VictoriaLogs with LogsQL. The
// default options (NDJSON) and the documented URL make _msg the message.
func TestGapRecordReachesVictoriaLogs(t *testing.T) {
	v := vltest.Start(t)
	target, err := url.Parse(v.Base)
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()

	down.Store(true)
	h := mustNew(t, srv.URL+"/insert/jsonline?_msg_field=msg&_time_field=time&_stream_fields=test",
		&Options{Retry: delivery.Retry{Max: -1}, Queue: delivery.Queue{BatchSize: 5}, ErrorHandler: func(error) {}})
	l := slog.New(h).With("test", "gap")
	for i := range 5 {
		l.Info("lost", "seq", i)
	}
	waitFor(t, "5 records dropped", 10*time.Second, func() bool { return h.Stats().Dropped == 5 })
	down.Store(false)
	l.Info("after")
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := h.Stats(); st.Written != 1 || st.Dropped != 5 {
		t.Fatalf("stats %+v, want 1 written (the gap record is not counted), 5 dropped", st)
	}
	v.Flush(t)
	rows := v.Query(t, `_msg:"`+core.GapMessage+`" | fields _msg, _time, level, dropped, reason, first_drop, last_drop`)
	if len(rows) != 1 {
		t.Fatalf("LogsQL found %d gap records, want 1: %v", len(rows), rows)
	}
	g := rows[0]
	if g["level"] != "WARN" || g["dropped"] != "5" || g["reason"] == "" || g["first_drop"] == "" || g["last_drop"] == "" {
		t.Fatalf("gap record %v, want level WARN, dropped 5, a reason and both drop times", g)
	}
	first, err1 := time.Parse(time.RFC3339Nano, g["first_drop"])
	last, err2 := time.Parse(time.RFC3339Nano, g["last_drop"])
	if err1 != nil || err2 != nil || last.Before(first) {
		t.Fatalf("drop times %q..%q", g["first_drop"], g["last_drop"])
	}
	after := v.Query(t, `_msg:after | fields _msg, test`)
	if len(after) != 1 || after[0]["_msg"] != "after" || after[0]["test"] != "gap" {
		t.Fatalf("LogsQL _msg:after found %v, want the record with _msg the message", after)
	}
	t.Logf("gap record in VictoriaLogs: %v (reason %s)", g, strconv.Quote(g["reason"]))
}
