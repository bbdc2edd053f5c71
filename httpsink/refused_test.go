package httpsink

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/internal/faultnet"
)

// TestFirstRefusalAfterShutdownIsReported: records logged after Shutdown
// are all counted as dropped, and the first of them, only, is reported.
func TestFirstRefusalAfterShutdownIsReported(t *testing.T) {
	var mu sync.Mutex
	var refusals []error
	h, err := New("http://"+faultnet.Down(t, faultnet.Refuse)+"/x", &Options{ErrorHandler: func(err error) {
		if errors.Is(err, multi.ErrClosed) {
			mu.Lock()
			refusals = append(refusals, err)
			mu.Unlock()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	h.Shutdown(context.Background())
	before := h.Stats().Dropped
	l := slog.New(h.WithAttrs([]slog.Attr{slog.Int("k", 1)}))
	for range 3 {
		l.Info("after")
	}
	if d := h.Stats().Dropped - before; d != 3 {
		t.Errorf("%d records dropped after Shutdown, want 3", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(refusals) != 1 || !strings.Contains(refusals[0].Error(), "httpsink: record refused after Shutdown") {
		t.Fatalf("refusals reported: %v, want exactly one", refusals)
	}
}
