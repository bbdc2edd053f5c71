package file

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// rotateLocked starts a new live file: by size (the live file becomes
// NAME.1, or for a clock period NAME.STAMP.1, and older backups of the
// same date or period shift up) or, with bySize false, because t lies in
// another date (the {date} of the path) or clock period (RotateEvery,
// RotateAt) than the live file. The buffer is written out to the old file
// first; while the file cannot be written, no rotation happens. After a
// failed rotation none is tried for a FlushInterval, unless force is set
// (an explicit Rotate).
func (w *writer) rotateLocked(t time.Time, bySize, force bool) error {
	if !bySize {
		if w.cfg.timed() {
			if start, next := w.cfg.period(t); start.Equal(w.period) {
				w.nextCut = next
				return nil
			}
		} else if w.names.date(t.In(w.loc)) == w.date {
			y, m, d := t.In(w.loc).Date()
			w.nextCut = time.Date(y, m, d+1, 0, 0, 0, 0, w.loc)
			return nil
		}
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
	timed := w.cfg.timed() && !bySize
	if timed && w.size == 0 {
		// Nothing to keep: the empty live file serves the new period.
		w.setPeriod(t)
		return nil
	}

	done := w.path() // the backup finished, for OnRotate
	if bySize || timed {
		date, from := w.date, 1
		switch {
		case timed:
			// The period's file becomes NAME.STAMP; one already there
			// (the clock went back) is older and shifts up to .1.
			date, from = w.stamp(w.period), 0
		case w.cfg.timed():
			date = w.stamp(w.period)
		}
		w.fsMu.Lock()
		var err error
		done, err = w.shiftLocked(date, from)
		w.fsMu.Unlock()
		if err != nil {
			w.holdUntil = w.cfg.now().Add(w.cfg.flushInterval)
			w.degraded.Store(true)
			e := w.errorf("rotate", err)
			w.c.SetError(e)
			return w.noteLocked(e)
		}
		if timed {
			w.setPeriod(t)
		}
	} else {
		w.setDate(t)
	}
	old := w.f
	w.setFileLocked(nil, nil)
	err := w.openLocked()
	_ = old.Close()
	if !w.cfg.compress {
		w.hook.add(w.shown(filepath.Base(done)))
	}
	w.kickMill()
	if err != nil {
		return w.failLocked(err)
	}
	w.degraded.Store(false)
	if err := w.linkLocked(); err != nil {
		w.c.SetError(err)
		w.noteLocked(err)
	}
	return nil
}

// checkLink returns the absolute path of Options.Link, refusing one that
// is the log itself or names something other than a symbolic link.
func checkLink(link, abs string) (string, error) {
	l, err := filepath.Abs(link)
	if err != nil {
		return "", fmt.Errorf("file: option Link %s: %w", link, err)
	}
	if l == abs {
		return "", fmt.Errorf("file: option Link %s is the log's own path: give the link another name, such as %s", link, strings.TrimSuffix(link, filepath.Ext(link))+".current"+filepath.Ext(link))
	}
	if fi, err := os.Lstat(l); err == nil && fi.Mode()&os.ModeSymlink == 0 {
		return "", fmt.Errorf("file: option Link %s is %s, not a symbolic link: remove it, or give a path where the link can be made", link, describe(fi.Mode()))
	}
	return l, nil
}

func describe(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m.IsRegular():
		return "a regular file"
	}
	return fileKind(m)
}

// linkLocked points Options.Link at the live file: a new link under a
// temporary name in the link's directory, renamed over the old one, so
// that the link is never missing. The target is relative to the link's
// directory when the two share a root.
func (w *writer) linkLocked() error {
	if w.link == "" {
		return nil
	}
	dir := filepath.Dir(w.link)
	target := w.path()
	if rel, err := filepath.Rel(dir, target); err == nil {
		target = rel
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("file: link %s to %s: %w", w.cfg.link, w.display(), unwrapPath(err))
	}
	tmp := filepath.Join(dir, "."+filepath.Base(w.link)+".link"+tmpExt)
	_ = os.Remove(tmp) // left by a crash
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("file: link %s to %s: %w", w.cfg.link, w.display(), unwrapPath(err))
	}
	if err := os.Rename(tmp, w.link); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("file: link %s to %s: %w", w.cfg.link, w.display(), unwrapPath(err))
	}
	return nil
}

// shiftLocked renames the backups of date (a {date}, a period's STAMP, or
// "") numbered from and above, NAME.N to NAME.N+1, highest first (NAME.0
// is the main file NAME), removes those that would pass MaxBackups
// (counted in order, newest first, after the new one: numbers may have
// gaps), and renames the live file to the backup numbered from, whose
// path it returns. Backups that vanish meanwhile are skipped. Called with
// mu and fsMu held.
func (w *writer) shiftLocked(date string, from int) (string, error) {
	files, _, err := w.names.scan()
	if err != nil {
		return "", err
	}
	base := w.names.base(date)
	var idx []int
	kinds := map[int]int{} // index → bit k set: exts[k] exists
	exts := [...]string{"", gzExt, zstExt}
	for _, b := range files {
		if b.date != date || b.index < from || w.names.isLive(b) || b.name == w.live {
			continue
		}
		if kinds[b.index] == 0 {
			idx = append(idx, b.index)
		}
		for k, ext := range exts {
			if b.ext == ext {
				kinds[b.index] |= 1 << k
			}
		}
	}
	slices.Sort(idx)
	if from == 0 && kinds[0] == 0 {
		idx = nil // the period's main name is free: nothing moves
	}
	dir := w.names.dir
	name := func(i int, ext string) string {
		n := base
		if i > 0 {
			n += "." + strconv.Itoa(i)
		}
		return filepath.Join(dir, n+ext)
	}
	for j := len(idx) - 1; j >= 0; j-- {
		i := idx[j]
		for k, ext := range exts {
			if kinds[i]&(1<<k) == 0 {
				continue
			}
			if w.cfg.maxBackups > 0 && j+2 > w.cfg.maxBackups {
				// After the shift it is backup j+2 in order, the new one
				// first.
				err = os.Remove(name(i, ext))
			} else {
				err = os.Rename(name(i, ext), name(i+1, ext))
			}
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", err
			}
		}
	}
	// The live file may have been removed meanwhile: there is then nothing
	// to keep, and a new one is opened all the same.
	if err := os.Rename(w.path(), name(from, "")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	return name(from, ""), nil
}

// shown is the path of the log's file name as the caller wrote the path's
// directory.
func (w *writer) shown(name string) string { return filepath.Join(filepath.Dir(w.given), name) }

// timed reports whether the file rotates on the clock (RotateEvery or
// RotateAt).
func (c config) timed() bool { return c.slots != nil }

// period returns the start of the clock period that holds t and the start
// of the next one. Periods start at the wall-clock times of day in slots,
// in loc: on the night the clocks go back a repeated time of day starts a
// period the first time only, on the night they go forward a skipped time
// starts none.
func (c config) period(t time.Time) (start, next time.Time) {
	t = t.In(c.loc)
	y, mo, d := t.Date()
	h, mi, _ := t.Clock()
	n := len(c.slots)
	// slot(j) is the j-th start counted from today's first; j < 0 or
	// j >= n fall on other days.
	slot := func(j int) time.Time {
		dd := j / n
		if j%n < 0 {
			dd--
		}
		off := c.slots[j-dd*n]
		s := time.Date(y, mo, d+dd, int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, c.loc)
		// A wall time the clocks go back over comes twice: take the
		// first, so that the repeated hour is one period.
		for _, back := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
			if e := s.Add(-back); sameWall(e, s) {
				s = e
			}
		}
		return s
	}
	wall := time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute
	j, found := slices.BinarySearch(c.slots, wall)
	if !found {
		j--
	}
	for slot(j).After(t) {
		j--
	}
	k := j + 1
	for !slot(k).After(t) {
		k++
	}
	return slot(k - 1), slot(k)
}

// sameWall reports whether a and b show the same time on the clock.
func sameWall(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd && a.Hour() == b.Hour() && a.Minute() == b.Minute()
}

// stamp formats a period's start as the STAMP of its backups' names.
func (w *writer) stamp(start time.Time) string { return start.In(w.loc).Format(stampLayout) }

// setPeriod moves the live file to the clock period of t.
func (w *writer) setPeriod(t time.Time) {
	w.period, w.nextCut = w.cfg.period(t)
}
