// Package bench holds the comparison benchmarks of multi against its peers
// (github.com/lmittmann/tint for the console, gopkg.in/natefinch/lumberjack.v2
// for the rotating file, and any later one: zap, zerolog, the OpenTelemetry
// SDK). It is a module of its own so that no peer ever enters the go.mod of
// github.com/jinpy-utils/multi, and so of a program that uses it; a
// replace directive points it at the checkout it sits in.
//
// The figures in the README come from here:
//
//	cd bench && go test -run '^$' -bench . -count 6 . | tee bench.txt
//	benchstat -col /impl bench.txt
//
// BenchmarkLogger is speed as a program sees it: every record goes through
// slog.Logger.LogAttrs (zap and zerolog through their own API), and each
// of ours is timed against its peer in alternating rounds of 1000 records,
// so that both see the same neighbours on a shared machine; the metric "x"
// is the median of ours' time over the peer's (see its doc comment for
// the pairs and cases). The README's first speed table comes from
//
//	go test -run '^$' -bench Logger -benchtime 300000x -count 6 . | tee logger.txt
//	benchstat -filter '.unit:x' logger.txt
//
// Benchmarks that need no peer (multi against the standard library alone)
// stay beside the package they measure.
package bench
