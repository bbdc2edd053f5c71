package format_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/jinpy-utils/multi/format"
)

// A ReplaceAttr that panics in WithAttrs must not leave the pooled encoder
// holding the parent's encoded attributes as its buffer, where the next
// record encoded, by any handler, would overwrite them.
func TestPanicInReplaceAttrDuringWithAttrsLeavesParentIntact(t *testing.T) {
	for _, f := range []format.Format{format.JSON, format.Text, format.Structured} {
		var buf bytes.Buffer
		h := format.New(&buf, &format.Options{Format: f, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == "boom" {
				panic("replace boom")
			}
			return a
		}})
		parent := h.WithAttrs([]slog.Attr{slog.String("svc", strings.Repeat("s", 200))})
		var other bytes.Buffer
		stranger := format.New(&other, &format.Options{Format: f})
		// The pool is per P and may drop an encoder (always under -race,
		// now and then), so try several times.
		for range 20 {
			func() {
				defer func() { _ = recover() }()
				parent.WithAttrs([]slog.Attr{slog.Int("boom", 1)})
			}()
			other.Reset()
			r := slog.NewRecord(t0, slog.LevelInfo, strings.Repeat("x", 100), 0)
			if err := stranger.Handle(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			buf.Reset()
			if err := parent.Handle(context.Background(), slog.NewRecord(t0, slog.LevelInfo, "m", 0)); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), strings.Repeat("s", 200)) {
				t.Fatalf("%v: parent's attributes overwritten by another record: %q", f, buf.String())
			}
		}
	}
}
