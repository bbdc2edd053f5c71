package file

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// rotateLocked starts a new live file: by size (the live file becomes
// NAME.1 and older backups shift up) or, with bySize false, because the date
// of t differs from the live file's. The buffer is written out to the old
// file first; while the file cannot be written, no rotation happens. After a
// failed rotation none is tried for a FlushInterval, unless force is set
// (an explicit Rotate).
func (w *writer) rotateLocked(t time.Time, bySize, force bool) error {
	if !bySize && w.names.date(t.In(w.loc)) == w.date {
		y, m, d := t.In(w.loc).Date()
		w.nextDay = time.Date(y, m, d+1, 0, 0, 0, 0, w.loc)
		return nil
	}
	if !force && !w.holdUntil.IsZero() {
		if w.cfg.now().Before(w.holdUntil) {
			return nil
		}
		w.holdUntil = time.Time{}
	}
	if w.failing && !force {
		return nil
	}
	if err := w.flushLocked(); err != nil {
		return err
	}
	if w.f == nil {
		return nil
	}
	if bySize && w.size == 0 {
		return nil // nothing to rotate
	}

	if bySize {
		w.fsMu.Lock()
		err := w.shiftLocked()
		w.fsMu.Unlock()
		if err != nil {
			w.holdUntil = w.cfg.now().Add(w.cfg.flushInterval)
			w.degraded.Store(true)
			e := w.errorf("rotate", err)
			w.c.SetError(e)
			return w.noteLocked(e)
		}
	} else {
		w.setDate(t)
	}
	old := w.f
	w.setFileLocked(nil, nil)
	err := w.openLocked()
	_ = old.Close()
	w.kickMill()
	if err != nil {
		return w.failLocked(err)
	}
	w.degraded.Store(false)
	return nil
}

// shiftLocked renames NAME.N to NAME.N+1 for every backup of the live
// file, highest first, removes those that would pass MaxBackups (counted
// in order, newest first, after the new NAME.1: numbers may have gaps), and
// renames the live file to NAME.1. Backups that vanish meanwhile are
// skipped. Called with mu and fsMu held.
func (w *writer) shiftLocked() error {
	files, _, err := w.names.scan()
	if err != nil {
		return err
	}
	base := w.names.base(w.date)
	var idx []int
	gz := map[int]int{} // index → 1 plain, 2 compressed, 3 both
	for _, b := range files {
		if b.date != w.date || b.index == 0 {
			continue
		}
		if gz[b.index] == 0 {
			idx = append(idx, b.index)
		}
		if b.gz {
			gz[b.index] |= 2
		} else {
			gz[b.index] |= 1
		}
	}
	slices.Sort(idx)
	dir := w.names.dir
	name := func(i int, z bool) string {
		n := base + "." + strconv.Itoa(i)
		if z {
			n += gzExt
		}
		return filepath.Join(dir, n)
	}
	for j := len(idx) - 1; j >= 0; j-- {
		i := idx[j]
		for _, z := range []bool{false, true} {
			if gz[i]&(1<<b2i(z)) == 0 {
				continue
			}
			if w.cfg.maxBackups > 0 && j+2 > w.cfg.maxBackups {
				// After the shift it is backup j+2 in order, NAME.1 first.
				err = os.Remove(name(i, z))
			} else {
				err = os.Rename(name(i, z), name(i+1, z))
			}
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	// The live file may have been removed meanwhile: there is then nothing
	// to keep, and a new one is opened all the same.
	if err := os.Rename(w.path(), name(1, false)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
