package file

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stderr captures what the code under test writes to os.Stderr, from
// handlers created inside f.
func stderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan []byte)
	go func() {
		var b bytes.Buffer
		b.ReadFrom(r)
		r.Close()
		done <- b.Bytes()
	}()
	func() {
		defer func() { os.Stderr = old }()
		f()
	}()
	w.Close()
	return string(<-done)
}

// Without an ErrorHandler, runtime errors and the first refusal after
// Shutdown reach standard error.
func TestErrorsGoToStderrWithoutErrorHandler(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	path := filepath.Join(dir, "app.log")
	out := stderr(t, func() {
		h, err := New(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		handle(t, h, "one")
		flush(t, h)
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		handle(t, h, "two")
		flush(t, h)
		shutdown(t, h)
		h.Handle(context.Background(), record("late"))
		h.Handle(context.Background(), record("later"))
	})
	for _, want := range []string{
		"multi: file " + path + ": file: write " + path + ": the directory was removed",
		"multi: file " + path + ": file: record refused after Shutdown of " + path,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("standard error lacks %q; it holds:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "refused after Shutdown"); n != 1 {
		t.Errorf("standard error names the refusal %d times, want once:\n%s", n, out)
	}
}
