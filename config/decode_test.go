package config

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/format"
)

func TestDecodeEveryKind(t *testing.T) {
	const doc = `
sinks:
  - type: test
    level: warning
    min_level: INFO+2
    format: Console
    on_full: drop-oldest
    max_size: 1.5GiB
    batch_bytes: 64KiB
    BatchSize: 100
    small: "-8"
    count: 65535
    flush_interval: 1m30s
    headers:
      Authorization: Bearer abc
      X-Empty: ""
    header:
      accept: text/plain
      Via: [a, b]
      x-api-key: k
    tags: one
    pair: [1, 2]
    mode: "0640"
    compress: "true"
    ratio: 0.25
    key: aGVsbG8=
    url: http://example.com/x
    logger_name: app
    extra: {a: [1, "b", true, null]}
    buffer: {batch_size: 10, on_full: DropNewest, flush_interval: 250ms, queue_bytes: 64MiB}
    nested: {depth: 3}
    inner: promoted
    error_handler: null
`
	h, err := loadString(t, doc, nil)
	require.NoError(t, err)
	defer multi.Shutdown(t.Context(), h)
	o := lastBuilt().opts
	assert.Equal(t, slog.LevelWarn, o.Level)
	assert.Equal(t, slog.LevelInfo+2, o.MinLevel)
	assert.Equal(t, format.Console, o.Format)
	assert.Equal(t, buffer.DropOldest, o.OnFull)
	assert.Equal(t, int64(3<<29), o.MaxSize)
	assert.Equal(t, 64<<10, o.BatchBytes)
	assert.Equal(t, 100, o.BatchSize)
	assert.Equal(t, int8(-8), o.Small)
	assert.Equal(t, uint16(65535), o.Count)
	assert.Equal(t, 90*time.Second, o.FlushInterval)
	assert.Equal(t, map[string]string{"Authorization": "Bearer abc", "X-Empty": ""}, o.Headers)
	assert.Equal(t, http.Header{"Accept": {"text/plain"}, "Via": {"a", "b"}, "X-Api-Key": {"k"}}, o.Header)
	assert.Equal(t, []string{"one"}, o.Tags)
	assert.Equal(t, [2]int{1, 2}, o.Pair)
	assert.Equal(t, "-rw-r-----", o.Mode.String())
	assert.True(t, o.Compress)
	assert.Equal(t, 0.25, o.Ratio)
	assert.Equal(t, []byte("hello"), o.Key)
	assert.Equal(t, "http://example.com/x", o.URL)
	assert.Equal(t, "app", o.Name)
	assert.Equal(t, map[string]any{"a": []any{1.0, "b", true, nil}}, o.Extra)
	assert.Equal(t, &buffer.Options{BatchSize: 10, OnFull: buffer.DropNewest, FlushInterval: 250 * time.Millisecond, QueueBytes: 64 << 20}, o.Buffer)
	assert.Equal(t, 3, o.Nested.Depth)
	assert.Equal(t, "promoted", o.Inner)
	assert.Nil(t, o.ErrorHandler)
}

func TestDecodeGoNamesAndLevelNumbers(t *testing.T) {
	var o testOptions
	require.NoError(t, Decode([]byte(`{"Level": -8, "MaxSize": 100, "URL": "u", "Name": "n", "Inner": "i"}`), &o))
	assert.Equal(t, multi.LevelTrace, o.Level)
	assert.Equal(t, int64(100), o.MaxSize)
	assert.Equal(t, "u", o.URL)
	assert.Equal(t, "n", o.Name)
	assert.Equal(t, "i", o.Inner)
}

// The network sinks' queue bytes are a size, like their batch bytes and
// the spool's max bytes, and the queue's size a count: one spelling for
// every network sink, under queue:, retry: and spool:.
func TestDecodeSinkQueueBounds(t *testing.T) {
	var h httpSink
	require.NoError(t, Decode([]byte(`{"url": "http://h/", "queue": {"bytes": "64MB", "size": 500, "batch_bytes": "1MiB"}, "spool": {"dir": "/d", "max_bytes": "1GiB"}, "retry": {"max": 3, "initial_interval": "2s"}}`), &h))
	assert.Equal(t, 64_000_000, h.Queue.Bytes)
	assert.Equal(t, 500, h.Queue.Size)
	assert.Equal(t, 1<<20, h.Queue.BatchBytes)
	assert.Equal(t, int64(1<<30), h.Spool.MaxBytes)
	assert.Equal(t, "/d", h.Spool.Dir)
	assert.Equal(t, 3, h.Retry.Max)
	assert.Equal(t, 2*time.Second, h.Retry.InitialInterval)
	var w wsSink
	require.NoError(t, Decode([]byte(`{"url": "ws://h/", "Queue": {"Bytes": "16KiB"}}`), &w))
	assert.Equal(t, 16<<10, w.Queue.Bytes)
	require.NoError(t, Decode([]byte(`{"url": "ws://h/", "queue": {"bytes": 4096}, "reconnect": {"max_interval": "1m"}}`), &w))
	assert.Equal(t, 4096, w.Queue.Bytes)
	assert.Equal(t, time.Minute, w.Reconnect.MaxInterval)
	err := Decode([]byte(`{"url": "ws://h/", "queue": {"size": "10KB"}}`), &w)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `queue.size: "10KB" is not an integer`)
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`{"max_size": "10XB"}`, `config: max_size: "10XB" is not a size`},
		{`{"max_size": "100M"}`, `config: max_size: "100M" is not a size`},
		{`{"max_size": "99999999999TB"}`, `config: max_size: "99999999999TB" is too large a size`},
		{`{"max_size": true}`, `config: max_size: want an integer, got a bool`},
		{`{"batch_size": "1KB"}`, `config: batch_size: "1KB" is not an integer`},
		{`{"batch_size": 1.5}`, `config: batch_size: 1.5 is not an integer`},
		{`{"small": 300}`, `config: small: 300 is out of range for int8`},
		{`{"count": -1}`, `config: count: -1 is not a non-negative integer`},
		{`{"count": 70000}`, `config: count: 70000 is out of range for uint16`},
		{`{"level": "loud"}`, `config: level: "loud" is not a level (trace, debug, info, warn, error, critical, or an offset like INFO+2)`},
		{`{"level": [1]}`, `config: level: want a level, got a list`},
		{`{"min_level": "INFO+x"}`, `config: min_level: "INFO+x" is not a level (trace, debug, info, warn, error, critical, or an offset like INFO+2)`},
		{`{"flush_interval": 5}`, `config: flush_interval: want a duration like "5s", got a number`},
		{`{"flush_interval": "5 sec"}`, `config: flush_interval: "5 sec" is not a duration (like 500ms, 5s or 1m30s)`},
		{`{"format": "xml"}`, `config: format: format: parse "xml": not one of json, text, plain, structured, console`},
		{`{"on_full": "panic"}`, `config: on_full: buffer: policy "panic" is not one of auto, block, drop-newest, drop-oldest, divert`},
		{`{"mode": 640}`, `config: mode: want a string like "0640", got a number`},
		{`{"mode": "0999"}`, `config: mode: "0999" is not a file mode (octal, like "0640")`},
		{`{"compress": "yes"}`, `config: compress: "yes" is not a bool (true or false)`},
		{`{"ratio": "x"}`, `config: ratio: "x" is not a number`},
		{`{"key": "not base64!"}`, `config: key: not valid base64`},
		{`{"url": 5}`, `config: url: want a string, got a number`},
		{`{"headers": ["a"]}`, `config: headers: want an object, got a list`},
		{`{"headers": {"X-Id": 5}}`, `config: headers.X-Id: want a string, got a number`},
		{`{"headers": {"a b": 5}}`, `config: headers["a b"]: want a string, got a number`},
		{`{"header": {"X-Id": "1", "x-id": "2"}}`, `config: header.x-id: is the same header as X-Id`},
		{`{"tags": ["a", 1]}`, `config: tags[1]: want a string, got a number`},
		{`{"tags": {"a": 1}}`, `config: tags: want a list, got an object`},
		{`{"pair": [1]}`, `config: pair: want a list of 2, got 1`},
		{`{"buffer": {"batch_sise": 1}}`, `config: buffer.batch_sise: unknown field; did you mean batch_size?`},
		{`{"buffer": {"on_full": "divert", "overflow": null, "on_drop": 1}}`, `config: buffer.on_drop: func(int, error) cannot be set from a document; set it in Go`},
		{`{"nested": 1}`, `config: nested: want an object, got a number`},
		{`{"max_sise": 1}`, `config: max_sise: unknown field; did you mean max_size?`},
		{`{"MAX_SIZE": 1}`, `config: MAX_SIZE: unknown field; did you mean max_size?`},
		{`{"colour": 1}`, `config: colour: unknown field`},
		{`{"hidden": "x"}`, `config: hidden: unknown field`},
		{`{"Hidden": "x"}`, `config: Hidden: unknown field`},
		{`{"name": "x"}`, `config: name: unknown field`},
		{`{"max_size": 1, "MaxSize": 2}`, `config: MaxSize: sets the same field as max_size`},
		{`{"error_handler": "log"}`, `config: error_handler: func(error) cannot be set from a document; set it in Go`},
		{`{"replace_attr": {}}`, `config: replace_attr: func([]string, slog.Attr) slog.Attr cannot be set from a document; set it in Go`},
		{`{"client": {"timeout": "5s"}}`, `config: client: *http.Client cannot be set from a document; set it in Go`},
		{`{"done": 1}`, `config: done: chan struct {} cannot be set from a document; set it in Go`},
		{`{"sink": "x"}`, `config: sink: slog.Handler cannot be set from a document; set it in Go`},
		{`[1]`, `config: want an object, got a list`},
		{`{"a": `, `config: unexpected end of document`},
		{`{"a": 1}}`, `config: unexpected data after the document`},
		{`{"a": 1, "a": 2}`, `config: duplicate key "a"`},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			var o testOptions
			err := Decode([]byte(tc.raw), &o)
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
			var e *Error
			assert.ErrorAs(t, err, &e)
		})
	}
}

func TestDecodeNeedsAPointer(t *testing.T) {
	var o testOptions
	assert.EqualError(t, Decode([]byte(`{}`), o), "config: Decode needs a non-nil pointer, not config.testOptions")
	assert.EqualError(t, Decode([]byte(`{}`), (*testOptions)(nil)), "config: Decode needs a non-nil pointer, not *config.testOptions")
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"MaxSize": "max_size", "URL": "url", "TLSConfig": "tls_config", "CACertFile": "ca_cert_file",
		"OnFull": "on_full", "Base64Key": "base64_key", "HTTP2": "http2", "UserID": "user_id",
		"Level": "level", "X": "x", "ClientCertFile": "client_cert_file",
	} {
		assert.Equal(t, want, snake(in), in)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1048576": 1 << 20, "100MB": 100e6, "100 mb": 100e6, "64KiB": 64 << 10, "64kib": 64 << 10,
		"1.5GiB": 3 << 29, "0.5KB": 500, "1.0005KB": 1000, "7B": 7, "2TiB": 2 << 40, " 3GB ": 3e9,
		"9223372036854775807": 1<<63 - 1, "1.9B": 1, "0.5 b": 0, "8388607.99TiB": 8388607<<40 + 1088516511498,
	} {
		got, err := ParseSize(in)
		if assert.NoError(t, err, in) {
			assert.Equal(t, want, got, in)
		}
	}
	for _, in := range []string{"", "10XB", "100M", "-1", "1.5", "1.", ".5MB", "1..5MB", "MB", "1e3", "9223372036854775808", "8388608TiB", "1 000"} {
		_, err := ParseSize(in)
		assert.Error(t, err, in)
	}
}

type Inner struct{ Depth int }

type shadow struct{ Name string }

type withPointers struct {
	*Inner        // promoted through a nil pointer: allocated on first use
	Name   string // shadows shadow.Name
	shadow
	Level *slog.Level
}

func TestDecodeEmbeddedPointersAndShadowing(t *testing.T) {
	var o withPointers
	require.NoError(t, Decode([]byte(`{"depth": 3, "name": "outer", "level": "warn"}`), &o))
	require.NotNil(t, o.Inner)
	assert.Equal(t, 3, o.Depth)
	assert.Equal(t, "outer", o.Name)
	assert.Equal(t, "", o.shadow.Name)
	assert.Equal(t, slog.LevelWarn, *o.Level)

	var empty withPointers
	require.NoError(t, Decode([]byte(`{}`), &empty))
	assert.Nil(t, empty.Inner, "nothing allocated when no key needs it")
}

type A struct{ Name string }
type B struct{ Name string }

// As in Go, two promoted fields of one name at the same depth hide each
// other: the key names neither.
func TestDecodeAmbiguousPromotedField(t *testing.T) {
	var o struct {
		A
		B
	}
	assert.EqualError(t, Decode([]byte(`{"name": "x"}`), &o), `config: name: unknown field`)
}
