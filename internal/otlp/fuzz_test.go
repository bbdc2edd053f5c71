package otlp

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseList checks that the list parser never panics and that what it
// accepts, once re-encoded, parses back to the same pairs.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{"", "a=b", "k=v%2C1, x = y ,,", "=v", "a=%zz", "a", "service.name=x%3Dy"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kvs, err := ParseList(s)
		if err != nil {
			return
		}
		var b strings.Builder
		for i, kv := range kvs {
			if kv.Key == "" {
				t.Fatalf("accepted an empty key from %q", s)
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(escape(kv.Key) + "=" + escape(kv.Value))
		}
		again, err := ParseList(b.String())
		if err != nil || len(again) != len(kvs) {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, kvs, b.String(), again, err)
		}
		for i := range kvs {
			if again[i] != kvs[i] {
				t.Fatalf("%q: pair %d %v became %v", s, i, kvs[i], again[i])
			}
		}
	})
}

func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(",=%", c) >= 0 {
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// FuzzAppendRequest checks that every framed request is well-formed protobuf
// whose records come back byte for byte.
func FuzzAppendRequest(f *testing.F) {
	f.Add("service.name", "svc", "scope", []byte("rec"), []byte{})
	f.Add("", "", "", []byte{}, bytes.Repeat([]byte{0xff}, 300))
	f.Fuzz(func(t *testing.T, k, v, scope string, r1, r2 []byte) {
		req := AppendRequest(nil, []KeyValue{{k, v}}, scope, [][]byte{r1, r2})
		_, vals := fields(t, req)
		_, rl := fields(t, vals[0])
		_, sl := fields(t, rl[1])
		if scope != "" {
			sl = sl[1:]
		}
		if len(sl) != 2 || !bytes.Equal(sl[0], r1) || !bytes.Equal(sl[1], r2) {
			t.Fatalf("records %x %x came back as %x", r1, r2, sl)
		}
	})
}
