//go:build !race

package journald

// raceEnabled is true when the tests run under the race detector.
const raceEnabled = false
