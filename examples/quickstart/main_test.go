package main

import (
	"strings"
	"testing"
)

// TestQuickstartDeliversToEverySink runs the example as a user would and
// checks what its own receivers got: the HTTP collector (level info) five
// records, the WebSocket receiver (level warn) three, and one stats line per
// sink: of the seven records, the console (trace) wrote seven, the file
// (debug) six, nothing dropped or spooled.
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
		"\nstats per sink:\n" +
			"  sinks[0] console   written=7 dropped=0 spooled=0\n" +
			"  sinks[1] file      written=6 dropped=0 spooled=0\n" +
			"  sinks[2] http      written=5 dropped=0 spooled=0\n" +
			"  sinks[3] websocket written=3 dropped=0 spooled=0\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
