package file

import (
	"path/filepath"
	"testing"
)

// On a disk too small for the side file, the buffer lives on the heap:
// New succeeds, says once that a kill would lose the buffer, and records
// are written as before.
func TestNoRoomForTheSideFileFallsBackToTheHeap(t *testing.T) {
	dir := t.TempDir()
	mount(t, "tmpfs", dir, "tmpfs", 0, "size=32k")
	var e errs
	path := filepath.Join(dir, "app.log")
	h := open(t, path, &Options{ErrorHandler: e.handle})
	handle(t, h, "one")
	flush(t, h)
	if got, want := content(t, path), line("one"); got != want {
		t.Fatalf("log = %q, want %q", got, want)
	}
	if !e.has("file: buffer of " + path + " in memory only, lost if the process is killed: side file .app.log.buf: allocate") {
		t.Fatalf("ErrorHandler heard %v, want the fallback to the heap named", e.all())
	}
	if n := len(e.all()); n != 1 {
		t.Fatalf("ErrorHandler heard %d errors (%v), want 1", n, e.all())
	}
	if names(t, dir)[0] != "app.log" || len(names(t, dir)) != 1 {
		t.Fatalf("files = %q, want app.log alone", names(t, dir))
	}
}
