//go:build !unix

package spool

import "os"

// lockDir only creates the lock file where flock is not available: two
// spools on one directory are then the user's mistake to avoid.
func lockDir(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}

func unlockDir(f *os.File) error { return f.Close() }

// syncDir is a no-op where directories cannot be opened for fsync.
func syncDir(string) error { return nil }
