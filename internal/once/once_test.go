package once

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// The first call runs f and returns its error; a call while f runs waits
// for it, or returns at its own ctx's end with an error that says so; a
// call after f returned gets nil at once; f runs exactly once however many
// goroutines call.
func TestShutdownRunsOnceAndLaterCallsWait(t *testing.T) {
	var s Shutdown
	entered, release := make(chan struct{}), make(chan struct{})
	boom := errors.New("boom")
	runs := 0
	first := make(chan error, 1)
	go func() {
		first <- s.Do(context.Background(), "sink: shutdown", func() error {
			runs++
			close(entered)
			<-release
			return boom
		})
	}()
	<-entered

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := s.Do(ctx, "sink: shutdown", func() error { runs++; return nil })
	if !errors.Is(err, context.DeadlineExceeded) || err.Error() != "sink: shutdown: waiting for the shutdown under way: context deadline exceeded" {
		t.Fatalf("a call whose ctx ends while the first runs = %v", err)
	}

	var wg sync.WaitGroup
	waiting := make([]error, 8)
	for i := range waiting {
		wg.Go(func() { waiting[i] = s.Do(context.Background(), "x", func() error { runs++; return nil }) })
	}
	close(release)
	select {
	case err := <-first:
		if err != boom {
			t.Fatalf("first Do = %v, want f's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first Do did not return")
	}
	wg.Wait()
	for i, err := range waiting {
		if err != nil {
			t.Errorf("waiting call %d = %v, want nil once the first returned", i, err)
		}
	}
	if err := s.Do(context.Background(), "x", func() error { runs++; return boom }); err != nil {
		t.Errorf("a call after the first returned = %v, want nil", err)
	}
	if runs != 1 {
		t.Errorf("f ran %d times, want once", runs)
	}
}
