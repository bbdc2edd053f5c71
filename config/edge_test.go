package config

import (
	"encoding/json"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"testing"

	"github.com/jinpy-utils/multi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A document of 1 MiB that refers to a variable hundreds of thousands of
// times must not make Build expand it into hundreds of megabytes, nor
// make the redaction of the error that follows cost gigabytes.
func TestManyReferencesCostBoundedMemory(t *testing.T) {
	env := map[string]string{"V": strings.Repeat("abcdefghij", 25)}
	for name, doc := range map[string]string{
		// Expands to 60 MB.
		"huge expansion": `{"sinks":[{"type":"test","count":"x","logger_name":"` + strings.Repeat("${V}", 240_000) + `"}]}`,
		// Expands to less than 1 MiB, then fails: the error is redacted.
		"many uses then an error": `{"sinks":[{"type":"test","logger_name":"` + strings.Repeat("${V}", 3_500) + `","count":"x${V}"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := loadString(t, doc, env)
			runtime.ReadMemStats(&after)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "abcdefghij")
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "bytes allocated")
		})
	}
}

func TestReferencesExpandingPastTheLimitAreAnError(t *testing.T) {
	env := map[string]string{"V": strings.Repeat("x", 1000)}
	doc := `{"sinks":[{"type":"test","tags":["` + strings.Repeat("${V}", 1000) + `"` +
		strings.Repeat(`,"`+strings.Repeat("${V}", 1000)+`"`, 4) + `]}]}`
	_, err := loadString(t, doc, env)
	require.Error(t, err)
	assert.Equal(t, "config: line 1: sinks[0].tags[4]: environment variables expand the document by more than 4 MiB", err.Error())
}

// The builder sees a variable's invalid UTF-8 as U+FFFD; an error quoting
// what it saw must not show the rest of the value.
func TestErrorsHideValuesWithInvalidUTF8(t *testing.T) {
	env := map[string]string{"TOKEN": "secret\xffpart-abcdefgh"}
	_, err := loadString(t, "sinks: [{type: test, level: \"${TOKEN}\"}]\n", env)
	require.Error(t, err)
	assert.Equal(t, `config: line 1: sinks[0].level: "${TOKEN}" is not a level (trace, debug, info, warn, error, critical, or an offset like INFO+2)`, err.Error())
	for e := error(err); e != nil; e = errors.Unwrap(e) {
		assert.NotContains(t, e.Error(), "secret")
	}
}

// ${A:-${B}} is not supported: it must not quietly become the text "${B}".
func TestNestedReferenceIsAnError(t *testing.T) {
	for _, doc := range []string{
		"sinks: [{type: test, logger_name: \"${A:-${B}}\"}]\n",
		"sinks: [{type: test, logger_name: \"${A:-x${B}y}\"}]\n",
	} {
		_, err := Parse(strings.NewReader(doc))
		require.Error(t, err, doc)
		assert.Contains(t, err.Error(), "sinks[0].logger_name: ")
		assert.Contains(t, err.Error(), "a default cannot hold a ${ reference")
	}
	// A default with a '$' or a '{' alone is fine.
	h, err := loadString(t, "sinks: [{type: test, logger_name: \"${A:-$x{y}\"}]\n", nil)
	require.NoError(t, err)
	defer multi.Shutdown(t.Context(), h)
	assert.Equal(t, "$x{y", lastBuilt().opts.Name)
}

// The package doc says tags other than the standard ones are refused: on
// objects and lists too, not only on scalars.
func TestNonStandardTagsOnObjectsAndListsAreRefused(t *testing.T) {
	for doc, want := range map[string]string{
		"sinks: [{type: test, extra: !foo {a: 1}}]\n":  "config: line 1: sinks[0].extra: unsupported YAML tag !foo",
		"sinks: [{type: test, extra: !foo [1]}]\n":     "config: line 1: sinks[0].extra: unsupported YAML tag !foo",
		"sinks: [{type: test, extra: !!set {a}}]\n":    "config: line 1: sinks[0].extra: unsupported YAML tag !!set",
		"sinks: [{type: test, extra: !!str [1]}]\n":    "config: line 1: sinks[0].extra: unsupported YAML tag !!str",
		"sinks: [{type: test, extra: {!foo a: 1}}]\n":  "config: line 1: sinks[0].extra: unsupported YAML tag !foo",
		"sinks: !!omap [{type: test}]\n":               "config: line 1: sinks: unsupported YAML tag !!omap",
		"sinks: [{type: test, extra: !!map {a: 1}}]\n": "",
		"sinks: [{type: test, extra: !!seq [1]}]\n":    "",
		"sinks: [{type: test, extra: {!!str a: 1}}]\n": "",
	} {
		h, err := loadString(t, doc, nil)
		if want == "" {
			require.NoError(t, err, doc)
			multi.Shutdown(t.Context(), h)
			continue
		}
		require.Error(t, err, doc)
		assert.Equal(t, want, err.Error(), doc)
	}
}

// JSON has no NaN or infinity and YAML's .nan and .inf are refused; the
// same values written as strings must be refused too.
func TestNonFiniteNumbersFromStringsAreRefused(t *testing.T) {
	for _, v := range []string{"NaN", "nan", "inf", "+Inf", "-infinity"} {
		_, err := loadString(t, "sinks: [{type: test, ratio: \""+v+"\"}]\n", nil)
		require.Error(t, err, v)
		assert.Equal(t, `config: line 1: sinks[0].ratio: "`+v+`" is not a finite number`, err.Error())
	}
	// The http sink would take a NaN multiplier and jitter.
	_, err := loadString(t, "sinks: [{type: http, url: \"http://127.0.0.1:1/\", retry: {multiplier: NaN}}]\n", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sinks[0].retry.multiplier: ")
}

// Two fields whose snake_case forms are the same (Url and URL both give
// "url") must not have the key decided by map iteration order: each Go name
// sets its own field, and the shared snake_case key is refused (always
// suggesting the same one).
func TestDecodeSharedSnakeCaseKeyIsNotRandom(t *testing.T) {
	type opts struct {
		Url string
		URL string
	}
	type tagged struct {
		Name  string
		Label string `config:"name"`
	}
	for range 50 {
		fieldCache.Clear() // fieldsOf again, with another map order
		var o opts
		require.NoError(t, Decode([]byte(`{"Url": "a", "URL": "b"}`), &o))
		assert.Equal(t, opts{Url: "a", URL: "b"}, o)
		assert.EqualError(t, Decode([]byte(`{"url": "x"}`), &o), `config: url: unknown field; did you mean URL?`)

		// A tag names its field, whatever snake_case form another has.
		var g tagged
		require.NoError(t, Decode([]byte(`{"name": "x", "Name": "y"}`), &g))
		assert.Equal(t, tagged{Name: "y", Label: "x"}, g)
	}
}

// A builder that returns a handler with its error has its handler shut
// down with the others, not leaked.
func TestBuildShutsDownAHandlerReturnedWithAnError(t *testing.T) {
	half := &recorder{}
	reg := &registry{m: map[string]buildFunc{}}
	reg.add("half", func(json.RawMessage) (slog.Handler, error) { return half, errString("half built") })
	c, err := Parse(strings.NewReader(`{"sinks": [{"type": "half"}]}`))
	require.NoError(t, err)
	_, err = c.build(reg, func(string) (string, bool) { return "", false }, &BuildOptions{})
	require.ErrorContains(t, err, "half built")
	assert.Equal(t, int32(1), half.shut.Load(), "the handler returned with the error was not shut down")
}
