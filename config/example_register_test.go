package config_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/config"
)

// Register a sink type in an init function; Decode reads its options with
// the rules and error messages of the built-in types.
func init() {
	config.Register("stdout-text", func(raw json.RawMessage) (slog.Handler, error) {
		var o struct {
			Level   slog.Leveler
			NoTime  bool
			Service string
		}
		if err := config.Decode(raw, &o); err != nil {
			return nil, err
		}
		return slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
			Level: o.Level,
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if o.NoTime && len(groups) == 0 && a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			},
		}).WithAttrs([]slog.Attr{slog.String("service", o.Service)}), nil
	})
}

func ExampleRegister() {
	os.Setenv("SERVICE", "billing")
	h, err := config.Load(strings.NewReader(`
sinks:
  - type: stdout-text
    level: debug
    no_time: true
    service: ${SERVICE}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer multi.Shutdown(context.Background(), h)
	slog.New(h).Debug("invoice sent", "id", 42)
	// Output: level=DEBUG msg="invoice sent" service=billing id=42
}
