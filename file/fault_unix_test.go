//go:build unix

package file

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A side file cut short under the process (by another process, or a
// copy-on-write file system out of space) makes a store into its mapping
// fault: the handler gives it up for a buffer on the heap, counts the
// records it held as dropped and says so, and goes on writing; nothing
// kills the process (SIGBUS).
func TestTruncatedSideFileFaultsWithoutKillingTheProcess(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	var mu sync.Mutex
	var errs []string
	h, err := New(path, &Options{FlushInterval: time.Hour, ErrorHandler: func(err error) {
		mu.Lock()
		errs = append(errs, err.Error())
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	l := slog.New(h)
	l.Info("held 1")
	l.Info("held 2")
	if err := os.Truncate(filepath.Join(dir, ".app.log.buf"), 0); err != nil {
		t.Fatal(err)
	}
	l.Info("after") // faults, in the mapping's first page
	l.Info("after 2")
	shutdown(t, h)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "\n"); got != 2 || !strings.Contains(string(b), `"msg":"after"`) || !strings.Contains(string(b), `"msg":"after 2"`) {
		t.Errorf("log holds %d lines, want the 2 after the fault:\n%s", got, b)
	}
	if st := h.Stats(); st.Written != 2 || st.Dropped != 2 {
		t.Errorf("Written %d, Dropped %d; want 2 and 2 (the records the side file held)", st.Written, st.Dropped)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) == 0 || !strings.Contains(strings.Join(errs, "\n"), "faulted") {
		t.Errorf("errors %q, want one saying the side file faulted", errs)
	}
}
