package prealloc

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// Allocate gives f blocks for its first n bytes, so that a store into its
// mapping can never fault on a full disk.
func Allocate(f *os.File, n int64) error {
	err := unix.Fallocate(int(f.Fd()), 0, 0, n)
	if errors.Is(err, unix.EOPNOTSUPP) {
		// A filesystem without fallocate: allocate by writing zeros.
		_, err = f.WriteAt(make([]byte, n), 0)
	}
	return err
}
