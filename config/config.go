package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jinpy-utils/multi"
)

// A Config is a handler tree described as data: what [Parse] reads from a
// document, and what [Production] and [Development] return. Build turns
// it into handlers. A Config holds the document's text with its ${VAR}
// references unexpanded: environment variables are read by Build, so the
// secrets a document takes from the environment are not in its Config.
type Config struct {
	// Level, when not empty, is a minimum level for every sink, on top of
	// the sink's own level (see [multi.MinLevel]): it can quiet a sink,
	// never make it more verbose. It is read by [multi.ParseLevel] and may
	// hold ${VAR} references.
	Level string

	// Sinks lists the destinations, in order. A Config must have one at
	// least.
	Sinks []Sink

	src *source // where Parse found each value, for error lines
}

// A Sink is one destination of a Config.
type Sink struct {
	// Type names the sink type: "console", "file", "http", "websocket",
	// "syslog", "journald", "route", "failover", or one added with
	// [Register].
	Type string
	// Name, the document's "name" key, is the sink's own name, unique in
	// the document: [Config.BuildTree] returns a LevelVar for each named
	// sink, and errors name it. It is not the logger name (that is
	// "logger_name", the Options' Name).
	Name string
	// Options is the sink's JSON object, without its "type" key, before
	// its ${VAR} references are expanded. Empty means {}.
	Options json.RawMessage
}

// source remembers where Parse found the values of a Config, so that a
// Build error can name the line. Sinks changed after Parse lose their
// lines.
type source struct {
	file      string
	levelLine int
	sinks     []sinkSource
}

type sinkSource struct {
	typ  string
	raw  []byte
	tree *node // the sink's object as written, "type" included
}

// shutdownTimeout bounds how long Build waits for the sinks it already
// built to shut down when a later one fails.
const shutdownTimeout = 5 * time.Second

// Parse reads a JSON or YAML document (see the package doc) and returns
// it as a Config, without building anything or reading environment
// variables. Every error is an [*Error].
func Parse(r io.Reader) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentSize+1))
	if err != nil {
		return nil, &Error{Err: fmt.Errorf("read: %w", err)}
	}
	if len(data) > MaxDocumentSize {
		return nil, &Error{Err: fmt.Errorf("document is larger than %d MiB", MaxDocumentSize>>20)}
	}
	root, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	return fromTree(root)
}

var rootKeys = &structFields{keys: []string{"level", "sinks"}}

func fromTree(root *node) (*Config, error) {
	if root.kind != kObject {
		return nil, errAt(nil, root.line, fmt.Errorf(`want an object with a "sinks" list, got %s`, root.kind))
	}
	c := &Config{src: &source{}}
	var sinks *node
	for i, k := range root.keys {
		v := root.vals[i]
		switch k {
		case "level":
			if v.kind != kString && v.kind != kNumber {
				return nil, errAt(path{}.key(k), v.line, typeErr("a level", v))
			}
			if _, err := expand(v.text, nil, nil); err != nil {
				return nil, errAt(path{}.key(k), v.line, err)
			}
			c.Level, c.src.levelLine = v.text, v.line
		case "sinks":
			sinks = v
		default:
			msg := "unknown field"
			if s := rootKeys.suggest(k); s != "" {
				msg += "; did you mean " + s + "?"
			}
			return nil, errAt(path{}.key(k), v.line, errors.New(msg))
		}
	}
	at := path{}.key("sinks")
	switch {
	case sinks == nil:
		return nil, errAt(at, root.line, errors.New("missing: list at least one sink"))
	case sinks.kind != kList:
		return nil, errAt(at, sinks.line, typeErr("a list", sinks))
	case len(sinks.items) == 0:
		return nil, errAt(at, sinks.line, errors.New("empty: list at least one sink"))
	}
	for i, s := range sinks.items {
		sat := at.index(i)
		if s.kind != kObject {
			return nil, errAt(sat, s.line, typeErr("an object", s))
		}
		t := s.get("type")
		switch {
		case t == nil:
			return nil, errAt(sat, s.line, errors.New(`missing "type"`))
		case t.kind != kString:
			return nil, errAt(sat.key("type"), t.line, typeErr("a string", t))
		case t.text == "":
			return nil, errAt(sat.key("type"), t.line, errors.New("empty"))
		}
		name := ""
		if n := s.get("name"); n != nil {
			switch {
			case n.kind != kString:
				return nil, errAt(sat.key("name"), n.line, typeErr("a string", n))
			case n.text == "":
				return nil, errAt(sat.key("name"), n.line, errors.New("empty: leave the key out for a sink without a name"))
			}
			for j, prev := range c.Sinks {
				if prev.Name == n.text {
					return nil, errAt(sat.key("name"), n.line, fmt.Errorf("%q is already the name of sinks[%d]", n.text, j))
				}
			}
			name = n.text
		}
		opts := &node{kind: kObject, line: s.line}
		for j, k := range s.keys {
			if k != "type" && k != "name" {
				opts.keys = append(opts.keys, k)
				opts.vals = append(opts.vals, s.vals[j])
			}
		}
		if _, err := expandTree(opts, sat, nil, nil); err != nil {
			if e, ok := err.(*Error); ok && name != "" {
				e.sink = name
			}
			return nil, err
		}
		raw := opts.appendJSON(nil)
		c.Sinks = append(c.Sinks, Sink{Type: t.text, Name: name, Options: raw})
		c.src.sinks = append(c.src.sinks, sinkSource{typ: t.text, raw: raw, tree: s})
	}
	return c, nil
}

// Load reads a document with [Parse] and builds it with [Config.Build].
func Load(r io.Reader) (*multi.Handler, error) {
	c, err := Parse(r)
	if err != nil {
		return nil, err
	}
	return c.Build()
}

// LoadFile is [Load] of the file at path; errors name the file.
func LoadFile(path string) (*multi.Handler, error) {
	c, err := parseFile(path)
	if err != nil {
		return nil, err
	}
	return c.Build()
}

func parseFile(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Err: err}
	}
	c, err := Parse(f)
	f.Close()
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.File = path
		}
		return nil, err
	}
	c.src.file = path
	return c, nil
}

func lookupEnv(k string) (string, bool) { return os.LookupEnv(k) }

// Build reads the environment variables c refers to and builds its sinks,
// in order, into one [multi.Handler]. If a sink fails to build, the sinks
// built before it are shut down (waiting at most 5 seconds) so that no
// file, connection or goroutine is left behind, and the error is returned:
// an [*Error] naming the sink, and the value in it where known. Build may
// be called more than once; each call builds new sinks.
//
// Build is BuildTree(nil) without the Tree: use [Config.BuildTree] to pass
// an ErrorHandler or to steer named sinks' levels.
func (c *Config) Build() (*multi.Handler, error) {
	t, err := c.build(types, os.LookupEnv, &BuildOptions{})
	if err != nil {
		return nil, err
	}
	return t.Handler, nil
}

func (c *Config) build(reg *registry, lookup func(string) (string, bool), bo *BuildOptions) (t *Tree, err error) {
	var env envUse
	var built []slog.Handler
	var builtAt []int // the sink index of each of built
	levels := map[string]*slog.LevelVar{}
	fail := func(e *Error) error {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		var down []string
		for j, b := range built {
			if err := multi.Shutdown(ctx, b); err != nil {
				down = append(down, "shut down "+sinkLabel(builtAt[j], c.Sinks[builtAt[j]].Name)+": "+err.Error())
			}
		}
		if c.src != nil {
			e.File = c.src.file
		}
		if len(down) > 0 {
			// Not lost: a sink that could not release its file or
			// connection is named after the error that made Build stop.
			e.Err = fmt.Errorf("%w; and %s", e.Err, strings.Join(down, "; "))
		}
		e.Err = redactError(e.Err, env.used)
		return e.withSink(c.Sinks)
	}
	if len(c.Sinks) == 0 {
		return nil, fail(errAt(path{}.key("sinks"), 0, errors.New("empty: list at least one sink")))
	}
	var floor slog.Leveler
	if c.Level != "" {
		line := 0
		if c.src != nil {
			line = c.src.levelLine
		}
		s, err := expand(c.Level, lookup, &env)
		if err != nil {
			return nil, fail(errAt(path{}.key("level"), line, err))
		}
		l, err := decodeLevel(&node{kind: kString, text: s})
		if err != nil {
			return nil, fail(errAt(path{}.key("level"), line, err))
		}
		floor = l
	}
	for i, s := range c.Sinks {
		at := path{}.key("sinks").index(i)
		tree := c.sinkTree(i)
		build := reg.get(s.Type)
		if build == nil {
			return nil, fail(errAt(at.key("type"), tree.lineOf(path{}.key("type")),
				fmt.Errorf("unknown type %q (known: %s)", s.Type, strings.Join(reg.names(), ", "))))
		}
		raw := s.Options
		if len(bytes.TrimSpace(raw)) == 0 {
			raw = json.RawMessage("{}")
		}
		opts, err := parseJSON(raw)
		if err != nil {
			return nil, fail(c.rebase(i, err))
		}
		if opts.kind != kObject {
			return nil, fail(errAt(at, tree.line, typeErr("an object", opts)))
		}
		opts, err = expandTree(opts, nil, lookup, &env)
		if err != nil {
			return nil, fail(c.rebase(i, err))
		}
		opts, wraps, err := takeWrappers(opts)
		if err != nil {
			return nil, fail(c.rebase(i, err))
		}
		st := &steer{}
		if st.rep, err = wraps.redactFor(s.Type, reg.getSteer(s.Type) != nil); err != nil {
			return nil, fail(c.rebase(i, err))
		}
		if s.Name != "" {
			st.level = new(slog.LevelVar)
		}
		if bo.ErrorHandler != nil {
			eh, se := bo.ErrorHandler, SinkError{Index: i, Name: s.Name, Type: s.Type}
			st.eh = func(err error) {
				e := se
				e.Err = err
				eh(&e)
			}
		}
		var sh slog.Handler
		if steer := reg.getSteer(s.Type); steer != nil {
			sh, err = callBuild(func(raw json.RawMessage) (slog.Handler, error) { return steer(raw, st) }, opts.appendJSON(nil))
		} else {
			sh, err = callBuild(build, opts.appendJSON(nil))
			if err == nil && sh != nil && st.level != nil {
				st.level.Set(multi.LevelTrace)
				if l := opts.get("level"); l != nil {
					if lv, lerr := decodeLevel(l); lerr == nil {
						st.level.Set(lv.Level())
					}
				}
				sh = multi.MinLevel(sh, st.level)
			}
		}
		if err != nil {
			if sh != nil {
				built, builtAt = append(built, sh), append(builtAt, i) // shut down with the others, not leaked
			}
			return nil, fail(c.rebase(i, err))
		}
		if sh == nil {
			return nil, fail(errAt(at, tree.line, fmt.Errorf("type %q built no handler", s.Type)))
		}
		wrapped, err := wraps.wrap(sh)
		if err != nil {
			built, builtAt = append(built, sh), append(builtAt, i)
			return nil, fail(c.rebase(i, err))
		}
		sh = wrapped
		if floor != nil {
			sh = multi.MinLevel(sh, floor)
		}
		built, builtAt = append(built, sh), append(builtAt, i)
		if st.level != nil {
			levels[s.Name] = st.level
		}
	}
	return &Tree{Handler: multi.New(built...), Levels: levels}, nil
}

func callBuild(build buildFunc, raw json.RawMessage) (h slog.Handler, err error) {
	defer func() {
		if p := recover(); p != nil {
			h, err = nil, fmt.Errorf("build panicked: %v", p)
		}
	}()
	return build(raw)
}

// sinkTree returns the tree Parse read for sink i, or an empty node (no
// lines) if the sink was changed since.
func (c *Config) sinkTree(i int) *node {
	if c.src != nil && i < len(c.src.sinks) {
		s := c.src.sinks[i]
		if s.typ == c.Sinks[i].Type && bytes.Equal(s.raw, c.Sinks[i].Options) {
			return s.tree
		}
	}
	return &node{}
}

// rebase turns an error about a value inside sink i's options into one
// about the value in the document.
func (c *Config) rebase(i int, err error) *Error {
	at := path{}.key("sinks").index(i)
	tree := c.sinkTree(i)
	if e, ok := err.(*Error); ok {
		if e.segs == nil && e.Path != "" {
			// An Error made by hand: keep its path as text.
			return &Error{Line: tree.line, Path: at.String() + "." + e.Path, Err: e.Err, segs: at}
		}
		p := append(slices.Clip(at), e.segs...)
		return &Error{Line: tree.lineOf(e.segs), Path: p.String(), Err: e.Err, segs: p}
	}
	return errAt(at, tree.line, err)
}
