package otlpsink

import (
	"encoding"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/internal/otlp"
)

// Field numbers of opentelemetry-proto's logs/v1 LogRecord and
// common/v1 AnyValue, KeyValue, ArrayValue and KeyValueList.
const (
	fTime         = 1  // LogRecord.time_unix_nano, fixed64
	fSeverity     = 2  // LogRecord.severity_number
	fSeverityText = 3  // LogRecord.severity_text
	fBody         = 5  // LogRecord.body, AnyValue
	fAttributes   = 6  // LogRecord.attributes, repeated KeyValue
	fFlags        = 8  // LogRecord.flags, fixed32
	fTraceID      = 9  // LogRecord.trace_id, 16 bytes
	fSpanID       = 10 // LogRecord.span_id, 8 bytes
	fObserved     = 11 // LogRecord.observed_time_unix_nano, fixed64

	fKey   = 1 // KeyValue.key
	fValue = 2 // KeyValue.value

	fString = 1 // AnyValue.string_value
	fBool   = 2 // AnyValue.bool_value
	fInt    = 3 // AnyValue.int_value
	fDouble = 4 // AnyValue.double_value
	fArray  = 5 // AnyValue.array_value
	fKVList = 6 // AnyValue.kvlist_value
	fBytes  = 7 // AnyValue.bytes_value

	fValues = 1 // ArrayValue.values, KeyValueList.values
)

// open appends the tag of a length-delimited field and a one-byte length
// to fill in with end: most messages here are shorter than 128 bytes.
func open(b []byte, f protowire.Number) ([]byte, int) {
	b = protowire.AppendTag(b, f, protowire.BytesType)
	return append(b, 0), len(b) + 1
}

// end fills in the length of the message that began at start (the
// index after its one-byte length), moving it if the length needs more.
func end(b []byte, start int) []byte {
	n := len(b) - start
	if n < 0x80 {
		b[start-1] = byte(n)
		return b
	}
	k := protowire.SizeVarint(uint64(n))
	for range k - 1 {
		b = append(b, 0)
	}
	copy(b[start+k-1:], b[start:start+n])
	protowire.AppendVarint(b[:start-1], uint64(n))
	return b
}

// appendString appends a string field, invalid UTF-8 replaced (protobuf
// strings must be UTF-8: a collector would refuse the whole request).
func appendString(b []byte, f protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, f, protowire.BytesType)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return protowire.AppendString(b, s)
}

// appendKV appends one KeyValue field (number f) for a, its value
// resolved; an empty group is left out, as slog does, and the attributes
// of a group with an empty key are inlined.
func (e *encoder) appendKV(b []byte, f protowire.Number, a slog.Attr) []byte {
	a, ok := e.resolve(a)
	if !ok {
		return b
	}
	if a.Value.Kind() == slog.KindGroup {
		attrs := a.Value.Group()
		if a.Key == "" {
			for _, ga := range attrs {
				b = e.appendKV(b, f, ga)
			}
			return b
		}
		b, kv := open(b, f)
		b = appendString(b, fKey, a.Key)
		b, v := open(b, fValue)
		b, l := open(b, fKVList)
		e.groups = append(e.groups, a.Key)
		for _, ga := range attrs {
			b = e.appendKV(b, fValues, ga)
		}
		e.groups = e.groups[:len(e.groups)-1]
		return end(end(end(b, l), v), kv)
	}
	b, kv := open(b, f)
	b = appendString(b, fKey, a.Key)
	b, v := open(b, fValue)
	b = e.appendValue(b, a.Value)
	return end(end(b, v), kv)
}

// resolve applies ReplaceAttr to a (not to a group: to its members) and
// resolves its value; it reports false for an attribute left out, an
// empty one or an empty group, as slog does.
func (e *encoder) resolve(a slog.Attr) (slog.Attr, bool) {
	if e.replace != nil && a.Value.Kind() != slog.KindGroup {
		a.Value = a.Value.Resolve()
		a = e.replace(e.groups, a)
	}
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) || a.Value.Kind() == slog.KindGroup && len(a.Value.Group()) == 0 {
		return a, false
	}
	return a, true
}

// appendValue appends the fields of an AnyValue for v (resolved, not a
// group).
func (e *encoder) appendValue(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return appendString(b, fString, v.String())
	case slog.KindInt64:
		b = protowire.AppendTag(b, fInt, protowire.VarintType)
		return protowire.AppendVarint(b, uint64(v.Int64()))
	case slog.KindUint64:
		u := v.Uint64()
		if u > math.MaxInt64 {
			return appendString(b, fString, fmt.Sprint(u)) // no uint64 in OTLP
		}
		b = protowire.AppendTag(b, fInt, protowire.VarintType)
		return protowire.AppendVarint(b, u)
	case slog.KindFloat64:
		b = protowire.AppendTag(b, fDouble, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(v.Float64()))
	case slog.KindBool:
		b = protowire.AppendTag(b, fBool, protowire.VarintType)
		return protowire.AppendVarint(b, protowire.EncodeBool(v.Bool()))
	case slog.KindDuration:
		b = protowire.AppendTag(b, fInt, protowire.VarintType)
		return protowire.AppendVarint(b, uint64(v.Duration().Nanoseconds()))
	case slog.KindTime:
		b = protowire.AppendTag(b, fString, protowire.BytesType)
		b, s := append(b, 0), len(b)+1
		b = v.Time().AppendFormat(b, time.RFC3339Nano)
		b[s-1] = byte(len(b) - s) // at most 35 bytes
		return b
	}
	switch x := v.Any().(type) {
	case nil:
		return b // an empty AnyValue: OTLP's null
	case []byte:
		b = protowire.AppendTag(b, fBytes, protowire.BytesType)
		return protowire.AppendBytes(b, x)
	case error:
		return appendString(b, fString, safeString(x.Error))
	case encoding.TextMarshaler:
		t, err := x.MarshalText()
		if err != nil {
			return appendString(b, fString, "!ERROR: "+err.Error())
		}
		b = protowire.AppendTag(b, fString, protowire.BytesType)
		return protowire.AppendString(b, strings.ToValidUTF8(string(t), "\uFFFD"))
	case []string:
		b, a := open(b, fArray)
		for _, s := range x {
			var av int
			b, av = open(b, fValues)
			b = appendString(b, fString, s)
			b = end(b, av)
		}
		return end(b, a)
	case []any:
		b, a := open(b, fArray)
		for _, el := range x {
			var av int
			b, av = open(b, fValues)
			b = e.appendValue(b, slog.AnyValue(el).Resolve())
			b = end(b, av)
		}
		return end(b, a)
	}
	return appendString(b, fString, safeString(func() string { return fmt.Sprintf("%+v", v.Any()) }))
}

// safeString returns f(), or what it panicked with: a value's Error or
// String method that panics costs the value, not the record.
func safeString(f func() string) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("!PANIC: %v", r)
		}
	}()
	return f()
}

// encoder is the per-record scratch of Handle.
type encoder struct {
	buf     []byte
	groups  []string
	replace func([]string, slog.Attr) slog.Attr
}

var encoders = sync.Pool{New: func() any { return &encoder{buf: make([]byte, 0, 1024)} }}

// encodeRecord appends one LogRecord message (its fields, without the
// enclosing tag and length) for r to e.buf: the time and the time it was
// observed (now), the severity, the message as the body, the span of
// ctx's SpanContext (sp, if valid), and the attributes: first those bound
// with WithAttrs (pre, encoded already), then r's, inside the groups
// opened with WithGroup.
func (h *Handler) encodeRecord(e *encoder, r slog.Record, now time.Time, sp multi.SpanContext, spOK bool) {
	b := e.buf[:0]
	t := r.Time
	if !t.IsZero() {
		b = protowire.AppendTag(b, fTime, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, uint64(t.UnixNano()))
	}
	b = protowire.AppendTag(b, fObserved, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, uint64(now.UnixNano()))
	b = protowire.AppendTag(b, fSeverity, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(otlp.Severity(r.Level)))
	b = appendString(b, fSeverityText, levelText(r.Level))
	b, body := open(b, fBody)
	b = appendString(b, fString, h.message(r))
	b = end(b, body)
	if spOK {
		b = protowire.AppendTag(b, fTraceID, protowire.BytesType)
		b = protowire.AppendBytes(b, sp.TraceID[:])
		b = protowire.AppendTag(b, fSpanID, protowire.BytesType)
		b = protowire.AppendBytes(b, sp.SpanID[:])
		b = protowire.AppendTag(b, fFlags, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, uint32(sp.Flags))
	}
	if h.s.c.AddSource && r.PC != 0 {
		src := r.Source()
		b = e.appendKV(b, fAttributes, slog.String("code.file.path", src.File))
		b = e.appendKV(b, fAttributes, slog.Int("code.line.number", src.Line))
		b = e.appendKV(b, fAttributes, slog.String("code.function.name", src.Function))
	}
	e.replace = h.s.c.ReplaceAttr
	b = h.appendLevel(e, b, r, 0)
	e.buf = b
}

// fieldAt is the field of the attributes at group level i: the
// LogRecord's attributes at the top, a KeyValueList's values inside a
// group.
func fieldAt(i int) protowire.Number {
	if i == 0 {
		return fAttributes
	}
	return fValues
}

// appendLevel appends the attributes from group level i on: that level's
// bound ones, then the deeper levels as a kvlist named by the group, and
// at the deepest level the record's own. An empty group is left out, as
// slog does.
func (h *Handler) appendLevel(e *encoder, b []byte, r slog.Record, i int) []byte {
	f := fieldAt(i)
	e.groups = append(e.groups[:0], h.groupNames[:i]...)
	b = append(b, h.levels[i].attrs...)
	if i == len(h.levels)-1 {
		r.Attrs(func(a slog.Attr) bool {
			b = e.appendKV(b, f, a)
			return true
		})
		return b
	}
	mark := len(b)
	b, kv := open(b, f)
	b = appendString(b, fKey, h.levels[i+1].name)
	b, v := open(b, fValue)
	b, l := open(b, fKVList)
	inner := len(b)
	b = h.appendLevel(e, b, r, i+1)
	if len(b) == inner {
		return b[:mark]
	}
	return end(end(end(b, l), v), kv)
}

// message is the body: the record's message, through ReplaceAttr (as
// slog's own handlers pass it, under the key "msg"), so that a Redactor
// sees it too. An attribute ReplaceAttr empties leaves an empty body.
func (h *Handler) message(r slog.Record) string {
	f := h.s.c.ReplaceAttr
	if f == nil {
		return r.Message
	}
	a := f(nil, slog.String(slog.MessageKey, r.Message))
	if a.Key == "" {
		return ""
	}
	return a.Value.Resolve().String()
}

// levelText is the severity text: slog's names, and CRITICAL for the
// module's own level above ERROR.
func levelText(l slog.Level) string {
	switch l {
	case slog.LevelDebug:
		return "DEBUG"
	case slog.LevelInfo:
		return "INFO"
	case slog.LevelWarn:
		return "WARN"
	case slog.LevelError:
		return "ERROR"
	case multi.LevelTrace:
		return "TRACE"
	case multi.LevelCritical:
		return "CRITICAL"
	}
	return l.String()
}
