package multi

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// FailoverOptions configure [Failover]. A nil *FailoverOptions is the
// defaults.
type FailoverOptions struct {
	// Hold is how long the primary must have stayed healthy, after it was
	// unhealthy, before records go back to it; 0 is 10 seconds. It keeps
	// a flapping primary from taking traffic back at its first success.
	Hold time.Duration
}

// DefaultFailoverHold is the Hold of a [Failover] with none set.
const DefaultFailoverHold = 10 * time.Second

// failover is the handler Failover returns. fan's children are the
// primary, then the secondaries.
type failover struct {
	fan *Handler
	st  *failState
}

// failState is what a failover and the handlers derived from it share.
type failState struct {
	hold      int64
	onPrimary atomic.Bool
	since     atomic.Int64 // when the primary was first seen healthy again; 0: not yet
	now       func() int64 // nanoseconds; replaced by tests
}

// Failover sends each record to one handler, chosen by health (see
// [Reporter] and [HealthyOf]): the primary while it is healthy; while it
// is not, the first healthy secondary, in order; the primary again once it
// has been healthy for Hold. With no handler healthy, records go to the
// primary, whose own spool or drop accounting then applies.
//
// Health is read as records arrive, so the primary must recover on its
// own while it gets no records: a network sink of this module with a
// Spool does (the records that failed wait there, and its prober replays
// them once the collector answers, which makes it healthy); one without
// a spool stays unhealthy until a request succeeds, which, with no
// records, is never, and the traffic stays on the secondary.
//
// The one handler chosen gets the caller's record, so inside [New] a
// Failover is a [RecordBorrower] when all its handlers are. WithAttrs and
// WithGroup reach every handler; Flush and Shutdown too, concurrently;
// Stats sums them, each destination once; Healthy is true while any of
// them is.
//
// A nil handler (or a typed nil), or a negative Hold, is refused with an
// error that says what to write instead.
func Failover(opts *FailoverOptions, primary slog.Handler, secondaries ...slog.Handler) (slog.Handler, error) {
	hs := append([]slog.Handler{primary}, secondaries...)
	cs := make([]child, len(hs))
	for i, h := range hs {
		name := "primary"
		if i > 0 {
			name = fmt.Sprintf("secondaries[%d]", i-1)
		}
		if isNil(h) {
			return nil, fmt.Errorf("multi.Failover: %s is nil%s; check the error its constructor returned", name, nilType(h))
		}
		cs[i] = child{h: h, name: fmt.Sprintf("%s (%T)", name, h), borrows: borrows(h), faults: new(faults)}
	}
	if len(secondaries) == 0 {
		return nil, fmt.Errorf("multi.Failover: no secondaries; write at least one handler after the primary, as in Failover(nil, primary, fallback)")
	}
	st := &failState{hold: int64(DefaultFailoverHold), now: func() int64 { return time.Now().UnixNano() }}
	if opts != nil {
		if opts.Hold < 0 {
			return nil, fmt.Errorf("multi.Failover: Hold %s is negative; write 0 for the default of %s, or a positive duration", opts.Hold, DefaultFailoverHold)
		}
		if opts.Hold > 0 {
			st.hold = int64(opts.Hold)
		}
	}
	st.onPrimary.Store(true)
	return &failover{fan: newHandler(cs), st: st}, nil
}

// pick returns the index of the child to send a record to.
func (f *failover) pick() int {
	st, cs := f.st, f.fan.children
	if cs[0].healthy() {
		if st.onPrimary.Load() {
			return 0
		}
		now := st.now()
		since := st.since.Load()
		if since == 0 {
			if st.since.CompareAndSwap(0, now) {
				since = now
			} else {
				since = st.since.Load()
			}
		}
		if since != 0 && now-since >= st.hold {
			st.onPrimary.Store(true)
			return 0
		}
	} else {
		st.onPrimary.Store(false)
		st.since.Store(0)
	}
	for i := 1; i < len(cs); i++ {
		if cs[i].healthy() {
			return i
		}
	}
	return 0
}

// Enabled reports whether any of the handlers is enabled at l.
func (f *failover) Enabled(ctx context.Context, l slog.Level) bool { return f.fan.Enabled(ctx, l) }

// Handle gives r to the handler chosen by health.
func (f *failover) Handle(ctx context.Context, r slog.Record) error {
	return handleChild(ctx, &f.fan.children[f.pick()], r, false)
}

// WithAttrs returns a Failover of every handler's WithAttrs(attrs),
// sharing this one's state.
func (f *failover) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return f
	}
	return &failover{fan: f.fan.derive(func(h slog.Handler) slog.Handler { return h.WithAttrs(attrs) }), st: f.st}
}

// WithGroup returns a Failover of every handler's WithGroup(name), sharing
// this one's state.
func (f *failover) WithGroup(name string) slog.Handler {
	if name == "" {
		return f
	}
	return &failover{fan: f.fan.derive(func(h slog.Handler) slog.Handler { return h.WithGroup(name) }), st: f.st}
}

// Handlers returns the primary, then the secondaries.
func (f *failover) Handlers() []slog.Handler { return f.fan.Handlers() }

// Flush flushes every handler concurrently and joins their errors.
func (f *failover) Flush(ctx context.Context) error { return f.fan.Flush(ctx) }

// Shutdown shuts every handler down concurrently and joins their errors.
func (f *failover) Shutdown(ctx context.Context) error {
	releaseDefault(f)
	return f.fan.shutdown(ctx)
}

// Stats sums the handlers' stats, each destination once.
func (f *failover) Stats() Stats { return f.fan.Stats() }

// Healthy reports whether any of the handlers is healthy.
func (f *failover) Healthy() bool {
	for i := range f.fan.children {
		if f.fan.children[i].healthy() {
			return true
		}
	}
	return false
}
