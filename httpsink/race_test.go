//go:build race

package httpsink

// raceEnabled is true when the tests run under the race detector.
const raceEnabled = true
