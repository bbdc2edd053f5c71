package format

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"sync"
)

const hex = "0123456789abcdef"

// appendFloat appends f as encoding/json does (ES6 number formatting). f is
// finite.
func appendFloat(b []byte, f float64) []byte {
	if b, ok := appendShortFloat(b, f); ok {
		return b
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6}

// appendShortFloat appends the common floats, with a magnitude from 1e-6
// to 1e9 and at most six decimals, as strconv's shortest 'f' formatting
// does, and reports false for the rest. For |f| < 1e9 the spacing of
// float64s is below 2e-7, so at most one number with k <= 6 decimals rounds
// to f; if n/10^k (n = f*10^k rounded; both exact, and the division
// correctly rounded) gives back f, that number is n/10^k, and it is the
// shortest decimal that rounds to f.
func appendShortFloat(b []byte, f float64) ([]byte, bool) {
	abs := math.Abs(f)
	if !(abs >= 1e-6 && abs < 1e9) {
		return b, false
	}
	for k, p := range pow10 {
		x := math.Round(abs * p)
		if x/p != abs {
			continue
		}
		if f < 0 {
			b = append(b, '-')
		}
		n := uint64(x)
		if k == 0 {
			return strconv.AppendUint(b, n, 10), true
		}
		d := uint64(p)
		b = strconv.AppendUint(b, n/d, 10)
		frac := n % d
		var digits [6]byte
		for i := k - 1; i >= 0; i-- {
			digits[i] = byte('0' + frac%10)
			frac /= 10
		}
		end := k
		for digits[end-1] == '0' {
			end--
		}
		b = append(b, '.')
		return append(b, digits[:end]...), true
	}
	return b, false
}

type jsonEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var jsonEncoderPool = sync.Pool{New: func() any {
	j := new(jsonEncoder)
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	return j
}}

// appendJSONMarshal writes v as encoding/json does with SetEscapeHTML(false),
// as slog does for KindAny values. The human formats also escape DEL and
// the C1 controls it leaves raw.
func (e *encoder) appendJSONMarshal(v any) error {
	j := jsonEncoderPool.Get().(*jsonEncoder)
	defer func() {
		if j.buf.Cap() > maxPooledBuf {
			return
		}
		j.buf.Reset()
		jsonEncoderPool.Put(j)
	}()
	if err := j.enc.Encode(v); err != nil {
		return err
	}
	bs := j.buf.Bytes()
	bs = bs[:len(bs)-1] // the newline Encode adds
	if e.human {
		e.buf = appendStrictJSON(e.buf, bs)
	} else {
		e.buf = append(e.buf, bs...)
	}
	return nil
}

// appendStrictJSON appends valid JSON text js, escaping the DEL and C1
// control characters encoding/json leaves raw. They can only occur inside
// strings, where \u00XX means the same.
func appendStrictJSON(buf, js []byte) []byte {
	start := 0
	for i := 0; i < len(js); i++ {
		switch b := js[i]; {
		case b == 0x7f:
			buf = append(buf, js[start:i]...)
			buf = append(buf, `\u007f`...)
			start = i + 1
		case b == 0xc2 && i+1 < len(js) && js[i+1] >= 0x80 && js[i+1] <= 0x9f:
			c := js[i+1]
			buf = append(buf, js[start:i]...)
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			i++
			start = i + 1
		}
	}
	return append(buf, js[start:]...)
}
