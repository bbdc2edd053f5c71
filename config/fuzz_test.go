package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jinpy-utils/multi"
)

const fuzzSecret = "fuzz-s3cret-value"

// FuzzLoad feeds Parse and Build arbitrary documents with only the
// side-effect-free "test" type registered. It checks that every failure is
// an *Error without the value of an environment variable in it, that
// every success builds a handler that shuts down, and that a parsed
// document written back as JSON parses to the same Config.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"sinks:\n  - type: test\n    level: debug\n    max_size: 10MB\n",
		`{"sinks": [{"type": "test", "headers": {"A": "${TOKEN}"}, "tags": ["x"], "buffer": {"batch_size": 5}}]}`,
		"level: ${TOKEN}\nsinks: [{type: test}]\n",
		"sinks:\n  - &a {type: test, url: \"http://[${TOKEN}\"}\n  - <<: *a\n    level: warn\n",
		"a: &a [x, x]\nb: &b [*a, *a]\nsinks: [{type: test, extra: *b}]\n",
		"sinks: [{type: test, flush_interval: 5s, mode: \"0640\", key: aGk=, count: 3, ratio: 1e3}]\n",
		"sinks: [{type: test, extra: $${TOKEN}, logger_name: ${UNSET:-x}}]\n",
		`{"sinks": [{"type": "test", "max_size": "${TOKEN}"}]`,
		"",
	} {
		f.Add([]byte(seed))
	}
	env := map[string]string{"TOKEN": fuzzSecret, "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	reg := &registry{m: map[string]buildFunc{"test": types.get("test")}}
	f.Fuzz(func(t *testing.T, doc []byte) {
		c, err := Parse(bytes.NewReader(doc))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error %T is not an *Error: %v", err, err)
			}
			return
		}
		again, err := Parse(bytes.NewReader(toJSON(t, c)))
		if err != nil {
			t.Fatalf("the JSON form of a parsed document does not parse: %v\n%s", err, toJSON(t, c))
		}
		if again.Level != c.Level || len(again.Sinks) != len(c.Sinks) {
			t.Fatalf("round trip changed the config: %+v != %+v", again, c)
		}
		for i := range c.Sinks {
			if again.Sinks[i].Type != c.Sinks[i].Type || !bytes.Equal(again.Sinks[i].Options, c.Sinks[i].Options) {
				t.Fatalf("round trip changed sink %d: %s != %s", i, again.Sinks[i].Options, c.Sinks[i].Options)
			}
		}
		t0, err := c.build(reg, lookup, &BuildOptions{})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Build error %T is not an *Error: %v", err, err)
			}
			if strings.Contains(err.Error(), fuzzSecret) {
				t.Fatalf("the error shows a variable's value: %v", err)
			}
			return
		}
		if err := multi.Shutdown(t.Context(), t0.Handler); err != nil {
			t.Fatal(err)
		}
	})
}

// toJSON writes c as a JSON document.
func toJSON(t *testing.T, c *Config) []byte {
	b := []byte(`{`)
	if c.Level != "" {
		b = append(b, `"level":`...)
		b = appendString(b, c.Level)
		b = append(b, ',')
	}
	b = append(b, `"sinks":[`...)
	for i, s := range c.Sinks {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":`...)
		b = appendString(b, s.Type)
		if opts := bytes.TrimSpace(s.Options); !bytes.Equal(opts, []byte("{}")) {
			b = append(b, ',')
			b = append(b, opts[1:len(opts)-1]...)
			b = append(b, '}')
		} else {
			b = append(b, '}')
		}
	}
	b = append(b, "]}"...)
	if !json.Valid(b) {
		t.Fatalf("toJSON wrote invalid JSON: %s", b)
	}
	return b
}

var _ = os.Getenv
