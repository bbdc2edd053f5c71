//go:build !unix

package file

import (
	"errors"
	"os"
)

// openSide fails where there is no mmap: the buffer lives on the heap.
func openSide(path string, size int, mode os.FileMode) (*side, error) {
	return nil, errors.New("no memory-mapped files on this system")
}

func (s *side) close() {}
