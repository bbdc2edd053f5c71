package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/internal/mmapguard"
	"github.com/jinpy-utils/multi/internal/report"
	"github.com/jinpy-utils/multi/internal/stats"
)

var (
	errClosed  = fmt.Errorf("file: %w", multi.ErrClosed)
	errDropped = errors.New("file: record dropped: the file cannot be written and the buffer is full")
)

// writer is the shared destination of every handler opened on one path: a
// buffer in front of the live file, the rotation, and two goroutines, one
// that flushes the buffer every FlushInterval and one (the mill) that
// compresses rotated files and removes old ones.
//
// Lock order: mu, then fsMu. The mill takes fsMu only.
type writer struct {
	key   string // the registry key: see canonical
	given string // the path as the caller wrote it, for error messages
	names naming
	cfg   config
	loc   *time.Location
	// onClock: the live file changes with the date or the clock period.
	onClock bool
	link    string      // absolute path of Options.Link, "" for none
	hook    *rotateHook // Options.OnRotate's runner, nil without

	mu        sync.Mutex
	f         *os.File    // nil when the file could not be opened
	fi        os.FileInfo // identity of f, to notice that the path moved on
	date      string      // {date} of the live file
	period    time.Time   // start of the live file's clock period (RotateEvery, RotateAt)
	nextCut   time.Time   // when the date or the clock period changes
	size      int64       // bytes in the live file
	buf       []byte      // records not yet written, whole lines only: a window on mem
	mem       []byte      // the buffer's memory: side's mapping, or the heap
	side      *side       // nil: the buffer is on the heap
	setupErr  error       // why the side file could not be made, reported once
	pending   int         // records in buf
	failing   bool        // the last write failed: the logging path does not retry
	dropping  bool        // the drops of this outage were reported
	holdUntil time.Time   // after a failed rotation, none is tried before this
	closed    bool
	notes     []error // errors to hand to the ErrorHandlers once mu is released

	degraded atomic.Bool // the last rotation or reopen failed
	c        stats.Counters
	hooks    atomic.Pointer[[]*hook]
	stderr   *report.Reporter // when no handler on the file has an ErrorHandler

	fsMu sync.Mutex  // renames of the live file and backups: rotation versus the mill
	live string      // base name of the live file, under fsMu
	open os.FileInfo // identity of f, under fsMu: the mill leaves it alone

	stop       chan struct{} // closed to stop the flush goroutine
	flushDone  chan struct{}
	millReq    chan struct{} // capacity 1: requests coalesce
	millStop   chan struct{}
	millDone   chan struct{}
	millCtx    context.Context
	millCancel context.CancelFunc
	cut        atomic.Bool // the mill left a backup uncompressed because millCtx ended
	zw         archiver    // the mill's, reused
	zbuf       []byte

	// compressHook, if set by a test, runs in the mill after an archive is
	// written and before it takes its final name.
	compressHook atomic.Pointer[func(name string)]

	refs    int           // handlers using this writer, under the registry lock
	retired chan struct{} // closed when close has finished
}

// hook is one handler's ErrorHandler, behind the module's one reporting
// contract.
type hook struct{ r *report.Reporter }

// openWriter creates the directory and opens the live file. abs is the
// cleaned absolute path, {date} unexpanded, key its registry key.
func openWriter(key, abs, given string, cfg config) (*writer, error) {
	names, err := newNaming(abs)
	if err != nil {
		return nil, err
	}
	if names.hasDate && cfg.timed() {
		return nil, fmt.Errorf("file: path %s: %s rotates daily already: write a path without it for RotateEvery or RotateAt, or leave them out", given, datePlaceholder)
	}
	names.stamped = cfg.timed()
	var link string
	if cfg.link != "" {
		if link, err = checkLink(cfg.link, abs); err != nil {
			return nil, err
		}
		if _, ours := names.parse(filepath.Base(link)); ours && filepath.Dir(link) == names.dir {
			return nil, fmt.Errorf("file: option Link %s bears the name of one of the log's own files, which rotation renames: give the link another name, such as %s", cfg.link, filepath.Join(filepath.Dir(cfg.link), "current.log"))
		}
	}
	w := &writer{
		key:      key,
		given:    given,
		names:    names,
		cfg:      cfg,
		loc:      cfg.loc,
		onClock:  names.hasDate || cfg.timed(),
		link:     link,
		stop:     make(chan struct{}),
		millReq:  make(chan struct{}, 1),
		millStop: make(chan struct{}),
		retired:  make(chan struct{}),
	}
	w.stderr = report.New("file "+given, nil)
	if err := os.MkdirAll(names.dir, 0o755); err != nil {
		return nil, fmt.Errorf("file: create directory %s: %w", filepath.Dir(given), unwrapPath(err))
	}
	w.setDate(cfg.now())
	if fi, err := os.Stat(w.path()); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return nil, fmt.Errorf("file: %s is a directory; give the path of a file in it, such as %s", w.display(), filepath.Join(w.display(), "app.log"))
		}
		return nil, fmt.Errorf("file: open %s: not a regular file but %s", w.display(), fileKind(fi.Mode()))
	}
	if err := w.openLocked(); err != nil {
		return nil, w.errorf("open", err)
	}
	if cfg.timed() {
		// A file left by an earlier run belongs to the period of its
		// last write (not later than now): the first write or flush
		// after that period rotates it.
		t := cfg.now()
		if m := w.fi.ModTime(); w.size > 0 && m.Before(t) {
			t = m
		}
		w.setPeriod(t)
	}
	if err := w.linkLocked(); err != nil {
		_ = w.f.Close()
		return nil, err
	}
	if err := w.recoverLocked(sidePath(abs)); err != nil {
		_ = w.f.Close()
		return nil, err
	}
	return w, nil
}

// fileKind names a mode type that is not a regular file.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// recoverLocked writes to the log what a process killed before writing
// out its buffer left in the side file at path, then maps a fresh side
// file for this writer's buffer. If the side file cannot be made (a full
// disk), the buffer lives on the heap, and that is reported once.
func (w *writer) recoverLocked(path string) error {
	data, err := recoverSide(path, w.path(), w.size)
	if err != nil {
		return fmt.Errorf("file: recover the buffer of %s from %s: %w", w.display(), filepath.Base(path), unwrapPath(err))
	}
	if len(data) > 0 {
		n, err := w.f.Write(data)
		if err != nil {
			// The side file keeps them for the next New.
			return fmt.Errorf("file: recover the buffer of %s: write %d bytes: %w", w.display(), len(data), unwrapPath(err))
		}
		w.wroteLocked(bytes.Count(data, []byte{'\n'}), n)
		if err := w.syncLocked(); err != nil {
			return err
		}
	}
	w.mem = make([]byte, 0, w.cfg.bufferSize)
	if !w.cfg.heapBuffer {
		s, err := openSide(path, w.cfg.bufferSize, w.cfg.mode)
		if err != nil {
			w.setupErr = fmt.Errorf("file: buffer of %s in memory only, lost if the process is killed: side file %s: %w", w.display(), filepath.Base(path), unwrapPath(err))
		} else {
			w.side = s
			w.mem = s.mem[sideHdr:sideHdr]
		}
	}
	w.buf = w.mem[:0]
	return nil
}

// start starts the goroutines, once the first ErrorHandler is attached.
func (w *writer) start() {
	w.flushDone = make(chan struct{})
	w.millDone = make(chan struct{})
	w.millCtx, w.millCancel = context.WithCancel(context.Background())
	if w.cfg.onRotate != nil {
		w.hook = newRotateHook(w.cfg.onRotate, w.cfg.hookSlow, w.report)
	}
	go w.flusher()
	go w.mill()
	w.kickMill() // compress and prune what an earlier run left
}

// setDate moves the live file to the date of t.
func (w *writer) setDate(t time.Time) {
	if !w.names.hasDate {
		w.fsMu.Lock()
		w.live = w.names.base("")
		w.fsMu.Unlock()
		return
	}
	t = t.In(w.loc)
	w.date = w.names.date(t)
	y, m, d := t.Date()
	w.nextCut = time.Date(y, m, d+1, 0, 0, 0, 0, w.loc)
	w.fsMu.Lock()
	w.live = w.names.base(w.date)
	w.fsMu.Unlock()
}

func (w *writer) path() string { return w.names.live(w.date) }

// display names the live file as the caller wrote its path.
func (w *writer) display() string {
	if !w.names.hasDate {
		return w.given
	}
	return strings.Replace(w.given, datePlaceholder, w.date, 1)
}

// errorf wraps err as "file: ACTION PATH: err", without repeating the
// absolute path that an *os.PathError about the live file carries.
func (w *writer) errorf(action string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == w.path() {
		err = pe.Err
	}
	return fmt.Errorf("file: %s %s: %w", action, w.display(), err)
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// noteLocked keeps err for the ErrorHandlers, which are called once mu is
// released (an ErrorHandler may log to this very file), and returns it.
func (w *writer) noteLocked(err error) error {
	if err != nil {
		w.notes = append(w.notes, err)
	}
	return err
}

// unlock releases mu, then reports the errors noted meanwhile.
func (w *writer) unlock() {
	notes := w.notes
	w.notes = nil
	w.mu.Unlock()
	for _, err := range notes {
		w.report(err)
	}
}

// report hands err to every attached ErrorHandler. Call it without mu held.
func (w *writer) report(err error) {
	if err == nil {
		return
	}
	if hs := w.hooks.Load(); hs != nil && len(*hs) > 0 {
		for _, h := range *hs {
			h.r.Error(err)
		}
		return
	}
	w.stderr.Error(err)
}

// Write appends one record (one whole line) to the buffer. It writes the
// buffer out only when the record does not fit. It never splits a record
// across two files. It returns an error only when the record was dropped.
func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	var n int
	var err error
	w.guardedLocked(func() { n, err = w.writeLocked(p) })
	if w.notes == nil {
		w.mu.Unlock()
	} else {
		w.unlock()
	}
	return n, err
}

func (w *writer) writeLocked(p []byte) (int, error) {
	if w.closed {
		w.c.Dropped(1)
		return 0, errClosed
	}
	if w.onClock {
		if t := w.cfg.now(); !t.Before(w.nextCut) {
			w.rotateLocked(t, false, false)
		}
	}
	if w.cfg.maxSize > 0 {
		if used := w.size + int64(len(w.buf)); used > 0 && used+int64(len(p)) > w.cfg.maxSize {
			w.rotateLocked(time.Time{}, true, false)
		}
	}
	if len(p) > cap(w.buf)-len(w.buf) {
		if !w.failing {
			w.flushLocked()
		}
		if len(p) > cap(w.buf)-len(w.buf) {
			if len(w.buf) == 0 && !w.failing {
				if err := w.writeBigLocked(p); err != nil {
					return 0, errDropped
				}
				return len(p), nil
			}
			w.c.Dropped(1)
			if !w.dropping {
				w.dropping = true
				w.noteLocked(fmt.Errorf("file: write %s: %d bytes of records are held while the file cannot be written; dropping new records until a write succeeds", w.display(), len(w.buf)))
			}
			return 0, errDropped
		}
	}
	w.buf = append(w.buf, p...)
	w.markEnd()
	w.pending++
	return len(p), nil
}

func join(a, b error) error {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return errors.Join(a, b)
}

// writeBigLocked writes a record larger than the buffer straight to the
// file; the buffer is empty. A record the file cannot take whole is dropped
// and cut back out of the file.
func (w *writer) writeBigLocked(p []byte) error {
	if err := w.ensureLocked(); err != nil {
		w.c.Dropped(1)
		return w.failLocked(err)
	}
	n, err := w.f.Write(p)
	if err != nil {
		if n > 0 {
			if end, serr := w.f.Seek(0, io.SeekCurrent); serr == nil {
				_ = w.f.Truncate(end - int64(n))
			}
		}
		w.c.Dropped(1)
		return w.failLocked(err)
	}
	w.wroteLocked(1, n)
	return w.syncLocked()
}

// flushLocked writes the buffer to the live file, (re)opening it first if
// the path no longer names it. On failure the records stay in the buffer,
// and the error, also noted for the ErrorHandlers, is returned.
func (w *writer) flushLocked() error {
	if len(w.buf) == 0 && w.f != nil {
		return nil
	}
	if err := w.ensureLocked(); err != nil {
		return w.failLocked(err)
	}
	w.markBase()
	n, err := w.f.Write(w.buf)
	if err != nil {
		return w.partialLocked(n, err)
	}
	w.wroteLocked(w.pending, n)
	w.pending = 0
	w.resetBuf()
	return w.syncLocked()
}

// wroteLocked accounts for n bytes holding recs records written.
func (w *writer) wroteLocked(recs, n int) {
	// O_APPEND leaves the offset at the end of the file: the true size even
	// if something else truncated (copytruncate) or appended to the file.
	if end, err := w.f.Seek(0, io.SeekCurrent); err == nil {
		w.size = end
	} else {
		w.size += int64(n)
	}
	w.c.Wrote(recs, n, w.cfg.now())
	if w.failing {
		w.failing, w.dropping = false, false
	}
}

func (w *writer) syncLocked() error {
	if !w.cfg.sync {
		return nil
	}
	if err := w.f.Sync(); err != nil {
		return w.failLocked(err)
	}
	return nil
}

// partialLocked handles a write of the buffer that stopped after n bytes
// (a full disk). The file is cut back to the last whole record, so that it
// never ends in half a line; what was not written stays in the buffer.
func (w *writer) partialLocked(n int, err error) error {
	if n > 0 {
		k := bytes.LastIndexByte(w.buf[:n], '\n') + 1
		if k < n {
			if end, serr := w.f.Seek(0, io.SeekCurrent); serr == nil && w.f.Truncate(end-int64(n-k)) == nil {
				_, _ = w.f.Seek(0, io.SeekEnd)
				n = k
			}
		}
		recs := bytes.Count(w.buf[:n], []byte{'\n'})
		if n > 0 {
			w.wroteLocked(recs, n)
		}
		w.pending -= recs
		w.consumed(n)
		w.markBase()
	}
	return w.failLocked(err)
}

// failLocked records a failed write. Until a write succeeds, the logging
// path stops trying: the flush goroutine retries every FlushInterval.
func (w *writer) failLocked(err error) error {
	w.failing = true
	e := w.errorf("write", err)
	w.c.Failed(e)
	return w.noteLocked(e)
}

// ensureLocked makes sure f is open on the path. If the path no longer
// names f (moved by logrotate, deleted, its directory removed), the path is
// opened afresh; a removed directory is recreated, and that is reported.
func (w *writer) ensureLocked() error {
	if w.f != nil {
		fi, err := os.Stat(w.path())
		if err == nil && os.SameFile(fi, w.fi) {
			return nil
		}
		if _, derr := os.Stat(w.names.dir); errors.Is(derr, fs.ErrNotExist) {
			e := fmt.Errorf("file: write %s: the directory was removed while the file was open (with the records written to it); recreating it", w.display())
			w.c.Failed(e)
			w.noteLocked(e)
		}
		_ = w.f.Close()
		w.setFileLocked(nil, nil)
		w.kickMill() // the file moved away may bear a backup's name
	}
	return w.openLocked()
}

// openLocked opens (or creates) the live file for appending.
func (w *writer) openLocked() error {
	if err := os.MkdirAll(w.names.dir, 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(w.path(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, w.cfg.mode)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	w.setFileLocked(f, fi)
	w.size = fi.Size()
	return nil
}

// setFileLocked makes f, of identity fi, the file written to (nil: none),
// and tells the mill, which must not compress a file still written to: one
// that an external tool moved to a backup's name (NAME.1), before the
// writer notices or Reopen is called.
func (w *writer) setFileLocked(f *os.File, fi os.FileInfo) {
	w.f, w.fi = f, fi
	w.fsMu.Lock()
	w.open = fi
	w.fsMu.Unlock()
}

// flusher writes the buffer out every FlushInterval, retries while the
// file cannot be written, and starts a new day's file.
func (w *writer) flusher() {
	defer close(w.flushDone)
	t := time.NewTicker(w.cfg.flushInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			w.mu.Lock()
			if !w.closed {
				// A new day starts its file even when no record comes, so
				// that yesterday's is compressed and pruned without delay.
				w.guardedLocked(func() {
					if w.onClock {
						if now := w.cfg.now(); !now.Before(w.nextCut) {
							w.rotateLocked(now, false, false)
						}
					}
					w.flushLocked()
				})
			}
			w.unlock()
		case <-w.stop:
			return
		}
	}
}

// flush writes out everything written before the call.
func (w *writer) flush() error {
	w.mu.Lock()
	defer w.unlock()
	if w.closed {
		return errClosed
	}
	var err error
	w.guardedLocked(func() { err = w.flushLocked() })
	return err
}

// rotate rotates the live file now, unless it is empty.
func (w *writer) rotate() error {
	w.mu.Lock()
	defer w.unlock()
	if w.closed {
		return errClosed
	}
	var err error
	w.guardedLocked(func() { err = w.rotateLocked(time.Time{}, true, true) })
	return err
}

// reopen writes out the buffer, then opens the path afresh: the file an
// external tool moved away is closed, a new one is created. If the path
// cannot be opened, the old file is kept. If the directory was removed,
// it is recreated and reported as by ensureLocked, and the buffer goes to
// the new file.
func (w *writer) reopen() error {
	w.mu.Lock()
	defer w.unlock()
	if w.closed {
		return errClosed
	}
	var err error
	w.guardedLocked(func() { err = w.reopenLocked() })
	return err
}

// reopenLocked is reopen, with mu held.
func (w *writer) reopenLocked() error {
	if w.f == nil {
		return w.flushLocked()
	}
	if _, derr := os.Stat(w.names.dir); errors.Is(derr, fs.ErrNotExist) {
		// The directory went with the file: what is written to it is lost.
		// Do what the next write would do: recreate it, say so, and write
		// the buffer to the new file.
		if err := w.ensureLocked(); err != nil {
			return w.failLocked(err)
		}
		w.degraded.Store(false)
		return w.flushLocked()
	}
	var err error
	if len(w.buf) > 0 && !w.failing {
		w.markBase()
		if n, werr := w.f.Write(w.buf); werr != nil {
			err = w.partialLocked(n, werr)
		} else {
			w.wroteLocked(w.pending, n)
			w.pending = 0
			w.resetBuf()
		}
	}
	old, oldfi, oldsize := w.f, w.fi, w.size
	if oerr := w.openLocked(); oerr != nil {
		w.f, w.fi, w.size = old, oldfi, oldsize
		w.degraded.Store(true)
		e := w.errorf("reopen", oerr)
		w.c.SetError(e)
		return join(err, w.noteLocked(e))
	}
	_ = old.Close()
	w.degraded.Store(false)
	w.kickMill() // the file moved away may bear a backup's name
	return err
}

// close writes out the buffer, stops the flush goroutine, closes the file
// and waits for the mill to finish its work, or for ctx to end.
func (w *writer) close(ctx context.Context) error {
	w.mu.Lock()
	w.closed = true
	var err error
	w.guardedLocked(func() {
		err = w.flushLocked()
		if err != nil && w.pending > 0 {
			w.c.Dropped(w.pending)
			err = join(err, w.noteLocked(fmt.Errorf("file: close %s: %d records could not be written and are lost", w.display(), w.pending)))
			w.pending = 0
			w.resetBuf()
		}
	})
	if w.f != nil {
		if cerr := w.f.Close(); cerr != nil {
			err = join(err, w.noteLocked(w.errorf("close", cerr)))
		}
		w.setFileLocked(nil, nil)
	}
	w.side.close()
	w.side = nil
	w.unlock()
	if w.cfg.maxTotalSize > 0 {
		w.kickMill() // the live file grew since the last pass
	}

	close(w.stop)
	<-w.flushDone
	close(w.millStop)
	select {
	case <-w.millDone:
	case <-ctx.Done():
		w.millCancel()
		<-w.millDone
		// ctx may have ended before the mill was done with nothing to
		// compress: only a compression abandoned is an error.
		if w.cut.Load() {
			e := fmt.Errorf("file: close %s: compression cut short: %w", w.display(), ctx.Err())
			w.report(e)
			err = join(err, e)
		}
	}
	w.millCancel()
	if herr := w.hook.close(ctx); herr != nil {
		w.report(herr)
		err = join(err, herr)
	}
	return err
}

// guardedLocked runs f, which may touch the buffer in the side file's
// mapping, so that a fault in the mapping ends f, not the process (see
// package mmapguard): then the side file is given up for a buffer on the
// heap (sideFaultedLocked), and f runs again. A fault happens only where
// f writes or reads the buffer or the side file's header, never halfway
// through a change of the writer's own fields, so f can run again. Called
// with mu held.
func (w *writer) guardedLocked(f func()) {
	if w.side == nil {
		f()
		return
	}
	if mmapguard.Do(f) {
		return
	}
	w.sideFaultedLocked()
	f()
}

// sideFaultedLocked gives up the side file after a fault in its mapping
// (the file was cut short under the process, or a copy-on-write file
// system has no room for a page of it): the records in the buffer cannot
// be read any more and are counted as dropped, and the buffer is on the
// heap from now on, which says so once.
func (w *writer) sideFaultedLocked() {
	lost := w.pending
	if lost > 0 {
		w.c.Dropped(lost)
	}
	w.pending = 0
	path := w.side.path
	w.side.close()
	w.side = nil
	w.mem = make([]byte, 0, w.cfg.bufferSize)
	w.buf = w.mem[:0]
	w.noteLocked(fmt.Errorf("file: buffer of %s: its side file %s faulted under the process (cut short by another process, or its file system out of space): %d records in it are lost, and the buffer is in memory only from now on, lost if the process is killed", w.display(), filepath.Base(path), lost))
}

// stats returns the counters, with Queued the records in the buffer.
func (w *writer) stats() multi.Stats {
	w.mu.Lock()
	q := w.pending
	w.mu.Unlock()
	s := w.c.Snapshot()
	s.Queued = int64(q)
	return s
}

func (w *writer) healthy() bool { return w.c.Healthy() && !w.degraded.Load() }
