package format

import (
	"unicode"
	"unicode/utf8"

	"github.com/jinpy-utils/multi/internal/jsonx"
)

// needsQuoting reports whether slog.TextHandler quotes s: when it is empty
// or holds a space, '=', '"', a control or other non-printing character, or
// invalid UTF-8.
func needsQuoting(s string) bool {
	if len(s) == 0 {
		return true
	}
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			// Quote anything except a backslash that would need quoting in a
			// JSON string, as well as space and '='.
			if b != '\\' && (b == ' ' || b == '=' || !jsonx.IsSafe(b)) {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}
