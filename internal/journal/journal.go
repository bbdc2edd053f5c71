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
// committed position (every record before it has left the queue:
// delivered, spooled or dropped) and the spans released after it, out of
// order. Recovery reads from the committed position, skipping those
// spans, while each record's position, length and checksum match; the
// first that does not (a record torn by the kill, or one of an earlier lap
// of the ring) ends it.
//
// When the oldest records still queued are all that keeps the ring from
// being reused (a batch retried against a destination that is down, while
// the batches after it were diverted to the spool), they are moved, within
// the ring, past the newest, so that a long outage does not fill it.
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
// not be made (a read-only or full disk), has been removed, or faulted
// under the process (cut short by another process, or a copy-on-write
// file system out of space: every access to the mapping is guarded, so
// that such a fault breaks the journal instead of killing the process
// with SIGBUS). Those
// records are counted ([Journal.Volatile]) and the start and the end of
// each such spell are reported. A journal that is broken is made again, every
// second, until that works; the records of a removed file not yet released,
// which the process still has mapped, are copied into the new one.
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

// Header fields, at these offsets. The state (the committed position and
// the spans released after it) is written to two slots in turn, each with
// its checksum and a sequence number, so that a kill while one is written
// leaves the other whole; recovery takes the valid one written last.
const (
	offMagic    = 0
	offCapacity = 8
	offSlots    = 64
	slotBytes   = 2016
	// maxSaved is the most released spans a slot holds; those past it
	// are recovered again (at least once).
	maxSaved = (slotBytes - 24) / 16
)

// retryEvery is how often a broken journal is made again, and how often
// the file is checked for having been removed.
const retryEvery = time.Second

// ErrUnsupported is returned by Open where memory-mapped files are not
// available.
var ErrUnsupported = errors.New("journal: not supported on this system")

// Capacity returns the ring's size for a queue of at most queueSize
// records and queueBytes bytes: the queue's bytes, each record's header
// and padding (24 bytes, for as many records as the queue may hold, or
// one per 16 bytes), and a quarter more for the batches outside the queue
// (the one being sent, those being spooled, a WebSocket window); at least
// 1 MiB, rounded up to 64 KiB. With the defaults, 104 MiB.
func Capacity(queueBytes, queueSize int) int {
	n := max(queueBytes+24*min(queueSize, queueBytes/16)+queueBytes/4, 1<<20)
	return (n + 64<<10 - 1) &^ (64<<10 - 1)
}

func pad(n int) int { return (n + 7) &^ 7 }
