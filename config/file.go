package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"reflect"
	"strconv"
	"strings"

	"github.com/jinpy-utils/multi/file"
)

// fileSink is the document form of a "file" sink: the path, and
// file.Options under their own names.
type fileSink struct {
	Path string
	logger
	file.Options
}

func init() {
	markSizes(reflect.TypeFor[file.Options](), "MaxSize", "MaxTotalSize", "BufferSize")
	registerParser(`a string like "0640"`, parseMode)
	builtin("file", buildFile)
}

func buildFile(raw json.RawMessage, st *steer) (slog.Handler, error) {
	var o fileSink
	if err := Decode(raw, &o); err != nil {
		return nil, err
	}
	st.apply(&o.Options.Level, &o.Options.ErrorHandler, &o.Options.ReplaceAttr)
	o.Options.Name = o.name(o.Options.Name)
	if o.Path == "" {
		return nil, errAt(path{}.key("path"), 0, errors.New("missing: the file to write"))
	}
	h, err := file.New(o.Path, &o.Options)
	if err != nil {
		return nil, err
	}
	return h, nil
}

// parseMode reads a file mode as octal permission bits: "0640", "640" or
// "0o640". A number is not accepted, as 640 in JSON would be decimal.
func parseMode(s string) (fs.FileMode, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0o"), "0O")
	m, err := strconv.ParseUint(t, 8, 32)
	if err != nil || m > 0o777 {
		return 0, fmt.Errorf("%q is not a file mode (octal, like \"0640\")", s)
	}
	return fs.FileMode(m), nil
}
