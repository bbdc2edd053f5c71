package httpsink

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/jinpy-utils/multi/internal/jsonx"
)

// contentType returns the Content-Type of an encoding's bodies.
func (e Encoding) contentType() string {
	switch e {
	case NDJSON, ElasticsearchBulk:
		return "application/x-ndjson"
	}
	return "application/json"
}

// encoder builds request bodies. It lives on the sender's goroutine and
// keeps its scratch space between batches.
type encoder struct {
	enc    Encoding
	source string
	action []byte // ElasticsearchBulk action line, newline included
	labels []lokiLabel

	// Loki scratch, reused.
	streamOf map[string]int
	streams  []lokiStream
	entries  []lokiEntry
	key      []byte
}

func newEncoder(c *config) *encoder {
	e := &encoder{enc: c.Encoding, source: c.Source, labels: c.labels}
	if c.Encoding == ElasticsearchBulk {
		e.action = []byte("{\"create\":{}}\n")
	}
	if c.Encoding == Loki {
		e.streamOf = make(map[string]int)
	}
	return e
}

// trimNL returns a record without its trailing newline.
func trimNL(r []byte) []byte {
	if n := len(r); n > 0 && r[n-1] == '\n' {
		return r[:n-1]
	}
	return r
}

// encode appends the body for recs to dst. now stamps the Envelope and the
// Loki entries whose record has no readable time.
func (e *encoder) encode(dst []byte, recs [][]byte, now time.Time) []byte {
	switch e.enc {
	case NDJSON:
		for _, r := range recs {
			dst = append(dst, trimNL(r)...)
			dst = append(dst, '\n')
		}
	case ElasticsearchBulk:
		for _, r := range recs {
			dst = append(dst, e.action...)
			dst = append(dst, trimNL(r)...)
			dst = append(dst, '\n')
		}
	case Loki:
		dst = e.loki(dst, recs, now)
	default:
		dst = append(dst, `{"logs":[`...)
		for i, r := range recs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, trimNL(r)...)
		}
		dst = append(dst, `],"timestamp":"`...)
		dst = now.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, `","source":`...)
		dst = jsonx.AppendString(dst, e.source)
		dst = append(dst, `,"count":`...)
		dst = strconv.AppendInt(dst, int64(len(recs)), 10)
		dst = append(dst, '}')
	}
	return dst
}

// lokiLabel is a label taken from an attribute: the label's (sanitised)
// name and the path of keys to the attribute in the JSON record.
type lokiLabel struct {
	name string
	path []string
}

func lokiLabels(keys []string) []lokiLabel {
	ls := make([]lokiLabel, 0, len(keys))
	for _, k := range keys {
		ls = append(ls, lokiLabel{name: sanitizeLabel(k), path: splitPath(k)})
	}
	return ls
}

// splitPath splits "a.b.c" into its keys; a key of slog's groups is
// nested in the JSON record.
func splitPath(k string) []string { return strings.Split(k, ".") }

// sanitizeLabel makes a Loki label name: [a-zA-Z_][a-zA-Z0-9_]*.
func sanitizeLabel(k string) string {
	b := []byte(k)
	for i, c := range b {
		ok := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9'
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}

type lokiStream struct {
	labels []byte // the encoded "stream" object
	first  int    // index of its first entry
	last   int    // index of its last entry
}

type lokiEntry struct {
	ts     int64
	stream int
	next   int // next entry of the same stream, or -1
}

// loki appends a push request: one stream per distinct label set, in the
// order the sets first appear, each with its records in batch order.
func (e *encoder) loki(dst []byte, recs [][]byte, now time.Time) []byte {
	clear(e.streamOf)
	e.streams = e.streams[:0]
	e.entries = e.entries[:0]
	for _, r := range recs {
		r = trimNL(r)
		// The stream's labels as a JSON object, which is also its key.
		k := append(e.key[:0], `{"source":`...)
		k = jsonx.AppendString(k, e.source)
		for _, l := range e.labels {
			v, ok := field(r, l.path)
			if !ok {
				continue
			}
			k = append(k, ',')
			k = jsonx.AppendString(k, l.name)
			k = append(k, ':')
			k = appendLabelValue(k, v)
		}
		k = append(k, '}')
		e.key = k
		si, ok := e.streamOf[string(k)]
		if !ok {
			si = len(e.streams)
			e.streamOf[string(k)] = si
			e.streams = append(e.streams, lokiStream{labels: bytes.Clone(k), first: len(e.entries), last: -1})
		}
		ts := now.UnixNano()
		if v, ok := field(r, []string{"time"}); ok {
			if t, ok := parseTime(v); ok {
				ts = t.UnixNano()
			}
		}
		i := len(e.entries)
		e.entries = append(e.entries, lokiEntry{ts: ts, stream: si, next: -1})
		if s := &e.streams[si]; s.last >= 0 {
			e.entries[s.last].next = i
			s.last = i
		} else {
			s.last = i
		}
	}
	dst = append(dst, `{"streams":[`...)
	for si := range e.streams {
		s := &e.streams[si]
		if si > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"stream":`...)
		dst = append(dst, s.labels...)
		dst = append(dst, `,"values":[`...)
		for i := s.first; i >= 0; i = e.entries[i].next {
			if i != s.first {
				dst = append(dst, ',')
			}
			dst = append(dst, `["`...)
			dst = strconv.AppendInt(dst, e.entries[i].ts, 10)
			dst = append(dst, `",`...)
			dst = jsonx.AppendBytes(dst, trimNL(recs[i]))
			dst = append(dst, ']')
		}
		dst = append(dst, "]}"...)
	}
	return append(dst, "]}"...)
}

// appendLabelValue appends a JSON value from a record as a JSON string:
// strings as they are, numbers, booleans and null by their text, objects
// and arrays by their compact JSON.
func appendLabelValue(dst, raw []byte) []byte {
	if len(raw) > 0 && raw[0] == '"' {
		return append(dst, raw...) // already a valid JSON string
	}
	return jsonx.AppendBytes(dst, raw)
}

// parseTime reads the "time" value of a record: an RFC 3339 string, as
// slog writes it.
func parseTime(raw []byte) (time.Time, bool) {
	if len(raw) < 2 || raw[0] != '"' || bytes.IndexByte(raw, '\\') >= 0 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(raw[1:len(raw)-1]))
	return t, err == nil
}

// field returns the raw JSON value at path in the JSON object line, or
// false. Keys with escapes are compared unescaped.
func field(line []byte, path []string) ([]byte, bool) {
	for depth, key := range path {
		i := jsonx.SkipSpace(line, 0)
		if i >= len(line) || line[i] != '{' {
			return nil, false
		}
		i++
		found := false
		for {
			i = jsonx.SkipSpace(line, i)
			if i >= len(line) || line[i] == '}' {
				return nil, false
			}
			if line[i] == ',' {
				i = jsonx.SkipSpace(line, i+1)
			}
			kEnd := jsonx.SkipString(line, i)
			if kEnd < 0 {
				return nil, false
			}
			k := line[i:kEnd]
			i = jsonx.SkipSpace(line, kEnd)
			if i >= len(line) || line[i] != ':' {
				return nil, false
			}
			i = jsonx.SkipSpace(line, i+1)
			vEnd := jsonx.SkipValue(line, i)
			if vEnd < 0 {
				return nil, false
			}
			if keyEquals(k, key) {
				line = line[i:vEnd]
				found = true
				break
			}
			i = vEnd
		}
		if !found {
			return nil, false
		}
		if depth == len(path)-1 {
			return line, true
		}
	}
	return nil, false
}

// keyEquals compares a quoted JSON key with an unquoted one.
func keyEquals(quoted []byte, key string) bool {
	if len(quoted) < 2 {
		return false
	}
	in := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(in, '\\') < 0 {
		return string(in) == key
	}
	var s string
	return json.Unmarshal(quoted, &s) == nil && s == key
}
