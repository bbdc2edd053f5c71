//go:build unix

package file

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/jinpy-utils/multi/internal/prealloc"
)

// openSide creates (or resets) the side file at path with a buffer of
// size bytes, its blocks allocated so that a full disk can never fault a
// store into the mapping, and maps it.
func openSide(path string, size int, mode os.FileMode) (*side, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, mode)
	if err != nil {
		return nil, err
	}
	n := int64(sideHdr + size)
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, err
	}
	if err := prealloc.Allocate(f, n); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("allocate %d bytes: %w", n, err)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, int(n), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("map: %w", err)
	}
	copy(mem, sideMagic)
	return &side{path: path, f: f, mem: mem}, nil
}

// close unmaps and removes the side file; the buffer is empty.
func (s *side) close() {
	if s == nil || s.mem == nil {
		return
	}
	_ = unix.Munmap(s.mem)
	s.mem = nil
	_ = s.f.Close()
	_ = os.Remove(s.path)
}
