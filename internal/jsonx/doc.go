// Package jsonx holds the small JSON helpers shared by the handlers: a
// string escaper that writes exactly what log/slog's JSONHandler writes, and
// scanners that find where a JSON value ends without decoding it.
//
// The escaper is on the hot path of package format: it does not allocate
// and looks at eight bytes at a time while they need no escaping.
//
// The scanners expect well-formed JSON (produced by an encoder, or checked
// with json.Valid); on malformed input they return -1 or an index within
// the input, never panic, and never read past it.
package jsonx
