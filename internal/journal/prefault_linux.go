package journal

import "golang.org/x/sys/unix"

// prefault maps the pages of b, part of a shared file mapping, writable.
func prefault(b []byte) error { return unix.Madvise(b, unix.MADV_POPULATE_WRITE) }
