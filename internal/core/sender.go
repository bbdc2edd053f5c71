package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/spool"
)

// Transport is what a request/response sink (httpsink, OTLP) gives the
// [Sender]: how to make one request of a batch.
type Transport interface {
	// Encode builds the body of a request for recs; the attempts that
	// follow, until the next Encode, send it. now is the time of the
	// batch.
	Encode(recs [][]byte, now time.Time)
	// Attempt sends the body once, within ctx (which already carries the
	// Timeout). Its error is an *[Answer] when the destination replied
	// (it is up), an *[Answer] with a [Partial] when it took part of the
	// batch, and anything else when it did not reply (refused, cut, timed
	// out): retried, and counted against the destination's silence.
	Attempt(ctx context.Context, recs [][]byte) error
}

// Answer is a reply of the destination that is not a success.
type Answer struct {
	// Err describes it (an *httpsink.StatusError); it must carry no
	// secret: the Scrubber keeps it when it scrubs the rest.
	Err error
	// Retryable says whether sending again may succeed (408, 429, 5xx).
	Retryable bool
	// TooLarge says the batch is too large (413): it is split in two.
	TooLarge bool
	// RetryAfter is the wait the destination asked for, if HasRetryAfter.
	RetryAfter    time.Duration
	HasRetryAfter bool
	// Partial, when set, says the destination took part of the batch.
	Partial *Partial
}

func (a *Answer) Error() string { return a.Err.Error() }
func (a *Answer) Unwrap() error { return a.Err }

// Partial is a reply that took some records of a batch and not others
// (an Elasticsearch bulk response with failed items).
type Partial struct {
	// Refused are the indexes of the records refused for good: dropped.
	Refused []int
	// Again are the indexes of those refused for now (429, 5xx): sent
	// again, after a wait, in a smaller batch.
	Again []int
}

// Sent is an Attempt's error when the transport delivered the first N
// records of the batch before it failed (a stream cut mid-batch): those
// count as delivered, and only the rest are retried.
type Sent struct {
	N   int
	Err error
}

func (e *Sent) Error() string { return e.Err.Error() }
func (e *Sent) Unwrap() error { return e.Err }

// ErrRefused marks records the destination refused for good.
var ErrRefused = errors.New("refused by the destination")

// errAgain marks the records a partial answer refused for now that had
// their retries: not a destination that is down (it answered), so they
// go to the spool without opening the breaker, and a replay drops them.
var errAgain = errors.New("refused for now")

func answerOf(err error) *Answer {
	var a *Answer
	if errors.As(err, &a) {
		return a
	}
	return nil
}

// retryable reports whether a failed attempt may succeed if repeated:
// no answer (network errors, timeouts), or an answer that says so.
func retryable(err error) bool {
	if errors.Is(err, ErrRefused) || errors.Is(err, errAgain) {
		return false
	}
	if a := answerOf(err); a != nil {
		return a.Retryable || a.Partial != nil
	}
	return true
}

func tooLarge(err error) bool {
	a := answerOf(err)
	return a != nil && a.TooLarge
}

// DrainGrace is how much longer than one Timeout Shutdown waits for a
// destination that does not answer, and the longest retry wait during
// Shutdown.
const DrainGrace = time.Second

// Sender delivers the batches of a request/response sink: one request at
// a time, retried with back-off and Retry-After, split on 413, with a
// breaker and a prober that replays the spool while no batches flow, and
// a Shutdown bounded whatever its context.
type Sender struct {
	*Core
	t       Transport
	retry   delivery.Retry
	timeout time.Duration
	name    string // the logger name, for the gap record
	gapEnc  func(dst []byte, d Drops, now time.Time) []byte

	// Sleep waits d or until ctx ends; replaced by tests.
	Sleep func(ctx context.Context, d time.Duration) error

	inflight   atomic.Int64 // records of the batch being sent
	draining   atomic.Bool  // Shutdown has begun
	drainAt    atomic.Int64 // UnixNano when Shutdown began
	lastAnswer atomic.Int64 // UnixNano of the destination's last answer
	drainCtx   context.Context
	drainStop  context.CancelFunc

	// The sender's state. The buffer's goroutine and the prober take
	// turns under SendMu, so at most one request is in flight.
	SendMu  sync.Mutex
	recs    [][]byte
	gapLine []byte // the gap record being sent
	bo      *backoff.ExponentialBackOff
	failing bool // breaker open: the destination is down (with a spool)
	// drainDown: an attempt failed during Shutdown, so the batches still
	// queued skip the network (to the spool, or counted as dropped).
	drainDown bool
	probeAt   time.Time // breaker: when the next batch may try again
	cooldown  time.Duration

	// The prober replays the spool while no batches flow.
	Kick chan struct{}
	// proberQuit tells the prober to stop after the frame it is sending;
	// proberCtx, the context of its requests, ends only when Shutdown's
	// does (or after it): a request cut mid-flight may have been taken, and
	// would be sent again (a duplicate), so Shutdown lets it finish within
	// the drain's silence budget.
	proberQuit chan struct{}
	stopProber context.CancelFunc
	proberCtx  context.Context
	proberDone chan struct{}
}

// SenderConfig is what NewSender needs besides the core's Config.
type SenderConfig struct {
	Transport Transport
	Retry     delivery.Retry // checked
	Timeout   time.Duration  // checked
	Name      string         // the logger name, for the gap record
	// Gap, if set, encodes the gap record for d (see Drops.Append, the
	// default: a JSON line).
	Gap func(dst []byte, d Drops, now time.Time) []byte
}

// NewSender starts a Sender: the queue, and with a spool the prober
// (which replays at once what an earlier process left there).
func NewSender(c Config, sc SenderConfig) (*Sender, error) {
	s := &Sender{t: sc.Transport, retry: sc.Retry, timeout: sc.Timeout, name: sc.Name, gapEnc: sc.Gap, Sleep: sleepCtx, Kick: make(chan struct{}, 1)}
	if s.gapEnc == nil {
		s.gapEnc = func(dst []byte, d Drops, now time.Time) []byte { return d.Append(dst, now, s.name) }
	}
	c.Write = s.write
	c.Wake = s.kickProber
	k, err := New(c)
	if err != nil {
		return nil, err
	}
	s.Core = k
	s.drainCtx, s.drainStop = context.WithCancel(context.Background())
	b := sc.Retry.Backoff
	s.bo = backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(b.InitialInterval),
		backoff.WithMultiplier(b.Multiplier),
		backoff.WithMaxInterval(b.MaxInterval),
		backoff.WithMaxElapsedTime(sc.Retry.MaxElapsedTime),
		backoff.WithRandomizationFactor(b.Jitter),
		backoff.WithClockProvider(clockFunc(func() time.Time { return s.Now() })),
	)
	if s.Spool != nil {
		s.proberCtx, s.stopProber = context.WithCancel(context.Background())
		s.proberQuit = make(chan struct{})
		s.proberDone = make(chan struct{})
		go s.probe()
		if s.Spool.Len() > 0 {
			s.kickProber()
		}
	}
	return s, nil
}

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats is the core's, with the batch being sent counted as queued.
func (s *Sender) Stats() multi.Stats { return s.Core.Stats(s.inflight.Load()) }

// Shutdown flushes the queue, stops the prober, replays the spool while
// the destination answers, then closes the spool. See httpsink's Shutdown
// for the promise it keeps.
func (s *Sender) Shutdown(ctx context.Context) error {
	return s.Core.Shutdown(ctx, func() error {
		// From here retries go on only while the destination answers (any
		// answer; waits at most DrainGrace), a retry wait under way ends,
		// and once it has not answered for Timeout plus DrainGrace the
		// rest skip the network.
		s.drainAt.Store(s.Now().UnixNano())
		s.draining.Store(true)
		s.drainStop()
		if s.Spool != nil {
			close(s.proberQuit)
			defer context.AfterFunc(ctx, s.stopProber)()
			defer s.stopProber()
		}
		// The prober may be waiting for SendMu: wait for it only once the
		// buffer has stopped the writer (or cancelled its retries when ctx
		// ended), or Shutdown would wait out the retries.
		err := s.ShutdownQueue(ctx)
		if s.Spool != nil {
			<-s.proberDone
			// The destination answered the drain: send the spool too,
			// until it is empty, an attempt fails, or ctx ends.
			s.SendMu.Lock()
			if !s.drainDown && ctx.Err() == nil && s.Spool.Len() > 0 {
				s.failing = false
				s.replay(ctx, 0)
			}
			s.SendMu.Unlock()
		}
		return err
	})
}

func (s *Sender) kickProber() {
	select {
	case s.Kick <- struct{}{}:
	default:
	}
}

// write is the buffer's writer: one batch, on the buffer's goroutine.
func (s *Sender) write(ctx context.Context, b *buffer.Batch) {
	n := b.Len()
	s.inflight.Store(int64(n))
	defer s.inflight.Store(0)
	s.SendMu.Lock()
	defer s.SendMu.Unlock()

	recs := s.recs[:0]
	for i := range n {
		recs = append(recs, b.Record(i))
	}
	s.recs = recs
	defer clear(recs) // the records die with the batch

	retry := true
	if s.draining.Load() && s.drainDown {
		s.ToSpool(recs, errShutDown)
		return
	}
	if s.Spool != nil && s.failing {
		if s.Now().Before(s.probeAt) {
			// The destination is down: straight to disk, no request.
			s.ToSpool(recs, nil)
			return
		}
		retry = false // a probe: one attempt, then back to the spool
	}
	var gap Drops
	if s.Gap.Pending() {
		// Drops since the last delivery: one record about them goes
		// ahead of the batch. It is not counted as a record; if the batch
		// fails, its drops wait for the next gap record.
		gap = s.Gap.Take()
		s.gapLine = s.gapEnc(s.gapLine[:0], gap, s.Now())
		recs = slices.Insert(recs, 0, s.gapLine)
		s.recs = recs
	}
	defer func() { s.gapLine = s.gapLine[:0] }()
	delivered := true
	s.ship(ctx, recs, retry, func(r [][]byte, err error) bool {
		delivered = false
		if i := s.gapIndex(r); i >= 0 {
			s.Gap.Restore(gap)
			r = slices.Delete(slices.Clone(r), i, i+1)
			if len(r) == 0 {
				return true
			}
		}
		if s.draining.Load() && s.silent() {
			s.drainDown = true
		}
		return s.undeliverable(r, err)
	})
	s.inflight.Store(0) // the batch is settled: not queued during the replay
	// The destination took a whole batch: send what waits in the spool.
	if delivered && s.Spool != nil && s.Spool.Len() > 0 && ctx.Err() == nil {
		s.replay(ctx, 1) // one frame per live batch: neither starves
		s.kickProber()   // the prober replays the rest between batches
	}
}

var errShutDown = errors.New("shut down while the destination was not answering")

// answerAt is when the destination last answered, or when Shutdown began
// if that is later.
func (s *Sender) answerAt() time.Time {
	return time.Unix(0, max(s.lastAnswer.Load(), s.drainAt.Load()))
}

// silent reports whether, during Shutdown, the destination has not
// answered for one Timeout plus DrainGrace: then Shutdown stops sending.
func (s *Sender) silent() bool {
	return s.Now().Sub(s.answerAt()) >= s.timeout+DrainGrace
}

// ship sends recs, splitting them on 413 and resending the records a
// partial answer refused for now; what cannot be delivered goes to fail.
// It returns ok false as soon as fail does, and settled: how many of the
// first records were delivered or taken by fail before that (all of them
// when ok). The halves of a split go in order, so those records are a
// prefix of recs; a partial answer settles its records out of order, so a
// stop there counts none settled.
func (s *Sender) ship(ctx context.Context, recs [][]byte, retry bool, fail func([][]byte, error) bool) (settled int, ok bool) {
	return s.shipRound(ctx, recs, retry, fail, 0)
}

func (s *Sender) shipRound(ctx context.Context, recs [][]byte, retry bool, fail func([][]byte, error) bool, round int) (int, bool) {
	done, err := s.send(ctx, recs, retry)
	if err == nil {
		return len(recs), true
	}
	n, ok := s.shipRest(ctx, recs[done:], retry, fail, round, err)
	return done + n, ok
}

// shipRest settles recs, which the last attempt failed with err.
func (s *Sender) shipRest(ctx context.Context, recs [][]byte, retry bool, fail func([][]byte, error) bool, round int, err error) (int, bool) {
	if tooLarge(err) && len(recs) > 1 {
		h := len(recs) / 2
		n, ok := s.shipRound(ctx, recs[:h], retry, fail, round)
		if !ok {
			return n, false
		}
		m, ok := s.shipRound(ctx, recs[h:], retry, fail, round)
		return n + m, ok
	}
	a := answerOf(err)
	if a == nil || a.Partial == nil {
		if !fail(recs, err) {
			return 0, false
		}
		return len(recs), true
	}
	if !s.shipPartial(ctx, recs, retry, fail, round, a.Partial, err) {
		return 0, false
	}
	return len(recs), true
}

// shipPartial sorts out the records of a partial answer: the refused
// ones are lost for good; the others are a new, smaller batch after a
// pause.
func (s *Sender) shipPartial(ctx context.Context, recs [][]byte, retry bool, fail func([][]byte, error) bool, round int, p *Partial, err error) bool {
	if len(p.Refused) > 0 && !fail(pick(recs, p.Refused), fmt.Errorf("%w (%w)", err, ErrRefused)) {
		return false
	}
	if len(p.Again) == 0 {
		return true
	}
	again := pick(recs, p.Again)
	if !retry || round >= s.retry.Max {
		return fail(again, fmt.Errorf("%s: %d records of a batch %w (429 or 5xx): %w", s.Name, len(again), errAgain, err))
	}
	if cerr := s.Sleep(ctx, s.retry.InitialInterval); cerr != nil {
		return fail(again, fmt.Errorf("%s: %d records to resend: gave up: %w", s.Name, len(again), cerr))
	}
	s.Counters.Retried()
	_, ok := s.shipRound(ctx, again, retry, fail, round+1)
	return ok
}

func pick(recs [][]byte, idx []int) [][]byte {
	out := make([][]byte, len(idx))
	for i, j := range idx {
		out[i] = recs[j]
	}
	return out
}

// undeliverable handles records a batch could not deliver: to the spool if
// there is one (a destination that is down opens the breaker), else
// dropped.
func (s *Sender) undeliverable(recs [][]byte, err error) bool {
	if s.Spool == nil || (tooLarge(err) && len(recs) == 1) || errors.Is(err, ErrRefused) {
		s.Drop(len(recs), err)
		return true
	}
	if retryable(err) {
		s.openBreaker(err)
	}
	s.ToSpool(recs, err)
	return true
}

// openBreaker notes that the destination is down: until probeAt, batches
// go to the spool without a request; the wait grows like the back-off.
func (s *Sender) openBreaker(err error) {
	b := s.retry.Backoff
	if !s.failing {
		s.failing = true
		s.cooldown = b.InitialInterval
		s.Report(fmt.Errorf("%s: %s is not answering; spooling batches until it does: %w", s.Name, s.Endpoint, err))
	} else {
		s.cooldown = min(time.Duration(float64(s.cooldown)*b.Multiplier), b.MaxInterval)
	}
	s.probeAt = s.Now().Add(s.cooldown)
	s.kickProber()
}

// replay sends the spool, oldest first, at most frames frames (0: all),
// each with the same retries and back-off as a live batch; a frame that
// still fails stops it and opens the breaker. Called with SendMu held: a
// small frames lets live batches take their turn on the connection
// between frames.
func (s *Sender) replay(ctx context.Context, frames int) {
	sent := 0
	_, _ = s.Spool.Replay(ctx, func(recs [][]byte) error {
		if frames > 0 && sent == frames {
			return errYield // left in the spool for the next turn
		}
		sent++
		var stop error
		// Replayed is what the destination took of these records: the
		// growth of Written, which only send moves, under SendMu.
		written := s.Counters.Snapshot().Written
		settled, _ := s.ship(ctx, recs, true, func(r [][]byte, err error) bool {
			if retryable(err) && !(tooLarge(err) && len(r) == 1) {
				stop = err
				return false
			}
			s.Drop(len(r), err) // refused for good: it had its second chance
			return true
		})
		s.Counters.Replayed(int(s.Counters.Snapshot().Written - written))
		if stop != nil {
			if ctx.Err() == nil && !s.draining.Load() {
				s.openBreaker(stop)
			}
			if settled > 0 {
				// The first records were delivered or dropped: the next
				// replay resumes after them, so none goes or counts twice.
				return &spool.PartialError{Sent: settled, Err: stop}
			}
			return stop
		}
		return nil
	})
}

// errYield ends a replay's turn; it is not a failure.
var errYield = errors.New("replay: live batches' turn")

// probe is the prober goroutine: it replays the spool when no batches
// flow to do it (at start, after an overflow, when the breaker's wait is
// over), so that a spool is not left waiting for the next log record.
func (s *Sender) probe() {
	defer close(s.proberDone)
	t := time.NewTimer(time.Hour)
	t.Stop()
	defer t.Stop()
	for {
		select {
		case <-s.proberQuit:
			return
		case <-s.Kick:
		case <-t.C:
		}
		select {
		case <-s.proberQuit:
			return // before the next frame, not in the middle of one
		default:
		}
		if s.Spool.Len() == 0 {
			continue
		}
		if d := s.replayIdle(); d > 0 {
			t.Reset(d)
		}
	}
}

// replayIdle replays the spool if the breaker allows, and returns when to
// look again (0: when kicked).
func (s *Sender) replayIdle() time.Duration {
	s.SendMu.Lock()
	defer s.SendMu.Unlock()
	if s.failing {
		if d := s.probeAt.Sub(s.Now()); d > 0 {
			return d
		}
	}
	s.replay(s.proberCtx, 1)
	if s.failing {
		return max(s.probeAt.Sub(s.Now()), time.Millisecond)
	}
	if s.Spool.Len() > 0 {
		// More to replay: go on at once, after the writer has had its
		// chance at the lock.
		return time.Microsecond
	}
	return 0
}

// count returns how many of recs are the program's records, and their
// bytes: the gap record is not one.
func (s *Sender) count(recs [][]byte) (n, size int) {
	for _, r := range recs {
		size += len(r)
	}
	n = len(recs)
	if i := s.gapIndex(recs); i >= 0 {
		size, n = size-len(recs[i]), n-1
	}
	return n, size
}

// send delivers recs with one request, retried as the options say, and
// returns how many of the first records were delivered (all of them, with
// a nil error). It counts every attempt in the stats.
func (s *Sender) send(ctx context.Context, recs [][]byte, retry bool) (done int, _ error) {
	now := s.Now()
	s.t.Encode(recs, now)
	s.bo.Reset()
	for try := 0; ; try++ {
		if try > 0 {
			s.Counters.Retried()
		}
		actx, cancel := context.WithTimeout(ctx, s.timeout)
		if s.draining.Load() {
			// Shutdown: no attempt outlives the destination's silence budget.
			cancel()
			actx, cancel = context.WithDeadline(ctx, s.answerAt().Add(s.timeout+DrainGrace))
			actx, cancel = withTimeout(actx, cancel, s.timeout)
		}
		aerr := s.t.Attempt(actx, recs)
		cancel()
		var sent *Sent
		if errors.As(aerr, &sent) {
			// A stream took the first records: they are delivered; the
			// rest are the batch from here on.
			if k := min(sent.N, len(recs)); k > 0 {
				n, size := s.count(recs[:k])
				s.Counters.Wrote(n, size, s.Now())
				s.lastAnswer.Store(s.Now().UnixNano())
				done += k
				recs = recs[k:]
				if len(recs) > 0 {
					s.t.Encode(recs, now)
				}
			}
			aerr = sent.Err
			if len(recs) == 0 {
				aerr = nil
			}
		}
		a := answerOf(aerr)
		if aerr == nil || a != nil {
			s.lastAnswer.Store(s.Now().UnixNano()) // it answered: it is up
		}
		if aerr == nil {
			if sent == nil {
				n, size := s.count(recs)
				s.Counters.Wrote(n, size, s.Now())
				done += len(recs)
			}
			if s.failing {
				s.failing, s.cooldown = false, 0
			}
			s.Rep.Up()
			return done, nil
		}
		if a != nil && a.Partial != nil {
			s.wrotePartial(recs, a.Partial)
		}
		err := fmt.Errorf("%s: send batch of %d records to %s: %w", s.Name, len(recs), s.Endpoint, aerr)
		if ctx.Err() != nil {
			// Given up by Shutdown: not the destination's failure.
			return done, fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		}
		err = s.Scrub.Error(err)
		s.Counters.Failed(err)
		if !s.Rep.HasHandler() && retryable(err) {
			s.Rep.Down(err) // standard error: the first failure at once, then a line per interval
		}
		if a != nil && a.Partial != nil {
			return done, err // delivered in part: ship sorts the records out
		}
		if tooLarge(err) || !retryable(err) || !retry || try >= s.retry.Max {
			return done, err
		}
		wait := s.bo.NextBackOff()
		if wait == backoff.Stop {
			return done, fmt.Errorf("%w (retried for %v)", err, s.bo.GetElapsedTime().Round(time.Millisecond))
		}
		if a != nil && a.HasRetryAfter {
			wait = min(a.RetryAfter, s.retry.MaxInterval)
			if m := s.bo.MaxElapsedTime; m != 0 && s.bo.GetElapsedTime()+wait > m {
				// The destination asks for a wait past the time to retry.
				return done, fmt.Errorf("%w (retried for %v; Retry-After %v would pass MaxElapsedTime %v)",
					err, s.bo.GetElapsedTime().Round(time.Millisecond), wait, m)
			}
		}
		if s.draining.Load() {
			if s.silent() {
				return done, fmt.Errorf("%w (gave up: shutting down, and no answer for %v)", err, s.timeout+DrainGrace)
			}
			wait = min(wait, DrainGrace)
		}
		// A wait begun before Shutdown ends when Shutdown begins; one
		// begun during it is short (DrainGrace at most) and is kept, so
		// that a refusing destination is not retried in a busy loop.
		sctx, cancel := context.WithCancel(ctx)
		stop := func() bool { return false }
		if !s.draining.Load() {
			stop = context.AfterFunc(s.drainCtx, cancel)
		}
		cerr := s.Sleep(sctx, wait)
		stop()
		cancel()
		if cerr != nil && !(s.draining.Load() && ctx.Err() == nil) {
			return done, fmt.Errorf("%w (gave up: %w)", err, cerr)
		}
	}
}

// withTimeout bounds ctx by d too, and cancels both contexts together.
func withTimeout(ctx context.Context, outer context.CancelFunc, d time.Duration) (context.Context, context.CancelFunc) {
	c, inner := context.WithTimeout(ctx, d)
	return c, func() { inner(); outer() }
}

// gapIndex returns the index of the gap record in recs, or -1.
func (s *Sender) gapIndex(recs [][]byte) int {
	if len(s.gapLine) == 0 {
		return -1
	}
	for i, r := range recs {
		if len(r) > 0 && &r[0] == &s.gapLine[0] {
			return i
		}
	}
	return -1
}

// wrotePartial counts the records a partial answer took: all but the
// refused ones and those to send again.
func (s *Sender) wrotePartial(recs [][]byte, p *Partial) {
	n, size := s.count(recs)
	n -= len(p.Refused) + len(p.Again)
	for _, idx := range [...][]int{p.Refused, p.Again} {
		for _, i := range idx {
			size -= len(recs[i])
		}
	}
	if n > 0 {
		s.Counters.Wrote(n, size, s.Now())
	}
}
