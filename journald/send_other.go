//go:build !linux

package journald

import (
	"errors"
	"time"
)

// errUnsupported is returned by New where there is no journal.
var errUnsupported = errors.New("journald: the systemd journal is only on Linux")

type socket struct{}

func dial(string, time.Duration) (*socket, error) { return nil, errUnsupported }

func (*socket) send([]byte) error { return errUnsupported }

func (*socket) close() error { return nil }
