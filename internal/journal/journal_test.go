//go:build unix

package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// errs collects what a journal reports.
type errs struct {
	mu  sync.Mutex
	got []error
}

func (e *errs) add(err error) {
	e.mu.Lock()
	e.got = append(e.got, err)
	e.mu.Unlock()
}

func (e *errs) all() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.got)
}

// open opens the journal in dir and returns what it recovered.
func open(t *testing.T, dir string, capacity int, e *errs) (*Journal, []string) {
	t.Helper()
	var got []string
	if e == nil {
		e = &errs{}
	}
	j := Open(dir, capacity, 3, 1<<20, func(recs [][]byte) {
		if len(recs) > 3 {
			t.Errorf("recovered a run of %d records, want at most 3", len(recs))
		}
		for _, r := range recs {
			got = append(got, string(r))
		}
	}, e.add)
	t.Cleanup(func() { j.Close() })
	return j, got
}

type rec struct {
	s        string
	from, to uint64
}

func appendAll(t *testing.T, j *Journal, recs ...string) []rec {
	t.Helper()
	var out []rec
	for i, s := range recs {
		from, to, ok := j.Append([]byte(s), i == 0)
		if !ok {
			t.Fatalf("Append(%q) kept nothing", s)
		}
		if len(out) > 0 && out[len(out)-1].to != from {
			t.Fatalf("span of %q starts at %d, the one before ended at %d", s, from, out[len(out)-1].to)
		}
		out = append(out, rec{s, from, to})
	}
	return out
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return out
}

// A process that dies leaves its unreleased records; the next Open gives
// them back, oldest first, and then starts clean.
func TestRecoversWhatWasNotReleased(t *testing.T) {
	dir := t.TempDir()
	j, got := open(t, dir, 1<<16, nil)
	if len(got) != 0 {
		t.Fatalf("a new journal recovered %q", got)
	}
	rs := appendAll(t, j, names("r", 10)...)
	j.Release(rs[0].from, rs[3].to) // r000..r003 delivered
	j.Release(rs[6].from, rs[7].to) // r006 spooled, out of order
	// No Close: the process was killed. The file is read as it is.
	_, got = open(t, dir, 1<<16, nil)
	// r006 and r007 were released out of order, after r004 and r005,
	// which were not: the header says so, and they are skipped.
	want := []string{"r004", "r005", "r008", "r009"}
	if !slices.Equal(got, want) {
		t.Fatalf("recovered %q, want %q", got, want)
	}
}

// Open commits past what it recovered: a third process finds nothing.
func TestRecoveredRecordsAreNotRecoveredTwice(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, dir, 1<<16, nil)
	appendAll(t, j, names("a", 5)...)
	_, got := open(t, dir, 1<<16, nil)
	if len(got) != 5 {
		t.Fatalf("recovered %d records, want 5", len(got))
	}
	j3, got := open(t, dir, 1<<16, nil)
	if len(got) != 0 {
		t.Fatalf("the next Open recovered %q again", got)
	}
	// And it goes on from there.
	rs := appendAll(t, j3, "b0", "b1")
	j3.Release(rs[0].from, rs[0].to)
	_, got = open(t, dir, 1<<16, nil)
	if !slices.Equal(got, []string{"b1"}) {
		t.Fatalf("recovered %q, want [b1]", got)
	}
}

// Records go round the ring many times; only those not released come
// back, whole, across the wrap.
func TestRingWrapsAndRecoversAcrossTheEnd(t *testing.T) {
	dir := t.TempDir()
	const capacity = 4096
	j, _ := open(t, dir, capacity, nil)
	var last []rec
	for lap := range 40 {
		// Sizes that do not divide the ring: wrap markers and short tails.
		rs := appendAll(t, j, strings.Repeat("x", 100+lap), strings.Repeat("y", 333), strings.Repeat("z", 7))
		if lap < 39 {
			j.Release(rs[0].from, rs[2].to)
		}
		last = rs
	}
	if h := j.Held(); h != last[2].to-last[0].from {
		t.Fatalf("Held = %d, want %d", h, last[2].to-last[0].from)
	}
	_, got := open(t, dir, capacity, nil)
	want := []string{last[0].s, last[1].s, last[2].s}
	if !slices.Equal(got, want) {
		t.Fatalf("recovered %d records %.20q, want the last lap's 3", len(got), got)
	}
}

// A record torn by the kill (its checksum does not match) ends the
// recovery; every record before it is given back.
func TestTornRecordEndsRecovery(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, dir, 1<<16, nil)
	rs := appendAll(t, j, "one", "two", "three")
	m := j.cur.Load()
	m.ring[rs[1].from%m.size+recHeader] ^= 0xff // a byte of "two"
	_, got := open(t, dir, 1<<16, nil)
	if !slices.Equal(got, []string{"one"}) {
		t.Fatalf("recovered %q, want [one]", got)
	}
}

// A ring full of unreleased records keeps the next in memory only,
// counts it, and reports the spell once; releasing makes room again.
func TestFullRingKeepsRecordsInMemoryAndSaysSoOnce(t *testing.T) {
	e := &errs{}
	j, _ := open(t, t.TempDir(), 4096, e)
	var rs []rec
	for {
		from, to, ok := j.Append([]byte(strings.Repeat("r", 200)), true)
		if !ok {
			break
		}
		rs = append(rs, rec{"", from, to})
	}
	for range 99 {
		if _, _, ok := j.Append([]byte(strings.Repeat("r", 200)), true); ok {
			t.Fatal("a full ring took a record")
		}
	}
	if v := j.Volatile(); v != 100 {
		t.Fatalf("Volatile = %d, want 100", v)
	}
	waitFor(t, func() bool { return len(e.all()) > 0 })
	time.Sleep(2 * retryEvery) // no second report for the same spell
	got := e.all()
	if len(got) != 1 || !strings.Contains(got[0].Error(), "full") || !strings.Contains(got[0].Error(), "lost if the process is killed") {
		t.Fatalf("reported %v, want one error saying the journal is full and what that risks", got)
	}
	j.Release(rs[0].from, rs[0].to)
	if _, _, ok := j.Append([]byte("fits"), true); !ok {
		t.Fatal("no room after a release")
	}
}

// A record larger than a quarter of the ring is kept in memory only.
func TestHugeRecordIsVolatile(t *testing.T) {
	j, _ := open(t, t.TempDir(), 4096, nil)
	if _, _, ok := j.Append(make([]byte, 1100), true); ok {
		t.Fatal("a 1100-byte record went into a 4096-byte ring")
	}
	if j.Volatile() != 1 {
		t.Fatalf("Volatile = %d, want 1", j.Volatile())
	}
	appendAll(t, j, "small")
}

// A spell that is over before the watcher looks (one record too large,
// then one that fits) is reported all the same: its start and its end.
func TestShortSpellIsReported(t *testing.T) {
	e := &errs{}
	j, _ := open(t, t.TempDir(), 4096, e)
	j.Append(make([]byte, 1100), true)
	appendAll(t, j, "small")
	waitFor(t, func() bool { return len(e.all()) >= 2 })
	got := e.all()
	if len(got) != 2 || !strings.Contains(got[0].Error(), "larger than a quarter") || !strings.Contains(got[1].Error(), "kept on disk again (1 were") {
		t.Fatalf("reported %v, want the spell's start and its end", got)
	}
}

// A journal whose file is removed while logging (the spool directory
// deleted) keeps records in memory only, says so once, and is made again:
// records after that are kept, and recovered.
func TestRemovedJournalIsMadeAgain(t *testing.T) {
	e := &errs{}
	dir := filepath.Join(t.TempDir(), "spool")
	j, _ := open(t, dir, 1<<16, e)
	before := appendAll(t, j, "released", "before")
	j.Release(before[0].from, before[0].to)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		_, err := os.Stat(filepath.Join(dir, Name))
		return err == nil
	})
	// The watcher has made a new file; the next Append puts it in place,
	// with the records of the removed one still queued: the process still
	// has them mapped, and a kill must not lose them.
	rs := appendAll(t, j, "after")
	_, got := open(t, dir, 1<<16, nil)
	if !slices.Equal(got, []string{"before", "after"}) {
		t.Fatalf("recovered %q, want [before after]", got)
	}
	j.Release(before[1].from, before[1].to)
	j.Release(rs[0].from, rs[0].to)
	if h := j.Held(); h != 0 {
		t.Fatalf("Held = %d after every record was released, want 0", h)
	}
}

// A directory where the journal cannot be made (read-only) leaves every
// record in memory only, reported once with the cause; once it can, the
// journal is made and records are kept again.
func TestReadOnlyDirectoryThenWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes to read-only directories")
	}
	e := &errs{}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	j, _ := open(t, dir, 1<<16, e)
	for range 10 {
		if _, _, ok := j.Append([]byte("r"), true); ok {
			t.Fatal("a read-only directory kept a record")
		}
	}
	waitFor(t, func() bool { return len(e.all()) > 0 })
	got := e.all()
	if len(got) != 1 || !errors.Is(got[0], os.ErrPermission) || !strings.Contains(got[0].Error(), "made again") {
		t.Fatalf("reported %v, want one permission error saying it is tried again", got)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return j.next.Load() != nil })
	appendAll(t, j, "kept")
	if j.Volatile() != 10 {
		t.Fatalf("Volatile = %d, want 10", j.Volatile())
	}
}

// A journal made with another capacity is recovered, then replaced by one
// of the new capacity.
func TestCapacityChangeRecoversThenResizes(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, dir, 4096, nil)
	appendAll(t, j, "x", "y")
	j2, got := open(t, dir, 1<<16, nil)
	if !slices.Equal(got, []string{"x", "y"}) {
		t.Fatalf("recovered %q, want [x y]", got)
	}
	if s := j2.cur.Load().size; s != 1<<16 {
		t.Fatalf("ring of %d bytes, want %d", s, 1<<16)
	}
	appendAll(t, j2, "z")
	_, got = open(t, dir, 1<<16, nil)
	if !slices.Equal(got, []string{"z"}) {
		t.Fatalf("recovered %q, want [z]", got)
	}
}

// A file that is not a journal is set aside, said so, and replaced.
func TestGarbageJournalIsSetAside(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, Name), []byte("not a journal"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &errs{}
	j, got := open(t, dir, 4096, e)
	if len(got) != 0 || len(e.all()) != 1 || !strings.Contains(e.all()[0].Error(), "set it aside") {
		t.Fatalf("recovered %q, reported %v", got, e.all())
	}
	if _, err := os.Stat(filepath.Join(dir, Name+".bad")); err != nil {
		t.Fatal(err)
	}
	appendAll(t, j, "ok")
}

func TestCapacity(t *testing.T) {
	for _, c := range []struct{ bytes, size, want int }{
		{0, 0, 1 << 20},
		{4096, 10, 1 << 20},
		{64 << 20, 1_000_000, 64<<20 + 24_000_000 + 16<<20 + 64<<10 - (24_000_000 % (64 << 10))},
		{64 << 20, 10, 80<<20 + 64<<10},
	} {
		if got := Capacity(c.bytes, c.size); got != c.want {
			t.Errorf("Capacity(%d, %d) = %d, want %d", c.bytes, c.size, got, c.want)
		}
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pinAndChurn appends two records that stay queued (a batch retried
// against a destination that is down), then laps of records that are
// released at once (diverted to the spool): many rings' worth.
func pinAndChurn(t *testing.T, j *Journal) rec {
	t.Helper()
	pin := appendAll(t, j, "p0", "p1")
	for range 200 {
		rs := appendAll(t, j, strings.Repeat("a", 100), strings.Repeat("b", 150), strings.Repeat("c", 90))
		j.Release(rs[0].from, rs[2].to)
	}
	return rec{"", pin[0].from, pin[1].to}
}

// The oldest records, still queued while everything after them was
// released, are moved past the newest instead of filling the ring: none is
// kept in memory only, and a kill then recovers them once.
func TestPinnedRecordsAreMovedAndRecoveredOnce(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, dir, 4096, nil)
	pinAndChurn(t, j)
	if v := j.Volatile(); v != 0 {
		t.Fatalf("Volatile = %d, want 0: the pinned records filled the ring", v)
	}
	_, got := open(t, dir, 4096, nil)
	if !slices.Equal(got, []string{"p0", "p1"}) {
		t.Fatalf("recovered %.30q, want [p0 p1]", got)
	}
}

// Releasing the span Append gave for records since moved releases them
// where they are now.
func TestReleaseOfMovedRecords(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, dir, 4096, nil)
	pin := pinAndChurn(t, j)
	if j.Held() == 0 {
		t.Fatal("nothing held before the pinned records are released")
	}
	j.Release(pin.from, pin.to)
	if h := j.Held(); h != 0 {
		t.Fatalf("Held = %d after every record was released, want 0", h)
	}
	if m := j.cur.Load(); len(m.moved) != 0 || len(m.pending) != 0 {
		t.Fatalf("%d moves and %d pending spans left", len(m.moved), len(m.pending))
	}
	_, got := open(t, dir, 4096, nil)
	if len(got) != 0 {
		t.Fatalf("recovered %.30q, want none", got)
	}
}

// A journal file cut short under the process (truncated by another one)
// makes stores into its mapping fault: Append keeps the record in memory
// only and says why, Release goes on, nothing kills the process (SIGBUS),
// and the watcher makes the journal again, which keeps records again.
func TestTruncatedJournalFaultsWithoutKillingTheProcess(t *testing.T) {
	e := &errs{}
	dir := filepath.Join(t.TempDir(), "spool")
	j, _ := open(t, dir, 1<<16, e)
	before := appendAll(t, j, "a", "b")
	if err := os.Truncate(filepath.Join(dir, Name), 0); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := j.Append([]byte("c"), true); ok {
		t.Fatal("Append into a truncated journal kept the record")
	}
	j.Release(before[0].from, before[0].to) // no fault may escape
	if v := j.Volatile(); v != 1 {
		t.Errorf("Volatile = %d, want 1", v)
	}
	waitFor(t, func() bool {
		_, _, ok := j.Append([]byte("d"), true)
		return ok
	})
	waitFor(t, func() bool {
		for _, err := range e.all() {
			if strings.Contains(err.Error(), "faulted") {
				return true
			}
		}
		return false
	})
}
