package config

import (
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"

	"github.com/jinpy-utils/multi/wssink"
)

// wsSink is the document form of a "websocket" sink: the server's ws:// or
// wss:// URL, and wssink.Options under their own names.
type wsSink struct {
	URL string
	logger
	wssink.Options
}

func init() {
	markSizes(reflect.TypeFor[wssink.Options](), "MaxMessageSize")
	registerParser("a string", wssink.ParseMode)
	builtin("websocket", buildWebSocket)
}

func buildWebSocket(raw json.RawMessage, st *steer) (slog.Handler, error) {
	var o wsSink
	if err := Decode(raw, &o); err != nil {
		return nil, err
	}
	st.apply(&o.Options.Level, &o.Options.ErrorHandler, &o.Options.ReplaceAttr)
	o.Options.Name = o.name(o.Options.Name)
	if o.URL == "" {
		return nil, errAt(path{}.key("url"), 0, errors.New("missing: the server's ws:// or wss:// URL"))
	}
	h, err := wssink.New(o.URL, &o.Options)
	if err != nil {
		return nil, err
	}
	return h, nil
}
