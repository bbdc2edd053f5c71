//go:build race

package otlpsink

const raceEnabled = true
