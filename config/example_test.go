package config_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"strings"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/config"
)

// A document with a mistake: the error names the line, the value and what
// is wrong with it.
func ExampleLoad() {
	doc := `
sinks:
  - type: file
    path: logs/app.log
    max_size: 10XB
`
	_, err := config.Load(strings.NewReader(doc))
	fmt.Println(err)
	// Output: config: line 5: sinks[0].max_size: "10XB" is not a size
}

// The production preset: JSON lines on stdout at INFO, or at the level
// LOG_LEVEL names.
func ExampleProduction() {
	h, err := config.Production().Build()
	if err != nil {
		log.Fatal(err) // config: sinks[0].level: "${LOG_LEVEL}" is not a level (...)
	}
	defer multi.Shutdown(context.Background(), h)
	slog.SetDefault(slog.New(h))
	slog.Info("started", "port", 8080)
}
