package config

import (
	"encoding/json"
	"log/slog"
	"reflect"

	"github.com/jinpy-utils/multi/journald"
	"github.com/jinpy-utils/multi/syslog"
)

// syslogSink is the document form of a "syslog" sink: the receiver's
// address ("" for the local socket, udp://host:514, tcp://host:601,
// tls://host:6514, unix:///dev/log), and syslog.Options under their own
// names.
type syslogSink struct {
	Address string
	syslog.Options
}

// journaldSink is the document form of a "journald" sink: journald.Options
// under their own names.
type journaldSink struct {
	journald.Options
}

func init() {
	markSizes(reflect.TypeFor[syslog.Options](), "MaxMessageSize")
	builtin("syslog", buildSyslog)
	builtin("journald", buildJournald)
}

func buildSyslog(raw json.RawMessage, st *steer) (slog.Handler, error) {
	var o syslogSink
	if err := Decode(raw, &o); err != nil {
		return nil, err
	}
	st.apply(&o.Options.Level, &o.Options.ErrorHandler, &o.Options.ReplaceAttr)
	h, err := syslog.New(o.Address, &o.Options)
	if err != nil {
		return nil, err // not a typed nil
	}
	return h, nil
}

func buildJournald(raw json.RawMessage, st *steer) (slog.Handler, error) {
	var o journaldSink
	if err := Decode(raw, &o); err != nil {
		return nil, err
	}
	st.apply(&o.Options.Level, &o.Options.ErrorHandler, &o.Options.ReplaceAttr)
	h, err := journald.New(&o.Options)
	if err != nil {
		return nil, err
	}
	return h, nil
}
