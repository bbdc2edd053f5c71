package format

import (
	"fmt"
	"strconv"
	"strings"
)

// A Format selects how a [Handler] encodes a record.
type Format int

// The formats.
const (
	// Default, the zero Format, is the default of whatever takes the
	// options: JSON for [New] and for the file and network sinks, Console
	// for package console. It lets a sink's options leave the format unset
	// and still choose any format by name, JSON included.
	Default Format = iota
	// JSON is slog.JSONHandler's output: one JSON object per line.
	JSON
	// Text is slog.TextHandler's output: key=value pairs.
	Text
	// Plain is "TIME [LEVEL] name: message"; attributes are not written.
	Plain
	// Structured is Plain followed by the attributes as one compact JSON
	// object ("{}" when there are none).
	Structured
	// Console is "15:04:05.000 [LEVEL] name: message {attrs}", the level
	// optionally coloured, the attributes object left out when empty.
	Console
)

var formatNames = [...]string{"default", "json", "text", "plain", "structured", "console"}

// String returns the format's name: "default", "json", "text", "plain",
// "structured" or "console".
func (f Format) String() string {
	if f.valid() {
		return formatNames[f]
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

func (f Format) valid() bool { return f >= 0 && int(f) < len(formatNames) }

// ParseFormat returns the format named s ("json", "text", "plain",
// "structured", "console" or "default"), in any case, ignoring surrounding
// spaces.
func ParseFormat(s string) (Format, error) {
	t := strings.TrimSpace(s)
	for i, n := range formatNames {
		if strings.EqualFold(t, n) {
			return Format(i), nil
		}
	}
	return 0, fmt.Errorf("format: parse %q: not one of json, text, plain, structured, console", s)
}

// MarshalText implements [encoding.TextMarshaler] by returning f.String().
func (f Format) MarshalText() ([]byte, error) {
	if !f.valid() {
		return nil, fmt.Errorf("format: marshal: unknown %v", f)
	}
	return []byte(f.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler] with [ParseFormat], so
// a Format can be read from JSON, YAML or flags.
func (f *Format) UnmarshalText(b []byte) error {
	g, err := ParseFormat(string(b))
	if err != nil {
		return err
	}
	*f = g
	return nil
}
