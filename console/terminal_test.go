//go:build linux

package console_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// levelLines is what testdata/colorprog prints, one line per level, with
// colour (jinpy-utils' console SGR codes around the level) or without.
func levelLines(color bool, eol string) string {
	levels := []struct{ name, sgr string }{
		{"TRACE", "90"}, {"DEBUG", "36"}, {"INFO", "32"}, {"WARN", "33"},
		{"ERROR", "31"}, {"CRITICAL", "35"}, {"INFO+2", "32"},
	}
	var b strings.Builder
	for i, l := range levels {
		if color {
			b.WriteString("\x1b[" + l.sgr + "m[" + l.name + "]\x1b[0m")
		} else {
			b.WriteString("[" + l.name + "]")
		}
		b.WriteString(` colorprog: level check {"n":` + string(rune('0'+i)) + "}" + eol)
	}
	return b.String()
}

// TestColorUnderARealTerminal runs testdata/colorprog, which logs with
// ColorAuto, on a real pseudo-terminal (made by script(1)), into a pipe and
// into a file, under different NO_COLOR, FORCE_COLOR and TERM, and checks
// every byte it printed.
func TestColorUnderARealTerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) from util-linux is not installed")
	}
	dir := t.TempDir()
	prog := filepath.Join(dir, "colorprog")
	build := exec.Command("go", "build", "-o", prog, "./testdata/colorprog")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build colorprog: %v\n%s", err, out)
	}

	// The environment of every run: ours without the variables under test,
	// and a terminal type that can show colour.
	var base []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k != "NO_COLOR" && k != "FORCE_COLOR" && k != "TERM" {
			base = append(base, kv)
		}
	}
	base = append(base, "TERM=xterm-256color")

	const (
		onPTY     = "terminal"
		ptyToFile = "terminal session, stdout redirected to a file"
		toPipe    = "pipe"
	)
	tests := []struct {
		name  string
		where string
		env   []string
		color bool
	}{
		{"terminal colours", onPTY, nil, true},
		{"NO_COLOR turns it off", onPTY, []string{"NO_COLOR=1"}, false},
		{"empty NO_COLOR is unset", onPTY, []string{"NO_COLOR="}, true},
		{"TERM=dumb turns it off", onPTY, []string{"TERM=dumb"}, false},
		{"a file in a terminal session gets none", ptyToFile, nil, false},
		{"a pipe gets none", toPipe, nil, false},
		{"FORCE_COLOR=1 colours a pipe", toPipe, []string{"FORCE_COLOR=1"}, true},
		{"FORCE_COLOR=0 colours a pipe too", toPipe, []string{"FORCE_COLOR=0"}, true},
		{"FORCE_COLOR beats NO_COLOR", toPipe, []string{"NO_COLOR=1", "FORCE_COLOR=1"}, true},
		{"FORCE_COLOR colours a file in a terminal session", ptyToFile, []string{"FORCE_COLOR=yes"}, true},
		{"empty FORCE_COLOR is unset", onPTY, []string{"FORCE_COLOR=", "NO_COLOR=1"}, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := append(append([]string(nil), base...), tt.env...)
			var out, stderr bytes.Buffer
			var cmd *exec.Cmd
			file := filepath.Join(dir, "out"+string(rune('a'+i)))
			switch tt.where {
			case onPTY:
				cmd = exec.Command(script, "-qfec", shellQuote(prog), "/dev/null")
			case ptyToFile:
				cmd = exec.Command(script, "-qfec", shellQuote(prog)+" > "+shellQuote(file), "/dev/null")
			case toPipe:
				cmd = exec.Command(prog)
			}
			cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v: %v\nstderr: %s", cmd, err, stderr.Bytes())
			}
			got, eol := out.String(), "\n"
			switch tt.where {
			case onPTY:
				eol = "\r\n" // the terminal's output processing (onlcr)
			case ptyToFile:
				if out.Len() != 0 {
					t.Errorf("the terminal received %q, want nothing", out.Bytes())
				}
				b, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				got = string(b)
			}
			if want := levelLines(tt.color, eol); got != want {
				t.Errorf("printed\n%q\nwant\n%q", got, want)
			}
			if !tt.color && strings.ContainsRune(got, '\x1b') {
				t.Errorf("printed an escape character: %q", got)
			}
		})
	}
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
