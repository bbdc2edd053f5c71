package format_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/format"
)

func TestFormatNames(t *testing.T) {
	for f, name := range map[format.Format]string{format.Default: "default", format.JSON: "json", format.Text: "text", format.Plain: "plain", format.Structured: "structured", format.Console: "console"} {
		if f.String() != name {
			t.Errorf("%d.String() = %q, want %q", int(f), f.String(), name)
		}
		for _, s := range []string{name, strings.ToUpper(name), " " + name + " "} {
			if g, err := format.ParseFormat(s); err != nil || g != f {
				t.Errorf("ParseFormat(%q) = %v, %v; want %v", s, g, err, f)
			}
		}
		var g format.Format
		b, err := f.MarshalText()
		if err != nil || g.UnmarshalText(b) != nil || g != f {
			t.Errorf("text round trip of %v: %q, %v, %v", f, b, err, g)
		}
	}
	if _, err := format.ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("ParseFormat(xml) error = %v, want one quoting the input", err)
	}
	if s := format.Format(9).String(); s != "Format(9)" {
		t.Errorf("Format(9).String() = %q", s)
	}
	if _, err := format.Format(-1).MarshalText(); err == nil {
		t.Error("MarshalText of an unknown format succeeded")
	}
}

func TestDefaultFormatIsJSON(t *testing.T) {
	r := slog.NewRecord(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), slog.LevelInfo, "m", 0)
	r.AddAttrs(slog.Int("n", 1))
	var def, json bytes.Buffer
	format.New(&def, nil).Handle(context.Background(), r)
	format.New(&json, &format.Options{Format: format.JSON}).Handle(context.Background(), r)
	if def.String() != json.String() || !strings.HasPrefix(def.String(), `{"time":`) {
		t.Errorf("default wrote %q, JSON %q", def.String(), json.String())
	}
}

func TestValidate(t *testing.T) {
	if err := (*format.Options)(nil).Validate(); err != nil {
		t.Errorf("nil options: %v", err)
	}
	err := (&format.Options{Format: 7}).Validate()
	if err == nil || !strings.Contains(err.Error(), "Format 7") {
		t.Errorf("Validate(Format 7) = %v", err)
	}
	for name, f := range map[string]func(){
		"unknown format": func() { format.New(io.Discard, &format.Options{Format: 7}) },
		"nil writer":     func() { format.New(nil, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New with %s did not panic", name)
				}
			}()
			f()
		}()
	}
}

func TestDefaults(t *testing.T) {
	var buf bytes.Buffer
	h := format.New(&buf, nil)
	ctx := context.Background()
	if h.Enabled(ctx, slog.LevelDebug) || !h.Enabled(ctx, slog.LevelInfo) {
		t.Error("default level is not INFO")
	}
	h.Handle(ctx, rec(t0, slog.LevelInfo, "m", slog.Int("a", 1)))
	if got, want := buf.String(), `{"time":"2024-05-06T07:08:09.12Z","level":"INFO","msg":"m","a":1}`+"\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLevelVarChangesLevelAtRunTime(t *testing.T) {
	var lv slog.LevelVar
	lv.Set(slog.LevelWarn)
	var buf bytes.Buffer
	l := slog.New(format.New(&buf, &format.Options{Format: format.Console, Level: &lv}).WithAttrs([]slog.Attr{slog.Int("a", 1)}))
	l.Info("dropped")
	lv.Set(multi.LevelTrace)
	l.Log(context.Background(), multi.LevelTrace, "kept")
	if got := buf.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, "[TRACE] kept") {
		t.Errorf("got %q", got)
	}
}

// TestSiblingsDoNotShareState derives handlers from one parent whose group
// and attribute slices have spare capacity, and checks that no sibling sees
// what another added.
func TestSiblingsDoNotShareState(t *testing.T) {
	for _, f := range []format.Format{format.JSON, format.Text, format.Structured} {
		var buf bytes.Buffer
		parent := format.New(&buf, &format.Options{Format: f}).
			WithGroup("a").WithGroup("b").WithGroup("c") // groups: len 3, cap 4
		p2 := parent.WithAttrs([]slog.Attr{slog.Int("p", 0)}) // attrs in a pooled buffer
		kids := []slog.Handler{
			parent.WithGroup("x"), parent.WithGroup("y"),
			p2.WithAttrs([]slog.Attr{slog.Int("s1", 1)}), p2.WithAttrs([]slog.Attr{slog.Int("s2", 2)}),
			p2.WithGroup("g1").WithAttrs([]slog.Attr{slog.Int("t1", 1)}), p2.WithGroup("g2").WithAttrs([]slog.Attr{slog.Int("t2", 2)}),
		}
		var got []string
		for _, k := range kids {
			buf.Reset()
			k.Handle(context.Background(), rec(time.Time{}, slog.LevelInfo, "m", slog.Int("r", 9)))
			got = append(got, strings.TrimSpace(buf.String()))
		}
		want := map[format.Format][]string{
			format.JSON: {
				`{"level":"INFO","msg":"m","a":{"b":{"c":{"x":{"r":9}}}}}`,
				`{"level":"INFO","msg":"m","a":{"b":{"c":{"y":{"r":9}}}}}`,
				`{"level":"INFO","msg":"m","a":{"b":{"c":{"p":0,"s1":1,"r":9}}}}`,
				`{"level":"INFO","msg":"m","a":{"b":{"c":{"p":0,"s2":2,"r":9}}}}`,
				`{"level":"INFO","msg":"m","a":{"b":{"c":{"p":0,"g1":{"t1":1,"r":9}}}}}`,
				`{"level":"INFO","msg":"m","a":{"b":{"c":{"p":0,"g2":{"t2":2,"r":9}}}}}`,
			},
			format.Text: {
				`level=INFO msg=m a.b.c.x.r=9`,
				`level=INFO msg=m a.b.c.y.r=9`,
				`level=INFO msg=m a.b.c.p=0 a.b.c.s1=1 a.b.c.r=9`,
				`level=INFO msg=m a.b.c.p=0 a.b.c.s2=2 a.b.c.r=9`,
				`level=INFO msg=m a.b.c.p=0 a.b.c.g1.t1=1 a.b.c.g1.r=9`,
				`level=INFO msg=m a.b.c.p=0 a.b.c.g2.t2=2 a.b.c.g2.r=9`,
			},
			format.Structured: {
				`[INFO] m {"a":{"b":{"c":{"x":{"r":9}}}}}`,
				`[INFO] m {"a":{"b":{"c":{"y":{"r":9}}}}}`,
				`[INFO] m {"a":{"b":{"c":{"p":0,"s1":1,"r":9}}}}`,
				`[INFO] m {"a":{"b":{"c":{"p":0,"s2":2,"r":9}}}}`,
				`[INFO] m {"a":{"b":{"c":{"p":0,"g1":{"t1":1,"r":9}}}}}`,
				`[INFO] m {"a":{"b":{"c":{"p":0,"g2":{"t2":2,"r":9}}}}}`,
			},
		}[f]
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%v sibling %d:\n got %s\nwant %s", f, i, got[i], want[i])
			}
		}
	}
}

func TestWithGroupEmptyReturnsReceiver(t *testing.T) {
	h := format.New(io.Discard, nil)
	if h.WithGroup("") != slog.Handler(h) {
		t.Error("WithGroup(\"\") did not return the receiver")
	}
	if h.WithAttrs(nil) != slog.Handler(h) || h.WithAttrs([]slog.Attr{slog.Group("empty")}) != slog.Handler(h) {
		t.Error("WithAttrs of nothing did not return the receiver")
	}
}

// TestEmptiedGroup covers a keyed group whose attributes ReplaceAttr
// removes. Go 1.26's slog leaves that group half open: JSONHandler then
// writes `"x":0"b":2` (not JSON) and TextHandler `g.b=2`. We write the line
// slog means.
func TestEmptiedGroup(t *testing.T) {
	var seen [][]string
	o := format.Options{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == "b" {
			seen = append(seen, groups)
		}
		if a.Key == "a" {
			return slog.Attr{}
		}
		return a
	}}
	r := rec(time.Time{}, slog.LevelInfo, "m", slog.Int("x", 0), slog.Group("g", slog.Int("a", 1), slog.Group("h", slog.Int("a", 1))), slog.Int("b", 2))
	for f, want := range map[format.Format]string{
		format.JSON:       `{"level":"INFO","msg":"m","x":0,"b":2}` + "\n",
		format.Text:       `level=INFO msg=m x=0 b=2` + "\n",
		format.Structured: `[INFO] m {"x":0,"b":2}` + "\n",
	} {
		o.Format = f
		seen = nil
		if got := line(t, o, r); got != want {
			t.Errorf("%v: got %q, want %q", f, got, want)
		}
		if o.Format = f; len(seen) != 1 || len(seen[0]) != 0 {
			t.Errorf("%v: ReplaceAttr saw b in groups %q, want none", f, seen)
		}
		// The same through WithAttrs, where slog's Text handler would keep
		// the "g." prefix for every later record.
		seen = nil
		got := line(t, o, rec(time.Time{}, slog.LevelInfo, "m", slog.Int("c", 3)),
			withAttrs(slog.Int("x", 0), slog.Group("g", slog.Int("a", 1)), slog.Int("b", 2)))
		wantWith := strings.Replace(want, "2", "2,\"c\":3", 1)
		if f == format.Text {
			wantWith = strings.Replace(want, "2", "2 c=3", 1)
		}
		if got != wantWith {
			t.Errorf("%v WithAttrs: got %q, want %q", f, got, wantWith)
		}
	}
}

// TestTextGroupOfEmptyGroups covers a keyed group that holds only empty
// groups (here made by ReplaceAttr) as the first attribute of WithAttrs:
// it writes nothing, and the next key gets one space, with a logger name
// before it or without. Go 1.26's TextHandler writes two spaces in the
// second case (its closeGroup sets the separator though nothing was
// written); the fuzz target found the first.
func TestTextGroupOfEmptyGroups(t *testing.T) {
	o := format.Options{Format: format.Text, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == "k" {
			return slog.Group("")
		}
		return a
	}}
	r := rec(time.Time{}, slog.LevelInfo, "m", slog.Int("c", 3))
	with := withAttrs(slog.Group("g", slog.String("k", "")), slog.String("a", "1"))
	for name, want := range map[string]string{
		"":   `level=INFO msg=m a=1 c=3` + "\n",
		"\n": `level=INFO msg=m logger="\n" a=1 c=3` + "\n",
	} {
		o.Name = name
		if got := line(t, o, r, with); got != want {
			t.Errorf("Name %q: got %q, want %q", name, got, want)
		}
	}
	// In a record the separator is already set: nothing changes.
	o.Name = ""
	r = rec(time.Time{}, slog.LevelInfo, "m", slog.Group("g", slog.String("k", "")), slog.String("a", "1"))
	if got, want := line(t, o, r), `level=INFO msg=m a=1`+"\n"; got != want {
		t.Errorf("record: got %q, want %q", got, want)
	}
}

func TestTimeFormat(t *testing.T) {
	r := rec(t0, slog.LevelInfo, "m", slog.Time("t", t0))
	for _, tt := range []struct {
		o    format.Options
		want string
	}{
		{format.Options{Format: format.JSON, TimeFormat: time.DateTime}, `{"time":"2024-05-06 07:08:09","level":"INFO","msg":"m","t":"2024-05-06T07:08:09.12Z"}`},
		{format.Options{Format: format.Text, TimeFormat: time.DateTime}, `time="2024-05-06 07:08:09" level=INFO msg=m t=2024-05-06T07:08:09.120Z`},
		{format.Options{Format: format.Text, TimeFormat: time.DateOnly}, `time=2024-05-06 level=INFO msg=m t=2024-05-06T07:08:09.120Z`},
		{format.Options{Format: format.Structured, TimeFormat: time.DateTime}, `2024-05-06 07:08:09 [INFO] m {"t":"2024-05-06T07:08:09.12Z"}`},
		// ReplaceAttr sees the time.Time; the layout applies to what it returns.
		{format.Options{Format: format.JSON, TimeFormat: time.Kitchen, ReplaceAttr: func(g []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(g) == 0 {
				return slog.Time("ts", a.Value.Time().Add(time.Hour))
			}
			return a
		}}, `{"ts":"8:08AM","level":"INFO","msg":"m","t":"2024-05-06T07:08:09.12Z"}`},
	} {
		if got := line(t, tt.o, r); got != tt.want+"\n" {
			t.Errorf("%v %q:\n got %q\nwant %q", tt.o.Format, tt.o.TimeFormat, got, tt.want+"\n")
		}
	}
}

// writeRecorder records every Write call.
type writeRecorder struct {
	mu     sync.Mutex
	writes []string
	err    error
}

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, string(p))
	return len(p), w.err
}

func TestOneWritePerRecordAndWriterErrors(t *testing.T) {
	for f := format.JSON; f <= format.Console; f++ {
		w := &writeRecorder{}
		h := format.New(w, &format.Options{Format: f}).WithAttrs([]slog.Attr{slog.Int("a", 1)}).WithGroup("g")
		for i := range 3 {
			if err := h.Handle(context.Background(), rec(t0, slog.LevelInfo, "m", slog.Int("i", i))); err != nil {
				t.Fatal(err)
			}
		}
		if len(w.writes) != 3 {
			t.Fatalf("%v: %d writes for 3 records", f, len(w.writes))
		}
		for _, s := range w.writes {
			checkOneLine(t, s)
		}
		w.err = errors.New("disk full")
		if err := h.Handle(context.Background(), rec(t0, slog.LevelInfo, "m")); err != w.err {
			t.Errorf("%v: Handle returned %v, want the writer's error", f, err)
		}
	}
}

// TestBadInput checks that no value makes any format crash, lose the
// record or write more than one line.
func TestBadInput(t *testing.T) {
	inf := loopGroup{}
	r := rec(t0, slog.LevelError, strings.Repeat("m\n", 1<<19),
		slog.Any("lv", panicValuer{}), slog.Any("err", panicError{}), slog.Any("nilerr", (*ptrError)(nil)),
		slog.Float64("nan", math.NaN()), slog.Float64("inf", math.Inf(-1)), slog.Any("cyclic", cyclicMap()),
		slog.Any("cyclicslice", cyclicSlice()), slog.Any("failing", failingMarshaler{}), deepGroup(1500),
		slog.Any("endless", inf), slog.String("big", strings.Repeat("\x1b", 1<<20)))
	for f := format.JSON; f <= format.Console; f++ {
		t.Run(f.String(), func(t *testing.T) {
			got := line(t, format.Options{Format: f, AddSource: true}, r, withGroup("g"), withAttrs(slog.Any("lv", inf)))
			checkOneLine(t, got)
			if f == format.JSON && !json.Valid([]byte(got)) {
				t.Fatalf("not JSON: %.200q", got)
			}
			if f == format.Plain {
				return
			}
			for _, want := range []string{"LogValue panicked", "!PANIC: error boom", "<nil>", "contains itself",
				"cannot marshal", "group nesting deeper than 1000 levels"} {
				if f == format.Text && want == "!PANIC: error boom" {
					want = "%!v(PANIC=Error method: error boom)" // fmt's words, as slog.TextHandler
				}
				if f == format.JSON || f == format.Structured || f == format.Console {
					if want == "contains itself" {
						want = "encountered a cycle"
					}
				}
				if !strings.Contains(got, want) {
					t.Errorf("line does not say %q", want)
				}
			}
		})
	}
}

// loopGroup is a LogValuer that returns a group holding itself, without end.
type loopGroup struct{}

func (loopGroup) LogValue() slog.Value { return slog.GroupValue(slog.Any("again", loopGroup{})) }

func cyclicSlice() []any {
	s := []any{1, nil}
	s[1] = s
	return s
}

func TestTextCyclicValues(t *testing.T) {
	got := line(t, format.Options{Format: format.Text}, rec(time.Time{}, slog.LevelInfo, "m",
		slog.Any("m", cyclicMap()), slog.Any("s", cyclicSlice()), slog.Any("ok", map[string][]int{"a": {1}})))
	want := `level=INFO msg=m m="!ERROR:value of type map[string]interface {} contains itself" s="!ERROR:value of type []interface {} contains itself" ok=map[a:[1]]` + "\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestConcurrentSiblings(t *testing.T) {
	w := &writeRecorder{}
	root := format.New(w, &format.Options{Format: format.JSON})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := root.WithGroup("g" + strconv.Itoa(g)).WithAttrs([]slog.Attr{slog.Int("g", g)})
			for i := range 200 {
				h.Handle(context.Background(), rec(t0, slog.LevelInfo, "m", slog.Int("i", i)))
			}
		}()
	}
	wg.Wait()
	if len(w.writes) != 1600 {
		t.Fatalf("%d lines, want 1600", len(w.writes))
	}
	counts := map[string]int{}
	for _, s := range w.writes {
		var m map[string]map[string]any
		var top map[string]any
		if err := json.Unmarshal([]byte(s), &top); err != nil {
			t.Fatalf("bad line %q: %v", s, err)
		}
		json.Unmarshal([]byte(s), &m)
		for k, v := range top {
			if strings.HasPrefix(k, "g") {
				g := v.(map[string]any)
				if fmt.Sprint(g["g"]) != k[1:] {
					t.Fatalf("line %q mixes groups", s)
				}
				counts[k]++
			}
		}
	}
	for g := range 8 {
		if counts["g"+strconv.Itoa(g)] != 200 {
			t.Errorf("group g%d has %d lines", g, counts["g"+strconv.Itoa(g)])
		}
	}
}

// TestZeroAllocs asserts what the benchmarks report: encoding a record
// allocates nothing, in every format.
func TestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	ctx := context.Background()
	for f := format.JSON; f <= format.Console; f++ {
		h := format.New(io.Discard, &format.Options{Format: f, Name: "svc"})
		w := h.WithAttrs([]slog.Attr{slog.String("service", "api"), slog.Int("pid", 1)}).WithGroup("g")
		for name, run := range map[string]func(){
			"msg":        func() { h.Handle(ctx, rec(t0, slog.LevelInfo, "m")) },
			"attrs5":     func() { h.Handle(ctx, benchRec5) },
			"attrs10":    func() { h.Handle(ctx, benchRec10) },
			"with":       func() { w.Handle(ctx, benchRec2) },
			"disabled":   func() { h.Enabled(ctx, slog.LevelDebug) },
			"valuer/err": func() { h.Handle(ctx, benchRecAny) },
		} {
			if n := testing.AllocsPerRun(100, run); n != 0 {
				t.Errorf("%v %s: %v allocs per record", f, name, n)
			}
		}
	}
}

var (
	benchRec5   = record("request handled", attrs5...)
	benchRec10  = record("request handled", attrs10...)
	benchRec2   = record("request handled", slog.String("method", "GET"), slog.Int("status", 200))
	benchRecAny = record("m", slog.Any("err", errBench), slog.Any("lv", valuer{slog.IntValue(1)}), slog.Any("lvl", slog.LevelWarn))
)

// TestSlogtest runs testing/slogtest on every format that can be read back.
func TestSlogtest(t *testing.T) {
	for _, f := range []format.Format{format.JSON, format.Text, format.Structured, format.Console} {
		t.Run(f.String(), func(t *testing.T) {
			var buf bytes.Buffer
			slogtest.Run(t, func(*testing.T) slog.Handler {
				buf.Reset()
				return format.New(&buf, &format.Options{Format: f})
			}, func(t *testing.T) map[string]any {
				m, err := parseLine(f, buf.String())
				if err != nil {
					t.Fatal(err)
				}
				return m
			})
		})
	}
}

// parseLine reads a line of f back into the map slogtest wants.
func parseLine(f format.Format, line string) (map[string]any, error) {
	line = strings.TrimSuffix(line, "\n")
	m := map[string]any{}
	switch f {
	case format.JSON:
		err := json.Unmarshal([]byte(line), &m)
		return m, err
	case format.Text:
		return parseText(line)
	}
	// TIME [LEVEL] message {attrs}
	if !strings.HasPrefix(line, "[") {
		tm, rest, _ := strings.Cut(line, " ")
		m[slog.TimeKey] = tm
		line = rest
	}
	level, rest, ok := strings.Cut(strings.TrimPrefix(line, "["), "] ")
	if !ok {
		return nil, fmt.Errorf("no level in %q", line)
	}
	m[slog.LevelKey] = level
	msg := rest
	for i := strings.Index(rest, " {"); i >= 0; i = nextIndex(rest, " {", i) {
		var attrs map[string]any
		if json.Unmarshal([]byte(rest[i+1:]), &attrs) == nil {
			msg = rest[:i]
			for k, v := range attrs {
				m[k] = v
			}
			break
		}
	}
	m[slog.MessageKey] = msg
	return m, nil
}

func nextIndex(s, sub string, i int) int {
	j := strings.Index(s[i+1:], sub)
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// parseText reads key=value pairs, quoted values unquoted, dotted keys as
// nested groups.
func parseText(line string) (map[string]any, error) {
	m := map[string]any{}
	for line != "" {
		var key, val string
		var err error
		if key, line, err = textToken(line, '='); err != nil {
			return nil, err
		}
		if val, line, err = textToken(line, ' '); err != nil {
			return nil, err
		}
		dst := m
		parts := strings.Split(key, ".")
		for _, g := range parts[:len(parts)-1] {
			sub, ok := dst[g].(map[string]any)
			if !ok {
				sub = map[string]any{}
				dst[g] = sub
			}
			dst = sub
		}
		dst[parts[len(parts)-1]] = val
	}
	return m, nil
}

func textToken(s string, end byte) (tok, rest string, err error) {
	if strings.HasPrefix(s, `"`) {
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return "", "", err
		}
		tok, err = strconv.Unquote(q)
		s = s[len(q):]
		if s != "" {
			s = s[1:]
		}
		return tok, s, err
	}
	i := strings.IndexByte(s, end)
	if i < 0 {
		return s, "", nil
	}
	return s[:i], s[i+1:], nil
}
