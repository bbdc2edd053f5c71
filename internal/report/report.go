// Package report carries a sink's runtime errors to where people see them,
// under the one ErrorHandler contract every sink in this module states by
// linking here (see the root package doc, "Errors"):
//
//   - With an ErrorHandler, every error goes to it, with secrets already
//     removed by the sink. Drops for one reason are folded into at most one
//     call a second ("dropped 412 records: queue full").
//   - The handler is called with no lock of the sink held, on the goroutine
//     that met the error (a network sink's delivery goroutine, or the
//     logging goroutine for a local write), and never twice at once for one
//     sink: an error met while the handler runs (on any goroutine) is
//     counted and named in the next call ("and 3 more errors"). So the
//     handler may log, even to the sink that failed, without deadlock or
//     recursion.
//   - Without an ErrorHandler, the same reports go to standard error, at
//     most one line per sink every Interval (5s): the first failure at once,
//     each change of health (down, recovered), and what was dropped since
//     the last line. A line held back by the limit is written when the
//     interval ends, and at Close, so an exit still shows the last summary.
//     A program that wants silence sets ErrorHandler to a function that
//     does nothing.
package report

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Interval is the least time between two lines a Reporter writes to
// standard error.
const Interval = 5 * time.Second

// dropEvery is the least time between two drop reports to an ErrorHandler.
const dropEvery = time.Second

// Reporter reports one sink's runtime errors. Build it with [New]; the zero
// value is not usable. It is safe for concurrent use.
type Reporter struct {
	name    string      // "httpsink http://host/path", the prefix of stderr lines
	handler func(error) // nil: standard error
	out     io.Writer
	now     func() time.Time
	every   time.Duration

	busy     atomic.Bool // the handler is running
	refused  atomic.Bool // the first refusal after Shutdown was reported
	lastDrop atomic.Int64
	muteDrop atomic.Int64 // drops not yet reported to the handler

	mu       sync.Mutex
	closed   bool
	lastLine time.Time
	timer    *time.Timer
	held     string                 // the newest line held back by the limit
	missed   int                    // errors not shown since the last line (or call)
	armed    atomic.Bool            // a held line waits for the timer: drops need not lock
	dropped  atomic.Int64           // records dropped since the last line
	dropWhy  atomic.Pointer[errBox] // the first drop reason since the last line
	down     bool
	downAt   time.Time
}

// New returns a Reporter for the sink called name (used as the prefix of
// standard error lines; it must hold no secret). handler may be nil.
func New(name string, handler func(error)) *Reporter {
	return &Reporter{name: name, handler: handler, out: os.Stderr, now: time.Now, every: Interval}
}

// HasHandler reports whether errors go to an ErrorHandler.
func (r *Reporter) HasHandler() bool { return r.handler != nil }

// Error reports err, a runtime error of the sink. A nil err is ignored.
func (r *Reporter) Error(err error) {
	if err == nil {
		return
	}
	if r.handler != nil {
		r.call(err)
		return
	}
	r.line(err.Error())
}

// Dropped reports n records lost for reason.
func (r *Reporter) Dropped(n int, reason error) {
	if n <= 0 {
		return
	}
	if r.handler != nil {
		now := r.now().UnixNano()
		last := r.lastDrop.Load()
		if now-last < int64(dropEvery) || !r.lastDrop.CompareAndSwap(last, now) {
			r.muteDrop.Add(int64(n))
			return
		}
		n += int(r.muteDrop.Swap(0))
		r.call(fmt.Errorf("dropped %d records: %w", n, reason))
		return
	}
	r.dropped.Add(int64(n))
	if r.dropWhy.Load() == nil {
		r.dropWhy.CompareAndSwap(nil, &errBox{reason}) // once a line, not once a drop
	}
	if r.armed.Load() {
		return // the timer's line will count it: no lock on the caller's path
	}
	r.line("")
}

// Down reports that the destination started failing with err. Only the
// change is reported: a Down while already down counts as one more error.
func (r *Reporter) Down(err error) {
	r.mu.Lock()
	was := r.down
	if !was {
		r.down, r.downAt = true, r.now()
	}
	r.mu.Unlock()
	if was {
		r.Error(err)
		return
	}
	if r.handler != nil {
		r.call(err)
		return
	}
	r.line("down: " + err.Error())
}

// Up reports that the destination answers again after a Down. To an
// ErrorHandler it says nothing: a recovery is not an error.
func (r *Reporter) Up() {
	r.mu.Lock()
	if !r.down {
		r.mu.Unlock()
		return
	}
	r.down = false
	d := r.now().Sub(r.downAt).Round(time.Millisecond)
	r.mu.Unlock()
	if r.handler == nil {
		r.line(fmt.Sprintf("recovered after %v", d))
	}
}

// Refused reports err, a record refused because the sink is shut down, the
// first time only; later refusals are only counted by the sink. The
// report skips the rate limit of standard error.
func (r *Reporter) Refused(err error) {
	if err == nil || r.refused.Swap(true) {
		return
	}
	if r.handler != nil {
		r.call(err)
		return
	}
	r.mu.Lock()
	r.lastLine = time.Time{}
	r.mu.Unlock()
	r.line(err.Error() + " (later records refused are counted in Stats().Dropped, not reported)")
}

// Close writes what the limit still holds back and stops the timer. Later
// reports are still written; Close only makes sure nothing waits on a timer
// that a program's exit would cut.
func (r *Reporter) Close() {
	if r.handler != nil {
		if n := int(r.muteDrop.Swap(0)); n > 0 {
			r.call(fmt.Errorf("dropped %d records", n))
		}
		return
	}
	r.mu.Lock()
	r.closed = true
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.armed.Store(false)
	s := r.takeLocked("")
	r.mu.Unlock()
	r.write(s)
}

// call hands err to the handler unless it is already running.
func (r *Reporter) call(err error) {
	if !r.busy.CompareAndSwap(false, true) {
		r.mu.Lock()
		r.missed++
		r.mu.Unlock()
		return
	}
	defer r.busy.Store(false)
	r.mu.Lock()
	missed := r.missed
	r.missed = 0
	r.mu.Unlock()
	if missed > 0 {
		err = &moreError{err: err, more: missed}
	}
	r.handler(err)
}

// errBox holds a drop reason for an atomic.Pointer.
type errBox struct{ err error }

// moreError is an error that stands for others not shown.
type moreError struct {
	err  error
	more int
}

func (e *moreError) Error() string {
	return fmt.Sprintf("%v (and %d more errors while the ErrorHandler ran)", e.err, e.more)
}
func (e *moreError) Unwrap() error { return e.err }

// line writes msg (empty: only a drop summary) to standard error now, or
// holds it for the end of the interval.
func (r *Reporter) line(msg string) {
	r.mu.Lock()
	now := r.now()
	if !r.lastLine.IsZero() && now.Sub(r.lastLine) < r.every {
		if msg != "" {
			if r.held != "" {
				r.missed++
			}
			r.held = msg
		}
		if r.timer == nil && !r.closed {
			r.timer = time.AfterFunc(r.every-now.Sub(r.lastLine), r.release)
			r.armed.Store(true)
		}
		r.mu.Unlock()
		return
	}
	s := r.takeLocked(msg)
	r.lastLine = now
	r.mu.Unlock()
	r.write(s)
}

// release writes the held line when the interval ends.
func (r *Reporter) release() {
	r.mu.Lock()
	r.timer = nil
	r.armed.Store(false)
	s := r.takeLocked("")
	if s != "" {
		r.lastLine = r.now()
	}
	r.mu.Unlock()
	r.write(s)
}

// takeLocked builds the line for msg and whatever is held, and clears them.
func (r *Reporter) takeLocked(msg string) string {
	if msg == "" {
		msg, r.held = r.held, ""
	} else if r.held != "" {
		r.missed++
		r.held = ""
	}
	var extra []string
	if r.missed > 0 {
		extra = append(extra, fmt.Sprintf("%d more errors", r.missed))
	}
	if n := r.dropped.Swap(0); n > 0 {
		var why error
		if b := r.dropWhy.Swap(nil); b != nil {
			why = b.err
		}
		extra = append(extra, fmt.Sprintf("%d records dropped (%v)", n, why))
	}
	r.missed = 0
	switch {
	case msg == "" && len(extra) == 0:
		return ""
	case msg == "":
		msg = strings.Join(extra, ", ")
	case len(extra) > 0:
		msg += "; since the last line: " + strings.Join(extra, ", ")
	}
	return "multi: " + r.name + ": " + msg + "\n"
}

func (r *Reporter) write(s string) {
	if s != "" {
		io.WriteString(r.out, s) //nolint:errcheck // standard error is the last resort
	}
}

// Rewrap returns err with its leading "buffer: " (the package that made
// it) replaced by prefix, so that a sink's error reads "httpsink: shutdown:
// dropped 12 queued records" rather than "httpsink: shutdown: buffer:
// shutdown: ...". errors.Is and errors.As still see err.
func Rewrap(prefix string, err error) error {
	if err == nil {
		return nil
	}
	return &rewrapped{msg: prefix + strings.TrimPrefix(err.Error(), "buffer: "), err: err}
}

type rewrapped struct {
	msg string
	err error
}

func (e *rewrapped) Error() string { return e.msg }
func (e *rewrapped) Unwrap() error { return e.err }

// Rewrapper is [Rewrap] for a path that must not allocate, such as a
// Handle that returns the buffer's queue-full error: it keeps the last
// error it rewrapped, and the buffer returns the same few error values
// again and again. The zero value is not usable; set Prefix.
type Rewrapper struct {
	Prefix string
	last   atomic.Pointer[rewrapPair]
}

type rewrapPair struct{ in, out error }

// Wrap is Rewrap(w.Prefix, err), from the cache when err is the last one.
func (w *Rewrapper) Wrap(err error) error {
	if p := w.last.Load(); p != nil && p.in == err {
		return p.out
	}
	out := Rewrap(w.Prefix, err)
	w.last.Store(&rewrapPair{in: err, out: out})
	return out
}
