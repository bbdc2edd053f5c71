package jsonx

import (
	"encoding/binary"
	"unicode/utf8"
	"unsafe"
)

// AppendString appends s to dst as a JSON string, quotes included, escaped
// as AppendEscaped does without strict.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = AppendEscaped(dst, s, false)
	return append(dst, '"')
}

// AppendBytes is AppendString for a byte slice. It does not keep b.
func AppendBytes(dst, b []byte) []byte {
	return AppendString(dst, unsafe.String(unsafe.SliceData(b), len(b)))
}

// AppendEscaped appends s escaped for the inside of a JSON string, without
// the quotes, exactly as log/slog's JSONHandler escapes: \" \\ \n \r \t,
// the other bytes below 0x20 as \u00XX, U+2028 and U+2029 as \u2028 and
// \u2029, and each byte of invalid UTF-8 as \ufffd. '<', '>' and '&' are
// written as they are (encoding/json with SetEscapeHTML(false)).
//
// With strict, DEL and the C1 controls U+0080 to U+009F are escaped as
// \u00XX too, so that no control character is ever written raw.
func AppendEscaped(dst []byte, s string, strict bool) []byte {
	safe := &jsonSafe
	if strict {
		safe = &strictSafe
	}
	i := 0
	// Eight bytes at a time while none needs a look: no byte below 0x20,
	// '"', '\\', DEL or at or above 0x80.
	if len(s) >= 8 {
		b := unsafe.Slice(unsafe.StringData(s), len(s))
		for ; i+8 <= len(b); i += 8 {
			x := binary.LittleEndian.Uint64(b[i:])
			q := x ^ (lsb * '"')
			bs := x ^ (lsb * '\\')
			del := x ^ (lsb * 0x7f)
			if ((x-lsb*0x20)&^x|(q-lsb)&^q|(bs-lsb)&^bs|(del-lsb)&^del|x)&msb != 0 {
				break
			}
		}
	}
	for i < len(s) && safe[s[i]] {
		i++
	}
	if i == len(s) {
		return append(dst, s...)
	}
	return appendEscapedSlow(dst, s, i, safe, strict)
}

// IsSafe reports whether the byte b, below utf8.RuneSelf, is written as it
// is inside a JSON string: it is not a control below 0x20, '"' or '\\'.
// Bytes at or above utf8.RuneSelf report false.
func IsSafe(b byte) bool { return jsonSafe[b] }

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

func appendEscapedSlow(buf []byte, s string, i int, safe *[256]bool, strict bool) []byte {
	buf = append(buf, s[:i]...)
	start := i
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if safe[b] {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '\\', '"':
				buf = append(buf, '\\', b)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hex[c&0xF])
		case strict && c <= 0x9f:
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(buf, s[start:]...)
}

const hex = "0123456789abcdef"

// jsonSafe[b] is true for the bytes a JSON string holds as they are, in
// slog's escaping: ASCII but the controls below 0x20, '"' and '\\'. Bytes
// at or above 0x80 are false, to be decoded as UTF-8. strictSafe is
// jsonSafe without DEL.
var jsonSafe, strictSafe = func() (t, s [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
		s[b] = t[b] && b != 0x7f
	}
	return t, s
}()
