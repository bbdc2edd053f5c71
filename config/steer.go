package config

import (
	"log/slog"
	"strconv"

	"github.com/jinpy-utils/multi"
)

// BuildOptions are what only a program can give a tree built from a
// document: the values a document cannot hold.
type BuildOptions struct {
	// ErrorHandler, when set, is every built-in sink's ErrorHandler,
	// called under the module's one contract (see "Errors" in package
	// multi) with each error wrapped in a [*SinkError] that says which
	// sink it came from. Nil leaves each sink's default: standard error,
	// at most a line per sink every few seconds. Sinks of a Register'ed
	// type do not get it.
	ErrorHandler func(error)
}

// Tree is a built document: its handler, and the levels of its named
// sinks, which the program can change while it runs.
type Tree struct {
	// Handler is the fan-out of the document's sinks, in order.
	Handler *multi.Handler
	// Levels holds a *slog.LevelVar for each sink that has a name, by
	// name; it starts at the sink's level (INFO if none). Setting it
	// changes that sink's level at once, and [multi.LevelHandler] serves
	// them over HTTP. The document's top-level "level" stays a floor on
	// top: a sink whose LevelVar is below the floor still sees only
	// records at the floor or above. For a sink of a Register'ed type, the
	// LevelVar is a floor on the handler its build function returned
	// (applied with [multi.MinLevel], starting at TRACE unless the sink
	// has a "level"): it can quiet the sink, not make it more verbose than
	// its builder made it.
	Levels map[string]*slog.LevelVar
}

// SinkError is a runtime error of one sink of a built tree, as given to
// [BuildOptions].ErrorHandler.
type SinkError struct {
	Index int    // the sink's place in the document: sinks[Index], handler[Index] in package multi
	Name  string // the sink's name, "" if it has none
	Type  string // the sink's type
	Err   error
}

// Error reads "sinks[2] (name "audit"): <the error>", or "sinks[2]: <the
// error>" for a sink without a name: the sink's place as the document's
// errors write it.
func (e *SinkError) Error() string {
	return sinkLabel(e.Index, e.Name) + ": " + e.Err.Error()
}

// sinkLabel writes sinks[i], with the sink's name if it has one.
func sinkLabel(i int, name string) string {
	s := "sinks[" + strconv.Itoa(i) + "]"
	if name != "" {
		s += " (name " + strconv.Quote(name) + ")"
	}
	return s
}

// Unwrap returns the sink's error.
func (e *SinkError) Unwrap() error { return e.Err }

// steer is what a build function of a built-in type is given besides the
// document: the level to use, and the ErrorHandler.
type steer struct {
	level *slog.LevelVar                      // nil: the sink is not named
	eh    func(error)                         // nil: none
	rep   func([]string, slog.Attr) slog.Attr // the "redact" key's ReplaceAttr; nil: none
}

// apply puts st into a sink's Options: the named level, starting at the
// level the document gave, the ErrorHandler, and the redactor's
// ReplaceAttr.
func (st *steer) apply(level *slog.Leveler, eh *func(error), rep *func([]string, slog.Attr) slog.Attr) {
	if st.rep != nil {
		*rep = st.rep
	}
	if st.level != nil {
		if *level != nil {
			st.level.Set((*level).Level())
		}
		*level = st.level
	}
	if st.eh != nil {
		*eh = st.eh
	}
}

// BuildTree is [Config.Build] with what only a program can give, and the
// named sinks' levels back. A nil o means none.
func (c *Config) BuildTree(o *BuildOptions) (*Tree, error) {
	if o == nil {
		o = &BuildOptions{}
	}
	return c.build(types, lookupEnv, o)
}

// LoadFileTree is [LoadFile] returning a [Tree], built with o.
func LoadFileTree(path string, o *BuildOptions) (*Tree, error) {
	c, err := parseFile(path)
	if err != nil {
		return nil, err
	}
	return c.BuildTree(o)
}

// logger is the "logger" key of the built-in types: the logger name
// (the Options' Name) that the human formats print and JSON writes as
// "logger". The document's "name" is the sink's own name instead.
type logger struct {
	Logger string
}

// name returns the logger name: the "logger" key, else the Options' own.
func (l logger) name(own string) string {
	if l.Logger != "" {
		return l.Logger
	}
	return own
}
