package format

import (
	"fmt"
	"log/slog"
)

// Options configure a [Handler]. A nil *Options, and the zero value of every
// field, means the default.
type Options struct {
	// Format selects the encoding. The default (the zero Format) is JSON.
	Format Format

	// Level is the minimum level of records that are handled. It is read
	// for every record, so a *slog.LevelVar changes it at run time.
	// Nil means slog.LevelInfo.
	Level slog.Leveler

	// AddSource adds the source position of the log call: the "source"
	// key in JSON and Text (as slog writes it), "dir/file.go:LINE: " before
	// the message in the human formats.
	AddSource bool

	// ReplaceAttr rewrites each non-group attribute before it is written,
	// exactly as slog.HandlerOptions.ReplaceAttr does. The built-in
	// attributes "time", "level", "source", "msg" and, when Name is set,
	// "logger", and a span's "trace_id", "span_id" and "trace_flags", are
	// passed to it with no groups, in every format. In the
	// human formats a built-in keeps its place in the line whatever key
	// ReplaceAttr gives it, and is left out when ReplaceAttr returns the
	// zero Attr.
	ReplaceAttr func(groups []string, a slog.Attr) slog.Attr

	// TimeFormat is a time.Time layout for the record's time. The empty
	// string means the format's default: slog's in JSON (RFC 3339 with
	// nanoseconds) and Text (RFC 3339 with milliseconds),
	// "2006-01-02T15:04:05.000000-07:00" in Plain and Structured (Python's
	// isoformat with microseconds), "15:04:05.000" in Console. In JSON and
	// Text a custom layout writes the time as a string. It applies to the
	// record's time only, not to time attributes.
	TimeFormat string

	// Name is the logger name. The human formats write "name: " before the
	// message; JSON and Text add a "logger" attribute right after "msg".
	// Empty means no name, and then nothing is written for it.
	Name string

	// Color wraps the level of Console lines in an ANSI colour:
	// TRACE 90, DEBUG 36, INFO 32, WARN 33, ERROR 31, CRITICAL 35.
	// Other formats ignore it.
	Color bool
}

// Validate reports an error for options [New] cannot use: an unknown Format.
// Sinks call it so that their constructors return the error; New panics
// on such options.
func (o *Options) Validate() error {
	if o != nil && !o.Format.valid() {
		return fmt.Errorf("format: options: Format %d is not one of json, text, plain, structured, console", int(o.Format))
	}
	return nil
}
