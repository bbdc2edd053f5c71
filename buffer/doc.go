// Package buffer batches records for the network sinks: callers [Buffer.Add]
// encoded records, and one background goroutine hands them, in batches, to a
// write function.
//
// # Batches
//
// A batch closes when it holds BatchSize records (default 512), when the
// next record would take it past BatchBytes bytes (default 1 MiB), or
// FlushInterval (default 1s) after its first record, whichever comes first;
// [Buffer.Flush] and [Buffer.Shutdown] close it at once. A record larger than
// BatchBytes is neither split nor refused: it goes alone in a batch of its
// own. Batches are handed to write one at a time, oldest first, on the
// buffer's single goroutine, so records reach write in the order their Adds
// returned. Add copies the record into the batch's arena (one contiguous
// []byte plus end offsets), and batches are recycled, so Add does not
// allocate in steady state.
//
// # What blocks when
//
// The queue holds at most QueueSize records (default 10000), counting the
// open batch but not the batch write has now. When it is full, OnFull
// decides:
//
//   - Block (default): Add waits until write takes a batch. Nothing is lost;
//     a slow or failing destination slows the callers. Shutdown wakes the
//     waiting Adds, which return an error wrapping multi.ErrClosed.
//   - DropNewest: Add returns an error wrapping [ErrFull]; the new record is
//     lost.
//   - DropOldest: the oldest queued record is lost (one record, never a whole
//     batch); Add accepts the new one.
//   - Divert: the oldest queued batch is handed to Overflow (a disk spool)
//     on the calling goroutine; Add waits for any Overflow call already in
//     progress, to keep the diverted batches in order. Records Overflow
//     refuses are lost.
//
// Flush waits for write. Shutdown waits for write too: write must return
// promptly once its ctx is cancelled.
//
// # Memory
//
// At most QueueSize records are held, plus the batch being written, and a
// batch holds at most BatchBytes bytes unless it is a single larger record.
// Batches are kept for reuse after they are written, up to as many as a full
// queue needs (QueueSize/BatchSize + 2), so the memory a backlog used stays
// allocated: at the defaults and 200-byte lines, 2 to 4 MB. A batch whose
// arena grew past 2×BatchBytes (for an oversized record) is let go.
//
// # What is lost when
//
// Every record given to Add is, at any time, counted exactly once in
// [Counters]: Written (handed to write), Dropped, Diverted or Queued, so
// Added == Written + Dropped + Diverted + Queued. Records are dropped, and
// OnDrop is told with the reason, only: by the DropNewest and DropOldest
// policies, when Overflow fails, when Add is called after Shutdown, and when
// Shutdown's ctx ends before the queue is drained (under Divert those
// records go to Overflow instead). Whether write delivers what it is handed
// is the writer's business, not the buffer's.
package buffer
