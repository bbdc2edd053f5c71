// Package spool is the durable disk queue the network sinks (httpsink,
// wssink) keep undeliverable batches in until their collector answers again.
//
// # Layout
//
// A spool is a directory of segment files named by a sequence number
// (0000000000000001.seg, ...), oldest first. Each segment starts with an
// 8-byte magic header and holds frames; each [Spool.Append] writes one frame
// holding one batch of records:
//
//	frame   = length uint32 LE | crc uint32 LE | payload (length bytes)
//	crc     = CRC-32C of the 4 length bytes followed by the payload
//	payload = count uvarint | count × (size uvarint | record bytes)
//
// The active segment is rotated when it passes its size; a new process never
// appends to a segment left by an earlier one, it starts a new segment.
//
// # What a crash loses
//
// A frame is written with one write call at the end of the active segment.
// A process that dies mid-write (SIGKILL, panic, OOM) leaves at most that
// frame torn: the length or the checksum of a torn frame does not match, so
// it is cut off when the spool is opened again and every earlier frame is
// read back intact. Data written by a finished Append is in the operating
// system's page cache and survives the process dying at once.
//
// Surviving a power loss or kernel crash needs fsync. The spool syncs a
// segment, and the directory for its name, when the segment is rotated (on
// a goroutine of its own), on [Spool.Sync] and on [Spool.Close], but never
// on an Append's goroutine: the network sinks append on the logging
// caller's goroutine when their queue overflows, and an fsync there costs
// milliseconds on a disk. A machine that loses power can therefore lose
// the frames appended since the last sync (at most one segment, 4 MiB by
// default); the torn tail is detected and cut off like a crashed write.
// A sink that wants stronger durability calls Sync from its own goroutine.
//
// # Delivery
//
// [Spool.Replay] hands frames to a send function oldest first and deletes a
// segment once every frame in it was sent. A send error stops the replay and
// keeps the frame for the next call; the records already sent from a
// segment are remembered in memory, so a later Replay by the same process
// resumes after them. That position is also written beside the segment
// (NAME.pos, replaced atomically) as the replay goes, by a goroutine of
// the spool's at most every 100 ms, and by [Spool.Close], so the next
// process resumes there too. A process that dies mid-replay leaves the
// position of a frame sent up to about 100 ms before, and the next
// replays the segment from there: delivery is at least once, and a kill
// sends again about 100 ms of replay. A position that does not match its
// segment is ignored.
//
// A sender that delivers a frame after its send function returns (a
// WebSocket window) replays with [Spool.ReplayLeased]: each frame comes
// with a [Lease], and its segment stays on disk until every lease on it is
// released, so that a process killed before the frame was delivered
// replays it again rather than losing it; the position written is that of
// the oldest frame still leased.
//
// A directory is used by one Spool at a time: Open takes an advisory lock
// (flock on Unix), which the kernel releases if the process dies.
package spool

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrFull is returned by Append when the frame would take the spool past
// its maximum size. Nothing was written.
var ErrFull = errors.New("spool: full")

// ErrClosed is returned by the methods of a closed Spool.
var ErrClosed = errors.New("spool: closed")

// PartialError is returned by a [Spool.Replay] send function that handled
// the first Sent records of the batch it was given (delivered them, or gave
// up on them for good) before failing with Err. Replay stops as for any
// error, and the next Replay by this process hands over the rest of that
// batch only. So does a new process if this one closed the spool;
// otherwise it replays the whole batch (at least once).
type PartialError struct {
	Sent int
	Err  error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("sent the first %d records, then: %v", e.Sent, e.Err)
}

func (e *PartialError) Unwrap() error { return e.Err }

const (
	magic = "MSPOOL1\n" // segment header: format version 1

	headerSize = 8 // frame length + crc

	// DefaultSegmentBytes is the size past which the active segment is
	// rotated (a frame bigger than this gets a segment to itself).
	DefaultSegmentBytes = 4 << 20

	// MaxFrameBytes bounds one frame, so a corrupt length can never make
	// the reader allocate without limit.
	MaxFrameBytes = 256 << 20

	segExt   = ".seg"
	posExt   = ".pos"
	posMagic = "MSPOS1"
	lockName = "LOCK"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Spool is a durable queue of record batches in a directory. Its methods
// are safe for concurrent use; Append never waits for a Replay's sends.
type Spool struct {
	dir      string
	maxBytes int64
	segBytes int64
	lock     *os.File

	replayMu sync.Mutex // one Replay at a time

	mu        sync.Mutex // guards everything below
	closed    bool
	segs      []*segment // sealed segments, oldest first
	active    *os.File   // nil until the next Append needs it
	activeSeg *segment
	nextSeq   uint64
	size      int64 // bytes of every segment file, headers included
	records   int   // records not yet replayed
	discarded int64 // bytes of torn or corrupt frames cut off
	scratch   []byte

	// Segments sealed by Append or Replay are synced and closed in the
	// background, so that no fsync runs on an Append's goroutine (a
	// sink's logging caller): seals counts those in progress, and
	// sealErr keeps the first that failed, for Sync and Close.
	seals   sync.WaitGroup
	errMu   sync.Mutex
	sealErr error

	// Replay positions to be saved beside their segments, by the spool's
	// saver goroutine (see persistLocked): toSave by segment path, the
	// latest position only; saving while the saver runs; closing closed
	// by Close, which waits for saves. posMu guards toSave and saving, and
	// is taken after mu, never before.
	posMu   sync.Mutex
	toSave  map[string]position
	saving  bool
	saves   sync.WaitGroup
	closing chan struct{}
}

// segment is one file. offset is where the next unsent frame starts, and
// skip how many of that frame's records were sent already (see
// PartialError).
type segment struct {
	seq     uint64
	path    string
	size    int64
	records int
	offset  int64
	skip    int
	named   bool // the directory was synced since the segment was created
	// leases are the frames handed over by ReplayLeased and not yet
	// released, oldest first; done says every frame was handed over, and
	// gone that the file was removed (once done and no lease is left).
	leases     []position
	done, gone bool
}

// Open opens the spool in dir, creating the directory (mode 0700) if
// needed, and picks up the segments a previous process left there: each is
// checked frame by frame, and a torn last frame is cut off. maxBytes bounds
// the bytes on disk (0 or less: no bound).
func Open(dir string, maxBytes int64) (*Spool, error) {
	if dir == "" {
		return nil, errors.New("spool: open: empty directory name")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: open %q: %w", dir, err)
	}
	lock, err := lockDir(filepath.Join(dir, lockName))
	if err != nil {
		return nil, fmt.Errorf("spool: open %q: %w", dir, err)
	}
	s := &Spool{dir: dir, maxBytes: maxBytes, segBytes: DefaultSegmentBytes, lock: lock, nextSeq: 1, closing: make(chan struct{})}
	if maxBytes > 0 {
		// Keep rotation fine-grained enough that a full spool frees room
		// in steps of an eighth, but not so fine that files multiply.
		s.segBytes = min(s.segBytes, max(maxBytes/8, 64<<10))
	}
	if err := s.load(); err != nil {
		unlockDir(lock)
		return nil, fmt.Errorf("spool: open %q: %w", dir, err)
	}
	return s, nil
}

// load scans the directory for segments, oldest first.
func (s *Spool) load() error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	var positions []string // position files, kept only beside their segment
	for _, e := range ents {
		name := e.Name()
		if e.Type().IsRegular() && (strings.HasSuffix(name, posExt) || strings.HasSuffix(name, posExt+".tmp")) {
			positions = append(positions, filepath.Join(s.dir, name))
			continue
		}
		if !e.Type().IsRegular() || !strings.HasSuffix(name, segExt) {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, segExt), 10, 64)
		if err != nil {
			continue // not ours
		}
		seg := &segment{seq: seq, path: filepath.Join(s.dir, name)}
		if err := s.check(seg, readPos(posPath(seg.path))); err != nil {
			return err
		}
		s.nextSeq = max(s.nextSeq, seq+1)
		if seg.records == 0 {
			// Empty, only a torn header or frame, or all sent: nothing to keep.
			if err := removeSegment(seg); err != nil {
				return err
			}
			continue
		}
		s.segs = append(s.segs, seg)
		s.size += seg.size
		s.records += seg.records
	}
	slices.SortFunc(s.segs, func(a, b *segment) int { return cmpSeq(a.seq, b.seq) })
	for _, p := range positions {
		if !slices.ContainsFunc(s.segs, func(seg *segment) bool { return posPath(seg.path) == p }) {
			// A leftover: its segment is gone, or a write was cut short.
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// A position is how far a segment was replayed when its spool was closed:
// the offset of the first frame not wholly sent and how many of that
// frame's records were.
type position struct {
	offset int64
	skip   int
	ok     bool
}

func posPath(segPath string) string { return strings.TrimSuffix(segPath, segExt) + posExt }

// readPos reads a position file; a missing or malformed one is no
// position (the segment is replayed from its start).
func readPos(path string) position {
	b, err := os.ReadFile(path)
	if err != nil || len(b) > 64 {
		return position{}
	}
	var p position
	var m string
	if n, err := fmt.Sscanf(string(b), "%s %d %d\n", &m, &p.offset, &p.skip); err != nil || n != 3 || m != posMagic ||
		p.offset < int64(len(magic)) || p.skip < 0 {
		return position{}
	}
	p.ok = true
	return p
}

// savePos writes the replay position of the segment at segPath beside
// it, atomically: a reader sees the old position or the new one.
func savePos(segPath string, pos position) error {
	path := posPath(segPath)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, fmt.Appendf(nil, "%s %d %d\n", posMagic, pos.offset, pos.skip), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// removeSegment removes seg's file and its position, the position first:
// a segment without one is replayed from its start, never the reverse.
func removeSegment(seg *segment) error {
	// The segment first: a position saved meanwhile (see saver) sees it
	// gone and is removed too.
	if err := os.Remove(seg.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Remove(posPath(seg.path)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func cmpSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// check reads every frame of seg, counts its records and cuts off a torn
// or corrupt tail. A position that falls on an intact frame, with fewer
// records sent than that frame holds, is where the replay resumes; the
// records before it are not counted.
func (s *Spool) check(seg *segment, pos position) error {
	f, err := os.OpenFile(seg.path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	r := &frameReader{r: bufio.NewReaderSize(f, 64<<10), size: fi.Size()}
	if err := r.header(); err != nil {
		seg.size = 0
		s.discarded += fi.Size()
		return nil // the caller removes it
	}
	good := int64(len(magic))
	sentBefore := -1 // records before the position's frame, once found
	for {
		start := r.off
		payload, err := r.next()
		if err != nil {
			break
		}
		n, ok := countRecords(payload)
		if !ok {
			break
		}
		if pos.ok && start == pos.offset && pos.skip < n {
			sentBefore = seg.records + pos.skip
		}
		seg.records += n
		good = r.off
	}
	if good < fi.Size() {
		s.discarded += fi.Size() - good
		if err := f.Truncate(good); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
	}
	seg.size = good
	seg.offset = int64(len(magic))
	switch {
	case sentBefore >= 0:
		seg.offset, seg.skip = pos.offset, pos.skip
		seg.records -= sentBefore
	case pos.ok && pos.offset == good && pos.skip == 0:
		seg.records = 0 // every frame was sent: the caller removes it
	}
	return nil
}

// Append writes records as one frame at the end of the spool. It returns
// ErrFull, having written nothing, when the frame would take the spool past
// its maximum size. A partial write (a full disk) is cut off again, so it
// never leaves a torn frame in front of later ones.
func (s *Spool) Append(records [][]byte) error {
	return s.AppendFunc(len(records), func(i int) []byte { return records[i] })
}

// AppendFunc is Append for records held elsewhere: record(i) returns the
// i-th of n records; the bytes are copied before AppendFunc returns.
func (s *Spool) AppendFunc(n int, record func(i int) []byte) error {
	if n <= 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	buf := s.encode(n, record)
	if len(buf)-headerSize > MaxFrameBytes {
		return fmt.Errorf("spool: append %d records: frame of %d bytes exceeds %d", n, len(buf), MaxFrameBytes)
	}
	extra := int64(len(buf))
	if s.active == nil {
		extra += int64(len(magic))
	}
	if s.maxBytes > 0 && s.size+extra > s.maxBytes {
		return ErrFull
	}
	if s.active == nil {
		if err := s.createLocked(); err != nil {
			return fmt.Errorf("spool: append %d records: %w", n, err)
		}
	}
	seg := s.activeSeg
	if _, err := s.active.Write(buf); err != nil {
		// Cut the partial frame off; if even that fails, seal the
		// segment so no later frame is written behind the torn one.
		if terr := s.active.Truncate(seg.size); terr != nil {
			s.sealLocked(false)
		}
		return fmt.Errorf("spool: append %d records: %w", n, err)
	}
	seg.size += int64(len(buf))
	seg.records += n
	s.size += int64(len(buf))
	s.records += n
	if seg.size >= s.segBytes {
		if err := s.sealLocked(false); err != nil {
			return fmt.Errorf("spool: append %d records: rotate: %w", n, err)
		}
	}
	return nil
}

// encode builds the frame in s.scratch.
func (s *Spool) encode(n int, record func(i int) []byte) []byte {
	b := append(s.scratch[:0], 0, 0, 0, 0, 0, 0, 0, 0)
	b = binary.AppendUvarint(b, uint64(n))
	for i := range n {
		r := record(i)
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	binary.LittleEndian.PutUint32(b[0:4], uint32(len(b)-headerSize))
	crc := crc32.Update(0, castagnoli, b[0:4])
	crc = crc32.Update(crc, castagnoli, b[headerSize:])
	binary.LittleEndian.PutUint32(b[4:8], crc)
	if cap(b) <= 4<<20 { // keep a normal batch's buffer, not a huge one
		s.scratch = b
	}
	return b
}

// createLocked starts a new active segment.
func (s *Spool) createLocked() error {
	seq := s.nextSeq
	path := filepath.Join(s.dir, fmt.Sprintf("%016d%s", seq, segExt))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte(magic)); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	s.nextSeq++
	s.active = f
	s.activeSeg = &segment{seq: seq, path: path, size: int64(len(magic)), offset: int64(len(magic))}
	s.size += int64(len(magic))
	return nil
}

// sealLocked closes the active segment and queues it for replay; the next
// Append starts a new one. The segment and the directory (for its name)
// are synced first: at once if wait, else in the background (see seals).
func (s *Spool) sealLocked(wait bool) error {
	if s.active == nil {
		return nil
	}
	f, seg := s.active, s.activeSeg
	s.active, s.activeSeg = nil, nil
	if seg.records == 0 {
		err := f.Close()
		os.Remove(seg.path)
		s.size -= seg.size
		return err
	}
	s.segs = append(s.segs, seg)
	if wait {
		return s.seal(f)
	}
	s.seals.Go(func() {
		if err := s.seal(f); err != nil {
			s.errMu.Lock()
			if s.sealErr == nil {
				s.sealErr = err
			}
			s.errMu.Unlock()
		}
	})
	return nil
}

// seal syncs and closes a sealed segment's file, then syncs the directory
// so that the segment's name survives a power loss too.
func (s *Spool) seal(f *os.File) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	return err
}

// waitSeals waits for the background seals and returns, once, the first
// error one of them had.
func (s *Spool) waitSeals() error {
	s.seals.Wait()
	s.errMu.Lock()
	defer s.errMu.Unlock()
	err := s.sealErr
	s.sealErr = nil
	return err
}

// Sync flushes the active segment to stable storage (fsync), so that what
// was appended survives a power loss, not only a crash of the process.
func (s *Spool) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if err := s.waitSeals(); err != nil {
		return fmt.Errorf("spool: sync: %w", err)
	}
	if s.active == nil {
		return nil
	}
	if err := s.active.Sync(); err != nil {
		return fmt.Errorf("spool: sync: %w", err)
	}
	if !s.activeSeg.named {
		if err := syncDir(s.dir); err != nil {
			return fmt.Errorf("spool: sync: %w", err)
		}
		s.activeSeg.named = true
	}
	return nil
}

// Replay hands the spooled batches to send, oldest first, and deletes each
// segment once all its frames were sent. The records passed to send are
// valid only during the call. Replay stops at the first error from send
// (that frame stays in the spool for the next Replay; a [PartialError]
// keeps only the records it did not send) or when ctx ends, and returns
// the number of records sent. Batches appended while Replay runs
// are left for the next call. Only one Replay runs at a time; Append goes
// on meanwhile.
func (s *Spool) Replay(ctx context.Context, send func(records [][]byte) error) (int, error) {
	return s.replay(ctx, func(recs [][]byte, _ Lease) error { return send(recs) }, false)
}

// A Lease keeps the segment of a frame that [Spool.ReplayLeased] handed
// over on disk until it is released. The zero Lease releases nothing.
type Lease struct {
	s   *Spool
	seg *segment
	at  position // where the frame's records handed over start
}

// Release says that the records of the lease's frame have been delivered
// (or put back into the spool, or dropped): once a segment has been
// replayed to its end and every lease on it is released, its file is
// removed. Call it once, after the send call that was given the lease
// returned nil; it may be called after Close (then it does nothing).
func (l Lease) Release() {
	if l.s == nil {
		return
	}
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	seg := l.seg
	i := seg.unleaseLocked(l.at)
	if s.closed {
		return
	}
	s.retireLocked(seg) // if it fails, the next Replay tries again
	if i == 0 {
		// The oldest frame still out moved on.
		s.persistLocked(seg)
	}
}

// saveEvery is the least time between two saves of replay positions.
const saveEvery = 100 * time.Millisecond

// persistLocked has seg's replay position (see resumeLocked) saved beside
// it, so that a process killed during the replay sends the segment again
// from about there rather than from its start. The spool's saver
// goroutine writes it, not the caller (a sender that may hold locks of
// its own), at most once every saveEvery, the latest position of each
// segment: a kill sends again what was delivered since the last save,
// about saveEvery's worth. It is a saving of work, not of records (a
// position behind the true one only sends frames twice), so a failed
// save is ignored. Called with mu held.
func (s *Spool) persistLocked(seg *segment) {
	if s.closed || seg.gone {
		return
	}
	pos := seg.resumeLocked()
	s.posMu.Lock()
	defer s.posMu.Unlock()
	if s.toSave == nil {
		s.toSave = map[string]position{}
	}
	s.toSave[seg.path] = pos
	if !s.saving {
		s.saving = true
		s.saves.Go(s.saver)
	}
}

// saver writes the positions in toSave, one save every saveEvery at
// most, and returns when none is left, or at Close.
func (s *Spool) saver() {
	for {
		s.posMu.Lock()
		var path string
		var pos position
		found := false
		for p, q := range s.toSave {
			path, pos, found = p, q, true
			delete(s.toSave, p)
			break
		}
		if !found {
			s.saving = false
			s.posMu.Unlock()
			return
		}
		s.posMu.Unlock()
		_ = savePos(path, pos)
		if _, err := os.Stat(path); err != nil {
			// Retired meanwhile (removeSegment takes the segment, then
			// its position file): this position goes with it.
			os.Remove(posPath(path))
		}
		select {
		case <-time.After(saveEvery):
		case <-s.closing:
		}
	}
}

// ReplayLeased is [Spool.Replay] for a sender that delivers records after
// send returns: send is given, with each frame's records, a [Lease] on the
// frame. A frame for which send returns nil is not handed over again by
// this Spool (and counts no more in Len), but it stays on disk until its
// lease is released: a process that dies before then leaves it to the
// next one, which replays it (at least once), and Close records the
// replay position of a segment at its oldest frame still leased. A lease
// of a send call that returned an error is void: do not release it.
func (s *Spool) ReplayLeased(ctx context.Context, send func(records [][]byte, l Lease) error) (int, error) {
	return s.replay(ctx, send, true)
}

func (s *Spool) replay(ctx context.Context, send func([][]byte, Lease) error, lease bool) (int, error) {
	s.replayMu.Lock()
	defer s.replayMu.Unlock()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, ErrClosed
	}
	if s.activeSeg != nil && s.activeSeg.records > 0 {
		if err := s.sealLocked(false); err != nil {
			s.mu.Unlock()
			return 0, fmt.Errorf("spool: replay: rotate: %w", err)
		}
	}
	segs := slices.Clone(s.segs)
	s.mu.Unlock()

	total := 0
	var recs [][]byte
	for _, seg := range segs {
		n, err := s.replaySegment(ctx, seg, send, lease, &recs)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// replaySegment sends seg's frames from its offset on and removes the file
// when every frame was sent.
func (s *Spool) replaySegment(ctx context.Context, seg *segment, send func([][]byte, Lease) error, lease bool, recs *[][]byte) (int, error) {
	s.mu.Lock()
	if seg.done {
		// Replayed to its end, and kept for its leases.
		err := s.retireLocked(seg)
		s.mu.Unlock()
		return 0, err
	}
	s.mu.Unlock()
	f, err := os.Open(seg.path)
	if err != nil {
		return 0, fmt.Errorf("spool: replay: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(seg.offset, io.SeekStart); err != nil {
		return 0, fmt.Errorf("spool: replay: %w", err)
	}
	r := &frameReader{r: bufio.NewReaderSize(f, 64<<10), off: seg.offset, size: seg.size}
	sent := 0
	for r.off < seg.size {
		if err := ctx.Err(); err != nil {
			return sent, err
		}
		start := r.off
		payload, err := r.next()
		var ok bool
		if err == nil {
			*recs, ok = decodeRecords(payload, (*recs)[:0])
		}
		if err != nil || !ok {
			// Corrupted after Open checked it (the disk, or another
			// writer): the rest of this segment cannot be trusted.
			s.mu.Lock()
			s.discarded += seg.size - start
			s.records -= seg.records
			seg.records = 0
			s.mu.Unlock()
			break
		}
		batch := *recs
		if seg.skip < len(batch) {
			batch = batch[seg.skip:]
		}
		var l Lease
		if lease {
			l = Lease{s: s, seg: seg, at: position{offset: start, skip: seg.skip, ok: true}}
			s.mu.Lock()
			seg.leases = append(seg.leases, l.at)
			s.mu.Unlock()
		}
		if err := send(batch, l); err != nil {
			if lease {
				s.mu.Lock()
				seg.unleaseLocked(l.at)
				s.mu.Unlock()
			}
			var pe *PartialError
			if errors.As(err, &pe) && pe.Sent > 0 && pe.Sent < len(batch) {
				// Sent in part: the rest of the frame is left.
				sent += pe.Sent
				s.mu.Lock()
				seg.skip += pe.Sent
				seg.records -= pe.Sent
				s.records -= pe.Sent
				s.mu.Unlock()
			}
			return sent, err
		}
		n := len(batch)
		sent += n
		s.mu.Lock()
		seg.offset = r.off
		seg.skip = 0
		seg.records -= n
		s.records -= n
		if !lease && r.off < seg.size {
			s.persistLocked(seg)
		}
		s.mu.Unlock()
	}
	f.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	seg.done = true
	return sent, s.retireLocked(seg)
}

// retireLocked removes seg, replayed to its end, once no lease holds it.
// Called with s.mu held.
func (s *Spool) retireLocked(seg *segment) error {
	if !seg.done || seg.gone || len(seg.leases) > 0 {
		return nil
	}
	if err := removeSegment(seg); err != nil {
		return fmt.Errorf("spool: replay: remove sent segment: %w", err)
	}
	seg.gone = true
	s.posMu.Lock()
	delete(s.toSave, seg.path)
	s.posMu.Unlock()
	s.size -= seg.size
	if i := slices.Index(s.segs, seg); i >= 0 {
		s.segs = slices.Delete(s.segs, i, i+1)
	}
	return nil
}

// resumeLocked is where a replay of seg starts again after this process:
// the oldest frame still leased, or the first one not yet sent.
func (seg *segment) resumeLocked() position {
	if len(seg.leases) > 0 {
		return seg.leases[0] // not yet delivered: replayed again
	}
	return position{offset: seg.offset, skip: seg.skip}
}

// unleaseLocked takes the lease of the frame at at off seg, and returns
// its index among the leases, or -1.
func (seg *segment) unleaseLocked(at position) int {
	i := slices.Index(seg.leases, at)
	if i >= 0 {
		seg.leases = slices.Delete(seg.leases, i, i+1)
	}
	return i
}

// Len returns the number of records in the spool, not yet replayed.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records
}

// Size returns the bytes the spool's segments take on disk. A segment that
// is partly replayed counts in full until it is deleted.
func (s *Spool) Size() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size
}

// Discarded returns the bytes of torn or corrupt frames cut off since Open
// (a process that died mid-write leaves one such frame).
func (s *Spool) Discarded() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.discarded
}

// Dir returns the spool's directory.
func (s *Spool) Dir() string { return s.dir }

// Close syncs and closes the active segment, writes the replay position of
// a partly replayed segment, and releases the directory. What is left in
// the spool stays on disk for the next Open. Close is idempotent.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	// The saver ends (it takes no mu); the positions below are the last.
	close(s.closing)
	s.saves.Wait()
	err := s.sealLocked(true)
	if serr := s.waitSeals(); err == nil {
		err = serr
	}
	for _, seg := range s.segs {
		if pos := seg.resumeLocked(); pos.offset > int64(len(magic)) || pos.skip > 0 {
			if perr := savePos(seg.path, pos); err == nil {
				err = perr
			}
		}
	}
	if uerr := unlockDir(s.lock); err == nil {
		err = uerr
	}
	if err != nil {
		return fmt.Errorf("spool: close: %w", err)
	}
	return nil
}

// frameReader reads frames from a segment. off is the reader's position
// in the file and size the end of the valid data.
type frameReader struct {
	r    *bufio.Reader
	off  int64
	size int64
	buf  []byte
}

var errTorn = errors.New("spool: torn or corrupt frame")

func (fr *frameReader) header() error {
	var m [len(magic)]byte
	if _, err := io.ReadFull(fr.r, m[:]); err != nil || string(m[:]) != magic {
		return errTorn
	}
	fr.off = int64(len(magic))
	return nil
}

// next returns the next frame's payload, valid until the next call, or
// errTorn if the frame is incomplete or fails its checksum.
func (fr *frameReader) next() ([]byte, error) {
	var h [headerSize]byte
	if fr.size-fr.off < headerSize {
		return nil, errTorn
	}
	if _, err := io.ReadFull(fr.r, h[:]); err != nil {
		return nil, errTorn
	}
	n := int64(binary.LittleEndian.Uint32(h[0:4]))
	if n == 0 || n > MaxFrameBytes || n > fr.size-fr.off-headerSize {
		return nil, errTorn
	}
	if int64(cap(fr.buf)) < n {
		fr.buf = make([]byte, n)
	}
	p := fr.buf[:n]
	if _, err := io.ReadFull(fr.r, p); err != nil {
		return nil, errTorn
	}
	crc := crc32.Update(0, castagnoli, h[0:4])
	crc = crc32.Update(crc, castagnoli, p)
	if crc != binary.LittleEndian.Uint32(h[4:8]) {
		return nil, errTorn
	}
	fr.off += headerSize + n
	return p, nil
}

// countRecords returns the number of records in a payload and whether it
// is well formed.
func countRecords(p []byte) (int, bool) {
	count, k := binary.Uvarint(p)
	if k <= 0 || count == 0 || count > uint64(len(p)) {
		return 0, false
	}
	p = p[k:]
	for range count {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			return 0, false
		}
		p = p[k+int(n):]
	}
	return int(count), len(p) == 0
}

// decodeRecords appends the records of payload p to dst, as sub-slices of p.
func decodeRecords(p []byte, dst [][]byte) ([][]byte, bool) {
	count, k := binary.Uvarint(p)
	if k <= 0 || count == 0 || count > uint64(len(p)) {
		return dst, false
	}
	p = p[k:]
	for range count {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			return dst, false
		}
		dst = append(dst, p[k:k+int(n)])
		p = p[k+int(n):]
	}
	return dst, len(p) == 0
}
