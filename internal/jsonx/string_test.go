package jsonx

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// slogString returns s as log/slog's JSONHandler writes a string.
func slogString(t testing.TB, s string) string {
	t.Helper()
	var buf bytes.Buffer
	h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key != slog.MessageKey {
				return slog.Attr{}
			}
			return a
		},
	})
	slog.New(h).Info(s)
	out := buf.String()
	const pre, suf = `{"msg":`, "}\n"
	if !strings.HasPrefix(out, pre) || !strings.HasSuffix(out, suf) {
		t.Fatalf("unexpected slog output %q", out)
	}
	return out[len(pre) : len(out)-len(suf)]
}

func TestAppendString(t *testing.T) {
	for _, c := range []struct{ in, want, strict string }{
		{"", `""`, `""`},
		{"hello", `"hello"`, `"hello"`},
		{"a fairly long string with nothing to escape", `"a fairly long string with nothing to escape"`, ""},
		{`q"b\s`, `"q\"b\\s"`, ""},
		{"\n\r\t", `"\n\r\t"`, ""},
		{"\x00\x01\x08\x0c\x1f", `"\u0000\u0001\u0008\u000c\u001f"`, ""},
		{"<a href=\"x\">&amp;</a>", `"<a href=\"x\">&amp;</a>"`, ""},
		{"\x7f", "\"\x7f\"", `"\u007f"`},
		{"\u0080\u0085\u009f\u00a0", "\"\u0080\u0085\u009f\u00a0\"", "\"\\u0080\\u0085\\u009f\u00a0\""},
		{"\u2028\u2029", `"\u2028\u2029"`, ""},
		{"é日本🙂", `"é日本🙂"`, ""},
		{"\xff", `"\ufffd"`, ""},
		{"a\xe2\x80b", `"a\ufffd\ufffdb"`, ""},
		{"12345678\"2345678", `"12345678\"2345678"`, ""},
		{"1234567\n", `"1234567\n"`, ""},
		{"12345678901234\xc3\xa9", `"12345678901234é"`, ""},
	} {
		if got := string(AppendString(nil, c.in)); got != c.want {
			t.Errorf("AppendString(%q) = %s, want %s", c.in, got, c.want)
		}
		if got := string(AppendBytes([]byte("x"), []byte(c.in))); got != "x"+c.want {
			t.Errorf("AppendBytes(%q) = %s, want x%s", c.in, got, c.want)
		}
		if got := slogString(t, c.in); got != c.want {
			t.Errorf("slog writes %q as %s; the table says %s", c.in, got, c.want)
		}
		strict := c.strict
		if strict == "" {
			strict = c.want
		}
		if got := `"` + string(AppendEscaped(nil, c.in, true)) + `"`; got != strict {
			t.Errorf("AppendEscaped(%q, strict) = %s, want %s", c.in, got, strict)
		}
	}
}

func TestIsSafe(t *testing.T) {
	for b := 0; b < 256; b++ {
		want := b >= 0x20 && b < utf8.RuneSelf && b != '"' && b != '\\'
		if got := IsSafe(byte(b)); got != want {
			t.Errorf("IsSafe(%#x) = %v, want %v", b, got, want)
		}
	}
}

// TestAppendStringMatchesSlog compares random strings, built from the
// characters that need a look, with slog's JSONHandler.
func TestAppendStringMatchesSlog(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	alphabet := []string{"a", "b", " ", "abcdefgh", `"`, `\`, "\n", "\b", "\f", "\x00", "\x1f", "\x7f",
		"\u0085", "é", "\u2028", "\u2029", "\xff", "\xe2\x80", "<", "&", "日", "🙂"}
	for range 20000 {
		var sb strings.Builder
		for range r.IntN(40) {
			sb.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		checkString(t, sb.String())
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "\x00\x7f\u0085\u2028\xff", `<&>"\`, "日本語テキスト\n\t"} {
		f.Add(s)
	}
	f.Fuzz(checkString)
}

// checkString checks that AppendString writes s as slog does, that the
// result decodes as encoding/json decodes its own encoding of s, and that
// the strict escaping means the same with no control character left raw.
func checkString(t *testing.T, s string) {
	got := AppendString(nil, s)
	if want := slogString(t, s); string(got) != want {
		t.Fatalf("%q: got %s, slog writes %s", s, got, want)
	}
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back, wantBack string
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("%q: %s does not decode: %v", s, got, err)
	}
	if err := json.Unmarshal(want, &wantBack); err != nil {
		t.Fatal(err)
	}
	if back != wantBack {
		t.Fatalf("%q: decodes to %q, encoding/json round trip gives %q", s, back, wantBack)
	}
	strict := AppendString(nil, "")
	strict = AppendEscaped(strict[:1], s, true)
	strict = append(strict, '"')
	back = ""
	if err := json.Unmarshal(strict, &back); err != nil || back != wantBack {
		t.Fatalf("%q: strict %s decodes to %q (%v), want %q", s, strict, back, err, wantBack)
	}
	for _, c := range string(strict) {
		if c < 0x20 || c >= 0x7f && c <= 0x9f {
			t.Fatalf("%q: strict %q holds the control %U", s, strict, c)
		}
	}
}

func TestAppendStringAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	in := []byte("a string \"with\" escapes\n\u2028 and é")
	n := testing.AllocsPerRun(100, func() {
		buf = AppendString(buf[:0], "twenty-four plain bytes!")
		buf = AppendEscaped(buf, "\x7f\u0085", true)
		buf = AppendBytes(buf, in)
	})
	if n != 0 {
		t.Errorf("%v allocs per run, want 0", n)
	}
}
