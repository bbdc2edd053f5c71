package config

import (
	"slices"
	"strconv"
	"strings"
)

// An Error is what every function of this package returns when a document
// or a value in it is wrong. Its message reads
//
//	config: app.yaml:7: sinks[2].max_size: "10XB" is not a size
//
// naming the file (LoadFile only), the line (when the value came from a
// document this package parsed), the path to the value, and what is wrong.
//
// No value of an environment variable appears in an Error: when a message
// had to be redacted (see the package doc), Err is a plain error holding the
// redacted text and the original chain is not reachable through Unwrap.
type Error struct {
	File string // the file LoadFile read; "" otherwise
	Line int    // 1-based line of the value in the document; 0 if not known
	Path string // path to the value: "sinks[2].max_size"; "" for the whole document
	Err  error  // what is wrong

	segs path   // Path as segments, to find the line again
	sink string // the name of the sink Path is in, printed after sinks[N]
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	switch {
	case e.File != "" && e.Line > 0:
		b.WriteString(e.File)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	case e.File != "":
		b.WriteString(e.File)
		b.WriteString(": ")
	case e.Line > 0:
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	if e.Path != "" {
		p := e.Path
		if k := sinkPrefix(p); e.sink != "" && k > 0 {
			b.WriteString(p[:k])
			b.WriteString(" (name ")
			b.WriteString(strconv.Quote(e.sink))
			b.WriteByte(')')
			p = p[k:]
		}
		b.WriteString(p)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// sinkPrefix returns the length of the "sinks[N]" that p starts with, or 0.
func sinkPrefix(p string) int {
	rest, ok := strings.CutPrefix(p, "sinks[")
	if !ok {
		return 0
	}
	end := strings.IndexByte(rest, ']')
	if end <= 0 {
		return 0
	}
	if _, err := strconv.Atoi(rest[:end]); err != nil {
		return 0
	}
	return len("sinks[") + end + 1
}

// withSink names the sink e is in, if its path is in sinks[i] and the sink
// has a name.
func (e *Error) withSink(sinks []Sink) *Error {
	if len(e.segs) >= 2 && e.segs[0].key == "sinks" && e.segs[1].isIdx {
		if i := e.segs[1].idx; i < len(sinks) {
			e.sink = sinks[i].Name
		}
	}
	return e
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// path is a position in a document: object keys and list indexes.
type path []seg

type seg struct {
	key   string
	idx   int // used when key == "" and isIdx
	isIdx bool
}

// key and index return p with one more segment, in a new slice.
func (p path) key(k string) path { return append(p[:len(p):len(p)], seg{key: k}) }
func (p path) index(i int) path  { return append(p[:len(p):len(p)], seg{idx: i, isIdx: true}) }

// pushKey and pushIndex return p with one more segment, reusing p's array
// when it has room: for walks that descend and return, where the path of
// one child is dead once the next is visited. errAt copies the path it
// keeps.
func (p path) pushKey(k string) path { return append(p, seg{key: k}) }
func (p path) pushIndex(i int) path  { return append(p, seg{idx: i, isIdx: true}) }

// String writes p as sinks[2].max_size, headers.X-Token or
// headers["a b"] for keys that are not plain words.
func (p path) String() string {
	var b strings.Builder
	for i, s := range p {
		switch {
		case s.isIdx:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
		case plainKey(s.key):
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(s.key))
			b.WriteByte(']')
		}
	}
	return b.String()
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func errAt(p path, line int, err error) *Error {
	return &Error{Line: line, Path: p.String(), Err: err, segs: slices.Clone(p)}
}
