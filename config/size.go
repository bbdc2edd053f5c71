package config

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

var sizeUnits = map[string]uint64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseSize reads a byte count: a plain integer ("1048576"), or a number
// with a unit, in any case, with or without a space: B; KB, MB, GB, TB
// (powers of 1000); KiB, MiB, GiB, TiB (powers of 1024). A fraction is
// allowed with any unit, B included ("1.5GiB", "1.9B" is 1), and rounds
// down to whole bytes; a bare number must be whole. "100M" and
// other units without a B are rejected: they are ambiguous.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mul, ok := sizeUnits[unit]
	whole, frac, hasFrac := strings.Cut(num, ".")
	if !ok || whole == "" || strings.Contains(frac, ".") || hasFrac && (frac == "" || unit == "") {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	w, err := strconv.ParseUint(whole, 10, 64)
	if err != nil || w > math.MaxInt64/mul {
		return 0, fmt.Errorf("%q is too large a size", s)
	}
	n := w * mul
	if hasFrac {
		if len(frac) > 12 {
			frac = frac[:12]
		}
		f, _ := strconv.ParseUint(frac, 10, 64) // at most 12 digits
		scale := uint64(math.Pow10(len(frac)))
		hi, lo := bits.Mul64(f, mul)
		add, _ := bits.Div64(hi, lo, scale) // f < scale, so hi < scale
		if n > math.MaxInt64-add {
			return 0, fmt.Errorf("%q is too large a size", s)
		}
		n += add
	}
	return int64(n), nil
}
