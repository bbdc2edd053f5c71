// Package format encodes slog records as lines and is the one slog.Handler
// core every sink in this module is built on: a sink wraps a [Handler] and
// decides only where its bytes go.
//
// [New] returns a [Handler] that writes each record, encoded once into a
// pooled buffer, as exactly one line ending in '\n', in one Write call.
package format
