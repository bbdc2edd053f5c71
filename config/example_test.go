package config_test

import (
	"fmt"
	"strings"

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
