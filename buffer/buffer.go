package buffer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jinpy-utils/multi"
)

// ErrFull is wrapped by the error that reports a record dropped because the
// queue was full (policies DropNewest and DropOldest).
var ErrFull = errors.New("buffer: queue full")

// Counters count what happened to every record given to [Buffer.Add]. At
// any instant (a [Buffer.Stats] snapshot is taken atomically):
//
//	Added == Written + Dropped + Diverted + Queued
type Counters struct {
	Added    uint64 // records passed to Add, accepted or not
	Written  uint64 // records handed to write (in Batches batches)
	Dropped  uint64 // records lost, each reported to OnDrop with the reason
	Diverted uint64 // records handed to Overflow, which accepted them
	Queued   int64  // gauge: records accepted and not yet written, diverted or dropped
	Batches  uint64 // batches handed to write

	// QueuedBytes is a gauge: the bytes of the Queued records.
	QueuedBytes int64
}

// A Buffer collects records into batches and hands them, one batch at a
// time and in order, to a write function running on its own goroutine.
// Its methods are safe for concurrent use. Build it with [New]; stop it with
// [Buffer.Shutdown].
type Buffer struct {
	write    func(context.Context, *Batch)
	opt      Options
	maxArena int // a recycled batch keeps an arena up to this capacity

	wctx    context.Context // passed to write; cancelled when Shutdown gives up
	cancel  context.CancelFunc
	wake    chan struct{} // wakes the idle writer; capacity 1
	timer   *time.Timer   // fires at the open batch's deadline
	done    chan struct{} // closed when the writer goroutine has returned
	stopped chan struct{} // closed when the first Shutdown has returned

	// Prebuilt so that reporting them allocates nothing.
	errClosed, errFlushClosed, errFlushLost, errFull, errDropOldest, errBlockTimeout error

	mu        sync.Mutex
	space     sync.Cond // Adds waiting for room (Block)
	turn      sync.Cond // diverters waiting for their ticket
	open      *Batch    // the batch Add appends to; nil or non-empty
	deadline  time.Time // when the open batch must be closed
	queue     ring      // closed batches, oldest first
	held      int       // records in queue and open: at most QueueSize
	heldBytes int       // bytes of those records: at most QueueBytes, or one larger record
	inflight  *Batch    // the batch write has now
	diverts   ring      // batches taken out of the queue, waiting for Overflow
	diverting *Batch    // the batch Overflow has now
	ticket    uint64    // next divert ticket to hand out
	serving   uint64    // divert ticket whose turn it is
	free      []*Batch  // recycled batches; cap is the most kept
	seq       uint64    // seq of the newest batch
	blocked   int       // Adds waiting on space
	waiters   []waiter  // Adds waiting for room (Block), oldest first
	waitNext  uint64    // next waiter id
	idle      bool      // the writer is waiting for wake or timer
	closed    bool      // Shutdown has begun
	abandoned bool      // Shutdown's ctx ended: the writer takes no more batches
	lostFrom  uint64    // oldest seq Shutdown dropped or diverted (0 = none)
	resolved  chan struct{}
	c         Counters

	// The lock-free refusal of DropNewest: while the queue is full, a
	// record that did not fit a moment ago does not fit now, so Add
	// refuses it without taking mu. full is set under mu when a refusal
	// finds the queue full (see fullRoom), and cleared under mu whenever
	// records leave it; a record refused in between, as the writer takes a
	// batch, was refused by a queue that was full an instant before.
	full      atomic.Int64
	shut      atomic.Bool  // closed, for the lock-free path
	fastDrops atomic.Int64 // records refused without mu
}

// A waiter is an Add waiting for room under Block: its id and its record's
// size.
type waiter struct {
	id uint64
	n  int
}

// maxFree bounds the recycled batches a Buffer keeps: 32 batches of 512
// records of a few hundred bytes are a few MiB.
const maxFree = 32

// New returns a Buffer that hands batches to write and starts its
// goroutine; call Shutdown to stop it. write is called on that goroutine
// only, one batch at a time, oldest first; the batch and its records are
// valid only during the call. ctx is cancelled when the ctx given to
// Shutdown ends before the buffer is drained, so a retrying write can give
// up; write must return promptly then, because Shutdown waits for it.
//
// write must not call Flush or Shutdown, which wait for it, nor, under
// Block, Add to the same buffer, which could wait for room only write can
// make. A panic in write is not recovered.
//
// A nil opts means the defaults; invalid options are reported by field.
func New(write func(ctx context.Context, b *Batch), opts *Options) (*Buffer, error) {
	if write == nil {
		return nil, errors.New("buffer: new: write is nil")
	}
	o, err := resolve(opts)
	if err != nil {
		return nil, err
	}
	b := &Buffer{
		write:    write,
		opt:      o,
		maxArena: 2 * o.BatchBytes,
		wake:     make(chan struct{}, 1),
		timer:    time.NewTimer(o.FlushInterval),
		done:     make(chan struct{}),
		stopped:  make(chan struct{}),
		// Keep as many batches as a full queue needs, plus the open one and
		// the one in write, so a writer that falls behind and catches up
		// does not make Add allocate again; but at most maxFree, so that
		// a burst that filled a large queue does not pin its memory.
		free: make([]*Batch, 0, min((o.QueueSize+o.BatchSize-1)/o.BatchSize+2, maxFree)),
	}
	b.timer.Stop()
	b.space.L = &b.mu
	b.turn.L = &b.mu
	b.wctx, b.cancel = context.WithCancel(context.Background())
	b.errClosed = fmt.Errorf("buffer: add: %w", multi.ErrClosed)
	b.errFlushClosed = fmt.Errorf("buffer: flush: %w", multi.ErrClosed)
	b.errFlushLost = fmt.Errorf("buffer: flush: records were not written: shut down before they were drained: %w", multi.ErrClosed)
	b.errFull = fmt.Errorf("%w: no room within %d records and %d bytes, dropped the new record (policy drop-newest)", ErrFull, o.QueueSize, o.QueueBytes)
	b.errBlockTimeout = fmt.Errorf("%w: no room within %d records and %d bytes after waiting %v, dropped the new record (policy block)", ErrFull, o.QueueSize, o.QueueBytes, o.BlockTimeout)
	b.errDropOldest = fmt.Errorf("%w: no room within %d records and %d bytes, dropped the oldest record (policy drop-oldest)", ErrFull, o.QueueSize, o.QueueBytes)
	go b.run()
	return b, nil
}

// Add copies rec into the open batch. It returns an error, and counts the
// record as dropped, when the buffer is shut down (wrapping multi.ErrClosed)
// or when the queue is full under DropNewest (wrapping [ErrFull]). Under
// Block it waits for room; under Divert it may call Overflow. It does not
// allocate once the buffer's batches have grown to their working size.
func (b *Buffer) Add(rec []byte) error {
	n := len(rec)
	if f := b.full.Load(); f != 0 && int64(n) > f-2 && !b.shut.Load() {
		// DropNewest with the queue full: two atomics, no lock, so that a
		// queue full during an outage costs the callers nothing but the
		// drop.
		b.fastDrops.Add(1)
		b.dropped(1, b.errFull)
		return b.errFull
	}
	b.mu.Lock()
	if b.closed {
		return b.refuse(b.errClosed)
	}
	// A batch closes at min(BatchSize, QueueSize) records and
	// min(BatchBytes, QueueBytes) bytes, so when the queue is full either a
	// closed batch is waiting or the open batch could not take the record
	// anyway and room closes it: the writer can make room, and DropOldest
	// and Divert have a batch to take from.
	if len(b.waiters) > 0 && b.fullBehind(n) || b.isFull(n) {
		switch b.opt.OnFull {
		case Block:
			ok := b.wait(n)
			if b.closed {
				return b.refuse(b.errClosed)
			}
			if !ok {
				b.room()
				return b.refuse(b.errBlockTimeout)
			}
		case DropNewest:
			// Refused or not, the writer must be able to make room: a queue
			// full by bytes may be all in the open batch, with the writer
			// idle until FlushInterval.
			b.room()
			b.full.Store(b.fullRoom())
			return b.refuse(b.errFull)
		case DropOldest:
			k := 0
			for b.isFull(n) {
				b.room()
				b.dropOldest()
				k++
			}
			b.append(rec)
			b.mu.Unlock()
			b.dropped(k, b.errDropOldest)
			return nil
		case Divert:
			k := 0
			for b.isFull(n) {
				b.room()
				bt := b.queue.pop()
				b.held -= bt.Len()
				b.full.Store(0)
				b.heldBytes -= bt.Bytes()
				b.diverts.push(bt)
				k++
			}
			t := b.ticket
			b.ticket++
			b.append(rec)
			b.divert(t, k)
			return nil
		}
	}
	b.append(rec)
	b.mu.Unlock()
	return nil
}

// wait waits until a record of n bytes may be added, or Shutdown. The
// oldest waiter's room is reserved: it waits only for the queue to have
// room for it, and every other Add, waiting or new, also for room for the
// oldest waiter's record. So a large record is never starved by a stream
// of small ones, and yet an Add that fits beside it does not wait. Called
// with b.mu held; returns with it held. It returns false if BlockTimeout
// passed first.
func (b *Buffer) wait(n int) bool {
	id := b.waitNext
	b.waitNext++
	b.waiters = append(b.waiters, waiter{id, n})
	deadline := time.Now().Add(b.opt.BlockTimeout)
	var alarm *time.Timer
	ok := true
	for !b.closed {
		if b.waiters[0].id == id {
			if !b.isFull(n) {
				break
			}
			b.room()
		} else if !b.fullBehind(n) {
			break
		}
		left := time.Until(deadline)
		if left <= 0 {
			ok = false
			break
		}
		if alarm == nil {
			alarm = time.AfterFunc(left, func() {
				b.mu.Lock()
				b.space.Broadcast()
				b.mu.Unlock()
			})
		}
		b.blocked++
		b.space.Wait()
		b.blocked--
	}
	if alarm != nil {
		alarm.Stop()
	}
	i := 0
	for b.waiters[i].id != id {
		i++
	}
	b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
	if i == 0 && b.blocked > 0 {
		b.space.Broadcast() // a new oldest waiter: the reserved room changed
	}
	return ok
}

// fullBehind reports whether a record of n bytes would not fit once the
// oldest waiter's record is in.
func (b *Buffer) fullBehind(n int) bool {
	return b.held+1 >= b.opt.QueueSize || b.heldBytes+b.waiters[0].n+n > b.opt.QueueBytes
}

// full reports whether adding a record of n bytes would take the queue
// past QueueSize records or QueueBytes bytes. An empty queue is never full,
// so a record larger than QueueBytes is accepted once nothing else is held.
// fullRoom encodes, for the full field, the room a full queue has: 1 when
// it is full by count (no record fits), else 2 plus the bytes free (a
// record larger than that does not fit). 0, the zero value, is not full.
func (b *Buffer) fullRoom() int64 {
	if b.held >= b.opt.QueueSize {
		return 1
	}
	return int64(max(b.opt.QueueBytes-b.heldBytes, 0)) + 2
}

func (b *Buffer) isFull(n int) bool {
	return b.held >= b.opt.QueueSize || b.held > 0 && b.heldBytes+n > b.opt.QueueBytes
}

// room closes the open batch when it is all the queue holds, so that the
// writer (or DropOldest, or Divert) can take it; without it, a queue full
// by bytes could wait, with the writer idle, for FlushInterval (refusing
// every record meanwhile, under DropNewest). It is called only when
// the queue is full, and then the open batch could not take the new
// record anyway: held is below QueueSize, so the bytes are the bound, and
// the open batch's bytes plus the record's exceed QueueBytes, which is at
// least BatchBytes.
func (b *Buffer) room() {
	if b.queue.len() == 0 {
		b.closeOpen()
	}
}

// refuse counts the record being added as dropped for err. Called with b.mu
// held; releases it.
func (b *Buffer) refuse(err error) error {
	b.c.Added++
	b.c.Dropped++
	b.mu.Unlock()
	b.dropped(1, err)
	return err
}

func (b *Buffer) dropped(n int, err error) {
	if f := b.opt.OnDrop; f != nil && n > 0 {
		f(n, err)
	}
}

// append copies rec into the open batch, opening one if needed and closing
// it when it reaches BatchSize records or BatchBytes bytes.
func (b *Buffer) append(rec []byte) {
	o := b.open
	if o != nil && len(o.arena)+len(rec) > b.opt.BatchBytes {
		b.closeOpen()
		o = nil
	}
	if o == nil {
		o = b.newBatch()
		b.open = o
		b.deadline = time.Now().Add(b.opt.FlushInterval)
		b.timer.Reset(b.opt.FlushInterval)
	}
	o.add(rec)
	if b.opt.Journal != nil {
		o.journal(b.opt.Journal, rec)
	}
	b.held++
	b.heldBytes += len(rec)
	b.c.Added++
	b.c.Queued++
	b.c.QueuedBytes += int64(len(rec))
	if len(o.ends) >= b.opt.BatchSize || len(o.arena) >= b.opt.BatchBytes {
		b.closeOpen()
	}
}

// closeOpen moves the open batch, if any, to the queue and wakes the writer.
func (b *Buffer) closeOpen() {
	if b.open == nil {
		return
	}
	b.queue.push(b.open)
	b.open = nil
	if b.idle {
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
}

// dropOldest drops the oldest record held: the first of the oldest queued
// batch. The queue is full and room has been made, so there is one.
func (b *Buffer) dropOldest() {
	h := b.queue.peek()
	n := h.ends[h.first] - h.start(h.first)
	h.first++
	b.held--
	b.full.Store(0)
	b.heldBytes -= n
	b.c.Queued--
	b.c.QueuedBytes -= int64(n)
	b.c.Dropped++
	if h.Len() == 0 {
		b.queue.pop()
		b.recycle(h)
		b.resolve()
	}
}

func (b *Buffer) newBatch() *Batch {
	var bt *Batch
	if n := len(b.free); n > 0 {
		bt = b.free[n-1]
		b.free[n-1] = nil
		b.free = b.free[:n-1]
	} else {
		bt = new(Batch)
	}
	b.seq++
	bt.seq = b.seq
	return bt
}

func (b *Buffer) recycle(bt *Batch) {
	bt.release()
	bt.reset(b.maxArena)
	if len(b.free) < cap(b.free) {
		b.free = append(b.free, bt)
	}
}

// resolve wakes the Flush and Shutdown calls waiting for batches to be
// written, diverted or dropped.
func (b *Buffer) resolve() {
	if b.resolved != nil {
		close(b.resolved)
		b.resolved = nil
	}
}

// waitResolved releases b.mu until some batch is resolved or ctx ends, and
// reports whether ctx ended. Called with b.mu held; returns with it held.
func (b *Buffer) waitResolved(ctx context.Context) bool {
	ch := b.resolved
	if ch == nil {
		ch = make(chan struct{})
		b.resolved = ch
	}
	b.mu.Unlock()
	defer b.mu.Lock()
	select {
	case <-ch:
		return false
	case <-ctx.Done():
		return true
	}
}

// divert waits for ticket t, then hands the k oldest diverted batches to
// Overflow, one at a time. Called with b.mu held; returns with it released.
// Refused batches are reported to OnDrop once the turn has passed on, so
// that an OnDrop which Adds cannot wait for its own turn.
func (b *Buffer) divert(t uint64, k int) {
	for b.serving != t {
		b.turn.Wait()
	}
	type refusal struct {
		n   int
		err error
	}
	var refused []refusal // allocated only when Overflow fails
	for range k {
		bt := b.diverts.pop()
		b.diverting = bt
		n, size := bt.Len(), bt.Bytes()
		b.mu.Unlock()
		err := b.overflow(bt)
		bt.release() // in the spool now (or dropped): at once, not after the lock
		b.mu.Lock()
		b.diverting = nil
		b.c.Queued -= int64(n)
		b.c.QueuedBytes -= int64(size)
		if err != nil {
			b.c.Dropped += uint64(n)
			refused = append(refused, refusal{n, err})
		} else {
			b.c.Diverted += uint64(n)
		}
		b.recycle(bt)
		b.resolve()
	}
	b.serving++
	b.turn.Broadcast()
	b.mu.Unlock()
	for _, r := range refused {
		b.dropped(r.n, r.err)
	}
}

// overflow calls Overflow, turning a panic into an error so that the
// diverters queued behind it are not stranded.
func (b *Buffer) overflow(bt *Batch) (err error) {
	n := bt.Len()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("buffer: divert batch of %d records: Overflow panicked: %v", n, r)
		}
	}()
	if err := b.opt.Overflow(bt); err != nil {
		return fmt.Errorf("buffer: divert batch of %d records: %w", n, err)
	}
	return nil
}

// run is the writer goroutine.
func (b *Buffer) run() {
	defer close(b.done)
	b.mu.Lock()
	for {
		if bt := b.take(); bt != nil {
			b.mu.Unlock()
			b.write(b.wctx, bt)
			bt.release()
			b.mu.Lock()
			b.inflight = nil
			b.recycle(bt)
			b.resolve()
			continue
		}
		if b.closed {
			// Shutdown closed the open batch and no Add can open another:
			// an empty queue means drained (or abandoned).
			b.mu.Unlock()
			return
		}
		b.idle = true
		b.mu.Unlock()
		select {
		case <-b.wake:
		case <-b.timer.C:
		}
		b.mu.Lock()
		b.idle = false
	}
}

// take returns the next batch for write, closing the open batch if its
// deadline has passed and nothing else is queued, or nil.
func (b *Buffer) take() *Batch {
	if b.abandoned {
		return nil
	}
	if b.queue.len() == 0 {
		if b.open == nil || time.Now().Before(b.deadline) {
			return nil
		}
		b.queue.push(b.open)
		b.open = nil
	}
	bt := b.queue.pop()
	n, size := bt.Len(), bt.Bytes()
	b.held -= n
	b.full.Store(0)
	b.heldBytes -= size
	b.c.Queued -= int64(n)
	b.c.QueuedBytes -= int64(size)
	b.c.Written += uint64(n)
	b.c.Batches++
	b.inflight = bt
	if b.blocked > 0 {
		b.space.Broadcast()
	}
	return bt
}

// oldest returns the seq of the oldest batch not yet written, diverted or
// dropped, or MaxUint64 when there is none.
func (b *Buffer) oldest() uint64 {
	m := uint64(math.MaxUint64)
	for _, bt := range [...]*Batch{b.inflight, b.diverting, b.diverts.peek(), b.queue.peek(), b.open} {
		if bt != nil && bt.seq < m {
			m = bt.seq
		}
	}
	return m
}

// pending counts the records of batches up to seq target not yet written,
// diverted or dropped.
func (b *Buffer) pending(target uint64) int {
	n := 0
	count := func(bt *Batch) {
		if bt != nil && bt.seq <= target {
			n += bt.Len()
		}
	}
	count(b.inflight)
	count(b.diverting)
	for i := range b.diverts.len() {
		count(b.diverts.at(i))
	}
	for i := range b.queue.len() {
		count(b.queue.at(i))
	}
	count(b.open)
	return n
}

// Flush closes the open batch at once and returns when every record added
// before the call has been handed to write and write has returned (or was
// diverted or dropped by the full-queue policy). If ctx ends first, the
// error says how many of those records were still pending and wraps
// ctx.Err(). Concurrent Flushes are fine. After Shutdown it returns an error
// wrapping multi.ErrClosed.
func (b *Buffer) Flush(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return b.errFlushClosed
	}
	b.closeOpen()
	target := b.seq
	for b.oldest() <= target {
		if b.waitResolved(ctx) {
			if n := b.pending(target); n > 0 {
				b.mu.Unlock()
				return fmt.Errorf("buffer: flush: %d records still pending: %w", n, ctx.Err())
			}
		}
	}
	lost := b.lostFrom != 0 && b.lostFrom <= target
	b.mu.Unlock()
	if lost {
		return b.errFlushLost
	}
	return nil
}

// Shutdown stops accepting records, drains the queue through write, and
// stops the goroutine. Adds waiting for room under Block return at once
// with an error wrapping multi.ErrClosed.
//
// If ctx ends before the queue is drained, the ctx passed to write is
// cancelled, no further batch is handed to write, and the records still
// queued are counted dropped (under Divert, handed to Overflow); the error
// says how many and wraps ctx.Err(). Shutdown still waits for the write in
// progress to return, so no goroutine outlives it.
//
// Shutdown is idempotent: later calls wait for the first to finish (or for
// their own ctx) and return nil.
func (b *Buffer) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		select {
		case <-b.stopped:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("buffer: shutdown: waiting for the shutdown under way: %w", ctx.Err())
		}
	}
	b.closed = true
	b.shut.Store(true)
	b.closeOpen()
	if b.idle {
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
	b.space.Broadcast()
	b.mu.Unlock()

	var err error
	select {
	case <-b.done:
	default:
		select {
		case <-b.done:
		case <-ctx.Done():
			err = b.abandon(ctx.Err())
			<-b.done
		}
	}
	// Overflow calls started by Adds run on their goroutines: wait for them
	// so that every record is accounted for when Shutdown returns.
	b.mu.Lock()
	for b.diverts.len() > 0 || b.diverting != nil {
		b.waitResolved(context.Background())
	}
	b.mu.Unlock()
	b.cancel()
	b.timer.Stop()
	close(b.stopped)
	return err
}

// abandon gives up draining: the writer takes no further batch, the write
// in progress is cancelled, and what is still queued is dropped or, under
// Divert, handed to Overflow. It returns nil if nothing was left to give up.
func (b *Buffer) abandon(cause error) error {
	b.mu.Lock()
	b.abandoned = true
	inWrite := b.inflight != nil
	k, n := b.queue.len(), 0
	if k > 0 {
		b.lostFrom = b.queue.peek().seq
	}
	divert := b.opt.OnFull == Divert
	for range k {
		bt := b.queue.pop()
		m, size := bt.Len(), bt.Bytes()
		n += m
		b.held -= m
		b.full.Store(0)
		b.heldBytes -= size
		if divert {
			b.diverts.push(bt)
			continue
		}
		b.c.Queued -= int64(m)
		b.c.QueuedBytes -= int64(size)
		b.c.Dropped += uint64(m)
		b.recycle(bt)
	}
	b.resolve()
	b.mu.Unlock()
	b.cancel()

	what := ""
	if inWrite {
		what = "cancelled the write in progress"
		if k > 0 {
			what += " and "
		}
	}
	switch {
	case k == 0 && !inWrite:
		return nil // the writer had finished and was about to return
	case k == 0:
		return fmt.Errorf("buffer: shutdown: %s: %w", what, cause)
	case !divert:
		reason := fmt.Errorf("buffer: shutdown: %sdropped %d queued records: %w", what, n, cause)
		b.dropped(n, reason)
		return reason
	}
	b.mu.Lock()
	t := b.ticket
	b.ticket++
	b.divert(t, k)
	return fmt.Errorf("buffer: shutdown: %sdiverted %d queued records to Overflow: %w", what, n, cause)
}

// Stats returns a consistent snapshot of the counters.
func (b *Buffer) Stats() Counters {
	b.mu.Lock()
	c := b.c
	b.mu.Unlock()
	f := uint64(b.fastDrops.Load())
	c.Added += f
	c.Dropped += f
	return c
}
