//go:build !unix

package journal

import (
	"fmt"
	"sync/atomic"
)

// A Journal is the memory-mapped copy of a queue's records. Here, without
// memory-mapped files, it keeps none: every record is volatile.
type Journal struct {
	volatile atomic.Uint64
}

// Open returns a journal that keeps no record, and reports that once.
func Open(dir string, capacity, maxRun, maxBytes int, recover func([][]byte), report func(error)) *Journal {
	report(fmt.Errorf("spool journal in %s: %w: records not yet delivered are kept in memory only, and lost if the process is killed", dir, ErrUnsupported))
	return &Journal{}
}

// Append keeps nothing: it counts the record as volatile.
func (j *Journal) Append(rec []byte, first bool) (from, to uint64, ok bool) {
	j.volatile.Add(1)
	return 0, 0, false
}

// Release does nothing.
func (j *Journal) Release(from, to uint64) {}

// Volatile returns how many records the journal did not keep: all.
func (j *Journal) Volatile() uint64 { return j.volatile.Load() }

// Held returns 0.
func (j *Journal) Held() uint64 { return 0 }

// Sync does nothing.
func (j *Journal) Sync() error { return nil }

// Close does nothing.
func (j *Journal) Close() error { return nil }
