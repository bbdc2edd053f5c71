package multi_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
)

func TestParseLevel(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want slog.Level
	}{
		{"trace", multi.LevelTrace},
		{"TRACE", -8},
		{"debug", slog.LevelDebug},
		{"Info", slog.LevelInfo},
		{"warn", slog.LevelWarn},
		{"WARNING", slog.LevelWarn},
		{"error", slog.LevelError},
		{"critical", multi.LevelCritical},
		{"Fatal", multi.LevelCritical},
		{"INFO+2", 2},
		{"info-1", -1},
		{"ERROR+10", 18},
		{" debug ", slog.LevelDebug},
		{"-4", slog.LevelDebug},
		{"12", multi.LevelCritical},
		{"0", slog.LevelInfo},
	} {
		got, err := multi.ParseLevel(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseLevelRejectsAndQuotesInput(t *testing.T) {
	for _, in := range []string{"", "verbose", "INFO+", "INFO+x", "INFO++2", "+", "info 2", "1.5", "-INFO"} {
		_, err := multi.ParseLevel(in)
		if err == nil {
			t.Errorf("ParseLevel(%q) succeeded; want an error", in)
			continue
		}
		if want := `"` + in + `"`; !strings.Contains(err.Error(), want) {
			t.Errorf("ParseLevel(%q) error %q does not quote the input", in, err)
		}
	}
}

func TestLevelStringNamesEveryLevel(t *testing.T) {
	for _, tc := range []struct {
		l    slog.Level
		want string
	}{
		{-10, "TRACE-2"}, {-8, "TRACE"}, {-7, "TRACE+1"}, {-4, "DEBUG"}, {-1, "DEBUG+3"},
		{0, "INFO"}, {2, "INFO+2"}, {4, "WARN"}, {8, "ERROR"}, {11, "ERROR+3"},
		{12, "CRITICAL"}, {15, "CRITICAL+3"},
	} {
		if got := multi.LevelString(tc.l); got != tc.want {
			t.Errorf("LevelString(%d) = %q; want %q", tc.l, got, tc.want)
		}
		// Every name parses back to its level.
		if back, err := multi.ParseLevel(tc.want); err != nil || back != tc.l {
			t.Errorf("ParseLevel(%q) = %v, %v; want %d", tc.want, back, err, tc.l)
		}
	}
}

func TestAppendLevelDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 32)
	if n := testing.AllocsPerRun(100, func() { buf = multi.AppendLevel(buf[:0], 2) }); n != 0 {
		t.Fatalf("AppendLevel allocates %v times", n)
	}
}

func TestStatsAddSumsCountersAndKeepsLatest(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e1, e2 := errors.New("first"), errors.New("second")
	a := multi.Stats{Written: 1, Bytes: 10, Dropped: 2, Failed: 3, Retries: 4, Spooled: 5, Replayed: 6, Queued: 7,
		LastWrite: t0, LastError: e2, LastErrorTime: t0.Add(time.Minute)}
	b := multi.Stats{Written: 10, Bytes: 100, Dropped: 20, Failed: 30, Retries: 40, Spooled: 50, Replayed: 60, Queued: 70,
		LastWrite: t0.Add(time.Hour), LastError: e1, LastErrorTime: t0}
	got := a.Add(b)
	want := multi.Stats{Written: 11, Bytes: 110, Dropped: 22, Failed: 33, Retries: 44, Spooled: 55, Replayed: 66, Queued: 77,
		LastWrite: t0.Add(time.Hour), LastError: e2, LastErrorTime: t0.Add(time.Minute)}
	if got != want {
		t.Fatalf("Add = %+v\nwant  %+v", got, want)
	}
}
