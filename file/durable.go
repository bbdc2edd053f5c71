package file

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"unsafe"
)

// The write buffer lives in a memory-mapped side file, .NAME.buf next to
// the log (NAME with {date} unexpanded), so that records Handle accepted
// survive a kill of the process: the kernel owns the mapped pages, and the
// next New on the path writes what they hold to the log before anything
// new. The side file is a header and the buffer:
//
//	[0:8)   magic
//	[8:16)  start: offset in the buffer of the first record not written
//	[16:24) end: offset just past the last whole record
//	[24:32) base: the size of the log when buf[start:] is written to it
//	[hdr:)  the buffer, BufferSize bytes
//
// A record is copied into the buffer first and end moves past it after,
// so the buffer holds whole lines only, whenever the process dies. A write
// of the buffer sets base first and empties the buffer after (start=end,
// then end=0, then start=0: start >= end is empty at every step), so a kill
// in between leaves records both in the log and in the buffer; recovery
// finds the part of the buffer the log already holds at base and writes
// only the rest, so it writes no line twice, nor half of one.
const (
	sideMagic = "multibf1"
	sideHdr   = 64
	offStart  = 8
	offEnd    = 16
	offBase   = 24
)

// side is the mapped side file of a writer; nil fields mean the buffer is
// on the heap (the side file could not be made).
type side struct {
	path string
	f    *os.File
	mem  []byte // the whole mapping
}

func (s *side) word(off int) *uint64 { return (*uint64)(unsafe.Pointer(&s.mem[off])) }

func (s *side) set(off int, v int) { atomic.StoreUint64(s.word(off), uint64(v)) }

// sidePath names the side file of the log whose absolute path (with
// {date} unexpanded) is abs. It is hidden, and no backup's name.
func sidePath(abs string) string {
	return filepath.Join(filepath.Dir(abs), "."+filepath.Base(abs)+".buf")
}

// recoverSide reads the side file at path, left by a process that died
// with records in its buffer, and returns the records that the log at
// logPath (of size fsize) does not hold yet. A missing or foreign side
// file gives nothing.
func recoverSide(path, logPath string, fsize int64) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(b) < sideHdr || string(b[:8]) != sideMagic {
		return nil, nil
	}
	start := binary.NativeEndian.Uint64(b[offStart:])
	end := binary.NativeEndian.Uint64(b[offEnd:])
	base := int64(binary.NativeEndian.Uint64(b[offBase:]))
	if start >= end || end > uint64(len(b)-sideHdr) {
		return nil, nil
	}
	data := b[sideHdr+start : sideHdr+end]
	// Only whole lines: end moves past a record once it is all there.
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	if base >= 0 && base < fsize {
		// A write of the buffer may have reached the log, whole or in part,
		// before the process died: skip what the log holds at base.
		m := min(fsize-base, int64(len(data)))
		have := make([]byte, m)
		f, err := os.Open(logPath)
		if err != nil {
			return nil, err
		}
		_, err = f.ReadAt(have, base)
		f.Close()
		if (err == nil || err == io.EOF) && bytes.Equal(have, data[:m]) {
			data = data[m:]
		}
	}
	return data, nil
}

// head is the offset in the buffer of buf's first byte.
func (w *writer) head() int { return cap(w.mem) - cap(w.buf) }

// markEnd records that the buffer holds whole records up to buf's end.
func (w *writer) markEnd() {
	if w.side != nil {
		w.side.set(offEnd, w.head()+len(w.buf))
	}
}

// markBase records where in the log buf is about to be written.
func (w *writer) markBase() {
	if w.side != nil {
		w.side.set(offBase, int(w.size))
	}
}

// consumed drops the first n bytes of buf, written to the log.
func (w *writer) consumed(n int) {
	if n >= len(w.buf) {
		w.resetBuf()
		return
	}
	w.buf = w.buf[n:]
	if w.side != nil {
		w.side.set(offStart, w.head())
	}
}

// resetBuf empties the buffer, start >= end at every step.
func (w *writer) resetBuf() {
	if w.side != nil {
		w.side.set(offStart, w.head()+len(w.buf))
		w.side.set(offEnd, 0)
		w.side.set(offStart, 0)
	}
	w.buf = w.mem[:0]
}
