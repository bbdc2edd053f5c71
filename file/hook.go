package file

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// hookSlow is how long an OnRotate call runs before it is reported as slow.
const hookSlow = time.Minute

// hookQueue is how many finished backups wait for OnRotate at most; more
// are reported and not handed to it.
const hookQueue = 1024

// rotateHook runs Options.OnRotate on a goroutine of its own, one call at
// a time, in the order the backups were handed to it. The mill and the
// logging path only append to its queue: a slow or stuck hook delays
// further calls of the hook, never a rotation or a record. A panic is
// recovered and reported; a call that runs past hookSlow is reported once.
type rotateHook struct {
	fn     func(path string)
	report func(error)
	slow   time.Duration

	mu      sync.Mutex
	queue   []string
	full    bool // the queue overflowed since it was last drained
	stopped bool // close gave up: calls not yet made are not made
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

func newRotateHook(fn func(string), slow time.Duration, report func(error)) *rotateHook {
	if slow <= 0 {
		slow = hookSlow
	}
	h := &rotateHook{fn: fn, report: report, slow: slow,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go h.run()
	return h
}

// add queues path for the hook. It never blocks, and never calls the
// ErrorHandler itself: the caller may hold the writer's locks.
func (h *rotateHook) add(path string) {
	if h == nil {
		return
	}
	h.mu.Lock()
	if len(h.queue) >= hookQueue {
		first := !h.full
		h.full = true
		h.mu.Unlock()
		if first {
			// Not here: add is called with the writer's locks held, and
			// an ErrorHandler may log to this very file.
			go h.report(fmt.Errorf("file: OnRotate: %d finished backups are waiting for the hook; %s and later ones are not handed to it until it catches up", hookQueue, path))
		}
		return
	}
	h.queue = append(h.queue, path)
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

func (h *rotateHook) run() {
	defer close(h.done)
	for {
		h.mu.Lock()
		if h.stopped {
			h.mu.Unlock()
			return
		}
		if len(h.queue) == 0 {
			h.full = false
			h.mu.Unlock()
			select {
			case <-h.wake:
				continue
			case <-h.stop:
				h.mu.Lock()
				empty := len(h.queue) == 0
				h.mu.Unlock()
				if empty {
					return
				}
				continue
			}
		}
		path := h.queue[0]
		h.queue = h.queue[1:]
		h.mu.Unlock()
		h.call(path)
	}
}

// call runs the hook on path, reporting a panic, and a call that runs
// past h.slow while it runs.
func (h *rotateHook) call(path string) {
	start := time.Now()
	t := time.AfterFunc(h.slow, func() {
		h.report(fmt.Errorf("file: OnRotate(%s) has run for %v and is still running; rotation goes on, and the next backups wait for the hook", path, time.Since(start).Round(time.Millisecond)))
	})
	defer t.Stop()
	defer func() {
		if r := recover(); r != nil {
			h.report(fmt.Errorf("file: OnRotate(%s) panicked: %v; rotation goes on", path, r))
		}
	}()
	h.fn(path)
}

// close lets the hook finish the backups queued, until ctx ends; then the
// calls not made are reported and dropped. A call in progress when ctx
// ends is left to finish on its own.
func (h *rotateHook) close(ctx context.Context) error {
	if h == nil {
		return nil
	}
	close(h.stop)
	select {
	case <-h.done:
		return nil
	case <-ctx.Done():
	}
	h.mu.Lock()
	h.stopped = true
	n := len(h.queue)
	h.queue = nil
	h.mu.Unlock()
	return fmt.Errorf("file: OnRotate: Shutdown ended (%w) with the hook still running and %d backups not handed to it", ctx.Err(), n)
}
