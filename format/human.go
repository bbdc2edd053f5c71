package format

import (
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/jinpy-utils/multi"
)

// Default time layouts of the human formats.
const (
	// DefaultPlainTimeFormat is the time layout of Plain and Structured:
	// Python's datetime.isoformat() with microseconds, always six digits.
	DefaultPlainTimeFormat = layoutMicro
	// DefaultConsoleTimeFormat is the time layout of Console.
	DefaultConsoleTimeFormat = "15:04:05.000"
)

// handleHuman writes a record in Plain, Structured or Console:
//
//	TIME [LEVEL] name: dir/file.go:42: message {"k":"v"}
func (e *encoder) handleHuman(r *slog.Record) {
	c := e.h.c
	rep := c.rep
	track := e.track
	e.track = false // built-ins are in no group
	if !r.Time.IsZero() {
		t := r.Time.Round(0)
		if rep == nil {
			e.appendHumanTime(t)
			e.buf = append(e.buf, ' ')
		} else if a := e.replace(slog.Time(slog.TimeKey, t)); !isEmpty(a) {
			if a.Value.Kind() == slog.KindTime {
				e.appendHumanTime(a.Value.Time())
			} else {
				e.appendHumanValue(a.Value)
			}
			e.buf = append(e.buf, ' ')
		}
	}
	if rep == nil {
		e.appendHumanLevel(r.Level)
		e.buf = append(e.buf, ' ')
	} else if a := e.replace(slog.Any(slog.LevelKey, r.Level)); !isEmpty(a) {
		if l, ok := levelOf(a.Value); ok {
			e.appendHumanLevel(l)
		} else {
			e.buf = append(e.buf, '[')
			e.appendHumanValue(a.Value)
			e.buf = append(e.buf, ']')
		}
		e.buf = append(e.buf, ' ')
	}
	if c.name != "" {
		if rep == nil {
			e.buf = append(e.buf, c.namePrefix...)
		} else if a := e.replace(slog.String(loggerKey, c.name)); !isEmpty(a) {
			e.appendHumanValue(a.Value)
			e.buf = append(e.buf, ": "...)
		}
	}
	if c.addSource {
		a := slog.Any(slog.SourceKey, recordSource(r))
		if rep != nil {
			a = e.replace(a)
		}
		if !isEmpty(a) {
			if s, ok := sourceOf(a.Value); ok {
				if s != nil && *s != (slog.Source{}) {
					e.appendShortSource(s)
					e.buf = append(e.buf, ": "...)
				}
			} else {
				e.appendHumanValue(a.Value)
				e.buf = append(e.buf, ": "...)
			}
		}
	}
	if rep == nil {
		e.buf = appendHumanString(e.buf, r.Message)
	} else if a := e.replace(slog.String(slog.MessageKey, r.Message)); !isEmpty(a) {
		e.appendHumanValue(a.Value)
	}
	if e.hasSpan {
		e.appendHumanSpan()
	}
	e.track = track
	// Console leaves out an empty object: skip the work when there can be
	// nothing in it.
	if c.attrs && (c.format != Console || r.NumAttrs() > 0 || len(e.h.pre) > 0) {
		n := len(e.buf)
		e.buf = append(e.buf, " {"...)
		pos := len(e.buf)
		e.sep = 0
		e.appendNonBuiltIns(r)
		if c.format == Console && len(e.buf) == pos+1 {
			e.buf = e.buf[:n] // Console leaves out an empty object
		}
	}
	e.buf = append(e.buf, '\n')
}

func levelOf(v slog.Value) (slog.Level, bool) {
	if v.Kind() != slog.KindAny {
		return 0, false
	}
	l, ok := v.Any().(slog.Level)
	return l, ok
}

func sourceOf(v slog.Value) (*slog.Source, bool) {
	if v.Kind() != slog.KindAny {
		return nil, false
	}
	s, ok := v.Any().(*slog.Source)
	return s, ok
}

// Console colours (SGR codes) of the levels.
var levelColors = [...]string{
	"\x1b[90m", // TRACE
	"\x1b[36m", // DEBUG
	"\x1b[32m", // INFO
	"\x1b[33m", // WARN
	"\x1b[31m", // ERROR
	"\x1b[35m", // CRITICAL
}

const colorReset = "\x1b[0m"

func levelColor(l slog.Level) string {
	switch {
	case l < slog.LevelDebug:
		return levelColors[0]
	case l < slog.LevelInfo:
		return levelColors[1]
	case l < slog.LevelWarn:
		return levelColors[2]
	case l < slog.LevelError:
		return levelColors[3]
	case l < multi.LevelCritical:
		return levelColors[4]
	default:
		return levelColors[5]
	}
}

// levelTokens are the "[LEVEL]" tokens of the six named levels, plain and
// coloured, so that the common case is one append.
var levelTokens = func() (t [2][6]string) {
	for i, l := range []slog.Level{multi.LevelTrace, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, multi.LevelCritical} {
		t[0][i] = "[" + multi.LevelString(l) + "]"
		t[1][i] = levelColors[i] + t[0][i] + colorReset
	}
	return t
}()

func levelIndex(l slog.Level) int {
	switch l {
	case multi.LevelTrace:
		return 0
	case slog.LevelDebug:
		return 1
	case slog.LevelInfo:
		return 2
	case slog.LevelWarn:
		return 3
	case slog.LevelError:
		return 4
	case multi.LevelCritical:
		return 5
	}
	return -1
}

func (e *encoder) appendHumanLevel(l slog.Level) {
	color := e.h.c.color && e.h.c.format == Console
	if i := levelIndex(l); i >= 0 {
		c := 0
		if color {
			c = 1
		}
		e.buf = append(e.buf, levelTokens[c][i]...)
		return
	}
	if color {
		e.buf = append(e.buf, levelColor(l)...)
	}
	e.buf = append(e.buf, '[')
	e.buf = multi.AppendLevel(e.buf, l)
	e.buf = append(e.buf, ']')
	if color {
		e.buf = append(e.buf, colorReset...)
	}
}

func (e *encoder) appendHumanTime(t time.Time) {
	c := e.h.c
	switch {
	case c.timeFormat != "":
		e.scratch = t.AppendFormat(e.scratch[:0], c.timeFormat)
		e.buf = appendHumanBytes(e.buf, e.scratch)
	case c.format == Console:
		e.appendClockMillis(t)
	default:
		e.buf = appendRFC3339(e.buf, t, fracMicro)
	}
}

// appendShortSource writes the last directory and the file name of the
// source, and its line: "dir/file.go:42".
func (e *encoder) appendShortSource(s *slog.Source) {
	file := s.File
	if i := lastSlash(file); i >= 0 {
		if j := lastSlash(file[:i]); j >= 0 {
			file = file[j+1:]
		}
	}
	e.buf = appendHumanString(e.buf, file)
	e.buf = append(e.buf, ':')
	e.buf = strconv.AppendInt(e.buf, int64(s.Line), 10)
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' || s[i] == '\\' {
			return i
		}
	}
	return -1
}

// appendHumanValue writes a value that ReplaceAttr put in place of a
// built-in, as readable escaped text.
func (e *encoder) appendHumanValue(v slog.Value) {
	switch v.Kind() {
	case slog.KindString:
		e.buf = appendHumanString(e.buf, v.String())
	case slog.KindInt64:
		e.buf = strconv.AppendInt(e.buf, v.Int64(), 10)
	case slog.KindUint64:
		e.buf = strconv.AppendUint(e.buf, v.Uint64(), 10)
	case slog.KindFloat64:
		e.buf = strconv.AppendFloat(e.buf, v.Float64(), 'g', -1, 64)
	case slog.KindBool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case slog.KindDuration:
		e.buf = appendDuration(e.buf, v.Duration())
	case slog.KindTime:
		e.buf = appendRFC3339(e.buf, v.Time(), fracNano)
	case slog.KindGroup:
		e.buf = appendHumanString(e.buf, v.String())
	default:
		e.appendHumanAny(v.Any())
	}
}

func (e *encoder) appendHumanAny(a any) {
	pos := len(e.buf)
	defer func() {
		if r := recover(); r != nil {
			e.buf = e.buf[:pos]
			if v := reflect.ValueOf(a); v.Kind() == reflect.Pointer && v.IsNil() {
				e.buf = append(e.buf, "<nil>"...)
				return
			}
			e.buf = appendHumanString(e.buf, fmt.Sprintf("!PANIC: %v", r))
		}
	}()
	switch x := a.(type) {
	case slog.Level:
		e.buf = multi.AppendLevel(e.buf, x)
		return
	case error:
		e.buf = appendHumanString(e.buf, x.Error())
		return
	}
	if err := checkPrintable(a); err != nil {
		e.buf = appendHumanString(e.buf, "!ERROR:"+err.Error())
		return
	}
	e.scratch = fmt.Appendf(e.scratch[:0], "%+v", a)
	e.buf = appendHumanBytes(e.buf, e.scratch)
}

func appendHumanBytes(buf, s []byte) []byte {
	return appendHumanString(buf, unsafe.String(unsafe.SliceData(s), len(s)))
}

// appendHumanString appends s for the text of a human format: printable
// characters as they are, tab, newline and carriage return as \t \n \r,
// other C0 controls and DEL as \xXX, the C1 controls and U+2028, U+2029 as
// \uXXXX, and each byte of invalid UTF-8 as U+FFFD.
func appendHumanString(buf []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b >= 0x20 && b < 0x7f {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			buf = append(buf, s[start:i]...)
			switch b {
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'x', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			buf = append(buf, s[start:i]...)
			buf = append(buf, "\uFFFD"...)
		case c <= 0x9f, c == '\u2028', c == '\u2029':
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', hex[c>>12], hex[c>>8&0xF], hex[c>>4&0xF], hex[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(buf, s[start:]...)
}
