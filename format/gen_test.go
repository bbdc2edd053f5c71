package format_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"time"
)

// A gen turns fuzz input into log calls: every choice reads the next bytes,
// and an exhausted input reads zeros, so any input is a valid program.
type gen struct {
	data  []byte
	i     int
	text  bool // for TextHandler: no values slog.TextHandler cannot print
	depth int
}

func (g *gen) byte() byte {
	if g.i >= len(g.data) {
		return 0
	}
	b := g.data[g.i]
	g.i++
	return b
}

func (g *gen) intn(n int) int { return int(g.byte()) % n }

func (g *gen) uint64() uint64 {
	var u uint64
	for range 8 {
		u = u<<8 | uint64(g.byte())
	}
	return u
}

// interesting pieces of keys and strings.
var pieces = []string{
	"", "a", "b", "k", "time", "level", "msg", "source", "logger", "g", "=", " ", ".",
	"\n", "\r", "\t", "\x1b[31m", "\x00", "\x7f", "\u0085", "\u009b", "\u2028", "\u2029",
	"\xff", "\xe2\x80", "é", "日本", `"`, `\`, "{", "}", "<>&", "\ufeff", "a b", "x=y",
}

func (g *gen) str() string {
	n := g.intn(4)
	s := ""
	for range n {
		switch c := g.byte(); {
		case c < 160:
			s += pieces[int(c)%len(pieces)]
		default:
			// Raw bytes, valid or not.
			k := int(c-160)%8 + 1
			for range k {
				s += string([]byte{g.byte()})
			}
		}
	}
	return s
}

var zones = []*time.Location{
	time.UTC,
	time.FixedZone("CET", 3600),
	time.FixedZone("", -7*3600-30*60),
	time.FixedZone("LMT", 561), // seconds in the offset
	time.FixedZone("odd", -30), // rounds to "+00:00"
	time.FixedZone("Z0", 0),
}

func (g *gen) time() time.Time {
	if g.intn(8) == 0 {
		return time.Time{}
	}
	var sec int64
	if g.text && g.intn(16) == 0 {
		// Outside the years RFC 3339 allows; JSONHandler writes invalid
		// JSON for these, so only Text gets them.
		sec = int64(g.uint64()%(1<<40)) - 1<<39
	} else {
		// Years 0 to 9999 in every zone.
		sec = int64(g.uint64()%(315537897600-86400*2)) - 62167219200 + 86400
	}
	nsec := int64(g.uint64() % 1e9)
	switch g.intn(4) {
	case 0:
		nsec = 0
	case 1:
		nsec -= nsec % 1e6
	}
	return time.Unix(sec, nsec).In(zones[g.intn(len(zones))])
}

func (g *gen) float() float64 {
	switch g.intn(10) {
	case 0:
		return math.NaN()
	case 1:
		return math.Inf(1)
	case 2:
		return math.Inf(-1)
	case 3:
		return math.Copysign(0, -1)
	case 4:
		return []float64{1e21, 1e-7, 1e20, 1e-6, 123456789.125, 5e-324, math.MaxFloat64}[g.intn(7)]
	case 5:
		return float64(int8(g.byte())) / 8
	}
	return math.Float64frombits(g.uint64())
}

func (g *gen) attrs(max int) []slog.Attr {
	n := g.intn(max + 1)
	as := make([]slog.Attr, 0, n)
	for range n {
		as = append(as, g.attr())
	}
	return as
}

func (g *gen) attr() slog.Attr {
	if g.intn(32) == 0 {
		return slog.Attr{} // the zero Attr, which handlers ignore
	}
	return slog.Attr{Key: g.str(), Value: g.value()}
}

func (g *gen) value() slog.Value {
	g.depth++
	defer func() { g.depth-- }()
	k := g.intn(12)
	if g.depth > 4 && k >= 9 {
		k = 0
	}
	switch k {
	case 0:
		return slog.StringValue(g.str())
	case 1:
		return slog.Int64Value(int64(g.uint64()))
	case 2:
		return slog.Uint64Value(g.uint64())
	case 3:
		return slog.Float64Value(g.float())
	case 4:
		return slog.BoolValue(g.byte()&1 == 1)
	case 5:
		return slog.DurationValue(time.Duration(int64(g.uint64()) >> g.intn(64)))
	case 6:
		return slog.TimeValue(g.time())
	case 7, 8:
		return slog.AnyValue(g.any())
	case 9, 10:
		return slog.GroupValue(g.attrs(3)...)
	default:
		return g.logValuer()
	}
}

func (g *gen) logValuer() slog.Value {
	switch g.intn(4) {
	case 0:
		return slog.AnyValue(panicValuer{})
	case 1:
		return slog.AnyValue(loopValuer{})
	}
	return slog.AnyValue(valuer{g.value()})
}

func (g *gen) any() any {
	switch g.intn(20) {
	case 0:
		return errors.New(g.str())
	case 1:
		return panicError{}
	case 2:
		return (*ptrError)(nil)
	case 3:
		return []byte(g.str())
	case 4:
		return rawBytes(g.str())
	case 5:
		return point{X: int(int8(g.byte())), Label: g.str()}
	case 6:
		return map[string]any{g.str(): int(g.byte()), g.str(): g.str()}
	case 7:
		return []any{g.str(), int(g.byte()), nil, g.float()}
	case 8:
		return slog.Level(int8(g.byte()))
	case 9:
		return &slog.Source{Function: g.str(), File: g.str(), Line: int(g.byte()) - 2}
	case 10:
		return jsonThing(g.str())
	case 11:
		return textThing(g.str())
	case 12:
		return nil
	case 13:
		if !g.text {
			m := map[string]any{"k": 1}
			m["self"] = m // encoding/json reports the cycle
			return m
		}
		return nil
	case 14:
		return failingMarshaler{}
	case 15:
		return struct {
			T time.Time
			D time.Duration
		}{g.time(), time.Duration(g.byte())}
	case 16:
		return &point{X: 1, Label: g.str()}
	case 17:
		return (*point)(nil)
	case 18:
		return float32(g.float())
	default:
		return stringer(g.str())
	}
}

// Values of the kinds a log call may carry.
type (
	panicValuer struct{}
	loopValuer  struct{}
	valuer      struct{ v slog.Value }
	panicError  struct{}
	ptrError    struct{ msg string }
	rawBytes    []byte
	point       struct {
		X     int
		Label string
	}
	jsonThing        string
	textThing        string
	failingMarshaler struct{}
	stringer         string
)

func (panicValuer) LogValue() slog.Value { panic("valuer boom") }
func (loopValuer) LogValue() slog.Value  { return slog.AnyValue(loopValuer{}) }
func (v valuer) LogValue() slog.Value    { return v.v }
func (panicError) Error() string         { panic("error boom") }
func (e *ptrError) Error() string        { return e.msg } // panics on nil
func (j jsonThing) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"j": string(j)})
}
func (t textThing) MarshalText() ([]byte, error) { return []byte("T:" + string(t)), nil }
func (failingMarshaler) MarshalJSON() ([]byte, error) {
	return nil, errors.New("cannot marshal")
}
func (failingMarshaler) MarshalText() ([]byte, error) {
	return nil, errors.New("cannot marshal text")
}
func (s stringer) String() string { return "S<" + string(s) + ">" }

// replacers are the ReplaceAttr functions the fuzz targets choose from.
var replacers = []func(groups []string, a slog.Attr) slog.Attr{
	nil,
	func(groups []string, a slog.Attr) slog.Attr { // drop some keys, built-ins too
		if a.Key == "a" || a.Key == "time" || a.Key == "source" || len(a.Key) == 3 {
			return slog.Attr{}
		}
		return a
	},
	func(groups []string, a slog.Attr) slog.Attr { // rename by groups
		a.Key = fmt.Sprintf("%s_%d", a.Key, len(groups))
		if len(groups) > 0 {
			a.Key += "_" + groups[len(groups)-1]
		}
		return a
	},
	func(groups []string, a slog.Attr) slog.Attr { // change kinds
		switch a.Value.Kind() {
		case slog.KindString:
			return slog.Int(a.Key, len(a.Value.String()))
		case slog.KindInt64:
			return slog.Group(a.Key, slog.String("was", a.Value.String()))
		case slog.KindTime:
			return slog.Any(a.Key, valuer{slog.StringValue("t")})
		case slog.KindAny:
			if _, ok := a.Value.Any().(slog.Level); ok {
				return slog.String(a.Key, "LVL")
			}
		}
		return a
	},
	func(groups []string, a slog.Attr) slog.Attr { // empty keys and groups
		if a.Key == "b" || a.Key == "msg" {
			a.Key = ""
		}
		if a.Key == "k" {
			return slog.Group("")
		}
		return a
	},
	func(groups []string, a slog.Attr) slog.Attr { // a panicking valuer
		if a.Key == "g" {
			return slog.Any(a.Key, panicValuer{})
		}
		return a
	},
}

// callerPC is a real program counter, for AddSource.
var callerPC = func() uintptr {
	var pcs [1]uintptr
	runtime.Callers(1, pcs[:])
	return pcs[0]
}()

// A program is what one fuzz input asks for: options, the handler's
// WithAttrs/WithGroup chain, and one record.
type program struct {
	addSource bool
	rep       func(groups []string, a slog.Attr) slog.Attr
	name      string
	ops       []op
	rec       slog.Record
}

type op struct {
	group string
	attrs []slog.Attr // nil: WithGroup(group)
}

func (g *gen) program() program {
	var p program
	flags := g.byte()
	p.addSource = flags&1 != 0
	p.rep = replacers[int(flags>>1)%len(replacers)]
	if flags&0x80 != 0 {
		p.name = g.str()
	}
	for range g.intn(5) {
		if g.intn(2) == 0 {
			p.ops = append(p.ops, op{group: g.str()})
		} else {
			p.ops = append(p.ops, op{attrs: g.attrs(4)})
		}
	}
	var pc uintptr
	if p.addSource && g.intn(4) != 0 {
		pc = callerPC
	}
	p.rec = slog.NewRecord(g.time(), slog.Level(int8(g.byte())), g.str(), pc)
	p.rec.AddAttrs(g.attrs(7)...)
	return p
}

// build applies p's WithGroup and WithAttrs calls to h. An empty group
// name is skipped, as slog.Logger.WithGroup does: slog's handlers, called
// directly, open a group named "" (the Handler contract says to return the
// receiver, which ours does; TestWithGroupEmptyReturnsReceiver).
func (p program) build(h slog.Handler) slog.Handler {
	for _, o := range p.ops {
		if o.attrs == nil {
			if o.group != "" {
				h = h.WithGroup(o.group)
			}
		} else {
			h = h.WithAttrs(o.attrs)
		}
	}
	return h
}
