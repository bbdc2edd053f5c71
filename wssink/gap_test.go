package wssink

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/internal/core"
)

// Records dropped while the server was away are told to it when the
// stream resumes: a WARN record ahead of the next batch, with the count,
// which Written does not include. Drops that happen while a gap record
// waits for the window are told by the next one: the counts add up.
func TestDropsAreToldByAGapRecord(t *testing.T) {
	var col collector
	srv := newDownServer(t, NewReceiver(col.handle, nil))
	o := fastOptions()
	o.Queue.Size, o.Queue.BatchSize = 1, 1
	o.MaxUnacked = 1
	o.ErrorHandler = func(error) {}
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	l := slog.New(h)
	for i := range 50 {
		l.Info("r", "i", i)
	}
	dropped := h.Stats().Dropped
	if dropped == 0 {
		t.Fatalf("stats %+v: nothing dropped with a queue of one record and the server down", h.Stats())
	}
	srv.start()
	eventually(t, 10*time.Second, "connected", h.Healthy)
	l.Info("after")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	shutdown(t, h)

	var gaps, others int
	var told uint64
	for _, r := range col.records() {
		var m map[string]any
		if err := json.Unmarshal(r, &m); err != nil {
			t.Fatalf("record %q: %v", r, err)
		}
		if m["msg"] != core.GapMessage {
			others++
			continue
		}
		gaps++
		n, _ := m["dropped"].(float64)
		told += uint64(n)
		if m["level"] != "WARN" || n < 1 || m["reason"] == "" || m["first_drop"] == nil || m["last_drop"] == nil {
			t.Errorf("gap record %s: want WARN, a count, a reason and the drop times", r)
		}
	}
	st := h.Stats()
	if gaps < 1 || told != dropped || uint64(others) != 51-dropped || st.Written != uint64(others) {
		t.Fatalf("%d gap records telling %d drops and %d others arrived, stats %+v: want gap records telling all %d drops and the %d records not dropped, all counted written",
			gaps, told, others, st, dropped, 51-dropped)
	}
}
