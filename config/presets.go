package config

import "encoding/json"

// Production returns the configuration of a service in production, the
// jinpy-utils Python logger's create_production_config: one console sink writing
// JSON lines (as slog.JSONHandler writes them) to stdout, at INFO, with the
// source position of each log call. As a document:
//
//	sinks:
//	  - type: console
//	    output: stdout
//	    format: json
//	    level: ${LOG_LEVEL:-info}
//	    add_source: true
//
// The LOG_LEVEL environment variable, when set and not empty, replaces
// INFO; it is read by Build, which returns an error if it is not a level.
// The Config may be changed before Build, to add sinks for example.
func Production() *Config {
	return &Config{Sinks: []Sink{{
		Type:    "console",
		Options: json.RawMessage(`{"output":"stdout","format":"json","level":"${LOG_LEVEL:-info}","add_source":true}`),
	}}}
}

// Development returns the configuration of a program on a developer's
// machine, the jinpy-utils Python logger's create_development_config: one console
// sink writing human lines ("15:04:05.000 [DEBUG] message {attrs}") to
// stderr at DEBUG, the level coloured when stderr is a terminal and the
// environment does not forbid it (NO_COLOR; see package console). As a
// document:
//
//	sinks:
//	  - type: console
//	    output: stderr
//	    format: console
//	    level: ${LOG_LEVEL:-debug}
//
// The LOG_LEVEL environment variable, when set and not empty, replaces
// DEBUG; it is read by Build, which returns an error if it is not a level.
func Development() *Config {
	return &Config{Sinks: []Sink{{
		Type:    "console",
		Options: json.RawMessage(`{"output":"stderr","format":"console","level":"${LOG_LEVEL:-debug}"}`),
	}}}
}
