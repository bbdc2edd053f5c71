package syslog

// This file is the seam between the syslog encoding and transports and the
// delivery machinery: the queue (package buffer), the disk spool, the
// breaker that sends batches straight to the spool while the receiver is
// down, the prober that drains the spool when no batches flow, and the
// counters and error reports. When the module's shared delivery core
// lands, this file is what is replaced: the rest of the package only calls
// newSink, add, cut, flush, shutdown, stats and healthy, and this file
// only uses the transport's dial and conn (transport.go) and the encoder,
// for the gap record.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/internal/once"
	"github.com/jinpy-utils/multi/internal/report"
	"github.com/jinpy-utils/multi/internal/spool"
	"github.com/jinpy-utils/multi/internal/stats"
)

// Batches, fixed: a batch is what one write system call carries.
const (
	batchSize  = 512
	batchBytes = 256 << 10
)

// sink is the destination shared by a Handler and those derived from it.
type sink struct {
	c      *config
	header []byte // the header after the timestamp (see header5424)
	dial   func(ctx context.Context) (conn, error)
	buf    *buffer.Buffer
	spool  *spool.Spool // nil without Options.Spool
	rep    *report.Reporter

	counters  stats.Counters
	closed    atomic.Bool
	inflight  atomic.Int64 // records of the batch being written
	cuts      atomic.Int64 // messages cut to MaxMessageSize
	lastCut   atomic.Int64 // UnixNano of the last report of a cut
	errClosed error
	now       func() time.Time

	// The writer's state: the buffer's goroutine and the prober take
	// turns under mu.
	mu      sync.Mutex
	conn    conn // nil: not connected
	recs    [][]byte
	down    bool      // the receiver is failing: batches skip it until retryAt
	retryAt time.Time // when the next attempt may dial
	lastErr error     // why it is down
	bo      *backoff.ExponentialBackOff

	// Drops not yet told to the receiver (see gap).
	gapMu          sync.Mutex
	gapN           int
	gapFrom, gapTo time.Time
	gapWhy         string
	gapBuf         []byte

	kick       chan struct{} // cap 1: the prober has work
	stopProber context.CancelFunc
	proberDone chan struct{}

	shut once.Shutdown
}

func newSink(c *config, dial func(context.Context) (conn, error)) (*sink, error) {
	s := &sink{
		c:         c,
		dial:      dial,
		rep:       report.New("syslog "+c.addrText, c.ErrorHandler),
		errClosed: fmt.Errorf("syslog: %w", multi.ErrClosed),
		now:       time.Now,
		kick:      make(chan struct{}, 1),
	}
	if c.format == RFC5424 {
		s.header = header5424(c)
	} else {
		s.header = header3164(c)
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = c.ReconnectInterval
	b.MaxInterval = c.MaxReconnectInterval
	b.RandomizationFactor = 0.5
	b.Multiplier = 2
	b.MaxElapsedTime = 0
	b.Reset()
	s.bo = b

	bo := &buffer.Options{
		BatchSize:     batchSize,
		BatchBytes:    batchBytes,
		FlushInterval: c.FlushInterval,
		QueueSize:     c.QueueSize,
		QueueBytes:    c.QueueBytes,
		OnFull:        c.OnFull,
		OnDrop:        s.queueDropped,
	}
	var err error
	if c.Spool != "" {
		if s.spool, err = spool.Open(c.Spool, c.SpoolMaxBytes); err != nil {
			return nil, fmt.Errorf("syslog: Options.Spool: %w", err)
		}
		if c.OnFull == buffer.Divert {
			bo.Overflow = s.overflow
		}
	}
	if s.buf, err = buffer.New(s.writeBatch, bo); err != nil {
		if s.spool != nil {
			s.spool.Close()
		}
		return nil, fmt.Errorf("syslog: %w", err)
	}
	if s.spool != nil {
		var ctx context.Context
		ctx, s.stopProber = context.WithCancel(context.Background())
		s.proberDone = make(chan struct{})
		go s.probe(ctx)
		if s.spool.Len() > 0 {
			s.kickProber()
		}
	}
	return s, nil
}

// add queues one encoded record. It is called on the logging goroutine.
func (s *sink) add(p []byte) error {
	if s.closed.Load() {
		s.counters.Dropped(1)
		s.rep.Refused(s.errClosed)
		return s.errClosed
	}
	if err := s.buf.Add(p); err != nil {
		return fmt.Errorf("syslog: queue record: %w", err)
	}
	return nil
}

// cut counts a message of n bytes cut to MaxMessageSize, and reports the
// cuts at most once a second, on the logging goroutine.
func (s *sink) cut(n int) {
	k := s.cuts.Add(1)
	now := s.now().UnixNano()
	last := s.lastCut.Load()
	if now-last < int64(time.Second) || !s.lastCut.CompareAndSwap(last, now) {
		return
	}
	s.rep.Error(fmt.Errorf("syslog: %d messages cut to MaxMessageSize %d so far, the latest of %d bytes: raise MaxMessageSize with the receiver's limit", k, s.c.MaxMessageSize, n))
}

// writeBatch is the buffer's write function, on its goroutine.
func (s *sink) writeBatch(ctx context.Context, b *buffer.Batch) {
	n := b.Len()
	s.inflight.Store(int64(n))
	defer s.inflight.Store(0)
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := s.recs[:0]
	for i := range n {
		recs = append(recs, b.Record(i))
	}
	s.recs = recs
	defer clear(recs)

	if s.waiting() {
		s.undeliverable(recs, s.lastErr)
		return
	}
	if err := s.gap(ctx); err != nil {
		s.failing(ctx, err)
		s.undeliverable(recs, err)
		return
	}
	// What the spool holds is older: it goes first.
	if s.spool != nil && s.spool.Len() > 0 {
		s.replay(ctx)
		if s.waiting() {
			s.undeliverable(recs, s.lastErr)
			return
		}
	}
	sent, err := s.send(ctx, recs)
	if err != nil {
		s.failing(ctx, err)
		s.undeliverable(recs[sent:], err)
		return
	}
	s.recovered()
}

// waiting reports whether the receiver is down and its back-off not over.
func (s *sink) waiting() bool { return s.down && s.now().Before(s.retryAt) }

// send writes recs on the connection, dialling first if there is none or
// the receiver has closed it, and dialling once more if a write fails (the
// receiver may have closed the connection meanwhile). It returns how many
// of the first records are settled: written whole, or dropped alone for
// being too large for a datagram.
func (s *sink) send(ctx context.Context, recs [][]byte) (int, error) {
	return s.sendCounted(ctx, recs, true)
}

// sendCounted is send; with count false (the gap record) it moves no
// counter but Failed.
func (s *sink) sendCounted(ctx context.Context, recs [][]byte, count bool) (int, error) {
	settled, failures := 0, 0
	for len(recs) > 0 {
		if failures > 0 {
			s.counters.Retried()
		}
		if s.conn != nil && !s.conn.alive() {
			s.closeConn()
		}
		if s.conn == nil {
			c, err := s.dial(ctx)
			if err != nil {
				s.counters.Failed(err)
				return settled, err
			}
			s.conn = c
		}
		c := s.conn
		stop := context.AfterFunc(ctx, c.abort)
		n, err := c.write(recs)
		stop()
		if n > 0 {
			if count {
				s.counters.Wrote(n, size(recs[:n]), s.now())
			}
			settled += n
			recs = recs[n:]
		}
		if err == nil {
			return settled, nil
		}
		if errors.Is(err, syscall.EMSGSIZE) && len(recs) > 0 {
			// One record too large for a datagram: it alone is lost,
			// and the receiver is not down.
			tooBig := fmt.Errorf("syslog: record of %d bytes is too large for a datagram to %s: %w", len(recs[0]), s.c.addrText, err)
			s.counters.Dropped(1)
			s.counters.SetError(tooBig)
			s.rep.Error(tooBig)
			s.noteGap(1, tooBig)
			settled++
			recs = recs[1:]
			continue
		}
		err = fmt.Errorf("syslog: write to %s: %w", s.c.addrText, err)
		s.counters.Failed(err)
		s.closeConn()
		failures++
		if failures == 2 || ctx.Err() != nil {
			return settled, err
		}
	}
	return settled, nil
}

func size(recs [][]byte) int {
	n := 0
	for _, r := range recs {
		n += len(r)
	}
	return n
}

func (s *sink) closeConn() {
	if s.conn != nil {
		s.conn.close()
		s.conn = nil
	}
}

// failing marks the receiver down after err: batches skip it until the
// back-off's next wait has passed. A failure because ctx ended (Shutdown
// gave up) says nothing about the receiver.
func (s *sink) failing(ctx context.Context, err error) {
	if ctx.Err() != nil {
		// Shutdown gave up on the write: not the receiver's fault.
		return
	}
	s.down, s.lastErr = true, err
	s.retryAt = s.now().Add(s.bo.NextBackOff())
	s.rep.Down(err)
	s.kickProber()
}

// recovered marks the receiver up after a successful write.
func (s *sink) recovered() {
	if s.down {
		s.down = false
		s.bo.Reset()
		s.rep.Up()
	}
}

// undeliverable spools recs, or drops and counts them without a spool.
func (s *sink) undeliverable(recs [][]byte, why error) {
	if len(recs) == 0 {
		return
	}
	if why == nil {
		why = errors.New("receiver down")
	}
	if s.spool != nil {
		err := s.spool.Append(recs)
		if err == nil {
			s.counters.Spooled(len(recs))
			s.kickProber()
			return
		}
		why = fmt.Errorf("%w; spool: %w", why, err)
	}
	s.counters.Dropped(len(recs))
	s.counters.SetError(why)
	s.rep.Dropped(len(recs), why)
	s.noteGap(len(recs), why)
}

// noteGap remembers n records dropped for why, for the gap record.
func (s *sink) noteGap(n int, why error) {
	now := s.now()
	s.gapMu.Lock()
	if s.gapN == 0 {
		s.gapFrom = now
	}
	s.gapN += n
	s.gapTo = now
	if why != nil {
		s.gapWhy = why.Error()
	}
	s.gapMu.Unlock()
}

// gap sends, ahead of the next records, one record that says how many
// records were dropped since the last one went out, when and why, so that
// the gap shows where the logs are read. It is not counted as written. If
// it cannot be sent, it waits for the next batch, with later drops added.
func (s *sink) gap(ctx context.Context) error {
	s.gapMu.Lock()
	n, from, to, why := s.gapN, s.gapFrom, s.gapTo, s.gapWhy
	s.gapMu.Unlock()
	if n == 0 {
		return nil
	}
	r := slog.NewRecord(s.now(), slog.LevelWarn, "multi: records dropped before this one", 0)
	r.AddAttrs(slog.Group("multi",
		slog.Int("dropped", n), slog.Time("first", from), slog.Time("last", to), slog.String("reason", why)))
	h := &Handler{s: s}
	e := newEncoder(s.c)
	h.encode(e, r)
	e.fit(s.c, s.c.MaxMessageSize)
	s.gapBuf = append(s.gapBuf[:0], e.buf...)
	e.free()
	if _, err := s.sendCounted(ctx, [][]byte{s.gapBuf}, false); err != nil {
		return err
	}
	s.gapMu.Lock()
	s.gapN -= n
	s.gapMu.Unlock()
	return nil
}

var errWaiting = errors.New("receiver down: waiting for the back-off")

// replay sends what the spool holds, oldest first, and reports whether it
// all went.
func (s *sink) replay(ctx context.Context) bool {
	sendFailed := false // reported by failing already
	_, err := s.spool.Replay(ctx, func(recs [][]byte) error {
		if s.waiting() {
			return errWaiting
		}
		before := s.counters.Snapshot().Written
		n, err := s.send(ctx, recs)
		if w := s.counters.Snapshot().Written - before; w > 0 {
			s.counters.Replayed(int(w))
		}
		if err != nil {
			sendFailed = true
			s.failing(ctx, err)
			if n > 0 {
				return &spool.PartialError{Sent: n, Err: err}
			}
			return err
		}
		s.recovered()
		return nil
	})
	if err != nil && !sendFailed && !errors.Is(err, errWaiting) && ctx.Err() == nil {
		s.rep.Error(fmt.Errorf("syslog: replay spool: %w", err))
	}
	return err == nil
}

// probe is the prober goroutine: it drains the spool while no batches
// flow, as soon as the receiver's back-off allows.
func (s *sink) probe(ctx context.Context) {
	defer close(s.proberDone)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		s.mu.Lock()
		pending := s.spool.Len() > 0
		if pending && !s.waiting() {
			s.replay(ctx)
			pending = s.spool.Len() > 0
		}
		wait := time.Duration(-1)
		if pending && s.down {
			wait = max(s.retryAt.Sub(s.now()), time.Millisecond)
		}
		s.mu.Unlock()
		if wait >= 0 {
			t.Reset(wait)
		}
		select {
		case <-s.kick:
		case <-t.C:
		case <-ctx.Done():
			return
		}
		t.Stop()
	}
}

func (s *sink) kickProber() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// queueDropped is the buffer's OnDrop.
func (s *sink) queueDropped(n int, err error) {
	s.noteGap(n, err)
	s.counters.Dropped(n)
	s.counters.SetError(err)
	s.rep.Dropped(n, err)
}

// overflow is the buffer's Overflow under Divert: the oldest queued batch
// goes to the spool, on the caller's goroutine.
func (s *sink) overflow(b *buffer.Batch) error {
	n := b.Len()
	if err := s.spool.AppendFunc(n, b.Record); err != nil {
		return fmt.Errorf("syslog: spool %d records: %w", n, err)
	}
	s.counters.Spooled(n)
	s.kickProber()
	return nil
}

func (s *sink) flush(ctx context.Context) error {
	if s.closed.Load() {
		return fmt.Errorf("syslog: flush: %w", multi.ErrClosed)
	}
	if err := s.buf.Flush(ctx); err != nil {
		return fmt.Errorf("syslog: flush: %w", err)
	}
	return nil
}

func (s *sink) shutdown(ctx context.Context) error {
	return s.shut.Do(ctx, "syslog: shutdown", func() error { return s.doShutdown(ctx) })
}

func (s *sink) doShutdown(ctx context.Context) error {
	s.closed.Store(true)
	var errs []error
	// With the receiver down, every batch goes straight to the spool or is
	// dropped, so this is bounded by the write in progress: WriteTimeout,
	// or ctx, which cancels the buffer's write and the prober's replay.
	if s.spool != nil {
		s.stopProber()
	}
	if err := s.buf.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("syslog: shutdown: %w", err))
	}
	if s.spool != nil {
		<-s.proberDone
	}
	s.mu.Lock()
	if s.spool != nil && s.spool.Len() > 0 && !s.waiting() && ctx.Err() == nil {
		s.replay(ctx) // drain the spool while the receiver is up
	}
	s.closeConn()
	s.mu.Unlock()
	if s.spool != nil {
		if err := s.spool.Close(); err != nil {
			errs = append(errs, fmt.Errorf("syslog: shutdown: %w", err))
		}
	}
	s.rep.Close()
	return errors.Join(errs...)
}

func (s *sink) stats() multi.Stats {
	st := s.counters.Snapshot()
	st.Queued = s.buf.Stats().Queued + s.inflight.Load()
	return st
}

func (s *sink) healthy() bool { return s.counters.Healthy() && !s.closed.Load() }
