package file

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// write logs msgs through h.
func write(t testing.TB, h *Handler, msgs ...string) {
	t.Helper()
	for _, m := range msgs {
		handle(t, h, m)
	}
}

func lines(msgs ...string) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(line(m))
	}
	return b.String()
}

// expect checks that dir holds exactly the files in want, with the
// records in want (gunzipped for .gz), and that every archive passes gzip -t.
func expect(t *testing.T, dir string, want map[string][]string) {
	t.Helper()
	var wantNames, gz []string
	for n := range want {
		wantNames = append(wantNames, n)
		if isArchive(n) {
			gz = append(gz, filepath.Join(dir, n))
		}
	}
	slices.Sort(wantNames)
	if got := names(t, dir); !slices.Equal(got, wantNames) {
		t.Fatalf("files = %q, want %q", got, wantNames)
	}
	for n, m := range want {
		if got := content(t, filepath.Join(dir, n)); got != lines(m...) {
			t.Errorf("%s = %q, want records %q", n, got, m)
		}
	}
	gzipTest(t, gz...)
}

func TestRotateBySizeShiftsBackupsUp(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprint("Compress=", compress), func(t *testing.T) {
			dir := t.TempDir()
			n := int64(len(line("r0")))
			h := open(t, filepath.Join(dir, "app.log"), &Options{MaxSize: 2 * n, MaxBackups: 3, Compress: compress})
			for i := range 9 {
				handle(t, h, fmt.Sprint("r", i))
			}
			shutdown(t, h)
			z := ""
			if compress {
				z = ".gz"
			}
			expect(t, dir, map[string][]string{
				"app.log":       {"r8"},
				"app.log.1" + z: {"r6", "r7"},
				"app.log.2" + z: {"r4", "r5"},
				"app.log.3" + z: {"r2", "r3"},
			})
		})
	}
}

func TestRecordNeverSplitAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	const max = 500
	h := open(t, filepath.Join(dir, "app.log"), &Options{MaxSize: max, BufferSize: 700})
	rnd := rand.New(rand.NewPCG(1, 2))
	var all []string
	for i := range 300 {
		m := fmt.Sprintf("%03d-%s", i, strings.Repeat("x", rnd.IntN(150)))
		all = append(all, m)
		handle(t, h, m)
	}
	shutdown(t, h)
	files := names(t, dir)
	var got []string
	for i := len(files) - 1; i >= 0; i-- { // oldest first: app.log.N … app.log.1, then app.log
		n := "app.log"
		if i > 0 {
			n = fmt.Sprint("app.log.", i)
		}
		if !slices.Contains(files, n) {
			t.Fatalf("files %q have a gap at %s", files, n)
		}
		c := content(t, filepath.Join(dir, n))
		if len(c) > max {
			t.Errorf("%s has %d bytes, more than MaxSize %d", n, len(c), max)
		}
		if n != "app.log" && len(c)+len(line(all[len(got)+len(msgs(t, c))])) <= max {
			t.Errorf("%s was rotated with room for the next record", n)
		}
		got = append(got, msgs(t, c)...)
	}
	if !slices.Equal(got, all) {
		t.Fatalf("records across files, oldest first, differ from what was logged:\n got %q\nwant %q", got, all)
	}
}

func TestOversizedRecordGetsAFileOfItsOwn(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("B", 300)
	h := open(t, filepath.Join(dir, "app.log"), &Options{MaxSize: 200})
	write(t, h, "small1", big, "small2")
	shutdown(t, h)
	expect(t, dir, map[string][]string{
		"app.log":   {"small2"},
		"app.log.1": {big},
		"app.log.2": {"small1"},
	})
}

func TestRotateOnDemand(t *testing.T) {
	dir := t.TempDir()
	h := open(t, filepath.Join(dir, "app.log"), nil)
	if err := h.Rotate(); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"app.log"}) {
		t.Fatalf("Rotate of an empty file made %q", got)
	}
	write(t, h, "a")
	if err := h.Rotate(); err != nil { // the buffered record goes to the old file
		t.Fatal(err)
	}
	write(t, h, "b")
	if err := h.Rotate(); err != nil {
		t.Fatal(err)
	}
	write(t, h, "c")
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app.log": {"c"}, "app.log.1": {"b"}, "app.log.2": {"a"}})
}

// Files that are not ours are never removed or renamed, however tight the
// retention (lumberjack removed files that only looked like its backups).
func TestRetentionLeavesForeignFilesAlone(t *testing.T) {
	dir := t.TempDir()
	foreign := []string{
		"app.log.bak", "app.log.1.txt", "app.log.01", "app.log.0", "app.log.-1", "app.log.+1",
		"app.log.gz", "app.log.x.gz", "app.log.1.gz.bak", "app.log.1234567890", "app.log1",
		"other.log", "other.log.1", "xapp.log.1", "app.log.1.gz.tmp", ".app.log.1.gz.tmp",
		".app.log.1.12x.gz.tmp", ".app.log.bak.123.gz.tmp", "app.log.2024-01-01",
	}
	old := time.Now().Add(-1000 * time.Hour)
	for _, n := range foreign {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte(n), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	h := open(t, filepath.Join(dir, "app.log"), &Options{MaxSize: 1, MaxBackups: 1, MaxAge: time.Hour, Compress: true})
	write(t, h, "a", "b", "c", "d")
	shutdown(t, h)
	for _, n := range foreign {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil || string(b) != n {
			t.Errorf("foreign file %s was touched: %q, %v", n, b, err)
		}
	}
	got := slices.DeleteFunc(names(t, dir), func(n string) bool { return slices.Contains(foreign, n) })
	if !slices.Equal(got, []string{"app.log", "app.log.1.gz"}) {
		t.Errorf("our files = %q, want app.log and app.log.1.gz", got)
	}
}

func TestMaxAgeRemovesOldBackups(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2024, 5, 10, 12, 0, 0, 0, time.UTC)
	clk := &clock{t: now}
	o := &Options{MaxAge: 24 * time.Hour}
	o.now = clk.Now
	h := open(t, filepath.Join(dir, "app.log"), o)
	for _, m := range []string{"a", "b", "c"} {
		write(t, h, m)
		if err := h.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	// app.log.3 = a (48 h old), .2 = b (25 h old), .1 = c (1 h old).
	for n, age := range map[string]time.Duration{"app.log.3": 48 * time.Hour, "app.log.2": 25 * time.Hour, "app.log.1": time.Hour} {
		tm := now.Add(-age)
		if err := os.Chtimes(filepath.Join(dir, n), tm, tm); err != nil {
			t.Fatal(err)
		}
	}
	write(t, h, "d")
	if err := h.Rotate(); err != nil { // MaxAge applies at rotation (and at open)
		t.Fatal(err)
	}
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app.log": nil, "app.log.1": {"d"}, "app.log.2": {"c"}})
}

func TestMaxAgeSweepNeedsNoRotation(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2024, 5, 10, 12, 0, 0, 0, time.UTC)
	clk := &clock{t: now}
	o := &Options{MaxAge: 24 * time.Hour}
	o.now, o.pruneEvery = clk.Now, 5*time.Millisecond
	h := open(t, filepath.Join(dir, "app.log"), o)
	for _, m := range []string{"a", "b"} {
		write(t, h, m)
		if err := h.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	write(t, h, "live")
	// Wait for the passes the rotations asked for to finish, so that the
	// pass that removes the old backup below can only be a sweep.
	millIdle(t, h.s.w)
	// app.log.2 = a, 25 h old; app.log.1 = b, 1 h old. Nothing rotates
	// from here on: the sweep alone must remove app.log.2.
	for n, age := range map[string]time.Duration{"app.log.2": 25 * time.Hour, "app.log.1": time.Hour} {
		tm := now.Add(-age)
		if err := os.Chtimes(filepath.Join(dir, n), tm, tm); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the sweep removes the backup past MaxAge", func() bool {
		_, err := os.Stat(filepath.Join(dir, "app.log.2"))
		return errors.Is(err, fs.ErrNotExist)
	})
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app.log": {"live"}, "app.log.1": {"b"}})
}

// millIdle waits until no pass of w's mill is asked for and the mill waits
// in its select: every pass asked for so far is over. (Nothing in the test
// asks for another; the MaxAge sweep may still start one.)
func millIdle(t *testing.T, w *writer) {
	t.Helper()
	eventually(t, "the mill to finish the passes asked for", func() bool {
		if len(w.millReq) != 0 {
			return false
		}
		mills := 0
		for _, g := range stacks() {
			if !strings.Contains(g, "file.(*writer).mill(") {
				continue
			}
			mills++
			if header, _, _ := strings.Cut(g, "\n"); !strings.Contains(header, "[select") {
				return false // in a pass, or just woken for one
			}
		}
		return mills == 1
	})
}

func TestPruneInterval(t *testing.T) {
	for _, c := range []struct{ maxAge, want time.Duration }{
		{0, 0}, {time.Minute, time.Minute}, {7 * time.Hour, 42 * time.Minute}, {30 * 24 * time.Hour, time.Hour},
	} {
		if got := (config{maxAge: c.maxAge}).pruneInterval(); got != c.want {
			t.Errorf("MaxAge %v: sweep every %v, want %v", c.maxAge, got, c.want)
		}
	}
}

func TestStartupCleansUpAfterACrash(t *testing.T) {
	dir := t.TempDir()
	put := func(n string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var two bytes.Buffer
	zw := gzip.NewWriter(&two)
	zw.Write([]byte(lines("two")))
	zw.Close()
	put("app.log", []byte(lines("live")))
	put("app.log.1", []byte(lines("one")))               // rotated, never compressed
	put("app.log.2", []byte(lines("two")))               // compressed, then a crash before its removal
	put("app.log.2.gz", two.Bytes())                     // the complete archive
	put(".app.log.3.123456.gz.tmp", []byte("half an a")) // a compression cut short
	h := open(t, filepath.Join(dir, "app.log"), &Options{Compress: true})
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app.log": {"live"}, "app.log.1.gz": {"one"}, "app.log.2.gz": {"two"}})
}

// The mill compresses a backup while rotations shift it up: the archive
// takes the backup's name at the end, not at the start.
func TestCompressionFollowsABackupShiftedMeanwhile(t *testing.T) {
	dir := t.TempDir()
	h := open(t, filepath.Join(dir, "app.log"), &Options{Compress: true})
	var once sync.Once
	done := make(chan struct{})
	hook := func(name string) {
		once.Do(func() {
			defer close(done)
			if name != "app.log.1" {
				t.Errorf("first compression of %s, want app.log.1", name)
			}
			for _, m := range []string{"b", "c"} {
				write(t, h, m)
				if err := h.Rotate(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	h.s.w.compressHook.Store(&hook)
	write(t, h, "a")
	if err := h.Rotate(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the mill did not compress app.log.1")
	}
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app.log": nil, "app.log.1.gz": {"c"}, "app.log.2.gz": {"b"}, "app.log.3.gz": {"a"}})
}

// A backup removed while it was being compressed leaves no archive and no
// temporary file behind.
func TestCompressionOfARemovedBackupIsDropped(t *testing.T) {
	dir := t.TempDir()
	h := open(t, filepath.Join(dir, "app.log"), &Options{Compress: true})
	hook := func(name string) { os.Remove(filepath.Join(dir, name)) }
	h.s.w.compressHook.Store(&hook)
	write(t, h, "a")
	if err := h.Rotate(); err != nil {
		t.Fatal(err)
	}
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app.log": nil})
}

// A Shutdown called while another waits for compression in flight returns
// when its own ctx ends; the first returns once the compression is done,
// and a later call returns nil at once.
func TestConcurrentShutdownHonoursItsContext(t *testing.T) {
	dir := t.TempDir()
	h := open(t, filepath.Join(dir, "app.log"), &Options{Compress: true})
	entered, release := make(chan struct{}), make(chan struct{})
	hook := func(string) { close(entered); <-release }
	h.s.w.compressHook.Store(&hook)
	write(t, h, "a")
	if err := h.Rotate(); err != nil {
		t.Fatal(err)
	}
	<-entered
	first := make(chan error, 1)
	go func() { first <- h.Shutdown(context.Background()) }()
	for !h.s.closed.Load() {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := h.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "shutdown under way") {
		t.Fatalf("second Shutdown = %v, want its deadline, waiting for the shutdown under way", err)
	}
	close(release)
	select {
	case err := <-first:
		if err != nil {
			t.Fatalf("first Shutdown = %v, want nil once the compression was done", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("first Shutdown did not return after the compression did")
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown after Shutdown = %v, want nil", err)
	}
	expect(t, dir, map[string][]string{"app.log": nil, "app.log.1.gz": {"a"}})
}
