//go:build linux

package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mount mounts a filesystem for a fault test and unmounts it when the test
// ends. Without the right to mount (not root, or no CAP_SYS_ADMIN in this
// container) the test is skipped, saying so.
func mount(t *testing.T, source, target, fstype string, flags uintptr, data string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("fault test needs root to mount a small tmpfs; skipped")
	}
	if err := syscall.Mount(source, target, fstype, flags, data); err != nil {
		if errors.Is(err, syscall.EPERM) {
			t.Skipf("fault test cannot mount here (%v); skipped", err)
		}
		t.Fatalf("mount %s on %s: %v", fstype, target, err)
	}
	t.Cleanup(func() {
		// EINVAL: the test unmounted it already.
		if err := syscall.Unmount(target, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
			t.Errorf("unmount %s: %v", target, err)
		}
	})
}

// fill writes to a file until the filesystem is full, then frees free
// bytes of it.
func fill(t *testing.T, path string, free int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	var n int64
	for {
		m, err := f.Write(chunk)
		n += int64(m)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(n - free); err != nil {
		t.Fatal(err)
	}
}

// A full disk: the buffer write stops part way; the file is cut back to the
// last whole record; what is not written stays in memory (BufferSize bytes
// at most); later records are dropped and counted; the error reaches Stats
// and ErrorHandler and the handler is unhealthy; once there is room again
// the flush goroutine writes what was held, on its own. In the end the file
// holds exactly the records that were not dropped, in order, each whole.
func TestDiskFullHoldsThenDropsThenRecovers(t *testing.T) {
	dir := t.TempDir()
	mount(t, "tmpfs", dir, "tmpfs", 0, "size=64k")
	filler := filepath.Join(dir, "filler")
	fill(t, filler, 4096) // one page left
	path := filepath.Join(dir, "app.log")
	var e errs
	h := open(t, path, &Options{BufferSize: 8192, FlushInterval: 20 * time.Millisecond, ErrorHandler: e.handle})

	var kept, dropped []string
	pad := strings.Repeat("p", 80)
	for i := range 200 {
		m := fmt.Sprintf("rec-%03d-%s", i, pad)
		if err := h.Handle(context.Background(), record(m)); err != nil {
			if !errors.Is(err, errDropped) {
				t.Fatalf("Handle: %v, want a drop", err)
			}
			dropped = append(dropped, m)
			continue
		}
		kept = append(kept, m)
	}
	if len(dropped) == 0 {
		t.Fatal("no record was dropped although the disk is full and the buffer holds 8 KiB")
	}
	if err := h.Flush(context.Background()); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Flush = %v, want ENOSPC", err)
	}
	st := h.Stats()
	if h.Healthy() || st.Failed == 0 || !errors.Is(st.LastError, syscall.ENOSPC) || st.Dropped != uint64(len(dropped)) {
		t.Fatalf("healthy %v, Stats %+v: want unhealthy, failures, ENOSPC, %d dropped", h.Healthy(), st, len(dropped))
	}
	if want := "file: write " + path + ": no space left on device"; !e.has(want) {
		t.Errorf("ErrorHandler got %v, want %q", e.all(), want)
	}
	if !e.has("dropping new records") {
		t.Errorf("ErrorHandler was not told about the drops: %v", e.all())
	}
	if st.Written == 0 {
		t.Error("nothing of the partial write was kept: want the records that fit")
	}
	// The file ends with a whole record, never half a line.
	if got := content(t, path); got != lines(kept[:st.Written]...) {
		t.Fatalf("file during the outage = %q, want the first %d records whole", got, st.Written)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the flush goroutine writes the held records", func() bool {
		return h.Healthy() && h.Stats().Queued == 0
	})
	st = h.Stats()
	if st.Written != uint64(len(kept)) || st.Written+st.Dropped != 200 {
		t.Errorf("Stats = %+v: want %d written, %d dropped", st, len(kept), len(dropped))
	}
	write(t, h, "after")
	shutdown(t, h)
	if got := msgs(t, content(t, path)); strings.Join(got, ",") != strings.Join(append(kept, "after"), ",") {
		t.Fatalf("file holds %q, want the %d records kept and then \"after\"", got, len(kept))
	}
}

// A read-only directory (a read-only bind mount over it): the open file
// stays writable, so records keep flowing into it, but rotation and reopen
// cannot create a file: the error reaches Stats and ErrorHandler and the
// handler is unhealthy until a rotation succeeds again. A file that must be
// created anew (it was removed) cannot be: records are held, then written
// by the flush goroutine once the directory is writable again.
func TestReadOnlyDirectory(t *testing.T) {
	base := t.TempDir()
	mount(t, "tmpfs", base, "tmpfs", 0, "size=1m")
	dir := filepath.Join(base, "logs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "app.log")
	var e errs
	h := open(t, path, &Options{FlushInterval: 20 * time.Millisecond, ErrorHandler: e.handle})
	write(t, h, "a")
	flush(t, h)

	readOnly := func() (undo func()) {
		mount(t, dir, dir, "", syscall.MS_BIND, "")
		if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
			t.Fatalf("remount read-only: %v", err)
		}
		return func() {
			if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
				t.Fatalf("unmount: %v", err)
			}
		}
	}
	undo := readOnly()
	write(t, h, "b")
	if err := h.Rotate(); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("Rotate in a read-only directory = %v, want EROFS", err)
	}
	if err := h.Reopen(); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("Reopen in a read-only directory = %v, want EROFS", err)
	}
	if h.Healthy() || !errors.Is(h.Stats().LastError, syscall.EROFS) || !e.has("file: rotate "+path+": ") {
		t.Fatalf("healthy %v, LastError %v, ErrorHandler %v: want unhealthy with EROFS", h.Healthy(), h.Stats().LastError, e.all())
	}
	write(t, h, "c")
	flush(t, h) // the open file still takes records
	if got := content(t, path); got != lines("a", "b", "c") {
		t.Fatalf("file = %q", got)
	}
	undo()
	if err := h.Rotate(); err != nil {
		t.Fatalf("Rotate once writable: %v", err)
	}
	if !h.Healthy() {
		t.Error("unhealthy after a rotation succeeded")
	}

	// The live file removed, then the directory made read-only.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	undo = readOnly()
	write(t, h, "d")
	if err := h.Flush(context.Background()); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("Flush = %v, want EROFS", err)
	}
	if h.Healthy() || h.Stats().Queued != 1 {
		t.Fatalf("healthy %v, Queued %d: want unhealthy, the record held", h.Healthy(), h.Stats().Queued)
	}
	undo()
	eventually(t, "the flush goroutine writes the held record", func() bool {
		return h.Healthy() && h.Stats().Queued == 0
	})
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app.log.1": {"a", "b", "c"}, "app.log": {"d"}})
}

// The directory removed while logging: the next write recreates it and the
// file, reports what happened, and goes on. If the directory cannot come
// back (a file took its name), records are held and written by the flush
// goroutine once it can.
func TestDirectoryRemovedWhileLogging(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "logs")
	path := filepath.Join(dir, "app.log")
	var e errs
	h := open(t, path, &Options{FlushInterval: 20 * time.Millisecond, ErrorHandler: e.handle})
	write(t, h, "a")
	flush(t, h)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	write(t, h, "b")
	flush(t, h)
	if got := content(t, path); got != lines("b") {
		t.Fatalf("recreated file = %q", got)
	}
	if st := h.Stats(); st.Failed != 1 || !strings.Contains(fmt.Sprint(st.LastError), "directory was removed") || !e.has("file: write "+path+": the directory was removed") {
		t.Fatalf("Stats %+v, ErrorHandler %v: want the removal reported once", st, e.all())
	}
	if !h.Healthy() {
		t.Error("unhealthy after the file was recreated and written")
	}

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o600); err != nil { // the directory cannot come back
		t.Fatal(err)
	}
	write(t, h, "c")
	if err := h.Flush(context.Background()); !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("Flush = %v, want ENOTDIR", err)
	}
	if h.Healthy() {
		t.Fatal("healthy while the directory cannot be created")
	}
	write(t, h, "d") // the logging path goes on
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the flush goroutine recreates the directory", func() bool {
		return h.Healthy() && h.Stats().Queued == 0
	})
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app.log": {"c", "d"}})
}
