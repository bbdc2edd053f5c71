package otlpsink

import (
	"encoding"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/internal/jsonx"
	"github.com/jinpy-utils/multi/internal/otlp"
)

// This file is the OTLP/JSON encoding (Options.Encoding JSON): the same
// LogRecord as encode.go's protobuf, as the OTLP specification's JSON
// mapping writes it: lowerCamelCase names, 64-bit integers as decimal
// strings, trace and span ids as hex, bytes as base64, and NaN and the
// infinities as the strings "NaN", "Infinity" and "-Infinity".

// sep appends the comma before an item of a list, unless it is the first.
func sep(b []byte, first *bool) []byte {
	if *first {
		*first = false
		return b
	}
	return append(b, ',')
}

// appendItems appends items encoded earlier, each with a leading comma,
// without the first comma if they open the list.
func appendItems(b, items []byte, first *bool) []byte {
	if len(items) == 0 {
		return b
	}
	if *first {
		*first = false
		return append(b, items[1:]...)
	}
	return append(b, items...)
}

// appendKVJSON appends a KeyValue object for a (see appendKV for the
// rules), as an item of a list.
func (e *encoder) appendKVJSON(b []byte, a slog.Attr, first *bool) []byte {
	a, ok := e.resolve(a)
	if !ok {
		return b
	}
	if a.Value.Kind() == slog.KindGroup {
		attrs := a.Value.Group()
		if a.Key == "" {
			for _, ga := range attrs {
				b = e.appendKVJSON(b, ga, first)
			}
			return b
		}
		b = sep(b, first)
		b = append(b, `{"key":`...)
		b = jsonx.AppendString(b, a.Key)
		b = append(b, `,"value":{"kvlistValue":{"values":[`...)
		e.groups = append(e.groups, a.Key)
		inner := true
		for _, ga := range attrs {
			b = e.appendKVJSON(b, ga, &inner)
		}
		e.groups = e.groups[:len(e.groups)-1]
		return append(b, "]}}}"...)
	}
	b = sep(b, first)
	b = append(b, `{"key":`...)
	b = jsonx.AppendString(b, a.Key)
	b = append(b, `,"value":`...)
	b = e.appendValueJSON(b, a.Value)
	return append(b, '}')
}

// appendValueJSON appends an AnyValue object for v (resolved, not a
// group).
func (e *encoder) appendValueJSON(b []byte, v slog.Value) []byte {
	str := func(b []byte, s string) []byte {
		b = append(b, `{"stringValue":`...)
		b = jsonx.AppendString(b, s)
		return append(b, '}')
	}
	integer := func(b []byte, n int64) []byte {
		b = append(b, `{"intValue":"`...)
		b = strconv.AppendInt(b, n, 10)
		return append(b, `"}`...)
	}
	switch v.Kind() {
	case slog.KindString:
		return str(b, v.String())
	case slog.KindInt64:
		return integer(b, v.Int64())
	case slog.KindUint64:
		if u := v.Uint64(); u > math.MaxInt64 {
			return str(b, strconv.FormatUint(u, 10))
		}
		return integer(b, int64(v.Uint64()))
	case slog.KindFloat64:
		b = append(b, `{"doubleValue":`...)
		switch f := v.Float64(); {
		case math.IsNaN(f):
			b = append(b, `"NaN"`...)
		case math.IsInf(f, 1):
			b = append(b, `"Infinity"`...)
		case math.IsInf(f, -1):
			b = append(b, `"-Infinity"`...)
		default:
			b = strconv.AppendFloat(b, f, 'g', -1, 64)
		}
		return append(b, '}')
	case slog.KindBool:
		return append(b, `{"boolValue":`+strconv.FormatBool(v.Bool())+`}`...)
	case slog.KindDuration:
		return integer(b, v.Duration().Nanoseconds())
	case slog.KindTime:
		b = append(b, `{"stringValue":"`...)
		b = v.Time().AppendFormat(b, time.RFC3339Nano)
		return append(b, `"}`...)
	}
	switch x := v.Any().(type) {
	case nil:
		return append(b, "{}"...)
	case []byte:
		b = append(b, `{"bytesValue":"`...)
		b = base64.StdEncoding.AppendEncode(b, x)
		return append(b, `"}`...)
	case error:
		return str(b, safeString(x.Error))
	case encoding.TextMarshaler:
		t, err := x.MarshalText()
		if err != nil {
			return str(b, "!ERROR: "+err.Error())
		}
		b = append(b, `{"stringValue":`...)
		b = jsonx.AppendBytes(b, t)
		return append(b, '}')
	case []string:
		b = append(b, `{"arrayValue":{"values":[`...)
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = str(b, s)
		}
		return append(b, "]}}"...)
	case []any:
		b = append(b, `{"arrayValue":{"values":[`...)
		for i, el := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.appendValueJSON(b, slog.AnyValue(el).Resolve())
		}
		return append(b, "]}}"...)
	}
	return str(b, safeString(func() string { return fmt.Sprintf("%+v", v.Any()) }))
}

// encodeRecordJSON is encodeRecord for the JSON encoding: one LogRecord
// object.
func (h *Handler) encodeRecordJSON(e *encoder, r slog.Record, now time.Time, sp multi.SpanContext, spOK bool) {
	b := append(e.buf[:0], '{')
	if t := r.Time; !t.IsZero() {
		b = append(b, `"timeUnixNano":"`...)
		b = strconv.AppendInt(b, t.UnixNano(), 10)
		b = append(b, `",`...)
	}
	b = append(b, `"observedTimeUnixNano":"`...)
	b = strconv.AppendInt(b, now.UnixNano(), 10)
	b = append(b, `","severityNumber":`...)
	b = strconv.AppendInt(b, int64(otlp.Severity(r.Level)), 10)
	b = append(b, `,"severityText":`...)
	b = jsonx.AppendString(b, levelText(r.Level))
	b = append(b, `,"body":{"stringValue":`...)
	b = jsonx.AppendString(b, h.message(r))
	b = append(b, '}')
	if spOK {
		b = append(b, `,"traceId":"`...)
		b = hex.AppendEncode(b, sp.TraceID[:])
		b = append(b, `","spanId":"`...)
		b = hex.AppendEncode(b, sp.SpanID[:])
		b = append(b, `","flags":`...)
		b = strconv.AppendUint(b, uint64(sp.Flags), 10)
	}
	mark := len(b)
	b = append(b, `,"attributes":[`...)
	first := true
	e.replace = h.s.c.ReplaceAttr
	if h.s.c.AddSource && r.PC != 0 {
		src := r.Source()
		b = e.appendKVJSON(b, slog.String("code.file.path", src.File), &first)
		b = e.appendKVJSON(b, slog.Int("code.line.number", src.Line), &first)
		b = e.appendKVJSON(b, slog.String("code.function.name", src.Function), &first)
	}
	b = h.appendLevelJSON(e, b, r, 0, &first)
	if first {
		b = b[:mark] // no attributes
	} else {
		b = append(b, ']')
	}
	e.buf = append(b, '}')
}

// appendLevelJSON is appendLevel for the JSON encoding.
func (h *Handler) appendLevelJSON(e *encoder, b []byte, r slog.Record, i int, first *bool) []byte {
	e.groups = append(e.groups[:0], h.groupNames[:i]...)
	b = appendItems(b, h.levels[i].attrs, first)
	if i == len(h.levels)-1 {
		r.Attrs(func(a slog.Attr) bool {
			b = e.appendKVJSON(b, a, first)
			return true
		})
		return b
	}
	mark, wasFirst := len(b), *first
	b = sep(b, first)
	b = append(b, `{"key":`...)
	b = jsonx.AppendString(b, h.levels[i+1].name)
	b = append(b, `,"value":{"kvlistValue":{"values":[`...)
	inner := true
	b = h.appendLevelJSON(e, b, r, i+1, &inner)
	if inner { // an empty group is left out
		*first = wasFirst
		return b[:mark]
	}
	return append(b, "]}}}"...)
}

// appendRequestJSON appends an ExportLogsServiceRequest in JSON holding
// records, LogRecord objects.
func appendRequestJSON(b []byte, resource []otlp.KeyValue, scope string, records [][]byte) []byte {
	b = append(b, `{"resourceLogs":[{"resource":{"attributes":[`...)
	for i, kv := range resource {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = jsonx.AppendString(b, kv.Key)
		b = append(b, `,"value":{"stringValue":`...)
		b = jsonx.AppendString(b, kv.Value)
		b = append(b, "}}"...)
	}
	b = append(b, `]},"scopeLogs":[{`...)
	if scope != "" {
		b = append(b, `"scope":{"name":`...)
		b = jsonx.AppendString(b, scope)
		b = append(b, "},"...)
	}
	b = append(b, `"logRecords":[`...)
	for i, r := range records {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	return append(b, "]}]}]}"...)
}
