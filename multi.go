package multi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Handler fans each record out to several handlers. Build it with [New].
//
// Enabled is true when any child is enabled at the level. Handle gives the
// record to every enabled child, in order; one child's error or panic never
// stops the others and never reaches the caller as a panic: a panic is
// recovered and returned as an error, and the errors of all children are
// joined, each naming the child by its 0-based position in the arguments
// of New and its type, as in "multi: handler[2] (*file.Handler): ...", the
// numbering package config uses for its sinks ("sinks[2]").
//
// Children that implement [RecordBorrower] (every sink in this module) get
// the caller's record as it is. Other children might keep or modify the
// record, so each of them gets a Record.Clone, except the last one, which
// may have the caller's record as slog.Logger would give it to a single
// handler. A fan-out of this module's sinks therefore costs no clone at all,
// where slog.NewMultiHandler clones for every child. Since its last child
// may get the record it was given, a Handler is not a RecordBorrower
// itself: nested in another Handler, it is given the caller's record
// uncloned only when its own last child is a RecordBorrower.
//
// Stats sums the children's stats, counting a destination that several
// children share once; Healthy is true when every child is. A child's
// panic in any method is also kept for Stats, whose LastError shows the
// most recent one (see [Handler.Stats]).
// Flush and Shutdown reach every child concurrently under the one ctx, so a
// slow child does not use up the others' time.
type Handler struct {
	children []child
	// enablers is what Enabled asks, on every log call: the children's
	// handlers when none of them can panic there (see SafeEnabler), so
	// that they are called without a deferred recover and without a
	// branch to choose; otherwise one guard that asks them all under a
	// recover.
	enablers []enabler
}

// An enabler is what Handler.Enabled asks: a child, or the guard.
type enabler interface {
	Enabled(context.Context, slog.Level) bool
}

type child struct {
	h       slog.Handler
	name    string // "handler[0] (*file.Handler)", for errors
	borrows bool   // a RecordBorrower: no clone needed
	faults  *faults
}

// faults remembers a child's panics, for Stats and Healthy. It is shared
// by the child and the children derived from it with WithAttrs and
// WithGroup, as their destination is.
type faults struct {
	last        atomic.Pointer[fault] // the most recent panic, in any method
	statsPanics atomic.Bool           // the last call of the child's Stats panicked
}

type fault struct {
	err error
	at  time.Time
}

// New returns a handler that sends each record to every handler in
// handlers. A nil handler is a programming error, usually a constructor's
// error that was ignored, and New panics at once with a message naming its
// position, rather than at the first record or the first Stats. That
// includes a typed nil, such as the nil *file.Handler that
//
//	fh, _ := file.New("", nil)
//
// returns with its error: a nil pointer, map, func or chan in the interface
// is refused like an untyped nil.
func New(handlers ...slog.Handler) *Handler {
	cs := make([]child, len(handlers))
	for i, h := range handlers {
		if isNil(h) {
			panic(fmt.Sprintf("multi.New: handler[%d] of %d is nil%s; check the error its constructor returned", i, len(handlers), nilType(h)))
		}
		cs[i] = newChild(i, h)
	}
	return newHandler(cs)
}

func newHandler(cs []child) *Handler {
	h := &Handler{children: cs}
	safe := true
	es := make([]enabler, len(cs))
	for i, c := range cs {
		safe = safe && enabledCannotPanic(c.h)
		es[i] = c.h
	}
	if !safe {
		es = []enabler{guard{h}}
	}
	h.enablers = es
	return h
}

// isNil reports whether h is nil, or a nil pointer, map, func or chan in a
// non-nil interface (a typed nil). A nil slice is not refused: an empty
// slice type can be a working handler.
func isNil(h slog.Handler) bool {
	if h == nil {
		return true
	}
	switch v := reflect.ValueOf(h); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Chan, reflect.Interface, reflect.UnsafePointer:
		return v.IsNil()
	}
	return false
}

// nilType is " (*file.Handler)" for a typed nil h, "" for an untyped one.
func nilType(h slog.Handler) string {
	if h == nil {
		return ""
	}
	return fmt.Sprintf(" (%T)", h)
}

func newChild(i int, h slog.Handler) child {
	return child{h: h, name: fmt.Sprintf("handler[%d] (%T)", i, h), borrows: borrows(h), faults: new(faults)}
}

// borrows reports whether h, or the handler a MinLevel wraps, is a
// RecordBorrower. A nested fan-out is one only when its last child is:
// it hands that child its caller's record uncloned.
func borrows(h slog.Handler) bool {
	for {
		switch x := h.(type) {
		case *Handler:
			return len(x.children) == 0 || x.children[len(x.children)-1].borrows
		case *router:
			h = x.fan
		case *failover:
			for _, c := range x.fan.children {
				if !c.borrows {
					return false
				}
			}
			return true
		case *minLevel:
			h = x.h
		case *sampler:
			h = x.h
		case RecordBorrower:
			return true
		default:
			return false
		}
	}
}

// Handlers returns the children, in the order given to New: the child at
// index i is the one errors name handler[i], and, for a tree from package
// config, the document's sinks[i]. With [StatsOf] and [HealthyOf] it
// reports each sink on its own, where [Handler.Stats] sums them (see
// examples/quickstart).
func (h *Handler) Handlers() []slog.Handler {
	hs := make([]slog.Handler, len(h.children))
	for i, c := range h.children {
		hs[i] = c.h
	}
	return hs
}

// Enabled reports whether any child is enabled at level l. A child whose
// Enabled panics makes it true, so that Handle reports the panic. The
// children's Enabled are guarded by one deferred recover for the call, not
// one per child, and by none when every child is known not to panic there
// (see [SafeEnabler]): this runs for every log call, enabled or not.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	for i := range h.enablers {
		if h.enablers[i].Enabled(ctx, l) {
			return true
		}
	}
	return false
}

// guard is the one enabler of a fan-out with a child whose Enabled may
// panic: it asks every child under one deferred recover.
type guard struct{ h *Handler }

func (g guard) Enabled(ctx context.Context, l slog.Level) bool { return g.h.enabledGuarded(ctx, l) }

func (h *Handler) enabledGuarded(ctx context.Context, l slog.Level) (on bool) {
	defer func() {
		if recover() != nil {
			on = true
		}
	}()
	for i := range h.children {
		if h.children[i].h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

// EnabledCannotPanic reports true: Enabled recovers a child's panic. It
// implements [SafeEnabler].
func (h *Handler) EnabledCannotPanic() bool { return true }

// enabledCannotPanic reports whether h's Enabled is known never to panic:
// a SafeEnabler that says so, or one of slog's own JSONHandler and
// TextHandler whose Enabled did not panic when called here once. Their
// Enabled is their Leveler's Level and nothing else, and the Leveler
// that panics in practice (a nil *slog.LevelVar) panics on every call;
// a Leveler of the caller's own that panics only now and then is the one
// case a fan-out of slog's handlers does not guard (see [SafeEnabler]).
func enabledCannotPanic(h slog.Handler) bool {
	switch x := h.(type) {
	case SafeEnabler:
		return x.EnabledCannotPanic()
	case *slog.JSONHandler, *slog.TextHandler:
		return !enabledPanics(h)
	}
	return false
}

// enabledPanics reports whether h.Enabled panics at LevelInfo.
func enabledPanics(h slog.Handler) (panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	h.Enabled(context.Background(), slog.LevelInfo)
	return false
}

// Handle gives r to every child enabled at r.Level and joins their errors.
func (h *Handler) Handle(ctx context.Context, r slog.Record) (err error) {
	// One deferred recover for the call, not one per child: after a
	// child's panic, the deferred function gives r to the children after
	// it (handleFrom, which recovers in turn) and joins every error.
	var errs []error
	i := 0
	defer func() {
		if p := recover(); p != nil {
			errs = append(errs, h.children[i].panicked("Handle", p))
			for j := i + 1; j < len(h.children); {
				j = h.handleFrom(ctx, &r, j, &errs)
			}
			err = errors.Join(errs...)
		}
	}()
	last := len(h.children) - 1
	for ; i <= last; i++ {
		// c.handle, written out: the call cost a fan-out 0.5-1.7%
		// through slog.Logger (bench/'s BenchmarkLogger).
		c := &h.children[i]
		if !c.h.Enabled(ctx, r.Level) {
			continue
		}
		var e error
		if !c.borrows && i != last {
			e = c.h.Handle(ctx, r.Clone())
		} else {
			e = c.h.Handle(ctx, r)
		}
		if e != nil {
			errs = append(errs, c.wrap(e))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}

// handleFrom gives r to the children from i on, as Handle does, adding
// their errors to errs. It returns len(h.children), or, when a child
// panics, the index after it, the panic added to errs as that child's
// error.
func (h *Handler) handleFrom(ctx context.Context, r *slog.Record, i int, errs *[]error) (next int) {
	defer func() {
		if p := recover(); p != nil {
			*errs = append(*errs, h.children[next].panicked("Handle", p))
			next++
		}
	}()
	last := len(h.children) - 1
	for next = i; next <= last; next++ {
		c := &h.children[next]
		if err := c.handle(ctx, r, !c.borrows && next != last); err != nil {
			*errs = append(*errs, err)
		}
	}
	return next
}

// handleChild gives r, cloned if asked, to c if c is enabled at its level.
// A panic in c's Enabled or Handle is returned as an error.
func handleChild(ctx context.Context, c *child, r slog.Record, clone bool) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = c.panicked("Handle", p)
		}
	}()
	return c.handle(ctx, &r, clone)
}

// handle gives r, cloned if asked, to c if c is enabled at its level.
// It does not recover a panic.
func (c *child) handle(ctx context.Context, r *slog.Record, clone bool) error {
	if !c.h.Enabled(ctx, r.Level) {
		return nil
	}
	var err error
	if clone {
		err = c.h.Handle(ctx, r.Clone())
	} else {
		err = c.h.Handle(ctx, *r)
	}
	if err != nil {
		return c.wrap(err)
	}
	return nil
}

// wrap names c in its error err.
func (c *child) wrap(err error) error { return fmt.Errorf("multi: %s: %w", c.name, err) }

// panicked is the error for a panic p recovered from c's method. It is
// remembered, so that [Handler.Stats] shows it as LastError: slog.Logger
// drops what Handle returns, and a panic must not be silent.
func (c *child) panicked(method string, p any) error {
	err := fmt.Errorf("multi: %s: %s panicked: %v", c.name, method, p)
	c.faults.last.Store(&fault{err: err, at: time.Now()})
	return err
}

// WithAttrs returns a fan-out of every child's WithAttrs(attrs).
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.derive(func(c slog.Handler) slog.Handler { return c.WithAttrs(attrs) })
}

// WithGroup returns a fan-out of every child's WithGroup(name).
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.derive(func(c slog.Handler) slog.Handler { return c.WithGroup(name) })
}

func (h *Handler) derive(f func(slog.Handler) slog.Handler) *Handler {
	cs := make([]child, len(h.children))
	for i, c := range h.children {
		d := f(c.h)
		cs[i] = child{h: d, name: c.name, borrows: borrows(d), faults: c.faults}
	}
	return newHandler(cs)
}

// Flush flushes every child concurrently and joins their errors. A panic
// in a child's Flush is recovered and returned as that child's error.
func (h *Handler) Flush(ctx context.Context) error {
	return h.each("Flush", func(c slog.Handler) error { return Flush(ctx, c) })
}

// Shutdown shuts every child down concurrently and joins their errors. A
// panic in a child's Shutdown is recovered and returned as that child's
// error; the other children are shut down all the same. Like [Shutdown],
// it first gives slog.Default a handler on stderr if the default writes
// only to this tree.
func (h *Handler) Shutdown(ctx context.Context) error {
	releaseDefault(h)
	return h.shutdown(ctx)
}

func (h *Handler) shutdown(ctx context.Context) error {
	return h.each("Shutdown", func(c slog.Handler) error { return shutdown(ctx, c) })
}

func (h *Handler) each(method string, f func(slog.Handler) error) error {
	errs := make([]error, len(h.children))
	var wg sync.WaitGroup
	for i := range h.children {
		c := &h.children[i]
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					errs[i] = c.panicked(method, p)
				}
			}()
			if err := f(c.h); err != nil {
				errs[i] = fmt.Errorf("multi: %s: %w", c.name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Stats returns the sum of the children's stats (see [Stats.Add]),
// through nested Handlers and MinLevel. Children that report none add
// nothing. A destination reported by several children, such as a handler
// and one derived from it with WithAttrs (see [Sharer]), is counted once.
// A child's most recent panic, in any of its methods (slog.Logger drops
// the error Handle returns for it), is LastError when it is later than the
// children's own last errors.
func (h *Handler) Stats() Stats {
	var s Stats
	var seen []any // few children: a slice beats a map
	h.addStats(&s, &seen)
	return s
}

func (h *Handler) addStats(s *Stats, seen *[]any) {
	for i := range h.children {
		h.children[i].addStats(s, seen)
	}
}

// addStats adds c's stats to s, and c's most recent panic, if any, as a
// LastError (the later of it and the child's own wins). A panic in c's
// Stats (or Destination) is recovered and so becomes s's LastError, so
// that a broken child shows where stats are read instead of taking the
// program down; such a child is unhealthy until its Stats works again.
func (c *child) addStats(s *Stats, seen *[]any) {
	defer func() {
		p := recover()
		if p != nil {
			c.panicked("Stats", p)
		}
		c.faults.statsPanics.Store(p != nil)
		if f := c.faults.last.Load(); f != nil {
			*s = s.Add(Stats{LastError: f.err, LastErrorTime: f.at})
		}
	}()
	addStats(c.h, s, seen)
}

// addStats adds the stats of h, or of the handler it wraps, to s, unless
// its destination is in seen already.
func addStats(h slog.Handler, s *Stats, seen *[]any) {
	var key any // the destination named by the outermost Sharer
	for {
		switch x := h.(type) {
		case *Handler:
			x.addStats(s, seen)
			return
		case *router:
			x.fan.addStats(s, seen)
			return
		case *failover:
			x.fan.addStats(s, seen)
			return
		case *sampler:
			if !slices.Contains(*seen, any(x.s)) {
				*seen = append(*seen, x.s)
				s.Sampled += x.s.sampled()
			}
			h = x.h
			continue
		}
		if d, ok := h.(Sharer); ok && key == nil {
			if k := d.Destination(); k != nil && reflect.TypeOf(k).Comparable() {
				key = k
			}
		}
		if r, ok := h.(Reporter); ok {
			if key != nil {
				for _, k := range *seen {
					if k == key {
						return
					}
				}
				*seen = append(*seen, key)
			}
			*s = s.Add(r.Stats())
			return
		}
		u, ok := h.(unwrapper)
		if !ok {
			return
		}
		h = u.Unwrap()
	}
}

// Healthy reports whether every child is healthy. A child whose Healthy
// panics counts as unhealthy, and so does one whose Stats panicked at the
// last call of [Handler.Stats]; either panic shows as LastError in
// [Handler.Stats].
func (h *Handler) Healthy() bool {
	for i := range h.children {
		if !h.children[i].healthy() {
			return false
		}
	}
	return true
}

func (c *child) healthy() (ok bool) {
	if c.faults.statsPanics.Load() {
		return false
	}
	defer func() {
		if p := recover(); p != nil {
			c.panicked("Healthy", p)
			ok = false
		}
	}()
	return HealthyOf(c.h)
}

// MinLevel wraps h so that it sees only records at level or above, on top
// of whatever level h has of its own. It works for any handler, this
// module's or another's; level may be a *slog.LevelVar to change it at run
// time. A nil level (or a nil *slog.LevelVar) adds no limit: MinLevel
// returns h itself. A nil h, typed or not, panics at once, as in [New].
// Flush, Shutdown, Stats and Healthy reach h through the wrapper.
func MinLevel(h slog.Handler, level slog.Leveler) slog.Handler {
	if isNil(h) {
		panic(fmt.Sprintf("multi.MinLevel: handler is nil%s; check the error its constructor returned", nilType(h)))
	}
	if level == nil {
		return h
	}
	if v := reflect.ValueOf(level); v.Kind() == reflect.Pointer && v.IsNil() {
		return h // a nil *slog.LevelVar, say: no limit, rather than a panic per record
	}
	return &minLevel{h: h, level: level}
}

type minLevel struct {
	h     slog.Handler
	level slog.Leveler
}

func (m *minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.level.Level() && m.h.Enabled(ctx, l)
}

// Handle drops records below the level even when the caller did not ask
// Enabled first.
func (m *minLevel) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < m.level.Level() {
		return nil
	}
	return m.h.Handle(ctx, r)
}

func (m *minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &minLevel{h: m.h.WithAttrs(attrs), level: m.level}
}

func (m *minLevel) WithGroup(name string) slog.Handler {
	return &minLevel{h: m.h.WithGroup(name), level: m.level}
}

// Unwrap returns the wrapped handler, so Flush, Shutdown, StatsOf and
// HealthyOf reach it.
func (m *minLevel) Unwrap() slog.Handler { return m.h }
