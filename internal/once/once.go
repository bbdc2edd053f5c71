// Package once runs a sink's Shutdown once, however many goroutines call
// it: the first call does the work, and every later one waits for it to
// finish, or for its own context to end, whichever comes first.
package once

import (
	"context"
	"fmt"
	"sync"
)

// Shutdown is the state of a sink's shutdown. The zero value is ready for
// use; a Shutdown must not be copied after first use.
type Shutdown struct {
	mu      sync.Mutex
	started bool
	done    chan struct{} // closed when the first call's work returns
}

// Do runs f the first time it is called and returns f's error. A later
// call returns nil once f has returned, or, if ctx ends first, an error
// that starts with what and wraps ctx's error.
func (s *Shutdown) Do(ctx context.Context, what string, f func() error) error {
	s.mu.Lock()
	if s.started {
		done := s.done
		s.mu.Unlock()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("%s: waiting for the shutdown under way: %w", what, ctx.Err())
		}
	}
	s.started = true
	s.done = make(chan struct{})
	s.mu.Unlock()
	defer close(s.done)
	return f()
}
