package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// logrotate's way: move the file, then SIGHUP, which calls Reopen. Records
// handled before Reopen go to the moved file, later ones to a new file.
func TestReopenAfterLogrotateMovedTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	h := open(t, path, nil)
	write(t, h, "a")
	flush(t, h)
	if err := os.Rename(path, path+"-20240501"); err != nil {
		t.Fatal(err)
	}
	write(t, h, "b")
	if err := h.Reopen(); err != nil {
		t.Fatal(err)
	}
	write(t, h, "c")
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app.log-20240501": {"a", "b"}, "app.log": {"c"}})
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("reopened file mode = %v, want 0600", fi.Mode().Perm())
	}
}

// Without Reopen, the next write of the buffer notices that the path names
// no file (removed, or moved away) and creates it again: no error, nothing
// lost, healthy.
func TestRecreatesAFileRemovedOrMovedAway(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	var e errs
	h := open(t, path, &Options{ErrorHandler: e.handle})
	write(t, h, "a")
	flush(t, h)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	write(t, h, "b")
	flush(t, h)
	if err := os.Rename(path, path+".old"); err != nil {
		t.Fatal(err)
	}
	write(t, h, "c")
	flush(t, h)
	if err := os.WriteFile(path, []byte(lines("replaced")), 0o600); err != nil { // a new file under the name
		t.Fatal(err)
	}
	write(t, h, "d")
	flush(t, h)
	if len(e.all()) != 0 || !h.Healthy() {
		t.Errorf("errors %v, healthy %v: want none, and healthy", e.all(), h.Healthy())
	}
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app.log.old": {"b"}, "app.log": {"replaced", "d"}})
}

func TestReopenWithoutMoveKeepsAppending(t *testing.T) {
	dir := t.TempDir()
	h := open(t, filepath.Join(dir, "app.log"), nil)
	write(t, h, "a")
	if err := h.Reopen(); err != nil {
		t.Fatal(err)
	}
	write(t, h, "b")
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app.log": {"a", "b"}})
}

// A record waits in memory at most FlushInterval; the flush goroutine and
// the mill stop at Shutdown (synctest fails the test if a goroutine of the
// bubble is left).
func TestFlushIntervalBoundsTheWait(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	synctest.Test(t, func(t *testing.T) {
		h, err := New(path, &Options{FlushInterval: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // the record arrives half way between two ticks
		write(t, h, "a")
		time.Sleep(time.Second - time.Nanosecond)
		synctest.Wait()
		if got := content(t, path); got != "" {
			t.Fatalf("file = %q before the tick", got)
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if got := content(t, path); got != lines("a") {
			t.Fatalf("file = %q after the tick, want the record", got)
		}
		write(t, h, "b")
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got := content(t, path); got != lines("a", "b") {
			t.Fatalf("file = %q after the next tick", got)
		}
		if err := h.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestShutdownLeavesNoGoroutineOrDescriptor(t *testing.T) {
	dir := t.TempDir()
	f0 := fds(t)
	// Those of earlier tests may still be returning from their Shutdown.
	eventually(t, "no flush goroutine or mill before the test", func() bool { f, m := ours(); return f+m == 0 })
	var hs []*Handler
	for _, n := range []string{"a.log", "b.log", "b.log", "c-{date}.log"} {
		h, err := New(filepath.Join(dir, n), &Options{MaxSize: 100, Compress: true, tiny: true})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
		for range 20 {
			write(t, h, "0123456789")
		}
	}
	// A goroutine not yet scheduled shows only its go statement's wrapper
	// (openWriter.gowrap1) in a stack dump, not flusher or mill: on a busy
	// machine, wait for them to start.
	eventually(t, "a flush goroutine and a mill for each of the three files", func() bool {
		f, m := ours()
		return f == 3 && m == 3
	})
	for _, h := range hs {
		shutdown(t, h)
	}
	// Shutdown waited for them: they are gone (or returning) already.
	eventually(t, "the goroutines exit", func() bool { f, m := ours(); return f+m == 0 })
	if f := fds(t); f != f0 {
		t.Errorf("%d descriptors open after Shutdown, %d before", f, f0)
	}
}

// When Shutdown's context ends before compression is done, the archive in
// progress is abandoned (the backup stays uncompressed, no temporary file
// is left), the mill still stops, and Shutdown says so.
func TestShutdownCutsCompressionShortWhenItsContextEnds(t *testing.T) {
	dir := t.TempDir()
	h, err := New(filepath.Join(dir, "app.log"), &Options{Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	w := h.s.w
	hook := func(string) {
		close(started)
		<-w.millCtx.Done() // a compression slower than Shutdown's patience
	}
	w.compressHook.Store(&hook)
	write(t, h, "a")
	if err := h.Rotate(); err != nil {
		t.Fatal(err)
	}
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.Shutdown(ctx); err == nil || !strings.Contains(err.Error(), "compression cut short: context canceled") {
		t.Fatalf("Shutdown = %v, want compression cut short", err)
	}
	select {
	case <-w.millDone:
	default:
		t.Fatal("the mill is still running after Shutdown returned")
	}
	expect(t, dir, map[string][]string{"app.log": nil, "app.log.1": {"a"}})
}

// ErrorHandler may log through the very handler that failed: it is called
// with no lock held.
func TestErrorHandlerMayLogToTheSameFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	var h *Handler
	h = open(t, filepath.Join(dir, "app.log"), &Options{ErrorHandler: func(err error) {
		slog.New(h).Error("file sink", "err", err.Error())
	}})
	write(t, h, "a")
	flush(t, h)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	write(t, h, "b")
	flush(t, h) // reports the removal, which logs a line
	flush(t, h)
	got := msgs(t, content(t, filepath.Join(dir, "app.log")))
	if strings.Join(got, ",") != "b,file sink" {
		t.Fatalf("file holds %q, want b, then the error logged by ErrorHandler", got)
	}
}

// With Sync, every write of the buffer is followed by fsync; without it,
// none is. The fsync is seen by swapping in, for one write, a pipe as the
// open file: a pipe cannot be synced (EINVAL), so a handler that syncs
// reports the failure, one that does not reports nothing. (FlushInterval is
// an hour so that only the test's Flush writes while the pipe is in place.)
func TestSyncWritesThrough(t *testing.T) {
	for _, syncOn := range []bool{false, true} {
		t.Run(fmt.Sprint("Sync=", syncOn), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "app.log")
			var e errs
			h := open(t, path, &Options{Sync: syncOn, FlushInterval: time.Hour, ErrorHandler: e.handle})
			write(t, h, "a")
			flush(t, h)
			if got := content(t, path); got != lines("a") {
				t.Fatalf("file = %q", got)
			}
			if st := h.Stats(); st.Written != 1 || st.Failed != 0 || len(e.all()) != 0 {
				t.Fatalf("Stats = %+v, errors %v: want 1 written, no failure", st, e.all())
			}

			r, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			w := h.s.w
			w.mu.Lock()
			live := w.f
			w.f = pw // the path still names the real file: no reopen
			w.mu.Unlock()
			write(t, h, "b")
			err = h.Flush(context.Background())
			w.mu.Lock()
			w.f = live
			w.mu.Unlock()
			pw.Close()
			got, rerr := io.ReadAll(r)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if string(got) != lines("b") {
				t.Fatalf("the write before the sync carried %q, want record b", got)
			}
			st := h.Stats()
			if !syncOn {
				if err != nil || st.Failed != 0 || len(e.all()) != 0 {
					t.Fatalf("without Sync: Flush = %v, Stats %+v, errors %v: want no fsync, so no failure", err, st, e.all())
				}
				return
			}
			if !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("with Sync: Flush = %v, want the fsync of the pipe to fail with EINVAL", err)
			}
			if st.Failed != 1 || !errors.Is(st.LastError, syscall.EINVAL) || len(e.all()) != 1 || !errors.Is(e.all()[0], syscall.EINVAL) {
				t.Fatalf("with Sync: Stats %+v, errors %v: want the one failed fsync counted and reported", st, e.all())
			}
		})
	}
}
