// Package journal keeps, for a network sink with a spool, a copy of every
// record its queue holds in a memory-mapped file beside the spool, so that
// the records survive the process being killed (SIGKILL, the OOM killer):
// the next process that opens the spool moves them into it, before
// anything else, and delivers them.
//
// # Layout
//
// The file (Name, in the spool's directory) is a 4 KiB header and a ring
// of Capacity bytes. Every record has a position: a byte offset in the
// stream of records that only grows, across processes too; it sits at
// position mod Capacity in the ring, 8-byte aligned:
//
//	CRC-32C uint32 | length uint32 | position uint64 | record | padding
//
// The checksum covers the length, the position and the record, and is
// written last. A record
// that does not fit before the ring's end leaves a wrap marker (length
// 0xFFFFFFFF) and starts at the ring's beginning. The header holds the
// committed position: every record before it has left the queue
// (delivered, spooled or dropped). Recovery reads from there while each
// record's position, length and checksum match; the first that does not
// (a record torn by the kill, or one of an earlier lap of the ring) ends
// it.
//
// # What survives what
//
// A store into a shared file mapping is in the operating system's page
// cache when it completes, so every record Append took survives the
// process dying at any instant. Surviving a crash of the machine or a
// power loss needs the pages on the disk: the kernel writes them back
// within its dirty-page expiry (30 s by default on Linux), and [Journal.Sync]
// forces it. The file's blocks are allocated when it is made, so a store
// can never fault on a full disk, and on Linux the watcher maps the ring's
// pages a few MiB ahead of the records (MADV_POPULATE_WRITE), so that the
// caller does not take the page faults of the ring's first lap.
//
// # When it cannot keep a record
//
// A record is kept in memory only (Append returns ok false) when the
// ring is full of records still queued, when the record is larger than a
// quarter of the ring, and while the journal is broken: its file could
// not be made (a read-only or full disk) or has been removed. Those
// records are counted ([Journal.Volatile]) and the first of each such
// spell is reported. A journal that is broken is made again, every
// second, until that works.
package journal

import (
	"errors"
	"time"
)

// Name is the journal's file in the spool directory.
const Name = "records.journal"

// header is the size of the file's header; the ring follows it.
const header = 4096

// recHeader is the size of a record's header; records are 8-byte aligned.
const recHeader = 16

// wrap is the length field of a wrap marker.
const wrap = 0xFFFFFFFF

// magic starts the header.
const magic = "MJRNL001"

// Header fields, at these offsets.
const (
	offMagic     = 0
	offCapacity  = 8
	offCommitted = 16
)

// retryEvery is how often a broken journal is made again, and how often
// the file is checked for having been removed.
const retryEvery = time.Second

// ErrUnsupported is returned by Open where memory-mapped files are not
// available.
var ErrUnsupported = errors.New("journal: not supported on this system")

// Capacity returns the ring's size for a queue of queueBytes bytes: half
// again as much, for the records' headers and the batches outside the
// queue (the one being sent, those being spooled, a WebSocket window),
// and at least 1 MiB, rounded up to 64 KiB.
func Capacity(queueBytes int) int {
	n := max(queueBytes+queueBytes/2, 1<<20)
	return (n + 64<<10 - 1) &^ (64<<10 - 1)
}

func pad(n int) int { return (n + 7) &^ 7 }
