package file

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
)

// registry holds the open writers by canonical path, so that two
// handlers opened on one path in one process share a writer (and its
// buffer, lock and rotation) instead of interleaving partial lines and
// racing each other's renames.
var registry = struct {
	sync.Mutex
	m map[string]*writer
}{m: map[string]*writer{}}

// acquire returns the writer of path, opening it if no handler has it
// open, and attaches the ErrorHandler h (which may be nil). A writer that
// is being closed is waited for, then opened afresh.
func acquire(path string, cfg config, h *hook) (*writer, error) {
	if path == "" {
		return nil, fmt.Errorf("file: path is empty")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("file: path %s: %w", path, err)
	}
	key := canonical(abs)
	for {
		registry.Lock()
		w := registry.m[key]
		if w != nil && w.refs == 0 {
			registry.Unlock()
			<-w.retired
			continue
		}
		if w == nil {
			w, err = openWriter(key, abs, path, cfg)
			if err != nil {
				registry.Unlock()
				return nil, err
			}
			registry.m[key] = w
		} else if c := w.cfg.conflict(cfg); c != "" {
			registry.Unlock()
			return nil, fmt.Errorf("file: %s is already open in this process with %s: handlers sharing a file must agree on its options", path, c)
		}
		w.refs++
		if h != nil {
			hs := []*hook{h}
			if old := w.hooks.Load(); old != nil {
				hs = append(slices.Clip(*old), h)
			}
			w.hooks.Store(&hs)
		}
		if w.refs == 1 {
			w.start()
		}
		if err := w.setupErr; err != nil {
			w.setupErr = nil
			defer w.report(err)
		}
		registry.Unlock()
		return w, nil
	}
}

// canonical returns the registry key of the cleaned absolute path abs:
// abs with the symbolic links in its directory resolved, as far as the
// directory exists, so that every spelling of one file gives one key.
func canonical(abs string) string {
	dir, rest := filepath.Dir(abs), filepath.Base(abs)
	for {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(real, rest)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
	}
}

// release detaches h; the last release closes the writer, with the
// ErrorHandlers still attached so that they hear about its final writes
// and compressions.
func release(ctx context.Context, w *writer, h *hook) error {
	registry.Lock()
	w.refs--
	last := w.refs == 0
	if !last {
		detach(w, h)
	}
	registry.Unlock()
	if !last {
		return nil
	}
	err := w.close(ctx)
	w.stderr.Close()
	registry.Lock()
	detach(w, h)
	if registry.m[w.key] == w {
		delete(registry.m, w.key)
	}
	close(w.retired)
	registry.Unlock()
	return err
}

func detach(w *writer, h *hook) {
	if old := w.hooks.Load(); h != nil && old != nil {
		hs := slices.DeleteFunc(slices.Clone(*old), func(x *hook) bool { return x == h })
		w.hooks.Store(&hs)
	}
}
