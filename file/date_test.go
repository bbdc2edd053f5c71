package file

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDateStartsANewFileWhenTheDayChanges(t *testing.T) {
	for _, compress := range []bool{false, true} {
		dir := t.TempDir()
		clk := &clock{t: time.Date(2024, 5, 1, 23, 59, 59, 0, time.UTC)}
		o := &Options{Compress: compress, MaxSize: int64(2 * len(line("x")))}
		o.now = clk.Now
		h := open(t, filepath.Join(dir, "app-{date}.log"), o)
		if got, want := h.Path(), filepath.Join(dir, "app-2024-05-01.log"); got != want {
			t.Fatalf("Path() = %q, want %q", got, want)
		}
		write(t, h, "a")
		clk.Set(time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC))
		write(t, h, "b", "c", "d") // d rotates by size within the day
		if got, want := h.Path(), filepath.Join(dir, "app-2024-05-02.log"); got != want {
			t.Fatalf("Path() = %q, want %q", got, want)
		}
		shutdown(t, h)
		if compress {
			expect(t, dir, map[string][]string{
				"app-2024-05-01.log.gz":   {"a"},
				"app-2024-05-02.log.1.gz": {"b", "c"},
				"app-2024-05-02.log":      {"d"},
			})
		} else {
			expect(t, dir, map[string][]string{
				"app-2024-05-01.log":   {"a"},
				"app-2024-05-02.log.1": {"b", "c"},
				"app-2024-05-02.log":   {"d"},
			})
		}
	}
}

func TestDateFollowsLocalTimeOrUTC(t *testing.T) {
	zone := time.FixedZone("UTC+10", 10*60*60)
	for _, local := range []bool{false, true} {
		dir := t.TempDir()
		// 23:59:59 on May 1 in UTC+10; 13:59:59 UTC.
		clk := &clock{t: time.Date(2024, 5, 1, 13, 59, 59, 0, time.UTC)}
		o := &Options{LocalTime: local}
		o.now, o.zone = clk.Now, zone
		h := open(t, filepath.Join(dir, "app-{date}.log"), o)
		write(t, h, "a")
		clk.Set(time.Date(2024, 5, 1, 14, 0, 0, 0, time.UTC)) // midnight in UTC+10
		write(t, h, "b")
		shutdown(t, h)
		if local {
			expect(t, dir, map[string][]string{"app-2024-05-01.log": {"a"}, "app-2024-05-02.log": {"b"}})
		} else {
			expect(t, dir, map[string][]string{"app-2024-05-01.log": {"a", "b"}})
		}
	}
}

// MaxBackups counts earlier days' files and numbered backups together,
// newest first; MaxAge applies to both.
func TestDateBackupsCountAcrossDays(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	o := &Options{MaxBackups: 2}
	o.now = clk.Now
	h := open(t, filepath.Join(dir, "app-{date}.log"), o)
	for _, d := range []int{1, 2, 3, 4} {
		clk.Set(time.Date(2024, 5, d, 12, 0, 0, 0, time.UTC))
		write(t, h, "day"+string(rune('0'+d)))
	}
	shutdown(t, h)
	expect(t, dir, map[string][]string{
		"app-2024-05-04.log": {"day4"},
		"app-2024-05-03.log": {"day3"},
		"app-2024-05-02.log": {"day2"},
	})
}

func TestDateReopensTheDaysFileAfterARestart(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)}
	o := &Options{}
	o.now = clk.Now
	h := open(t, filepath.Join(dir, "app-{date}.log"), o)
	write(t, h, "a")
	shutdown(t, h)
	h = open(t, filepath.Join(dir, "app-{date}.log"), o)
	write(t, h, "b")
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app-2024-05-01.log": {"a", "b"}})
}

// At midnight the flush goroutine starts the new day's file by itself, and
// yesterday's is compressed without waiting for the next record.
func TestDateRotatesAtMidnightWithoutARecord(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Date(2024, 5, 1, 23, 0, 0, 0, time.UTC)}
	o := &Options{Compress: true, FlushInterval: 5 * time.Millisecond}
	o.now = clk.Now
	h := open(t, filepath.Join(dir, "app-{date}.log"), o)
	write(t, h, "a")
	clk.Set(time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC))
	eventually(t, "yesterday's file is compressed", func() bool {
		_, err := os.Stat(filepath.Join(dir, "app-2024-05-01.log.gz"))
		return err == nil
	})
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app-2024-05-01.log.gz": {"a"}, "app-2024-05-02.log": nil})
}
