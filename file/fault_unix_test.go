//go:build unix

package file

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A side file cut short under the process (by another process, or a
// copy-on-write file system out of space) makes a store into its mapping
// fault: the handler gives it up for a buffer on the heap, counts the
// records it held as dropped and says so once, and goes on writing;
// nothing kills the process (SIGBUS).
func TestTruncatedSideFileFaultsWithoutKillingTheProcess(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	e := &errs{}
	h := open(t, path, &Options{FlushInterval: time.Hour, ErrorHandler: e.handle})
	handle(t, h, "held 1")
	handle(t, h, "held 2")
	if err := os.Truncate(filepath.Join(dir, ".app.log.buf"), 0); err != nil {
		t.Fatal(err)
	}
	handle(t, h, "after") // faults, in the mapping's first page
	handle(t, h, "after 2")
	shutdown(t, h)
	if got := msgs(t, content(t, path)); !slices.Equal(got, []string{"after", "after 2"}) {
		t.Errorf("log holds %q, want the 2 records after the fault", got)
	}
	if st := h.Stats(); st.Written != 2 || st.Dropped != 2 {
		t.Errorf("Written %d, Dropped %d; want 2 and 2 (the records the side file held)", st.Written, st.Dropped)
	}
	faulted := 0
	for _, err := range e.all() {
		if strings.Contains(err.Error(), "faulted") {
			faulted++
		}
	}
	if faulted != 1 {
		t.Errorf("errors %q: %d say the side file faulted, want 1", e.all(), faulted)
	}
}
