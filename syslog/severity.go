package syslog

import (
	"log/slog"
	"strconv"

	"github.com/jinpy-utils/multi"
)

// Severity is a syslog severity (RFC 5424 section 6.2.1): 0 is the most
// severe.
type Severity int

// The severities.
const (
	Emergency Severity = 0
	Alert     Severity = 1
	Critical  Severity = 2
	Error     Severity = 3
	Warning   Severity = 4
	Notice    Severity = 5
	Info      Severity = 6
	Debug     Severity = 7
)

var severityNames = [...]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// String returns the severity's name as syslog.conf spells it ("err",
// "warning"), or "Severity(N)".
func (s Severity) String() string {
	if s >= 0 && int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// SeverityOf maps a slog level to a syslog severity:
//
//	level                         severity
//	below INFO (TRACE, DEBUG)     7 debug
//	INFO, INFO+1                  6 info
//	INFO+2, INFO+3                5 notice
//	WARN to ERROR-1               4 warning
//	ERROR to CRITICAL-1           3 err
//	CRITICAL to CRITICAL+3        2 crit
//	CRITICAL+4 to CRITICAL+7      1 alert
//	CRITICAL+8 and above          0 emerg
//
// Package journald uses the same mapping for PRIORITY.
func SeverityOf(l slog.Level) Severity {
	switch {
	case l < slog.LevelInfo:
		return Debug
	case l < slog.LevelInfo+2:
		return Info
	case l < slog.LevelWarn:
		return Notice
	case l < slog.LevelError:
		return Warning
	case l < multi.LevelCritical:
		return Error
	case l < multi.LevelCritical+4:
		return Critical
	case l < multi.LevelCritical+8:
		return Alert
	default:
		return Emergency
	}
}
