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

	"github.com/jinpy-utils/multi/internal/mmapguard"
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
	// started is the reason of the last spell begun since the watcher
	// looked: a spell may begin and end between two looks.
	started atomic.Int32
	kick    chan struct{}

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
	moved     []move      // relocations whose records are not all released
	seq       uint64      // of the state slot written last
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
	var h [16]byte
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
	pos, released, seq, ok := m.loadState()
	if !ok {
		m.unmap()
		return nil, errors.New("no valid state in its header")
	}
	m.seq = seq
	var run [][]byte
	bytes := 0
	for end := pos + size; pos < end; {
		for len(released) > 0 && released[0].from <= pos {
			pos = max(pos, released[0].to) // delivered or spooled already
			released = released[1:]
		}
		if pos >= end {
			break
		}
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
	m.saveLocked(pos)
	m.committed.Store(pos)
	return m, nil
}

// saveLocked writes the committed position c and the first maxSaved
// pending spans to the slot not written last, its checksum last. Called
// with relMu held, or before the mapping is shared; the committed field
// is set to c only after, so that Append never reuses the ring behind a
// position the header does not hold yet.
func (m *mapping) saveLocked(c uint64) {
	m.seq++
	s := m.mem[offSlots+int(m.seq%2)*slotBytes:][:slotBytes]
	n := min(len(m.pending), maxSaved)
	binary.LittleEndian.PutUint32(s[4:], uint32(n))
	binary.LittleEndian.PutUint64(s[8:], m.seq)
	binary.LittleEndian.PutUint64(s[16:], c)
	for i, sp := range m.pending[:n] {
		binary.LittleEndian.PutUint64(s[24+16*i:], sp.from)
		binary.LittleEndian.PutUint64(s[32+16*i:], sp.to)
	}
	binary.LittleEndian.PutUint32(s, crc32.Checksum(s[4:24+16*n], castagnoli))
}

// loadState returns the state of the valid slot written last.
func (m *mapping) loadState() (committed uint64, released []span, seq uint64, ok bool) {
	for k := range 2 {
		s := m.mem[offSlots+k*slotBytes:][:slotBytes]
		n := int(binary.LittleEndian.Uint32(s[4:]))
		if n > maxSaved || crc32.Checksum(s[4:24+16*n], castagnoli) != binary.LittleEndian.Uint32(s) {
			continue
		}
		q := binary.LittleEndian.Uint64(s[8:])
		if ok && q <= seq {
			continue
		}
		seq, ok = q, true
		committed = binary.LittleEndian.Uint64(s[16:])
		released = released[:0]
		for i := range n {
			released = append(released, span{binary.LittleEndian.Uint64(s[24+16*i:]), binary.LittleEndian.Uint64(s[32+16*i:])})
		}
	}
	return committed, released, seq, ok
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
	m.base = base
	m.saveLocked(base)
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
// journal could not keep it (see the package doc). first says rec starts
// a batch: only then may the journal move records before it (see
// relocate), so the spans of a batch's records are adjacent, and the
// batch's span is the first one's from to the last one's to. Append must
// not be called by two goroutines at once.
func (j *Journal) Append(rec []byte, first bool) (from, to uint64, ok bool) {
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
	full := false
	// One guard for every access to the mapping (see mmapguard).
	if !mmapguard.Do(func() {
		if first && j.pos-m.committed.Load() > m.size/2 {
			j.relocate(m) // moves j.pos past the records it moves
		}
		if full = j.end(m, need)-m.committed.Load() > m.size; !full {
			from = j.pos
			j.put(m, rec)
		}
	}) {
		j.faulted(m)
		j.keepInMemory(whyBroken)
		return 0, 0, false
	}
	if full {
		j.keepInMemory(whyFull)
		return 0, 0, false
	}
	if j.pos>>16 != from>>16 {
		// Every 64 KiB, tell the watcher where the records are, so that
		// it maps the pages ahead of them before they are needed.
		j.mark.Store(j.pos)
		select {
		case j.kick <- struct{}{}:
		default:
		}
	}
	if j.why.Load() != whyNone {
		j.why.Store(whyNone) // the spell is over
	}
	return from, j.pos, true
}

// end returns where a record of need bytes, header and padding included,
// written next would end: past a wrap if it does not fit before the ring's
// end.
func (j *Journal) end(m *mapping, need uint64) uint64 {
	p := j.pos % m.size
	if m.size-p < need {
		return j.pos + (m.size - p) + need
	}
	return j.pos + need
}

// put writes rec at j.pos, which it moves past it; the caller has checked
// that it fits.
func (j *Journal) put(m *mapping, rec []byte) {
	from := j.pos
	need := uint64(recHeader + pad(len(rec)))
	p := from % m.size
	var skip uint64
	if m.size-p < need {
		skip = m.size - p
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
	j.pos = at + need
}

// relocate moves the oldest records still queued to the journal's end
// when they alone keep the ring from being reused: a batch retried against
// a destination that is down while the batches after it were released
// (diverted to the spool). It copies them, within the ring, past the
// newest, and moves the committed position past their old place and over
// the released spans behind them; a later Release of their old span
// releases the new one (see moved). It does nothing when the oldest
// unreleased records take more than a quarter of the ring: then they are
// the queue itself, which the ring is sized to hold.
func (j *Journal) relocate(m *mapping) {
	j.relMu.Lock()
	defer j.relMu.Unlock()
	if len(m.pending) == 0 {
		return
	}
	a, x := m.committed.Load(), m.pending[0].from
	if x-a > m.size/4 {
		return // the queue itself
	}
	// Where the copies would end, wraps included: they must not reach
	// the records they are copied from.
	end := j.pos
	for pos := a; pos < x; {
		rec, next, ok := m.read(pos)
		if !ok {
			return // cannot happen: the records were written by this process
		}
		if rec != nil {
			if p, need := end%m.size, uint64(recHeader+pad(len(rec))); m.size-p < need {
				end += m.size - p
			}
			end += uint64(recHeader + pad(len(rec)))
		}
		pos = next
	}
	if end-a > m.size {
		return
	}
	t := move{old: []uint64{a}, new: []uint64{j.pos}}
	for pos := a; pos < x; {
		rec, next, ok := m.read(pos)
		if !ok {
			return // cannot happen: the records were written by this process
		}
		if rec != nil {
			j.put(m, rec)
			t.old = append(t.old, next)
			t.new = append(t.new, j.pos)
		}
		pos = next
	}
	if t.old[len(t.old)-1] != x {
		return // not whole records: leave them where they are
	}
	// Records moved before and moved again: their earlier move now points
	// at their new place, so every span an owner holds is one lookup away.
	for _, t0 := range m.moved {
		for i, p := range t0.new {
			if k, ok := slices.BinarySearch(t.old, p); ok {
				t0.new[i] = t.new[k]
			}
		}
	}
	m.moved = append(m.moved, t)
	m.commitLocked(x)
}

// A move is one relocation: the record boundaries old[i] of the records
// moved, and new[i], where the same boundaries are now.
type move struct{ old, new []uint64 }

// translate returns where the span [from, to), as Append returned it, is
// now: moved by the first move that holds both its ends, else where it
// was. A move's old boundaries are where Append wrote the records (a move
// of moved records updates the earlier move instead), so one lookup finds
// it.
func (m *mapping) translate(from, to uint64) (uint64, uint64) {
	for _, t := range m.moved {
		i, ok := slices.BinarySearch(t.old, from)
		if !ok {
			continue
		}
		if k, ok := slices.BinarySearch(t.old, to); ok {
			return t.new[i], t.new[k]
		}
	}
	return from, to
}

// replace puts n, made by the watcher, in place of the current mapping;
// its records start at the next position. The records of the current
// mapping not yet released (a file that was removed, still mapped) are
// copied into n, at the same positions, so that a kill does not lose them.
func (j *Journal) replace(n *mapping) {
	j.next.Store(nil)
	j.relMu.Lock()
	n.base = j.pos
	c := j.pos
	if m := j.cur.Load(); m != nil && m.size == n.size && mmapguard.Do(func() {
		for p := m.committed.Load(); p < j.pos; {
			k := p % m.size
			p += uint64(copy(n.ring[k:], m.ring[k:k+min(j.pos-p, m.size-k)]))
		}
	}) {
		c = m.committed.Load()
		n.base, n.pending, n.moved = m.base, m.pending, m.moved
		m.pending, m.moved = nil, nil
	}
	n.saveLocked(c)
	n.committed.Store(c)
	if m := j.cur.Swap(n); m != nil {
		j.old = append(j.old, m)
	}
	j.relMu.Unlock()
}

// errFault is why a journal whose mapping faulted is broken.
var errFault = errors.New("its file faulted under the process (cut short by another process, or its file system out of space)")

// faulted marks m broken after a fault in its mapping; the watcher makes
// the journal again.
func (j *Journal) faulted(m *mapping) {
	err := errFault
	j.lastErr.Store(&err)
	m.broken.Store(true)
}

// keepInMemory counts a record the journal did not keep and, at the start
// of a spell of them, has the watcher report it.
func (j *Journal) keepInMemory(why int32) {
	j.volatile.Add(1)
	if j.why.Load() != why {
		j.why.Store(why)
		j.started.Store(why)
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
	if !mmapguard.Do(func() { m.releaseLocked(from, to) }) {
		j.faulted(m)
	}
}

// releaseLocked is Release on m, with relMu held.
func (m *mapping) releaseLocked(from, to uint64) {
	from, to = m.translate(max(from, m.base), to)
	c := m.committed.Load()
	if to <= c {
		return // released already
	}
	if from != c {
		m.addPendingLocked(span{from, to})
		m.saveLocked(c)
		return
	}
	m.commitLocked(to)
}

// addPendingLocked adds a span released out of order, merged with the
// spans it touches (diverted batches come one after another), so that
// the list stays short.
func (m *mapping) addPendingLocked(sp span) {
	i, _ := slices.BinarySearchFunc(m.pending, sp.from, func(s span, f uint64) int { return compare(s.from, f) })
	if i < len(m.pending) && m.pending[i].from == sp.to {
		m.pending[i].from = sp.from
	} else {
		m.pending = slices.Insert(m.pending, i, sp)
	}
	if i > 0 && m.pending[i-1].to == m.pending[i].from {
		m.pending[i-1].to = m.pending[i].to
		m.pending = slices.Delete(m.pending, i, i+1)
	}
}

// commitLocked moves the committed position to c and on over the
// released spans that follow, and forgets the moves all behind it.
// Called with relMu held.
func (m *mapping) commitLocked(c uint64) {
	k := 0
	for k < len(m.pending) && m.pending[k].from == c {
		c = m.pending[k].to
		k++
	}
	if k > 0 {
		m.pending = slices.Delete(m.pending, 0, k)
	}
	// The header first: once Append sees c it may write over the records
	// before c, and a kill must then find c, not the position before,
	// whose record is gone (recovery would stop at once).
	m.saveLocked(c)
	m.committed.Store(c)
	if testCommitted != nil {
		testCommitted()
	}
	// A move whose records are all behind c was released: a move of
	// moved records updated it to their newest place.
	m.moved = slices.DeleteFunc(m.moved, func(t move) bool { return slices.Max(t.new) <= c })
}

// testCommitted, if set, is called as soon as Append may see a new
// committed position.
var testCommitted func()

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
		why := j.why.Load()
		if s := j.started.Swap(whyNone); s != whyNone && why == whyNone && j.told.Load() == whyNone {
			// A spell begun and over since the last look: its start,
			// then its end, are reported all the same.
			j.report(j.spellError(s))
			j.told.Store(s)
		}
		if why != whyNone && j.told.Swap(why) != why {
			j.report(j.spellError(why))
		} else if why == whyNone && j.told.Swap(whyNone) != whyNone {
			j.report(fmt.Errorf("spool journal %s: records are kept on disk again (%d were kept in memory only)", j.path, j.Volatile()))
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
