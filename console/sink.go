package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/internal/once"
	"github.com/jinpy-utils/multi/internal/stats"
)

// sink is the destination state shared by a handler from New and every
// handler derived from it: the writer, the lock that makes each record one
// uninterrupted Write, the counters, and whether it is shut down.
type sink struct {
	mu sync.Mutex // held for each Write to w, and by Flush and Shutdown
	w  io.Writer
	// shutDown is set by Shutdown. The sink holds nothing to release, so
	// it keeps writing; from then on a writer that buffers is flushed
	// after each record, since nobody may call Flush again.
	shutDown atomic.Bool
	shut     once.Shutdown

	stats     stats.Counters
	onError   func(error)
	reporting atomic.Bool // onError is running

	// newest is the time, in Unix nanoseconds, of the newest record handed
	// to Handle, to the millisecond; a successful write is stamped with it
	// rather than with a time.Now per record, which costs as much as
	// encoding a short line on some virtual machines.
	newest atomic.Int64

	// Successful writes are counted here, under mu, and added to stats in
	// one go (publish) every publishEvery records, when the record time
	// moves on by a millisecond, before a failure is counted, and by Stats,
	// Flush and Shutdown. Each atomic add is a locked instruction, and three
	// of them per record cost a third of the time of a short line.
	pendRecs, pendBytes int
	pendStamp           int64 // newest when the pending count began
}

// publishEvery bounds how many written records Stats may not yet show
// while another goroutine is writing.
const publishEvery = 64

// publishLocked adds the pending count of written records to stats. The
// caller holds mu.
func (s *sink) publishLocked() {
	if s.pendRecs == 0 {
		return
	}
	s.stats.Wrote(s.pendRecs, s.pendBytes, s.stamp())
	s.pendRecs, s.pendBytes = 0, 0
}

// snapshot returns the stats with every written record counted. It waits
// up to a millisecond for the lock; if a write holds it longer (stuck in
// the kernel), the records written since the last publish (at most
// publishEvery) are not counted yet. Stats never waits behind a stuck write.
func (s *sink) snapshot() multi.Stats {
	deadline := time.Now().Add(time.Millisecond)
	for {
		if s.mu.TryLock() {
			s.publishLocked()
			s.mu.Unlock()
			break
		}
		if time.Now().After(deadline) {
			break
		}
		runtime.Gosched()
	}
	return s.stats.Snapshot()
}

// noteTime records the time of a record about to be written. A zero time
// (a record made without one) reads the clock instead. The shared word is
// stored at most once a millisecond, not once a record.
func (s *sink) noteTime(t time.Time) {
	if t.IsZero() {
		t = time.Now()
	}
	if ns := t.UnixNano(); ns-s.newest.Load() >= int64(time.Millisecond) {
		s.newest.Store(ns)
	}
}

// Write gives p, one whole encoded record, to w in one call under the lock.
// A failure is counted (Failed and Dropped), reported to the ErrorHandler
// and returned; it is never written to w. After Shutdown, a writer that
// buffers is flushed after the write.
func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	n, err := s.w.Write(p)
	if err == nil && n != len(p) {
		err = io.ErrShortWrite
	}
	if err == nil && s.shutDown.Load() {
		err = s.flushLocked()
	}
	if err != nil {
		s.publishLocked()
		s.mu.Unlock()
		if !errors.Is(err, errFlush) {
			err = fmt.Errorf("console: write: %w", err)
		}
		s.stats.Dropped(1)
		s.fail(err)
		return n, err
	}
	s.pendRecs++
	s.pendBytes += n
	if ns := s.newest.Load(); s.pendRecs >= publishEvery || ns != s.pendStamp || !s.stats.Healthy() {
		s.publishLocked()
		s.pendStamp = ns
	}
	s.mu.Unlock()
	return n, nil
}

// stamp is the time a successful write is recorded at: the newest record
// time seen, or now if Write was called other than through Handle.
func (s *sink) stamp() time.Time {
	if ns := s.newest.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Now()
}

// fail counts a failed attempt, marks the sink unhealthy and tells the
// ErrorHandler, unless the ErrorHandler is running already: an
// ErrorHandler that logs to this failing sink must not recurse without end.
func (s *sink) fail(err error) {
	s.stats.Failed(err)
	if s.onError != nil && s.reporting.CompareAndSwap(false, true) {
		defer s.reporting.Store(false)
		s.onError(err)
	}
}

// lock takes s.mu, or gives up when ctx ends. A write stuck in the kernel
// (a terminal paused with Ctrl-S, a pipe nobody reads) holds the lock; the
// caller of Flush or Shutdown must not be stuck behind it past its
// deadline. When ctx ends first, a helper goroutine is left waiting for the
// lock; it takes it and releases it at once when the stuck write returns,
// so it lives no longer than that write.
func (s *sink) lock(ctx context.Context) error {
	if s.mu.TryLock() {
		return nil
	}
	if ctx.Done() == nil {
		s.mu.Lock()
		return nil
	}
	handOver := make(chan struct{})
	abandoned := make(chan struct{})
	go func() {
		s.mu.Lock()
		select {
		case handOver <- struct{}{}: // the caller owns the lock now
		case <-abandoned:
			s.mu.Unlock()
		}
	}()
	select {
	case <-handOver:
		return nil
	case <-ctx.Done():
		close(abandoned)
		return ctx.Err()
	}
}

// flusher is a writer that buffers, such as *bufio.Writer.
type flusher interface{ Flush() error }

// syncer is a writer backed by storage, such as *os.File.
type syncer interface{ Sync() error }

// flush waits for a write in progress to finish, then flushes w if it
// buffers. The caller holds no lock.
func (s *sink) flush(ctx context.Context) (err error) {
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("console: flush: wait for a write in progress: %w", err)
	}
	defer func() {
		if err != nil {
			s.fail(err) // after the unlock: the ErrorHandler may log
		}
	}()
	defer s.mu.Unlock()
	s.publishLocked()
	return s.flushLocked()
}

// flushLocked flushes w if it buffers. The caller holds mu, and reports an
// error with fail once it has released mu.
func (s *sink) flushLocked() error {
	f, ok := s.w.(flusher)
	if !ok {
		return nil
	}
	if err := f.Flush(); err != nil {
		return fmt.Errorf("console: %w: %w", errFlush, err)
	}
	return nil
}

// errFlush marks an error of the writer's Flush.
var errFlush = errors.New("flush")

// shutdown waits for a write in progress, flushes w if it buffers and
// syncs it if it can, and makes every later write flush w. It never closes
// w, and later records are written as before. Only the first call does
// anything.
func (s *sink) shutdown(ctx context.Context) error {
	return s.shut.Do(ctx, "console: shutdown", func() error { return s.doShutdown(ctx) })
}

func (s *sink) doShutdown(ctx context.Context) error {
	s.shutDown.Store(true)
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("console: shutdown: wait for a write in progress: %w", err)
	}
	var ferr, serr error
	defer func() { // after the unlock: the ErrorHandler may log
		if ferr != nil {
			s.fail(ferr)
		}
		if serr != nil {
			s.fail(serr)
		}
	}()
	defer s.mu.Unlock()
	s.publishLocked()
	ferr = s.flushLocked()
	err := ferr
	if sy, ok := s.w.(syncer); ok {
		if e := sy.Sync(); e != nil && !unsyncable(e) {
			serr = fmt.Errorf("console: shutdown: sync: %w", e)
			err = errors.Join(err, serr)
		}
	}
	return err
}

// unsyncable reports whether a Sync error only says that the descriptor
// cannot be synced at all (a terminal, a pipe, a character device), which is
// not a failure of the log.
func unsyncable(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) ||
		errors.Is(err, syscall.ENOTTY)
}
