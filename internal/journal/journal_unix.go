//go:build unix

package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/jinpy-utils/multi/internal/prealloc"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// A Journal is the memory-mapped copy of a queue's records. Append is
// called by one goroutine at a time (under the queue's lock); Release,
// Volatile, Sync and Close by any.
type Journal struct {
	dir, path string
	capacity  int
	report    func(error)

	cur  atomic.Pointer[mapping] // nil while there is no file
	next atomic.Pointer[mapping] // made by the watcher, put in place by Append
	pos  uint64                  // the next record's position; Append's
	old  []*mapping              // put out of place by Append; unmapped by Close

	relMu sync.Mutex // Release's

	volatile atomic.Uint64
	// why is the reason of the spell of records kept in memory only that
	// is under way, or 0; told is the spell the watcher has reported.
	why  atomic.Int32
	told atomic.Int32
	kick chan struct{}

	// mark is the position of the records, told every 64 KiB; ahead is
	// where the watcher has mapped the ring's pages to, in the mapping
	// populated (see populate).
	mark      atomic.Uint64
	ahead     uint64
	populated *mapping

	stop, done chan struct{}
	closeOnce  sync.Once
	lastErr    atomic.Pointer[error] // why the file could not be made
}

// Reasons a record is kept in memory only.
const (
	whyNone int32 = iota
	whyFull
	whyLarge
	whyBroken
)

// mapping is one journal file, mapped.
type mapping struct {
	f    *os.File
	mem  []byte
	ring []byte
	size uint64 // len(ring)
	base uint64 // the first position in this file
	// committed is the position before which every record has left the
	// queue; the header holds it too. pending are the spans released out
	// of order, after committed. Guarded by relMu (committed is read by
	// Append without it).
	committed atomic.Uint64
	pending   []span
	broken    atomic.Bool // the file was removed
}

type span struct{ from, to uint64 }

// Open opens the journal in dir, with a ring of capacity bytes (see
// [Capacity]). If an earlier process left records there, recover is given
// them first, oldest first, in runs of at most maxRun records and about
// maxBytes bytes; they are valid only during the call. report is told,
// once a spell, when records are kept in memory only, and when an
// unreadable journal was set aside. Open never fails: a journal that
// cannot be made is broken (every record in memory only) and made again
// every second.
func Open(dir string, capacity, maxRun, maxBytes int, recover func([][]byte), report func(error)) *Journal {
	j := &Journal{
		dir: dir, path: filepath.Join(dir, Name), capacity: capacity, report: report,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	m, err := j.recover(maxRun, maxBytes, recover)
	if err != nil {
		report(fmt.Errorf("spool journal %s: %w; set it aside as %s and started a new one", j.path, err, j.path+".bad"))
		os.Rename(j.path, j.path+".bad")
	}
	if m == nil {
		if m, err = j.create(j.pos); err != nil {
			j.lastErr.Store(&err)
		}
	}
	if m != nil {
		j.cur.Store(m)
	}
	j.kick <- struct{}{} // map the first pages of the ring at once
	go j.watch()
	return j
}

// recover reads the records of the journal left at path, gives them to
// f, and returns the file mapped and ready for new records, or nil if
// there is none or its size is not capacity.
func (j *Journal) recover(maxRun, maxBytes int, f func([][]byte)) (*mapping, error) {
	fd, err := os.OpenFile(j.path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var h [24]byte
	if _, err := io.ReadFull(fd, h[:]); err != nil {
		fd.Close()
		return nil, fmt.Errorf("read header: %w", err)
	}
	fi, err := fd.Stat()
	if err != nil {
		fd.Close()
		return nil, err
	}
	size := binary.LittleEndian.Uint64(h[offCapacity:])
	if string(h[offMagic:offMagic+8]) != magic || size == 0 || size%8 != 0 || int64(size)+header > fi.Size() || size > 1<<40 {
		fd.Close()
		return nil, fmt.Errorf("not a journal, or cut short (header %q, %d bytes)", h[:], fi.Size())
	}
	m, err := mapFile(fd, size)
	if err != nil {
		fd.Close()
		return nil, err
	}
	pos := binary.LittleEndian.Uint64(m.mem[offCommitted:])
	var run [][]byte
	bytes := 0
	for end := pos + size; pos < end; {
		rec, next, ok := m.read(pos)
		if !ok {
			break
		}
		pos = next
		if rec == nil {
			continue // a wrap marker
		}
		run = append(run, rec)
		bytes += len(rec)
		if len(run) >= maxRun || bytes >= maxBytes {
			f(run)
			run, bytes = run[:0], 0
		}
	}
	if len(run) > 0 {
		f(run)
	}
	j.pos = pos
	if size != uint64(j.capacity) {
		m.unmap()
		return nil, nil
	}
	m.base = pos
	m.committed.Store(pos)
	binary.LittleEndian.PutUint64(m.mem[offCommitted:], pos)
	return m, nil
}

// read returns the record at position pos and the next position; rec is
// nil for a wrap marker, and ok false where the records end.
func (m *mapping) read(pos uint64) (rec []byte, next uint64, ok bool) {
	p := pos % m.size
	if m.size-p < recHeader {
		return nil, pos + (m.size - p), true
	}
	h := m.ring[p : p+recHeader]
	if binary.LittleEndian.Uint64(h[8:]) != pos {
		return nil, 0, false
	}
	sum := binary.LittleEndian.Uint32(h)
	n := binary.LittleEndian.Uint32(h[4:])
	if n == wrap {
		if crc32.Checksum(h[4:], castagnoli) != sum {
			return nil, 0, false
		}
		return nil, pos + (m.size - p), true
	}
	if uint64(n) > m.size-p-recHeader {
		return nil, 0, false
	}
	if crc32.Checksum(m.ring[p+4:p+recHeader+uint64(n)], castagnoli) != sum {
		return nil, 0, false
	}
	return m.ring[p+recHeader : p+recHeader+uint64(n)], pos + recHeader + uint64(pad(int(n))), true
}

// create makes a new journal file at path, its blocks allocated, and maps
// it, with its records starting at position base.
func (j *Journal) create(base uint64) (*mapping, error) {
	if err := os.MkdirAll(j.dir, 0o700); err != nil {
		return nil, err
	}
	tmp := j.path + ".new"
	fd, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	size := uint64(j.capacity)
	if err := prealloc.Allocate(fd, int64(size)+header); err != nil {
		fd.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("allocate %d bytes: %w", int64(size)+header, err)
	}
	m, err := mapFile(fd, size)
	if err != nil {
		fd.Close()
		os.Remove(tmp)
		return nil, err
	}
	copy(m.mem[offMagic:], magic)
	binary.LittleEndian.PutUint64(m.mem[offCapacity:], size)
	binary.LittleEndian.PutUint64(m.mem[offCommitted:], base)
	m.base = base
	m.committed.Store(base)
	// Named only once whole: a process killed while making it leaves a
	// .new file, never a journal without its header.
	if err := os.Rename(tmp, j.path); err != nil {
		m.unmap()
		os.Remove(tmp)
		return nil, err
	}
	return m, nil
}

func mapFile(fd *os.File, size uint64) (*mapping, error) {
	mem, err := unix.Mmap(int(fd.Fd()), 0, int(size)+header, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map: %w", err)
	}
	return &mapping{f: fd, mem: mem, ring: mem[header:], size: size}, nil
}

func (m *mapping) unmap() {
	unix.Munmap(m.mem)
	m.f.Close()
}

// Append writes rec at the journal's end and returns its span of
// positions [from, to), to give to Release once the record has left the
// queue. ok is false, and the record is counted as volatile, if the
// journal could not keep it (see the package doc). The spans of
// successive Appends are adjacent. Append must not be called by two
// goroutines at once.
func (j *Journal) Append(rec []byte) (from, to uint64, ok bool) {
	if n := j.next.Load(); n != nil {
		j.replace(n)
	}
	m := j.cur.Load()
	if m == nil || m.broken.Load() {
		j.keepInMemory(whyBroken)
		return 0, 0, false
	}
	need := uint64(recHeader + pad(len(rec)))
	if need > m.size/4 {
		j.keepInMemory(whyLarge)
		return 0, 0, false
	}
	from = j.pos
	p := from % m.size
	var skip uint64
	if m.size-p < need {
		skip = m.size - p
	}
	to = from + skip + need
	if to-m.committed.Load() > m.size {
		j.keepInMemory(whyFull)
		return 0, 0, false
	}
	if skip >= recHeader {
		h := m.ring[p : p+recHeader]
		binary.LittleEndian.PutUint32(h[4:], wrap)
		binary.LittleEndian.PutUint64(h[8:], from)
		binary.LittleEndian.PutUint32(h, crc32.Checksum(h[4:], castagnoli))
	}
	at := from + skip
	q := at % m.size
	r := m.ring[q : q+recHeader+uint64(len(rec))]
	copy(r[recHeader:], rec)
	binary.LittleEndian.PutUint32(r[4:], uint32(len(rec)))
	binary.LittleEndian.PutUint64(r[8:], at)
	// The checksum last: a record the kill tore does not match it.
	binary.LittleEndian.PutUint32(r, crc32.Checksum(r[4:], castagnoli))
	if to>>16 != from>>16 {
		// Every 64 KiB, tell the watcher where the records are, so that
		// it maps the pages ahead of them before they are needed.
		j.mark.Store(to)
		select {
		case j.kick <- struct{}{}:
		default:
		}
	}
	j.pos = to
	if j.why.Load() != whyNone {
		j.why.Store(whyNone) // the spell is over
	}
	return from, to, true
}

// replace puts n, made by the watcher, in place of the current mapping;
// its records start at the next position.
func (j *Journal) replace(n *mapping) {
	j.next.Store(nil)
	j.relMu.Lock()
	n.base = j.pos
	n.committed.Store(j.pos)
	binary.LittleEndian.PutUint64(n.mem[offCommitted:], j.pos)
	if m := j.cur.Swap(n); m != nil {
		j.old = append(j.old, m)
	}
	j.relMu.Unlock()
}

// keepInMemory counts a record the journal did not keep and, at the start
// of a spell of them, has the watcher report it.
func (j *Journal) keepInMemory(why int32) {
	j.volatile.Add(1)
	if j.why.Load() != why {
		j.why.Store(why)
		select {
		case j.kick <- struct{}{}:
		default:
		}
	}
}

// Release says that the records in the spans [from, to) have left the
// queue (delivered, spooled or dropped): the journal's committed position
// moves past them once every earlier record has left too.
func (j *Journal) Release(from, to uint64) {
	if to <= from {
		return
	}
	j.relMu.Lock()
	defer j.relMu.Unlock()
	m := j.cur.Load()
	if m == nil || to <= m.base {
		return // a span of a journal since replaced
	}
	from = max(from, m.base)
	c := m.committed.Load()
	if to <= c {
		return // released already
	}
	if from != c {
		i, _ := slices.BinarySearchFunc(m.pending, from, func(s span, f uint64) int { return compare(s.from, f) })
		m.pending = slices.Insert(m.pending, i, span{from, to})
		return
	}
	c = to
	k := 0
	for k < len(m.pending) && m.pending[k].from == c {
		c = m.pending[k].to
		k++
	}
	if k > 0 {
		m.pending = slices.Delete(m.pending, 0, k)
	}
	m.committed.Store(c)
	binary.LittleEndian.PutUint64(m.mem[offCommitted:], c)
}

func compare(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Volatile returns how many records the journal did not keep.
func (j *Journal) Volatile() uint64 { return j.volatile.Load() }

// Held returns how many bytes of the ring records still queued take, for
// tests.
func (j *Journal) Held() uint64 {
	m := j.cur.Load()
	if m == nil {
		return 0
	}
	return j.pos - m.committed.Load()
}

// Sync writes the journal's pages to the disk, so that its records
// survive a crash of the machine too.
func (j *Journal) Sync() error {
	m := j.cur.Load()
	if m == nil {
		return nil
	}
	if err := unix.Msync(m.mem, unix.MS_SYNC); err != nil {
		return fmt.Errorf("spool journal %s: sync: %w", j.path, err)
	}
	return nil
}

// Close stops the watcher and unmaps the journal. No Append may follow or
// run meanwhile.
func (j *Journal) Close() error {
	j.closeOnce.Do(func() {
		close(j.stop)
		<-j.done
		j.relMu.Lock() // a Release may still come, from a sink's window
		defer j.relMu.Unlock()
		if m := j.next.Swap(nil); m != nil {
			m.unmap()
		}
		for _, m := range j.old {
			m.unmap()
		}
		j.old = nil
		if m := j.cur.Swap(nil); m != nil {
			m.unmap()
		}
	})
	return nil
}

// watch reports spells of records kept in memory only, notices a journal
// file that was removed, and makes a broken journal again.
func (j *Journal) watch() {
	defer close(j.done)
	t := time.NewTicker(retryEvery)
	defer t.Stop()
	for {
		tick := false
		select {
		case <-j.stop:
			return
		case <-j.kick:
		case <-t.C:
			tick = true
		}
		if tick {
			if m := j.cur.Load(); m != nil && !m.broken.Load() && j.removed(m) {
				m.broken.Store(true)
			}
			if m := j.cur.Load(); (m == nil || m.broken.Load()) && j.next.Load() == nil {
				if n, err := j.create(0); err == nil { // its base is set by replace
					j.next.Store(n)
				} else {
					j.lastErr.Store(&err)
				}
			}
		}
		j.populate()
		if why := j.why.Load(); why != whyNone && j.told.Swap(why) != why {
			j.report(j.spellError(why))
		} else if why == whyNone {
			j.told.Store(whyNone)
		}
	}
}

// window is how far ahead of the records the watcher maps the ring.
const window = 8 << 20

// populate maps the pages of the ring's first lap up to window bytes
// ahead of the records, so that Append's stores do not fault.
func (j *Journal) populate() {
	m := j.cur.Load()
	if m == nil || m.broken.Load() {
		return
	}
	if j.populated != m {
		j.populated, j.ahead = m, m.base
	}
	end := min(max(j.mark.Load(), m.base)+window, m.base+m.size)
	for j.ahead < end {
		p := j.ahead % m.size
		n := min(end-j.ahead, m.size-p, 1<<20)
		lo := p &^ (4096 - 1)
		if prefault(m.ring[lo:p+n]) != nil {
			j.ahead = m.base + m.size // not supported: leave it to the faults
			return
		}
		j.ahead += n
	}
}

// removed reports whether the file of m is no longer at the journal's
// path.
func (j *Journal) removed(m *mapping) bool {
	fi, err := os.Stat(j.path)
	if err != nil {
		return true
	}
	mine, err := m.f.Stat()
	return err == nil && !os.SameFile(fi, mine)
}

func (j *Journal) spellError(why int32) error {
	const tail = "records are kept in memory only, and lost if the process is killed, until"
	switch why {
	case whyFull:
		return fmt.Errorf("spool journal %s: full (%d bytes) of records not yet delivered: %s it has room (%d such records so far)", j.path, j.capacity, tail, j.Volatile())
	case whyLarge:
		return fmt.Errorf("spool journal %s: a record larger than a quarter of its %d bytes: %s a smaller one (%d such records so far)", j.path, j.capacity, tail, j.Volatile())
	}
	cause := errors.New("its file was removed")
	if e := j.lastErr.Load(); e != nil {
		cause = *e
	}
	return fmt.Errorf("spool journal %s: %w: %s it can be made again, which is tried every %v (%d such records so far)", j.path, cause, tail, retryEvery, j.Volatile())
}
