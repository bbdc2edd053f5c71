package syslog

import "runtime"

var runtimeCallers = runtime.Callers
