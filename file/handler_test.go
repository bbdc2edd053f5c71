package file

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/format"
)

var _ multi.Sink = (*Handler)(nil)
var _ multi.RecordBorrower = (*Handler)(nil)

func TestNewDefaults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "app.log")
	h := open(t, path, nil)

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("New did not create the file and its directories: %v", err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("new file mode = %v, want 0600", got)
	}
	if h.Enabled(context.Background(), slog.LevelDebug) || !h.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("default level is not INFO")
	}
	handle(t, h, "hello", "k", 1, "s", "x y")
	if got := content(t, path); got != "" {
		t.Fatalf("a record reached the file before a flush: %q", got)
	}
	if q := h.Stats().Queued; q != 1 {
		t.Errorf("Queued = %d, want 1", q)
	}
	flush(t, h)
	want := line("hello", "k", 1, "s", "x y")
	if got := content(t, path); got != want {
		t.Fatalf("file = %q, want what slog.JSONHandler writes: %q", got, want)
	}
	st := h.Stats()
	if st.Written != 1 || st.Bytes != uint64(len(want)) || st.Queued != 0 || st.Dropped != 0 || st.LastWrite.IsZero() {
		t.Errorf("Stats = %+v, want 1 record of %d bytes written", st, len(want))
	}
	if h.Path() != path {
		t.Errorf("Path() = %q, want %q", h.Path(), path)
	}
}

func TestNewAppendsAndKeepsMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := open(t, path, &Options{Mode: 0o640})
	handle(t, h, "new")
	shutdown(t, h)
	if got, want := content(t, path), "old\n"+line("new"); got != want {
		t.Fatalf("file = %q, want %q", got, want)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode of existing file changed to %v", fi.Mode().Perm())
	}
}

func TestModeOfCreatedFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	h := open(t, path, &Options{Mode: 0o640, MaxSize: 1, Compress: true})
	handle(t, h, "one")
	handle(t, h, "two") // rotates: app.log.1, and a new app.log
	shutdown(t, h)
	for _, n := range []string{"app.log", "app.log.1.gz"} {
		fi, err := os.Stat(filepath.Join(filepath.Dir(path), n))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o640 {
			t.Errorf("%s mode = %v, want 0640", n, fi.Mode().Perm())
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok.log")
	blocker := filepath.Join(dir, "blocker")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		opts Options
		want string
	}{
		{ok, Options{MaxSize: -1}, "MaxSize is -1"},
		{ok, Options{MaxBackups: -2}, "MaxBackups is -2"},
		{ok, Options{MaxAge: -time.Hour}, "MaxAge is -1h0m0s"},
		{ok, Options{BufferSize: -1}, "BufferSize is -1"},
		{ok, Options{FlushInterval: -time.Second}, "FlushInterval is -1s"},
		{ok, Options{Mode: os.ModeSetuid | 0o600}, "Mode is"},
		{ok, Options{Format: format.Format(42)}, "Format"},
		{dir, Options{}, "is a directory; give the path of a file in it, such as " + filepath.Join(dir, "app.log")},
		{ok, Options{MaxSize: 100}, "MaxSize is 100 bytes, below the minimum of 64 KiB: MaxSize counts bytes, not megabytes as in lumberjack; for 100 MB write MaxSize: 100 << 20"},
		{ok, Options{MaxAge: 28}, "MaxAge is 28ns, below the minimum of 1m: MaxAge is a time.Duration, not days as in lumberjack; for 28 days write MaxAge: 28 * 24 * time.Hour"},
		{filepath.Join(blocker, "sub", "app.log"), Options{}, "create directory " + filepath.Join(blocker, "sub")},
		{filepath.Join(dir, "{date}", "app.log"), Options{}, "file name only"},
		{"", Options{}, "path is empty"},
	} {
		h, err := New(tc.path, &tc.opts)
		if err == nil {
			h.Shutdown(context.Background())
			t.Errorf("New(%q, %+v) succeeded, want an error naming %q", tc.path, tc.opts, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "file: ") {
			t.Errorf("New(%q, %+v) = %q, want it to start with \"file: \" and name %q", tc.path, tc.opts, err, tc.want)
		}
	}
	if _, err := os.Stat(ok); err == nil {
		t.Error("New created the file although its options were rejected")
	}
}

func TestHandleAfterShutdown(t *testing.T) {
	h := open(t, filepath.Join(t.TempDir(), "app.log"), nil)
	child := h.WithAttrs([]slog.Attr{slog.Int("a", 1)}).(*Handler)
	handle(t, child, "before")
	shutdown(t, h)
	if err := h.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown = %v, want nil", err)
	}
	for _, x := range []*Handler{h, child} {
		if err := x.Handle(context.Background(), record("after")); !errors.Is(err, multi.ErrClosed) {
			t.Errorf("Handle after Shutdown = %v, want ErrClosed", err)
		}
		if err := x.Flush(context.Background()); !errors.Is(err, multi.ErrClosed) {
			t.Errorf("Flush after Shutdown = %v, want ErrClosed", err)
		}
		if err := x.Rotate(); !errors.Is(err, multi.ErrClosed) {
			t.Errorf("Rotate after Shutdown = %v, want ErrClosed", err)
		}
		if err := x.Reopen(); !errors.Is(err, multi.ErrClosed) {
			t.Errorf("Reopen after Shutdown = %v, want ErrClosed", err)
		}
	}
	if st := h.Stats(); st.Written != 1 || st.Dropped != 2 {
		t.Errorf("Stats = %+v, want 1 written, 2 dropped", st)
	}
}

func TestWithAttrsSharesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	h := open(t, path, nil)
	a := h.WithGroup("g").WithAttrs([]slog.Attr{slog.String("x", "1")})
	b := h.WithGroup("g").WithAttrs([]slog.Attr{slog.String("y", "2")})
	handle(t, a, "a")
	handle(t, b, "b")
	if err := multi.Flush(context.Background(), b); err != nil { // reaches the shared file
		t.Fatal(err)
	}
	want := `{"time":"2024-05-01T12:00:00Z","level":"INFO","msg":"a","g":{"x":"1"}}` + "\n" +
		`{"time":"2024-05-01T12:00:00Z","level":"INFO","msg":"b","g":{"y":"2"}}` + "\n"
	if got := content(t, path); got != want {
		t.Fatalf("file = %q, want %q", got, want)
	}
}

func TestTwoHandlersOnOnePathShareAWriter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	before := fds(t)
	h1 := open(t, path, &Options{MaxSize: 4096})
	// The same file through another spelling of its path.
	h2 := open(t, filepath.Join(dir, ".", "x", "..", "app.log"), &Options{MaxSize: 4096, Format: format.Text})
	if h1.s.w != h2.s.w {
		t.Fatal("two handlers on one path got two writers")
	}
	if got := fdsTo(t, path); got != 1 {
		t.Errorf("%d descriptors open on the file, want 1", got)
	}
	if _, err := New(path, &Options{MaxSize: 8192, tiny: true}); err == nil || !strings.Contains(err.Error(), "MaxSize 4096, not 8192") {
		t.Errorf("New with other rotation options = %v, want an error naming MaxSize", err)
	}

	done := make(chan struct{})
	for _, h := range []*Handler{h1, h2} {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 500 {
				h.Handle(context.Background(), record(fmt.Sprintf("m%d", i), "pad", strings.Repeat("x", 50)))
			}
		}()
	}
	<-done
	<-done
	shutdown(t, h1)
	handle(t, h2, "after h1 left") // h2 still writes
	shutdown(t, h2)
	if got := fds(t); got != before {
		t.Errorf("open descriptors: %d before, %d after the last Shutdown", before, got)
	}
	var total int
	for _, n := range names(t, dir) {
		for _, l := range strings.SplitAfter(content(t, filepath.Join(dir, n)), "\n") {
			if l == "" {
				continue
			}
			total++
			if !(strings.HasPrefix(l, `{"time":`) && strings.HasSuffix(l, "}\n")) && !(strings.HasPrefix(l, "time=") && strings.HasSuffix(l, "\n")) {
				t.Fatalf("%s: a line was corrupted: %q", n, l)
			}
		}
	}
	if total != 1001 {
		t.Errorf("%d lines in the files, want 1001", total)
	}
	registry.Lock()
	defer registry.Unlock()
	if len(registry.m) != 0 {
		for k := range registry.m {
			if strings.HasPrefix(k, dir) {
				t.Errorf("writer of %s still registered after the last Shutdown", k)
			}
		}
	}
}

// Two handlers on one path, and one derived from them, write through one
// writer; a fan-out of them counts that writer's records once.
func TestFanOutOfHandlersOnOnePathCountsTheFileOnce(t *testing.T) {
	dir := t.TempDir()
	h1 := open(t, filepath.Join(dir, "app.log"), nil)
	h2 := open(t, filepath.Join(dir, "app.log"), nil)
	m := multi.New(h1, h2, h2.WithAttrs([]slog.Attr{slog.Int("k", 1)}))
	for i := range 10 {
		if err := m.Handle(context.Background(), record(fmt.Sprint("m", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := multi.Flush(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(content(t, filepath.Join(dir, "app.log")), "\n")
	if st := m.Stats(); lines != 30 || st.Written != 30 {
		t.Errorf("file has %d lines and the fan-out's Stats().Written = %d; want 30 and 30", lines, st.Written)
	}
	shutdown(t, h1)
	shutdown(t, h2)
}

func TestBufferFlushesWhenFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	l1, l2 := line("first"), line("second")
	h := open(t, path, &Options{BufferSize: len(l1) + len(l2) - 1})
	handle(t, h, "first")
	if got := content(t, path); got != "" {
		t.Fatalf("file = %q before the buffer filled", got)
	}
	handle(t, h, "second") // does not fit: the first is written out
	if got := content(t, path); got != l1 {
		t.Fatalf("file = %q, want the first record only", got)
	}
	// A record larger than the whole buffer is written straight through.
	big := strings.Repeat("b", 300)
	handle(t, h, big)
	if got, want := content(t, path), l1+l2+line(big); got != want {
		t.Fatalf("file = %q, want %q", got, want)
	}
}

func TestErrorHandlerNamesThePathOnly(t *testing.T) {
	// Compile-time and format check: errors start with "file: ACTION PATH: ".
	w := &writer{given: "logs/app.log", names: naming{dir: "/abs/logs", prefix: "app.log"}}
	err := w.errorf("write", &os.PathError{Op: "write", Path: "/abs/logs/app.log", Err: errors.New("no space left on device")})
	if got, want := err.Error(), "file: write logs/app.log: no space left on device"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

// The logging path allocates nothing per record: encoding into the format
// core's pooled buffer and the copy into the file's buffer. (Writing the
// buffer out when it fills costs one stat of the path, one small
// allocation per BufferSize bytes, which averages to 0 here.)
func TestLoggingPathDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items: allocations are not measurable")
	}
	for _, o := range []*Options{
		{BufferSize: 4096},
		// The clock is read once a record, to see whether the period ended.
		{BufferSize: 4096, RotateEvery: time.Hour, MaxSize: 1 << 20, MaxTotalSize: 8 << 20, Compression: Zstd},
	} {
		h := open(t, filepath.Join(t.TempDir(), "app.log"), o)
		l := slog.New(h)
		allocs := testing.AllocsPerRun(2000, func() {
			l.Info("request handled", "method", "GET", "status", 200, "path", "/api/v1/users")
		})
		if allocs != 0 {
			t.Errorf("%+v: %v allocations per record, want 0", o, allocs)
		}
		if h.Stats().Written == 0 {
			t.Error("the buffer was never written out during the measurement")
		}
	}
}

// The format options reach the core.
func TestFormatOptionsReachTheCore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	h := open(t, path, &Options{
		Format:     format.Text,
		Level:      slog.LevelDebug,
		Name:       "api",
		TimeFormat: "15:04",
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == "secret" {
				return slog.String("secret", "***")
			}
			return a
		},
	})
	r := slog.NewRecord(time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC), slog.LevelDebug, "hi", 0)
	r.Add("secret", "hunter2")
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	shutdown(t, h)
	if got, want := content(t, path), "time=12:30 level=DEBUG msg=hi logger=api secret=***\n"; got != want {
		t.Fatalf("file = %q, want %q", got, want)
	}
}
