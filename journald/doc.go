// Package journald is a slog.Handler that writes records to the systemd
// journal over its native protocol, so that each attribute is a field of
// its own that journalctl can select on (journalctl USER_ID=42), not text
// inside the message.
//
//	h, err := journald.New(&journald.Options{Identifier: "myapp"})
//	if err != nil { ... } // no journal here: use package syslog or a file
//	logger := slog.New(h)
//	defer h.Shutdown(context.Background())
//
// # Fields
//
// Each record is one entry of these fields:
//
//   - MESSAGE, the record's message;
//   - PRIORITY, the syslog severity of its level, as [syslog.SeverityOf]
//     maps it (DEBUG 7, INFO 6, INFO+2 5, WARN 4, ERROR 3, CRITICAL 2,
//     CRITICAL+4 1, CRITICAL+8 0);
//   - SYSLOG_IDENTIFIER, Options.Identifier (default the base name of
//     os.Args[0]);
//   - when the record's context carries a span ([multi.SpanFromContext];
//     the nested module github.com/jinpy-utils/multi/otel installs
//     OpenTelemetry's), TRACE_ID and SPAN_ID (W3C lowercase hex, 32 and 16
//     digits) and TRACE_FLAGS (two hex digits, "01" for sampled), the
//     OpenTelemetry names upper-cased as journal fields are; they are not
//     passed to ReplaceAttr;
//   - with AddSource, CODE_FILE, CODE_LINE and CODE_FUNC;
//   - one field per attribute. Its name is the attribute's key, with its
//     groups before it joined by '_' (group "http", key "method":
//     HTTP_METHOD), letters upper-cased and every other byte that is not
//     A-Z, 0-9 or '_' replaced by '_'. A name that would not start with a
//     letter (journald silently drops those, and keeps names starting
//     with '_' for its own trusted fields) or that is one of the fields
//     above gets "X_" in front ("_id" is X__ID, "message" is X_MESSAGE), so
//     an attribute can never forge the priority or the message. Names are
//     cut at 64 bytes.
//
// Values are written as slog.TextHandler would, unquoted: strings as they
// are, numbers, booleans, durations ("1.5s"), times (RFC 3339), errors'
// Error(). The protocol is binary-safe: a value with a newline is sent in
// its length-prefixed form, and bytes that are not UTF-8 are kept (journalctl
// -o json shows such a value as an array of bytes). The record's time is
// not sent: journald stamps each entry as it arrives, which for this
// synchronous handler is within microseconds of the call.
//
// # Delivery
//
// Handle encodes the entry and sends it on the caller's goroutine, as
// sd_journal_send does: one datagram on the journal's Unix socket
// (Options.Socket, default /run/systemd/journal/socket), or for an entry
// over 128 KiB, a memfd holding the entry, sealed and passed over the
// socket (journald takes entries far larger than a datagram so). A local
// datagram costs a few microseconds; nothing is queued, so Flush has
// nothing to do and a record Handle returned for is in journald's hands.
// When journald falls behind and the socket's buffer is full, Handle waits
// up to SendTimeout (default 100ms) and then drops the record, counts it
// and reports it; it never blocks longer. A journald that restarted is
// reconnected to at the next record. After drops, the next entry that goes
// out is preceded by one that says so (MESSAGE "multi: entries dropped
// before this one", PRIORITY 4, MULTI_DROPPED, MULTI_REASON), so that the
// gap shows where the journal is read; it is not counted in Written.
//
// New fails when the socket is not there, so that a program on a machine
// without systemd learns it at start; fall back to package syslog or to a
// file there.
//
// # Health, stats and errors
//
// Written and Bytes count the entries sent, Dropped and Failed those that
// could not be. Healthy is false from a failed send until one succeeds.
// Errors go to the ErrorHandler, under the one contract of every sink in
// this module (package internal/report): the first failure at once, the
// drops after it folded into one call a second; without an ErrorHandler,
// a line on standard error every 5 seconds at most. Shutdown closes the
// socket; Handle after it returns an error wrapping multi.ErrClosed.
//
// The journal is Linux's: elsewhere New returns an error.
package journald
