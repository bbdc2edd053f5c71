package format_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jinpy-utils/multi/format"
)

// seeds start every fuzz target; testdata/fuzz holds what fuzzing found.
var seeds = [][]byte{
	nil,
	[]byte("\x00\x01\x02\x03"),
	[]byte("\x81\x03\x05hello\x07\x02\x09\x00\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xb0\xc0\xd0\xe0\xf0\xff"),
	[]byte("\x03\x04\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c"),
	bytes.Repeat([]byte{0x0a, 0x0b, 0x09, 0x08}, 40),
	bytes.Repeat([]byte{0xf7, 0x13, 0x2a, 0x8c, 0x55}, 50),
}

func FuzzJSONMatchesSlog(f *testing.F) { fuzzMatches(f, format.JSON) }
func FuzzTextMatchesSlog(f *testing.F) { fuzzMatches(f, format.Text) }

func fuzzMatches(f *testing.F, fm format.Format) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &gen{data: data, text: fm == format.Text}
		p := g.program()
		ours, want := outputs(t, fm, p)
		checkOneLine(t, ours)
		if fm == format.JSON && !json.Valid([]byte(ours)) {
			t.Fatalf("not valid JSON: %q", ours)
		}
		if p.slogBug(fm == format.JSON) {
			return // slog's line is wrong here; see slogBug
		}
		if ours != want {
			t.Fatalf("lines differ\n got: %q\nwant: %q", ours, want)
		}
	})
}

func FuzzPlain(f *testing.F)      { fuzzHuman(f, format.Plain) }
func FuzzStructured(f *testing.F) { fuzzHuman(f, format.Structured) }
func FuzzConsole(f *testing.F)    { fuzzHuman(f, format.Console) }

// fuzzHuman checks what the human formats promise for any record: one
// line, valid UTF-8, no control character but the colour codes, and for
// Structured and Console the attributes as one JSON object after the
// header, which is the Plain line (or Console's line without attributes).
func fuzzHuman(f *testing.F, fm format.Format) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &gen{data: data}
		p := g.program()
		color := len(data) > 0 && data[0]&0x40 != 0
		line := humanLine(t, fm, p, color, true)
		checkOneLine(t, line)
		if !utf8.ValidString(line) {
			t.Fatalf("invalid UTF-8: %q", line)
		}
		plain := line
		if color {
			for _, c := range []string{"\x1b[90m", "\x1b[36m", "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[35m", "\x1b[0m"} {
				plain = strings.ReplaceAll(plain, c, "")
			}
		}
		for _, r := range strings.TrimSuffix(plain, "\n") {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
				t.Fatalf("raw control character %U in %q", r, line)
			}
		}
		if fm == format.Plain {
			return
		}
		// The header alone: the same record without attributes, through
		// Plain for Structured (same layout) or through Console.
		hf := format.Plain
		if fm == format.Console {
			hf = format.Console
		}
		header := strings.TrimSuffix(humanLine(t, hf, p, color, false), "\n")
		rest, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), header)
		if !ok {
			t.Fatalf("line %q does not start with header %q", line, header)
		}
		if rest == "" && fm == format.Console {
			return
		}
		attrs, ok := strings.CutPrefix(rest, " ")
		if !ok || !json.Valid([]byte(attrs)) || attrs[0] != '{' {
			t.Fatalf("attributes %q are not a JSON object (line %q)", rest, line)
		}
	})
}

func humanLine(t *testing.T, fm format.Format, p program, color, attrs bool) string {
	t.Helper()
	var buf bytes.Buffer
	o := &format.Options{Format: fm, Level: slog.Level(-1000), AddSource: p.addSource, ReplaceAttr: p.rep, Name: p.name, Color: color}
	var h slog.Handler = format.New(&buf, o)
	r := p.rec
	if attrs {
		h = p.build(h)
	} else {
		r = slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	}
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
