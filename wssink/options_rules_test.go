package wssink

import (
	"context"
	"github.com/jinpy-utils/multi/delivery"
	"strings"
	"testing"
	"time"
)

// Bad options are all named in one error, not only the first.
func TestNewJoinsEveryOptionError(t *testing.T) {
	_, err := New("ws://x/", &Options{Queue: delivery.Queue{Size: -1, Bytes: -1}, Timeout: -1})
	if err == nil {
		t.Fatal("New accepted three bad options")
	}
	for _, want := range []string{"Options.Queue.Size", "Options.Timeout", "Options.Queue.Bytes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

// A negative SpoolMaxBytes means no bound, as in httpsink.
func TestNegativeSpoolMaxBytesIsNoBound(t *testing.T) {
	h, err := New("ws://127.0.0.1:1/", &Options{Spool: delivery.Spool{Dir: t.TempDir(), MaxBytes: -1}, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("New with SpoolMaxBytes -1: %v", err)
	}
	h.Shutdown(context.Background())
}
