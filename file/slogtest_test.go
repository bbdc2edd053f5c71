package file

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/slogtest"
)

// slogtest's rules, checked on what reaches the file.
func TestSlogtest(t *testing.T) {
	var h *Handler
	slogtest.Run(t, func(t *testing.T) slog.Handler {
		h = open(t, filepath.Join(t.TempDir(), "app.log"), nil)
		return h
	}, func(t *testing.T) map[string]any {
		if err := h.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(h.Path())
		if err != nil {
			t.Fatal(err)
		}
		ls := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(ls) != 1 {
			t.Fatalf("file has %d lines, want 1: %q", len(ls), b)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(ls[0]), &m); err != nil {
			t.Fatalf("%q: %v", ls[0], err)
		}
		return m
	})
}
