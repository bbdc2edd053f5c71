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
package delivery
