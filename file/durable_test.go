//go:build unix

package file

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// sideFile writes a side file as a killed process leaves it: buf holds
// data at [start, end), to be written to the log at base.
func sideFile(t *testing.T, path string, data string, base int) {
	t.Helper()
	b := make([]byte, sideHdr+4096)
	copy(b, sideMagic)
	copy(b[sideHdr:], data)
	binary.NativeEndian.PutUint64(b[offStart:], 0)
	binary.NativeEndian.PutUint64(b[offEnd:], uint64(len(data)))
	binary.NativeEndian.PutUint64(b[offBase:], uint64(base))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// New writes what a killed process left in its side file, skipping what a
// write cut short by the kill had already put in the log: no line twice,
// none torn.
func TestNewRecoversTheSideFileOnce(t *testing.T) {
	for _, tc := range []struct {
		name, log, side string
		base            int
	}{
		{"killed before the write", `{"a":1}` + "\n", `{"b":2}` + "\n" + `{"c":3}` + "\n", 8},
		{"killed after the write", `{"a":1}` + "\n" + `{"b":2}` + "\n" + `{"c":3}` + "\n", `{"b":2}` + "\n" + `{"c":3}` + "\n", 8},
		{"killed within the write", `{"a":1}` + "\n" + `{"b":`, `{"b":2}` + "\n" + `{"c":3}` + "\n", 8},
		{"the log was replaced meanwhile", ``, `{"b":2}` + "\n" + `{"c":3}` + "\n", 8},
		{"a record not whole", `{"a":1}` + "\n", `{"b":2}` + "\n" + `{"c":`, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "app.log")
			if err := os.WriteFile(path, []byte(tc.log), 0o600); err != nil {
				t.Fatal(err)
			}
			sideFile(t, sidePath(path), tc.side, tc.base)
			h := open(t, path, nil)
			handle(t, h, "new")
			shutdown(t, h)
			want := `{"a":1}` + "\n" + `{"b":2}` + "\n" + `{"c":3}` + "\n" + line("new")
			switch tc.name {
			case "the log was replaced meanwhile":
				want = `{"b":2}` + "\n" + `{"c":3}` + "\n" + line("new")
			case "a record not whole":
				want = `{"a":1}` + "\n" + `{"b":2}` + "\n" + line("new")
			}
			if got := content(t, path); got != want {
				t.Fatalf("log = %q, want %q", got, want)
			}
			if _, err := os.Stat(sidePath(path)); !os.IsNotExist(err) {
				t.Fatalf("side file after Shutdown: %v, want it removed", err)
			}
			// A second New finds nothing more to recover.
			shutdown(t, open(t, path, nil))
			if got := content(t, path); got != want {
				t.Fatalf("after a second New, log = %q, want %q", got, want)
			}
		})
	}
}

// While the handler is open, the side file holds the records not yet
// written, and the live log none of them.
func TestSideFileHoldsTheBuffer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	h := open(t, path, nil)
	handle(t, h, "one")
	handle(t, h, "two")
	if got := content(t, path); got != "" {
		t.Fatalf("log = %q before any flush, want empty", got)
	}
	data, err := recoverSide(sidePath(path), path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), line("one")+line("two"); got != want {
		t.Fatalf("side file holds %q, want %q", got, want)
	}
	flush(t, h)
	if data, _ := recoverSide(sidePath(path), path, int64(len(content(t, path)))); len(data) != 0 {
		t.Fatalf("side file holds %q after Flush, want nothing", data)
	}
}
