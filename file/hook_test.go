package file

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// calls records what OnRotate is called with.
type calls struct {
	mu    sync.Mutex
	paths []string
}

func (c *calls) add(p string) {
	c.mu.Lock()
	c.paths = append(c.paths, p)
	c.mu.Unlock()
}

func (c *calls) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.paths)
}

// OnRotate is called with each finished backup once it is compressed: the
// archive is complete (gzip -t, zstd -t) when the hook sees it.
func TestOnRotateSeesEachBackupOnceCompressed(t *testing.T) {
	for _, comp := range []Compression{"", Gzip, Zstd} {
		t.Run(fmt.Sprint("Compression=", comp), func(t *testing.T) {
			dir := t.TempDir()
			var c calls
			o := &Options{RotateEvery: time.Hour, Compression: comp}
			o.OnRotate = func(p string) {
				if comp != "" {
					gzipTest(t, p)
				}
				c.add(p + " " + content(t, p))
			}
			clockRun := func() {
				clk := &clock{t: utc(5, 1, 10, 0)}
				o.now = clk.Now
				h := open(t, filepath.Join(dir, "app.log"), o)
				for _, hr := range []int{10, 11, 12} {
					clk.Set(utc(5, 1, hr, 0))
					write(t, h, fmt.Sprint("h", hr))
				}
				shutdown(t, h)
			}
			clockRun()
			ext := comp.ext()
			want := []string{
				filepath.Join(dir, "app.log.2024-05-01T10-00Z"+ext) + " " + lines("h10"),
				filepath.Join(dir, "app.log.2024-05-01T11-00Z"+ext) + " " + lines("h11"),
			}
			// The mill compresses the newest first: no order is promised.
			if got := slices.Sorted(slices.Values(c.all())); !slices.Equal(got, want) {
				t.Errorf("OnRotate saw %q, want %q", got, want)
			}
		})
	}
}

// A hook that panics is reported, and rotation, compression and the next
// calls go on.
func TestOnRotatePanicIsReportedAndRotationGoesOn(t *testing.T) {
	dir := t.TempDir()
	var e errs
	var c calls
	o := &Options{MaxSize: 1, Compression: Gzip, ErrorHandler: e.handle}
	o.OnRotate = func(p string) {
		c.add(filepath.Base(p))
		panic("upload failed")
	}
	h := open(t, filepath.Join(dir, "app.log"), o)
	write(t, h, "a", "b")
	eventually(t, "the first call", func() bool { return len(c.all()) == 1 })
	write(t, h, "c")
	shutdown(t, h)
	if got := c.all(); len(got) != 2 {
		t.Errorf("OnRotate called %d times (%q), want 2", len(got), got)
	}
	if !e.has("OnRotate(" + filepath.Join(dir, "app.log.1.gz") + ") panicked: upload failed; rotation goes on") {
		t.Errorf("errors = %v, want the panic reported", e.all())
	}
	expect(t, dir, map[string][]string{"app.log.2.gz": {"a"}, "app.log.1.gz": {"b"}, "app.log": {"c"}})
}

// A hook that does not return is reported as slow; records, rotations and
// compressions go on meanwhile; Shutdown gives up on it when its context
// ends and says how many backups the hook did not get.
func TestOnRotateSlowHookIsReportedAndNeverBlocks(t *testing.T) {
	dir := t.TempDir()
	var e errs
	release := make(chan struct{})
	defer close(release)
	var c calls
	o := &Options{MaxSize: 1, Compression: Gzip, ErrorHandler: e.handle}
	o.hookSlow = time.Millisecond
	o.OnRotate = func(p string) {
		c.add(filepath.Base(p))
		<-release
	}
	h := open(t, filepath.Join(dir, "app.log"), o)
	write(t, h, "a", "b")
	eventually(t, "the slow hook is reported", func() bool {
		return e.has("OnRotate(" + filepath.Join(dir, "app.log.1.gz") + ") has run for")
	})
	write(t, h, "c", "d") // Handle and rotation do not wait for the hook
	flush(t, h)
	eventually(t, "the later backups are compressed", func() bool {
		return strings.Join(names(t, dir), " ") == "app.log app.log.1.gz app.log.2.gz app.log.3.gz"
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := h.Shutdown(ctx)
	if err == nil || !strings.Contains(err.Error(), "OnRotate: Shutdown ended (context canceled) with the hook still running and 2 backups not handed to it") {
		t.Errorf("Shutdown = %v, want the hook given up on", err)
	}
	if got := c.all(); !slices.Equal(got, []string{"app.log.1.gz"}) {
		t.Errorf("OnRotate saw %q, want the first backup only", got)
	}
	expect(t, dir, map[string][]string{"app.log.3.gz": {"a"}, "app.log.2.gz": {"b"}, "app.log.1.gz": {"c"}, "app.log": {"d"}})
}

// Shutdown waits for the calls queued, and the hook's goroutine ends.
func TestOnRotateShutdownWaitsForQueuedCalls(t *testing.T) {
	dir := t.TempDir()
	var c calls
	o := &Options{MaxSize: 1}
	o.OnRotate = func(p string) { c.add(filepath.Base(p)) }
	h := open(t, filepath.Join(dir, "app.log"), o)
	write(t, h, "a", "b", "c")
	shutdown(t, h)
	if got := c.all(); !slices.Equal(got, []string{"app.log.1", "app.log.1"}) {
		t.Errorf("OnRotate saw %q, want app.log.1 twice (numbered backups are renamed by the next rotation)", got)
	}
	for _, g := range stacks() {
		if strings.Contains(g, "file.(*rotateHook).run(") {
			t.Fatalf("the hook's goroutine is still running:\n%s", g)
		}
	}
}
