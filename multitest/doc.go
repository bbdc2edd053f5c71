// Package multitest holds slog handlers for tests of programs that log
// through package multi:
//
//   - [Recorder] keeps every record it is given, with the attributes bound
//     by WithAttrs and WithGroup resolved into it, and answers queries on
//     them (by level, message or attribute).
//   - [NewTB] writes each record to a test's output, and is safe when a
//     goroutine logs after its test has ended.
//   - [Drill] is a Recorder that fails on command: it returns an error,
//     blocks, or reports itself unhealthy, for tests of what a tree does
//     when one destination goes wrong.
//
// Each keeps the lifecycle contract of package multi ([multi.Sink],
// [multi.Sharer], [multi.RecordBorrower]): Flush and Shutdown are counted,
// Stats counts what was kept and what was refused, and after Shutdown
// Handle returns an error wrapping [multi.ErrClosed] and counts the record
// as dropped. Handlers derived with WithAttrs and WithGroup share their
// parent's store and its counts, as a sink's derived handlers share its
// destination.
//
// All are safe for concurrent use.
package multitest
