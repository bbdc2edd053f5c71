package console_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/console"
	"github.com/jinpy-utils/multi/format"
)

// A coloured logger for development, and JSON lines for production.
func Example() {
	// Every record gets the same time, so that the output below is stable.
	fixedTime := func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			a.Value = slog.TimeValue(time.Date(2024, 5, 6, 14, 3, 27, 518e6, time.UTC))
		}
		return a
	}

	// Development: the Console format at TRACE, so every colour shows. On
	// a terminal the default, ColorAuto, colours by itself; this example
	// writes to a buffer, so it asks for colour, and prints the escape
	// codes as text.
	var terminal bytes.Buffer
	dev := slog.New(console.New(&terminal, &console.Options{
		Level:       multi.LevelTrace,
		Name:        "api",
		Color:       console.ColorAlways,
		ReplaceAttr: fixedTime,
	}))
	dev.Log(context.Background(), multi.LevelTrace, "cache lookup", "key", "user:42")
	dev.Debug("config loaded", "file", "app.yaml")
	dev.Info("listening", "addr", ":8080")
	dev.Warn("slow request", "path", "/report", "elapsed", 2300*time.Millisecond)
	dev.Error("payment failed", "err", errors.New("card declined"))
	dev.Log(context.Background(), multi.LevelCritical, "database unreachable")
	fmt.Print(strings.ReplaceAll(terminal.String(), "\x1b", `\x1b`))

	// Production: one JSON object per line on stdout, for a collector.
	prod := console.New(os.Stdout, &console.Options{Format: format.JSON, ReplaceAttr: fixedTime})
	defer multi.Shutdown(context.Background(), prod)
	slog.New(prod).Info("listening", "addr", ":8080")

	// Output:
	// 14:03:27.518 \x1b[90m[TRACE]\x1b[0m api: cache lookup {"key":"user:42"}
	// 14:03:27.518 \x1b[36m[DEBUG]\x1b[0m api: config loaded {"file":"app.yaml"}
	// 14:03:27.518 \x1b[32m[INFO]\x1b[0m api: listening {"addr":":8080"}
	// 14:03:27.518 \x1b[33m[WARN]\x1b[0m api: slow request {"path":"/report","elapsed":"2.3s"}
	// 14:03:27.518 \x1b[31m[ERROR]\x1b[0m api: payment failed {"err":"card declined"}
	// 14:03:27.518 \x1b[35m[CRITICAL]\x1b[0m api: database unreachable
	// {"time":"2024-05-06T14:03:27.518Z","level":"INFO","msg":"listening","addr":":8080"}
}

// unplugged is a destination that has gone away.
type unplugged struct{}

func (unplugged) Write([]byte) (int, error) { return 0, errors.New("device unplugged") }

// Write errors never reach the failing stream: they are counted, kept as
// LastError and given to the ErrorHandler, here printed to stdout instead.
func ExampleOptions_errorHandler() {
	h := console.New(unplugged{}, &console.Options{
		ErrorHandler: func(err error) { fmt.Println("log sink:", err) },
	})
	slog.New(h).Info("hello")

	st := h.Stats()
	fmt.Println("healthy:", h.Healthy())
	fmt.Println("written:", st.Written, "failed:", st.Failed, "dropped:", st.Dropped)
	// Output:
	// log sink: console: write: device unplugged
	// healthy: false
	// written: 0 failed: 1 dropped: 1
}
