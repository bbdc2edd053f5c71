package config

import (
	"encoding/json"
	"log/slog"

	"github.com/jinpy-utils/multi/otlpsink"
)

// otlpSink is the document form of an "otlp" sink: otlpsink.Options under
// their own names. Its endpoint, headers, timeout and compression default
// to the OpenTelemetry environment variables, as otlpsink.New reads them;
// the "logger" key is the instrumentation scope.
type otlpSink struct {
	logger
	otlpsink.Options
}

func init() {
	builtin("otlp", buildOTLP)
}

func buildOTLP(raw json.RawMessage, st *steer) (slog.Handler, error) {
	var o otlpSink
	if err := Decode(raw, &o); err != nil {
		return nil, err
	}
	st.apply(&o.Options.Level, &o.Options.ErrorHandler, &o.Options.ReplaceAttr)
	o.Options.Name = o.name(o.Options.Name)
	return otlpsink.New(&o.Options)
}
