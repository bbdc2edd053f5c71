//go:build unix && !linux

package prealloc

import "os"

// Allocate gives f blocks for its first n bytes by writing zeros, so that
// a store into its mapping can never fault on a full disk.
func Allocate(f *os.File, n int64) error {
	_, err := f.WriteAt(make([]byte, n), 0)
	return err
}
