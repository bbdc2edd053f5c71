package multitest

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jinpy-utils/multi"
)

// A Drill is a [Recorder] that goes wrong on command, for tests of what a
// handler tree does when one destination fails: [Drill.Fail] makes Handle
// return an error (the record is counted as Failed and Dropped, not kept),
// [Drill.Block] makes Handle wait until released (or its ctx ends), and
// [Drill.SetHealthy] sets what Healthy reports. Commands reach the Drill
// and every handler derived from it at once. Build one with [NewDrill].
type Drill struct {
	*Recorder
	ctl *control
}

type control struct {
	mu        sync.Mutex
	err       error         // Handle's error while failing
	gate      chan struct{} // closed when not blocked
	unhealthy bool
	failed    uint64
	lastErr   error
	lastErrAt time.Time
}

// NewDrill returns a Drill that, until told otherwise, keeps every record
// as a Recorder with opts does and is healthy.
func NewDrill(opts *Options) *Drill {
	open := make(chan struct{})
	close(open)
	return &Drill{Recorder: NewRecorder(opts), ctl: &control{gate: open}}
}

// Fail makes Handle return err for every record from now on, keeping none
// of them, until Fail(nil). err is wrapped with the record's message.
func (d *Drill) Fail(err error) {
	d.ctl.mu.Lock()
	defer d.ctl.mu.Unlock()
	d.ctl.err = err
}

// Block makes Handle wait, from now on, until release is called or the
// ctx given to Handle ends (then Handle returns the ctx's error and counts
// the record as failed). Calling release more than once is harmless.
func (d *Drill) Block() (release func()) {
	gate := make(chan struct{})
	d.ctl.mu.Lock()
	d.ctl.gate = gate
	d.ctl.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(gate) }) }
}

// SetHealthy sets what Healthy reports.
func (d *Drill) SetHealthy(ok bool) {
	d.ctl.mu.Lock()
	defer d.ctl.mu.Unlock()
	d.ctl.unhealthy = !ok
}

// Handle waits while the Drill is blocked, then fails if told to, and
// otherwise keeps rec as [Recorder.Handle] does.
func (d *Drill) Handle(ctx context.Context, rec slog.Record) error {
	d.ctl.mu.Lock()
	gate := d.ctl.gate
	d.ctl.mu.Unlock()
	select {
	case <-gate:
	case <-ctx.Done():
		return d.failed(fmt.Errorf("multitest: drill: record %q: blocked: %w", rec.Message, ctx.Err()))
	}
	d.ctl.mu.Lock()
	err := d.ctl.err
	d.ctl.mu.Unlock()
	if err != nil {
		return d.failed(fmt.Errorf("multitest: drill: record %q: %w", rec.Message, err))
	}
	return d.Recorder.Handle(ctx, rec)
}

func (d *Drill) failed(err error) error {
	d.ctl.mu.Lock()
	defer d.ctl.mu.Unlock()
	d.ctl.failed++
	d.ctl.lastErr, d.ctl.lastErrAt = err, time.Now()
	return err
}

// WithAttrs returns a Drill whose records carry attrs; it shares this
// Drill's store and commands.
func (d *Drill) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Drill{Recorder: d.Recorder.WithAttrs(attrs).(*Recorder), ctl: d.ctl}
}

// WithGroup returns a Drill that puts later attributes in group name; it
// shares this Drill's store and commands.
func (d *Drill) WithGroup(name string) slog.Handler {
	return &Drill{Recorder: d.Recorder.WithGroup(name).(*Recorder), ctl: d.ctl}
}

// Healthy reports false after SetHealthy(false), until SetHealthy(true).
func (d *Drill) Healthy() bool {
	d.ctl.mu.Lock()
	defer d.ctl.mu.Unlock()
	return !d.ctl.unhealthy
}

// Stats is the Recorder's, with each record that Handle failed counted as
// Failed and Dropped, and the latest of those errors as LastError.
func (d *Drill) Stats() multi.Stats {
	s := d.Recorder.Stats()
	d.ctl.mu.Lock()
	defer d.ctl.mu.Unlock()
	return s.Add(multi.Stats{Failed: d.ctl.failed, Dropped: d.ctl.failed, LastError: d.ctl.lastErr, LastErrorTime: d.ctl.lastErrAt})
}
