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
// The queue holds at most QueueSize records (default 1000000) and at most
// QueueBytes bytes of records (default 64 MiB), counting the open batch but
// not the batch write has now. It is full when adding a record would take
// it past either bound; then OnFull decides:
//
//   - Auto (default): Divert when there is an Overflow, else DropNewest.
//     Add never waits for write.
//   - Block: Add waits until write has taken enough batches for the record
//     to fit, for at most BlockTimeout (default 1s); then the record is
//     dropped and counted. Room is reserved for the Add that has waited
//     longest: others, waiting or new, get in only when there is room for
//     its record and theirs, so a large record is not starved by small
//     ones. A slow destination slows the callers, a dead one only by
//     BlockTimeout per Add. Shutdown wakes the waiting Adds, which return
//     an error wrapping multi.ErrClosed.
//   - DropNewest: Add returns an error wrapping [ErrFull]; the new record is
//     lost.
//   - DropOldest: the oldest queued records are lost, one at a time, until
//     the new one fits: one record when the count is the bound, as many as
//     its bytes need when QueueBytes is, never a whole batch more; Add
//     accepts the new one.
//   - Divert: the oldest queued batch (or batches, as many as the new
//     record's bytes need) is handed to Overflow (a disk spool) on the
//     calling goroutine; Add waits for any Overflow call already in
//     progress, to keep the diverted batches in order. Records Overflow
//     refuses are lost.
//
// A record larger than QueueBytes fits only an empty queue: it is accepted
// once no other record is held, and while it is held nothing else fits.
// Each policy treats it as any record that does not fit: Block waits for
// the queue to empty, DropOldest drops every record held, Divert diverts
// every queued batch, and DropNewest refuses it unless the queue is empty.
// So such a record is never refused forever, and never waits for room that
// cannot be made.
//
// Flush waits for write. Shutdown waits for write too: write must return
// promptly once its ctx is cancelled.
//
// # Memory
//
// At most QueueSize records and QueueBytes bytes of records are held (or
// one record larger than QueueBytes, alone), plus the batch being written
// and, under Divert, the batches being handed to Overflow. A batch holds at
// most BatchBytes bytes unless it is a single larger record; a QueueBytes
// below BatchBytes lowers BatchBytes to it. Under DropOldest, the records
// dropped from the front of the oldest batch keep their place in its arena
// until that batch is written, so up to one batch more may be in use.
// Batches are kept for reuse after they are written, up to as many as a full
// queue needs (QueueSize/BatchSize + 2), so the memory a backlog used stays
// allocated: at the defaults and 200-byte lines, 2 to 4 MB; with records of
// 1 MiB, QueueBytes (64 MiB) bounds the backlog where QueueSize alone would
// have let it reach 10 GB. A batch whose arena grew past 2×BatchBytes (for
// an oversized record) is let go.
//
// # What is lost when
//
// Every record given to Add is, at any time, counted exactly once in
// [Counters]: Written (handed to write), Dropped, Diverted or Queued, so
// Added == Written + Dropped + Diverted + Queued; QueuedBytes is the size
// of the Queued records. Records are dropped, and
// OnDrop is told with the reason, only: by the DropNewest and DropOldest
// policies, when Overflow fails, when Add is called after Shutdown, and when
// Shutdown's ctx ends before the queue is drained (under Divert those
// records go to Overflow instead). Whether write delivers what it is handed
// is the writer's business, not the buffer's.
package buffer
