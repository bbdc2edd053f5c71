package config

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/format"
)

// sampleNode is the document form of a sink's "sample" key:
// multi.SampleOptions, the key written "message", "source" or
// "attr:NAME".
type sampleNode struct {
	Tick       time.Duration
	First      int
	Thereafter int
	Cap        int
	Floor      slog.Leveler
	Key        string
	Summary    bool
}

// redactNode is the document form of a sink's "redact" key:
// format.RedactOptions, the HMAC key in base64.
type redactNode struct {
	Keys      []string
	Detectors []string
	HMACKey   []byte `config:"hmac_key"`
	Mask      string
}

// wrappers are what a sink's "sample" and "redact" keys ask for.
type wrappers struct {
	sample *multi.SampleOptions
	redact *format.Redactor
}

// takeWrappers removes the "sample" and "redact" keys from a sink's
// options and reads them. Errors name the key inside the sink's object.
func takeWrappers(opts *node) (*node, wrappers, error) {
	var w wrappers
	rest := &node{kind: kObject, line: opts.line}
	for i, k := range opts.keys {
		v := opts.vals[i]
		switch k {
		case "sample":
			var sn sampleNode
			if err := decodeNode(v, &sn, path{}.key(k)); err != nil {
				return nil, w, err
			}
			o := &multi.SampleOptions{Tick: sn.Tick, First: sn.First, Thereafter: sn.Thereafter, Cap: sn.Cap, Floor: sn.Floor, Summary: sn.Summary}
			switch key := strings.TrimSpace(sn.Key); {
			case key == "" || key == "message":
				o.Key = multi.ByMessage
			case key == "source":
				o.Key = multi.BySource
			case strings.HasPrefix(key, "attr:"):
				o.Key = multi.ByAttr(strings.TrimSpace(strings.TrimPrefix(key, "attr:")))
			default:
				return nil, w, errAt(path{}.key(k).key("key"), v.line, fmt.Errorf(`%q: write message, source or attr:NAME (attr:user)`, sn.Key))
			}
			w.sample = o
		case "redact":
			var rn redactNode
			if err := decodeNode(v, &rn, path{}.key(k)); err != nil {
				return nil, w, err
			}
			ro := &format.RedactOptions{Keys: rn.Keys, HMACKey: rn.HMACKey, Mask: rn.Mask}
			if rn.Detectors != nil {
				ro.Detectors = []format.Detector{}
				for _, d := range rn.Detectors {
					ro.Detectors = append(ro.Detectors, format.Detector(d))
				}
			}
			red, err := format.NewRedactor(ro)
			if err != nil {
				return nil, w, errAt(path{}.key(k), v.line, err)
			}
			w.redact = red
		default:
			rest.keys = append(rest.keys, k)
			rest.vals = append(rest.vals, v)
		}
	}
	return rest, w, nil
}

// decodeNode is Decode of n, errors at the path at.
func decodeNode(n *node, dst any, at path) error {
	if err := Decode(n.appendJSON(nil), dst); err != nil {
		return within(at, err)
	}
	return nil
}

// within makes err, about a value inside the object at, an error about
// the value at its full path (the line is found again from the path).
func within(at path, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return errAt(at, 0, err)
	}
	if e.segs == nil && e.Path != "" { // made by hand: keep its path as text
		return &Error{Path: at.String() + "." + e.Path, Err: e.Err, segs: at}
	}
	p := append(at[:len(at):len(at)], e.segs...)
	return &Error{Path: p.String(), Err: e.Err, segs: p}
}

// wrap applies the "sample" key to h.
func (w wrappers) wrap(h slog.Handler) (slog.Handler, error) {
	if w.sample == nil {
		return h, nil
	}
	s, err := multi.Sample(h, w.sample)
	if err != nil {
		return nil, errAt(path{}.key("sample"), 0, err)
	}
	return s, nil
}

// redactFor returns the ReplaceAttr the "redact" key of a sink of type
// typ asks for, or an error if the type cannot take one.
func (w wrappers) redactFor(typ string, steerable bool) (func([]string, slog.Attr) slog.Attr, error) {
	if w.redact == nil {
		return nil, nil
	}
	if !steerable {
		return nil, errAt(path{}.key("redact"), 0, fmt.Errorf("type %q is not a built-in type: give its handler a format.Redactor's ReplaceAttr in Go", typ))
	}
	return w.redact.ReplaceAttr, nil
}

func init() {
	builtin("route", buildRoute)
	builtin("failover", buildFailover)
}

// buildChild builds a sink nested in a route or failover: an object with
// a "type" and the keys of that type (sample and redact included). It has
// no name; the enclosing sink's ErrorHandler, and its redactor when it
// has one and the child none, are passed on.
func buildChild(n *node, at path, parent *steer) (slog.Handler, error) {
	if n.kind != kObject {
		return nil, errAt(at, n.line, typeErr("an object with a \"type\"", n))
	}
	t := n.get("type")
	switch {
	case t == nil:
		return nil, errAt(at, n.line, errors.New(`missing "type"`))
	case t.kind != kString || t.text == "":
		return nil, errAt(at.key("type"), t.line, typeErr("a type name", t))
	}
	opts := &node{kind: kObject, line: n.line}
	for i, k := range n.keys {
		switch k {
		case "type":
		case "name":
			return nil, errAt(at.key("name"), n.vals[i].line, errors.New("only a sink at the top of sinks has a name; name the enclosing one"))
		default:
			opts.keys = append(opts.keys, k)
			opts.vals = append(opts.vals, n.vals[i])
		}
	}
	opts, w, err := takeWrappers(opts)
	if err != nil {
		return nil, within(at, err)
	}
	steerFn := types.getSteer(t.text)
	build := types.get(t.text)
	if build == nil {
		return nil, errAt(at.key("type"), t.line, fmt.Errorf("unknown type %q (known: %s)", t.text, strings.Join(types.names(), ", ")))
	}
	rep, err := w.redactFor(t.text, steerFn != nil)
	if err != nil {
		return nil, within(at, err)
	}
	st := &steer{eh: parent.eh, rep: rep}
	if st.rep == nil && parent.rep != nil {
		if steerFn == nil {
			return nil, errAt(at.key("type"), t.line, fmt.Errorf("the enclosing sink's redact cannot reach type %q, which is not a built-in type: give its handler a format.Redactor's ReplaceAttr in Go", t.text))
		}
		st.rep = parent.rep
	}
	var h slog.Handler
	if steerFn != nil {
		h, err = callBuild(func(raw json.RawMessage) (slog.Handler, error) { return steerFn(raw, st) }, opts.appendJSON(nil))
	} else {
		h, err = callBuild(build, opts.appendJSON(nil))
	}
	if err == nil && h == nil {
		err = fmt.Errorf("type %q built no handler", t.text)
	}
	if err != nil {
		if h != nil {
			shutdownQuietly(h)
		}
		return nil, within(at, err)
	}
	if h, err = w.wrap(h); err != nil {
		return nil, within(at, err)
	}
	return h, nil
}

func shutdownQuietly(hs ...slog.Handler) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for _, h := range hs {
		_ = multi.Shutdown(ctx, h)
	}
}

// leveled applies a route's or failover's "level" key and, when it is
// named, its LevelVar, which starts at that level (TRACE without one): a
// floor on the whole of it.
func leveled(h slog.Handler, n *node, st *steer) (slog.Handler, error) {
	var lv slog.Leveler
	if ln := n.get("level"); ln != nil {
		l, err := decodeLevel(ln)
		if err != nil {
			return nil, errAt(path{}.key("level"), ln.line, err)
		}
		lv = l
	}
	if st.level != nil {
		st.level.Set(multi.LevelTrace)
		if lv != nil {
			st.level.Set(lv.Level())
		}
		lv = st.level
	}
	if lv == nil {
		return h, nil
	}
	return multi.MinLevel(h, lv), nil
}

// objectKeys checks that n is an object whose keys are among known.
func objectKeys(n *node, at path, known ...string) error {
	if n.kind != kObject {
		return errAt(at, n.line, typeErr("an object", n))
	}
	sf := &structFields{keys: known}
	for i, k := range n.keys {
		found := false
		for _, kk := range known {
			found = found || k == kk
		}
		if !found {
			msg := "unknown field (known: " + strings.Join(known, ", ") + ")"
			if s := sf.suggest(k); s != "" {
				msg = "unknown field; did you mean " + s + "?"
			}
			return errAt(at.key(k), n.vals[i].line, errors.New(msg))
		}
	}
	return nil
}

// buildRoute builds a "route" sink:
//
//	type: route
//	level: info            # optional: a floor on every rule
//	first_match: true      # optional
//	rules:
//	  - when: {level: error}
//	    sink: {type: http, url: ...}
//	  - sink: {type: console}
func buildRoute(raw json.RawMessage, st *steer) (slog.Handler, error) {
	n, err := parseJSON(raw)
	if err != nil {
		return nil, err
	}
	if err := objectKeys(n, nil, "rules", "first_match", "level"); err != nil {
		return nil, err
	}
	o := &multi.RouteOptions{}
	if fm := n.get("first_match"); fm != nil {
		if err := decodeNode(fm, &o.FirstMatch, path{}.key("first_match")); err != nil {
			return nil, err
		}
	}
	rn := n.get("rules")
	at := path{}.key("rules")
	switch {
	case rn == nil:
		return nil, errAt(at, n.line, errors.New("missing: list the rules, each a sink with an optional when"))
	case rn.kind != kList || len(rn.items) == 0:
		return nil, errAt(at, rn.line, typeErr("a list of rules", rn))
	}
	var rules []multi.Rule
	var built []slog.Handler
	fail := func(err error) (slog.Handler, error) {
		shutdownQuietly(built...)
		return nil, err
	}
	for i, r := range rn.items {
		rat := at.index(i)
		if err := objectKeys(r, rat, "when", "sink"); err != nil {
			return fail(err)
		}
		var when multi.Matcher
		if w := r.get("when"); w != nil {
			if when, err = matcher(w, rat.key("when")); err != nil {
				return fail(err)
			}
		}
		sn := r.get("sink")
		if sn == nil {
			return fail(errAt(rat, r.line, errors.New(`missing "sink": the sink the rule's records go to`)))
		}
		h, err := buildChild(sn, rat.key("sink"), st)
		if err != nil {
			return fail(err)
		}
		built = append(built, h)
		rules = append(rules, multi.Rule{When: when, To: h})
	}
	h, err := multi.Route(o, rules...)
	if err != nil {
		return fail(err)
	}
	if h, err = leveled(h, n, st); err != nil {
		return fail(err)
	}
	return h, nil
}

// matcher reads a rule's "when": every key given must match.
//
//	when: {level: warn, message: "audit:", attrs: {tenant: acme, status: 500}}
func matcher(n *node, at path) (multi.Matcher, error) {
	if err := objectKeys(n, at, "level", "message", "attrs"); err != nil {
		return nil, err
	}
	var ms []multi.Matcher
	if l := n.get("level"); l != nil {
		lv, err := decodeLevel(l)
		if err != nil {
			return nil, errAt(at.key("level"), l.line, err)
		}
		ms = append(ms, multi.MatchLevel(lv))
	}
	if m := n.get("message"); m != nil {
		if m.kind != kString {
			return nil, errAt(at.key("message"), m.line, typeErr("a string the message contains", m))
		}
		ms = append(ms, multi.MatchMessage(m.text))
	}
	if a := n.get("attrs"); a != nil {
		if a.kind != kObject || len(a.keys) == 0 {
			return nil, errAt(at.key("attrs"), a.line, typeErr("an object of attribute keys and values", a))
		}
		for i, k := range a.keys {
			vals, err := attrValues(a.vals[i])
			if err != nil {
				return nil, errAt(at.key("attrs").key(k), a.vals[i].line, err)
			}
			ms = append(ms, multi.MatchAttr(k, vals...))
		}
	}
	return multi.MatchAll(ms...), nil
}

// attrValues are the values an attribute may have to match a document's
// scalar: the text, and for a number or bool the Go values a program
// logs for it (500 as int64, uint64 and float64).
func attrValues(n *node) ([]any, error) {
	switch n.kind {
	case kString:
		return []any{n.text}, nil
	case kBool:
		return []any{n.text == "true"}, nil
	case kNumber:
		vs := []any{}
		if i, err := strconv.ParseInt(n.text, 10, 64); err == nil {
			vs = append(vs, i)
			if i >= 0 {
				vs = append(vs, uint64(i))
			}
		}
		if f, err := strconv.ParseFloat(n.text, 64); err == nil {
			vs = append(vs, f)
		}
		return vs, nil
	case kNull:
		return nil, nil // any value
	}
	return nil, typeErr("a string, number, bool or null (any value)", n)
}

// buildFailover builds a "failover" sink:
//
//	type: failover
//	level: info            # optional: a floor on every sink in it
//	hold: 30s              # optional (default 10s)
//	primary: {type: http, url: ..., spool: {dir: /var/spool/app}}
//	secondaries:
//	  - {type: file, path: logs/fallback.log}
func buildFailover(raw json.RawMessage, st *steer) (slog.Handler, error) {
	n, err := parseJSON(raw)
	if err != nil {
		return nil, err
	}
	if err := objectKeys(n, nil, "primary", "secondaries", "hold", "level"); err != nil {
		return nil, err
	}
	o := &multi.FailoverOptions{}
	if hn := n.get("hold"); hn != nil {
		if err := decodeNode(hn, &o.Hold, path{}.key("hold")); err != nil {
			return nil, err
		}
	}
	pn, sn := n.get("primary"), n.get("secondaries")
	if pn == nil {
		return nil, errAt(path{}.key("primary"), n.line, errors.New("missing: the sink records go to while it is healthy"))
	}
	if sn == nil || sn.kind != kList || len(sn.items) == 0 {
		line := n.line
		if sn != nil {
			line = sn.line
		}
		return nil, errAt(path{}.key("secondaries"), line, errors.New("missing: list at least one sink to go to while the primary is unhealthy"))
	}
	var built []slog.Handler
	fail := func(err error) (slog.Handler, error) {
		shutdownQuietly(built...)
		return nil, err
	}
	primary, err := buildChild(pn, path{}.key("primary"), st)
	if err != nil {
		return nil, err
	}
	built = append(built, primary)
	for i, s := range sn.items {
		h, err := buildChild(s, path{}.key("secondaries").index(i), st)
		if err != nil {
			return fail(err)
		}
		built = append(built, h)
	}
	h, err := multi.Failover(o, primary, built[1:]...)
	if err != nil {
		return fail(errAt(nil, 0, err))
	}
	if h, err = leveled(h, n, st); err != nil {
		return fail(err)
	}
	return h, nil
}
