package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// batch returns n records "name-0", "name-1", ...
func batch(name string, n int) [][]byte {
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = fmt.Appendf(nil, `{"msg":"%s-%d"}`, name, i)
	}
	return recs
}

func open(t *testing.T, dir string, maxBytes int64) *Spool {
	t.Helper()
	s, err := Open(dir, maxBytes)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// collect replays everything in s and returns the records as strings,
// one []string per frame.
func collect(t *testing.T, s *Spool) [][]string {
	t.Helper()
	var got [][]string
	n, err := s.Replay(context.Background(), func(recs [][]byte) error {
		var f []string
		for _, r := range recs {
			f = append(f, string(r))
		}
		got = append(got, f)
		return nil
	})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if want := count(got); n != want {
		t.Fatalf("Replay returned %d, but sent %d records", n, want)
	}
	return got
}

func count(frames [][]string) int {
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	return n
}

func strs(recs [][]byte) []string {
	s := make([]string, len(recs))
	for i, r := range recs {
		s[i] = string(r)
	}
	return s
}

func segments(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segExt))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestReplayOldestFirstAcrossSegmentsThenDeletes(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 0)
	s.segBytes = 300 // a few frames a segment
	var want [][]string
	for i := range 20 {
		b := batch(fmt.Sprint("b", i), i%4+1)
		b = append(b, []byte{}) // an empty record survives too
		if err := s.Append(b); err != nil {
			t.Fatal(err)
		}
		want = append(want, strs(b))
	}
	if got := s.Len(); got != count(want) {
		t.Fatalf("Len = %d, want %d", got, count(want))
	}
	if n := len(segments(t, dir)); n < 4 {
		t.Fatalf("%d segment files, want rotation into at least 4", n)
	}
	got := collect(t, s)
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("replayed\n%q\nwant\n%q", got, want)
	}
	if s.Len() != 0 || s.Size() != 0 {
		t.Fatalf("after replay Len = %d, Size = %d; want 0, 0", s.Len(), s.Size())
	}
	if segs := segments(t, dir); len(segs) != 0 {
		t.Fatalf("segments left after a full replay: %v", segs)
	}
	if got := collect(t, s); len(got) != 0 {
		t.Fatalf("second replay sent %q, want nothing", got)
	}
}

func TestReplayStopsAtSendErrorAndResumesWithoutDuplicates(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 0)
	s.segBytes = 200
	var want []string
	for i := range 10 {
		b := batch(fmt.Sprint("b", i), 3)
		if err := s.Append(b); err != nil {
			t.Fatal(err)
		}
		want = append(want, strs(b)...)
	}
	down := errors.New("collector down")
	var got []string
	calls := 0
	n, err := s.Replay(context.Background(), func(recs [][]byte) error {
		calls++
		if calls == 5 {
			return down
		}
		got = append(got, strs(recs)...)
		return nil
	})
	if !errors.Is(err, down) || n != 12 {
		t.Fatalf("Replay = %d, %v; want 12, %v", n, err, down)
	}
	if s.Len() != 18 {
		t.Fatalf("Len after a partial replay = %d, want 18", s.Len())
	}
	for _, f := range collect(t, s) {
		got = append(got, f...)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("records over two replays\n%q\nwant each once, in order\n%q", got, want)
	}
}

// A send that handled part of its frame says so with a PartialError: the
// next Replay hands over only the rest of that frame, and Len counts only
// what is left, in this process and, after Close, in the next one. A
// process that died without Close replays the whole frame.
func TestReplayResumesAfterAPartlySentFrame(t *testing.T) {
	b0, b1 := strs(batch("b0", 4)), strs(batch("b1", 4))
	for _, after := range []string{"same process", "close and reopen", "crash"} {
		t.Run(after, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir, 0)
			for _, name := range []string{"b0", "b1"} {
				if err := s.Append(batch(name, 4)); err != nil {
					t.Fatal(err)
				}
			}
			down := errors.New("collector down")
			n, err := s.Replay(context.Background(), func(recs [][]byte) error {
				return &PartialError{Sent: 3, Err: down}
			})
			if !errors.Is(err, down) || n != 3 || s.Len() != 5 {
				t.Fatalf("Replay = %d, %v with Len %d after; want 3, %v, Len 5", n, err, s.Len(), down)
			}
			want, wantLen := [][]string{b0[3:], b1}, 5
			switch after {
			case "close and reopen":
				s.Close()
				s = open(t, dir, 0)
			case "crash":
				s = open(t, copyDir(t, dir), 0) // the files as a killed process left them
				want[0], wantLen = b0, 8        // at least once: the frame again
			}
			if s.Len() != wantLen {
				t.Errorf("Len = %d, want %d", s.Len(), wantLen)
			}
			if got := collect(t, s); !slices.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("next replay sent\n%q\nwant\n%q", got, want)
			}
		})
	}
}

// Close writes how far a segment was replayed, and the next Open resumes
// there: frames sent before the Close are not sent again. The position
// file goes with its segment.
func TestCloseKeepsTheReplayPositionForTheNextProcess(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 0)
	var want []string
	for i := range 6 {
		b := batch(fmt.Sprint("b", i), 2)
		if err := s.Append(b); err != nil {
			t.Fatal(err)
		}
		want = append(want, strs(b)...)
	}
	down := errors.New("collector down")
	var got []string
	calls := 0
	if _, err := s.Replay(context.Background(), func(recs [][]byte) error {
		if calls++; calls == 3 {
			return down
		}
		got = append(got, strs(recs)...)
		return nil
	}); !errors.Is(err, down) {
		t.Fatalf("Replay: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*"+posExt)); len(m) != 1 {
		t.Fatalf("position files after Close: %v, want one", m)
	}
	s = open(t, dir, 0)
	if s.Len() != 8 {
		t.Fatalf("Len after reopening = %d, want the 8 records not yet sent", s.Len())
	}
	for _, f := range collect(t, s) {
		got = append(got, f...)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("records over two processes\n%q\nwant each once, in order\n%q", got, want)
	}
	s.saves.Wait() // a position save under way at the segment's removal
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 1 || filepath.Base(m[0]) != lockName {
		t.Fatalf("files left after a full replay: %v, want only the lock", m)
	}
}

// A position that does not fit its segment (garbage, an offset inside a
// frame or past its end, a skip as large as the frame) is ignored: the
// segment is replayed whole. One without a segment is removed.
func TestABadPositionReplaysTheWholeSegment(t *testing.T) {
	for name, pos := range map[string]string{
		"garbage":      "not a position",
		"empty":        "",
		"inside frame": posMagic + " 9 0\n",
		"past the end": posMagic + " 99999 0\n",
		"skip too big": posMagic + " 8 3\n",
		"negative":     posMagic + " 8 -1\n",
		"other magic":  "MSPOS9 8 1\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir, 0)
			if err := s.Append(batch("b", 3)); err != nil {
				t.Fatal(err)
			}
			s.Close()
			segs := segments(t, dir)
			if len(segs) != 1 {
				t.Fatalf("segments %v", segs)
			}
			if err := os.WriteFile(posPath(segs[0]), []byte(pos), 0o600); err != nil {
				t.Fatal(err)
			}
			orphan := filepath.Join(dir, fmt.Sprintf("%016d%s", 77, posExt))
			if err := os.WriteFile(orphan, []byte(posMagic+" 8 0\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			s = open(t, dir, 0)
			if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a position without its segment was kept: %v", err)
			}
			want := [][]string{strs(batch("b", 3))}
			if got := collect(t, s); !slices.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("replayed %q, want the whole segment %q", got, want)
			}
		})
	}
}

// copyDir copies the regular files of dir, but not its lock, to a new
// directory: what a process killed at this moment would leave behind.
func copyDir(t *testing.T, dir string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || e.Name() == lockName {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestOpenPicksUpWhatAPreviousSpoolLeft(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.segBytes = 250
	var want [][]string
	for i := range 8 {
		b := batch(fmt.Sprint("old", i), 2)
		if err := s.Append(b); err != nil {
			t.Fatal(err)
		}
		want = append(want, strs(b))
	}
	size := s.Size()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Append(batch("late", 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Replay(context.Background(), func([][]byte) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Replay after Close = %v, want ErrClosed", err)
	}

	s2 := open(t, dir, 0)
	if s2.Len() != 16 || s2.Size() != size {
		t.Fatalf("reopened Len = %d, Size = %d; want 16, %d", s2.Len(), s2.Size(), size)
	}
	// New batches go after the old ones, in a segment of their own.
	b := batch("new", 3)
	if err := s2.Append(b); err != nil {
		t.Fatal(err)
	}
	want = append(want, strs(b))
	if got := collect(t, s2); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("replayed\n%q\nwant\n%q", got, want)
	}
}

// TestTornLastFrameLosesOnlyThatFrame cuts a segment at every byte offset
// inside its last frame, as a process killed mid-write would leave it, and
// checks that every earlier frame is replayed intact and nothing else is.
func TestTornLastFrameLosesOnlyThatFrame(t *testing.T) {
	src := t.TempDir()
	s, err := Open(src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]string
	for i := range 3 {
		b := batch(fmt.Sprint("keep", i), 3)
		if err := s.Append(b); err != nil {
			t.Fatal(err)
		}
		want = append(want, strs(b))
	}
	lastStart := s.Size()
	if err := s.Append(batch("torn", 4)); err != nil {
		t.Fatal(err)
	}
	end := s.Size()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	segs := segments(t, src)
	if len(segs) != 1 {
		t.Fatalf("want one segment, got %v", segs)
	}
	full, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(full)) != end {
		t.Fatalf("segment is %d bytes, Size said %d", len(full), end)
	}
	for cut := lastStart; cut < end; cut++ {
		dir := t.TempDir()
		name := filepath.Join(dir, filepath.Base(segs[0]))
		if err := os.WriteFile(name, full[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir, 0)
		if err != nil {
			t.Fatalf("cut at %d: Open: %v", cut, err)
		}
		if s.Len() != 9 {
			t.Errorf("cut at %d: Len = %d, want 9", cut, s.Len())
		}
		if s.Discarded() != cut-lastStart {
			t.Errorf("cut at %d: Discarded = %d, want %d", cut, s.Discarded(), cut-lastStart)
		}
		// The torn tail is gone from the file: a frame appended now is
		// readable after the intact ones.
		if err := s.Append([][]byte{[]byte("after")}); err != nil {
			t.Fatal(err)
		}
		got := collect(t, s)
		w := append(slices.Clone(want), []string{"after"})
		if !slices.EqualFunc(got, w, slices.Equal) {
			t.Fatalf("cut at %d: replayed\n%q\nwant\n%q", cut, got, w)
		}
		s.Close()
	}
}

func TestGarbageAfterLastFrameIsCutOff(t *testing.T) {
	for name, tail := range map[string][]byte{
		"zeros":      make([]byte, 64), // a file system that extended the file but lost the data
		"short junk": []byte("xyz"),
		"junk":       []byte(strings.Repeat("\xff", 40)),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, 0)
			if err != nil {
				t.Fatal(err)
			}
			b := batch("ok", 2)
			if err := s.Append(b); err != nil {
				t.Fatal(err)
			}
			s.Close()
			seg := segments(t, dir)[0]
			f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(tail)
			f.Close()
			s2 := open(t, dir, 0)
			if s2.Discarded() != int64(len(tail)) {
				t.Errorf("Discarded = %d, want %d", s2.Discarded(), len(tail))
			}
			if got := collect(t, s2); !slices.EqualFunc(got, [][]string{strs(b)}, slices.Equal) {
				t.Fatalf("replayed %q, want %q", got, strs(b))
			}
		})
	}
}

func TestCorruptFrameDropsTheRestOfItsSegmentOnly(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	first := batch("first", 2)
	s.Append(first)
	mid := s.Size()
	s.Append(batch("flipped", 2))
	s.Append(batch("behind", 2))
	s.Close()
	// A second segment, written by a later process, is unaffected.
	s, err = Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	later := batch("later", 2)
	s.Append(later)
	s.Close()

	seg := segments(t, dir)[0]
	b, _ := os.ReadFile(seg)
	b[mid+headerSize+3] ^= 0x20 // one bit in the payload
	os.WriteFile(seg, b, 0o600)

	s2 := open(t, dir, 0)
	if s2.Len() != 4 {
		t.Errorf("Len = %d, want 4", s2.Len())
	}
	if got := collect(t, s2); !slices.EqualFunc(got, [][]string{strs(first), strs(later)}, slices.Equal) {
		t.Fatalf("replayed %q, want the frames before the flipped bit and the later segment", got)
	}
}

func TestAppendPastMaxBytesIsErrFullUntilReplayFreesRoom(t *testing.T) {
	dir := t.TempDir()
	b := batch("x", 4)
	probe := open(t, t.TempDir(), 0)
	probe.Append(b)
	frame := probe.Size() - int64(len(magic))

	const frames = 5
	s := open(t, dir, int64(len(magic))+frames*frame)
	s.segBytes = 1 << 20
	for i := range frames {
		if err := s.Append(b); err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
	}
	before := s.Size()
	if err := s.Append(b); !errors.Is(err, ErrFull) {
		t.Fatalf("Append past maxBytes = %v, want ErrFull", err)
	}
	if s.Size() != before || s.Len() != frames*4 {
		t.Fatalf("a refused Append changed the spool: Size %d -> %d, Len %d", before, s.Size(), s.Len())
	}
	if got := collect(t, s); count(got) != frames*4 {
		t.Fatalf("replayed %d records, want %d", count(got), frames*4)
	}
	if err := s.Append(b); err != nil {
		t.Fatalf("Append after replay: %v", err)
	}
}

func TestOneSpoolPerDirectory(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 0)
	if s2, err := Open(dir, 0); err == nil {
		s2.Close()
		t.Fatal("second Open of a directory in use succeeded")
	} else if !strings.Contains(err.Error(), dir) {
		t.Fatalf("error %q does not name the directory", err)
	}
	s.Close()
	s3, err := Open(dir, 0)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s3.Close()
}

func TestReplayStopsWhenContextEnds(t *testing.T) {
	s := open(t, t.TempDir(), 0)
	for i := range 5 {
		s.Append(batch(fmt.Sprint(i), 1))
	}
	ctx, cancel := context.WithCancel(context.Background())
	n, err := s.Replay(ctx, func([][]byte) error {
		cancel()
		return nil
	})
	if n != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("Replay = %d, %v; want 1, context.Canceled", n, err)
	}
	if s.Len() != 4 {
		t.Fatalf("Len = %d, want 4", s.Len())
	}
}

// TestAppendDuringReplay runs writers against a replaying spool: nothing is
// lost or sent twice, and Append never waits on a send.
func TestAppendDuringReplay(t *testing.T) {
	s := open(t, t.TempDir(), 0)
	s.segBytes = 1 << 10
	const writers, each = 4, 200
	var wg sync.WaitGroup
	release := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.Append([][]byte{fmt.Appendf(nil, "%d-%d", w, i)}); err != nil {
					t.Error(err)
					return
				}
				if i == each/2 && w == 0 {
					close(release)
				}
			}
		})
	}
	seen := map[string]int{}
	var mu sync.Mutex
	send := func(recs [][]byte) error {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range recs {
			seen[string(r)]++
		}
		return nil
	}
	<-release
	if _, err := s.Replay(context.Background(), send); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if _, err := s.Replay(context.Background(), send); err != nil {
		t.Fatal(err)
	}
	if len(seen) != writers*each {
		t.Fatalf("%d distinct records replayed, want %d", len(seen), writers*each)
	}
	for r, n := range seen {
		if n != 1 {
			t.Fatalf("record %q replayed %d times", r, n)
		}
	}
	if s.Len() != 0 || s.Size() != 0 {
		t.Fatalf("Len = %d, Size = %d after replaying everything", s.Len(), s.Size())
	}
}

func TestOpenIgnoresFilesNotItsOwn(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hi"), 0o600)
	os.WriteFile(filepath.Join(dir, "abc.seg"), []byte("hi"), 0o600)
	s := open(t, dir, 0)
	if s.Len() != 0 {
		t.Fatalf("Len = %d, want 0", s.Len())
	}
	s.Append(batch("a", 1))
	s.Close()
	for _, n := range []string{"notes.txt", "abc.seg"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s: %v (a file not ours was touched)", n, err)
		}
	}
}

func TestEmptyAndHeaderOnlySegmentsAreRemoved(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "0000000000000007.seg"), nil, 0o600)
	os.WriteFile(filepath.Join(dir, "0000000000000008.seg"), []byte(magic), 0o600)
	os.WriteFile(filepath.Join(dir, "0000000000000009.seg"), []byte(magic[:3]), 0o600)
	s := open(t, dir, 0)
	if segs := segments(t, dir); len(segs) != 0 {
		t.Fatalf("segments left: %v", segs)
	}
	s.Append(batch("a", 1))
	// Numbering continues after the highest sequence seen.
	if _, err := os.Stat(filepath.Join(dir, "0000000000000010.seg")); err != nil {
		t.Fatalf("new segment: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open("", 0); err == nil {
		t.Fatal("Open(\"\") succeeded")
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	_, err := Open(filepath.Join(file, "sub"), 0)
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("Open under a file = %v, want an error naming the path", err)
	}
}

// FuzzOpenReplay feeds arbitrary bytes as a segment: Open and Replay never
// panic, and what is replayed is exactly what Len promised.
func FuzzOpenReplay(f *testing.F) {
	dir := f.TempDir()
	s, _ := Open(dir, 0)
	s.Append(batch("seed", 3))
	s.Append([][]byte{{}, []byte("x")})
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+segExt))
	seed, err := os.ReadFile(segs[0])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(magic))
	f.Add(append([]byte(magic), 1, 0, 0, 0, 0, 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "0000000000000001.seg"), data, 0o600)
		s, err := Open(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		want := s.Len()
		n, err := s.Replay(context.Background(), func([][]byte) error { return nil })
		if err != nil || n != want {
			t.Fatalf("Replay = %d, %v; Len promised %d", n, err, want)
		}
	})
}

// A segment sealed by Replay (or by rotation) is synced in the background,
// never on the Append's goroutine; a failure there is not lost: the next
// Sync reports it, once. Close waits for the background seals.
func TestBackgroundSealFailureIsReportedBySync(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 0)
	if err := s.Append(batch("a", 2)); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.active.Close() // the seal's fsync will fail: file already closed
	s.mu.Unlock()
	if got := collect(t, s); count(got) != 2 { // Replay seals the active segment
		t.Fatalf("replayed %q, want the 2 records", got)
	}
	if err := s.Sync(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Sync after a failed background seal = %v, want it reported", err)
	}
	if err := s.Sync(); err != nil {
		t.Fatalf("second Sync = %v, want nil: the failure is reported once", err)
	}
	for i := range 20 {
		if err := s.Append(batch(fmt.Sprint("b", i), 50)); err != nil {
			t.Fatal(err)
		}
	}
	s.segBytes = 1 // every Append now rotates, in the background
	for i := range 20 {
		if err := s.Append(batch(fmt.Sprint("c", i), 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = open(t, dir, 0)
	if s.Len() != 20*50+20 {
		t.Fatalf("Len after reopening = %d, want every record appended", s.Len())
	}
}

// leaseAll replays everything in s with ReplayLeased and returns the
// leases, one per frame, unreleased, and the frames.
func leaseAll(t *testing.T, s *Spool) ([]Lease, [][]string) {
	t.Helper()
	var leases []Lease
	var got [][]string
	if _, err := s.ReplayLeased(context.Background(), func(recs [][]byte, l Lease) error {
		leases = append(leases, l)
		got = append(got, strs(recs))
		return nil
	}); err != nil {
		t.Fatalf("ReplayLeased: %v", err)
	}
	return leases, got
}

// Frames handed over by ReplayLeased leave Len at once but stay on disk
// until their leases are released: a process killed meanwhile (a copy of
// the directory, not closed) leaves them to the next, which replays them.
func TestALeasedFrameStaysOnDiskUntilReleased(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 0)
	s.segBytes = 300
	var want [][]string
	for i := range 8 {
		b := batch(fmt.Sprint("b", i), 3)
		if err := s.Append(b); err != nil {
			t.Fatal(err)
		}
		want = append(want, strs(b))
	}
	leases, got := leaseAll(t, s)
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("replayed\n%q\nwant\n%q", got, want)
	}
	if s.Len() != 0 {
		t.Fatalf("Len = %d after the replay, want 0", s.Len())
	}
	if got := collect(t, s); len(got) != 0 {
		t.Fatalf("a second replay sent %q, want nothing: the frames were handed over", got)
	}
	segs := len(segments(t, dir))
	if segs < 2 {
		t.Fatalf("%d segment files, want at least 2 kept for their leases", segs)
	}
	killed := open(t, copyDir(t, dir), 0)
	if got := collect(t, killed); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("the next process replayed\n%q\nwant\n%q", got, want)
	}

	// Released in order: the segments go as their last lease does.
	for i, l := range leases {
		l.Release()
		if n := len(segments(t, dir)); n > segs {
			t.Fatalf("after %d releases, %d segments, more than %d", i+1, n, segs)
		}
		segs = len(segments(t, dir))
	}
	if segs != 0 || s.Size() != 0 {
		t.Fatalf("after every release, %d segments and Size %d; want none", segs, s.Size())
	}
	leases[0].Release() // twice: nothing happens
	Lease{}.Release()
}

// Close records the oldest frame still leased as the segment's replay
// position; a send that fails voids its lease.
func TestCloseKeepsTheOldestLeasedFrame(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]string
	for i := range 4 {
		b := batch(fmt.Sprint("b", i), 2)
		if err := s.Append(b); err != nil {
			t.Fatal(err)
		}
		want = append(want, strs(b))
	}
	var leases []Lease
	boom := errors.New("boom")
	if _, err := s.ReplayLeased(context.Background(), func(recs [][]byte, l Lease) error {
		if len(leases) == 3 {
			return boom // the fourth frame stays in the spool
		}
		leases = append(leases, l)
		return nil
	}); !errors.Is(err, boom) {
		t.Fatalf("ReplayLeased: %v, want boom", err)
	}
	if s.Len() != 2 {
		t.Fatalf("Len = %d, want the 2 records of the frame not sent", s.Len())
	}
	leases[0].Release()
	leases[2].Release() // out of order: frame 1 is still leased
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	leases[1].Release() // after Close: nothing happens
	s = open(t, dir, 0)
	if got := collect(t, s); !slices.EqualFunc(got, want[1:], slices.Equal) {
		t.Fatalf("after Close, replayed\n%q\nwant\n%q", got, want[1:])
	}
}

// A process killed during a replay sends the segment again from the frame
// after the last one delivered (with leases, from the oldest frame still
// out), not from the segment's start: positions are saved as the replay
// goes, at most saveEvery apart (the test waits for the saves asked for).
func TestKilledReplayResumesWhereItStopped(t *testing.T) {
	fill := func(s *Spool) [][]string {
		var want [][]string
		for i := range 6 {
			b := batch(fmt.Sprint("b", i), 3)
			if err := s.Append(b); err != nil {
				t.Fatal(err)
			}
			want = append(want, strs(b))
		}
		return want
	}
	t.Run("replay", func(t *testing.T) {
		dir := t.TempDir()
		s := open(t, dir, 0)
		want := fill(s)
		sent := 0
		errStop := errors.New("stop")
		if _, err := s.Replay(context.Background(), func([][]byte) error {
			if sent == 2 {
				return errStop
			}
			sent++
			return nil
		}); !errors.Is(err, errStop) {
			t.Fatalf("Replay: %v", err)
		}
		s.saves.Wait() // the positions asked for are on disk
		if got := collect(t, open(t, copyDir(t, dir), 0)); !slices.EqualFunc(got, want[2:], slices.Equal) {
			t.Fatalf("after a kill, the next process replayed\n%q\nwant\n%q", got, want[2:])
		}
	})
	t.Run("leased", func(t *testing.T) {
		dir := t.TempDir()
		s := open(t, dir, 0)
		want := fill(s)
		leases, _ := leaseAll(t, s)
		leases[0].Release()
		leases[2].Release() // out of order: the oldest still out is frame 1
		s.saves.Wait()
		if got := collect(t, open(t, copyDir(t, dir), 0)); !slices.EqualFunc(got, want[1:], slices.Equal) {
			t.Fatalf("after a kill, the next process replayed\n%q\nwant\n%q", got, want[1:])
		}
		leases[1].Release()
		s.saves.Wait()
		if got := collect(t, open(t, copyDir(t, dir), 0)); !slices.EqualFunc(got, want[3:], slices.Equal) {
			t.Fatalf("after a kill, the next process replayed\n%q\nwant\n%q", got, want[3:])
		}
	})
}
