package console

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestUseColorPrecedence(t *testing.T) {
	tests := []struct {
		name string
		mode ColorMode
		tty  bool
		env  map[string]string
		want bool
	}{
		{"auto terminal", ColorAuto, true, nil, true},
		{"auto not a terminal", ColorAuto, false, nil, false},
		{"auto terminal NO_COLOR=1", ColorAuto, true, map[string]string{"NO_COLOR": "1"}, false},
		{"auto terminal NO_COLOR=0 still off", ColorAuto, true, map[string]string{"NO_COLOR": "0"}, false},
		{"auto terminal NO_COLOR empty is unset", ColorAuto, true, map[string]string{"NO_COLOR": ""}, true},
		{"auto pipe FORCE_COLOR=1", ColorAuto, false, map[string]string{"FORCE_COLOR": "1"}, true},
		{"auto pipe FORCE_COLOR=0 forces too", ColorAuto, false, map[string]string{"FORCE_COLOR": "0"}, true},
		{"auto pipe FORCE_COLOR=false forces too", ColorAuto, false, map[string]string{"FORCE_COLOR": "false"}, true},
		{"auto pipe FORCE_COLOR empty is unset", ColorAuto, false, map[string]string{"FORCE_COLOR": ""}, false},
		{"FORCE_COLOR beats NO_COLOR", ColorAuto, false, map[string]string{"FORCE_COLOR": "1", "NO_COLOR": "1"}, true},
		{"auto terminal TERM=dumb", ColorAuto, true, map[string]string{"TERM": "dumb"}, false},
		{"TERM=dumb FORCE_COLOR", ColorAuto, false, map[string]string{"TERM": "dumb", "FORCE_COLOR": "1"}, true},
		{"auto terminal TERM=xterm", ColorAuto, true, map[string]string{"TERM": "xterm-256color"}, true},
		{"always pipe NO_COLOR", ColorAlways, false, map[string]string{"NO_COLOR": "1"}, true},
		{"always TERM=dumb", ColorAlways, false, map[string]string{"TERM": "dumb"}, true},
		{"never terminal FORCE_COLOR", ColorNever, true, map[string]string{"FORCE_COLOR": "1"}, false},
		{"unknown mode is auto", ColorMode(42), true, nil, true},
		{"unknown mode is auto, pipe", ColorMode(-1), false, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked := false
			tty := func() bool { asked = true; return tt.tty }
			getenv := func(k string) string { return tt.env[k] }
			if got := useColor(tt.mode, tty, getenv); got != tt.want {
				t.Errorf("useColor(%v, tty=%v, %v) = %v, want %v", tt.mode, tt.tty, tt.env, got, tt.want)
			}
			if tt.mode == ColorAlways || tt.mode == ColorNever {
				if asked {
					t.Errorf("mode %v asked whether the writer is a terminal", tt.mode)
				}
			}
		})
	}
}

func TestIsTerminalFalseForFilesPipesAndBuffers(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	for name, w := range map[string]io.Writer{"file": f, "pipe": w, "/dev/null": devNull, "buffer": &bytes.Buffer{}} {
		if isTerminal(w) {
			t.Errorf("isTerminal(%s) = true", name)
		}
	}
	closed, err := os.Create(filepath.Join(t.TempDir(), "closed"))
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	if isTerminal(closed) {
		t.Error("isTerminal(closed file) = true")
	}
}

func TestColorModeNames(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want ColorMode
	}{{"auto", ColorAuto}, {"ALWAYS", ColorAlways}, {" Never ", ColorNever}} {
		got, err := ParseColorMode(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseColorMode(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yes", "true", "1", "auto x"} {
		if _, err := ParseColorMode(bad); err == nil {
			t.Errorf("ParseColorMode(%q) accepted", bad)
		}
	}
	_, err := ParseColorMode("sometimes")
	if want := `console: colour mode "sometimes" is not one of auto, always, never`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
	if got := ColorAlways.String(); got != "always" {
		t.Errorf("ColorAlways.String() = %q", got)
	}
	if got := ColorMode(9).String(); got != "ColorMode(9)" {
		t.Errorf("ColorMode(9).String() = %q", got)
	}

	// Round trip through a configuration document.
	var cfg struct{ Color ColorMode }
	if err := json.Unmarshal([]byte(`{"Color":"never"}`), &cfg); err != nil || cfg.Color != ColorNever {
		t.Fatalf("unmarshal = %v, %v", cfg.Color, err)
	}
	b, err := json.Marshal(cfg)
	if err != nil || string(b) != `{"Color":"never"}` {
		t.Fatalf("marshal = %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"Color":"blue"}`), &cfg); err == nil {
		t.Error("unmarshal of \"blue\" accepted")
	}
	if _, err := json.Marshal(struct{ C ColorMode }{ColorMode(7)}); err == nil {
		t.Error("marshal of ColorMode(7) accepted")
	}
}

func FuzzParseColorMode(f *testing.F) {
	for _, s := range []string{"auto", "ALWAYS", " never ", "", "sometimes", "autö", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseColorMode(s)
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Errorf("error %q does not quote the input", err)
			}
			return
		}
		if m < ColorAuto || m > ColorNever {
			t.Fatalf("ParseColorMode(%q) = %d, not a constant", s, int(m))
		}
		if !strings.EqualFold(strings.TrimSpace(s), m.String()) {
			t.Errorf("ParseColorMode(%q) = %v", s, m)
		}
		back, err := ParseColorMode(m.String())
		if err != nil || back != m {
			t.Errorf("round trip of %v = %v, %v", m, back, err)
		}
	})
}
