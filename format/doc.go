// Package format encodes slog records as lines, and is the one slog.Handler
// core every sink in this module is built on: a sink wraps a [Handler] and
// decides only where its bytes go.
//
// # Guarantees
//
// [New] returns a [Handler] that encodes each record once, into a pooled
// buffer, as exactly one line ending in '\n', and gives it to its writer in
// one Write call. The slice passed to Write is only valid during the call.
// Handle returns the writer's error. The Handler holds no lock: the writer
// must be safe for concurrent use. Nothing is retained from a record after
// Handle returns, so callers never need Record.Clone. Buffers that grew
// past 16 KiB are not pooled, so one huge record does not pin memory.
//
// WithAttrs resolves its attributes, passes them to ReplaceAttr and encodes
// them once, when it is called. Handlers derived with WithAttrs and
// WithGroup share the writer and options; each has its own copy of the
// encoded attributes and open groups, so siblings never see each other's.
//
// Bad input never crashes Handle nor loses the record: a LogValuer or an
// Error, String or MarshalJSON method that panics, NaN and infinities,
// values encoding/json rejects, cyclic values and groups nested deeper than
// 1000 levels all produce a line that says what went wrong (slog's
// "!ERROR:..." and "!PANIC: ..." strings).
//
// # Formats and defaults
//
// The default is [JSON] at level INFO (slog.LevelInfo; a *slog.LevelVar in
// Options.Level changes the level at run time).
//
//   - [JSON] is, byte for byte, what slog.NewJSONHandler writes for the same
//     record and options: keys time, level, source (with AddSource), msg, then
//     the attributes, groups as nested objects, the time in RFC 3339 with
//     nanoseconds.
//   - [Text] is, byte for byte, slog.NewTextHandler's key=value output, the
//     time in RFC 3339 with milliseconds, groups as dotted key prefixes.
//   - [Plain] is the jinpy-utils Python logger's plain format:
//     "2006-01-02T15:04:05.000000-07:00 [LEVEL] name: message". It writes no
//     attributes.
//   - [Structured] is Plain followed by a space and the attributes as one
//     compact JSON object, groups nested ("{}" when there are none).
//   - [Console] is "15:04:05.000 [LEVEL] name: message {attributes}", the
//     object left out when empty, the level in ANSI colour with
//     Options.Color: TRACE 90, DEBUG 36, INFO 32, WARN 33, ERROR 31,
//     CRITICAL 35 ("\x1b[32m[INFO]\x1b[0m").
//
// In the human formats (Plain, Structured, Console) "name: " is left out
// when Options.Name is empty; with AddSource the last directory, file name
// and line of the call come before the message, as the log package's
// Lshortfile does ("server/main.go:42: listening"); durations in the
// attribute object are strings ("1.5s") where JSON writes nanoseconds.
// Options.TimeFormat replaces the time layout of every format. ReplaceAttr
// applies to every format, built-in attributes included.
//
// # Trace correlation
//
// When a record's context carries a span, as [multi.SpanFromContext] finds
// it (the nested module github.com/jinpy-utils/multi/otel installs the
// OpenTelemetry lookup; without one nothing is looked up), every format
// writes the span's ids right after the message ("msg", then "logger" when
// Name is set) and before the attributes, WithAttrs' included. A record
// without a span carries none of them. The keys are [TraceIDKey],
// [SpanIDKey] and [TraceFlagsKey], the names OpenTelemetry's "Trace
// Context in non-OTLP Log Formats" gives the log data model's TraceId,
// SpanId and TraceFlags outside OTLP:
//
//   - JSON: "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736",
//     "span_id":"00f067aa0ba902b7","trace_flags":"01", top-level strings.
//   - Text: trace_id=4bf92f3577b34da6a3ce929d0e0e4736
//     span_id=00f067aa0ba902b7 trace_flags=01.
//   - Plain and Structured: " trace_id=… span_id=… trace_flags=01" after
//     the message, the ids in full as in Text (these lines go to files,
//     where they are searched for the ids a tracing back end shows).
//   - Console: " trace=4bf92f35… span=00f067aa…" after the message: the
//     first 8 hex digits of each id and "…" (U+2026), enough to tell the
//     requests on a screen apart; no flags.
//
// Ids are lowercase hex (32 and 16 digits), the flags two hex digits (W3C
// trace-flags, "01" for sampled). Like the built-in time, level and msg,
// they are passed to ReplaceAttr as string attributes with no groups, in
// every format (Console passes trace_id and span_id only), and what it
// returns is written in their place; in the human formats the label stays
// and the zero Attr removes the field. Finding and writing the span
// allocates nothing; with ReplaceAttr set, a record with a span allocates
// one 50-byte string for the three values, which ReplaceAttr may keep.
//
// # Where JSON and Text differ from slog
//
// Three additions, by design:
//
//   - Levels are named by multi.AppendLevel: -8 is TRACE and 12 is CRITICAL,
//     where slog writes DEBUG-4 and ERROR+4; every other level is named as
//     slog names it (INFO, WARN+2, ...). This holds for the record's level
//     and for any slog.Level value in an attribute.
//   - When Options.Name is set, a "logger" attribute follows "msg".
//   - A record whose context carries a span has trace_id, span_id and
//     trace_flags after those (see Trace correlation above).
//
// And three places where Go 1.26's slog writes a line that is wrong, and we
// write the one it means:
//
//   - A group with a key whose attributes are all removed (by ReplaceAttr,
//     or because all are zero Attrs) is left out. slog leaves it half open,
//     so that the next attribute loses its comma in JSON ("x":0"b":2) or
//     gains the group's prefix in Text (g.b=2), and ReplaceAttr sees the
//     group for it.
//   - A time whose year is outside [0, 9999] is written in JSON as a string
//     of time.RFC3339Nano, where slog writes an error string followed by the
//     time string, which is not JSON.
//   - A map or slice that contains itself is written in Text as an
//     "!ERROR:... contains itself" string; slog.TextHandler would overflow
//     the stack and crash the program.
//
// The stack trace in the error of a panicking LogValuer (slog's "LogValue
// panicked\ncalled from ...") names our functions rather than slog's.
//
// # Escaping
//
// No format writes a raw line break or terminal escape, so a value can
// neither forge a log line nor drive the terminal:
//
//   - JSON escapes as slog does: \n \r \t \" \\, other bytes below 0x20 as
//     \u00XX (ESC is \u001b), U+2028 and U+2029 as \u2028 and \u2029, and
//     each byte of invalid UTF-8 as \ufffd. Like slog, it leaves DEL and the
//     C1 controls U+0080 to U+009F as they are, which JSON allows.
//   - Text quotes, with strconv.Quote, every key or value that is empty or
//     holds a space, '=', '"', a control or non-printing character (C1,
//     U+2028 and U+2029 included) or invalid UTF-8, as slog does; a bare DEL
//     alone is left as it is, as slog leaves it.
//   - The human formats write the message, the logger name and other header
//     text as it is, except tab, newline and carriage return as \t \n \r,
//     other C0 controls and DEL as \xXX (ESC is \x1b), the C1 controls and
//     U+2028, U+2029 as \uXXXX, and invalid UTF-8 as U+FFFD. Backslashes
//     are not doubled. Their attribute object escapes as JSON does, and
//     escapes DEL and the C1 controls as \u00XX as well.
//
// # Redaction
//
// A [Redactor] (see [NewRedactor]) hides secrets when its ReplaceAttr is a
// handler's Options.ReplaceAttr: the values of redacted keys (matched
// without regard to case, at any depth of groups or as a dotted path,
// globs allowed; [DefaultRedactKeys] by default) are replaced wholesale,
// whatever their kind, and the bearer tokens, JWTs, cloud access keys and
// PEM blocks its detectors find in other string values and in the
// message are replaced where they stand. The replacement is a mask
// ("[REDACTED]") or, with an HMAC key, a keyed hash that lets equal
// secrets be correlated. Attributes bound with With and the results of
// LogValuers pass through ReplaceAttr like any other, so they are covered.
package format
