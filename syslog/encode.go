package syslog

import (
	"encoding"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jinpy-utils/multi"
)

// bom starts the MSG of an RFC 5424 message: it says the MSG is UTF-8.
const bom = "\xEF\xBB\xBF"

// rfc5424Time is TIMESTAMP: RFC 3339 with microseconds (TIME-SECFRAC is at
// most 6 digits) and the record's own offset.
const rfc5424Time = "2006-01-02T15:04:05.000000Z07:00"

// maxPooled is the largest encoder buffer kept for reuse, so that one huge
// record does not pin a huge buffer in the pool.
const maxPooled = 64 << 10

// encoder is the scratch of one Handle or WithAttrs call.
type encoder struct {
	buf    []byte
	prefix []byte   // the open groups, each followed by '.'
	groups []string // the open groups, for ReplaceAttr
	ctl    bool     // escape control characters as #ooo (RFC 3164)
	sdAt   int      // RFC 5424: where STRUCTURED-DATA starts in buf
	sdEnd  int      // and where it ends (the MSG's space follows)

	span    multi.SpanContext // the span of the record's context
	hasSpan bool              // when there is one
}

var encoders = sync.Pool{New: func() any { return &encoder{buf: make([]byte, 0, 1024)} }}

func newEncoder(c *config) *encoder {
	e := encoders.Get().(*encoder)
	e.ctl = c.format == RFC3164
	return e
}

func (e *encoder) free() {
	if cap(e.buf) > maxPooled {
		return
	}
	e.buf, e.prefix = e.buf[:0], e.prefix[:0]
	e.hasSpan = false
	clear(e.groups)
	e.groups = e.groups[:0]
	encoders.Put(e)
}

// header5424 is the part of an RFC 5424 header after TIMESTAMP:
// " HOSTNAME APP-NAME PROCID MSGID ", each field checked and cut to its
// length, the NILVALUE for an empty one.
func header5424(c *config) []byte {
	b := []byte{' '}
	b = appendHeaderField(b, c.Hostname, 255)
	b = append(b, ' ')
	b = appendHeaderField(b, c.AppName, 48)
	b = append(b, ' ')
	b = appendHeaderField(b, c.procID, 128)
	b = append(b, ' ')
	b = appendHeaderField(b, c.MsgID, 32)
	return append(b, ' ')
}

// header3164 is the part of an RFC 3164 header after the timestamp:
// " HOSTNAME TAG[PID]: ", without the HOSTNAME on a Unix socket.
func header3164(c *config) []byte {
	b := []byte{' '}
	if !c.local {
		b = appendHeaderField(b, c.Hostname, 255)
		b = append(b, ' ')
	}
	tag := []byte(nil)
	for i := 0; i < len(c.AppName) && len(tag) < 32; i++ {
		ch := c.AppName[i]
		if ch <= ' ' || ch >= 0x7f || ch == '[' || ch == ']' || ch == ':' {
			ch = '_'
		}
		tag = append(tag, ch)
	}
	if len(tag) == 0 {
		tag = []byte("-")
	}
	b = append(b, tag...)
	b = append(b, '[')
	b = append(b, c.procID...)
	return append(b, "]: "...)
}

// appendHeaderField appends s as a header field: printable US-ASCII, other
// bytes replaced by '_', at most n bytes, "-" when empty.
func appendHeaderField(b []byte, s string, n int) []byte {
	if s == "" {
		return append(b, '-')
	}
	for i := 0; i < len(s) && i < n; i++ {
		ch := s[i]
		if ch <= ' ' || ch >= 0x7f {
			ch = '_'
		}
		b = append(b, ch)
	}
	return b
}

// encode appends the message for r to e.buf.
func (h *Handler) encode(e *encoder, r slog.Record) {
	c := h.s.c
	b := e.buf
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(int(c.Facility)*8+int(SeverityOf(r.Level))), 10)
	b = append(b, '>')
	if c.format == RFC5424 {
		b = append(b, '1', ' ')
		if r.Time.IsZero() {
			b = append(b, '-')
		} else {
			b = appendTimestamp(b, r.Time)
		}
		b = append(b, h.s.header...)
		start := len(b)
		e.sdAt = start
		b = append(b, '[')
		b = append(b, c.StructuredDataID...)
		mark := len(b)
		if e.hasSpan {
			b = appendSpan(b, &e.span)
		}
		b = append(b, h.pre...)
		e.buf = b
		h.appendRecordAttrs(e, r)
		b = e.buf
		if len(b) == mark {
			b = append(b[:start], '-')
		} else {
			b = append(b, ']')
		}
		e.sdEnd = len(b)
		if r.Message != "" {
			b = append(b, ' ')
			b = append(b, bom...)
			b = appendMsg(b, r.Message, false)
		}
		e.buf = b
		return
	}
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	b = t.AppendFormat(b, time.Stamp)
	b = append(b, h.s.header...)
	b = appendMsg(b, r.Message, true)
	if e.hasSpan {
		b = appendSpan(b, &e.span)
	}
	b = append(b, h.pre...)
	e.buf = b
	h.appendRecordAttrs(e, r)
}

// appendSpan appends the SD-PARAMs of a span, ` trace_id="…" span_id="…"
// trace_flags="01"`, the ids in lowercase hex.
func appendSpan(b []byte, s *multi.SpanContext) []byte {
	const hex = "0123456789abcdef"
	b = append(b, ` trace_id="`...)
	b = s.AppendTraceID(b)
	b = append(b, `" span_id="`...)
	b = s.AppendSpanID(b)
	b = append(b, `" trace_flags="`...)
	return append(b, hex[s.Flags>>4], hex[s.Flags&0xF], '"')
}

// fit cuts the message in e.buf to at most n bytes, and reports whether it
// had to. RFC 5424: the MSG is cut first, at a UTF-8 boundary; if the
// header and STRUCTURED-DATA alone are too long, the MSG is left out, the
// SD-PARAMs that fit are kept, the value of the first that does not is
// cut to fit (never inside an escape or a UTF-8 sequence), and those after
// it are left out. RFC 3164: the tail is cut, attributes first.
func (e *encoder) fit(c *config, n int) bool {
	b := e.buf
	if n <= 0 || len(b) <= n {
		return false
	}
	if c.format != RFC5424 || e.sdAt+len(c.StructuredDataID)+8 > n {
		e.buf = b[:utf8Cut(b, n)]
		return true
	}
	if e.sdEnd+1+len(bom) < n {
		e.buf = b[:utf8Cut(b, n)]
		return true
	}
	b = b[:e.sdEnd]
	if len(b) <= n {
		e.buf = b
		return true
	}
	// Our own escaping makes the scan simple: names hold no '"', and
	// inside a value a backslash always starts a two-byte escape.
	i := e.sdAt + 1 + len(c.StructuredDataID)
	for i < len(b) && b[i] == ' ' {
		j := i + 1
		for b[j] != '"' { // the name and '=', up to the opening quote
			j++
		}
		j++
		if j+2 > n { // not even the name fits: leave it out
			break
		}
		for b[j] != '"' {
			k := j + 1
			if b[j] == '\\' {
				k = j + 2
			} else if b[j] >= utf8.RuneSelf {
				_, size := utf8.DecodeRune(b[j:])
				k = j + size
			}
			if k+2 > n { // the closing quote and ']' must fit too
				e.buf = append(b[:j], '"', ']')
				return true
			}
			j = k
		}
		j++
		if j+1 > n {
			break
		}
		i = j
	}
	if i == e.sdAt+1+len(c.StructuredDataID) {
		e.buf = append(b[:e.sdAt], '-')
	} else {
		e.buf = append(b[:i], ']')
	}
	return true
}

// utf8Cut returns the largest i <= n at which b can be cut without
// splitting a UTF-8 sequence.
func utf8Cut(b []byte, n int) int {
	for i := n; i > 0 && i > n-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			return i
		}
	}
	return n
}

// appendTimestamp appends t as rfc5424Time does, in a third of the time
// AppendFormat takes.
func appendTimestamp(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, rfc5424Time)
	}
	hour, minute, sec := t.Clock()
	b = append4(b, year)
	b = append(b, '-')
	b = append2(b, int(month))
	b = append(b, '-')
	b = append2(b, day)
	b = append(b, 'T')
	b = append2(b, hour)
	b = append(b, ':')
	b = append2(b, minute)
	b = append(b, ':')
	b = append2(b, sec)
	us := t.Nanosecond() / 1000
	b = append(b, '.')
	b = append2(b, us/10000)
	b = append2(b, us/100%100)
	b = append2(b, us%100)
	_, off := t.Zone()
	if off == 0 {
		return append(b, 'Z')
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	off /= 60
	b = append(b, sign)
	b = append2(b, off/60)
	b = append(b, ':')
	return append2(b, off%60)
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

func append4(b []byte, n int) []byte {
	return append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// appendRecordAttrs appends the source and the record's attributes, in
// the groups of h.
func (h *Handler) appendRecordAttrs(e *encoder, r slog.Record) {
	c := h.s.c
	if c.AddSource && r.PC != 0 {
		h.appendSource(e, r.PC)
	}
	if r.NumAttrs() == 0 {
		return
	}
	e.prefix = append(e.prefix[:0], h.prefix...)
	e.groups = append(e.groups[:0], h.groups...)
	r.Attrs(func(a slog.Attr) bool {
		e.appendAttr(c, a)
		return true
	})
}

func (h *Handler) appendSource(e *encoder, pc uintptr) {
	fs := runtime.CallersFrames([]uintptr{pc})
	f, _ := fs.Next()
	if h.s.c.ReplaceAttr == nil {
		e.prefix = append(e.prefix[:0], "source."...)
		e.appendParam("function", slog.StringValue(f.Function))
		e.appendParam("file", slog.StringValue(f.File))
		e.appendParam("line", slog.IntValue(f.Line))
		e.prefix = e.prefix[:0]
		return
	}
	e.prefix, e.groups = e.prefix[:0], e.groups[:0]
	e.appendAttr(h.s.c, slog.Any(slog.SourceKey, &slog.Source{Function: f.Function, File: f.File, Line: f.Line}))
}

// appendAttr appends a as SD-PARAMs, one per value, groups flattened into
// the names ("req.method").
func (e *encoder) appendAttr(c *config, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if c.ReplaceAttr != nil && a.Value.Kind() != slog.KindGroup {
		a = c.ReplaceAttr(e.groups, a)
		a.Value = a.Value.Resolve()
	}
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindAny {
		if src, ok := a.Value.Any().(*slog.Source); ok && src != nil {
			a.Value = slog.GroupValue(
				slog.String("function", src.Function),
				slog.String("file", src.File),
				slog.Int("line", src.Line))
		}
	}
	if a.Value.Kind() != slog.KindGroup {
		if a.Key == "" {
			return
		}
		e.appendParam(a.Key, a.Value)
		return
	}
	as := a.Value.Group()
	if len(as) == 0 {
		return
	}
	n, g := len(e.prefix), len(e.groups)
	if a.Key != "" {
		e.prefix = append(e.prefix, a.Key...)
		e.prefix = append(e.prefix, '.')
		e.groups = append(e.groups, a.Key)
	}
	for _, x := range as {
		e.appendAttr(c, x)
	}
	e.prefix, e.groups = e.prefix[:n], e.groups[:g]
}

// appendParam appends ` NAME="VALUE"`: the name is e.prefix and key as an
// SD-NAME (bytes that may not appear in one replaced by '_', cut at 32
// bytes), the value escaped.
func (e *encoder) appendParam(key string, v slog.Value) {
	b := append(e.buf, ' ')
	n := 0
	for i := 0; i < len(e.prefix) && n < 32; i++ {
		b = append(b, sdNameChar(e.prefix[i]))
		n++
	}
	for i := 0; i < len(key) && n < 32; i++ {
		b = append(b, sdNameChar(key[i]))
		n++
	}
	b = append(b, '=', '"')
	e.buf = b
	e.appendValue(v)
	e.buf = append(e.buf, '"')
}

// sdNameChar is ch, or '_' if ch may not appear in an SD-NAME.
func sdNameChar(ch byte) byte {
	if sdNameByte(ch) {
		return ch
	}
	return '_'
}

func (e *encoder) appendValue(v slog.Value) {
	b := e.buf
	switch v.Kind() {
	case slog.KindString:
		b = appendParamValue(b, v.String(), e.ctl)
	case slog.KindInt64:
		b = strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		b = strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		b = strconv.AppendFloat(b, v.Float64(), 'g', -1, 64)
	case slog.KindBool:
		b = strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		b = append(b, v.Duration().String()...)
	case slog.KindTime:
		b = v.Time().AppendFormat(b, time.RFC3339Nano)
	default:
		b = appendParamValue(b, anyString(v.Any()), e.ctl)
	}
	e.buf = b
}

// anyString is the text of a value of KindAny, as slog.TextHandler
// writes it; a panic in the value's method is written instead of raised.
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

// appendParamValue appends s as a PARAM-VALUE: '"', '\' and ']' escaped
// with a backslash, invalid UTF-8 replaced by U+FFFD, and with ctl,
// control characters written as #ooo.
func appendParamValue(b []byte, s string, ctl bool) []byte {
	for i := 0; i < len(s); {
		ch := s[i]
		if ch < utf8.RuneSelf {
			switch {
			case ch == '"' || ch == '\\' || ch == ']':
				b = append(b, '\\', ch)
			case ctl && (ch < ' ' || ch == 0x7f):
				b = appendOctal(b, ch)
			default:
				b = append(b, ch)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// appendMsg appends s as a MSG: invalid UTF-8 replaced by U+FFFD, and with
// ctl, control characters written as #ooo.
func appendMsg(b []byte, s string, ctl bool) []byte {
	for i := 0; i < len(s); {
		ch := s[i]
		if ch < utf8.RuneSelf {
			if ctl && (ch < ' ' || ch == 0x7f) {
				b = appendOctal(b, ch)
			} else {
				b = append(b, ch)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

func appendOctal(b []byte, ch byte) []byte {
	return append(b, '#', '0'+ch>>6, '0'+(ch>>3)&7, '0'+ch&7)
}
