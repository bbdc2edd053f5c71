// Package multi is a suite of log/slog handlers that send each record to
// several destinations at once: a coloured console (package console), a
// rotating, compressing file (package file), an HTTP log collector (package
// httpsink) and a WebSocket stream (package wssink). Every destination is a
// plain [slog.Handler]; [New] fans a record out to any number of them, each
// with its own level.
//
// # Levels
//
// multi adds two levels to slog's four: [LevelTrace] (-8) below DEBUG and
// [LevelCritical] (12) above ERROR. Every format in this module names levels
// the same way: TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, and "INFO+2" style
// for the levels in between (see [LevelString] and [ParseLevel]).
//
// # Lifecycle
//
// Every sink in this module implements [Flusher], [Shutdowner] and [Reporter].
// Handlers derived with WithAttrs or WithGroup share their parent's
// destination, so flushing or shutting down any of them reaches it. [Flush]
// and [Shutdown] walk a whole handler tree, through [Handler] fan-outs,
// [MinLevel] wrappers and the policies [Sample], [Route] and [Failover],
// so a program needs one call at exit:
//
//	defer multi.Shutdown(context.Background(), logger.Handler())
//
// After Shutdown, Handle returns an error wrapping [ErrClosed] and counts the
// record as dropped; it never panics. The console sink is the exception: it
// holds nothing to release and keeps writing. And if slog.Default writes
// only to the tree being shut down, [Shutdown] first makes the default a
// slog.TextHandler on os.Stderr, so that log calls made after it (by a
// goroutine still running at exit, or through the standard log package)
// print instead of vanishing.
//
// # Sampling
//
// [Sample] thins floods of alike records before they reach a handler, as
// zap's sampler does: per key (level and message by default, or call site,
// or an attribute's value), the first records of each tick pass, then every
// Nth; an optional cap bounds a whole tick; WARN and above always pass. A
// sampled record is not lost by accident, so it is counted in
// [Stats].Sampled, not in Dropped, and an optional summary record says how
// many records like it were dropped. The tick is read from the records'
// own times, so sampling needs no goroutine and tests steer it with the
// times of the records they log.
//
// # Routing
//
// [Route] sends each record to the handlers of the rules that take it, by
// level, message, an attribute's value (one bound with With included) or
// a value of the ctx: every rule that matches, or only the first. A record
// no rule takes goes nowhere and is not counted: a catch-all rule last
// keeps everything. The routes' handlers are treated as [New]'s children
// (errors named, panics recovered, Flush, Shutdown and Stats reaching each,
// shared destinations counted once).
//
// # Failover
//
// [Failover] sends each record to one handler chosen by health: the
// primary while it is healthy, else the first healthy secondary, and the
// primary again once it has stayed healthy for a hold time (10s by
// default). Health is read as records arrive, so a primary must recover
// by itself: a network sink with a Spool does.
//
// # Delivery
//
// A record accepted by a sink's Handle is written, or spooled to disk, or
// counted in [Stats].Dropped: it never vanishes without a counter moving.
// Runtime delivery errors go to Stats and to the sink's ErrorHandler, never
// to the destination that failed, and never contain secrets.
//
// # Errors
//
// Every sink in this module (console, file, httpsink, wssink) reports its
// runtime errors under one contract:
//
//   - With an ErrorHandler in its Options, every error goes to it, secrets
//     removed. It is called with no lock of the sink held, on the goroutine
//     that met the error: the sink's own goroutine for delivery, the
//     logging goroutine for a write that failed there. It is never called
//     twice at once for one sink: an error met while it runs is counted and
//     named in its next call ("and 3 more errors"). So it may log, even to
//     the sink that failed, without deadlock or recursion. Drops for one
//     reason are folded into at most one call a second.
//   - Without one, the network sinks and file write to standard error, at
//     most one line per sink every five seconds: the first failure at once,
//     each change of health (down, recovered), and a summary of what was
//     dropped, the last one written at Shutdown. An ErrorHandler that does
//     nothing silences them. (console reports nothing there: standard error
//     is usually what failed.)
//   - Every sink but console, which keeps writing, reports the first record
//     it refuses after Shutdown, once, and counts every one in
//     Stats.Dropped.
package multi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Levels beyond slog's four.
const (
	// LevelTrace is below slog.LevelDebug, for the most verbose output.
	LevelTrace slog.Level = -8
	// LevelCritical is above slog.LevelError, for failures that need a human now.
	LevelCritical slog.Level = 12
)

// ErrClosed is returned (wrapped) by Handle, Flush and writes of a sink that
// has been shut down (every sink but the console, which keeps writing).
var ErrClosed = errors.New("handler is shut down")

// LevelString names a level as every format in this module does: TRACE,
// DEBUG, INFO, WARN, ERROR, CRITICAL, and for levels in between the nearest
// name below with an offset, as slog does ("INFO+2", "TRACE+1", "CRITICAL+3").
// Levels below TRACE are "TRACE-n".
func LevelString(l slog.Level) string {
	return string(AppendLevel(nil, l))
}

// AppendLevel appends LevelString(l) to b without allocating.
func AppendLevel(b []byte, l slog.Level) []byte {
	base, name := nearestLevel(l)
	b = append(b, name...)
	if d := int64(l - base); d != 0 {
		if d > 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, d, 10)
	}
	return b
}

func nearestLevel(l slog.Level) (slog.Level, string) {
	switch {
	case l < slog.LevelDebug:
		return LevelTrace, "TRACE"
	case l < slog.LevelInfo:
		return slog.LevelDebug, "DEBUG"
	case l < slog.LevelWarn:
		return slog.LevelInfo, "INFO"
	case l < slog.LevelError:
		return slog.LevelWarn, "WARN"
	case l < LevelCritical:
		return slog.LevelError, "ERROR"
	default:
		return LevelCritical, "CRITICAL"
	}
}

var levelNames = map[string]slog.Level{
	"TRACE":    LevelTrace,
	"DEBUG":    slog.LevelDebug,
	"INFO":     slog.LevelInfo,
	"WARN":     slog.LevelWarn,
	"WARNING":  slog.LevelWarn,
	"ERROR":    slog.LevelError,
	"CRITICAL": LevelCritical,
	"FATAL":    LevelCritical,
}

// ParseLevel reads a level: a name in any case (trace, debug, info, warn,
// warning, error, critical, fatal), a name with an offset ("INFO+2",
// "error-1"), or an integer ("-4", "12"). Surrounding spaces are ignored.
// Anything else, including an offset that would take the level out of the
// range of an int, is an error that quotes the input.
func ParseLevel(s string) (slog.Level, error) {
	t := strings.TrimSpace(s)
	if n, err := strconv.Atoi(t); err == nil {
		return slog.Level(n), nil
	}
	name, off := t, 0
	if i := strings.IndexAny(t, "+-"); i > 0 {
		name = t[:i]
		n, err := strconv.Atoi(t[i:])
		if err != nil || (t[i+1:] != "" && (t[i+1] < '0' || t[i+1] > '9')) {
			return 0, fmt.Errorf("multi: level %q: offset %q is not an integer", s, t[i:])
		}
		off = n
	}
	base, ok := levelNames[strings.ToUpper(name)]
	if !ok {
		return 0, fmt.Errorf("multi: level %q is not one of trace, debug, info, warn, warning, error, critical, fatal, an offset like INFO+2, or an integer", s)
	}
	l := base + slog.Level(off)
	if off > 0 && l < base || off < 0 && l > base { // wrapped around
		return 0, fmt.Errorf("multi: level %q: offset %q is out of range", s, t[len(name):])
	}
	return l, nil
}

// A Flusher writes out everything handed to it before the call, or returns
// when ctx ends with an error saying how much is still pending.
type Flusher interface {
	Flush(ctx context.Context) error
}

// A Shutdowner flushes, then releases its files, connections and goroutines.
// Shutdown is idempotent: a later call waits for the first to finish and
// returns nil, or returns an error wrapping its own ctx's error if that
// ends first.
type Shutdowner interface {
	Shutdown(ctx context.Context) error
}

// A Reporter reports what a handler has done and whether its destination is
// working.
type Reporter interface {
	Stats() Stats
	Healthy() bool
}

// A Sink is the whole contract every handler in this module keeps.
type Sink interface {
	slog.Handler
	Flusher
	Shutdowner
	Reporter
}

// A RecordBorrower is a handler that only reads the slog.Record passed to
// Handle during the call: it neither keeps the record nor modifies it. [New]
// hands such children the caller's record without paying for Record.Clone.
// Every sink in this module is a RecordBorrower.
type RecordBorrower interface {
	BorrowsRecords()
}

// A SafeEnabler is a handler that can say whether its Enabled never
// panics. [Handler.Enabled] guards its children's Enabled with a deferred
// recover, which costs about as much as the children's Enabled themselves
// (a few nanoseconds on every log call, enabled or not); when every child
// reports true here, it calls them without one. The console and file
// sinks and package format's Handler report true unless their Level is a
// Leveler of the caller's other than slog.Level and *slog.LevelVar. A
// Handler reports true: its Enabled never panics.
//
// slog's own JSONHandler and TextHandler are called without a guard too,
// once New has called their Enabled and seen it return: their Enabled is
// their HandlerOptions.Level's Level and nothing else, and the Leveler
// that panics in practice, a nil *slog.LevelVar, panics on every call (it
// is then guarded, and its panic reported by Handle). So a fan-out of
// them costs what slog.NewMultiHandler of them costs, which guards
// nothing. The one case left unguarded is a Leveler of your own, given to
// slog's handlers, that panics only now and then.
type SafeEnabler interface {
	EnabledCannotPanic() bool
}

// A Sharer is a handler that may share its destination, and so its Stats,
// with other handlers: those derived from it with WithAttrs and WithGroup,
// and, for some sinks, others opened on the same destination (two file
// handlers on one path share one writer). Destination returns a comparable
// value that is the same for every handler writing to the same destination.
// [Handler.Stats] counts each destination once, however many of its
// children report it. Every sink in this module is a Sharer.
type Sharer interface {
	Destination() any
}

// Stats counts what a handler has done since it was created. Counters only
// grow; Queued is a gauge.
type Stats struct {
	Written  uint64 // records delivered to the destination
	Bytes    uint64 // bytes delivered, before compression
	Dropped  uint64 // records lost, each for a reason reported through LastError or ErrorHandler
	Failed   uint64 // failed attempts to write or send (a retried batch counts once per attempt)
	Retries  uint64 // attempts that were retries of an earlier failed one
	Spooled  uint64 // records written to the disk spool
	Replayed uint64 // records read back from the spool and delivered
	Queued   int64  // records accepted but not yet delivered, spooled or dropped
	Sampled  uint64 // records a [Sample] wrapper dropped on purpose; not in Dropped
	// Volatile counts records a network sink with a spool kept in memory
	// only, because its journal was full or its disk broken: those, unlike
	// the rest, are lost if the process is killed before they are
	// delivered (see package delivery, Spool).
	Volatile uint64

	LastWrite     time.Time // when a write last succeeded
	LastError     error     // the most recent delivery error; never contains secrets
	LastErrorTime time.Time // when LastError happened
}

// Add returns the sum of s and o. Counters add; of the times, the later one
// wins, and LastError is the later of the two errors.
func (s Stats) Add(o Stats) Stats {
	s.Written += o.Written
	s.Bytes += o.Bytes
	s.Dropped += o.Dropped
	s.Failed += o.Failed
	s.Retries += o.Retries
	s.Spooled += o.Spooled
	s.Replayed += o.Replayed
	s.Queued += o.Queued
	s.Sampled += o.Sampled
	s.Volatile += o.Volatile
	if o.LastWrite.After(s.LastWrite) {
		s.LastWrite = o.LastWrite
	}
	if o.LastError != nil && (s.LastError == nil || o.LastErrorTime.After(s.LastErrorTime)) {
		s.LastError, s.LastErrorTime = o.LastError, o.LastErrorTime
	}
	return s
}

// unwrapper is implemented by handlers that wrap one other handler.
type unwrapper interface {
	Unwrap() slog.Handler
}

// Flush flushes every handler in the tree rooted at h: h itself if it is a
// [Flusher], the children of a [Handler], and the handler behind any wrapper
// with an Unwrap() slog.Handler method. Handlers that buffer nothing are
// skipped. Errors are joined.
func Flush(ctx context.Context, h slog.Handler) error {
	if f, ok := h.(Flusher); ok {
		return f.Flush(ctx)
	}
	if u, ok := h.(unwrapper); ok {
		return Flush(ctx, u.Unwrap())
	}
	return nil
}

// Shutdown flushes and shuts down every handler in the tree rooted at h, as
// [Flush] walks it. Call it once at exit; it is idempotent.
//
// If the default logger (slog.Default) writes only to the tree being shut
// down, as after slog.SetDefault(slog.New(h)) or a logger derived from it
// with With, Shutdown first makes the default a slog.TextHandler on
// os.Stderr at level INFO, so that a later slog.Info, and the standard log
// package, still print instead of going to sinks that refuse them. A
// default that also writes elsewhere, or to another tree (a program that
// built a new tree, made it the default, and is shutting the old one
// down), is left alone.
func Shutdown(ctx context.Context, h slog.Handler) error {
	releaseDefault(h)
	return shutdown(ctx, h)
}

func shutdown(ctx context.Context, h slog.Handler) error {
	switch x := h.(type) {
	case *Handler:
		return x.shutdown(ctx)
	case *sampler:
		return x.shutdown(ctx)
	case *router:
		return x.fan.shutdown(ctx)
	case *failover:
		return x.fan.shutdown(ctx)
	}
	if s, ok := h.(Shutdowner); ok {
		return s.Shutdown(ctx)
	}
	if u, ok := h.(unwrapper); ok {
		return shutdown(ctx, u.Unwrap())
	}
	return nil
}

// releaseDefault makes the default logger a text handler on stderr if it
// writes only to destinations in the tree h, which is about to be shut
// down, and h has something to shut down.
func releaseDefault(h slog.Handler) {
	defer func() { _ = recover() }() // a child's Destination that panics must not stop the shutdown
	def := slog.Default()
	if !onlyInto(def.Handler(), h) {
		return
	}
	fallback := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if slog.Default() == def { // unless the program changed it meanwhile
		slog.SetDefault(fallback)
	}
}

// onlyInto reports whether every destination the tree d writes to is one of
// the tree h's, and h has a Shutdowner: d is h, a handler derived from h
// (whose sinks share h's destinations), or a wrapper around either. A
// destination is a Sharer's Destination, or a leaf handler itself when it
// is comparable; a leaf that is neither counts as one h does not have.
func onlyInto(d, h slog.Handler) bool {
	if d == nil || h == nil {
		return false
	}
	if isComparable(d) && isComparable(h) && d == h {
		return hasShutdowner(h)
	}
	var ours []any
	shuts := false
	walkLeaves(h, func(l slog.Handler) {
		if _, ok := l.(Shutdowner); ok {
			shuts = true
		}
		if k := destKey(l); k != nil {
			ours = append(ours, k)
		}
	})
	if !shuts || len(ours) == 0 {
		return false
	}
	all, some := true, false
	walkLeaves(d, func(l slog.Handler) {
		some = true
		k := destKey(l)
		if k == nil || !slices.Contains(ours, k) {
			all = false
		}
	})
	return some && all
}

func hasShutdowner(h slog.Handler) bool {
	found := false
	walkLeaves(h, func(l slog.Handler) {
		if _, ok := l.(Shutdowner); ok {
			found = true
		}
	})
	return found
}

// walkLeaves calls f for each leaf of the tree h: the children of fan-outs
// and what wrappers (MinLevel, anything with Unwrap) wrap, down to the
// handlers that are neither. A leaf is a Shutdowner or Sharer itself (a
// sink), or a handler with no Unwrap.
func walkLeaves(h slog.Handler, f func(slog.Handler)) {
	switch x := h.(type) {
	case *Handler:
		for _, c := range x.children {
			walkLeaves(c.h, f)
		}
		return
	case *sampler:
		walkLeaves(x.h, f)
		return
	case *router:
		walkLeaves(x.fan, f)
		return
	case *failover:
		walkLeaves(x.fan, f)
		return
	case Sharer, Shutdowner:
		f(h)
		return
	case unwrapper:
		walkLeaves(x.Unwrap(), f)
		return
	}
	f(h)
}

// destKey is what identifies the destination of leaf h: its Destination if
// it is a Sharer, else h itself; nil if that is not comparable.
func destKey(h slog.Handler) any {
	var k any = h
	if s, ok := h.(Sharer); ok {
		k = s.Destination()
	}
	if k == nil || !reflect.TypeOf(k).Comparable() {
		return nil
	}
	return k
}

func isComparable(h slog.Handler) bool { return reflect.TypeOf(h).Comparable() }

// StatsOf returns the stats of h if it or a handler it wraps is a
// [Reporter], and false otherwise.
func StatsOf(h slog.Handler) (Stats, bool) {
	if r, ok := h.(Reporter); ok {
		return r.Stats(), true
	}
	if u, ok := h.(unwrapper); ok {
		return StatsOf(u.Unwrap())
	}
	return Stats{}, false
}

// HealthyOf reports whether h is healthy. Handlers that report no health
// are taken to be healthy.
func HealthyOf(h slog.Handler) bool {
	if r, ok := h.(Reporter); ok {
		return r.Healthy()
	}
	if u, ok := h.(unwrapper); ok {
		return HealthyOf(u.Unwrap())
	}
	return true
}
