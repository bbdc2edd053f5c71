package multi

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

// SampleOptions configure [Sample]. A nil *SampleOptions, and each zero
// field, is the default.
type SampleOptions struct {
	// Tick is the period the counts start again; 0 is one second.
	Tick time.Duration

	// First is how many records of each key pass in each tick before
	// sampling begins; 0 is 100.
	First int

	// Thereafter: after the First, every Thereafter-th record of the key
	// passes in the tick and the rest are dropped. 0 is 100; -1 drops
	// every record after the First.
	Thereafter int

	// Cap, when above 0, bounds the records that pass in one tick, all
	// keys together; what is over it is dropped even where First and
	// Thereafter would let it pass. Records at or above Floor neither
	// count towards it nor are held by it.
	Cap int

	// Floor is the level from which records always pass, uncounted; nil is
	// slog.LevelWarn. It may be a *slog.LevelVar. To sample every level,
	// set it above the highest you log, such as LevelCritical+1.
	Floor slog.Leveler

	// Key is what makes two records "alike": ByMessage (the default, the
	// zero SampleKey), BySource, or ByAttr(name). The level is always
	// part of the key.
	Key SampleKey

	// Summary, when true, makes the first record of a key in a new tick
	// (and Flush and Shutdown, for every key) send ahead of it one record,
	// at the key's level, saying how many records like it were dropped in
	// the last tick: msg "37 records like this dropped in the last 1s" and
	// a group "sampled" with "dropped" (the count) and "key" (the message,
	// the "file:line" of the source, or "name=value" of the attribute).
	// It goes to the handler given to Sample, so without the attributes
	// of loggers derived with With, and is not itself sampled.
	Summary bool
}

// A SampleKey says which records [Sample] counts together: [ByMessage],
// [BySource] or [ByAttr]. The zero SampleKey is ByMessage.
type SampleKey struct {
	kind sampleKeyKind
	attr string
}

type sampleKeyKind uint8

const (
	keyMessage sampleKeyKind = iota
	keySource
	keyAttr
)

var (
	// ByMessage counts records of the same level and message together.
	ByMessage = SampleKey{}
	// BySource counts records of the same level and call site (the
	// record's PC) together; a record without a PC is keyed by its message.
	BySource = SampleKey{kind: keySource}
)

// ByAttr counts records of the same level and value of the attribute name
// together: the first attribute of that key bound with With (in any group),
// or else the record's own first one. A record without it is keyed by its
// message. A string, number, bool, time or duration is hashed without
// allocating; any other value is hashed by its String form.
func ByAttr(name string) SampleKey { return SampleKey{kind: keyAttr, attr: name} }

// String is "message", "source" or "attr:name", as package config writes
// keys.
func (k SampleKey) String() string {
	switch k.kind {
	case keySource:
		return "source"
	case keyAttr:
		return "attr:" + k.attr
	}
	return "message"
}

// sampleSlots is the size of the table of counters: keys whose hashes
// collide in it are counted together, as in zap's sampler.
const sampleSlots = 4096

// sampleState is what a sampler and the handlers derived from it share.
type sampleState struct {
	root       slog.Handler // the handler given to Sample, for summaries
	tick       int64        // nanoseconds
	tickText   string       // "1s"
	first      uint64
	thereafter uint64       // 0: drop every record after the first
	cap        uint64       // 0: none
	floor      slog.Leveler // nil when the floor is a fixed level
	floorLevel slog.Level
	key        SampleKey
	summary    bool
	seed       maphash.Seed
	mix        uint64 // a per-sampler seed for the hashes of numbers

	capCount counter
	slots    [sampleSlots]slot
}

// counter counts the records of a tick: when a record's time reaches
// resetAt, the goroutine that wins a compare-and-swap on it starts a new
// tick.
type counter struct {
	resetAt atomic.Int64
	n       atomic.Uint64
}

// inc counts one record at time now and returns its number in the tick,
// and whether it is the first of a new tick.
func (c *counter) inc(now, tick int64) (uint64, bool) {
	at := c.resetAt.Load()
	if now < at {
		return c.n.Add(1), false
	}
	c.n.Store(1)
	if !c.resetAt.CompareAndSwap(at, now+tick) {
		return c.n.Add(1), false // another goroutine started the tick
	}
	return 1, true
}

// slot is the counter of one key, with what it dropped.
type slot struct {
	counter
	dropped atomic.Uint64              // in the current tick, for the summary
	total   atomic.Uint64              // ever, for Stats
	like    atomic.Pointer[sampleLike] // the first record dropped in the tick
}

// sampleLike describes the key of dropped records, for the summary.
type sampleLike struct {
	level slog.Level
	key   string
	pc    uintptr // for BySource: resolved to file:line only for a summary
}

// sampler is the handler Sample returns.
type sampler struct {
	h slog.Handler
	s *sampleState
	// bound is the hash and text of the ByAttr attribute when With bound
	// it; otherwise the record's own is looked for.
	bound     bool
	boundHash uint64
	boundText string
}

// Sample wraps h so that a flood of alike records is thinned before it
// reaches h, as zap's sampler does: of the records of one key (by default
// the level and message) in each tick, the First pass, then every
// Thereafter-th, and the rest are dropped; records at or above the Floor
// (WARN by default) always pass. A Cap bounds what passes in a tick.
//
// Each dropped record is counted in [Stats].Sampled, which [Handler.Stats]
// sums over a tree, and with Summary set a record saying how many were
// dropped goes out at the next tick of the key, or at Flush or Shutdown.
// The tick is measured on the records' times (slog.Logger sets them to
// now; a record with a zero time is taken as now), so a test steers it by
// the times of the records it hands over.
//
// A record that passes costs a hash of its key and two atomic operations:
// no lock, no allocation. h gets the caller's record as it is, so inside
// [New], Sample(h) is a [RecordBorrower] exactly when h is. Flush,
// Shutdown, Stats and Healthy reach h through it.
//
// A nil h (or a typed nil), or an option out of range, is refused with an
// error that says what to write instead.
func Sample(h slog.Handler, opts *SampleOptions) (slog.Handler, error) {
	if isNil(h) {
		return nil, fmt.Errorf("multi.Sample: handler is nil%s; check the error its constructor returned", nilType(h))
	}
	var o SampleOptions
	if opts != nil {
		o = *opts
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	st := &sampleState{root: h, tick: int64(time.Second), first: 100, thereafter: 100,
		floor: o.Floor, key: o.Key, summary: o.Summary, seed: maphash.MakeSeed()}
	st.mix = maphash.String(st.seed, "mix") | 1
	if o.Tick > 0 {
		st.tick = int64(o.Tick)
	}
	st.tickText = time.Duration(st.tick).String()
	if o.First > 0 {
		st.first = uint64(o.First)
	}
	switch {
	case o.Thereafter > 0:
		st.thereafter = uint64(o.Thereafter)
	case o.Thereafter == -1:
		st.thereafter = 0
	}
	st.cap = uint64(o.Cap)
	switch l := st.floor.(type) {
	case nil:
		st.floorLevel = slog.LevelWarn
	case slog.Level:
		st.floor, st.floorLevel = nil, l
	}
	return &sampler{h: h, s: st}, nil
}

func (o *SampleOptions) validate() error {
	var errs []error
	if o.Tick < 0 {
		errs = append(errs, fmt.Errorf("multi.Sample: Tick %s is negative; write 0 for the default of 1s, or a positive duration", o.Tick))
	}
	if o.First < 0 {
		errs = append(errs, fmt.Errorf("multi.Sample: First %d is negative; write 0 for the default of 100, or a positive count", o.First))
	}
	if o.Thereafter < -1 {
		errs = append(errs, fmt.Errorf("multi.Sample: Thereafter %d is out of range; write -1 to drop every record after First, 0 for the default of 100, or a positive count", o.Thereafter))
	}
	if o.Cap < 0 {
		errs = append(errs, fmt.Errorf("multi.Sample: Cap %d is negative; write 0 for no cap, or a positive count", o.Cap))
	}
	if o.Key.kind == keyAttr && o.Key.attr == "" {
		errs = append(errs, errors.New(`multi.Sample: Key ByAttr(""): name the attribute, as in ByAttr("user")`))
	}
	if o.Key.kind > keyAttr {
		errs = append(errs, errors.New("multi.Sample: Key: write ByMessage, BySource or ByAttr(name)"))
	}
	if o.Floor != nil && isNilLeveler(o.Floor) {
		errs = append(errs, errors.New("multi.Sample: Floor is a nil *slog.LevelVar; write nil for the default of WARN, or a level"))
	}
	return errors.Join(errs...)
}

func isNilLeveler(l slog.Leveler) bool {
	v, ok := l.(*slog.LevelVar)
	return ok && v == nil
}

func (s *sampler) Enabled(ctx context.Context, l slog.Level) bool { return s.h.Enabled(ctx, l) }

// Handle passes r to the wrapped handler, or drops and counts it.
func (s *sampler) Handle(ctx context.Context, r slog.Record) error {
	st := s.s
	floor := st.floorLevel
	if st.floor != nil {
		floor = st.floor.Level()
	}
	if r.Level >= floor {
		return s.h.Handle(ctx, r)
	}
	var now int64
	if r.Time.IsZero() {
		now = time.Now().UnixNano()
	} else {
		now = r.Time.UnixNano()
	}
	var hash uint64
	if st.key.kind == keyMessage {
		hash = maphash.String(st.seed, r.Message) ^ uint64(int64(r.Level))*levelMix
	} else {
		hash = s.hash(&r)
	}
	sl := &st.slots[hash%sampleSlots]
	n, fresh := sl.inc(now, st.tick)
	var sumErr error
	if fresh && st.summary {
		sumErr = st.summarize(ctx, sl, now)
	}
	if n > st.first && (st.thereafter == 0 || (n-st.first)%st.thereafter != 0) {
		s.drop(sl, &r)
		return sumErr
	}
	if st.cap > 0 {
		if c, _ := st.capCount.inc(now, st.tick); c > st.cap {
			s.drop(sl, &r)
			return sumErr
		}
	}
	err := s.h.Handle(ctx, r)
	if sumErr != nil {
		return errors.Join(sumErr, err)
	}
	return err
}

// drop counts r as sampled; the first record dropped in the slot's tick
// is described for the summary.
func (s *sampler) drop(sl *slot, r *slog.Record) {
	sl.total.Add(1)
	if sl.dropped.Add(1) == 1 && s.s.summary {
		sl.like.Store(s.like(r))
	}
}

// levelMix spreads a level over the bits of a hash.
const levelMix = 0x9e3779b97f4a7c15

// hash is the hash of r's key, the level mixed in.
func (s *sampler) hash(r *slog.Record) uint64 {
	st := s.s
	lv := uint64(int64(r.Level)) * levelMix
	switch st.key.kind {
	case keySource:
		if r.PC != 0 {
			return mix64(uint64(r.PC)^st.mix) ^ lv
		}
	case keyAttr:
		if s.bound {
			return s.boundHash ^ lv
		}
		var h uint64
		found := false
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == st.key.attr {
				h, found = st.hashValue(a.Value), true
				return false
			}
			return true
		})
		if found {
			return h ^ lv
		}
	}
	return maphash.String(st.seed, r.Message) ^ lv
}

// hashValue hashes v without allocating for the common kinds.
func (st *sampleState) hashValue(v slog.Value) uint64 {
	switch v.Kind() {
	case slog.KindString:
		return maphash.String(st.seed, v.String())
	case slog.KindInt64:
		return mix64(uint64(v.Int64()) ^ st.mix)
	case slog.KindUint64:
		return mix64(v.Uint64() ^ st.mix)
	case slog.KindFloat64:
		return mix64(math.Float64bits(v.Float64()) ^ st.mix)
	case slog.KindBool:
		if v.Bool() {
			return mix64(1 ^ st.mix)
		}
		return mix64(st.mix)
	case slog.KindDuration:
		return mix64(uint64(v.Duration()) ^ st.mix)
	case slog.KindTime:
		return mix64(uint64(v.Time().UnixNano()) ^ st.mix)
	}
	return maphash.String(st.seed, v.Resolve().String())
}

// mix64 is splitmix64's finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// like describes r's key for a summary.
func (s *sampler) like(r *slog.Record) *sampleLike {
	l := &sampleLike{level: r.Level, key: r.Message}
	switch s.s.key.kind {
	case keySource:
		l.pc = r.PC
	case keyAttr:
		if s.bound {
			l.key = s.boundText
			break
		}
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == s.s.key.attr {
				l.key = a.Key + "=" + a.Value.Resolve().String()
				return false
			}
			return true
		})
	}
	return l
}

// summarize sends the summary of what sl dropped, if anything, to the
// handler given to Sample.
func (st *sampleState) summarize(ctx context.Context, sl *slot, now int64) error {
	n := sl.dropped.Swap(0)
	if n == 0 {
		return nil
	}
	l := sl.like.Load()
	if l == nil { // dropped before the description was stored: a race at the tick
		l = &sampleLike{level: slog.LevelInfo, key: "?"}
	}
	key := l.key
	if l.pc != 0 {
		f, _ := runtime.CallersFrames([]uintptr{l.pc}).Next()
		key = f.File + ":" + strconv.Itoa(f.Line)
	}
	if !st.root.Enabled(ctx, l.level) {
		return nil
	}
	r := slog.NewRecord(time.Unix(0, now), l.level,
		strconv.FormatUint(n, 10)+" records like this dropped in the last "+st.tickText, 0)
	r.AddAttrs(slog.Group("sampled", slog.Uint64("dropped", n), slog.String("key", key)))
	return st.root.Handle(ctx, r)
}

// summarizeAll sends the summary of every key that has dropped records.
func (st *sampleState) summarizeAll(ctx context.Context) error {
	if !st.summary {
		return nil
	}
	var errs []error
	now := time.Now().UnixNano()
	for i := range st.slots {
		if st.slots[i].dropped.Load() != 0 {
			if err := st.summarize(ctx, &st.slots[i], now); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// sampled is the number of records dropped so far.
func (st *sampleState) sampled() uint64 {
	var n uint64
	for i := range st.slots {
		n += st.slots[i].total.Load()
	}
	return n
}

func (s *sampler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return s
	}
	c := *s
	c.h = s.h.WithAttrs(attrs)
	if s.s.key.kind == keyAttr && !s.bound {
		for _, a := range attrs {
			if v, ok := findAttr(a, s.s.key.attr); ok {
				c.bound, c.boundHash = true, s.s.hashValue(v)
				c.boundText = s.s.key.attr + "=" + v.String()
				break
			}
		}
	}
	return &c
}

// findAttr finds the attribute key in a, or in the groups a holds.
func findAttr(a slog.Attr, key string) (slog.Value, bool) {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		for _, g := range v.Group() {
			if v, ok := findAttr(g, key); ok {
				return v, true
			}
		}
		return slog.Value{}, false
	}
	return v, a.Key == key
}

func (s *sampler) WithGroup(name string) slog.Handler {
	if name == "" {
		return s
	}
	c := *s
	c.h = s.h.WithGroup(name)
	return &c
}

// Flush sends the summaries of what was dropped, then flushes h.
func (s *sampler) Flush(ctx context.Context) error {
	return errors.Join(s.s.summarizeAll(ctx), Flush(ctx, s.h))
}

// Shutdown sends the summaries of what was dropped, then shuts h down.
func (s *sampler) Shutdown(ctx context.Context) error {
	releaseDefault(s)
	return s.shutdown(ctx)
}

func (s *sampler) shutdown(ctx context.Context) error {
	return errors.Join(s.s.summarizeAll(ctx), shutdown(ctx, s.h))
}

// Stats is h's, with the records dropped here as Sampled.
func (s *sampler) Stats() Stats {
	var st Stats
	var seen []any
	addStats(s, &st, &seen)
	return st
}

// Healthy reports whether h is.
func (s *sampler) Healthy() bool { return HealthyOf(s.h) }

// Unwrap returns the wrapped handler.
func (s *sampler) Unwrap() slog.Handler { return s.h }
