package jsonx

// SkipSpace returns the index of the first byte at or after b[i] that is
// not JSON white space (space, tab, newline, carriage return), or len(b).
func SkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// SkipString returns the index after the JSON string that starts at b[i],
// or -1 when b[i] is not '"' (or i is out of range) or the string does not
// end within b.
func SkipString(b []byte, i int) int {
	if i < 0 || i >= len(b) || b[i] != '"' {
		return -1
	}
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// SkipValue returns the index after the JSON value that starts at b[i], or
// -1 when there is none: i is out of range, a string, object or array does
// not end within b, or b[i] ends a value (',', '}', ']' or white space).
// Objects and arrays are matched by counting brackets outside strings; a
// number, true, false or null ends at the first ',', '}', ']', white space
// or the end of b. The value is not validated.
func SkipValue(b []byte, i int) int {
	if i < 0 || i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return SkipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				j := SkipString(b, i)
				if j < 0 {
					return -1
				}
				i = j - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	default:
		j := i
		for j < len(b) && !endsScalar(b[j]) {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
}

func endsScalar(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}
