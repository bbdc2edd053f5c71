package format

import (
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"time"
	"unsafe"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/internal/jsonx"
)

func (e *encoder) appendKey(key string) {
	if e.json {
		// JSON never has a prefix: groups are nested objects.
		e.appendSep()
		e.buf = append(e.buf, '"')
		e.buf = jsonx.AppendEscaped(e.buf, key, e.human)
		e.buf = append(e.buf, '"', ':')
		e.sep = ','
		return
	}
	e.appendSep()
	if len(e.prefix) > 0 {
		e.appendTwoStrings(e.prefix, key)
	} else if needsQuoting(key) {
		e.buf = strconv.AppendQuote(e.buf, key)
	} else {
		e.buf = append(e.buf, key...)
	}
	e.buf = append(e.buf, '=')
	e.sep = ' '
}

// appendTwoStrings writes the string x+y (Text) as appendString would.
func (e *encoder) appendTwoStrings(x []byte, y string) {
	xs := unsafe.String(unsafe.SliceData(x), len(x))
	if !needsQuoting(xs) && !needsQuoting(y) {
		e.buf = append(e.buf, x...)
		e.buf = append(e.buf, y...)
		return
	}
	// Quote the concatenation without allocating it: build it at the end of
	// buf, quote it from there, and move the result down.
	n := len(e.buf)
	e.buf = append(e.buf, x...)
	e.buf = append(e.buf, y...)
	m := len(e.buf)
	e.buf = strconv.AppendQuote(e.buf, unsafe.String(&e.buf[n], m-n))
	e.buf = e.buf[:n+copy(e.buf[n:], e.buf[m:])]
}

// appendString writes s as a string value of the format: a JSON string, or
// a Text value quoted when it needs to be.
func (e *encoder) appendString(s string) {
	switch {
	case e.json:
		e.buf = append(e.buf, '"')
		e.buf = jsonx.AppendEscaped(e.buf, s, e.human)
		e.buf = append(e.buf, '"')
	case needsQuoting(s):
		e.buf = strconv.AppendQuote(e.buf, s)
	default:
		e.buf = append(e.buf, s...)
	}
}

// appendStringTail treats buf[n:] as a string value just appended raw, and
// rewrites it as appendString would have written it.
func (e *encoder) appendStringTail(n int) {
	s := e.buf[n:]
	if !e.json && !needsQuoting(unsafe.String(unsafe.SliceData(s), len(s))) {
		return
	}
	e.scratch = append(e.scratch[:0], s...)
	e.buf = e.buf[:n]
	e.appendString(unsafe.String(unsafe.SliceData(e.scratch), len(e.scratch)))
}

func (e *encoder) appendValue(v slog.Value) { e.appendKind(v.Kind(), v) }

// appendKind is appendValue for a v whose kind k is known.
func (e *encoder) appendKind(k slog.Kind, v slog.Value) {
	switch k {
	case slog.KindString:
		e.appendString(v.String())
	case slog.KindInt64:
		e.buf = strconv.AppendInt(e.buf, v.Int64(), 10)
	case slog.KindUint64:
		e.buf = strconv.AppendUint(e.buf, v.Uint64(), 10)
	case slog.KindFloat64:
		if e.json {
			e.appendJSONFloat(v.Float64())
		} else {
			e.buf = strconv.AppendFloat(e.buf, v.Float64(), 'g', -1, 64)
		}
	case slog.KindBool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case slog.KindDuration:
		switch {
		case e.human:
			e.buf = append(e.buf, '"')
			e.buf = appendDuration(e.buf, v.Duration())
			e.buf = append(e.buf, '"')
		case e.json:
			e.buf = strconv.AppendInt(e.buf, int64(v.Duration()), 10)
		default:
			e.buf = appendDuration(e.buf, v.Duration())
		}
	case slog.KindTime:
		e.appendTime(v.Time())
	case slog.KindAny, slog.KindLogValuer:
		e.appendAny(v.Any())
	case slog.KindGroup:
		// Not reached from appendAttr; written as slog's Value.String.
		e.appendString(v.String())
	}
}

// appendTime writes a time attribute: RFC 3339 with nanoseconds in a JSON
// string, with milliseconds in Text.
func (e *encoder) appendTime(t time.Time) {
	if e.json {
		e.buf = append(e.buf, '"')
		e.buf = appendRFC3339(e.buf, t, fracNano)
		e.buf = append(e.buf, '"')
	} else {
		e.buf = appendRFC3339(e.buf, t, fracMilli)
	}
}

// appendRecordTime writes the record's time: as appendTime, or as a string
// in Options.TimeFormat.
func (e *encoder) appendRecordTime(t time.Time) {
	if e.h.c.timeFormat == "" {
		e.appendTime(t)
		return
	}
	n := len(e.buf)
	e.buf = t.AppendFormat(e.buf, e.h.c.timeFormat)
	e.appendStringTail(n)
}

func (e *encoder) appendLevel(l slog.Level) {
	if e.json {
		e.buf = append(e.buf, '"')
		e.buf = multi.AppendLevel(e.buf, l)
		e.buf = append(e.buf, '"')
	} else {
		e.buf = multi.AppendLevel(e.buf, l)
	}
}

func (e *encoder) appendJSONFloat(f float64) {
	switch {
	case f != f:
		e.appendString("!ERROR:json: unsupported value: NaN")
	case f > maxFloat:
		e.appendString("!ERROR:json: unsupported value: +Inf")
	case f < -maxFloat:
		e.appendString("!ERROR:json: unsupported value: -Inf")
	default:
		e.buf = appendFloat(e.buf, f)
	}
}

const maxFloat = 1.7976931348623157e308

// appendSource writes the built-in source attribute when there is no
// ReplaceAttr.
func (e *encoder) appendSource(key string, s *slog.Source) {
	if *s == (slog.Source{}) {
		return
	}
	e.appendKey(key)
	if !e.json {
		e.appendSourceText(s)
		return
	}
	e.buf = append(e.buf, '{')
	sep := ""
	if s.Function != "" {
		e.buf = append(e.buf, `"function":`...)
		e.appendString(s.Function)
		sep = ","
	}
	if s.File != "" {
		e.buf = append(e.buf, sep...)
		e.buf = append(e.buf, `"file":`...)
		e.appendString(s.File)
		sep = ","
	}
	if s.Line != 0 {
		e.buf = append(e.buf, sep...)
		e.buf = append(e.buf, `"line":`...)
		e.buf = strconv.AppendInt(e.buf, int64(s.Line), 10)
	}
	e.buf = append(e.buf, '}')
}

// appendSourceText writes a source as Text does: "file:line", quoted when
// it needs to be.
func (e *encoder) appendSourceText(s *slog.Source) {
	n := len(e.buf)
	e.buf = append(e.buf, s.File...)
	e.buf = append(e.buf, ':')
	e.buf = strconv.AppendInt(e.buf, int64(s.Line), 10)
	e.appendStringTail(n)
}

// appendAny writes a KindAny value as slog does, recovering from panics in
// the value's methods: a nil pointer is written as "<nil>", any other panic
// as "!PANIC: <value>".
func (e *encoder) appendAny(a any) {
	pos := len(e.buf)
	defer func() {
		if r := recover(); r != nil {
			e.buf = e.buf[:pos]
			if v := reflect.ValueOf(a); v.Kind() == reflect.Pointer && v.IsNil() {
				e.appendString("<nil>")
				return
			}
			e.appendString(fmt.Sprintf("!PANIC: %v", r))
		}
	}()
	var err error
	if e.json {
		err = e.appendJSONAny(a)
	} else {
		err = e.appendTextAny(a)
	}
	if err != nil {
		e.buf = e.buf[:pos]
		e.appendString(fmt.Sprintf("!ERROR:%v", err))
	}
}

func (e *encoder) appendJSONAny(a any) error {
	switch x := a.(type) {
	case slog.Level:
		e.appendLevel(x)
		return nil
	case json.Marshaler:
	case error:
		e.appendString(x.Error())
		return nil
	}
	return e.appendJSONMarshal(a)
}

func (e *encoder) appendTextAny(a any) error {
	if l, ok := a.(slog.Level); ok {
		e.appendLevel(l)
		return nil
	}
	if tm, ok := a.(encoding.TextMarshaler); ok {
		data, err := tm.MarshalText()
		if err != nil {
			return err
		}
		e.appendString(unsafe.String(unsafe.SliceData(data), len(data)))
		return nil
	}
	if bs, ok := byteSlice(a); ok {
		e.buf = strconv.AppendQuote(e.buf, unsafe.String(unsafe.SliceData(bs), len(bs)))
		return nil
	}
	if err, ok := a.(error); ok {
		if _, ok := a.(fmt.Formatter); !ok {
			// fmt's %+v of such an error is its Error(); fmt is only
			// needed for its words when Error panics.
			if s, ok := safeError(err); ok {
				e.appendString(s)
				return nil
			}
		}
	}
	if err := checkPrintable(a); err != nil {
		return err
	}
	n := len(e.buf)
	e.buf = fmt.Appendf(e.buf, "%+v", a)
	e.appendStringTail(n)
	return nil
}

// safeError returns err.Error(), or false if it panicked.
func safeError(err error) (s string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return err.Error(), true
}

// byteSlice returns a as a []byte if its underlying type is []byte.
func byteSlice(a any) ([]byte, bool) {
	if bs, ok := a.([]byte); ok {
		return bs, true
	}
	t := reflect.TypeOf(a)
	if t != nil && t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		return reflect.ValueOf(a).Bytes(), true
	}
	return nil, false
}
