package otlpsink

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// logRecord is a LogRecord read back with protowire, as a test sees it:
// attributes flattened to "group.key" = a printed value.
type logRecord struct {
	time, observed  uint64
	severity        uint64
	severityText    string
	body            string
	traceID, spanID []byte
	flags           uint32
	attrs           map[string]string
}

func fieldsOf(t testing.TB, b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, x uint64)) {
	t.Helper()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			x, n := protowire.ConsumeVarint(b)
			if n < 0 {
				t.Fatal("bad varint")
			}
			f(num, typ, nil, x)
			b = b[n:]
		case protowire.Fixed64Type:
			x, n := protowire.ConsumeFixed64(b)
			if n < 0 {
				t.Fatal("bad fixed64")
			}
			f(num, typ, nil, x)
			b = b[n:]
		case protowire.Fixed32Type:
			x, n := protowire.ConsumeFixed32(b)
			if n < 0 {
				t.Fatal("bad fixed32")
			}
			f(num, typ, nil, uint64(x))
			b = b[n:]
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				t.Fatal("bad bytes")
			}
			f(num, typ, v, 0)
			b = b[n:]
		default:
			t.Fatalf("unexpected wire type %v", typ)
		}
	}
}

func decodeRecord(t testing.TB, b []byte) logRecord {
	t.Helper()
	r := logRecord{attrs: map[string]string{}}
	fieldsOf(t, b, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) {
		switch num {
		case fTime:
			r.time = x
		case fObserved:
			r.observed = x
		case fSeverity:
			r.severity = x
		case fSeverityText:
			r.severityText = string(v)
		case fBody:
			r.body = anyValue(t, v)
		case fAttributes:
			keyValue(t, v, "", r.attrs)
		case fTraceID:
			r.traceID = v
		case fSpanID:
			r.spanID = v
		case fFlags:
			r.flags = uint32(x)
		default:
			t.Fatalf("unexpected LogRecord field %d", num)
		}
	})
	return r
}

func keyValue(t testing.TB, b []byte, prefix string, out map[string]string) {
	t.Helper()
	var key string
	var val []byte
	fieldsOf(t, b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) {
		switch num {
		case fKey:
			key = string(v)
		case fValue:
			val = v
		}
	})
	kv := false
	fieldsOf(t, val, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) {
		if num == fKVList {
			kv = true
			fieldsOf(t, v, func(_ protowire.Number, _ protowire.Type, v []byte, _ uint64) {
				keyValue(t, v, prefix+key+".", out)
			})
		}
	})
	if !kv {
		out[prefix+key] = anyValue(t, val)
	}
}

// anyValue prints an AnyValue: strings as they are, ints as %d, doubles as
// %g, bools, bytes as b"...", arrays as [a b], and null as "<null>".
func anyValue(t testing.TB, b []byte) string {
	t.Helper()
	s := "<null>"
	fieldsOf(t, b, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) {
		switch num {
		case fString:
			s = string(v)
		case fBool:
			s = fmt.Sprint(x != 0)
		case fInt:
			s = fmt.Sprint(int64(x))
		case fDouble:
			s = fmt.Sprint(math.Float64frombits(x))
		case fBytes:
			s = fmt.Sprintf("b%q", v)
		case fArray:
			var els []string
			fieldsOf(t, v, func(_ protowire.Number, _ protowire.Type, v []byte, _ uint64) { els = append(els, anyValue(t, v)) })
			s = "[" + strings.Join(els, " ") + "]"
		default:
			t.Fatalf("unexpected AnyValue field %d", num)
		}
	})
	return s
}

func (r logRecord) attrList() string {
	var ks []string
	for k, v := range r.attrs {
		ks = append(ks, k+"="+v)
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}
