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
	httpsink.Options
}

func init() {
	Register("http", buildHTTP)
}

func buildHTTP(raw json.RawMessage) (slog.Handler, error) {
	var o httpSink
	if err := Decode(raw, &o); err != nil {
		return nil, err
	}
	if o.URL == "" {
		return nil, errAt(path{}.key("url"), 0, errors.New("missing: the collector's URL"))
	}
	h, err := httpsink.New(o.URL, &o.Options)
	if err != nil {
		return nil, err
	}
	return h, nil
}
