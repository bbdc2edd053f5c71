package file

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// MaxTotalSize removes the oldest backups until the live file and the
// rest fit.
func TestMaxTotalSizeRemovesOldestBackupsFirst(t *testing.T) {
	dir := t.TempDir()
	n := int64(len(line("r0")))
	h := open(t, filepath.Join(dir, "app.log"), &Options{MaxSize: 2 * n, MaxTotalSize: 5 * n})
	for i := range 9 {
		handle(t, h, fmt.Sprint("r", i))
	}
	shutdown(t, h)
	// The live file (n) and .1 and .2 (2n each) fit in 5n; .3 would not.
	expect(t, dir, map[string][]string{
		"app.log":   {"r8"},
		"app.log.1": {"r6", "r7"},
		"app.log.2": {"r4", "r5"},
	})
}

// With Compress, backups count at their compressed size: records that
// compress well keep many more backups than their plain size allows.
func TestMaxTotalSizeCountsCompressedSizes(t *testing.T) {
	dir := t.TempDir()
	pad := strings.Repeat("x", 2000)
	n := int64(len(line("r00", "pad", pad)))
	h := open(t, filepath.Join(dir, "app.log"), &Options{MaxSize: 4 * n, MaxTotalSize: 6 * n, Compress: true})
	for i := range 20 {
		handle(t, h, fmt.Sprintf("r%02d", i), "pad", pad)
	}
	shutdown(t, h)
	want := []string{"app.log"}
	for i := 1; i <= 4; i++ {
		want = append(want, fmt.Sprintf("app.log.%d.gz", i))
	}
	got := names(t, dir)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("files = %q, want %q: 4 compressed backups fit where 1 plain one would", got, want)
	}
	var total int64
	var gz []string
	for _, name := range got {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
		if strings.HasSuffix(name, ".gz") {
			gz = append(gz, filepath.Join(dir, name))
		}
	}
	if total > 6*n {
		t.Errorf("files take %d bytes, above MaxTotalSize %d", total, 6*n)
	}
	gzipTest(t, gz...)
	if m := msgs(t, content(t, filepath.Join(dir, "app.log.1.gz"))); fmt.Sprint(m) != "[r12 r13 r14 r15]" {
		t.Errorf("app.log.1.gz holds %q, want r12 to r15", m)
	}
}

// A record is never refused to make room: a live file alone above
// MaxTotalSize takes the record and leaves no backup.
func TestMaxTotalSizeNeverRefusesARecord(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("y", 500)
	h := open(t, filepath.Join(dir, "app.log"), &Options{MaxTotalSize: 100})
	handle(t, h, "small")
	if err := h.Rotate(); err != nil {
		t.Fatal(err)
	}
	handle(t, h, "big", "pad", big)
	shutdown(t, h)
	if got := content(t, filepath.Join(dir, "app.log")); got != line("big", "pad", big) {
		t.Errorf("app.log = %q, want the record above the cap", got)
	}
	if got := names(t, dir); fmt.Sprint(got) != "[app.log]" {
		t.Errorf("files = %q, want the live file only", got)
	}
}

func TestNewRefusesAMaxTotalSizeBelowWhatItMustHold(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{MaxTotalSize: -1}, "option MaxTotalSize is -1: must be 0 (no cap) or more"},
		{Options{MaxTotalSize: 100}, "option MaxTotalSize is 100 bytes, below the minimum of 64 KiB: MaxTotalSize counts bytes; for 100 MB write MaxTotalSize: 100 << 20"},
		{Options{MaxSize: 10 << 20, MaxTotalSize: 1 << 20}, "option MaxTotalSize is 1048576, below MaxSize 10485760"},
	} {
		_, err := New(filepath.Join(dir, "app.log"), &c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error with %q", c.o, err, c.want)
		}
	}
}
