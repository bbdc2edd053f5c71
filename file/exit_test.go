package file

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jinpy-utils/multi"
)

// TestErrorBeforeExitIsInTheFile runs a child that logs an INFO and an
// ERROR and calls os.Exit(1) at once, as log.Fatal does: both lines must be
// in the file, the INFO first, though nothing flushed or shut down.
func TestErrorBeforeExitIsInTheFile(t *testing.T) {
	if path := os.Getenv("FILE_TEST_EXIT_CHILD"); path != "" {
		h, err := New(path, nil)
		if err != nil {
			os.Exit(3)
		}
		l := slog.New(h)
		l.Info("starting", "n", 1)
		l.Error("cannot listen", "addr", ":8080")
		os.Exit(1)
	}
	path := filepath.Join(t.TempDir(), "app.log")
	cmd := exec.Command(os.Args[0], "-test.run=^TestErrorBeforeExitIsInTheFile$")
	cmd.Env = append(os.Environ(), "FILE_TEST_EXIT_CHILD="+path)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("child: %v, want exit status 1; output:\n%s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"msg":"starting"`) || !strings.Contains(lines[1], `"msg":"cannot listen"`) {
		t.Fatalf("file holds %q, want the INFO line then the ERROR line", b)
	}
}

// TestFlushLevel: a record below FlushLevel waits in the buffer; one at it
// is written, after the records before it, before Handle returns.
func TestFlushLevel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	h := open(t, path, &Options{FlushLevel: slog.LevelWarn, FlushInterval: 1 << 40})
	l := slog.New(h)
	l.Info("one")
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Fatalf("an INFO record below FlushLevel WARN was written at once: %q", b)
	}
	l.Warn("two")
	b, _ := os.ReadFile(path)
	if n := bytes.Count(b, []byte("\n")); n != 2 || bytes.Index(b, []byte(`"one"`)) > bytes.Index(b, []byte(`"two"`)) {
		t.Fatalf("after a WARN at FlushLevel WARN the file holds %q, want one then two", b)
	}
	// A derived handler keeps the parent's FlushLevel.
	l.With("k", 1).WithGroup("g").Warn("three")
	if b, _ := os.ReadFile(path); bytes.Count(b, []byte("\n")) != 3 {
		t.Fatalf("a derived handler did not flush at WARN: %q", b)
	}
}

// TestFirstRefusalAfterShutdownIsReported: records after Shutdown are
// counted, and the first is reported, once.
func TestFirstRefusalAfterShutdownIsReported(t *testing.T) {
	var mu sync.Mutex
	var got []error
	h, err := New(filepath.Join(t.TempDir(), "app.log"), &Options{ErrorHandler: func(err error) {
		mu.Lock()
		got = append(got, err)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	l := slog.New(h.WithAttrs([]slog.Attr{slog.Int("k", 1)}))
	l.Info("before")
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		l.Info("after")
	}
	if d := h.Stats().Dropped; d != 3 {
		t.Errorf("Dropped = %d, want 3", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !errors.Is(got[0], multi.ErrClosed) || !strings.Contains(got[0].Error(), "refused after Shutdown") {
		t.Fatalf("reports = %v, want one naming the refusal after Shutdown", got)
	}
}
