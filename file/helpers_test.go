package file

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// open returns a handler on path that is shut down when the test ends.
//
// It lifts MinMaxSize and MinMaxAge, so that tests can rotate at a few
// bytes.
func open(t testing.TB, path string, opts *Options) *Handler {
	t.Helper()
	if opts != nil {
		opts.tiny = true
	}
	h, err := New(path, opts)
	if err != nil {
		t.Fatalf("New(%q): %v", path, err)
	}
	t.Cleanup(func() { h.Shutdown(context.Background()) })
	return h
}

func shutdown(t testing.TB, h *Handler) {
	t.Helper()
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func flush(t testing.TB, h *Handler) {
	t.Helper()
	if err := h.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// record makes a record at a fixed time, so that lines are exact.
func record(msg string, args ...any) slog.Record {
	r := slog.NewRecord(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), slog.LevelInfo, msg, 0)
	r.Add(args...)
	return r
}

func handle(t testing.TB, h slog.Handler, msg string, args ...any) {
	t.Helper()
	if err := h.Handle(context.Background(), record(msg, args...)); err != nil {
		t.Fatalf("Handle(%q): %v", msg, err)
	}
}

// line is what slog.JSONHandler writes for record(msg, args...).
func line(msg string, args ...any) string {
	var b bytes.Buffer
	slog.NewJSONHandler(&b, nil).Handle(context.Background(), record(msg, args...))
	return b.String()
}

// content reads a file, gunzipping a .gz.
func content(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	switch {
	case strings.HasSuffix(path, ".gz"):
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("gunzip %s: %v", path, err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatalf("gunzip %s: %v", path, err)
		}
	case strings.HasSuffix(path, ".zst"):
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("unzstd %s: %v", path, err)
		}
		defer zr.Close()
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatalf("unzstd %s: %v", path, err)
		}
	}
	return string(b)
}

// isArchive reports whether name is a compressed backup's.
func isArchive(name string) bool {
	return strings.HasSuffix(name, ".gz") || strings.HasSuffix(name, ".zst")
}

// names lists a directory's entries, sorted.
func names(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var out []string
	for _, e := range ents {
		if n := e.Name(); sideName(n) != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// sideName is "" for the name of a side file (.NAME.buf), which names
// leaves out, and name otherwise.
func sideName(name string) string {
	if strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".buf") {
		return ""
	}
	return name
}

// gzipTest runs the real gzip -t on .gz archives and the real zstd -t on
// .zst ones. A missing tool fails the test when the environment has CI
// set (scripts/compressors.sh installs both), and skips it otherwise.
func gzipTest(t testing.TB, paths ...string) {
	t.Helper()
	byTool := map[string][]string{}
	for _, p := range paths {
		tool := "gzip"
		if strings.HasSuffix(p, ".zst") {
			tool = "zstd"
		}
		byTool[tool] = append(byTool[tool], p)
	}
	for _, tool := range []string{"gzip", "zstd"} {
		if len(byTool[tool]) == 0 {
			continue
		}
		bin, err := exec.LookPath(tool)
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s -t needs %s (scripts/compressors.sh installs it): %v", tool, tool, err)
			} else {
				t.Skipf("%s -t needs %s; run scripts/compressors.sh: %v", tool, tool, err)
			}
			return
		}
		args := append([]string{"-t", "-q"}, byTool[tool]...)
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s -t %v: %v\n%s", tool, byTool[tool], err, out)
		}
	}
}

// msgs returns the "msg" of every JSON line, failing on a line that is not
// a whole JSON object.
func msgs(t testing.TB, s string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if l == "" {
			continue
		}
		var m struct{ Msg string }
		if !strings.HasSuffix(l, "\n") || json.Unmarshal([]byte(l), &m) != nil {
			t.Fatalf("not a whole JSON line: %q", l)
		}
		out = append(out, m.Msg)
	}
	return out
}

// clock is a settable time for date rotation and MaxAge.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// errs collects what an ErrorHandler is told.
type errs struct {
	mu   sync.Mutex
	list []error
}

func (e *errs) handle(err error) {
	e.mu.Lock()
	e.list = append(e.list, err)
	e.mu.Unlock()
}

func (e *errs) all() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.list)
}

func (e *errs) has(sub string) bool {
	for _, err := range e.all() {
		if strings.Contains(err.Error(), sub) {
			return true
		}
	}
	return false
}

// eventually polls cond until it holds or a deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// fds counts this process's open file descriptors.
func fds(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	return len(ents)
}

// fdsTo counts this process's descriptors open on path.
func fdsTo(t testing.TB, path string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot list descriptors: %v", err)
	}
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && target == path {
			n++
		}
	}
	return n
}

// ours counts the goroutines of this package's writers: flush goroutines
// and mills.
func ours() (flushers, mills int) {
	for _, g := range stacks() {
		if strings.Contains(g, "file.(*writer).flusher(") {
			flushers++
		}
		if strings.Contains(g, "file.(*writer).mill(") {
			mills++
		}
	}
	return flushers, mills
}

// stacks returns the stack dump of every goroutine, one string each.
func stacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(string(buf[:n]), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}
