package format

import (
	"log/slog"
	"unicode/utf8"

	"github.com/jinpy-utils/multi"
)

// The keys of a record's span in JSON, Text, Plain and Structured, the
// names OpenTelemetry gives them outside OTLP ("Trace Context in non-OTLP
// Log Formats"). ReplaceAttr sees them under these keys, as string
// attributes with no groups.
const (
	TraceIDKey    = "trace_id"    // 32 lowercase hex digits
	SpanIDKey     = "span_id"     // 16 lowercase hex digits
	TraceFlagsKey = "trace_flags" // 2 lowercase hex digits, W3C trace-flags ("01": sampled)
)

// consoleIDLen is how many hex digits of each id Console writes.
const consoleIDLen = 8

// appendSlogSpan writes the span of JSON and Text: trace_id, span_id and
// trace_flags, each a string.
func (e *encoder) appendSlogSpan() {
	s := &e.span
	if e.h.c.rep != nil {
		ids := spanStrings(s)
		e.appendBuiltin(slog.String(TraceIDKey, ids[:32]), false)
		e.appendBuiltin(slog.String(SpanIDKey, ids[32:48]), false)
		e.appendBuiltin(slog.String(TraceFlagsKey, ids[48:]), false)
		return
	}
	e.appendSafeKey(TraceIDKey)
	e.appendIDQuote()
	e.buf = s.AppendTraceID(e.buf)
	e.appendIDQuote()
	e.appendSafeKey(SpanIDKey)
	e.appendIDQuote()
	e.buf = s.AppendSpanID(e.buf)
	e.appendIDQuote()
	e.appendSafeKey(TraceFlagsKey)
	e.appendIDQuote()
	e.buf = append(e.buf, hex[s.Flags>>4], hex[s.Flags&0xF])
	e.appendIDQuote()
}

// appendIDQuote opens or closes the string of an id in JSON; Text needs no
// quotes around hex digits.
func (e *encoder) appendIDQuote() {
	if e.json {
		e.buf = append(e.buf, '"')
	}
}

// appendHumanSpan writes the span of the human formats, after the message:
// " trace_id=… span_id=… trace_flags=01" in Plain and Structured, and
// " trace=4bf92f35… span=00f067aa…" (the first 8 hex digits of each id) in
// Console.
func (e *encoder) appendHumanSpan() {
	s := &e.span
	console := e.h.c.format == Console
	if e.h.c.rep == nil {
		if console {
			var id [32]byte
			e.buf = append(e.buf, " trace="...)
			e.buf = append(e.buf, s.AppendTraceID(id[:0])[:consoleIDLen]...)
			e.buf = append(e.buf, "… span="...)
			e.buf = append(e.buf, s.AppendSpanID(id[:0])[:consoleIDLen]...)
			e.buf = append(e.buf, "…"...)
			return
		}
		e.buf = append(e.buf, " "+TraceIDKey+"="...)
		e.buf = s.AppendTraceID(e.buf)
		e.buf = append(e.buf, " "+SpanIDKey+"="...)
		e.buf = s.AppendSpanID(e.buf)
		e.buf = append(e.buf, " "+TraceFlagsKey+"="...)
		e.buf = append(e.buf, hex[s.Flags>>4], hex[s.Flags&0xF])
		return
	}
	ids := spanStrings(s)
	if console {
		e.appendHumanSpanAttr(" trace=", TraceIDKey, ids[:32], true)
		e.appendHumanSpanAttr(" span=", SpanIDKey, ids[32:48], true)
		return
	}
	e.appendHumanSpanAttr(" "+TraceIDKey+"=", TraceIDKey, ids[:32], false)
	e.appendHumanSpanAttr(" "+SpanIDKey+"=", SpanIDKey, ids[32:48], false)
	e.appendHumanSpanAttr(" "+TraceFlagsKey+"=", TraceFlagsKey, ids[48:], false)
}

// appendHumanSpanAttr passes one span attribute through ReplaceAttr and
// writes label and the value it returns, as the human formats write a
// built-in: in its place whatever the key, left out when removed. short
// cuts a string value to its first 8 bytes followed by "…".
func (e *encoder) appendHumanSpanAttr(label, key, val string, short bool) {
	a := e.replace(slog.String(key, val))
	if isEmpty(a) {
		return
	}
	e.buf = append(e.buf, label...)
	if short && a.Value.Kind() == slog.KindString && len(a.Value.String()) > consoleIDLen {
		v := a.Value.String()
		n := consoleIDLen
		for n > 0 && !utf8.RuneStart(v[n]) {
			n--
		}
		e.buf = appendHumanString(e.buf, v[:n])
		e.buf = append(e.buf, "…"...)
		return
	}
	e.appendHumanValue(a.Value)
}

// spanStrings returns the trace id, span id and flags of s as one string
// of 50 hex digits, for ReplaceAttr, which may keep the strings it is
// given: one allocation for the three.
func spanStrings(s *multi.SpanContext) string {
	var b [50]byte
	buf := s.AppendTraceID(b[:0])
	buf = s.AppendSpanID(buf)
	buf = append(buf, hex[s.Flags>>4], hex[s.Flags&0xF])
	return string(buf)
}
