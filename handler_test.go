package multi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/multitest"
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

// withDefault saves slog's default logger, the log package's output and
// flags, and os.Stderr, which it replaces with a file it returns; all are
// restored when the test ends.
func withDefault(t *testing.T) *os.File {
	t.Helper()
	oldDefault, oldOut, oldFlags, oldStderr := slog.Default(), log.Writer(), log.Flags(), os.Stderr
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	os.Stderr = f
	t.Cleanup(func() {
		slog.SetDefault(oldDefault)
		log.SetOutput(oldOut) // SetDefault of slog's own default leaves log's output alone
		log.SetFlags(oldFlags)
		os.Stderr = oldStderr
		f.Close()
	})
	return f
}

func readFile(t *testing.T, f *os.File) string {
	t.Helper()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// After multi.Shutdown of the tree slog.Default writes to, later slog and
// log calls print on stderr instead of vanishing into shut-down sinks.
func TestShutdownGivesTheDefaultLoggerStderr(t *testing.T) {
	for name, tc := range map[string]struct {
		def      func(h *multi.Handler) *slog.Logger
		shutdown func(h *multi.Handler) error
	}{
		"the tree": {
			func(h *multi.Handler) *slog.Logger { return slog.New(h) },
			func(h *multi.Handler) error { return multi.Shutdown(context.Background(), h) },
		},
		"a logger derived with With, shut down by the method": {
			func(h *multi.Handler) *slog.Logger { return slog.New(h).With("app", "api").WithGroup("g") },
			func(h *multi.Handler) error { return h.Shutdown(context.Background()) },
		},
		"the tree behind MinLevel": {
			func(h *multi.Handler) *slog.Logger { return slog.New(multi.MinLevel(h, slog.LevelDebug)) },
			func(h *multi.Handler) error { return multi.Shutdown(context.Background(), h) },
		},
	} {
		t.Run(name, func(t *testing.T) {
			stderr := withDefault(t)
			a, b := multitest.NewRecorder(&multitest.Options{Level: slog.LevelDebug}), multitest.NewRecorder(&multitest.Options{Level: slog.LevelDebug})
			h := multi.New(a, multi.MinLevel(b, slog.LevelInfo))
			slog.SetDefault(tc.def(h))
			slog.Info("before")
			if err := tc.shutdown(h); err != nil {
				t.Fatal(err)
			}
			slog.Info("after", "k", 1)
			log.Print("from the log package")
			slog.Debug("below INFO")

			got := readFile(t, stderr)
			for _, want := range []string{"level=INFO msg=after k=1\n", `level=INFO msg="from the log package"` + "\n"} {
				if !strings.Contains(got, want) {
					t.Errorf("stderr = %q; want a line with %q", got, want)
				}
			}
			if strings.Count(got, "\n") != 2 {
				t.Errorf("stderr = %q; want the two lines at INFO", got)
			}
			if m := a.Messages(); len(m) != 1 || m[0] != "before" {
				t.Errorf("the shut-down sink got %q; want [before]", m)
			}
		})
	}
}

// A default that writes elsewhere too, or to another tree, is left alone:
// its other destinations still work.
func TestShutdownLeavesAnotherDefaultAlone(t *testing.T) {
	stderr := withDefault(t)
	old, live := multitest.NewRecorder(nil), multitest.NewRecorder(nil)
	for name, def := range map[string]slog.Handler{
		"a new tree":                          multi.New(live),
		"a tree with another sink":            multi.New(old, live),
		"a tree sharing a sink":               multi.New(live.WithAttrs([]slog.Attr{slog.Int("a", 1)})),
		"a handler with nothing to shut down": slog.NewTextHandler(io.Discard, nil),
	} {
		l := slog.New(def)
		slog.SetDefault(l)
		if err := multi.Shutdown(context.Background(), multi.New(old)); err != nil {
			t.Fatal(err)
		}
		if slog.Default() != l {
			t.Errorf("%s: Shutdown of another tree replaced the default", name)
		}
	}
	// Nothing to shut down in the tree: the default stays even when it is the tree.
	text := slog.NewTextHandler(io.Discard, nil)
	l := slog.New(text)
	slog.SetDefault(l)
	if err := multi.Shutdown(context.Background(), text); err != nil || slog.Default() != l {
		t.Errorf("Shutdown of a handler with nothing to shut down replaced the default (err %v)", err)
	}
	if got := readFile(t, stderr); got != "" {
		t.Errorf("stderr = %q; want nothing", got)
	}
}

// The same through the policies: a default logger derived from a Sample,
// Route or Failover tree is given stderr by Shutdown of the tree, by
// multi.Shutdown or by the tree's own method.
func TestShutdownGivesTheDefaultLoggerStderrThroughPolicies(t *testing.T) {
	for name, wrap := range map[string]func(t *testing.T, h slog.Handler) slog.Handler{
		"Sample": func(t *testing.T, h slog.Handler) slog.Handler { return mustSample(t, h, nil) },
		"Route": func(t *testing.T, h slog.Handler) slog.Handler {
			return mustRoute(t, nil, multi.Rule{When: multi.MatchLevel(slog.LevelError), To: h}, multi.Rule{To: h})
		},
		"Failover": func(t *testing.T, h slog.Handler) slog.Handler {
			return mustFailover(t, nil, h, h.WithAttrs([]slog.Attr{slog.Int("k", 1)}))
		},
	} {
		for _, byMethod := range []bool{false, true} {
			t.Run(fmt.Sprint(name, "/method=", byMethod), func(t *testing.T) {
				stderr := withDefault(t)
				a := multitest.NewRecorder(nil)
				tree := wrap(t, multi.New(a))
				slog.SetDefault(slog.New(tree).With("app", "api"))
				slog.Info("before")
				var err error
				if byMethod {
					err = tree.(multi.Shutdowner).Shutdown(context.Background())
				} else {
					err = multi.Shutdown(context.Background(), tree)
				}
				if err != nil {
					t.Fatal(err)
				}
				slog.Info("after")
				if got := readFile(t, stderr); !strings.Contains(got, "level=INFO msg=after\n") {
					t.Errorf("stderr = %q; want the record logged after Shutdown", got)
				}
				if a.Shutdowns() == 0 {
					t.Error("the sink behind the policy was not shut down")
				}
			})
		}
	}
}
