package wssink

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/jinpy-utils/multi/internal/jsonx"
)

// errNotObject is returned for a message that is not a JSON object.
var errNotObject = errors.New("message is not a JSON object")

// parseMessage reads one message of the protocol (see the package doc) and
// appends the records it carries to recs: the elements of "logs" for a
// log_batch, the value of "log" for a wrapped record, or the whole message
// for a bare record. It reports the message's sequence number, if any.
// The records are views into msg.
func parseMessage(recs [][]byte, msg []byte) (_ [][]byte, seq uint64, hasSeq bool, err error) {
	if !json.Valid(msg) {
		return recs, 0, false, errors.New("message is not valid JSON")
	}
	var typ, logs, log []byte
	err = eachMember(msg, func(key, val []byte) bool {
		switch string(key) {
		case `"type"`:
			typ = val
		case `"seq"`:
			if n, perr := strconv.ParseUint(string(val), 10, 64); perr == nil {
				seq, hasSeq = n, true
			}
		case `"logs"`:
			logs = val
		case `"log"`:
			log = val
		}
		return true
	})
	if err != nil {
		return recs, 0, false, err
	}
	switch {
	case bytes.Equal(typ, []byte(`"log_batch"`)) && len(logs) > 0 && logs[0] == '[':
		i := jsonx.SkipSpace(logs, 1)
		for i < len(logs) && logs[i] != ']' {
			e := jsonx.SkipValue(logs, i)
			if e < 0 {
				return recs, 0, false, errors.New("log_batch: logs is not a JSON array")
			}
			recs = append(recs, logs[i:e])
			i = jsonx.SkipSpace(logs, e)
			if i < len(logs) && logs[i] == ',' {
				i = jsonx.SkipSpace(logs, i+1)
			}
		}
		return recs, seq, hasSeq, nil
	case bytes.Equal(typ, []byte(`"log"`)) && log != nil:
		return append(recs, log), seq, hasSeq, nil
	default:
		return append(recs, bytes.TrimSpace(msg)), 0, false, nil
	}
}

// eachMember calls f with the raw key (quotes included) and raw value of
// every top-level member of the JSON object b, in order, until f returns
// false. b must be valid JSON.
func eachMember(b []byte, f func(key, val []byte) bool) error {
	i := jsonx.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errNotObject
	}
	i = jsonx.SkipSpace(b, i+1)
	for i < len(b) && b[i] == '"' {
		ke := jsonx.SkipString(b, i)
		if ke < 0 {
			return errNotObject
		}
		c := jsonx.SkipSpace(b, ke)
		vs := jsonx.SkipSpace(b, c+1)
		ve := jsonx.SkipValue(b, vs)
		if ve < 0 {
			return errNotObject
		}
		if !f(b[i:ke], b[vs:ve]) {
			return nil
		}
		i = jsonx.SkipSpace(b, ve)
		if i < len(b) && b[i] == ',' {
			i = jsonx.SkipSpace(b, i+1)
		}
	}
	return nil
}

// appendAck appends the acknowledgement of seq: {"type":"ack","seq":N}.
func appendAck(b []byte, seq uint64) []byte {
	b = append(b, `{"type":"ack","seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	return append(b, '}')
}

// parseAck reads an acknowledgement. Other messages report false.
func parseAck(msg []byte) (uint64, bool) {
	var typ, seq []byte
	if !json.Valid(msg) {
		return 0, false
	}
	if eachMember(msg, func(k, v []byte) bool {
		switch string(k) {
		case `"type"`:
			typ = v
		case `"seq"`:
			seq = v
		}
		return true
	}) != nil || !bytes.Equal(typ, []byte(`"ack"`)) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(seq), 10, 64)
	return n, err == nil
}
