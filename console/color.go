package console

import (
	"fmt"
	"io"
	"strings"
	"syscall"

	"golang.org/x/term"
)

// ColorMode says when the Console format colours the level. The zero value
// is ColorAuto.
type ColorMode int

const (
	// ColorAuto colours when the writer is a terminal and the environment
	// does not say otherwise; see "Colour" in the package documentation.
	ColorAuto ColorMode = iota
	// ColorAlways colours whatever the writer is and whatever the
	// environment says.
	ColorAlways
	// ColorNever never colours.
	ColorNever
)

var colorModeNames = [...]string{ColorAuto: "auto", ColorAlways: "always", ColorNever: "never"}

// String returns "auto", "always" or "never", and "ColorMode(n)" for other
// values.
func (m ColorMode) String() string {
	if m >= 0 && int(m) < len(colorModeNames) {
		return colorModeNames[m]
	}
	return fmt.Sprintf("ColorMode(%d)", int(m))
}

// ParseColorMode reads "auto", "always" or "never" in any case, with
// surrounding spaces ignored. Anything else is an error that quotes s.
func ParseColorMode(s string) (ColorMode, error) {
	t := strings.TrimSpace(s)
	for m, name := range colorModeNames {
		if strings.EqualFold(t, name) {
			return ColorMode(m), nil
		}
	}
	return 0, fmt.Errorf("console: colour mode %q is not one of auto, always, never", s)
}

// MarshalText implements encoding.TextMarshaler with the names of
// [ColorMode.String]. A value that is not one of the three constants is an
// error.
func (m ColorMode) MarshalText() ([]byte, error) {
	if m < 0 || int(m) >= len(colorModeNames) {
		return nil, fmt.Errorf("console: marshal colour mode: %d is not auto, always or never", int(m))
	}
	return []byte(colorModeNames[m]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with [ParseColorMode],
// so configuration files can say "auto", "always" or "never".
func (m *ColorMode) UnmarshalText(b []byte) error {
	v, err := ParseColorMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// useColor decides whether to colour, given the mode, whether the writer is
// a terminal (asked only when it matters) and the environment.
//
// Precedence, highest first:
//  1. ColorAlways and ColorNever: the program's explicit choice.
//  2. FORCE_COLOR set to any non-empty value: colour (force-color.org;
//     the value is not interpreted, so FORCE_COLOR=0 also forces colour).
//  3. NO_COLOR set to any non-empty value: no colour (no-color.org).
//  4. TERM=dumb: no colour; the terminal cannot show it.
//  5. Otherwise colour exactly when the writer is a terminal.
//
// Values of m other than the three constants behave as ColorAuto.
func useColor(m ColorMode, isTerminal func() bool, getenv func(string) string) bool {
	switch m {
	case ColorAlways:
		return true
	case ColorNever:
		return false
	}
	if getenv("FORCE_COLOR") != "" {
		return true
	}
	if getenv("NO_COLOR") != "" {
		return false
	}
	if getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal()
}

// isTerminal reports whether w is a terminal. It asks the descriptor behind
// w through syscall.Conn (which *os.File implements) rather than calling
// (*os.File).Fd, because Fd switches a non-blocking descriptor to blocking
// mode for good.
func isTerminal(w io.Writer) bool {
	sc, ok := w.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	tty := false
	if err := rc.Control(func(fd uintptr) { tty = term.IsTerminal(int(fd)) }); err != nil {
		return false
	}
	return tty
}
