package multitest

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/internal/attrpath"
)

// Options configure a [Recorder] or a [Drill]. A nil *Options is the
// defaults.
type Options struct {
	// Level is the minimum level kept; nil keeps every level, TRACE and
	// below included.
	Level slog.Leveler
}

// A Recorder is a [multi.Sink] that keeps a copy of every record it is
// given. Each kept record is a slog.Record whose attributes are the ones
// the logger would have written: those bound with WithAttrs and the
// record's own, nested in the groups opened with WithGroup, LogValuer
// values resolved, and the handler rules of testing/slogtest applied
// (attributes with an empty key and groups with no attributes are left
// out, a group with an empty key is inlined). Build one with
// [NewRecorder].
type Recorder struct {
	st     *store
	level  slog.Leveler
	groups []string // open groups, outermost first
	bound  []frame  // attributes bound by WithAttrs, each at its depth
}

// frame is a list of attributes bound at a depth of open groups.
type frame struct {
	depth int
	attrs []slog.Attr
}

// store is what a Recorder and the handlers derived from it share.
type store struct {
	mu        sync.Mutex
	recs      []slog.Record
	written   uint64
	dropped   uint64
	flushes   int
	shutdowns int
	closed    bool
	lastWrite time.Time
	lastErr   error
	lastErrAt time.Time
}

// NewRecorder returns an empty Recorder.
func NewRecorder(opts *Options) *Recorder {
	r := &Recorder{st: &store{}}
	if opts != nil {
		r.level = opts.Level
	}
	return r
}

// Enabled reports whether l is at or above the Recorder's level.
func (r *Recorder) Enabled(_ context.Context, l slog.Level) bool {
	return r.level == nil || l >= r.level.Level()
}

// Handle keeps a copy of rec, with the bound attributes resolved into it.
// After Shutdown it keeps nothing, counts rec as dropped and returns an
// error wrapping [multi.ErrClosed].
func (r *Recorder) Handle(_ context.Context, rec slog.Record) error {
	kept := r.resolve(rec)
	return r.st.keep(kept)
}

func (s *store) keep(rec slog.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.dropped++
		err := fmt.Errorf("multitest: record %q: %w", rec.Message, multi.ErrClosed)
		s.lastErr, s.lastErrAt = err, time.Now()
		return err
	}
	s.recs = append(s.recs, rec)
	s.written++
	s.lastWrite = time.Now()
	return nil
}

// resolve returns a new record like rec, whose attributes are the bound
// ones and rec's own, in their groups.
func (r *Recorder) resolve(rec slog.Record) slog.Record {
	out := slog.NewRecord(rec.Time, rec.Level, rec.Message, rec.PC)
	var own []slog.Attr
	rec.Attrs(func(a slog.Attr) bool {
		own = append(own, a)
		return true
	})
	out.AddAttrs(r.nest(0, own)...)
	return out
}

// nest returns the attributes at group depth d: those bound there, then the
// group opened at d holding everything deeper, or at the innermost depth
// the record's own.
func (r *Recorder) nest(d int, own []slog.Attr) []slog.Attr {
	var as []slog.Attr
	for _, f := range r.bound {
		if f.depth == d {
			as = append(as, clean(f.attrs)...)
		}
	}
	if d == len(r.groups) {
		return append(as, clean(own)...)
	}
	if inner := r.nest(d+1, own); len(inner) > 0 {
		as = append(as, slog.Attr{Key: r.groups[d], Value: slog.GroupValue(inner...)})
	}
	return as
}

// clean resolves LogValuers and applies the handler rules to as: no empty
// attributes, no empty groups, groups with an empty key inlined.
func clean(as []slog.Attr) []slog.Attr {
	var out []slog.Attr
	for _, a := range as {
		a.Value = a.Value.Resolve()
		if a.Value.Kind() == slog.KindGroup {
			g := clean(a.Value.Group())
			if len(g) == 0 {
				continue
			}
			if a.Key == "" {
				out = append(out, g...)
				continue
			}
			out = append(out, slog.Attr{Key: a.Key, Value: slog.GroupValue(g...)})
			continue
		}
		if a.Equal(slog.Attr{}) || a.Key == "" {
			continue
		}
		out = append(out, a)
	}
	return out
}

// WithAttrs returns a Recorder that adds attrs to every record, in the
// groups open now; it keeps into the same store.
func (r *Recorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return r
	}
	c := *r
	c.bound = append(slices.Clip(r.bound), frame{depth: len(r.groups), attrs: slices.Clone(attrs)})
	return &c
}

// WithGroup returns a Recorder that puts later attributes in group name;
// it keeps into the same store.
func (r *Recorder) WithGroup(name string) slog.Handler {
	if name == "" {
		return r
	}
	c := *r
	c.groups = append(slices.Clip(r.groups), name)
	return &c
}

// Records returns a copy of every record kept so far, in the order they
// were handled.
func (r *Recorder) Records() []slog.Record {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	out := make([]slog.Record, len(r.st.recs))
	for i, rec := range r.st.recs {
		out[i] = rec.Clone()
	}
	return out
}

// Len returns the number of records kept.
func (r *Recorder) Len() int {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	return len(r.st.recs)
}

// Messages returns the message of every record kept, in order.
func (r *Recorder) Messages() []string {
	var out []string
	for _, rec := range r.Records() {
		out = append(out, rec.Message)
	}
	return out
}

// Filter returns the records kept for which keep returns true, in order.
func (r *Recorder) Filter(keep func(slog.Record) bool) []slog.Record {
	var out []slog.Record
	for _, rec := range r.Records() {
		if keep(rec) {
			out = append(out, rec)
		}
	}
	return out
}

// AtLevel returns the records kept at exactly level l.
func (r *Recorder) AtLevel(l slog.Level) []slog.Record {
	return r.Filter(func(rec slog.Record) bool { return rec.Level == l })
}

// WithMessage returns the records kept whose message is msg.
func (r *Recorder) WithMessage(msg string) []slog.Record {
	return r.Filter(func(rec slog.Record) bool { return rec.Message == msg })
}

// WithAttr returns the records kept that have an attribute at path (see
// [Attr]) equal to value, compared as slog.AnyValue(value).Equal does
// (so an int matches an int64 attribute of the same value).
func (r *Recorder) WithAttr(path string, value any) []slog.Record {
	want := slog.AnyValue(value)
	return r.Filter(func(rec slog.Record) bool {
		v, ok := Attr(rec, path)
		return ok && v.Equal(want)
	})
}

// Reset forgets the records kept so far; the counts of Stats stay.
func (r *Recorder) Reset() {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	r.st.recs = nil
}

// Attr returns the value of rec's attribute at path: a key, or keys of
// nested groups joined by dots ("req.id" is key "id" in group "req"). The
// first match wins. It reports false when there is none.
func Attr(rec slog.Record, path string) (slog.Value, bool) {
	return attrpath.InRecord(rec, strings.Split(path, "."))
}

// Flush counts the call; it returns an error wrapping [multi.ErrClosed]
// after Shutdown.
func (r *Recorder) Flush(context.Context) error {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	if r.st.closed {
		return fmt.Errorf("multitest: flush: %w", multi.ErrClosed)
	}
	r.st.flushes++
	return nil
}

// Shutdown counts the call; from then on Handle refuses records. It is
// idempotent.
func (r *Recorder) Shutdown(context.Context) error {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	r.st.shutdowns++
	r.st.closed = true
	return nil
}

// Flushes returns how many times Flush succeeded, on this Recorder or one
// sharing its store.
func (r *Recorder) Flushes() int {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	return r.st.flushes
}

// Shutdowns returns how many times Shutdown was called, on this Recorder
// or one sharing its store.
func (r *Recorder) Shutdowns() int {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	return r.st.shutdowns
}

// Stats reports the records kept as Written and those refused after
// Shutdown as Dropped.
func (r *Recorder) Stats() multi.Stats {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	return multi.Stats{
		Written:       r.st.written,
		Dropped:       r.st.dropped,
		LastWrite:     r.st.lastWrite,
		LastError:     r.st.lastErr,
		LastErrorTime: r.st.lastErrAt,
	}
}

// Healthy reports true: a Recorder does not fail. (A [Drill] does, on
// command.)
func (r *Recorder) Healthy() bool { return true }

// Destination returns the store shared by this Recorder and those derived
// from it, so that [multi.Handler.Stats] counts it once.
func (r *Recorder) Destination() any { return r.st }

// BorrowsRecords marks the Recorder as a [multi.RecordBorrower]: it keeps a
// copy, never the record it is given.
func (r *Recorder) BorrowsRecords() {}
