package file

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin for the DST tests, on any machine
)

// at is a step of a clock test: set the clock, then log the records.
type at struct {
	t    time.Time
	msgs []string
}

// clockRun opens dir/app.log with o on a fake clock, logs steps and shuts
// down.
func clockRun(t *testing.T, o *Options, steps ...at) string {
	t.Helper()
	dir := t.TempDir()
	clk := &clock{t: steps[0].t}
	o.now = clk.Now
	h := open(t, filepath.Join(dir, "app.log"), o)
	for _, s := range steps {
		clk.Set(s.t)
		write(t, h, s.msgs...)
	}
	shutdown(t, h)
	return dir
}

func utc(mo time.Month, d, h, mi int) time.Time { return time.Date(2024, mo, d, h, mi, 0, 0, time.UTC) }

func TestRotateEveryHourCrossesHoursAndDays(t *testing.T) {
	dir := clockRun(t, &Options{RotateEvery: time.Hour},
		at{utc(5, 1, 23, 30), []string{"a"}},
		at{utc(5, 2, 0, 0), []string{"b"}},
		at{utc(5, 2, 0, 59), []string{"c"}},
		at{utc(5, 2, 3, 1), []string{"d"}}, // hours without records leave no file
	)
	expect(t, dir, map[string][]string{
		"app.log.2024-05-01T23-00Z": {"a"},
		"app.log.2024-05-02T00-00Z": {"b", "c"},
		"app.log":                   {"d"},
	})
}

func TestRotateEveryQuarterHourAlignsToTheClock(t *testing.T) {
	dir := clockRun(t, &Options{RotateEvery: 15 * time.Minute},
		at{utc(5, 1, 10, 7), []string{"a"}},
		at{utc(5, 1, 10, 14), []string{"b"}},
		at{utc(5, 1, 10, 15), []string{"c"}},
		at{utc(5, 1, 10, 44), []string{"d"}},
		at{utc(5, 1, 10, 45), []string{"e"}},
	)
	expect(t, dir, map[string][]string{
		"app.log.2024-05-01T10-00Z": {"a", "b"},
		"app.log.2024-05-01T10-15Z": {"c"},
		"app.log.2024-05-01T10-30Z": {"d"},
		"app.log":                   {"e"},
	})
}

// Daily rotation happens at midnight in UTC, or with LocalTime in the
// local zone, and names the backup by that zone's date and offset.
func TestRotateEveryDayAtLocalOrUTCMidnight(t *testing.T) {
	zone := time.FixedZone("UTC+10", 10*60*60)
	steps := []at{
		{utc(5, 1, 13, 59), []string{"a"}},
		{utc(5, 1, 14, 0), []string{"b"}}, // midnight in UTC+10
		{utc(5, 2, 0, 0), []string{"c"}},  // midnight in UTC
	}
	o := &Options{RotateEvery: 24 * time.Hour, LocalTime: true}
	o.zone = zone
	expect(t, clockRun(t, o, steps...), map[string][]string{
		"app.log.2024-05-01T00-00+1000": {"a"},
		"app.log":                       {"b", "c"},
	})
	expect(t, clockRun(t, &Options{RotateEvery: 24 * time.Hour}, steps...), map[string][]string{
		"app.log.2024-05-01T00-00Z": {"a", "b"},
		"app.log":                   {"c"},
	})
}

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// On 2024-03-31 Berlin's clocks jump from 02:00 CET to 03:00 CEST: the
// hour after 01:00 is 03:00, and the backups carry the offset of the time
// they began.
func TestRotateEveryHourAcrossDSTSpringForward(t *testing.T) {
	o := &Options{RotateEvery: time.Hour, LocalTime: true}
	o.zone = berlin(t)
	dir := clockRun(t, o,
		at{utc(3, 31, 0, 30), []string{"a"}}, // 01:30 CET
		at{utc(3, 31, 0, 59), []string{"b"}}, // 01:59 CET
		at{utc(3, 31, 1, 0), []string{"c"}},  // 03:00 CEST
		at{utc(3, 31, 2, 0), []string{"d"}},  // 04:00 CEST
	)
	expect(t, dir, map[string][]string{
		"app.log.2024-03-31T01-00+0100": {"a", "b"},
		"app.log.2024-03-31T03-00+0200": {"c"},
		"app.log":                       {"d"},
	})
}

// On 2024-10-27 Berlin's clocks go back from 03:00 CEST to 02:00 CET: the
// hour from 02:00 comes twice and is one period, and its neighbours keep
// their names.
func TestRotateEveryHourAcrossDSTFallBack(t *testing.T) {
	o := &Options{RotateEvery: time.Hour, LocalTime: true}
	o.zone = berlin(t)
	dir := clockRun(t, o,
		at{utc(10, 26, 23, 30), []string{"a"}}, // 01:30 CEST
		at{utc(10, 27, 0, 30), []string{"b"}},  // 02:30 CEST
		at{utc(10, 27, 1, 30), []string{"c"}},  // 02:30 CET, the second time
		at{utc(10, 27, 2, 0), []string{"d"}},   // 03:00 CET
		at{utc(10, 27, 3, 0), []string{"e"}},   // 04:00 CET
	)
	want := map[string][]string{
		"app.log.2024-10-27T01-00+0200": {"a"},
		"app.log.2024-10-27T02-00+0200": {"b", "c"}, // named by its first start
		"app.log.2024-10-27T03-00+0100": {"d"},
		"app.log":                       {"e"},
	}
	expect(t, dir, want)
}

// A day in local time is 23 or 25 hours long when the clocks change; daily
// rotation stays at midnight.
func TestRotateEveryDayAcrossDST(t *testing.T) {
	o := &Options{RotateEvery: 24 * time.Hour, LocalTime: true}
	loc := berlin(t)
	o.zone = loc
	local := func(mo time.Month, d, h int) time.Time { return time.Date(2024, mo, d, h, 0, 0, 0, loc) }
	dir := clockRun(t, o,
		at{local(3, 30, 23), []string{"a"}},
		at{local(3, 31, 0), []string{"b"}},
		at{local(3, 31, 23), []string{"c"}},
		at{local(4, 1, 0), []string{"d"}},
		at{local(10, 26, 12), []string{"e"}},
		at{local(10, 27, 0), []string{"f"}},
		at{local(10, 27, 23), []string{"g"}},
		at{local(10, 28, 0), []string{"h"}},
	)
	expect(t, dir, map[string][]string{
		"app.log.2024-03-30T00-00+0100": {"a"},
		"app.log.2024-03-31T00-00+0100": {"b", "c"},
		"app.log.2024-04-01T00-00+0200": {"d"},
		"app.log.2024-10-26T00-00+0200": {"e"},
		"app.log.2024-10-27T00-00+0200": {"f", "g"},
		"app.log":                       {"h"},
	})
}

func TestRotateAtFixedTimesOfDay(t *testing.T) {
	dir := clockRun(t, &Options{RotateAt: []time.Duration{18 * time.Hour, 6*time.Hour + 30*time.Minute}},
		at{utc(5, 1, 3, 0), []string{"a"}},
		at{utc(5, 1, 6, 29), []string{"b"}},
		at{utc(5, 1, 6, 30), []string{"c"}},
		at{utc(5, 1, 18, 0), []string{"d"}},
		at{utc(5, 2, 6, 29), []string{"e"}},
		at{utc(5, 2, 6, 30), []string{"f"}},
	)
	expect(t, dir, map[string][]string{
		"app.log.2024-04-30T18-00Z": {"a", "b"},
		"app.log.2024-05-01T06-30Z": {"c"},
		"app.log.2024-05-01T18-00Z": {"d", "e"},
		"app.log":                   {"f"},
	})
}

// Within a period, MaxSize and Rotate number the period's backups: the
// period's last file is NAME.STAMP, the earlier ones NAME.STAMP.1 (the
// newer), NAME.STAMP.2 and so on. Compressed, each gets .gz.
func TestRotateEveryWithMaxSizeNumbersThePeriodsBackups(t *testing.T) {
	n := int64(len(line("x")))
	for _, compress := range []bool{false, true} {
		gz := ""
		if compress {
			gz = ".gz"
		}
		dir := clockRun(t, &Options{RotateEvery: time.Hour, MaxSize: 2 * n, Compress: compress},
			at{utc(5, 1, 10, 0), []string{"a", "b", "c", "d", "e"}},
			at{utc(5, 1, 11, 0), []string{"f"}},
		)
		expect(t, dir, map[string][]string{
			"app.log.2024-05-01T10-00Z.2" + gz: {"a", "b"},
			"app.log.2024-05-01T10-00Z.1" + gz: {"c", "d"},
			"app.log.2024-05-01T10-00Z" + gz:   {"e"},
			"app.log":                          {"f"},
		})
	}
}

// MaxBackups counts clock backups newest first by the instant they began,
// whatever their offset.
func TestRotateEveryKeepsNewestBackups(t *testing.T) {
	o := &Options{RotateEvery: time.Hour, LocalTime: true, MaxBackups: 2}
	o.zone = berlin(t)
	dir := clockRun(t, o,
		at{utc(10, 27, 0, 30), []string{"a"}}, // 02:30 CEST
		at{utc(10, 27, 2, 0), []string{"b"}},  // 03:00 CET
		at{utc(10, 27, 3, 0), []string{"c"}},  // 04:00 CET
		at{utc(10, 27, 4, 0), []string{"d"}},  // 05:00 CET
	)
	expect(t, dir, map[string][]string{
		"app.log.2024-10-27T03-00+0100": {"b"},
		"app.log.2024-10-27T04-00+0100": {"c"},
		"app.log":                       {"d"},
	})
}

// A live file left by an earlier run is rotated into the period of its
// last write by the first record of a later period.
func TestRotateEveryRotatesAFileLeftByAnEarlierRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	if err := os.WriteFile(path, []byte(line("old")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, utc(5, 1, 9, 20), utc(5, 1, 9, 20)); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: utc(5, 1, 10, 5)}
	o := &Options{RotateEvery: time.Hour}
	o.now = clk.Now
	h := open(t, path, o)
	write(t, h, "new")
	shutdown(t, h)
	expect(t, dir, map[string][]string{
		"app.log.2024-05-01T09-00Z": {"old"},
		"app.log":                   {"new"},
	})
}

// The flush goroutine starts the new period without waiting for a record,
// so the finished one is compressed at once.
func TestRotateEveryRotatesWithoutARecord(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: utc(5, 1, 10, 59)}
	o := &Options{RotateEvery: time.Hour, Compress: true, FlushInterval: 5 * time.Millisecond}
	o.now = clk.Now
	h := open(t, filepath.Join(dir, "app.log"), o)
	write(t, h, "a")
	clk.Set(utc(5, 1, 11, 0))
	eventually(t, "the hour's file is compressed", func() bool {
		_, err := os.Stat(filepath.Join(dir, "app.log.2024-05-01T10-00Z.gz"))
		return err == nil
	})
	shutdown(t, h)
	expect(t, dir, map[string][]string{"app.log.2024-05-01T10-00Z.gz": {"a"}, "app.log": nil})
}

// Files that only look like clock backups are never touched.
func TestRotateEveryLeavesOtherNamesAlone(t *testing.T) {
	dir := t.TempDir()
	others := []string{"app.log.2024-05-01T10-00+0000", "app.log.2024-13-01T10-00Z", "app.log.2024-05-01T10-00Z.01", "app.log.2024-05-01T10-00Z.x"}
	for _, n := range others {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("keep\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	clk := &clock{t: utc(5, 1, 10, 0)}
	o := &Options{RotateEvery: time.Hour, MaxBackups: 1, Compress: true}
	o.now = clk.Now
	h := open(t, filepath.Join(dir, "app.log"), o)
	for _, hr := range []int{10, 11, 12} {
		clk.Set(utc(5, 1, hr, 0))
		write(t, h, "x")
	}
	shutdown(t, h)
	want := map[string][]string{"app.log.2024-05-01T11-00Z.gz": {"x"}, "app.log": {"x"}}
	for _, n := range others {
		if got := content(t, filepath.Join(dir, n)); got != "keep\n" {
			t.Errorf("%s = %q, want it untouched", n, got)
		}
		want[n] = nil
	}
	if got, wantNames := names(t, dir), slices.Sorted(maps.Keys(want)); !slices.Equal(got, wantNames) {
		t.Fatalf("files = %q, want %q", got, wantNames)
	}
	if got := content(t, filepath.Join(dir, "app.log.2024-05-01T11-00Z.gz")); got != lines("x") {
		t.Errorf("app.log.2024-05-01T11-00Z.gz = %q, want x", got)
	}
	gzipTest(t, filepath.Join(dir, "app.log.2024-05-01T11-00Z.gz"))
}

func TestNewRefusesAClockScheduleItCannotKeep(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		path string
		o    Options
		want string
	}{
		{"app.log", Options{RotateEvery: 7 * time.Hour}, "option RotateEvery is 7h0m0s: must be whole minutes that divide a day"},
		{"app.log", Options{RotateEvery: 30 * time.Second}, "option RotateEvery is 30s: must be whole minutes"},
		{"app.log", Options{RotateEvery: -time.Hour}, "option RotateEvery is -1h0m0s"},
		{"app.log", Options{RotateAt: []time.Duration{24 * time.Hour}}, "option RotateAt holds 24h0m0s"},
		{"app.log", Options{RotateAt: []time.Duration{time.Hour, time.Hour}}, "option RotateAt holds 1h0m0s twice"},
		{"app.log", Options{RotateEvery: time.Hour, RotateAt: []time.Duration{0}}, "options RotateEvery and RotateAt are both set"},
		{"app-{date}.log", Options{RotateEvery: time.Hour}, "{date} rotates daily already"},
	} {
		_, err := New(filepath.Join(dir, c.path), &c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error with %q", c.o, err, c.want)
		}
	}
}
