//go:build unix

package mmapguard

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// A store into a mapping whose file was cut short ends f, not the
// process; a store that works runs to its end; any other panic goes on.
func TestDo(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "m"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(1 << 16); err != nil {
		t.Fatal(err)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, 1<<16, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	if !Do(func() { mem[100] = 1 }) {
		t.Fatal("a store into a whole mapping faulted")
	}
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if Do(func() { mem[100] = 2 }) {
		t.Fatal("a store past the file's end ran to its end")
	}
	defer func() {
		if p := recover(); p != "boom" {
			t.Fatalf("recovered %v, want the panic boom to go on", p)
		}
	}()
	Do(func() { panic("boom") })
}
