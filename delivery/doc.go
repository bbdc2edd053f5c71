// Package delivery holds the options every network sink of this module
// shares (httpsink, wssink, and those to come): the in-memory [Queue] and
// its batches, the [Backoff] between attempts, the [Retry] of one batch,
// the disk [Spool], and [TLS]. Each has one spelling, one default and one
// validation rule, stated here once; a sink's Options embeds them by name:
//
//	h, err := httpsink.New(url, &httpsink.Options{
//		Queue: delivery.Queue{Size: 50_000, OnFull: buffer.DropOldest},
//		Retry: delivery.Retry{Max: 10},
//		Spool: delivery.Spool{Dir: "/var/spool/app/logs"},
//	})
//
// A zero field means its default, so the zero value of every type here is
// what a service in production should start with. Every invalid field is
// refused by the sink's New, by its full name ("httpsink:
// Options.Queue.Size is -1: must not be negative (0 means 1000000)"), and
// every one of them in the same error.
//
// # What a sink does with them
//
// The records a Handle call encodes go into the Queue and leave it in
// batches (BatchSize records or BatchBytes bytes, or after FlushInterval)
// for the sink's sender goroutine. Handle never waits on the network: when
// the queue is full, OnFull decides (see [buffer.Policy]); the default,
// Auto, diverts the oldest batch to the Spool when there is one and drops
// the new record (and counts it) when there is not. Dropping the newest
// keeps what was queued first, which is the record closest to the outage's
// start and the one a reader looks for; DropOldest is there for those who
// want the newest instead.
//
// A batch the destination refuses for a reason that may pass (a network
// error, a timeout, 408, 429, 5xx) is retried Retry.Max times with the
// Backoff's waits, a server's Retry-After taking the place of a wait; then
// it goes to the Spool, or is dropped and counted. A batch refused for good
// (400, 401, 403, ...) is dropped at once. With a Spool, a destination
// that keeps failing opens a breaker: batches go straight to disk, and one
// probe at a time (at Backoff's growing waits) finds out when it is back.
// Spooled batches are then replayed, oldest first, with the same retries
// as live ones and taking turns with them on the connection, by this
// process or, after a crash, the next one that opens the directory.
//
// # What survives
//
// With a Spool, every record whose Handle returned nil survives the
// process being killed at any instant (SIGKILL, the OOM killer, a
// liveness probe, a panic), and the next process that opens the directory
// delivers it. Before Handle returns, the record is copied into the
// spool's journal, records.journal: a ring of checksummed records in a
// memory-mapped file, so the copy is in the operating system's page cache
// and outlives the process; it is released when its batch has been
// delivered, spooled or dropped (for wssink: acknowledged with Ack on,
// confirmed by a pong with Ack off; see its doc).
// A new process moves what was not released into the spool before it
// takes a record. A spooled batch leaves the disk only once delivered
// too: httpsink and otlpsink send it before the spool moves past it, and
// wssink keeps its frame on disk until its messages leave the window.
// Delivery is at least once: a batch delivered just before the kill, not
// yet released, is delivered again.
//
// The journal costs the caller a copy and a checksum, about 100 ns a
// record, and no allocation. Its ring holds a full queue: Queue.Bytes,
// 24 bytes of header a record and a quarter more (104 MiB by default),
// allocated on disk when the sink starts, beside Spool.MaxBytes. Records
// that a batch in its retries pins at the ring's tail while the batches
// after it are diverted to the spool are moved past the newest, so a long
// outage does not fill it. A record is kept in memory only, counted in
// Stats.Volatile and reported once a spell, when the ring is full all the
// same, when the record is larger than a quarter of the ring, or while the
// directory is broken: the journal cannot be made (read-only, full), was
// removed, or was cut short under the process (a fault in its mapping
// breaks the journal; it never kills the process). Handle never blocks or fails for it, and delivery goes on; the
// journal is made again every second until that works, and the end of the
// spell is reported too. A disk that fills after the journal was made does
// not touch it: its blocks are already allocated. Without memory-mapped files (Windows)
// there is no journal, which is said once at New.
//
// A crash of the machine or a power loss loses what the kernel had not
// yet written back: the page cache holds the journal's pages up to its
// dirty-page expiry (30 s by default on Linux), and the spool's segment
// being appended to until it is sealed. A sink's Sync writes both to the
// disk; call it from a goroutine of your own when that matters more than
// the milliseconds it takes.
//
// Without a Spool, the queue is memory only: what it holds when the
// process dies is lost.
package delivery
