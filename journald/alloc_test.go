//go:build linux && !race

package journald

import (
	"context"
	"log/slog"
	"testing"
)

// TestHandleDoesNotAllocate counts the caller's allocations: encoding an
// entry and sending it.
func TestHandleDoesNotAllocate(t *testing.T) {
	j := newFakeJournal(t)
	h, err := New(&Options{Socket: j.path})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Shutdown(context.Background()) //nolint:errcheck
	l := slog.New(h).With("service", "api")
	ctx := context.Background()
	go func() {
		buf := make([]byte, 1<<20)
		for {
			if _, _, err := j.c.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	if n := testing.AllocsPerRun(1000, func() { logOne(l, ctx, 1) }); n != 0 {
		t.Errorf("%v allocations per entry on the caller's path; want 0", n)
	}
	if n := testing.AllocsPerRun(1000, func() { logOne(l, spanCtx, 1) }); n != 0 {
		t.Errorf("with a span: %v allocations per entry on the caller's path; want 0", n)
	}
}
