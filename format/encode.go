package format

import (
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/jinpy-utils/multi"
)

// An encoder holds the state of one Handle or WithAttrs call. Encoders are
// pooled with their buffers; a buffer that grew past maxPooledBuf is
// dropped rather than pooled, so one huge record does not pin a huge buffer.
type encoder struct {
	h       *Handler
	buf     []byte
	prefix  []byte   // Text: key prefix of the open groups ("a.b.")
	scratch []byte   // room for text that is escaped into buf afterwards
	groups  []string // open groups, for ReplaceAttr
	track   bool     // collect groups for ReplaceAttr
	json    bool     // attributes as JSON (h.c.json)
	human   bool     // a human format (h.c.human)
	sep     byte     // written before the next key, if not 0
	depth   int      // nesting of group values being written

	// The span of the record's context, when hasSpan.
	span    multi.SpanContext
	hasSpan bool

	// The Console format's "15:04:05" of the last second written, kept
	// across records (encoders are pooled per P, so a burst of records
	// reuses it): clockSec is that second in Unix seconds and clockLoc
	// the location it was shown in, so that a hit needs no zone lookup
	// (the nil zero value matches no time, whose Location is never nil).
	clockSec int64
	clockLoc *time.Location
	clock    [8]byte
}

const (
	initialBuf   = 1 << 10
	maxPooledBuf = 16 << 10
	// maxDepth bounds the nesting of group values (a LogValuer may return
	// a group holding itself, without end). Deeper groups are written as
	// an error string.
	maxDepth = 1000
)

var encoderPool = sync.Pool{New: func() any {
	return &encoder{
		buf:    make([]byte, 0, initialBuf),
		groups: make([]string, 0, 10),
	}
}}

func newEncoder(h *Handler) *encoder {
	e := encoderPool.Get().(*encoder)
	e.h = h
	e.json, e.human = h.c.json, h.c.human
	if h.c.rep != nil {
		e.track = true
		e.groups = append(e.groups, h.groups[:h.nOpenGroups]...)
	}
	return e
}

func (e *encoder) free() {
	if !e.reusable() {
		return
	}
	e.h = nil
	e.buf = e.buf[:0]
	e.prefix = e.prefix[:0]
	e.scratch = e.scratch[:0]
	clear(e.groups)
	e.groups = e.groups[:0]
	e.track = false
	e.sep = 0
	e.depth = 0
	e.hasSpan = false
	encoderPool.Put(e)
}

// reusable reports whether e is small enough to go back to the pool.
func (e *encoder) reusable() bool {
	return cap(e.buf) <= maxPooledBuf && cap(e.prefix) <= maxPooledBuf &&
		cap(e.scratch) <= maxPooledBuf && cap(e.groups) <= 256
}

func (e *encoder) attrSep() byte {
	if e.json {
		return ','
	}
	return ' '
}

// appendSep writes the separator due before the next key, if any: a byte
// appended directly, not a string copied.
func (e *encoder) appendSep() {
	if e.sep != 0 {
		e.buf = append(e.buf, e.sep)
	}
}

// handleSlog writes a record in JSON or Text, as slog's commonHandler does.
func (e *encoder) handleSlog(r *slog.Record) {
	c := e.h.c
	if c.json {
		e.buf = append(e.buf, '{')
	}
	// Built-in attributes are not in a group: ReplaceAttr sees none.
	track := e.track
	e.track = false
	rep := c.rep
	if !r.Time.IsZero() {
		t := r.Time.Round(0) // strip the monotonic reading, as slog does
		if rep == nil {
			e.appendSafeKey(slog.TimeKey)
			e.appendRecordTime(t)
		} else {
			e.appendBuiltin(slog.Time(slog.TimeKey, t), true)
		}
	}
	if rep == nil {
		e.appendSafeKey(slog.LevelKey)
		e.appendLevel(r.Level)
	} else {
		e.appendBuiltin(slog.Any(slog.LevelKey, r.Level), false)
	}
	if c.addSource {
		src := recordSource(r)
		if rep == nil {
			e.appendSource(slog.SourceKey, src)
		} else {
			e.appendAttr(slog.Any(slog.SourceKey, src))
		}
	}
	if rep == nil {
		e.appendSafeKey(slog.MessageKey)
		e.appendString(r.Message)
	} else {
		e.appendBuiltin(slog.String(slog.MessageKey, r.Message), false)
	}
	if c.name != "" {
		if rep == nil {
			e.buf = append(e.buf, c.loggerAttr...)
		} else {
			e.appendBuiltin(slog.String(loggerKey, c.name), false)
		}
	}
	if e.hasSpan {
		e.appendSlogSpan()
	}
	e.track = track
	e.appendNonBuiltIns(r)
	e.buf = append(e.buf, '\n')
}

// appendSafeKey is appendKey for a key that needs no escaping or quoting,
// outside any group.
func (e *encoder) appendSafeKey(key string) {
	e.appendSep()
	if e.json {
		e.buf = append(e.buf, '"')
		e.buf = append(e.buf, key...)
		e.buf = append(e.buf, '"', ':')
		e.sep = ','
	} else {
		e.buf = append(e.buf, key...)
		e.buf = append(e.buf, '=')
		e.sep = ' '
	}
}

// appendBuiltin passes a built-in attribute through ReplaceAttr and writes
// it. isTime applies Options.TimeFormat to a time value.
func (e *encoder) appendBuiltin(a slog.Attr, isTime bool) {
	a = e.replace(a)
	if isTime && a.Value.Kind() == slog.KindTime && !isEmpty(a) {
		e.appendKey(a.Key)
		e.appendRecordTime(a.Value.Time())
		return
	}
	e.appendReplaced(a)
}

// appendNonBuiltIns writes the attributes of WithAttrs and of the record,
// and for JSON-style output closes the open groups and the object.
func (e *encoder) appendNonBuiltIns(r *slog.Record) {
	h := e.h
	if pfa := h.pre; len(pfa) > 0 {
		e.appendSep()
		e.buf = append(e.buf, pfa...)
		e.sep = e.attrSep()
		if h.c.json && pfa[len(pfa)-1] == '{' {
			e.sep = 0
		}
	}
	// The record's attributes are in the groups of WithGroup; if it has
	// none, no group is written.
	nOpenGroups := h.nOpenGroups
	if r.NumAttrs() > 0 {
		e.prefix = append(e.prefix, h.groupPrefix...)
		// The groups may turn out empty (ReplaceAttr may remove every
		// attribute), so remember where they started.
		pos := len(e.buf)
		e.openGroups()
		nOpenGroups = len(h.groups)
		empty := true
		r.Attrs(func(a slog.Attr) bool {
			if e.appendAttr(a) {
				empty = false
			}
			return true
		})
		if empty {
			e.buf = e.buf[:pos]
			nOpenGroups = h.nOpenGroups
		}
	}
	if h.c.json {
		for range nOpenGroups {
			e.buf = append(e.buf, '}')
		}
		e.buf = append(e.buf, '}')
	}
}

func (e *encoder) openGroups() {
	for _, n := range e.h.groups[e.h.nOpenGroups:] {
		e.openGroup(n)
	}
}

func (e *encoder) openGroup(name string) {
	if e.json {
		e.appendKey(name)
		e.buf = append(e.buf, '{')
		e.sep = 0
	} else {
		e.prefix = append(e.prefix, name...)
		e.prefix = append(e.prefix, '.')
	}
	if e.track {
		e.groups = append(e.groups, name)
	}
}

func (e *encoder) closeGroup(name string) {
	if e.json {
		e.buf = append(e.buf, '}')
		e.sep = ','
	} else {
		// Text wrote nothing for the group itself: the separator is what
		// its attributes left, " " if they wrote a key. A group of only
		// empty groups writes nothing and must not leave a separator
		// behind (slog does, and then writes two spaces; see
		// TestTextGroupOfEmptyGroups).
		e.prefix = e.prefix[:len(e.prefix)-len(name)-1]
	}
	if e.track {
		e.groups = e.groups[:len(e.groups)-1]
	}
}

// appendAttrs writes attributes and reports whether anything was written.
func (e *encoder) appendAttrs(as []slog.Attr) bool {
	nonEmpty := false
	for _, a := range as {
		if e.appendAttr(a) {
			nonEmpty = true
		}
	}
	return nonEmpty
}

// replace resolves a and passes it through ReplaceAttr.
func (e *encoder) replace(a slog.Attr) slog.Attr {
	a.Value = resolve(a.Value)
	if rep := e.h.c.rep; rep != nil && a.Value.Kind() != slog.KindGroup {
		var gs []string
		if e.track {
			gs = e.groups
		}
		a = rep(gs, a)
		a.Value = resolve(a.Value)
	}
	return a
}

// appendAttr writes a, reporting whether anything was written.
func (e *encoder) appendAttr(a slog.Attr) bool {
	if e.h.c.rep == nil {
		// The common cases, with the kind found once (Value.Kind of a
		// KindAny is a type assertion to LogValuer, not free).
		switch k := a.Value.Kind(); k {
		case slog.KindString, slog.KindInt64, slog.KindUint64, slog.KindFloat64,
			slog.KindBool, slog.KindDuration, slog.KindTime:
			// Resolved, not replaced, never empty.
			e.appendKey(a.Key)
			e.appendKind(k, a.Value)
			return true
		case slog.KindAny:
			// Resolved and not replaced; empty only as the zero Attr, and
			// a *slog.Source is written as a group.
			x := a.Value.Any()
			if _, src := x.(*slog.Source); !src && (x != nil || a.Key != "") {
				e.appendKey(a.Key)
				e.appendAny(x)
				return true
			}
		}
	}
	return e.appendReplaced(e.replace(a))
}

func (e *encoder) appendReplaced(a slog.Attr) bool {
	if isEmpty(a) {
		return false
	}
	if v := a.Value; v.Kind() == slog.KindAny {
		if src, ok := v.Any().(*slog.Source); ok {
			if src == nil || *src == (slog.Source{}) {
				return false
			}
			if e.json {
				a.Value = sourceGroup(src)
			} else {
				e.appendKey(a.Key)
				e.appendSourceText(src)
				return true
			}
		}
	}
	if a.Value.Kind() != slog.KindGroup {
		e.appendKey(a.Key)
		e.appendValue(a.Value)
		return true
	}
	attrs := a.Value.Group()
	if len(attrs) == 0 {
		return true // as slog: nothing written, yet not "empty"
	}
	if e.depth >= maxDepth {
		e.appendKey(a.Key)
		e.appendString("!ERROR:group nesting deeper than 1000 levels")
		return true
	}
	// The group may turn out empty (ReplaceAttr may remove every
	// attribute), so remember where it started.
	pos, sep := len(e.buf), e.sep
	if a.Key != "" {
		e.openGroup(a.Key)
	}
	e.depth++
	ok := e.appendAttrs(attrs)
	e.depth--
	if !ok {
		// slog (Go 1.26) leaves the group open here: the next key loses
		// its separator in JSON and gains the group's prefix in Text.
		// We undo the group completely.
		e.buf = e.buf[:pos]
		e.sep = sep
		if a.Key != "" {
			e.undoGroup(a.Key)
		}
		return false
	}
	if a.Key != "" {
		e.closeGroup(a.Key)
	}
	return true
}

func (e *encoder) undoGroup(name string) {
	if !e.json {
		e.prefix = e.prefix[:len(e.prefix)-len(name)-1]
	}
	if e.track {
		e.groups = e.groups[:len(e.groups)-1]
	}
}

// isEmpty reports whether a is the zero Attr, which handlers ignore.
func isEmpty(a slog.Attr) bool {
	return a.Key == "" && a.Value.Kind() == slog.KindAny && a.Value.Any() == nil
}

// resolve is slog.Value.Resolve, which recovers a panicking LogValuer.
func resolve(v slog.Value) slog.Value {
	if v.Kind() != slog.KindLogValuer {
		return v
	}
	return v.Resolve()
}

func sourceGroup(s *slog.Source) slog.Value {
	as := make([]slog.Attr, 0, 3)
	if s.Function != "" {
		as = append(as, slog.String("function", s.Function))
	}
	if s.File != "" {
		as = append(as, slog.String("file", s.File))
	}
	if s.Line != 0 {
		as = append(as, slog.Int("line", s.Line))
	}
	return slog.GroupValue(as...)
}

// recordSource is r.Source(), never nil.
func recordSource(r *slog.Record) *slog.Source {
	if r.PC == 0 {
		return &slog.Source{}
	}
	fs := runtime.CallersFrames([]uintptr{r.PC})
	f, _ := fs.Next()
	return &slog.Source{Function: f.Function, File: f.File, Line: f.Line}
}
