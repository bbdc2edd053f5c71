package syslog

import (
	"log/slog"
	"strings"
	"testing"
)

// perByteValid is s with every byte that is not part of valid UTF-8
// replaced by U+FFFD, as the encoder does.
func perByteValid(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

// sdName is what a key becomes as a PARAM-NAME.
func sdName(key string) string {
	b := []byte(key)
	for i, c := range b {
		b[i] = sdNameChar(c)
	}
	if len(b) > 32 {
		b = b[:32]
	}
	return string(b)
}

// FuzzEncode5424 checks that whatever the message, key and value, the
// message is valid RFC 5424 for a strict parser and reads back as what was
// logged (invalid UTF-8 replaced, names sanitized).
func FuzzEncode5424(f *testing.F) {
	f.Add("hello", "user", "bob", "g")
	f.Add("", "", "", "")
	f.Add("a\nb", `k"]=\ `, `v"]\`, "grp.x")
	f.Add("\xff\xfe", "\xc3", "\xe2\x82", "ü")
	f.Add(bom+"msg", "-", "-", "]")
	h := testHandler(f, "tcp://127.0.0.1:1", nil)
	f.Fuzz(func(t *testing.T, msg, key, value, group string) {
		var hh slog.Handler = h
		prefix := ""
		if group != "" {
			hh = h.WithGroup(group)
			prefix = group + "."
		}
		got := encodeRecord(hh, slog.LevelInfo, msg, slog.String(key, value))
		m, err := parse5424(got)
		if err != nil {
			t.Fatalf("%q: %v", got, err)
		}
		if msg == "" {
			if m.msg != "" || m.hasBOM {
				t.Fatalf("empty message: MSG %q", m.msg)
			}
		} else if !m.hasBOM || m.msg != perByteValid(msg) {
			t.Fatalf("MSG %q (BOM %v), want %q", m.msg, m.hasBOM, perByteValid(msg))
		}
		if key == "" {
			if m.sd != nil {
				t.Fatalf("an empty key made SD %v", m.sd)
			}
			return
		}
		if len(m.sd) != 1 || len(m.sd[0].params) != 1 {
			t.Fatalf("SD %v", m.sd)
		}
		// Cut to a size: still valid, never longer.
		e := newEncoder(h.s.c)
		e.buf = append(e.buf, got...)
		e.sdAt = strings.Index(got, "[")
		e.sdEnd = len(got) - len(" "+bom+perByteValid(msg))
		if msg == "" {
			e.sdEnd = len(got)
		}
		e.fit(h.s.c, 500)
		if len(e.buf) > 500 {
			t.Fatalf("cut to %d bytes, want at most 500", len(e.buf))
		}
		if _, err := parse5424(string(e.buf)); err != nil {
			t.Fatalf("cut %q: %v", e.buf, err)
		}
		e.free()
		p := m.sd[0].params[0]
		if want := sdName(prefix + key); p.name != want {
			t.Fatalf("name %q, want %q", p.name, want)
		}
		if want := perByteValid(value); p.value != want {
			t.Fatalf("value %q, want %q", p.value, want)
		}
	})
}

// FuzzEncode3164 checks that an RFC 3164 message is always one line of
// valid UTF-8 with no control characters.
func FuzzEncode3164(f *testing.F) {
	f.Add("hello", "k", "v")
	f.Add("a\nb\r\x00\x7f", "k\n", "v\x1b[31m")
	h := testHandler(f, "udp://127.0.0.1:1", &Options{Format: RFC3164})
	f.Fuzz(func(t *testing.T, msg, key, value string) {
		got := encodeRecord(h, slog.LevelInfo, msg, slog.String(key, value))
		for i := 0; i < len(got); i++ {
			if c := got[i]; c < ' ' || c == 0x7f {
				t.Fatalf("control character %#x in %q", c, got)
			}
		}
		if !strings.HasPrefix(got, "<14>") || !strings.Contains(got, " host app[42]: ") {
			t.Fatalf("header: %q", got)
		}
		if perByteValid(got) != got {
			t.Fatalf("not UTF-8: %q", got)
		}
	})
}
