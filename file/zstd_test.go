package file

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Compression: Zstd writes NAME.N.zst archives that the real zstd -t
// accepts, shifted up like .gz ones.
func TestZstdCompressesBackups(t *testing.T) {
	dir := t.TempDir()
	n := int64(len(line("r0")))
	h := open(t, filepath.Join(dir, "app.log"), &Options{MaxSize: 2 * n, MaxBackups: 3, Compression: Zstd})
	for i := range 9 {
		handle(t, h, fmt.Sprint("r", i))
	}
	shutdown(t, h)
	expect(t, dir, map[string][]string{
		"app.log":       {"r8"},
		"app.log.1.zst": {"r6", "r7"},
		"app.log.2.zst": {"r4", "r5"},
		"app.log.3.zst": {"r2", "r3"},
	})
}

func TestZstdCompressesClockBackups(t *testing.T) {
	dir := clockRun(t, &Options{RotateEvery: time.Hour, Compression: Zstd},
		at{utc(5, 1, 10, 0), []string{"a"}},
		at{utc(5, 1, 11, 0), []string{"b"}},
	)
	expect(t, dir, map[string][]string{"app.log.2024-05-01T10-00Z.zst": {"a"}, "app.log": {"b"}})
}

// Compress: true is Compression: Gzip, and the two spellings share a path.
func TestCompressIsCompressionGzip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	h := open(t, path, &Options{MaxSize: 1, Compress: true})
	h2 := open(t, path, &Options{MaxSize: 1, Compression: Gzip})
	write(t, h, "a")
	write(t, h2, "b")
	if _, err := New(path, &Options{MaxSize: 1, tiny: true, Compression: Zstd}); err == nil || !strings.Contains(err.Error(), `Compression "gzip", not "zstd"`) {
		t.Fatalf("New with Zstd on a path open with gzip: %v", err)
	}
	shutdown(t, h)
	shutdown(t, h2)
	expect(t, dir, map[string][]string{"app.log.1.gz": {"a"}, "app.log": {"b"}})
}

// Switching from gzip to zstd keeps the .gz backups ours: they shift up,
// count against MaxBackups and are removed with the new ones.
func TestZstdAfterGzipKeepsCountingOldArchives(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	h := open(t, path, &Options{MaxSize: 1, Compression: Gzip})
	write(t, h, "a", "b")
	shutdown(t, h)
	h = open(t, path, &Options{MaxSize: 1, MaxBackups: 4, Compression: Zstd})
	write(t, h, "c", "d", "e", "f")
	shutdown(t, h)
	expect(t, dir, map[string][]string{
		"app.log.1.zst": {"e"},
		"app.log.2.zst": {"d"},
		"app.log.3.zst": {"c"},
		"app.log.4.zst": {"b"},
		"app.log":       {"f"},
	}) // a, shifted up to app.log.5.gz, was the fifth backup
}

// An archive half written by a crash is removed when the file is opened.
func TestZstdTempOfACrashIsRemoved(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{".app.log.1.4242.zst.tmp", "app.log.1"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(line("x")), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h := open(t, filepath.Join(dir, "app.log"), &Options{Compression: Zstd})
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app.log.1.zst": {"x"}, "app.log": nil})
}

func TestNewRefusesAnUnknownCompression(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Compression: "zip"}, `option Compression is "zip": write "gzip", "zstd" or "" (none)`},
		{Options{Compression: Zstd, Compress: true}, `options Compress (gzip) and Compression "zstd" disagree`},
	} {
		_, err := New(filepath.Join(dir, "app.log"), &c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error with %q", c.o, err, c.want)
		}
	}
	h, err := New(filepath.Join(dir, "none.log"), &Options{Compression: "none"})
	if err != nil {
		t.Fatalf(`Compression "none": %v`, err)
	}
	shutdown(t, h)
}

// outcome records how a check ended, for a test of the check itself.
type outcome struct {
	testing.TB
	fatal, skip string
}

func (o *outcome) Helper()                      {}
func (o *outcome) Fatalf(f string, args ...any) { o.fatal = fmt.Sprintf(f, args...) }
func (o *outcome) Skipf(f string, args ...any)  { o.skip = fmt.Sprintf(f, args...) }

// Under CI a missing gzip or zstd fails the archive check; elsewhere it
// skips it.
func TestArchiveCheckFailsUnderCIWithoutTheTool(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for _, ci := range []string{"1", ""} {
		t.Setenv("CI", ci)
		o := &outcome{TB: t}
		gzipTest(o, "x.zst")
		if ci != "" && (o.fatal == "" || !strings.Contains(o.fatal, "zstd -t needs zstd (scripts/compressors.sh installs it)")) {
			t.Errorf("CI=%q: fatal %q, skip %q; want a failure", ci, o.fatal, o.skip)
		}
		if ci == "" && (o.skip == "" || o.fatal != "") {
			t.Errorf("CI=%q: fatal %q, skip %q; want a skip", ci, o.fatal, o.skip)
		}
	}
}
