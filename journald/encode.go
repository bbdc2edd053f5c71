package journald

import (
	"encoding"
	"encoding/binary"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/syslog"
)

// maxName is the longest field name journald accepts.
const maxName = 64

// maxPooled is the largest encoder buffer kept for reuse.
const maxPooled = 64 << 10

// encoder is the scratch of one Handle or WithAttrs call.
type encoder struct {
	buf    []byte
	prefix []byte   // the open groups, sanitized, each followed by '_'
	groups []string // the open groups, for ReplaceAttr
	val    []byte   // a value's text, before it is written

	span    multi.SpanContext // the span of the record's context
	hasSpan bool              // when there is one
}

var encoders = sync.Pool{New: func() any { return &encoder{buf: make([]byte, 0, 1024)} }}

func newEncoder() *encoder { return encoders.Get().(*encoder) }

func (e *encoder) free() {
	if cap(e.buf) > maxPooled || cap(e.val) > maxPooled {
		return
	}
	e.buf, e.prefix, e.val = e.buf[:0], e.prefix[:0], e.val[:0]
	e.hasSpan = false
	clear(e.groups)
	e.groups = e.groups[:0]
	encoders.Put(e)
}

// appendFieldValue appends the value of a field of the native protocol,
// after its name: '=', the value and a newline, or, for a value that holds
// a newline, a newline, the value's length as a little-endian uint64, the
// value and a newline.
func appendFieldValue(b []byte, value []byte) []byte {
	for _, c := range value {
		if c == '\n' {
			b = append(b, '\n')
			b = binary.LittleEndian.AppendUint64(b, uint64(len(value)))
			b = append(b, value...)
			return append(b, '\n')
		}
	}
	b = append(b, '=')
	b = append(b, value...)
	return append(b, '\n')
}

func appendStringField(b []byte, name, value string) []byte {
	b = append(b, name...)
	if strings.IndexByte(value, '\n') >= 0 {
		b = append(b, '\n')
		b = binary.LittleEndian.AppendUint64(b, uint64(len(value)))
		b = append(b, value...)
		return append(b, '\n')
	}
	b = append(b, '=')
	b = append(b, value...)
	return append(b, '\n')
}

// own are the fields the handler writes itself; an attribute that would
// take one of these names gets the prefix "X_" instead.
var own = []string{"MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "TRACE_ID", "SPAN_ID", "TRACE_FLAGS"}

// appendName appends the field name for an attribute: the groups and the
// key joined by '_', letters uppercased, every byte other than A-Z, 0-9
// and '_' replaced by '_', "X_" in front of a name that does not start
// with a letter or is one of the handler's own fields, cut at 64 bytes.
func appendName(b, prefix []byte, key string) []byte {
	start := len(b)
	for _, c := range prefix {
		b = append(b, nameChar(c))
	}
	for i := 0; i < len(key); i++ {
		b = append(b, nameChar(key[i]))
	}
	name := b[start:]
	needX := name[0] < 'A' || name[0] > 'Z'
	if !needX {
		for _, o := range own {
			if string(name) == o {
				needX = true
				break
			}
		}
	}
	if needX {
		b = append(b, 0, 0)
		copy(b[start+2:], b[start:len(b)-2])
		b[start], b[start+1] = 'X', '_'
	}
	if len(b)-start > maxName {
		b = b[:start+maxName]
	}
	return b
}

func nameChar(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		return c
	case c >= 'a' && c <= 'z':
		return c - 'a' + 'A'
	}
	return '_'
}

// encode appends the entry for r to e.buf.
func (h *Handler) encode(e *encoder, r slog.Record) {
	b := e.buf
	b = appendStringField(b, "MESSAGE", r.Message)
	b = append(b, "PRIORITY="...)
	b = strconv.AppendInt(b, int64(syslog.SeverityOf(r.Level)), 10)
	b = append(b, '\n')
	b = append(b, h.s.ident...)
	if e.hasSpan {
		b = appendSpan(b, &e.span)
	}
	e.buf = b
	if h.s.addSource && r.PC != 0 {
		h.appendSource(e, r.PC)
	}
	e.buf = append(e.buf, h.pre...)
	if r.NumAttrs() > 0 {
		e.prefix = append(e.prefix[:0], h.prefix...)
		e.groups = append(e.groups[:0], h.groups...)
		r.Attrs(func(a slog.Attr) bool {
			e.appendAttr(h.s.rep, a)
			return true
		})
	}
}

// appendSpan appends the fields of a span: TRACE_ID and SPAN_ID in
// lowercase hex, TRACE_FLAGS as two hex digits.
func appendSpan(b []byte, s *multi.SpanContext) []byte {
	const hex = "0123456789abcdef"
	b = append(b, "TRACE_ID="...)
	b = s.AppendTraceID(b)
	b = append(b, "\nSPAN_ID="...)
	b = s.AppendSpanID(b)
	b = append(b, "\nTRACE_FLAGS="...)
	return append(b, hex[s.Flags>>4], hex[s.Flags&0xF], '\n')
}

func (h *Handler) appendSource(e *encoder, pc uintptr) {
	fs := runtime.CallersFrames([]uintptr{pc})
	f, _ := fs.Next()
	if h.s.rep != nil {
		a := h.s.rep(nil, slog.Any(slog.SourceKey, &slog.Source{Function: f.Function, File: f.File, Line: f.Line}))
		a.Value = a.Value.Resolve()
		src, ok := a.Value.Any().(*slog.Source)
		if a.Key != slog.SourceKey || !ok || src == nil {
			e.prefix, e.groups = e.prefix[:0], e.groups[:0]
			e.appendAttr(nil, a) // ReplaceAttr made it something else
			return
		}
		f.Function, f.File, f.Line = src.Function, src.File, src.Line
	}
	b := appendStringField(e.buf, "CODE_FILE", f.File)
	b = append(b, "CODE_LINE="...)
	b = strconv.AppendInt(b, int64(f.Line), 10)
	b = append(b, '\n')
	e.buf = appendStringField(b, "CODE_FUNC", f.Function)
}

// appendAttr appends a as fields, one per value, groups joined into the
// names.
func (e *encoder) appendAttr(rep func([]string, slog.Attr) slog.Attr, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if rep != nil && a.Value.Kind() != slog.KindGroup {
		a = rep(e.groups, a)
		a.Value = a.Value.Resolve()
	}
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() != slog.KindGroup {
		if a.Key == "" {
			return
		}
		e.buf = appendName(e.buf, e.prefix, a.Key)
		e.val = appendValue(e.val[:0], a.Value)
		e.buf = appendFieldValue(e.buf, e.val)
		return
	}
	as := a.Value.Group()
	if len(as) == 0 {
		return
	}
	n, g := len(e.prefix), len(e.groups)
	if a.Key != "" {
		for i := 0; i < len(a.Key); i++ {
			e.prefix = append(e.prefix, nameChar(a.Key[i]))
		}
		e.prefix = append(e.prefix, '_')
		e.groups = append(e.groups, a.Key)
	}
	for _, x := range as {
		e.appendAttr(rep, x)
	}
	e.prefix, e.groups = e.prefix[:n], e.groups[:g]
}

// appendValue appends the text of v, as slog.TextHandler writes it but
// unquoted: journald values are binary-safe, so nothing is escaped.
func appendValue(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return append(b, v.String()...)
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		return strconv.AppendFloat(b, v.Float64(), 'g', -1, 64)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		return append(b, v.Duration().String()...)
	case slog.KindTime:
		return v.Time().AppendFormat(b, time.RFC3339Nano)
	}
	return append(b, anyString(v.Any())...)
}

// anyString is the text of a value of KindAny; a panic in the value's
// method is written instead of raised.
func anyString(x any) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("!PANIC: %v", r)
		}
	}()
	switch x := x.(type) {
	case nil:
		return "<nil>"
	case error:
		return x.Error()
	case encoding.TextMarshaler:
		t, err := x.MarshalText()
		if err != nil {
			return "!ERROR: " + err.Error()
		}
		return string(t)
	case []byte:
		return string(x)
	}
	return fmt.Sprintf("%+v", x)
}
