// Package console is the sink a developer sees first: a [slog.Handler] that
// writes each record as one line to a terminal, or to any io.Writer, with
// the level coloured when the writer is a terminal.
//
//	logger := slog.New(console.New(os.Stderr, &console.Options{Level: multi.LevelTrace}))
//	logger.Info("listening", "addr", ":8080")
//	// 14:03:27.518 [INFO] listening {"addr":":8080"}
//
// # Defaults
//
// A nil *Options, and the zero value of each field, means: the Console
// format ("15:04:05.000 [LEVEL] name: message {attrs}", attributes as one
// compact JSON object), level INFO, colour decided automatically, no source,
// no logger name. Any of package format's formats can be chosen instead, for
// example JSON for a container whose stdout is collected by machines:
//
//	console.New(os.Stdout, &console.Options{Format: format.JSON})
//
// # Colour
//
// Only the Console format is coloured, and only its level, in the colours
// of the console backend of jinpy-utils, the Python logger this module
// descends from: TRACE dark grey (SGR 90), DEBUG cyan (36), INFO green
// (32), WARN yellow (33), ERROR red (31), CRITICAL magenta (35), each
// followed by a reset (SGR 0). Everything else on the line is plain text,
// so a line reads the same without colour.
//
// [ColorAlways] and [ColorNever] are the program's explicit choice and
// override the environment. [ColorAuto], the default, decides once, in
// [New], in this order:
//
//  1. FORCE_COLOR set to a non-empty value: colour. As force-color.org
//     says, the value is not interpreted: FORCE_COLOR=0 and
//     FORCE_COLOR=false force colour too. (Some Node.js tools read 0 as
//     "off"; here, unset FORCE_COLOR, or use ColorNever, to turn it off.)
//  2. NO_COLOR set to a non-empty value: no colour (no-color.org). When both
//     are set, FORCE_COLOR wins, as in force-color.org's reference code,
//     which checks NO_COLOR first and lets FORCE_COLOR override it.
//  3. TERM=dumb: no colour; such a terminal shows escape codes as text.
//  4. Otherwise colour exactly when the writer is a terminal: an *os.File
//     (or any syscall.Conn) whose descriptor golang.org/x/term says is a
//     terminal. Files, pipes and every other writer get no colour.
//
// [Handler.Color] reports the decision.
//
// # Guarantees
//
// Every record is encoded into a pooled buffer, outside any lock, and then
// given to the writer in exactly one Write call of one whole line, under a
// mutex shared by the handler New returns and every handler derived from
// it with WithAttrs or WithGroup. Lines from many goroutines never
// interleave, even for a writer that is not safe for concurrent use and
// for lines longer than the kernel writes atomically.
//
// Nothing a caller logs can move a terminal's cursor, change its title or
// forge a line: the format escapes newlines, carriage returns, ESC and every
// other control character in messages, keys and values (package format
// says exactly how), and replaces invalid UTF-8. One exception: the JSON
// format is byte for byte slog.JSONHandler's, which writes DEL and the C1
// controls U+0080 to U+009F as they are (as valid JSON allows); a terminal
// that obeys the 8-bit CSI U+009B could act on one. Write JSON to
// machines, and the Console format to people.
//
// # What blocks, and what is lost
//
// Writing is synchronous: Handle returns when the line is in the writer (in
// the kernel, for an *os.File), so nothing is queued and nothing is lost at
// exit. It also means that Handle blocks while the writer blocks: a
// terminal paused with Ctrl-S, or a pipe whose reader does not read, stops
// the logging goroutines. Flush and Shutdown wait for a write in progress
// only until their ctx ends.
//
// A record whose write fails is lost: it is counted in [multi.Stats]
// (Failed and Dropped), the error is kept as LastError and given to
// [Options].ErrorHandler, [Handler.Healthy] turns false until a write
// succeeds again, and Handle returns the error. The error is never written
// to the failing stream, and nothing panics. A short write counts as a
// failure (io.ErrShortWrite).
//
// One exception is the Go runtime's, not this package's: a write to a
// broken pipe on file descriptor 1 or 2 (os.Stdout, os.Stderr, as in
// "prog | head") kills the program with SIGPIPE unless it called
// signal.Notify or signal.Ignore for syscall.SIGPIPE; with either, the write
// fails with EPIPE and is handled as above. See os/signal.
//
// # Lifecycle
//
// [Handler.Flush] waits for a write in progress and flushes the writer if
// it buffers (a Flush() error method, as *bufio.Writer has; the lock makes
// such a writer safe to share). [Handler.Shutdown] flushes, and calls the
// writer's Sync method if it has one, ignoring the error that says a
// terminal or pipe cannot be synced. It never closes the writer.
//
// The console has nothing to release, so unlike the other sinks it keeps
// writing after Shutdown: Handle writes the record as before and returns
// nil, and a writer that buffers is flushed after each such record. A
// goroutine that logs while the program exits, after its deferred
// multi.Shutdown, still reaches the terminal instead of a drop counter.
package console
