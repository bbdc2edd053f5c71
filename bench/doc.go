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
// Benchmarks that need no peer (multi against the standard library alone)
// stay beside the package they measure.
package bench
