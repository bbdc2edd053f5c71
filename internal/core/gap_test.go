package core

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestGapRecord(t *testing.T) {
	var g Gap
	if got := g.Take().Append(nil, time.Now(), ""); got != nil {
		t.Fatalf("gap record with no drops: %s", got)
	}
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	g.Add(3, errors.New("queue full"), t0)
	g.Add(2, errors.New(`queue "full" again`), t0.Add(time.Second))
	d := g.Take()
	line := d.Append(nil, t0.Add(2*time.Second), "app")
	var rec map[string]any
	if err := json.Unmarshal(line, &rec); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	want := map[string]any{"time": "2026-12-03T10:00:02Z", "level": "WARN", "logger": "app", "msg": GapMessage,
		"dropped": 5.0, "reason": "queue full" /* the first drop's: what started the gap */, "first_drop": "2026-12-03T10:00:00Z", "last_drop": "2026-12-03T10:00:01Z"}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v (%s)", k, rec[k], v, line)
		}
	}
	if g.Pending() {
		t.Error("drops still pending after the gap record")
	}
	g.Add(1, errors.New("later"), t0.Add(3*time.Second))
	g.Restore(d)
	if r := g.Take(); r.N != 6 || !r.First.Equal(t0) || !r.Last.Equal(t0.Add(3*time.Second)) || r.Reason.Error() != "queue full" {
		t.Errorf("after Restore: %+v, want 6 drops from t0 to t0+3s, the reason of the first", r)
	}
}

func TestGapAddDoesNotAllocate(t *testing.T) {
	var g Gap
	err := errors.New("x")
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() { g.Add(1, err, now) }); n != 0 {
		t.Errorf("Add: %v allocs", n)
	}
}
