package httpsink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/internal/delivery"
	"github.com/jinpy-utils/multi/internal/jsonx"
	"github.com/jinpy-utils/multi/internal/spool"
)

// StatusError is a response that was not a success (2xx). Errors reported
// to ErrorHandler and Stats wrap it; errors.As finds it.
type StatusError struct {
	StatusCode int    // 413, 503, ...
	Status     string // "503 Service Unavailable"
	Body       string // the first bytes of the response body, secrets removed
}

// bodySnippet is how much of an error response is kept.
const bodySnippet = 512

func (e *StatusError) Error() string {
	if e.Body == "" {
		return "status " + e.Status
	}
	return fmt.Sprintf("status %s: %q", e.Status, e.Body)
}

// retryableStatus reports whether a status is worth retrying.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryable reports whether a failed attempt may succeed if repeated:
// network errors, timeouts and the retryable statuses.
func retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return retryableStatus(se.StatusCode)
	}
	var be *bulkError
	return !errors.As(err, &be) // a bulk error's items are sorted already
}

func tooLarge(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.StatusCode == http.StatusRequestEntityTooLarge
}

// attemptError is one failed request with what the response said about
// retrying.
type attemptError struct {
	err        error
	retryAfter time.Duration
	hasAfter   bool
}

// write is the buffer's write function: one batch, on the buffer's
// goroutine.
func (s *sink) write(ctx context.Context, b *buffer.Batch) {
	n := b.Len()
	s.inflight.Store(int64(n))
	defer s.inflight.Store(0)
	s.sendMu.Lock()
	defer s.sendMu.Unlock()

	recs := s.recs[:0]
	for i := range n {
		recs = append(recs, b.Record(i))
	}
	s.recs = recs
	defer clear(recs) // the records die with the batch

	retry := true
	if s.draining.Load() && s.drainDown {
		s.settleUnsent(recs)
		return
	}
	if s.spool != nil && s.failing {
		if s.now().Before(s.probeAt) {
			// The collector is down: straight to disk, no request.
			s.toSpool(recs, nil)
			return
		}
		retry = false // a probe: one attempt, then back to the spool
	}
	var gap delivery.Drops
	if s.gap.Pending() {
		// Drops since the last delivery: one record about them goes
		// ahead of the batch. It is not counted as a record; if the
		// batch fails, its drops wait for the next gap record.
		gap = s.gap.Take()
		s.gapLine = gap.Append(s.gapLine[:0], s.now(), s.c.Name)
		recs = slices.Insert(recs, 0, s.gapLine)
		s.recs = recs
		defer func() { s.gapLine = s.gapLine[:0] }()
	}
	delivered := true
	s.ship(ctx, recs, retry, func(r [][]byte, err error) bool {
		delivered = false
		if i := s.gapIndex(r); i >= 0 {
			s.gap.Restore(gap)
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
	// The collector took a whole batch: send what waits in the spool.
	if delivered && s.spool != nil && s.spool.Len() > 0 && ctx.Err() == nil {
		s.replay(ctx, 1) // one frame per live batch: neither starves
		s.kickProber()   // the prober replays the rest between batches
	}
}

// settleUnsent disposes of a batch that Shutdown will not send: the
// collector failed during the drain. With a spool it goes there; without,
// it is counted as dropped.
func (s *sink) settleUnsent(recs [][]byte) {
	if s.spool != nil {
		s.toSpool(recs, nil)
		return
	}
	s.drop(len(recs), errShutDown)
}

var errShutDown = errors.New("shut down while the collector was not answering")

// drainGrace is how much longer than one request Timeout Shutdown waits
// for a collector that does not answer, and the longest retry wait during
// Shutdown.
const drainGrace = time.Second

// answerAt is when the collector last answered (any HTTP response), or
// when Shutdown began if that is later.
func (s *sink) answerAt() time.Time {
	return time.Unix(0, max(s.lastAnswer.Load(), s.drainAt.Load()))
}

// silent reports whether, during Shutdown, the collector has not answered
// for one Timeout plus drainGrace: then Shutdown stops sending.
func (s *sink) silent() bool {
	return s.now().Sub(s.answerAt()) >= s.c.Timeout+drainGrace
}

// ship sends recs, splitting them on 413 and resending the items an
// Elasticsearch bulk response refused for a retryable reason; what cannot
// be delivered goes to fail. It returns ok false as soon as fail does, and
// settled: how many of the first records were delivered or taken by fail
// before that (all of them when ok). The halves of a split go in order, so
// those records are a prefix of recs; a bulk response settles its items
// out of order, so a stop there counts none settled.
func (s *sink) ship(ctx context.Context, recs [][]byte, retry bool, fail func([][]byte, error) bool) (settled int, ok bool) {
	return s.shipRound(ctx, recs, retry, fail, 0)
}

func (s *sink) shipRound(ctx context.Context, recs [][]byte, retry bool, fail func([][]byte, error) bool, round int) (int, bool) {
	err := s.send(ctx, recs, retry)
	if err == nil {
		return len(recs), true
	}
	if tooLarge(err) && len(recs) > 1 {
		h := len(recs) / 2
		n, ok := s.shipRound(ctx, recs[:h], retry, fail, round)
		if !ok {
			return n, false
		}
		m, ok := s.shipRound(ctx, recs[h:], retry, fail, round)
		return n + m, ok
	}
	var be *bulkError
	if !errors.As(err, &be) {
		if !fail(recs, err) {
			return 0, false
		}
		return len(recs), true
	}
	if !s.shipBulk(ctx, recs, retry, fail, round, be, err) {
		return 0, false
	}
	return len(recs), true
}

// shipBulk sorts out the items of a bulk response with failed items.
func (s *sink) shipBulk(ctx context.Context, recs [][]byte, retry bool, fail func([][]byte, error) bool, round int, be *bulkError, err error) bool {
	// Delivered in part. The refused items are lost for good; the others
	// (429, 5xx per item) are a new, smaller batch after a pause.
	if len(be.refused) > 0 && !fail(pick(recs, be.refused), err) {
		return false
	}
	if len(be.again) == 0 {
		return true
	}
	again := pick(recs, be.again)
	if !retry || round >= s.c.MaxRetries {
		// These items only: the refused ones (whose error matches
		// errRefusedItems, and which are dropped) were handled above.
		rest := &bulkError{again: be.again}
		return fail(again, fmt.Errorf("httpsink: %d items of a bulk request refused for now (429 or 5xx): %w", len(again), rest))
	}
	if cerr := s.sleep(ctx, s.c.Backoff.InitialInterval); cerr != nil {
		return fail(again, fmt.Errorf("httpsink: %d bulk items to resend: gave up: %w", len(again), cerr))
	}
	s.counters.Retried()
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
// there is one (a collector that is down opens the breaker), else dropped.
func (s *sink) undeliverable(recs [][]byte, err error) bool {
	if s.spool == nil || (tooLarge(err) && len(recs) == 1) || errors.Is(err, errRefusedItems) {
		s.drop(len(recs), err)
		return true
	}
	if retryable(err) {
		s.openBreaker(err)
	}
	s.toSpool(recs, err)
	return true
}

// toSpool appends recs to the spool, or drops them if it cannot, and
// wakes the prober: a kick it took before the append (from openBreaker)
// found the spool empty, and without another it would wait for the next
// batch to replay what is now on disk.
func (s *sink) toSpool(recs [][]byte, cause error) {
	if err := s.spool.Append(recs); err != nil {
		err = fmt.Errorf("httpsink: spool %d records: %w", len(recs), err)
		if cause != nil {
			err = fmt.Errorf("%w (undeliverable: %w)", err, cause)
		}
		s.drop(len(recs), err)
		return
	}
	s.counters.Spooled(len(recs))
	s.kickProber()
}

func (s *sink) drop(n int, err error) {
	err = fmt.Errorf("httpsink: dropped %d records: %w", n, s.scrub(err))
	s.counters.Dropped(n)
	s.counters.SetError(err)
	s.report(err)
	if !s.draining.Load() {
		s.gap.Add(n, err, s.now())
	}
}

// openBreaker notes that the collector is down: until probeAt, batches go
// to the spool without a request; the wait grows like the back-off.
func (s *sink) openBreaker(err error) {
	if !s.failing {
		s.failing = true
		s.cooldown = s.c.Backoff.InitialInterval
		s.report(fmt.Errorf("httpsink: %s is not answering; spooling batches until it does: %w", s.c.endpoint, err))
	} else {
		s.cooldown = min(time.Duration(float64(s.cooldown)*s.c.Backoff.Multiplier), s.c.Backoff.MaxInterval)
	}
	s.probeAt = s.now().Add(s.cooldown)
	s.kickProber()
}

// replay sends the spool, oldest first, at most frames frames (0: all),
// each with the same retries and back-off as a live batch; a frame that
// still fails stops it and opens the breaker. Called with sendMu held: a
// small frames lets live batches take their turn on the connection
// between frames.
func (s *sink) replay(ctx context.Context, frames int) {
	sent := 0
	_, _ = s.spool.Replay(ctx, func(recs [][]byte) error {
		if frames > 0 && sent == frames {
			return errYield // left in the spool for the next turn
		}
		sent++
		var stop error
		// Replayed is what the collector took of these records: the
		// growth of Written, which only send moves, under sendMu.
		written := s.counters.Snapshot().Written
		settled, _ := s.ship(ctx, recs, true, func(r [][]byte, err error) bool {
			if retryable(err) && !errors.Is(err, errRefusedItems) && !(tooLarge(err) && len(r) == 1) {
				stop = err
				return false
			}
			s.drop(len(r), err) // refused for good: it had its second chance
			return true
		})
		s.counters.Replayed(int(s.counters.Snapshot().Written - written))
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
var errYield = errors.New("httpsink: replay: live batches' turn")

// probe is the prober goroutine: it replays the spool when no batches
// flow to do it (at start, after an overflow, when the breaker's wait is
// over), so that a spool is not left waiting for the next log record.
func (s *sink) probe() {
	defer close(s.proberDone)
	t := time.NewTimer(time.Hour)
	t.Stop()
	defer t.Stop()
	for {
		select {
		case <-s.proberCtx.Done():
			return
		case <-s.kick:
		case <-t.C:
		}
		if s.spool.Len() == 0 {
			continue
		}
		if d := s.replayIdle(); d > 0 {
			t.Reset(d)
		}
	}
}

// replayIdle replays the spool if the breaker allows, and returns when to
// look again (0: when kicked).
func (s *sink) replayIdle() time.Duration {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if s.failing {
		if d := s.probeAt.Sub(s.now()); d > 0 {
			return d
		}
	}
	s.replay(s.proberCtx, 1)
	if s.failing {
		return max(s.probeAt.Sub(s.now()), time.Millisecond)
	}
	if s.spool.Len() > 0 {
		// More to replay: go on at once, after the sender has had its
		// chance at the lock.
		return time.Microsecond
	}
	return 0
}

// send delivers recs with one request, retried as the options say. It
// counts every attempt in the stats.
func (s *sink) send(ctx context.Context, recs [][]byte, retry bool) error {
	now := s.now()
	s.body = s.enc.encode(s.body[:0], recs, now)
	payload := s.body
	if s.gz != nil {
		s.zbody.Reset()
		s.gz.Reset(&s.zbody)
		s.gz.Write(s.body) // a zbuf never fails
		s.gz.Close()
		payload = s.zbody.b
	}
	size, n := 0, len(recs)
	for _, r := range recs {
		size += len(r)
	}
	if i := s.gapIndex(recs); i >= 0 {
		size, n = size-len(recs[i]), n-1 // the gap record is not a record of the program's
	}
	s.bo.Reset()
	for try := 0; ; try++ {
		if try > 0 {
			s.counters.Retried()
		}
		actx, cancel := ctx, context.CancelFunc(func() {})
		if s.draining.Load() {
			// Shutdown: no attempt outlives the collector's silence budget.
			actx, cancel = context.WithDeadline(ctx, s.answerAt().Add(s.c.Timeout+drainGrace))
		}
		ae := s.post(actx, payload, recs)
		cancel()
		if ae == nil || statusOf(ae.err) != nil {
			s.lastAnswer.Store(s.now().UnixNano()) // it answered: it is up
		}
		if ae == nil {
			s.counters.Wrote(n, size, s.now())
			if s.failing {
				s.failing, s.cooldown = false, 0
			}
			s.rep.Up()
			return nil
		}
		var be *bulkError
		if errors.As(ae.err, &be) {
			s.wroteBulk(recs, size, be)
		}
		err := fmt.Errorf("httpsink: send batch of %d records to %s: %w", len(recs), s.c.endpoint, ae.err)
		if ctx.Err() != nil {
			// Given up by Shutdown: not the collector's failure.
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		}
		err = s.scrub(err)
		s.counters.Failed(err)
		if !s.rep.HasHandler() && retryable(err) {
			s.rep.Down(err) // standard error: the first failure at once, then a line per interval
		}
		if be != nil {
			return err // delivered in part: ship sorts the items out
		}
		if tooLarge(err) || !retryable(err) || !retry || try >= s.c.MaxRetries {
			return err
		}
		wait := s.bo.NextBackOff()
		if wait == backoff.Stop {
			return fmt.Errorf("%w (retried for %v)", err, s.bo.GetElapsedTime().Round(time.Millisecond))
		}
		if ae.hasAfter {
			wait = min(ae.retryAfter, s.c.Backoff.MaxInterval)
			if m := s.bo.MaxElapsedTime; m != 0 && s.bo.GetElapsedTime()+wait > m {
				// The collector asks for a wait past the time to retry.
				return fmt.Errorf("%w (retried for %v; Retry-After %v would pass MaxElapsedTime %v)",
					err, s.bo.GetElapsedTime().Round(time.Millisecond), wait, m)
			}
		}
		if s.draining.Load() {
			if s.silent() {
				return fmt.Errorf("%w (gave up: shutting down, and no answer for %v)", err, s.c.Timeout+drainGrace)
			}
			wait = min(wait, drainGrace)
		}
		// A wait begun before Shutdown ends when Shutdown begins; one
		// begun during it is short (drainGrace at most) and is kept, so
		// that a refusing collector is not retried in a busy loop.
		sctx, cancel := context.WithCancel(ctx)
		stop := func() bool { return false }
		if !s.draining.Load() {
			stop = context.AfterFunc(s.drainCtx, cancel)
		}
		cerr := s.sleep(sctx, wait)
		stop()
		cancel()
		if cerr != nil && !(s.draining.Load() && ctx.Err() == nil) {
			return fmt.Errorf("%w (gave up: %w)", err, cerr)
		}
	}
}

// gapIndex returns the index of the gap record in recs, or -1.
func (s *sink) gapIndex(recs [][]byte) int {
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

// wroteBulk counts the items of recs a bulk response accepted: all but
// the refused ones and those to retry.
func (s *sink) wroteBulk(recs [][]byte, size int, be *bulkError) {
	n := len(recs) - len(be.refused) - len(be.again)
	for _, idx := range [...][]int{be.refused, be.again} {
		for _, i := range idx {
			size -= len(recs[i])
		}
	}
	if n > 0 {
		s.counters.Wrote(n, size, s.now())
	}
}

// post makes one request with payload, sealed afresh if encryption is on.
func (s *sink) post(ctx context.Context, payload []byte, recs [][]byte) *attemptError {
	ctx, cancel := context.WithTimeout(ctx, s.c.Timeout)
	defer cancel()
	body := payload
	if s.aead != nil {
		var err error
		if s.sealed, err = seal(s.aead, s.sealed[:0], payload); err != nil {
			return &attemptError{err: err}
		}
		body = s.sealed
	}
	req, err := http.NewRequestWithContext(ctx, s.c.Method, s.c.url.String(), bytes.NewReader(body))
	if err != nil {
		return &attemptError{err: err}
	}
	h := req.Header
	ct := s.c.Encoding.contentType()
	if s.aead != nil {
		h.Set("Content-Type", "application/octet-stream")
		h.Set(EncryptionHeader, encryptionName)
		h.Set(ContentTypeHeader, ct)
		if s.gz != nil {
			h.Set(ContentEncodingHeader, "gzip")
		}
	} else {
		h.Set("Content-Type", ct)
		if s.gz != nil {
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("User-Agent", "multi-httpsink/1")
	for k, vs := range s.c.Headers {
		h[k] = vs
	}
	switch {
	case s.c.BearerToken != "":
		h.Set("Authorization", "Bearer "+s.c.BearerToken)
	case s.c.TokenFunc != nil:
		tok, err := s.c.TokenFunc(ctx)
		if err != nil {
			return &attemptError{err: fmt.Errorf("token: %w", err)}
		}
		s.addSecrets(tok)
		h.Set("Authorization", "Bearer "+tok)
	}

	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL, query and all
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			err = fmt.Errorf("no response within Timeout %v: %w", s.c.Timeout, err)
		}
		return &attemptError{err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		if s.c.Encoding == ElasticsearchBulk {
			return s.bulkResult(resp, len(recs))
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // keep the connection
		return nil
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, bodySnippet))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	ae := &attemptError{err: &StatusError{
		StatusCode: resp.StatusCode,
		Status:     s.scrubString(resp.Status),
		Body:       s.scrubString(strings.ToValidUTF8(string(snippet), "\uFFFD")),
	}}
	ae.retryAfter, ae.hasAfter = parseRetryAfter(resp.Header.Get("Retry-After"), s.now())
	return ae
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an
// HTTP-date (RFC 9110, 10.2.3).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// errRefusedItems marks the items of a bulk request refused for good.
var errRefusedItems = errors.New("refused by the bulk API")

// bulkError is a 2xx bulk response with failed items: refused ones are
// lost for good, the others (429, 5xx) may be sent again. Its Is matches
// errRefusedItems when some were refused.
type bulkError struct {
	refused, again []int
	first          string // the first refused item's error, for the report
}

func (e *bulkError) Error() string {
	if len(e.refused) == 0 {
		return fmt.Sprintf("bulk response: %d items to retry", len(e.again))
	}
	return fmt.Sprintf("bulk response: %d items refused (%s), %d to retry", len(e.refused), e.first, len(e.again))
}

func (e *bulkError) Is(target error) bool { return target == errRefusedItems && len(e.refused) > 0 }

// bulkResult reads an Elasticsearch bulk response: a 200 may still carry
// per-item failures ("errors":true).
func (s *sink) bulkResult(resp *http.Response, n int) *attemptError {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return &attemptError{err: fmt.Errorf("read bulk response: %w", err)}
	}
	if !bulkHasErrors(body) {
		return nil
	}
	var r struct {
		Items []map[string]struct {
			Status int             `json:"status"`
			Error  json.RawMessage `json:"error"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return &attemptError{err: fmt.Errorf("bulk response: %w", err)}
	}
	be := &bulkError{}
	for i, item := range r.Items {
		if i >= n {
			break
		}
		for _, res := range item {
			switch {
			case res.Status/100 == 2:
			case retryableStatus(res.Status):
				be.again = append(be.again, i)
			default:
				be.refused = append(be.refused, i)
				if be.first == "" {
					be.first = s.scrubString(string(res.Error))
					if len(be.first) > bodySnippet {
						be.first = be.first[:bodySnippet]
					}
				}
			}
		}
	}
	if len(be.refused) == 0 && len(be.again) == 0 {
		return nil
	}
	return &attemptError{err: be}
}

// bulkHasErrors reports whether a bulk response says "errors": true,
// with or without spaces around the colon, as a pretty-printing proxy may
// send it. It only decides whether to read the items: a false positive
// (the text inside a string) costs a parse, nothing more.
func bulkHasErrors(body []byte) bool {
	key := []byte(`"errors"`)
	for {
		i := bytes.Index(body, key)
		if i < 0 {
			return false
		}
		body = body[i+len(key):]
		j := jsonx.SkipSpace(body, 0)
		if j < len(body) && body[j] == ':' {
			j = jsonx.SkipSpace(body, j+1)
			if bytes.HasPrefix(body[j:], []byte("true")) {
				return true
			}
		}
	}
}

// zbuf is a growable byte buffer that keeps its memory across Resets.
type zbuf struct{ b []byte }

func (z *zbuf) Write(p []byte) (int, error) { z.b = append(z.b, p...); return len(p), nil }
func (z *zbuf) Reset()                      { z.b = z.b[:0] }

// scrub returns err with every secret in its message replaced. An error
// that needed scrubbing loses its chain (which holds the secret), except
// for the sentinels callers test for.
func (s *sink) scrub(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := s.scrubString(msg)
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, status: statusOf(err)}
}

func statusOf(err error) *StatusError {
	var se *StatusError
	if errors.As(err, &se) {
		c := *se
		return &c
	}
	return nil
}

type scrubbedError struct {
	msg    string
	status *StatusError
}

func (e *scrubbedError) Error() string { return e.msg }

func (e *scrubbedError) Unwrap() error {
	if e.status == nil {
		return nil
	}
	return e.status
}

const redacted = "[REDACTED]"

func (s *sink) scrubString(msg string) string {
	for _, sec := range *s.secrets.Load() {
		if len(sec) >= 4 && strings.Contains(msg, sec) {
			msg = strings.ReplaceAll(msg, sec, redacted)
		}
	}
	return msg
}

func (s *sink) setSecrets(sec []string) {
	sec = slices.Clone(sec)
	s.secrets.Store(&sec)
}

// addSecrets adds values to the secrets removed from errors, keeping the
// ones from Options and the last few tokens.
func (s *sink) addSecrets(vals ...string) {
	old := *s.secrets.Load()
	for _, v := range vals {
		if v == "" || slices.Contains(old, v) {
			continue
		}
		fixed := len(s.c.secrets)
		next := append(slices.Clone(old), v)
		if len(next)-fixed > 8 { // tokens rotate: keep the latest
			next = slices.Delete(next, fixed, fixed+1)
		}
		old = next
	}
	s.secrets.Store(&old)
}
