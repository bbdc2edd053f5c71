package format_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/format"
)

// line returns what a handler for o writes for r after ops.
func line(t testing.TB, o format.Options, r slog.Record, ops ...op) string {
	t.Helper()
	var buf bytes.Buffer
	if o.Level == nil {
		o.Level = slog.Level(-1000)
	}
	h := program{ops: ops}.build(format.New(&buf, &o))
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestHumanFormats(t *testing.T) {
	r := rec(t0, slog.LevelInfo, "user logged in", slog.String("user", "ann"), slog.Int("id", 7),
		slog.Duration("took", 1500*time.Millisecond), slog.Group("req", slog.String("ip", "10.0.0.1")))
	bare := rec(t0, slog.LevelWarn, "no attrs")
	tests := []struct {
		name string
		o    format.Options
		r    slog.Record
		ops  []op
		want string
	}{
		{"plain", format.Options{Format: format.Plain, Name: "auth"}, r, nil,
			"2024-05-06T07:08:09.120000+00:00 [INFO] auth: user logged in\n"},
		{"plain without name", format.Options{Format: format.Plain}, r, nil,
			"2024-05-06T07:08:09.120000+00:00 [INFO] user logged in\n"},
		{"structured", format.Options{Format: format.Structured, Name: "auth"}, r, nil,
			`2024-05-06T07:08:09.120000+00:00 [INFO] auth: user logged in {"user":"ann","id":7,"took":"1.5s","req":{"ip":"10.0.0.1"}}` + "\n"},
		{"structured without attrs", format.Options{Format: format.Structured, Name: "auth"}, bare, nil,
			"2024-05-06T07:08:09.120000+00:00 [WARN] auth: no attrs {}\n"},
		{"structured with attrs and groups", format.Options{Format: format.Structured}, r,
			[]op{withAttrs(slog.String("svc", "api")), withGroup("h")},
			`2024-05-06T07:08:09.120000+00:00 [INFO] user logged in {"svc":"api","h":{"user":"ann","id":7,"took":"1.5s","req":{"ip":"10.0.0.1"}}}` + "\n"},
		{"structured with open group and no attrs", format.Options{Format: format.Structured}, bare,
			[]op{withAttrs(slog.String("svc", "api")), withGroup("h")},
			`2024-05-06T07:08:09.120000+00:00 [WARN] no attrs {"svc":"api"}` + "\n"},
		{"console", format.Options{Format: format.Console, Name: "auth"}, r, nil,
			`07:08:09.120 [INFO] auth: user logged in {"user":"ann","id":7,"took":"1.5s","req":{"ip":"10.0.0.1"}}` + "\n"},
		{"console without attrs", format.Options{Format: format.Console, Name: "auth"}, bare, nil,
			"07:08:09.120 [WARN] auth: no attrs\n"},
		{"console colour", format.Options{Format: format.Console, Color: true}, bare, nil,
			"07:08:09.120 \x1b[33m[WARN]\x1b[0m no attrs\n"},
		{"colour only in console", format.Options{Format: format.Plain, Color: true}, bare, nil,
			"2024-05-06T07:08:09.120000+00:00 [WARN] no attrs\n"},
		{"zero time", format.Options{Format: format.Console}, rec(time.Time{}, slog.LevelInfo, "m"), nil,
			"[INFO] m\n"},
		{"time in its zone", format.Options{Format: format.Plain}, rec(tNanos, slog.LevelInfo, "m"), nil,
			"2024-05-06T07:08:09.123456-03:30 [INFO] m\n"},
		{"custom time format", format.Options{Format: format.Console, TimeFormat: time.Kitchen}, bare, nil,
			"7:08AM [WARN] no attrs\n"},
		{"levels between", format.Options{Format: format.Plain}, rec(t0, slog.LevelInfo+2, "m"), nil,
			"2024-05-06T07:08:09.120000+00:00 [INFO+2] m\n"},
		{"replace built-ins", format.Options{Format: format.Structured, Name: "n", ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey:
				return slog.Attr{}
			case slog.LevelKey:
				return slog.String("severity", "notice")
			case slog.MessageKey:
				return slog.Int("msg", 42)
			case "logger":
				return slog.String("logger", "renamed")
			case "user":
				return slog.String("user", "<redacted>")
			}
			return a
		}}, r, nil,
			`[notice] renamed: 42 {"user":"<redacted>","id":7,"took":"1.5s","req":{"ip":"10.0.0.1"}}` + "\n"},
		{"remove level and name", format.Options{Format: format.Console, Name: "n", ReplaceAttr: dropKeys("level", "logger")}, bare, nil,
			"07:08:09.120 no attrs\n"},
		{"plain leaves attributes out", format.Options{Format: format.Plain}, r,
			[]op{withAttrs(slog.Int("a", 1)), withGroup("g")},
			"2024-05-06T07:08:09.120000+00:00 [INFO] user logged in\n"},
		{"values", format.Options{Format: format.Structured}, rec(t0, slog.LevelInfo, "v",
			slog.Float64("nan", math.NaN()), slog.Any("err", errors.New("boom")), slog.Time("t", t0),
			slog.Any("lvl", multi.LevelTrace), slog.Any("nil", nil), slog.Any("map", map[string]int{"a": 1})), nil,
			`2024-05-06T07:08:09.120000+00:00 [INFO] v {"nan":"!ERROR:json: unsupported value: NaN","err":"boom","t":"2024-05-06T07:08:09.12Z","lvl":"TRACE","nil":null,"map":{"a":1}}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := line(t, tt.o, tt.r, tt.ops...); got != tt.want {
				t.Errorf("\n got: %q\nwant: %q", got, tt.want)
			}
		})
	}
}

func TestConsoleLevelColours(t *testing.T) {
	for _, tt := range []struct {
		l    slog.Level
		want string
	}{
		{multi.LevelTrace - 2, "\x1b[90m[TRACE-2]"},
		{multi.LevelTrace, "\x1b[90m[TRACE]"},
		{slog.LevelDebug, "\x1b[36m[DEBUG]"},
		{slog.LevelInfo, "\x1b[32m[INFO]"},
		{slog.LevelInfo + 1, "\x1b[32m[INFO+1]"},
		{slog.LevelWarn, "\x1b[33m[WARN]"},
		{slog.LevelError, "\x1b[31m[ERROR]"},
		{multi.LevelCritical, "\x1b[35m[CRITICAL]"},
		{multi.LevelCritical + 4, "\x1b[35m[CRITICAL+4]"},
	} {
		got := line(t, format.Options{Format: format.Console, Color: true}, rec(time.Time{}, tt.l, "m"))
		if want := tt.want + "\x1b[0m m\n"; got != want {
			t.Errorf("level %d: got %q, want %q", tt.l, got, want)
		}
	}
}

func TestHumanSource(t *testing.T) {
	var pcs [1]uintptr
	runtime.Callers(1, pcs[:])
	fr, _ := runtime.CallersFrames(pcs[:]).Next()
	src := "format/human_test.go:" + strconv.Itoa(fr.Line)
	r := rec(t0, slog.LevelInfo, "m")
	r.PC = pcs[0]
	for _, tt := range []struct {
		o    format.Options
		want string
	}{
		{format.Options{Format: format.Plain, AddSource: true, Name: "n"}, "2024-05-06T07:08:09.120000+00:00 [INFO] n: " + src + ": m\n"},
		{format.Options{Format: format.Console, AddSource: true}, "07:08:09.120 [INFO] " + src + ": m\n"},
		{format.Options{Format: format.Console, AddSource: true, ReplaceAttr: dropKeys("source")}, "07:08:09.120 [INFO] m\n"},
		{format.Options{Format: format.Console, AddSource: true, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.SourceKey {
				return slog.String(a.Key, "here")
			}
			return a
		}}, "07:08:09.120 [INFO] here: m\n"},
	} {
		if got := line(t, tt.o, r); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.o.Format, got, tt.want)
		}
	}
	// No PC: nothing is written for the source.
	if got := line(t, format.Options{Format: format.Console, AddSource: true}, rec(t0, slog.LevelInfo, "m")); got != "07:08:09.120 [INFO] m\n" {
		t.Errorf("no PC: got %q", got)
	}
}

// TestEscaping feeds control characters, line separators and invalid UTF-8
// into every place text goes, and checks the exact bytes of every format.
func TestEscaping(t *testing.T) {
	const bad = "a\nb\rc\td\x1b[31me\x00f\x7fg\u0085h\u009bi\u2028j\u2029k\xffl"
	r := rec(time.Time{}, slog.LevelInfo, bad, slog.String(bad, bad), slog.Group(bad, slog.Int("x", 1)))
	o := format.Options{Name: bad}
	const (
		jsonBad  = `a\nb\rc\td\u001b[31me\u0000f` + "\x7fg\u0085h\u009bi" + `\u2028j\u2029k\ufffdl`
		textBad  = `"a\nb\rc\td\x1b[31me\x00f\x7fg\u0085h\u009bi\u2028j\u2029k\xffl"`
		humanBad = `a\nb\rc\td\x1b[31me\x00f\x7fg\u0085h\u009bi\u2028j\u2029k` + "\uFFFD" + `l`
		strict   = `a\nb\rc\td\u001b[31me\u0000f\u007fg\u0085h\u009bi\u2028j\u2029k\ufffdl`
	)
	for _, tt := range []struct {
		f    format.Format
		want string
	}{
		{format.JSON, `{"level":"INFO","msg":"` + jsonBad + `","logger":"` + jsonBad + `","` + jsonBad + `":"` + jsonBad + `","` + jsonBad + `":{"x":1}}` + "\n"},
		{format.Text, `level=INFO msg=` + textBad + ` logger=` + textBad + ` ` + textBad + `=` + textBad + ` ` + textBad[:len(textBad)-1] + `.x"=1` + "\n"},
		{format.Plain, "[INFO] " + humanBad + ": " + humanBad + "\n"},
		{format.Structured, "[INFO] " + humanBad + ": " + humanBad + ` {"` + strict + `":"` + strict + `","` + strict + `":{"x":1}}` + "\n"},
		{format.Console, "[INFO] " + humanBad + ": " + humanBad + ` {"` + strict + `":"` + strict + `","` + strict + `":{"x":1}}` + "\n"},
	} {
		o.Format = tt.f
		got := line(t, o, r)
		if got != tt.want {
			t.Errorf("%v:\n got: %q\nwant: %q", tt.f, got, tt.want)
		}
		checkOneLine(t, got)
	}
	// A custom time layout is text too.
	o = format.Options{Format: format.Console, TimeFormat: "15:04\n\x1b"}
	if got, want := line(t, o, rec(t0, slog.LevelInfo, "m")), "07:08\\n\\x1b [INFO] m\n"; got != want {
		t.Errorf("time layout: got %q, want %q", got, want)
	}
}

// TestHumanValuesInPlaceOfBuiltins covers values of other kinds that a
// ReplaceAttr puts where a human format writes text.
func TestHumanValuesInPlaceOfBuiltins(t *testing.T) {
	vals := []struct {
		v    slog.Value
		want string
	}{
		{slog.IntValue(-3), "-3"},
		{slog.Uint64Value(3), "3"},
		{slog.Float64Value(0.5), "0.5"},
		{slog.BoolValue(true), "true"},
		{slog.DurationValue(time.Second), "1s"},
		{slog.TimeValue(t0), "2024-05-06T07:08:09.12Z"},
		{slog.AnyValue(errors.New("e\n")), `e\n`},
		{slog.AnyValue(panicError{}), "!PANIC: error boom"},
		{slog.AnyValue((*ptrError)(nil)), "<nil>"},
		{slog.AnyValue(point{1, "x\ny"}), `{X:1 Label:x\ny}`},
		{slog.AnyValue(cyclicMap()), "!ERROR:value of type map[string]interface {} contains itself"},
		{slog.AnyValue(multi.LevelCritical), "CRITICAL"},
		{slog.GroupValue(slog.Int("a", 1)), "[a=1]"},
		{slog.AnyValue(panicValuer{}), `LogValue panicked\ncalled from`},
	}
	for _, v := range vals {
		o := format.Options{Format: format.Console, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.MessageKey {
				a.Value = v.v
			}
			return a
		}}
		got := line(t, o, rec(time.Time{}, slog.LevelInfo, "m"))
		if !strings.HasPrefix(got, "[INFO] "+v.want) {
			t.Errorf("%v: got %q, want it to start with %q", v.v.Kind(), got, "[INFO] "+v.want)
		}
		checkOneLine(t, got)
	}
}
