//go:build unix && !linux

package file

import "os"

// allocate gives f blocks for its first n bytes by writing zeros, so that
// a store into its mapping can never fault on a full disk.
func allocate(f *os.File, n int64) error {
	_, err := f.WriteAt(make([]byte, n), 0)
	return err
}
