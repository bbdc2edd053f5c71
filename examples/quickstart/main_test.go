package main

import (
	"strings"
	"testing"
)

// TestQuickstartDeliversToEverySink runs the example as a user would and
// checks what its own receivers got: the HTTP collector (level info) five
// records, the WebSocket receiver (level warn) three, nothing dropped.
func TestQuickstartDeliversToEverySink(t *testing.T) {
	t.Setenv("QUICKSTART_LOG_DIR", t.TempDir())
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"http receiver got 5 records:",
		"websocket receiver got 3 records:",
		`"msg":"a message\nthat tries to forge a line \u001b[31mand colour the terminal"`,
		"dropped=0 failed=0",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
