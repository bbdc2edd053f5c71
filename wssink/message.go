package wssink

import (
	"encoding/json"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/internal/jsonx"
	"github.com/jinpy-utils/multi/internal/spool"
)

// headroom is the space kept in front of every message body for its prefix
// ({"type":"log_batch","seq":18446744073709551615), written when the message
// joins the window and gets its sequence number.
const headroom = 64

// A message is one WebSocket text message: its bytes, and what it carries.
type message struct {
	buf   []byte // headroom + body; data is a suffix of it
	data  []byte // the whole message as written to the connection
	seq   uint64 // its place in the window's order (in the message only with Ack)
	n     int    // records in the message
	size  int    // bytes of those records
	offs  []int  // start, end of each record within body (kept when spooling)
	from  int    // where the body starts in buf
	spool bool   // the records were read back from the spool
	// span is the records' place in the journal, released when the
	// message leaves the window: set on a batch's last message. lease is
	// the same for records replayed from the spool: it keeps their frame
	// on disk, set on the frame's last message.
	span  buffer.Span
	lease spool.Lease
	sent  time.Time

	// busy is set while the owner writes the message, and orphan when the
	// message left the window meanwhile (an early ack): its buffer is then
	// recycled by the owner once the write is over. Guarded by sink.mu.
	busy, orphan bool
}

// records returns the records the message carries, as views into its bytes.
func (m *message) records() [][]byte {
	recs := make([][]byte, 0, len(m.offs)/2)
	for i := 0; i+1 < len(m.offs); i += 2 {
		recs = append(recs, m.buf[m.from+m.offs[i]:m.from+m.offs[i+1]])
	}
	return recs
}

// encoder builds messages. Its fields are fixed at New.
type encoder struct {
	mode      Mode
	ack       bool
	source    []byte // the source as a JSON string, quotes included
	max       int    // MaxMessageSize
	maxRecord int    // the largest record that fits in one message
	keepOffs  bool   // record where each record sits (to spool it back)
	now       func() time.Time
}

// Fixed parts of a message. batchBody is the part after the prefix.
const (
	batchPrefix  = `{"type":"log_batch"`
	recordPrefix = `{"type":"log"`
	seqKey       = `,"seq":`
	maxUint64Len = len("18446744073709551615")
	// timestampLen bounds a UTC time.RFC3339Nano stamp.
	timestampLen = len(`2006-01-02T15:04:05.999999999Z`)
)

func newEncoder(mode Mode, ack bool, source string, maxMessage int, keepOffs bool) *encoder {
	src, _ := json.Marshal(source) // a string always marshals; invalid UTF-8 becomes U+FFFD
	e := &encoder{mode: mode, ack: ack, source: src, max: maxMessage, keepOffs: keepOffs, now: time.Now}
	e.maxRecord = maxMessage - e.overhead()
	return e
}

// overhead is the most bytes a message adds around its records.
func (e *encoder) overhead() int {
	n := len(batchPrefix) + len(seqKey) + maxUint64Len
	switch {
	case e.mode == Batch:
		n += len(`,"timestamp":"`) + timestampLen + len(`","source":`) + len(e.source) +
			len(`,"count":`) + maxUint64Len + len(`,"logs":[`) + len(`]}`)
	case e.ack:
		n += len(`,"log":`) + len(`}`)
	default:
		n = 0 // a bare record
	}
	return n
}

// split returns the largest j such that the records i..j-1, of the given
// sizes, fit one message (at least one record; one in Record mode). Every
// record must be at most maxRecord bytes.
func (e *encoder) split(sizes []int, i int) int {
	room := e.max - e.overhead()
	j := i
	for j < len(sizes) {
		need := sizes[j]
		if j > i {
			need++ // the comma
		}
		if need > room && j > i {
			break
		}
		room -= need
		j++
		if e.mode == Record {
			break
		}
	}
	return j
}

// encode builds one message from recs (which fit) in buf, a recycled
// buffer or nil. The prefix and sequence number are added later by stamp.
func (e *encoder) encode(recs [][]byte, buf []byte) *message {
	m := &message{}
	size := headroom + e.overhead() + len(recs)
	for _, r := range recs {
		size += len(r)
	}
	if cap(buf) < size {
		// Round up, so that recycled buffers fit the next messages.
		buf = make([]byte, 0, max(size, 1<<bits.Len(uint(size))))
	}
	b := buf[:headroom]
	body := len(b)
	m.offs = m.offs[:0]
	m.size = 0
	switch {
	case e.mode == Batch:
		b = append(b, `,"timestamp":"`...)
		b = e.now().UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","source":`...)
		b = append(b, e.source...)
		b = append(b, `,"count":`...)
		b = strconv.AppendInt(b, int64(len(recs)), 10)
		b = append(b, `,"logs":[`...)
		for k, r := range recs {
			if k > 0 {
				b = append(b, ',')
			}
			if e.keepOffs {
				m.offs = append(m.offs, len(b)-body, len(b)-body+len(r))
			}
			b = append(b, r...)
			m.size += len(r)
		}
		b = append(b, ']', '}')
	case e.ack:
		b = append(b, `,"log":`...)
		if e.keepOffs {
			m.offs = append(m.offs, len(b)-body, len(b)-body+len(recs[0]))
		}
		b = append(b, recs[0]...)
		m.size = len(recs[0])
		b = append(b, '}')
	default:
		if e.keepOffs {
			m.offs = append(m.offs, 0, len(recs[0]))
		}
		b = append(b, recs[0]...)
		m.size = len(recs[0])
	}
	m.buf, m.from, m.n = b, body, len(recs)
	m.data = b[body:]
	return m
}

// stamp writes the message's prefix, with seq when Ack is on, into the
// headroom in front of its body.
func (e *encoder) stamp(m *message, seq uint64) {
	if e.mode == Record && !e.ack {
		m.data = m.buf[m.from:]
		return
	}
	var p [headroom]byte
	pre := p[:0]
	if e.mode == Batch {
		pre = append(pre, batchPrefix...)
	} else {
		pre = append(pre, recordPrefix...)
	}
	if e.ack {
		pre = append(pre, seqKey...)
		pre = strconv.AppendUint(pre, seq, 10)
	}
	start := m.from - len(pre)
	copy(m.buf[start:], pre)
	m.data = m.buf[start:]
	m.seq = seq
}

// truncMarker is the member added to a record cut to fit a message; its
// value is the record's original size in bytes.
const truncMarker = `"_truncated":`

// truncateRecord appends to dst a copy of the JSON object rec cut to at most
// limit bytes, still a valid JSON object: the leading members that fit are
// kept whole, the member that crosses the limit keeps a prefix of its value
// when that value is a string (cut between characters, never inside an
// escape or a UTF-8 sequence) and is left out otherwise, the rest are left
// out, and a last member "_truncated" gives the original size in bytes.
func truncateRecord(dst, rec []byte, limit int) []byte {
	var mk [len(truncMarker) + maxUint64Len + 1]byte
	marker := append(append(mk[:0], truncMarker...), strconv.Itoa(len(rec))...)
	marker = append(marker, '}')
	start := len(dst)
	dst = append(dst, '{')
	budget := limit - len(marker) - 1 // the comma before the marker
	i := jsonx.SkipSpace(rec, 0)
	if i >= len(rec) || rec[i] != '{' {
		return append(dst, marker...) // not an object: keep the marker only
	}
	i = jsonx.SkipSpace(rec, i+1)
	first := true
	for i < len(rec) && rec[i] == '"' {
		keyEnd := jsonx.SkipString(rec, i)
		if keyEnd < 0 {
			break
		}
		colon := jsonx.SkipSpace(rec, keyEnd)
		if colon >= len(rec) || rec[colon] != ':' {
			break
		}
		vs := jsonx.SkipSpace(rec, colon+1)
		ve := jsonx.SkipValue(rec, vs)
		if ve < 0 {
			break
		}
		comma := 0
		if !first {
			comma = 1
		}
		used := len(dst) - start
		if used+comma+(ve-i) <= budget {
			if !first {
				dst = append(dst, ',')
			}
			dst = append(dst, rec[i:keyEnd]...)
			dst = append(dst, ':')
			dst = append(dst, rec[vs:ve]...)
			first = false
		} else {
			// The member does not fit: keep a prefix of a string value.
			room := budget - used - comma - (keyEnd - i) - 1 - 2 // key, colon, quotes
			if vs < len(rec) && rec[vs] == '"' && room > 0 {
				cut := safeCut(rec[vs+1:ve-1], room)
				if !first {
					dst = append(dst, ',')
				}
				dst = append(dst, rec[i:keyEnd]...)
				dst = append(dst, ':', '"')
				dst = append(dst, rec[vs+1:vs+1+cut]...)
				dst = append(dst, '"')
				first = false
			}
			break
		}
		i = jsonx.SkipSpace(rec, ve)
		if i < len(rec) && rec[i] == ',' {
			i = jsonx.SkipSpace(rec, i+1)
		}
	}
	if !first {
		dst = append(dst, ',')
	}
	return append(dst, marker...)
}

// safeCut returns the length of the longest prefix of the JSON string
// contents s that is at most n bytes and ends between two characters.
func safeCut(s []byte, n int) int {
	i := 0
	for i < len(s) {
		w := 1
		switch c := s[i]; {
		case c == '\\':
			w = 2
			if i+1 < len(s) && s[i+1] == 'u' {
				w = 6
				// Keep a surrogate pair together.
				if i+12 <= len(s) && isHighSurrogate(s[i+2:i+6]) && s[i+6] == '\\' && s[i+7] == 'u' {
					w = 12
				}
			}
		case c >= utf8.RuneSelf:
			_, w = utf8.DecodeRune(s[i:])
		}
		if i+w > n || i+w > len(s) {
			break
		}
		i += w
	}
	return i
}

func isHighSurrogate(hex []byte) bool {
	v, err := strconv.ParseUint(string(hex), 16, 16)
	return err == nil && v >= 0xD800 && v <= 0xDBFF
}
