package core

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/journal"
	"github.com/jinpy-utils/multi/internal/once"
	"github.com/jinpy-utils/multi/internal/report"
	"github.com/jinpy-utils/multi/internal/spool"
	"github.com/jinpy-utils/multi/internal/stats"
)

// Config is what a sink gives [New], its options checked.
type Config struct {
	// Name is the sink's package name ("httpsink"), the prefix of its
	// errors.
	Name string
	// Endpoint is the destination without credentials, for errors.
	Endpoint string
	// Buffer is the queue's options, from [Errors.CheckQueue]; OnDrop and
	// Overflow are the core's.
	Buffer buffer.Options
	// Spool is the spool, checked.
	Spool delivery.Spool
	// ErrorHandler is the sink's option; nil means standard error.
	ErrorHandler func(error)
	// Secrets are what no error may carry (see [Secrets]).
	Secrets []string
	// Write is the buffer's writer: one batch at a time, on the buffer's
	// goroutine.
	Write func(ctx context.Context, b *buffer.Batch)
	// Wake, if set, is called when records have been spooled, so that
	// the sink replays them once the destination answers.
	Wake func()
	// TrimNewline takes a record's trailing newline off in Write (a JSON
	// line's, which the encodings frame their own way).
	TrimNewline bool
}

// Core is the state every network sink shares between the Handler from
// New and those derived from it: the queue, the spool, the counters, the
// error reporter, the secrets, the gap record, and whether it is closed.
type Core struct {
	Name, Endpoint string
	Counters       stats.Counters
	Rep            *report.Reporter
	Buf            *buffer.Buffer
	Spool          *spool.Spool // nil without a spool
	// Journal keeps the queue's records in the spool's directory, so
	// that a killed process loses none; nil without a spool.
	Journal *journal.Journal
	Scrub   *Scrubber
	Gap     Gap // drops not yet told to the destination
	// Now is the clock, replaced by tests.
	Now func() time.Time

	closed      atomic.Bool
	lastDropErr atomic.Int64 // UnixNano of the last queue drop kept as LastError
	trimNL      bool
	wake        func()
	addErr      report.Rewrapper
	errClosed   error
	shut        once.Shutdown
}

// New opens the spool and starts the queue.
func New(c Config) (*Core, error) {
	k := &Core{
		Name:      c.Name,
		Endpoint:  c.Endpoint,
		Rep:       report.New(c.Name+" "+c.Endpoint, c.ErrorHandler),
		Scrub:     NewScrubber(c.Secrets),
		Now:       time.Now,
		wake:      c.Wake,
		trimNL:    c.TrimNewline,
		addErr:    report.Rewrapper{Prefix: c.Name + ": "},
		errClosed: fmt.Errorf("%s: %w", c.Name, multi.ErrClosed),
	}
	if k.wake == nil {
		k.wake = func() {}
	}
	bo := c.Buffer
	bo.OnDrop = k.queueDropped
	var err error
	if c.Spool.Dir != "" {
		if k.Spool, err = spool.Open(c.Spool.Dir, c.Spool.MaxBytes); err != nil {
			return nil, fmt.Errorf("%s: Options.Spool.Dir: %w", c.Name, err)
		}
		if bo.OnFull == buffer.Divert {
			bo.Overflow = k.divert
		}
		// What an earlier process left in the journal goes to the spool
		// before any new record is taken.
		k.Journal = journal.Open(c.Spool.Dir, journal.Capacity(bo.QueueBytes, bo.QueueSize), bo.BatchSize, bo.BatchBytes,
			func(recs [][]byte) { k.ToSpool(recs, errRecovered) },
			func(err error) { k.Report(fmt.Errorf("%s: %w", c.Name, err)) })
		bo.Journal = k.Journal
	}
	if k.Buf, err = buffer.New(c.Write, &bo); err != nil {
		k.closeDisk()
		return nil, fmt.Errorf("%s: %w", c.Name, err)
	}
	return k, nil
}

// errRecovered is why records recovered from the journal were lost when
// the spool could not take them.
var errRecovered = errors.New("recovered from the journal of a process that did not shut down")

// closeDisk closes the journal and the spool.
func (k *Core) closeDisk() error {
	var err error
	if k.Journal != nil {
		err = k.Journal.Close()
	}
	if k.Spool != nil {
		err = errors.Join(err, k.Spool.Close())
	}
	return err
}

// Sync writes the spool and the journal to the disk (see httpsink's
// Sync); without a spool it does nothing.
func (k *Core) Sync() error {
	if k.Spool == nil {
		return nil
	}
	err := k.Journal.Sync()
	if e := k.Spool.Sync(); e != nil {
		err = errors.Join(err, e)
	}
	if err != nil {
		return fmt.Errorf("%s: sync: %w", k.Name, err)
	}
	return nil
}

// Write queues one encoded record; the format core calls it from Handle.
// With TrimNewline a trailing newline is not part of the record. After
// Shutdown it refuses the record, counts it as dropped and reports the
// first such refusal.
func (k *Core) Write(p []byte) (int, error) {
	if k.closed.Load() {
		k.Counters.Dropped(1)
		k.Rep.Refused(fmt.Errorf("%s: record refused after Shutdown (%s): %w", k.Name, k.Endpoint, multi.ErrClosed))
		return 0, k.errClosed
	}
	rec := p
	if n := len(rec); k.trimNL && n > 0 && rec[n-1] == '\n' {
		rec = rec[:n-1]
	}
	if err := k.Buf.Add(rec); err != nil {
		return 0, k.addErr.Wrap(err)
	}
	return len(p), nil
}

// Closed reports whether Shutdown has begun.
func (k *Core) Closed() bool { return k.closed.Load() }

// Flush waits for the queue: every record queued before the call is
// handed to the writer and settled, or ctx ends.
func (k *Core) Flush(ctx context.Context) error {
	if k.closed.Load() {
		return fmt.Errorf("%s: flush: %w", k.Name, multi.ErrClosed)
	}
	if err := k.Buf.Flush(ctx); err != nil {
		return report.Rewrap(k.Name+": ", err)
	}
	return nil
}

// Shutdown runs f once, the sink's own shutdown, with the core closed to
// new records first; later calls wait for the first (see once.Shutdown).
// After f the spool is closed and the reporter flushed.
func (k *Core) Shutdown(ctx context.Context, f func() error) error {
	return k.shut.Do(ctx, k.Name+": shutdown", func() error {
		k.closed.Store(true)
		err := f()
		if e := k.closeDisk(); e != nil {
			err = errors.Join(err, fmt.Errorf("%s: shutdown: %w", k.Name, e))
		}
		k.Rep.Close()
		return err
	})
}

// ShutdownQueue hands every queued batch to the writer (see
// buffer.Buffer.Shutdown), its error as the sink's.
func (k *Core) ShutdownQueue(ctx context.Context) error {
	if err := k.Buf.Shutdown(ctx); err != nil {
		return report.Rewrap(k.Name+": ", err)
	}
	return nil
}

// Stats is the counters, with Queued the records in the queue plus extra
// (those the sink holds outside it: a batch being sent, a window).
func (k *Core) Stats(extra int64) multi.Stats {
	st := k.Counters.Snapshot()
	st.Queued = k.Buf.Stats().Queued + extra
	if k.Journal != nil {
		st.Volatile = k.Journal.Volatile()
	}
	return st
}

// Report gives err, secrets removed, to the ErrorHandler (or standard
// error) and keeps it as the last error in Stats.
func (k *Core) Report(err error) {
	if err == nil {
		return
	}
	err = k.Scrub.Error(err)
	k.Counters.SetError(err)
	k.Rep.Error(err)
}

// Drop counts n records lost for why, reports it, and notes the drop for
// the next gap record (unless Shutdown has begun: no record follows to
// carry it).
func (k *Core) Drop(n int, why error) {
	if n <= 0 {
		return
	}
	err := k.Scrub.Error(fmt.Errorf("%s: dropped %d records: %w", k.Name, n, why))
	k.Counters.Dropped(n)
	k.Counters.SetError(err)
	k.Rep.Error(err)
	if !k.closed.Load() {
		k.Gap.Add(n, err, k.Now())
	}
}

// ToSpool appends recs to the spool and counts them as spooled, or drops
// them if it cannot (cause, if set, is why they were not delivered).
// Without a spool the records are dropped for cause. It reports whether
// they were spooled.
func (k *Core) ToSpool(recs [][]byte, cause error) bool {
	if len(recs) == 0 {
		return true
	}
	if k.Spool == nil {
		k.Drop(len(recs), cause)
		return false
	}
	if err := k.Spool.Append(recs); err != nil {
		err = fmt.Errorf("spool %d records: %w", len(recs), err)
		if cause != nil {
			err = fmt.Errorf("%w (undeliverable: %w)", err, cause)
		}
		k.Drop(len(recs), err)
		return false
	}
	k.Counters.Spooled(len(recs))
	k.wake()
	return true
}

// queueDropped is the buffer's OnDrop: records lost to a full queue or a
// shutdown, on the goroutine where it happened (the caller's). Counted at
// once; reported folded, at most once a second (see report.Dropped).
func (k *Core) queueDropped(n int, err error) {
	k.Counters.Dropped(n)
	now := k.Now() // one clock read a drop, for both below
	// The last error, at most once a millisecond: a full queue drops
	// records as fast as the callers log them, for the same reason.
	if t := now.UnixNano(); t-k.lastDropErr.Load() >= int64(time.Millisecond) {
		k.lastDropErr.Store(t)
		k.Counters.SetError(err)
	}
	if !k.closed.Load() {
		k.Gap.Add(n, err, now)
	}
	k.Rep.Dropped(n, k.addErr.Wrap(err))
}

// divert is the buffer's Overflow under Divert: the oldest queued batch
// goes to the spool, on the caller's goroutine. An error makes the buffer
// count the batch as dropped.
func (k *Core) divert(b *buffer.Batch) error {
	n := b.Len()
	if err := k.Spool.AppendFunc(n, b.Record); err != nil {
		return fmt.Errorf("spool %d records: %w", n, err)
	}
	k.Counters.Spooled(n)
	k.wake()
	return nil
}

// GapRecord returns, if records were dropped since the last gap record,
// one about them appended to dst and the drops it stands for (to give back
// with Gap.Restore if it is not delivered); name is the logger name.
func (k *Core) GapRecord(dst []byte, name string) ([]byte, Drops, bool) {
	if !k.Gap.Pending() {
		return dst, Drops{}, false
	}
	d := k.Gap.Take()
	return d.Append(dst, k.Now(), name), d, true
}
