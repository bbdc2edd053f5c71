package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jinpy-utils/multi"
)

func TestLoadErrors(t *testing.T) {
	env := map[string]string{"HOST": "example.com", "EMPTY": ""}
	for _, tc := range []struct{ name, doc, want string }{
		{"bad size", "sinks:\n  - type: test\n  - type: test\n  - type: test\n    max_size: 10XB\n",
			`config: line 5: sinks[2].max_size: "10XB" is not a size`},
		{"bad size json", "{\"sinks\": [\n {\"type\": \"test\"},\n {\"type\": \"test\",\n  \"max_size\": \"10XB\"}]}",
			`config: line 4: sinks[1].max_size: "10XB" is not a size`},
		{"nested", "sinks:\n  - type: test\n    buffer:\n      batch_size: x\n",
			`config: line 4: sinks[0].buffer.batch_size: "x" is not an integer`},
		{"list item", "sinks:\n  - type: test\n    tags:\n      - a\n      - [b]\n",
			`config: line 5: sinks[0].tags[1]: want a string, got a list`},
		{"unknown field", "sinks:\n  - type: test\n    max_sise: 1\n",
			`config: line 3: sinks[0].max_sise: unknown field; did you mean max_size?`},
		{"func field", "sinks:\n  - type: test\n    error_handler: x\n",
			`config: line 3: sinks[0].error_handler: func(error) cannot be set from a document; set it in Go`},
		{"builder error", "sinks:\n  - type: test\n  -\n    type: failing\n",
			`config: line 4: sinks[1]: no luck`},
		{"builder panic", "sinks:\n  - type: panicking\n",
			`config: line 2: sinks[0]: build panicked: oops`},
		{"missing type", "sinks:\n  - level: info\n", `config: line 2: sinks[0]: missing "type"`},
		{"type not a string", "sinks:\n  - type: 5\n", `config: line 2: sinks[0].type: want a string, got a number`},
		{"empty type", "sinks:\n  - type: ''\n", `config: line 2: sinks[0].type: empty`},
		{"sink not an object", "sinks:\n  - test\n", `config: line 2: sinks[0]: want an object, got a string`},
		{"no sinks", "level: info\n", `config: line 1: sinks: missing: list at least one sink`},
		{"empty sinks", "sinks: []\n", `config: line 1: sinks: empty: list at least one sink`},
		{"sinks not a list", "sinks: {type: test}\n", `config: line 1: sinks: want a list, got an object`},
		{"unknown top", "level: info\nsink: []\n", `config: line 2: sink: unknown field; did you mean sinks?`},
		{"top level", "level: loud\nsinks: [{type: test}]\n",
			`config: line 1: level: "loud" is not a level (trace, debug, info, warn, error, critical, or an offset like INFO+2)`},
		{"top level type", "level: [1]\nsinks: [{type: test}]\n", `config: line 1: level: want a level, got a list`},
		{"not an object", "- a\n- b\n", `config: line 1: want an object with a "sinks" list, got a list`},
		{"scalar doc", "hello\n", `config: line 1: want an object with a "sinks" list, got a string`},
		{"empty", " \n\t\n", `config: empty document`},
		{"comments only", "# nothing\n", `config: empty document`},
		{"yaml syntax", "sinks:\n  - type: test\n   level: x\n", `config: line 1: did not find expected '-' indicator`},
		{"yaml tab", "sinks:\n\t- type: test\n", `config: line 2: found character that cannot start any token`},
		{"two documents", "sinks: [{type: test}]\n---\nsinks: []\n", `config: line 2: more than one YAML document`},
		{"duplicate key yaml", "sinks:\n  - type: test\n    level: info\n    level: warn\n", `config: line 4: sinks[0]: duplicate key "level"`},
		{"duplicate key json", "{\"sinks\": [],\n \"sinks\": []}", `config: line 2: duplicate key "sinks"`},
		{"truncated json", "{\"sinks\": [\n {\"type\": \"te", `config: line 2: unexpected end of document`},
		{"json syntax", "{\"sinks\": [\n {\"type\" \"test\"}]}", `config: line 2: invalid character '"' after object key`},
		{"trailing json", "{\"sinks\": []} {}", `config: line 1: unexpected data after the document`},
		{"yaml tag", "sinks: [{type: test, url: !secret x}]\n", `config: line 1: sinks[0].url: unsupported YAML tag !secret`},
		{"yaml inf", "sinks: [{type: test, ratio: .inf}]\n", `config: line 1: sinks[0].ratio: ".inf" is not a finite number`},
		{"yaml big int", "sinks: [{type: test, count: 99999999999999999999999}]\n",
			`config: line 1: sinks[0].count: 1e+23 is not a non-negative integer`},
		{"complex key", "sinks:\n  - type: test\n    ? [a]\n    : b\n", `config: line 3: sinks[0]: a key must be a string, not a list or an object`},
		{"bad merge", "sinks:\n  - type: test\n    <<: 5\n", `config: line 3: sinks[0]["<<"]: a merge key (<<) takes an object or a list of objects`},
		{"missing var", "sinks:\n  - type: test\n    headers:\n      Authorization: Bearer ${LOG_TOKEN}\n",
			`config: line 4: sinks[0].headers.Authorization: environment variable LOG_TOKEN is not set`},
		{"missing var in level", "level: ${LVL}\nsinks: [{type: test}]\n", `config: line 1: level: environment variable LVL is not set`},
		{"unterminated ref", "sinks:\n  - type: test\n    url: http://${HOST/x\n",
			`config: line 3: sinks[0].url: unterminated ${ reference (write $${ for a literal ${)`},
		{"bad ref", "sinks:\n  - type: test\n    url: http://${1HOST}/x\n",
			`config: line 3: sinks[0].url: "${1HOST}" is not a variable reference (want ${NAME} or ${NAME:-default})`},
		{"empty ref", "sinks:\n  - type: test\n    url: ${}\n",
			`config: line 3: sinks[0].url: "${}" is not a variable reference (want ${NAME} or ${NAME:-default})`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := loadString(t, tc.doc, env)
			require.Error(t, err)
			assert.Nil(t, h)
			assert.Equal(t, tc.want, err.Error())
			var e *Error
			require.ErrorAs(t, err, &e)
		})
	}
}

func TestLoadFileNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.yaml")
	require.NoError(t, os.WriteFile(p, []byte("sinks:\n  - type: test\n    max_size: 10XB\n"), 0o600))
	_, err := LoadFile(p)
	assert.EqualError(t, err, "config: "+p+`:3: sinks[0].max_size: "10XB" is not a size`)

	require.NoError(t, os.WriteFile(p, []byte("sinks: [\n"), 0o600))
	_, err = LoadFile(p)
	assert.EqualError(t, err, "config: "+p+":1: did not find expected node content")

	_, err = LoadFile(filepath.Join(dir, "none.yaml"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.EqualError(t, err, "config: open "+filepath.Join(dir, "none.yaml")+": no such file or directory")

	require.NoError(t, os.WriteFile(p, []byte("sinks:\n  - type: test\n    level: debug\n"), 0o600))
	h, err := LoadFile(p)
	require.NoError(t, err)
	assert.True(t, h.Enabled(t.Context(), slog.LevelDebug))
	assert.False(t, h.Enabled(t.Context(), multi.LevelTrace))
}

func TestLoadHandlesRecordsInEverySink(t *testing.T) {
	h, err := Load(strings.NewReader(`
level: info
sinks:
  - type: test
    level: trace
  - type: test
    level: error
`))
	require.NoError(t, err)
	hs := h.Handlers()
	require.Len(t, hs, 2)
	builtMu.Lock()
	a, b := built[len(built)-2], built[len(built)-1]
	builtMu.Unlock()
	log := slog.New(h)
	log.Debug("quiet: the top-level level is a floor")
	log.Info("one")
	log.Error("two")
	assert.Equal(t, []string{"one", "two"}, a.messages())
	assert.Equal(t, []string{"two"}, b.messages())
	require.NoError(t, multi.Shutdown(t.Context(), h))
	assert.Equal(t, int32(1), a.shut.Load())
	assert.Equal(t, int32(1), b.shut.Load())
}

func TestBuildShutsDownWhatItBuiltOnError(t *testing.T) {
	_, err := Load(strings.NewReader("sinks:\n  - type: test\n  - type: test\n  - type: test\n    level: nope\n"))
	require.Error(t, err)
	builtMu.Lock()
	a, b := built[len(built)-2], built[len(built)-1]
	builtMu.Unlock()
	assert.Equal(t, int32(1), a.shut.Load())
	assert.Equal(t, int32(1), b.shut.Load())
}

func TestBuildTwiceBuildsNewSinks(t *testing.T) {
	c, err := Parse(strings.NewReader("sinks: [{type: test}]"))
	require.NoError(t, err)
	h1, err := c.Build()
	require.NoError(t, err)
	h2, err := c.Build()
	require.NoError(t, err)
	assert.NotSame(t, h1.Handlers()[0], h2.Handlers()[0])
}

func TestConfigChangedAfterParseLosesLinesOnly(t *testing.T) {
	c, err := Parse(strings.NewReader("sinks:\n  - type: test\n  - type: test\n    max_size: 1KB\n"))
	require.NoError(t, err)
	assert.Equal(t, []Sink{
		{Type: "test", Options: json.RawMessage(`{}`)},
		{Type: "test", Options: json.RawMessage(`{"max_size":"1KB"}`)},
	}, c.Sinks)
	c.Sinks[1].Options = json.RawMessage(`{"max_size": "1XB"}`)
	c.Sinks = append(c.Sinks, Sink{Type: "test", Options: json.RawMessage(`{"max_size": "1XB"}`)})
	_, err = c.Build()
	assert.EqualError(t, err, `config: sinks[1].max_size: "1XB" is not a size`)

	c.Sinks[1].Options = nil // means {}
	_, err = c.Build()
	assert.EqualError(t, err, `config: sinks[2].max_size: "1XB" is not a size`)

	c.Sinks[2].Options = json.RawMessage(`[]`)
	_, err = c.Build()
	assert.EqualError(t, err, `config: sinks[2]: want an object, got a list`)

	_, err = (&Config{}).Build()
	assert.EqualError(t, err, `config: sinks: empty: list at least one sink`)

	_, err = (&Config{Sinks: []Sink{{Type: "test"}}, Level: "${NOPE_NOT_SET}"}).Build()
	assert.EqualError(t, err, `config: level: environment variable NOPE_NOT_SET is not set`)
}

func TestUnknownTypeListsKnownOnes(t *testing.T) {
	nop := func(json.RawMessage) (slog.Handler, error) { return slog.DiscardHandler, nil }
	reg := &registry{m: map[string]buildFunc{"b": nop, "a": nop}}
	c, err := Parse(strings.NewReader("sinks:\n  - type: a\n  - type: kafka\n"))
	require.NoError(t, err)
	_, err = c.build(reg, os.LookupEnv, &BuildOptions{})
	assert.EqualError(t, err, `config: line 3: sinks[1].type: unknown type "kafka" (known: a, b)`)
}

// A build function may return an Error of its own making.
func TestBuilderErrorWithPath(t *testing.T) {
	reg := &registry{m: map[string]buildFunc{
		"x": func(json.RawMessage) (slog.Handler, error) {
			return nil, &Error{Path: "endpoint", Err: errors.New("refused")}
		},
		"y": func(json.RawMessage) (slog.Handler, error) {
			return nil, fmt.Errorf("y: %w", &Error{Path: "endpoint", Err: errors.New("refused")})
		},
	}}
	c, err := Parse(strings.NewReader("sinks:\n  - type: x\n    endpoint: a\n"))
	require.NoError(t, err)
	_, err = c.build(reg, os.LookupEnv, &BuildOptions{})
	assert.EqualError(t, err, `config: line 2: sinks[0].endpoint: refused`)

	c, err = Parse(strings.NewReader("sinks:\n  - type: y\n"))
	require.NoError(t, err)
	_, err = c.build(reg, os.LookupEnv, &BuildOptions{})
	assert.EqualError(t, err, `config: line 2: sinks[0]: y: config: endpoint: refused`)
}

func TestYAMLAndJSONGiveTheSameConfig(t *testing.T) {
	yamlDoc := `
level: ${LOG_FLOOR:-trace}
sinks:
  - type: test
    level: debug
    max_size: 100MB
    ratio: 0.5
    compress: true
    tags: [a, "b c"]
    headers:
      Authorization: "Bearer ${LOG_TOKEN}"
    buffer: {batch_size: 10}
    extra: ~
  - type: test
`
	jsonDoc := `{
  "level": "${LOG_FLOOR:-trace}",
  "sinks": [
    {"type": "test", "level": "debug", "max_size": "100MB", "ratio": 0.5, "compress": true,
     "tags": ["a", "b c"], "headers": {"Authorization": "Bearer ${LOG_TOKEN}"},
     "buffer": {"batch_size": 10}, "extra": null},
    {"type": "test"}
  ]
}`
	cy, err := Parse(strings.NewReader(yamlDoc))
	require.NoError(t, err)
	cj, err := Parse(strings.NewReader(jsonDoc))
	require.NoError(t, err)
	assert.Equal(t, cj.Level, cy.Level)
	assert.Equal(t, cj.Sinks, cy.Sinks)
	assert.JSONEq(t, `{"level":"debug","max_size":"100MB","ratio":0.5,"compress":true,"tags":["a","b c"],
		"headers":{"Authorization":"Bearer ${LOG_TOKEN}"},"buffer":{"batch_size":10},"extra":null}`, string(cy.Sinks[0].Options))
}

func TestYAMLAnchorsAndMergeKeys(t *testing.T) {
	c, err := Parse(strings.NewReader(`
common: &common
sinks:
  - &base
    type: test
    level: warn
    tags: [x]
  - <<: *base
    level: error
  - <<: [{level: debug}, *base]
    max_size: 1KB
  - *base
`))
	require.Nil(t, c)
	require.EqualError(t, err, `config: line 2: common: unknown field`)

	c, err = Parse(strings.NewReader(`
sinks:
  - &base
    type: test
    level: warn
    tags: [x]
  - <<: *base
    level: error
  - <<: [{level: debug}, *base]
    max_size: 1KB
  - *base
`))
	require.NoError(t, err)
	var got []string
	for _, s := range c.Sinks {
		got = append(got, s.Type+" "+string(s.Options))
	}
	assert.Equal(t, []string{
		`test {"level":"warn","tags":["x"]}`,
		`test {"level":"error","tags":["x"]}`,
		`test {"max_size":"1KB","level":"debug","tags":["x"]}`,
		`test {"level":"warn","tags":["x"]}`,
	}, got)
}

func TestEnvironmentReferences(t *testing.T) {
	env := map[string]string{"HOST": "logs.example.com", "PORT": "8443", "EMPTY": "", "N": "7", "ON": "true"}
	h, err := loadString(t, `
sinks:
  - type: test
    url: https://${HOST}:${PORT}/a?b=$${HOST}&c=$x&d=$$
    logger_name: ${EMPTY:-fallback}-${MISSING:-x}${EMPTY}
    batch_size: ${N}
    compress: ${ON}
    headers:
      ${HOST}: literal key
`, env)
	require.NoError(t, err)
	defer multi.Shutdown(t.Context(), h)
	o := lastBuilt().opts
	assert.Equal(t, "https://logs.example.com:8443/a?b=${HOST}&c=$x&d=$$", o.URL)
	assert.Equal(t, "fallback-x", o.Name)
	assert.Equal(t, 7, o.BatchSize)
	assert.True(t, o.Compress)
	assert.Equal(t, map[string]string{"${HOST}": "literal key"}, o.Headers)
}

// No value of an environment variable appears in an error, whatever
// reports it: the decoder, a sink's constructor, url.Parse.
func TestErrorsNeverShowVariableValues(t *testing.T) {
	const secret = "s3cr3t-T0ken/with\"quote"
	env := map[string]string{"LOG_TOKEN": secret, "LOG_LEVEL": "verbose", "DIR": "/nonexistent-dir"}
	for _, tc := range []struct{ name, doc, want string }{
		{"bad url", "sinks:\n  - type: test\n    url: \"http://[::1%${LOG_TOKEN}/\"\n",
			`config: line 2: sinks[0]: parse "http://[::1%${LOG_TOKEN}/": missing ']' in host`},
		{"bad level", "sinks:\n  - type: test\n    level: ${LOG_TOKEN}\n",
			`config: line 3: sinks[0].level: "${LOG_TOKEN}" is not a level (trace, debug, info, warn, error, critical, or an offset like INFO+2)`},
		{"bad floor", "level: ${LOG_LEVEL}\nsinks: [{type: test}]\n",
			`config: line 1: level: "${LOG_LEVEL}" is not a level (trace, debug, info, warn, error, critical, or an offset like INFO+2)`},
		{"bad size", "sinks:\n  - type: test\n    max_size: ${LOG_TOKEN}MB\n", `config: line 3: sinks[0].max_size: "${LOG_TOKEN}MB" is not a size`},
		{"bad key", "sinks:\n  - type: test\n    key: ${LOG_TOKEN}\n", `config: line 3: sinks[0].key: not valid base64`},
		{"http url", "sinks:\n  - type: http\n    url: \"http://[::1%${LOG_TOKEN}/\"\n",
			`config: line 2: sinks[0]: httpsink: URL is not valid: missing ']' in host`},
		{"http token and header", "sinks:\n  - type: http\n    url: http://127.0.0.1:1/\n    bearer_token: ${LOG_TOKEN}\n    headers: {Authorization: \"Bearer ${LOG_TOKEN}\"}\n    retry:\n      max: x${LOG_TOKEN}\n",
			`config: line 7: sinks[0].retry.max: "x${LOG_TOKEN}" is not an integer`},
		{"websocket url", "sinks:\n  - type: websocket\n    url: \"wss://example.com:${LOG_TOKEN}/\"\n",
			`config: line 2: sinks[0]: wssink: url "wss://example.com:${LOG_TOKEN}/": invalid port ":${LOG_TOKEN}" after host`},
		{"http url in query", "sinks:\n  - type: http\n    url: \"ftp://example.com/?token=${LOG_TOKEN}\"\n",
			`config: line 2: sinks[0]: httpsink: URL ftp://example.com/: scheme "ftp" is not http or https`},
		{"file", "sinks:\n  - type: file\n    path: /proc/${LOG_TOKEN}/x.log\n",
			`config: line 2: sinks[0]: file: create directory /proc/${LOG_TOKEN}: no such file or directory`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadString(t, tc.doc, env)
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
			for e := err; e != nil; e = errors.Unwrap(e) {
				assert.NotContains(t, e.Error(), "s3cr3t")
				assert.NotContains(t, e.Error(), "verbose")
			}
		})
	}
}

func TestRedactForms(t *testing.T) {
	used := []envValue{{"A", "abc"}, {"B", "abcdef"}, {"C", "x"}, {"D", `q"uo te`}, {"E", "}B}"}}
	assert.Equal(t, "${B} ${A} x ${D} ${D} ${D} ${D} ${E}", redact(`abcdef abc x q"uo te q\"uo te q%22uo+te q%22uo%20te }B}`, used))
	assert.Equal(t, "nothing", redact("nothing", used))

	// Pieces of 8 bytes or more of a longer value are cut too.
	used = []envValue{{"TOKEN", "0123456789abcdef"}, {"URL", "http://h:1/p?q=ZYXWVUTSRQ"}}
	assert.Equal(t, `port "${TOKEN}" ${TOKEN}, short 0123456 and ${URL}`,
		redact(`port "0123456789" 89abcdef, short 0123456 and ?q=ZYXWVUTS`, used))
}

func TestLimits(t *testing.T) {
	deepJSON := `{"sinks": [{"type": "test", "extra": ` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}]}`
	deepYAML := "sinks:\n  - type: test\n    extra: " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n"
	veryDeep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	laughs := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 'b'; i <= 'j'; i++ {
		laughs += fmt.Sprintf("%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	laughs += "sinks: [{type: test, extra: *j}]\n"
	bigString := "s: &s " + strings.Repeat("x", 500_000) + "\nsinks: [{type: test, extra: [*s, *s, *s, *s, *s, *s, *s, *s, *s, *s]}]\n"
	wide := `{"sinks": [{"type": "test", "extra": [` + strings.Repeat("1,", 40_000) + `1]}]}`
	for _, tc := range []struct{ name, doc, want string }{
		{"too large", "sinks: []\n#" + strings.Repeat("x", MaxDocumentSize), `config: document is larger than 1 MiB`},
		{"deep json", deepJSON, `config: line 1: sinks[0].extra[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested more than 32 levels deep`},
		{"deep yaml", deepYAML, `config: line 3: sinks[0].extra[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested more than 32 levels deep`},
		{"very deep json", veryDeep, `config: line 1: [0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested more than 32 levels deep`},
		{"very deep yaml", "a: " + strings.Repeat("[", 10001) + strings.Repeat("]", 10001), `config: exceeded max depth of 10000`},
		{"many yaml lines", "sinks:\n" + strings.Repeat("- 1\n", MaxValues), `config: document has more than 20000 line breaks, commas, brackets and - : ? indicators`},
		{"many yaml commas", "sinks: [" + strings.Repeat("1,", MaxValues) + "1]", `config: document has more than 20000 line breaks, commas, brackets and - : ? indicators`},
		{"billion laughs", laughs, `config: line 1: e[0][6][8][8][3]: document holds more than 20000 values (YAML aliases included)`},
		{"self alias", "a: &a [*a]\nsinks: []\n", `config: line 1: a` + strings.Repeat("[0]", 31) + `: nested more than 32 levels deep`},
		{"self merge", "a: &a {b: 1, <<: *a}\nsinks: []\n", `config: line 1: a: nested more than 32 levels deep`},
		{"big strings", bigString, `config: line 1: sinks[0].extra[7]: document holds more than 4 MiB of text (YAML aliases included)`},
		{"wide", wide, `config: line 1: sinks[0].extra[19992]: document holds more than 20000 values (YAML aliases included)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.doc))
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestRegister(t *testing.T) {
	nop := func(json.RawMessage) (slog.Handler, error) { return slog.DiscardHandler, nil }
	assert.PanicsWithValue(t, "config: Register with an empty type name", func() { Register(" ", nop) })
	assert.PanicsWithValue(t, "config: Register of type x with a nil build function", func() { Register("x", nil) })
	assert.PanicsWithValue(t, "config: Register called twice for type file", func() { Register("file", nop) })

	// Concurrent registration and listing (run under -race).
	run := registerRuns.Add(1) // names differ in every run, for -count
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { Register(fmt.Sprintf("concurrent-%d-%d", run, i), nop) })
		wg.Go(func() { _ = Types() })
	}
	wg.Wait()
	got := Types()
	assert.IsNonDecreasing(t, got)
	for _, n := range []string{fmt.Sprintf("concurrent-%d-0", run), fmt.Sprintf("concurrent-%d-7", run), "console", "file", "http", "test", "websocket"} {
		assert.Contains(t, got, n)
	}
	got[0] = "changed"
	assert.NotEqual(t, "changed", Types()[0], "Types returns a copy")

	h, err := Load(strings.NewReader(fmt.Sprintf("sinks: [{type: concurrent-%d-3}]", run)))
	require.NoError(t, err)
	assert.False(t, h.Enabled(t.Context(), slog.LevelError))
}

var registerRuns atomic.Int32

func TestParseReadError(t *testing.T) {
	_, err := Parse(errReader{})
	assert.EqualError(t, err, "config: read: disk on fire")
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// The largest documents the limits let through, and hostile ones they
// stop, cost bounded memory to parse. Each must end as it does now: those
// the limits let through are parsed whole and then refused for what they
// hold (no sink type), the hostile ones are stopped by a limit. A Parse
// that gave up early on a large document would allocate little and prove
// nothing.
func TestParseMemoryIsBounded(t *testing.T) {
	laughs := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 'b'; i <= 'j'; i++ {
		laughs += fmt.Sprintf("%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	long := strings.Repeat("x", MaxDocumentSize-200)
	const tooMany = "document holds more than 20000 values (YAML aliases included)"
	for name, tc := range map[string]struct{ doc, want string }{
		"billion laughs":    {laughs, "config: line 1: e[0][6][8][8][3]: " + tooMany},
		"yaml block lines":  {"sinks:\n" + strings.Repeat("- a: b\n", MaxValues/3-1), `config: line 2: sinks[0]: missing "type"`},
		"yaml flow list":    {"sinks: [" + strings.Repeat("1,", MaxValues-10) + "1]", "config: line 1: sinks[0]: want an object, got a number"},
		"yaml long scalars": {"sinks:\n" + strings.Repeat("- "+strings.Repeat("y", 100)+"\n", 9000), "config: line 2: sinks[0]: want an object, got a string"},
		"yaml aliased text": {"s: &s " + long + "\nsinks: [{type: test, extra: [*s, *s, *s, *s, *s, *s]}]\n",
			"config: line 1: sinks[0].extra[3]: document holds more than 4 MiB of text (YAML aliases included)"},
		"json list":    {`{"sinks": [` + strings.Repeat("1,", MaxDocumentSize/2-20) + `1]}`, "config: line 1: sinks[19997]: " + tooMany},
		"json objects": {`{"sinks": [` + strings.Repeat(`{"a":1},`, MaxDocumentSize/8-20) + `1]}`, "config: line 1: sinks[6665].a: " + tooMany},
	} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			c, err := Parse(strings.NewReader(tc.doc))
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			assert.Nil(t, c)
			assert.EqualError(t, err, tc.want)
			assert.Less(t, alloc, uint64(64<<20), "%d MiB allocated", alloc>>20)
		})
	}
}

// JSON keeps its own parser because go.yaml.in/yaml/v3, given the same
// bytes, accepts the first two without an error and refuses the third
// ("yaml: found invalid Unicode character escape code", with no line).
// Each case here fails if JSON documents are sent through the YAML parser.
func TestJSONIsReadAsJSONNotAsYAML(t *testing.T) {
	for doc, want := range map[string]string{
		"{\"sinks\": [{\"type\": \"console\"},\n]}":                    `config: line 2: invalid character ']' looking for beginning of value`,
		"{\"sinks\": [{\"type\": \"console\", \"logger\": \"a\tb\"}]}": `config: line 1: invalid character '\t' in string literal`,
	} {
		_, err := Parse(strings.NewReader(doc))
		assert.EqualError(t, err, want, doc)
	}
	c, err := Parse(strings.NewReader(`{"sinks": [{"type": "console", "logger": "\ud83d\ude00"}]}`))
	require.NoError(t, err)
	assert.Equal(t, `{"logger":"😀"}`, string(c.Sinks[0].Options))
}
