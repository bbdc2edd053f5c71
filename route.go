package multi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"

	"github.com/jinpy-utils/multi/internal/attrpath"
)

// A Rule of [Route]: the records When matches go to To.
type Rule struct {
	// When says which records the rule takes; nil takes every record (a
	// catch-all, last in a first-match Route).
	When Matcher
	// To is the handler the rule's records go to.
	To slog.Handler
}

// RouteOptions configure [Route]. A nil *RouteOptions is the defaults.
type RouteOptions struct {
	// FirstMatch, when true, gives each record to the first rule that
	// takes it only; by default every rule that takes it gets it.
	FirstMatch bool
}

// A Matcher decides whether a [Rule] takes a record. Build one with
// [MatchLevel], [MatchMessage], [MatchAttr], [MatchContext], [MatchFunc],
// and combine them with [MatchAll], [MatchAny] and [MatchNot].
//
// A Matcher built from bad input (a nil level, an empty path) matches
// nothing, and [Route] refuses it with an error that names the input.
type Matcher interface {
	match(ctx context.Context, r slog.Record, v *routeView) bool
	invalid() error
}

// routeView is what a matcher sees besides the record: the attributes
// bound with WithAttrs, as dotted paths, and the groups open.
type routeView struct {
	groups []string
	bound  []pathValue
}

type pathValue struct {
	path string // "req.id"
	v    slog.Value
}

type matchFunc func(ctx context.Context, r slog.Record, v *routeView) bool

func (f matchFunc) match(ctx context.Context, r slog.Record, v *routeView) bool { return f(ctx, r, v) }
func (matchFunc) invalid() error                                                { return nil }

// badMatcher is a Matcher built from bad input: Route refuses it.
type badMatcher struct{ err error }

func (badMatcher) match(context.Context, slog.Record, *routeView) bool { return false }
func (b badMatcher) invalid() error                                    { return b.err }

// combined is MatchAll, MatchAny or MatchNot of ms.
type combined struct {
	matchFunc
	ms []Matcher
}

func (c combined) invalid() error {
	for i, m := range c.ms {
		if m == nil {
			return fmt.Errorf("matcher %d of %d is nil; write a Matcher such as MatchLevel(slog.LevelWarn)", i, len(c.ms))
		}
		if err := m.invalid(); err != nil {
			return err
		}
	}
	return nil
}

// MatchLevel takes records at level min or above. min may be a
// *slog.LevelVar, read at each record.
func MatchLevel(min slog.Leveler) Matcher {
	if min == nil || isNilLeveler(min) {
		return badMatcher{errors.New("MatchLevel: level is nil; write a level such as slog.LevelWarn")}
	}
	return matchFunc(func(_ context.Context, r slog.Record, _ *routeView) bool { return r.Level >= min.Level() })
}

// MatchMessage takes records whose message contains substr.
func MatchMessage(substr string) Matcher {
	return matchFunc(func(_ context.Context, r slog.Record, _ *routeView) bool {
		return strings.Contains(r.Message, substr)
	})
}

// MatchAttr takes records that have an attribute at path, bound with
// WithAttrs or the record's own, equal to one of values; with no values,
// any value. path is a key, or keys of nested groups joined by dots: after
// WithGroup("req"), the record's attribute "id" is at "req.id". Values are
// compared as slog.AnyValue(value).Equal does, after LogValuers are
// resolved, so 200 matches an int64 attribute of 200.
func MatchAttr(path string, values ...any) Matcher {
	if path == "" {
		return badMatcher{errors.New(`MatchAttr: path is empty; write the attribute's key, as in MatchAttr("tenant", "acme")`)}
	}
	want := make([]slog.Value, len(values))
	for i, v := range values {
		want[i] = slog.AnyValue(v)
	}
	keys := strings.Split(path, ".")
	return matchFunc(func(_ context.Context, r slog.Record, rv *routeView) bool {
		v, ok := rv.lookup(r, path, keys)
		if !ok {
			return false
		}
		if len(want) == 0 {
			return true
		}
		for _, w := range want {
			if v.Equal(w) {
				return true
			}
		}
		return false
	})
}

// lookup finds the value at path: bound attributes first, then the
// record's own, which sit inside the open groups.
func (rv *routeView) lookup(r slog.Record, path string, keys []string) (slog.Value, bool) {
	for _, b := range rv.bound {
		if b.path == path {
			return b.v, true
		}
	}
	if len(keys) <= len(rv.groups) || !slices.Equal(keys[:len(rv.groups)], rv.groups) {
		return slog.Value{}, false
	}
	keys = keys[len(rv.groups):]
	return attrpath.InRecord(r, keys)
}

// MatchContext takes records logged with a ctx whose Value(key) is one of
// values (compared with ==); with no values, any non-nil value.
func MatchContext(key any, values ...any) Matcher {
	if key == nil || !reflect.TypeOf(key).Comparable() {
		return badMatcher{errors.New("MatchContext: key is nil or not comparable; write the key your code passes to context.WithValue")}
	}
	return matchFunc(func(ctx context.Context, _ slog.Record, _ *routeView) bool {
		if ctx == nil {
			return false
		}
		v := ctx.Value(key)
		if v == nil {
			return false
		}
		if len(values) == 0 {
			return true
		}
		for _, w := range values {
			if reflect.TypeOf(v).Comparable() && reflect.TypeOf(w) == reflect.TypeOf(v) && v == w {
				return true
			}
		}
		return false
	})
}

// MatchFunc takes the records for which f returns true. f sees the
// record's own attributes, not those bound with WithAttrs (use MatchAttr
// for those), and must not keep or modify the record.
func MatchFunc(f func(ctx context.Context, r slog.Record) bool) Matcher {
	if f == nil {
		return badMatcher{errors.New("MatchFunc: f is nil; write a func(context.Context, slog.Record) bool")}
	}
	return matchFunc(func(ctx context.Context, r slog.Record, _ *routeView) bool { return f(ctx, r) })
}

// MatchAll takes records every one of ms takes (every record, with none).
func MatchAll(ms ...Matcher) Matcher {
	return combined{matchFunc(func(ctx context.Context, r slog.Record, v *routeView) bool {
		for _, m := range ms {
			if !m.match(ctx, r, v) {
				return false
			}
		}
		return true
	}), ms}
}

// MatchAny takes records one of ms takes (none, with none).
func MatchAny(ms ...Matcher) Matcher {
	return combined{matchFunc(func(ctx context.Context, r slog.Record, v *routeView) bool {
		for _, m := range ms {
			if m.match(ctx, r, v) {
				return true
			}
		}
		return false
	}), ms}
}

// MatchNot takes the records m does not.
func MatchNot(m Matcher) Matcher {
	return combined{matchFunc(func(ctx context.Context, r slog.Record, v *routeView) bool { return !m.match(ctx, r, v) }), []Matcher{m}}
}

// router is the handler Route returns. Its routes' handlers are the
// children of fan, which gives them Flush, Shutdown, Stats and Healthy.
type router struct {
	fan   *Handler
	when  []Matcher // when[i] for fan.children[i]; nil takes all
	first bool
	view  routeView
}

// Route sends each record to the handlers of the rules that take it: by
// default every rule whose When matches it and whose To is enabled at its
// level, or with FirstMatch only the first of them. A record no rule takes
// goes nowhere, and no counter moves: end a Route with a catch-all rule
// (When nil) to keep every record.
//
// Rules see what the logger would write: MatchAttr finds attributes bound
// with With (as logger.With("tenant", "acme") binds them) as well as the
// record's own, and MatchContext the values of the ctx it was logged with.
// WithAttrs and WithGroup reach every route's handler.
//
// The routes' handlers are treated as [New]'s children: one's error or
// panic does not stop the others, and errors name the route by its index,
// as "multi: route[1] (*file.Handler): ...". Flush and Shutdown reach every
// route's handler; Stats sums them, a destination several routes share
// counted once; Healthy is true when all are. Inside New, a Route is a
// [RecordBorrower] when its last rule's handler is.
//
// A rule with a nil To (or a typed nil) or a Matcher built from bad
// input, or no rules at all, is refused with an error that says what to
// write instead.
func Route(opts *RouteOptions, rules ...Rule) (slog.Handler, error) {
	if len(rules) == 0 {
		return nil, errors.New("multi.Route: no rules; write at least one, as in multi.Rule{When: multi.MatchLevel(slog.LevelError), To: h}")
	}
	cs := make([]child, len(rules))
	when := make([]Matcher, len(rules))
	for i, r := range rules {
		if isNil(r.To) {
			return nil, fmt.Errorf("multi.Route: rules[%d].To is nil%s; check the error its constructor returned", i, nilType(r.To))
		}
		if r.When != nil {
			if err := r.When.invalid(); err != nil {
				return nil, fmt.Errorf("multi.Route: rules[%d].When: %w", i, err)
			}
		}
		cs[i] = child{h: r.To, name: fmt.Sprintf("route[%d] (%T)", i, r.To), borrows: borrows(r.To), faults: new(faults)}
		when[i] = r.When
	}
	rt := &router{fan: newHandler(cs), when: when}
	if opts != nil {
		rt.first = opts.FirstMatch
	}
	return rt, nil
}

// Enabled reports whether some route's handler is enabled at l.
func (rt *router) Enabled(ctx context.Context, l slog.Level) bool { return rt.fan.Enabled(ctx, l) }

// Handle gives r to the routes that take it and joins their errors.
func (rt *router) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	last := len(rt.fan.children) - 1
	for i := range rt.fan.children {
		c := &rt.fan.children[i]
		taken, err := rt.take(ctx, i, r)
		if err == nil && taken {
			err = handleChild(ctx, c, r, !c.borrows && i != last)
		}
		if err != nil {
			errs = append(errs, err)
		}
		if taken && rt.first {
			break
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}

// take reports whether rule i takes r: its matcher matches and its
// handler is enabled at r's level. A panic in either is an error.
func (rt *router) take(ctx context.Context, i int, r slog.Record) (taken bool, err error) {
	c := &rt.fan.children[i]
	defer func() {
		if p := recover(); p != nil {
			err = c.panicked("match", p)
		}
	}()
	if m := rt.when[i]; m != nil && !m.match(ctx, r, &rt.view) {
		return false, nil
	}
	return c.h.Enabled(ctx, r.Level), nil
}

// WithAttrs returns a Route whose handlers are the routes' WithAttrs(attrs),
// and whose rules see attrs.
func (rt *router) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return rt
	}
	c := *rt
	c.fan = rt.fan.derive(func(h slog.Handler) slog.Handler { return h.WithAttrs(attrs) })
	c.view.bound = slices.Clip(rt.view.bound)
	prefix := strings.Join(rt.view.groups, ".")
	for _, a := range attrs {
		c.view.bound = flatten(c.view.bound, prefix, a)
	}
	return &c
}

// flatten appends a, and what a group holds, to ps as dotted paths.
func flatten(ps []pathValue, prefix string, a slog.Attr) []pathValue {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p = join(prefix, a.Key)
		}
		for _, g := range v.Group() {
			ps = flatten(ps, p, g)
		}
		return ps
	}
	if a.Key == "" {
		return ps
	}
	return append(ps, pathValue{path: join(prefix, a.Key), v: v})
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// WithGroup returns a Route whose handlers are the routes' WithGroup(name).
func (rt *router) WithGroup(name string) slog.Handler {
	if name == "" {
		return rt
	}
	c := *rt
	c.fan = rt.fan.derive(func(h slog.Handler) slog.Handler { return h.WithGroup(name) })
	c.view.groups = append(slices.Clip(rt.view.groups), name)
	return &c
}

// Handlers returns the routes' handlers, in the order of the rules.
func (rt *router) Handlers() []slog.Handler { return rt.fan.Handlers() }

// Flush flushes every route's handler concurrently and joins their errors.
func (rt *router) Flush(ctx context.Context) error { return rt.fan.Flush(ctx) }

// Shutdown shuts every route's handler down concurrently and joins their
// errors.
func (rt *router) Shutdown(ctx context.Context) error {
	releaseDefault(rt)
	return rt.fan.shutdown(ctx)
}

// Stats sums the routes' stats, each destination once.
func (rt *router) Stats() Stats { return rt.fan.Stats() }

// Healthy reports whether every route's handler is healthy.
func (rt *router) Healthy() bool { return rt.fan.Healthy() }
