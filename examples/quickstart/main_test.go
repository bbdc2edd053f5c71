package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestQuickstartDeliversToEverySink runs the example as a user would and
// checks what its own receivers got: the HTTP collector (level info) five
// records, the WebSocket receiver (level warn) three, the OTLP collector
// (info) five and the syslog receiver (error) two, and one stats line per
// sink: of the seven records, the console (trace) wrote seven, the file
// (debug) six, nothing dropped or spooled. The journal is there or skipped,
// as the machine has it.
func TestQuickstartDeliversToEverySink(t *testing.T) {
	t.Setenv("QUICKSTART_LOG_DIR", t.TempDir())
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"http receiver got 5 records:",
		"websocket receiver got 3 records:",
		"otlp receiver got 5 records:",
		"syslog receiver got 2 records:",
		`"msg":"a message\nthat tries to forge a line \u001b[31mand colour the terminal"`,
		`  INFO "request served" {request_id user http elapsed}` + "\n",
		`  INFO "a message\nthat tries to forge a line \x1b[31mand colour the terminal" {}` + "\n",
		` quickstart `, // the syslog APP-NAME
		`[slog@32473 err="card declined" amount="12.5"] \ufeffpayment failed` + "\n",
		"\nstats per sink:\n" +
			"  sinks[0] console   written=7 dropped=0 spooled=0\n" +
			"  sinks[1] file      written=6 dropped=0 spooled=0\n" +
			"  sinks[2] http      written=5 dropped=0 spooled=0 received=5\n" +
			"  sinks[3] websocket written=3 dropped=0 spooled=0 received=3\n" +
			"  sinks[4] otlp      written=5 dropped=0 spooled=0 received=5\n" +
			"  sinks[5] syslog    written=2 dropped=0 spooled=0 received=2\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(out.String(), "  journald           written=6 dropped=0 ") &&
		!strings.Contains(out.String(), "  journald           skipped: ") {
		t.Errorf("output says neither what the journal sink wrote nor why it was skipped:\n%s", out.String())
	}

	// Whatever the counts above become: every network sink has a
	// receiver, which got at least one record and exactly as many as the
	// sink counts written.
	line := regexp.MustCompile(`(?m)^  sinks\[\d+\] (\S+) +written=(\d+) .*?(?: received=(\d+))?$`)
	receivedBy := map[string]bool{}
	for _, m := range line.FindAllStringSubmatch(out.String(), -1) {
		typ, written, received := m[1], m[2], m[3]
		switch typ {
		case "console", "file":
			continue
		}
		receivedBy[typ] = true
		if received == "" {
			t.Errorf("%s sink: no receiver count in %q", typ, m[0])
			continue
		}
		if n, _ := strconv.Atoi(received); n < 1 || received != written {
			t.Errorf("%s sink wrote %s records, its receiver got %s", typ, written, received)
		}
	}
	for _, typ := range receivers {
		if !receivedBy[typ] {
			t.Errorf("no %s sink in the stats:\n%s", typ, out.String())
		}
	}
}

// The README shows multi.yaml's sinks as they are.
func TestREADMEShowsTheQuickstartsTree(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const intro = "([examples/quickstart/multi.yaml](examples/quickstart/multi.yaml)):\n\n```yaml\n"
	_, block, ok := strings.Cut(string(readme), intro)
	if !ok {
		t.Fatal("README.md does not introduce examples/quickstart/multi.yaml")
	}
	block, _, _ = strings.Cut(block, "```")
	_, sinks, _ := strings.Cut(string(tree), "\nsinks:\n")
	if want := "sinks:\n" + sinks; block != want {
		t.Errorf("README.md's copy of multi.yaml differs from the file:\n%s\nwant:\n%s", block, want)
	}
}
