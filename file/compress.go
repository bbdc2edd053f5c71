package file

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/klauspost/compress/zstd"
)

// pruneInterval is how often the mill sweeps for backups past MaxAge:
// MaxAge/10, between a minute and an hour; with MaxTotalSize alone, every
// minute (the live file grows between rotations); 0 without either.
func (c config) pruneInterval() time.Duration {
	switch {
	case c.maxAge <= 0 && c.maxTotalSize <= 0:
		return 0
	case c.pruneEvery > 0:
		return c.pruneEvery
	case c.maxAge <= 0:
		return time.Minute
	}
	return min(max(c.maxAge/10, time.Minute), time.Hour)
}

// kickMill asks the mill for a pass; requests made during a pass coalesce
// into one more pass.
func (w *writer) kickMill() {
	select {
	case w.millReq <- struct{}{}:
	default:
	}
}

// mill is the writer's background goroutine for everything that may take
// long: gzip of rotated files and removal of old ones. It never holds mu,
// so the logging path never waits for it. On close it finishes the pass
// requested last, then returns.
func (w *writer) mill() {
	defer close(w.millDone)
	var sweep <-chan time.Time // MaxAge needs no rotation to apply
	if every := w.cfg.pruneInterval(); every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		sweep = t.C
	}
	for {
		select {
		case <-sweep:
			w.report(w.millPass())
		case <-w.millReq:
			w.report(w.millPass())
		case <-w.millStop:
			select {
			case <-w.millReq:
				w.report(w.millPass())
			default:
			}
			return
		}
	}
}

// millPass prunes, then compresses every uncompressed backup, newest
// first, then applies MaxTotalSize to the archives' sizes.
func (w *writer) millPass() (err error) {
	todo, err := w.prune(!w.cfg.compress)
	if !w.cfg.compress {
		return err
	}
	if w.cfg.maxTotalSize > 0 {
		defer func() {
			if _, perr := w.prune(true); perr != nil {
				err = join(err, perr)
				w.c.SetError(err)
			}
		}()
	}
	for _, name := range todo {
		if w.millCtx.Err() != nil {
			w.cut.Store(true)
			break
		}
		if cerr := w.compress(name); cerr != nil {
			if w.millCtx.Err() != nil {
				w.cut.Store(true)
			}
			err = join(err, fmt.Errorf("file: compress %s: %w", filepath.Join(filepath.Dir(w.given), name), cerr))
		}
	}
	if err != nil {
		w.c.SetError(err)
	}
	return err
}

// prune removes half-written archives left by a crash, uncompressed copies
// of backups whose archive is complete, backups past MaxBackups, backups
// older than MaxAge and, with total, the oldest backups that take the live
// file and the backups past MaxTotalSize. It returns the uncompressed
// backups left, newest first. Only names of ours are considered (see
// naming.parse).
func (w *writer) prune(total bool) ([]string, error) {
	w.fsMu.Lock()
	defer w.fsMu.Unlock()
	files, temps, err := w.names.scan()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("file: list %s: %w", filepath.Dir(w.given), unwrapPath(err))
	}
	dir := w.names.dir
	var errs error
	remove := func(name string) {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = join(errs, fmt.Errorf("file: remove %s: %w", filepath.Join(filepath.Dir(w.given), name), unwrapPath(err)))
		}
	}
	for _, t := range temps {
		remove(t)
	}
	files = slices.DeleteFunc(files, func(b backup) bool {
		return b.name == w.live || w.names.isLive(b)
	})
	slices.SortFunc(files, func(a, b backup) int {
		switch {
		case a.newer(b):
			return -1
		case b.newer(a):
			return 1
		case a.gz:
			return -1 // the archive before the plain file of the same slot
		case b.gz:
			return 1
		}
		return 0
	})
	var cutoff int64
	if w.cfg.maxAge > 0 {
		cutoff = w.cfg.now().Add(-w.cfg.maxAge).UnixNano()
	}
	var used int64 // MaxTotalSize: the live file, then each backup kept
	total = total && w.cfg.maxTotalSize > 0
	if total {
		if fi, err := os.Stat(filepath.Join(dir, w.live)); err == nil {
			used = fi.Size()
		}
	}
	var todo []string
	slot := 0
	for i, b := range files {
		if i > 0 && files[i-1].date == b.date && files[i-1].index == b.index {
			remove(b.name) // plain copy of a complete archive (crash after rename)
			continue
		}
		slot++
		if w.cfg.maxBackups > 0 && slot > w.cfg.maxBackups {
			remove(b.name)
			continue
		}
		if cutoff != 0 || total {
			if fi, err := os.Lstat(filepath.Join(dir, b.name)); err == nil {
				if cutoff != 0 && fi.ModTime().UnixNano() < cutoff {
					remove(b.name)
					continue
				}
				// Once one backup is over the total, every older one is.
				// A backup waiting for compression counts once compressed
				// (the pass after the compression is done).
				if counted := !w.cfg.compress || b.gz; counted {
					used += fi.Size()
				}
				if total && used > w.cfg.maxTotalSize {
					used = w.cfg.maxTotalSize + 1
					remove(b.name)
					continue
				}
			}
		}
		if !b.gz {
			todo = append(todo, b.name)
		}
	}
	return todo, errs
}

// compress writes name's archive to a hidden temporary file, then, under
// fsMu, renames it to the backup's current name + ".gz" (".zst") and removes the
// backup. The backup may have been shifted up meanwhile: it is found again
// by identity. If it was removed meanwhile the archive is dropped. A crash
// leaves at worst a temporary file, which the next pass removes; the
// archive under its final name is always complete.
func (w *writer) compress(name string) (err error) {
	dir := w.names.dir
	src, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return unwrapPath(err)
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	if w.isOpen(fi) {
		// Still written to (an external tool moved the live file to a
		// backup's name): Reopen, or the next write, lets go of it and asks
		// for another pass. The writer never writes to a file again once
		// it has let go of it, under fsMu: what is read now is all.
		return nil
	}
	ext := w.cfg.compression.ext()
	tmp, err := os.CreateTemp(dir, tmpPattern(name, ext))
	if err != nil {
		return unwrapPath(err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// The mill reuses one compressor and one copy buffer: a flate or zstd
	// compressor is most of a megabyte.
	if w.zw == nil {
		if w.zw, err = newArchiver(w.cfg.compression); err != nil {
			return err
		}
		w.zbuf = make([]byte, 128<<10)
	}
	w.zw.Reset(tmp)
	zw, buf := w.zw, w.zbuf
	if gz, ok := zw.(*gzip.Writer); ok {
		gz.Name, gz.ModTime = name, fi.ModTime()
	}
	for {
		if err := w.millCtx.Err(); err != nil {
			return err
		}
		n, rerr := src.Read(buf)
		if n > 0 {
			if _, err := zw.Write(buf[:n]); err != nil {
				return unwrapPath(err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return unwrapPath(rerr)
		}
	}
	if err := zw.Close(); err != nil {
		return unwrapPath(err)
	}
	if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
		return unwrapPath(err)
	}
	if err := tmp.Sync(); err != nil {
		return unwrapPath(err)
	}
	if err := tmp.Close(); err != nil {
		return unwrapPath(err)
	}
	_ = os.Chtimes(tmp.Name(), fi.ModTime(), fi.ModTime())
	if hook := w.compressHook.Load(); hook != nil {
		(*hook)(name)
	}
	if err := w.millCtx.Err(); err != nil {
		return err // Shutdown gave up waiting: leave the backup as it is
	}

	w.fsMu.Lock()
	defer w.fsMu.Unlock()
	cur := w.findLocked(name, fi)
	if cur == "" {
		return nil // removed meanwhile: the deferred cleanup drops the archive
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, cur+ext)); err != nil {
		return unwrapPath(err)
	}
	tmp = nil
	// The rename must be on disk before the backup goes: a crash of the
	// machine in between must leave the backup, not a lone temporary file.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	if err := os.Remove(filepath.Join(dir, cur)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return unwrapPath(err)
	}
	w.hook.add(w.shown(cur + ext))
	return nil
}

// archiver is a compressor the mill reuses, file after file.
type archiver interface {
	io.WriteCloser
	Reset(io.Writer)
}

// newArchiver returns the compressor of c. Gzip is the standard library's
// at its default level. Zstd is klauspost/compress's at its default level
// (about zstd -3), with a checksum, on the mill's goroutine alone
// (concurrency 1): compression must not compete with the application for
// CPUs.
func newArchiver(c Compression) (archiver, error) {
	if c == Zstd {
		return zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(true))
	}
	return gzip.NewWriter(nil), nil
}

// isOpen reports whether fi is the file the writer writes to.
func (w *writer) isOpen(fi os.FileInfo) bool {
	w.fsMu.Lock()
	defer w.fsMu.Unlock()
	return w.open != nil && os.SameFile(w.open, fi)
}

// findLocked returns the current base name of the uncompressed backup
// that was name when opened, or "" if it is gone. Called with fsMu held.
func (w *writer) findLocked(name string, fi os.FileInfo) string {
	same := func(n string) bool {
		got, err := os.Lstat(filepath.Join(w.names.dir, n))
		return err == nil && os.SameFile(got, fi)
	}
	if same(name) {
		return name
	}
	files, _, _ := w.names.scan()
	for _, b := range files {
		if !b.gz && b.name != w.live && same(b.name) {
			return b.name
		}
	}
	return ""
}
