package config

import (
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/jinpy-utils/multi/httpsink"
)

// httpSink is the document form of an "http" sink: the collector's URL,
// and httpsink.Options under their own names.
type httpSink struct {
	URL string
	logger
	httpsink.Options
}

func init() {
	builtin("http", buildHTTP)
}

func buildHTTP(raw json.RawMessage, st *steer) (slog.Handler, error) {
	var o httpSink
	if err := Decode(raw, &o); err != nil {
		return nil, err
	}
	st.apply(&o.Options.Level, &o.Options.ErrorHandler, &o.Options.ReplaceAttr)
	o.Options.Name = o.name(o.Options.Name)
	if o.URL == "" {
		return nil, errAt(path{}.key("url"), 0, errors.New("missing: the collector's URL"))
	}
	h, err := httpsink.New(o.URL, &o.Options)
	if err != nil {
		return nil, err
	}
	return h, nil
}
