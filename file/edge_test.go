package file

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A Shutdown whose context has already ended, on a file with nothing to
// compress, writes the records out and returns nil: no compression was cut
// short.
func TestShutdownWithEndedContextAndNothingToCompressSucceeds(t *testing.T) {
	for _, compress := range []bool{false, true} {
		dir := t.TempDir()
		var e errs
		h, err := New(filepath.Join(dir, "app.log"), &Options{Compress: compress, ErrorHandler: e.handle})
		if err != nil {
			t.Fatal(err)
		}
		write(t, h, "a")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("Compress %v: Shutdown with an ended context = %v, want nil", compress, err)
		}
		if len(e.all()) != 0 {
			t.Errorf("Compress %v: ErrorHandler got %v, want nothing", compress, e.all())
		}
		expect(t, dir, map[string][]string{"app.log": {"a"}})
	}
}

// A rotation keeps MaxBackups backups even when the numbers have a gap
// (NAME.1 removed by hand): the backups shift up, and only those past
// MaxBackups counted in order go, not those whose number is past it.
func TestRotateWithAGapInTheBackupsKeepsMaxBackups(t *testing.T) {
	dir := t.TempDir()
	for n, m := range map[string]string{"app.log.2": "two", "app.log.3": "three"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(lines(m)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h := open(t, filepath.Join(dir, "app.log"), &Options{MaxBackups: 3})
	write(t, h, "one")
	if err := h.Rotate(); err != nil {
		t.Fatal(err)
	}
	shutdown(t, h)
	expect(t, dir, map[string][]string{
		"app.log":   nil,
		"app.log.1": {"one"},
		"app.log.3": {"two"},
		"app.log.4": {"three"},
	})
}

// The same file reached through a symbolic link to its directory is the
// same path spelt otherwise: the handlers share one writer.
func TestHandlersOnOnePathThroughASymlinkShareAWriter(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "logs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Skipf("cannot make a symbolic link: %v", err)
	}
	h1 := open(t, filepath.Join(dir, "app.log"), &Options{MaxSize: 4096})
	h2 := open(t, filepath.Join(link, "app.log"), &Options{MaxSize: 4096})
	if h1.s.w != h2.s.w {
		t.Fatal("two handlers on one file, through a symbolic link, got two writers")
	}
	// A directory below the link that does not exist yet is the same too.
	h3 := open(t, filepath.Join(dir, "sub", "app.log"), nil)
	h4 := open(t, filepath.Join(link, "sub", "app.log"), nil)
	if h3.s.w != h4.s.w {
		t.Fatal("two handlers on one new file, through a symbolic link, got two writers")
	}
	if got, want := h2.Path(), filepath.Join(dir, "app.log"); got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
	for _, h := range []*Handler{h1, h2, h3, h4} {
		shutdown(t, h)
	}
}

// Reopen after the directory was removed does what the next write would:
// it recreates the directory, reports that the records written to it are
// gone, and writes the records still buffered to the new file rather than
// to the removed one.
func TestReopenAfterTheDirectoryWasRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	path := filepath.Join(dir, "app.log")
	var e errs
	h := open(t, path, &Options{ErrorHandler: e.handle})
	write(t, h, "a")
	flush(t, h)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	write(t, h, "b")
	if err := h.Reopen(); err != nil {
		t.Fatalf("Reopen = %v", err)
	}
	write(t, h, "c")
	shutdown(t, h)
	if !e.has("file: write " + path + ": the directory was removed") {
		t.Errorf("ErrorHandler got %v, want the removal reported", e.all())
	}
	if st := h.Stats(); st.Written != 3 || st.Dropped != 0 {
		t.Errorf("Stats = %+v, want 3 written", st)
	}
	if got := content(t, path); !strings.Contains(got, lines("b")) {
		t.Fatalf("file = %q, want the records buffered at Reopen, then the later ones", got)
	}
	expect(t, dir, map[string][]string{"app.log": {"b", "c"}})
}

// logrotate moves the file to NAME.1, one of our backup names, and a pass
// of the mill (a MaxAge sweep, say) runs before the SIGHUP arrives; Reopen
// then writes the buffered records to the moved file. The mill must not
// compress and remove a file the writer still writes to: the archive holds
// every record.
func TestReopenWhileTheMovedFileIsBeingCompressedLosesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	h := open(t, path, &Options{Compress: true})
	w := h.s.w
	write(t, h, "a")
	flush(t, h)
	write(t, h, "b") // buffered when logrotate moves the file
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	var armed atomic.Bool
	hook := func(string) {
		if armed.CompareAndSwap(true, false) {
			if err := h.Reopen(); err != nil { // SIGHUP while the archive is made
				t.Errorf("Reopen = %v", err)
			}
		}
	}
	w.compressHook.Store(&hook)
	armed.Store(true)
	// Three requests: the third is taken once the pass started by the first
	// is over.
	for range 3 {
		select {
		case w.millReq <- struct{}{}:
		case <-time.After(10 * time.Second):
			t.Fatal("the mill does not take requests")
		}
	}
	if armed.CompareAndSwap(true, false) { // the mill left app.log.1 alone
		if err := h.Reopen(); err != nil {
			t.Fatalf("Reopen = %v", err)
		}
	}
	write(t, h, "c")
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app.log.1.gz": {"a", "b"}, "app.log": {"c"}})
}
