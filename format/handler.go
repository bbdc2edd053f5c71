package format

import (
	"context"
	"io"
	"log/slog"
	"slices"

	"github.com/jinpy-utils/multi"
)

// config is the state shared by a handler and every handler derived from it.
// It is never modified after New.
type config struct {
	w          io.Writer
	format     Format
	level      slog.Leveler // nil when the level is the constant minLevel
	minLevel   slog.Level
	addSource  bool
	rep        func([]string, slog.Attr) slog.Attr
	timeFormat string
	name       string
	color      bool

	json  bool // attributes are encoded as JSON (JSON, Structured, Console)
	human bool // Plain, Structured, Console
	attrs bool // attributes are written at all (not Plain)

	// loggerAttr is the encoded "logger" attribute (separator included)
	// for JSON and Text when Name is set and ReplaceAttr is nil; namePrefix
	// is the escaped "name: " of the human formats.
	loggerAttr []byte
	namePrefix []byte
}

// Handler is the slog.Handler every sink in this module is built on. It
// encodes each record once, into a pooled buffer, as exactly one line ending
// in '\n', and hands that line to its writer in one Write call. The slice
// passed to Write is only valid during the call. Handlers derived with
// WithAttrs and WithGroup share the writer and the options; the writer must
// be safe for concurrent use.
//
// A Handler is safe for concurrent use. Its zero value is not usable; call
// [New].
type Handler struct {
	c *config

	// Per-clone state, copied and clipped by clone so that siblings derived
	// from one parent never append into each other's memory.
	pre         []byte   // attributes from WithAttrs, encoded once
	groupPrefix string   // Text: prefix of the groups opened in pre ("a.b.")
	groups      []string // every group from WithGroup
	nOpenGroups int      // how many of groups are opened in pre
}

// New returns a Handler that writes records to w in the format and with the
// options of opts. A nil opts means the defaults (JSON, level INFO).
// New panics if w is nil or opts.Validate reports an error.
func New(w io.Writer, opts *Options) *Handler {
	if w == nil {
		panic("format: New: nil io.Writer")
	}
	if err := opts.Validate(); err != nil {
		panic(err)
	}
	if opts == nil {
		opts = &Options{}
	}
	c := &config{
		w:          w,
		format:     opts.Format,
		level:      opts.Level,
		addSource:  opts.AddSource,
		rep:        opts.ReplaceAttr,
		timeFormat: opts.TimeFormat,
		name:       opts.Name,
		color:      opts.Color,
	}
	// A constant level (nil, or a slog.Level) is compared as it is:
	// Enabled runs for every log call, enabled or not, and a call through
	// the Leveler interface costs more than the comparison.
	switch l := c.level.(type) {
	case nil:
		c.minLevel = slog.LevelInfo
	case slog.Level:
		c.level, c.minLevel = nil, l
	}
	if c.format == Default {
		c.format = JSON
	}
	switch c.format {
	case JSON:
		c.json, c.attrs = true, true
	case Text:
		c.attrs = true
	case Plain:
		c.human = true
	case Structured, Console:
		c.json, c.human, c.attrs = true, true, true
	}
	if c.name != "" && c.rep == nil && !c.human {
		e := newEncoder(&Handler{c: c})
		e.sep = e.attrSep()
		e.appendKey(loggerKey)
		e.appendString(c.name)
		c.loggerAttr = slices.Clone(e.buf)
		e.free()
	}
	if c.name != "" && c.human {
		c.namePrefix = append(appendHumanString(nil, c.name), ": "...)
	}
	return &Handler{c: c}
}

// loggerKey is the key of the logger name in JSON and Text.
const loggerKey = "logger"

// Enabled reports whether l is at least the handler's level.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool {
	c := h.c
	if c.level == nil {
		return l >= c.minLevel
	}
	return l >= c.level.Level()
}

// EnabledCannotPanic reports whether Enabled never panics: the level is a
// constant or a non-nil *slog.LevelVar, not a Leveler of the caller's. It
// implements multi.SafeEnabler.
func (h *Handler) EnabledCannotPanic() bool {
	if h.c.level == nil {
		return true
	}
	lv, ok := h.c.level.(*slog.LevelVar)
	return ok && lv != nil
}

// WithAttrs returns a Handler (a *Handler) whose records carry attrs after
// those of h. The attributes are resolved, passed to ReplaceAttr and encoded
// once, now, not per record.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.withAttrs(attrs)
}

// WithGroup returns a Handler (a *Handler) whose later attributes are
// qualified by the group name. An empty name returns h.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := h.clone()
	h2.groups = append(h2.groups, name)
	return h2
}

func (h *Handler) clone() *Handler {
	return &Handler{
		c:           h.c,
		pre:         slices.Clip(h.pre),
		groupPrefix: h.groupPrefix,
		groups:      slices.Clip(h.groups),
		nOpenGroups: h.nOpenGroups,
	}
}

func (h *Handler) withAttrs(as []slog.Attr) *Handler {
	// Empty groups are ignored, so a slice of only those changes nothing.
	if countEmptyGroups(as) == len(as) || !h.c.attrs {
		return h
	}
	h2 := h.clone()
	e := newEncoder(h2)
	own := e.buf
	defer func() {
		// Even when ReplaceAttr panics, the pool gets e's own buffer
		// back, never the one shared with h.pre.
		e.buf = own
		e.free()
	}()
	e.buf = h2.pre
	e.prefix = append(e.prefix, h.groupPrefix...)
	if len(e.buf) > 0 {
		e.sep = e.attrSep()
		if h.c.json && e.buf[len(e.buf)-1] == '{' {
			e.sep = 0
		}
	}
	// Remember the position, in case every attribute turns out empty.
	pos := len(e.buf)
	e.openGroups()
	if !e.appendAttrs(as) {
		e.buf = e.buf[:pos]
	} else {
		h2.groupPrefix = string(e.prefix)
		h2.nOpenGroups = len(h2.groups)
	}
	h2.pre = e.buf
	return h2
}

func countEmptyGroups(as []slog.Attr) int {
	n := 0
	for _, a := range as {
		if a.Value.Kind() == slog.KindGroup && len(a.Value.Group()) == 0 {
			n++
		}
	}
	return n
}

// Handle encodes r as one line and writes it with one call to the writer's
// Write, returning its error. Handle never panics on bad input: a LogValuer
// or an error's Error method that panics, a value that cannot be encoded,
// NaN and infinities produce a line that says so. The span of ctx, as
// multi.SpanFromContext finds it, is written with the record (see Trace
// correlation in the package doc).
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	e := newEncoder(h)
	defer e.free()
	e.span, e.hasSpan = multi.SpanFromContext(ctx)
	if h.c.human {
		e.handleHuman(&r)
	} else {
		e.handleSlog(&r)
	}
	_, err := h.c.w.Write(e.buf)
	return err
}
