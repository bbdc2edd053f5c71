package delivery_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/httpsink"
	"github.com/jinpy-utils/multi/internal/journal"
)

// These tests break the disk under a running sink's spool: a tmpfs too
// small for the journal, the spool directory removed, a directory made
// read-only. Through all of it Handle returns nil at once, every record
// is delivered, the records kept in memory only are counted in
// Stats().Volatile, the spell is reported once, and once the disk is
// back the records are kept on it again (Volatile stops growing). The
// journal is shared by every sink with a spool (internal/core), so
// httpsink stands for them.

// diskRig is an httpsink with a spool in dir, delivering to a loopback
// collector that counts the records it gets.
type diskRig struct {
	t    *testing.T
	dir  string
	h    *httpsink.Handler
	l    *slog.Logger
	mu   sync.Mutex
	got  map[string]int
	errs []error
	n    int
}

func newDiskRig(t *testing.T, dir string) *diskRig {
	r := &diskRig{t: t, dir: dir, got: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		sc := bufio.NewScanner(req.Body)
		r.mu.Lock()
		for sc.Scan() {
			// The record's "n" attribute, as it appears in the line.
			line := sc.Text()
			if i := strings.Index(line, `"n":`); i >= 0 {
				r.got[strings.TrimRight(line[i+4:], "}")]++
			}
		}
		r.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	h, err := httpsink.New(srv.URL, &httpsink.Options{
		Spool: delivery.Spool{Dir: dir},
		Queue: delivery.Queue{FlushInterval: 10 * time.Millisecond},
		ErrorHandler: func(err error) {
			r.mu.Lock()
			r.errs = append(r.errs, err)
			r.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.h, r.l = h, slog.New(h)
	return r
}

// log logs n records, each Handle returning nil, and returns how long
// the slowest call took.
func (r *diskRig) log(n int) time.Duration {
	r.t.Helper()
	var slowest time.Duration
	ctx := context.Background()
	for range n {
		rec := slog.NewRecord(time.Now(), slog.LevelInfo, "disk", 0)
		rec.AddAttrs(slog.String("pad", strings.Repeat("x", 100)), slog.Int("n", r.n))
		r.n++
		start := time.Now()
		if err := r.h.Handle(ctx, rec); err != nil {
			r.t.Fatalf("Handle: %v", err)
		}
		slowest = max(slowest, time.Since(start))
	}
	return slowest
}

// delivered waits until every record logged so far has arrived, and
// checks that none arrived twice.
func (r *diskRig) delivered() {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.mu.Lock()
		n, dup := len(r.got), 0
		for _, c := range r.got {
			dup += c - 1
		}
		r.mu.Unlock()
		if dup > 0 {
			r.t.Fatalf("%d records arrived twice", dup)
		}
		if n == r.n {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d of %d records arrived; stats %+v", n, r.n, r.h.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// journalErrs returns the reports about the journal.
func (r *diskRig) journalErrs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, err := range r.errs {
		if strings.Contains(err.Error(), "spool journal") {
			out = append(out, err.Error())
		}
	}
	return out
}

// waitJournal waits until the journal's file is in the spool directory
// and the sink keeps records in it again: a record logged then is not
// counted as volatile.
func (r *diskRig) waitJournal() {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(r.dir, journal.Name)); err == nil {
			v := r.h.Stats().Volatile
			r.log(1)
			if r.h.Stats().Volatile == v {
				return
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the journal was not made again in 10s; reports %q", r.journalErrs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *diskRig) shutdown() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.h.Shutdown(ctx); err != nil {
		r.t.Fatalf("Shutdown: %v", err)
	}
}

// tmpfs mounts a tmpfs of size bytes on a new directory, or skips the
// test where mounting is not permitted (not root).
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// A disk too small for the journal: every record is kept in memory only,
// counted and reported once with the cause, and delivered; once the disk
// has room, the journal is made and records are kept on it again.
func TestFullDiskKeepsLoggingInMemoryUntilItHasRoom(t *testing.T) {
	mnt := tmpfs(t, "16m") // the default journal is 104 MiB
	r := newDiskRig(t, filepath.Join(mnt, "spool"))
	defer r.shutdown()
	slowest := r.log(2000)
	r.delivered()
	if v := r.h.Stats().Volatile; v != 2000 {
		t.Fatalf("Volatile = %d, want 2000: every record was kept in memory only", v)
	}
	waitReports(t, r, 1)
	if e := r.journalErrs(); !strings.Contains(e[0], "no space left on device") || !strings.Contains(e[0], "lost if the process is killed") {
		t.Fatalf("reported %q, want the cause and what it risks", e[0])
	}
	if out, err := exec.Command("mount", "-o", "remount,size=256m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("grow the tmpfs: %v: %s", err, out)
	}
	r.waitJournal()
	v := r.h.Stats().Volatile
	r.log(2000)
	r.delivered()
	if got := r.h.Stats().Volatile; got != v {
		t.Fatalf("Volatile went from %d to %d with room on the disk", v, got)
	}
	waitReports(t, r, 2)
	if e := r.journalErrs(); !strings.Contains(e[1], "kept on disk again") {
		t.Fatalf("reported %q, want the end of the spell said", e)
	}
	t.Logf("slowest Handle %v; reports %q", slowest, r.journalErrs())
}

// The spool directory removed while logging: the records after it are
// kept in memory only, counted, reported once; the directory and the
// journal are made again within seconds and records are kept on it
// again.
func TestRemovedSpoolDirectoryIsMadeAgain(t *testing.T) {
	r := newDiskRig(t, filepath.Join(t.TempDir(), "spool"))
	defer r.shutdown()
	r.log(500)
	if err := os.RemoveAll(r.dir); err != nil {
		t.Fatal(err)
	}
	// Records logged while the watcher has not yet noticed are kept in
	// the removed file: durable in nothing, but that is at most a second.
	r.waitJournal()
	v := r.h.Stats().Volatile
	r.log(500)
	r.delivered()
	if got := r.h.Stats().Volatile; got != v {
		t.Fatalf("Volatile went from %d to %d once the journal was made again", v, got)
	}
	if e := r.journalErrs(); len(e) > 2 {
		t.Fatalf("reported %q, want at most one spell, with its end", e)
	}
}

// waitReports waits for n reports about the journal, and fails on more.
func waitReports(t *testing.T, r *diskRig, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(r.journalErrs()) < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // a second report would come within a tick
	if e := r.journalErrs(); len(e) != n {
		t.Fatalf("%d reports about the journal, want %d: %q", len(e), n, e)
	}
}

// readOnlyChild is TestReadOnlyDirectoryWhileLogging's body, which needs
// a user that permissions apply to: run as root, the test runs it in a
// child process as nobody.
const readOnlyChild = "DELIVERY_TEST_READONLY_CHILD"

// A spool directory that becomes read-only while its journal is gone (a
// mistaken chmod, a volume remounted): the records are kept in memory
// only, counted, reported once with the permission error, and delivered;
// once it is writable, the journal is made again and keeps them.
func TestReadOnlyDirectoryWhileLogging(t *testing.T) {
	if os.Geteuid() == 0 && os.Getenv(readOnlyChild) == "" {
		runAsNobody(t, "^TestReadOnlyDirectoryWhileLogging$")
		return
	}
	parent := filepath.Join(t.TempDir(), "volume")
	if err := os.Mkdir(parent, 0o700); err != nil {
		t.Fatal(err)
	}
	r := newDiskRig(t, filepath.Join(parent, "spool"))
	defer r.shutdown()
	defer os.Chmod(parent, 0o700)
	r.log(500)
	// Move the directory away, its journal with it, and make the parent
	// read-only before the watcher (every second) makes them again.
	for try := 0; ; try++ {
		os.RemoveAll(r.dir + ".gone")
		if err := os.Rename(r.dir, r.dir+".gone"); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(parent, 0o500); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(r.dir); errors.Is(err, os.ErrNotExist) {
			break
		}
		if try == 5 {
			t.Fatal("the watcher made the directory again between rename and chmod five times")
		}
		os.Chmod(parent, 0o700)
	}
	// The watcher notices within a second; records logged before that
	// go to the moved file.
	time.Sleep(1500 * time.Millisecond)
	v := r.h.Stats().Volatile
	r.log(500)
	r.delivered()
	if got := r.h.Stats().Volatile; got != v+500 {
		t.Fatalf("Volatile went from %d to %d over 500 records in a read-only directory", v, got)
	}
	waitReports(t, r, 1)
	if e := r.journalErrs(); !strings.Contains(e[0], "permission denied") {
		t.Fatalf("reported %q, want the permission error", e)
	}
	if err := os.Chmod(parent, 0o700); err != nil {
		t.Fatal(err)
	}
	r.waitJournal()
	v = r.h.Stats().Volatile
	r.log(500)
	r.delivered()
	if got := r.h.Stats().Volatile; got != v {
		t.Fatalf("Volatile went from %d to %d once the directory was writable", v, got)
	}
	t.Logf("reports %q", r.journalErrs())
}

// runAsNobody runs the test named by run in a copy of the test binary as
// the user nobody, and fails with its output if it fails.
func runAsNobody(t *testing.T, run string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "delivery-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	const nobody = 65534
	bin := filepath.Join(dir, "test")
	if err := copyFile(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	for _, p := range []string{dir, tmp} {
		os.Mkdir(p, 0o755)
		if err := os.Chown(p, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-test.run="+run, "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), readOnlyChild+"=1", "TMPDIR="+tmp, "HOME="+tmp, "GOCOVERDIR=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
	t.Logf("as nobody:\n%s", lastLines(string(out), 6))
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
