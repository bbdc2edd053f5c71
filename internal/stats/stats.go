// Package stats holds the counters every sink in this module keeps, safe for
// concurrent use and cheap on the logging path (atomics, no locks, no
// allocation).
package stats

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/jinpy-utils/multi"
)

// Counters is the live form of multi.Stats. The zero value is ready to use
// and healthy.
type Counters struct {
	written, bytes, dropped, failed, retries, spooled, replayed atomic.Uint64
	queued                                                      atomic.Int64
	lastWrite                                                   atomic.Int64 // UnixNano; 0 = never
	unhealthy                                                   atomic.Bool

	mu          sync.Mutex
	lastErr     error
	lastErrTime time.Time
}

// LastWrite is when records were last delivered (Wrote), in Unix
// nanoseconds; 0 if never.
func (c *Counters) LastWrite() int64 { return c.lastWrite.Load() }

// Wrote records n records of size bytes delivered at now, and marks the
// destination healthy again.
func (c *Counters) Wrote(n, size int, now time.Time) {
	c.written.Add(uint64(n))
	c.bytes.Add(uint64(size))
	c.lastWrite.Store(now.UnixNano())
	if c.unhealthy.Load() {
		c.unhealthy.Store(false)
	}
}

// Failed records one failed attempt and marks the destination unhealthy.
func (c *Counters) Failed(err error) {
	c.failed.Add(1)
	c.unhealthy.Store(true)
	c.SetError(err)
}

// SetError records err as the last error without counting an attempt.
func (c *Counters) SetError(err error) {
	if err == nil {
		return
	}
	c.mu.Lock()
	c.lastErr, c.lastErrTime = err, time.Now()
	c.mu.Unlock()
}

// SetHealthy sets the health flag directly.
func (c *Counters) SetHealthy(ok bool) { c.unhealthy.Store(!ok) }

// Healthy reports whether the last attempt succeeded.
func (c *Counters) Healthy() bool { return !c.unhealthy.Load() }

// Dropped counts n records lost.
func (c *Counters) Dropped(n int) { c.dropped.Add(uint64(n)) }

// Retried counts one retry.
func (c *Counters) Retried() { c.retries.Add(1) }

// Spooled counts n records written to the disk spool.
func (c *Counters) Spooled(n int) { c.spooled.Add(uint64(n)) }

// Replayed counts n records read back from the spool and delivered.
func (c *Counters) Replayed(n int) { c.replayed.Add(uint64(n)) }

// Queue moves the queued gauge by delta.
func (c *Counters) Queue(delta int) { c.queued.Add(int64(delta)) }

// SetQueued sets the queued gauge.
func (c *Counters) SetQueued(n int) { c.queued.Store(int64(n)) }

// Snapshot returns the counters as a multi.Stats.
func (c *Counters) Snapshot() multi.Stats {
	s := multi.Stats{
		Written:  c.written.Load(),
		Bytes:    c.bytes.Load(),
		Dropped:  c.dropped.Load(),
		Failed:   c.failed.Load(),
		Retries:  c.retries.Load(),
		Spooled:  c.spooled.Load(),
		Replayed: c.replayed.Load(),
		Queued:   c.queued.Load(),
	}
	if ns := c.lastWrite.Load(); ns != 0 {
		s.LastWrite = time.Unix(0, ns)
	}
	c.mu.Lock()
	s.LastError, s.LastErrorTime = c.lastErr, c.lastErrTime
	c.mu.Unlock()
	return s
}
