package config

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
)

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func TestRouteSampleAndRedactNodesBuildATree(t *testing.T) {
	dir := t.TempDir()
	doc := strings.ReplaceAll(`sinks:
  - type: route
    name: routed
    level: info
    first_match: true
    rules:
      - when: {level: error}
        sink: {type: file, path: DIR/errors.log, redact: {keys: [password]}}
      - when: {attrs: {tenant: acme, status: 500}}
        sink: {type: file, path: DIR/acme.log}
      - sink:
          type: file
          path: DIR/rest.log
          sample: {first: 2, thereafter: -1, summary: true}
  - type: file
    path: DIR/all.log
    redact: {}
`, "DIR", dir)
	c, err := Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := c.BuildTree(nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(tree.Handler)
	log.Debug("below the route's level")
	log.Error("login failed", "user", "ann", "password", "hunter2")
	log.With("tenant", "acme").Info("server error", "status", 500)
	log.With("tenant", "acme").Info("fine", "status", 200, "auth", "Bearer abc.def")
	for range 5 {
		log.Info("flood")
	}
	if err := multi.Shutdown(context.Background(), tree.Handler); err != nil {
		t.Fatal(err)
	}
	if lv, ok := tree.Levels["routed"]; !ok || lv.Level() != slog.LevelInfo {
		t.Errorf(`LevelVar of the named route "routed" = %v, %v; want INFO, from its level`, lv, ok)
	}
	errs := readLines(t, filepath.Join(dir, "errors.log"))
	if len(errs) != 1 || !strings.Contains(errs[0], `"password":"[REDACTED]"`) || strings.Contains(errs[0], "hunter2") {
		t.Errorf("errors.log = %q; want the error with its password redacted", errs)
	}
	if acme := readLines(t, filepath.Join(dir, "acme.log")); len(acme) != 1 || !strings.Contains(acme[0], "server error") {
		t.Errorf("acme.log = %q; want the one acme record with status 500", acme)
	}
	rest := readLines(t, filepath.Join(dir, "rest.log"))
	if len(rest) != 4 || !strings.Contains(rest[3], "3 records like this dropped") {
		t.Errorf("rest.log = %q; want fine, flood, flood and the summary of 3 dropped", rest)
	}
	all := strings.Join(readLines(t, filepath.Join(dir, "all.log")), "\n")
	if strings.Contains(all, "hunter2") || strings.Contains(all, "abc.def") || strings.Count(all, "[REDACTED]") != 2 {
		t.Errorf("all.log, redacted with the defaults, shows a secret:\n%s", all)
	}
	if s := tree.Handler.Stats(); s.Sampled != 3 {
		t.Errorf("Stats().Sampled = %d; want 3", s.Sampled)
	}
}

func TestFailoverNodeSendsToThePrimaryWhileHealthy(t *testing.T) {
	dir := t.TempDir()
	doc := strings.ReplaceAll(`{"sinks": [{"type": "failover", "hold": "1m",
  "primary": {"type": "file", "path": "DIR/primary.log"},
  "secondaries": [{"type": "file", "path": "DIR/fallback.log"}]}]}`, "DIR", dir)
	h, err := Load(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	slog.New(h).Info("hello")
	if err := multi.Shutdown(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	if got := readLines(t, filepath.Join(dir, "primary.log")); len(got) != 1 {
		t.Errorf("primary.log = %q; want the record", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "fallback.log")); err == nil {
		if got := readLines(t, filepath.Join(dir, "fallback.log")); got[0] != "" {
			t.Errorf("fallback.log = %q; want nothing", got)
		}
	}
}

func TestPolicyNodeErrorsNameTheLineAndPath(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ doc, want string }{
		{"sinks:\n  - type: file\n    path: " + dir + "/a.log\n    sample:\n      key: bogus\n",
			`config: line 5: sinks[0].sample.key: "bogus": write message, source or attr:NAME`},
		{"sinks:\n  - type: file\n    path: " + dir + "/a.log\n    sample: {thereafter: -3}\n",
			`sinks[0].sample: multi.Sample: Thereafter -3 is out of range; write -1 to drop`},
		{"sinks:\n  - type: file\n    path: " + dir + "/a.log\n    redact: {keys: [\"\"]}\n",
			`config: line 4: sinks[0].redact: format: redact: Keys[0] "": write a key such as "password"`},
		{"sinks:\n  - type: test\n    redact: {}\n",
			`sinks[0].redact: type "test" is not a built-in type: give its handler a format.Redactor's ReplaceAttr in Go`},
		{"sinks:\n  - type: route\n    rules:\n      - sink: {type: console}\n      - sink:\n          type: file\n          path: " + dir + "/b.log\n          max_size: 10XB\n",
			`config: line 8: sinks[0].rules[1].sink.max_size: "10XB" is not a size`},
		{"sinks:\n  - type: route\n    rules:\n      - when: {level: loud}\n        sink: {type: console}\n",
			`config: line 4: sinks[0].rules[0].when.level: "loud" is not a level`},
		{"sinks:\n  - type: route\n    rules:\n      - when: {lvl: warn}\n        sink: {type: console}\n",
			`config: line 4: sinks[0].rules[0].when.lvl: unknown field (known: level, message, attrs)`},
		{"sinks:\n  - type: route\n    redact: {}\n    rules:\n      - sink: {type: test}\n",
			`sinks[0].rules[0].sink.type: the enclosing sink's redact cannot reach type "test"`},
		{"sinks:\n  - type: failover\n    primary: {type: console}\n",
			`sinks[0].secondaries: missing: list at least one sink`},
		{"sinks:\n  - type: failover\n    primary: {type: console}\n    secondaries:\n      - {type: console, name: x}\n",
			`config: line 5: sinks[0].secondaries[0].name: only a sink at the top of sinks has a name`},
		{"sinks:\n  - type: failover\n    hold: -1s\n    primary: {type: console}\n    secondaries: [{type: console}]\n",
			`Hold -1s is negative; write 0 for the default of 10s`},
	} {
		_, err := loadString(t, c.doc, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("document\n%s\ngot  %v\nwant %s", c.doc, err, c.want)
		}
	}
}

// The production tree of the README builds, and records reach where it
// says: errors to the pager, acme's records to their file, everything to
// the collector, no secret anywhere.
func TestREADMEProductionTree(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- production tree -->\n```yaml\n")
	doc, _, ok2 := strings.Cut(rest, "```\n<!-- end production tree -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no production tree between its markers")
	}
	pager, collector := newBodyServer(t), newBodyServer(t)
	dir := t.TempDir()
	env := map[string]string{"PAGER_URL": pager.URL, "COLLECTOR_URL": collector.URL, "COLLECTOR_TOKEN": "s3cr3t-token", "LOG_DIR": dir}
	h, err := loadString(t, doc, env)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(h)
	log.Error("payment failed", "password", "hunter2", "auth", "Bearer abc.def")
	log.With("tenant", "acme").Info("order placed", "api_token", "t0k3n")
	log.WithGroup("req").With(slog.Group("headers", "X-Session", "sess-1")).Info("served")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := multi.Shutdown(ctx, h); err != nil {
		t.Fatal(err)
	}
	pages, shipped := pager.text(), collector.text()
	acme := strings.Join(readLines(t, filepath.Join(dir, "acme.log")), "\n")
	if !strings.Contains(pages, "payment failed") || strings.Contains(pages, "order placed") {
		t.Errorf("pager got %q; want the error only", pages)
	}
	if !strings.Contains(acme, "order placed") {
		t.Errorf("acme.log = %q; want acme's record", acme)
	}
	if strings.Count(shipped, `"msg":`) != 3 {
		t.Errorf("collector got %q; want all three records", shipped)
	}
	for _, secret := range []string{"hunter2", "abc.def", "t0k3n", "sess-1"} {
		if strings.Contains(pages+shipped+acme, secret) {
			t.Errorf("%q reached a destination:\n%s\n%s\n%s", secret, pages, shipped, acme)
		}
	}
}

// bodyServer is an HTTP collector that keeps the bodies it is sent.
type bodyServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newBodyServer(t *testing.T) *bodyServer {
	b := &bodyServer{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.bodies = append(b.bodies, string(body))
		b.mu.Unlock()
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *bodyServer) text() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.bodies, "\n")
}

// The documents of the package doc's "Sampling, redaction, routing and
// failover" build (their paths moved to a temporary directory; nothing is
// logged, so nothing is sent).
func TestDocPolicyExamplesBuild(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src)
	start, end := strings.Index(doc, "// # Sampling, redaction"), strings.Index(doc, "// # Custom types")
	if start < 0 || end < start {
		t.Fatal("doc.go has no section on sampling, redaction, routing and failover")
	}
	var blocks []string
	var cur []string
	for _, l := range strings.Split(doc[start:end], "\n") {
		if code, ok := strings.CutPrefix(l, "//\t"); ok {
			cur = append(cur, code)
		} else if cur != nil {
			blocks = append(blocks, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	if len(blocks) != 2 {
		t.Fatalf("found %d documents; want 2", len(blocks))
	}
	for _, b := range blocks {
		dir := t.TempDir()
		b = strings.NewReplacer("/var/spool/app", dir+"/spool", "logs/", dir+"/").Replace(b)
		h, err := loadString(t, b, nil)
		if err != nil {
			t.Fatalf("%s\n%v", b, err)
		}
		if err := multi.Shutdown(context.Background(), h); err != nil {
			t.Error(err)
		}
	}
}
