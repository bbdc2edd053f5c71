//go:build !race

package syslog

// raceEnabled is true when the tests run under the race detector.
const raceEnabled = false
