package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/jinpy-utils/multi/console"
)

// consoleSink is the document form of a "console" sink: the stream, and
// console.Options under their own names.
type consoleSink struct {
	// Output is "stdout" or "stderr"; empty means stderr.
	Output string
	logger
	console.Options
}

func init() {
	builtin("console", buildConsole)
}

func buildConsole(raw json.RawMessage, st *steer) (slog.Handler, error) {
	var o consoleSink
	if err := Decode(raw, &o); err != nil {
		return nil, err
	}
	st.apply(&o.Options.Level, &o.Options.ErrorHandler, &o.Options.ReplaceAttr)
	o.Options.Name = o.name(o.Options.Name)
	var w io.Writer
	switch o.Output {
	case "stdout":
		w = os.Stdout
	case "stderr", "":
		w = os.Stderr
	default:
		return nil, errAt(path{}.key("output"), 0, fmt.Errorf("%q is not stdout or stderr", o.Output))
	}
	return console.New(w, &o.Options), nil
}
