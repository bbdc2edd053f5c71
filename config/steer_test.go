package config

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/multitest"
)

func TestNamedSinksLevelsSteerAtRunTime(t *testing.T) {
	dir := t.TempDir()
	doc := "sinks:\n" +
		"  - type: file\n    name: audit\n    path: " + filepath.Join(dir, "audit.log") + "\n    level: warn\n" +
		"  - type: file\n    path: " + filepath.Join(dir, "plain.log") + "\n"
	c, err := Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := c.BuildTree(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Levels) != 1 || tree.Levels["audit"] == nil || tree.Levels["audit"].Level() != slog.LevelWarn {
		t.Fatalf("Levels = %v, want audit at WARN only", tree.Levels)
	}
	l := slog.New(tree.Handler)
	l.Info("one")
	tree.Levels["audit"].Set(slog.LevelDebug)
	l.Info("two")
	l.Debug("three")
	if err := multi.Shutdown(context.Background(), tree.Handler); err != nil {
		t.Fatal(err)
	}
	audit, _ := os.ReadFile(filepath.Join(dir, "audit.log"))
	plain, _ := os.ReadFile(filepath.Join(dir, "plain.log"))
	if strings.Contains(string(audit), `"one"`) || !strings.Contains(string(audit), `"two"`) || !strings.Contains(string(audit), `"three"`) {
		t.Errorf("audit.log = %q, want two and three only", audit)
	}
	if !strings.Contains(string(plain), `"one"`) || !strings.Contains(string(plain), `"two"`) || strings.Contains(string(plain), `"three"`) {
		t.Errorf("plain.log = %q, want one and two at its INFO", plain)
	}

	// The same Levels, served over HTTP.
	srv := httptest.NewServer(multi.LevelHandler(tree.Levels))
	defer srv.Close()
	req, _ := http.NewRequest("PUT", srv.URL, strings.NewReader(`{"audit":"error"}`))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if tree.Levels["audit"].Level() != slog.LevelError {
		t.Errorf("after PUT, audit = %v", tree.Levels["audit"].Level())
	}
}

func TestSinkNames(t *testing.T) {
	for doc, want := range map[string]string{
		"sinks:\n  - type: console\n    name: a\n  - type: console\n    name: a\n": `config: line 5: sinks[1].name: "a" is already the name of sinks[0]`,
		"sinks:\n  - type: console\n    name: ''\n":                                `config: line 3: sinks[0].name: empty: leave the key out for a sink without a name`,
		"sinks:\n  - type: console\n    name: [x]\n":                               `config: line 3: sinks[0].name: want a string, got a list`,
	} {
		_, err := Parse(strings.NewReader(doc))
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q) = %v\nwant %s", doc, err, want)
		}
	}
}

func TestBuildTreeErrorHandlerNamesTheSink(t *testing.T) {
	dir := t.TempDir()
	doc := "sinks:\n  - type: console\n  - type: file\n    name: audit\n    path: " + filepath.Join(dir, "a.log") + "\n"
	c, err := Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var got []error
	tree, err := c.BuildTree(&BuildOptions{ErrorHandler: func(err error) { got = append(got, err) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := multi.Shutdown(context.Background(), tree.Handler); err != nil {
		t.Fatal(err)
	}
	// The file sink reports the first record it refuses after Shutdown
	// (console keeps writing: it has nothing to release).
	slog.New(tree.Handler.Handlers()[1]).Info("late")
	if len(got) != 1 {
		t.Fatalf("ErrorHandler got %v, want the file sink's refusal", got)
	}
	var se *SinkError
	if !errors.As(got[0], &se) || se.Index != 1 || se.Name != "audit" || se.Type != "file" || !errors.Is(got[0], multi.ErrClosed) {
		t.Fatalf("got %#v", got[0])
	}
	if !strings.HasPrefix(got[0].Error(), `sinks[1] (name "audit"): file: record refused after Shutdown`) {
		t.Errorf("error text %q", got[0])
	}
}

func TestSinkErrorText(t *testing.T) {
	cause := errors.New("httpsink: send batch of 3 records: 503")
	for _, tc := range []struct {
		e    SinkError
		want string
	}{
		{SinkError{Index: 2, Name: "audit", Type: "http", Err: cause}, `sinks[2] (name "audit"): httpsink: send batch of 3 records: 503`},
		{SinkError{Index: 0, Type: "http", Err: cause}, `sinks[0]: httpsink: send batch of 3 records: 503`},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %s\nwant %s", got, tc.want)
		}
	}
}

// Build errors about a named sink carry its name after sinks[N], in every
// kind of error: a value the sink's type refuses, an unknown type, a
// builder's own error, an environment variable that is not set.
func TestBuildErrorsNameTheSink(t *testing.T) {
	dir := t.TempDir()
	for doc, want := range map[string]string{
		"sinks:\n  - type: console\n  - type: file\n    name: audit\n    path: " + filepath.Join(dir, "a.log") + "\n    max_size: 10XB\n": `config: line 6: sinks[1] (name "audit").max_size: "10XB" is not a size`,
		"sinks:\n  - type: kafka\n    name: bus\n":                          `config: line 2: sinks[0] (name "bus").type: unknown type "kafka" (known: `,
		"sinks:\n  - type: failing\n    name: f\n":                          `config: line 2: sinks[0] (name "f"): no luck`,
		"sinks:\n  - type: http\n    name: c\n    url: ${NOPE_NOT_SET_X}\n": `config: line 4: sinks[0] (name "c").url: environment variable NOPE_NOT_SET_X is not set`,
		"sinks:\n  - type: http\n    name: c\n    url: \"${1X}\"\n":         `config: line 4: sinks[0] (name "c").url: "${1X}" is not a variable reference (want ${NAME} or ${NAME:-default})`,
		"sinks:\n  - type: console\n    name: c\n    max_sise: 1\n":         `config: line 4: sinks[0] (name "c").max_sise: unknown field`,
	} {
		_, err := loadString(t, doc, nil)
		if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(want, " ") && err.Error() != want {
			t.Errorf("%q:\n got %v\nwant %s", doc, err, want)
		}
	}
}

// A sink that cannot shut down while Build undoes a failed document is
// named in the error, after the error that stopped Build, not dropped.
func TestBuildReportsShutdownErrorsOfSinksItUndoes(t *testing.T) {
	reg := &registry{m: map[string]buildFunc{
		"stuck": func(json.RawMessage) (slog.Handler, error) { return stuckSink{}, nil },
		"bad":   func(json.RawMessage) (slog.Handler, error) { return nil, errors.New("no luck") },
	}}
	c, err := Parse(strings.NewReader("sinks:\n  - type: stuck\n    name: s\n  - type: stuck\n  - type: bad\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.build(reg, os.LookupEnv, &BuildOptions{})
	want := `config: line 5: sinks[2]: no luck; and shut down sinks[0] (name "s"): disk gone; shut down sinks[1]: disk gone`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

type stuckSink struct{ slog.Handler }

func (stuckSink) Enabled(context.Context, slog.Level) bool { return true }
func (stuckSink) Shutdown(context.Context) error           { return errors.New("disk gone") }

func TestRegisteredTypeNamedLevelIsAFloor(t *testing.T) {
	reg := &registry{m: map[string]buildFunc{}}
	var inner *multitest.Recorder
	reg.add("rec", func(raw json.RawMessage) (slog.Handler, error) {
		inner = multitest.NewRecorder(nil)
		return inner, nil
	})
	c, err := Parse(strings.NewReader("sinks:\n  - type: rec\n    name: r\n"))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := c.build(reg, os.LookupEnv, &BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l := slog.New(tree.Handler)
	l.Debug("passes at TRACE")
	tree.Levels["r"].Set(slog.LevelError)
	l.Warn("held back by the floor")
	if msgs := inner.Messages(); len(msgs) != 1 || msgs[0] != "passes at TRACE" {
		t.Fatalf("got %q", msgs)
	}
}

func TestFileFlushLevelKey(t *testing.T) {
	var o fileSink
	if err := Decode([]byte(`{"path":"x.log","flush_level":"warn"}`), &o); err != nil {
		t.Fatal(err)
	}
	if o.FlushLevel == nil || o.FlushLevel.Level() != slog.LevelWarn {
		t.Fatalf("FlushLevel = %v, want WARN", o.FlushLevel)
	}
}

func TestSyslogAndJournaldTypes(t *testing.T) {
	_, err := Parse(strings.NewReader("sinks:\n  - type: syslog\n    address: udp://127.0.0.1:1\n    facility: local3\n    level: warn\n"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := loadString(t, "sinks:\n  - type: syslog\n    address: udp://127.0.0.1:1\n    facility: local3\n    app_name: billing\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := multi.Shutdown(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	_, err = loadString(t, "sinks:\n  - type: syslog\n    address: udp://127.0.0.1:1\n    facility: local9\n", nil)
	if err == nil || !strings.Contains(err.Error(), "sinks[0].facility") {
		t.Errorf("a bad facility: %v", err)
	}
	sock := filepath.Join(t.TempDir(), "socket")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	h, err = loadString(t, "sinks:\n  - type: journald\n    socket: "+sock+"\n    identifier: billing\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := multi.Shutdown(context.Background(), h); err != nil {
		t.Fatal(err)
	}
}
