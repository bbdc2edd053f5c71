package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The errors of the built-in types, with the exact text a user sees.
func TestBuiltinTypeErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, doc, want string }{
		{"file without path", "sinks:\n  - type: file\n    max_size: 1MB\n",
			`config: line 2: sinks[0].path: missing: the file to write`},
		{"file bad size", "sinks:\n  - type: file\n    path: " + dir + "/a.log\n    max_size: 10XB\n",
			`config: line 4: sinks[0].max_size: "10XB" is not a size`},
		{"file buffer size", "sinks:\n  - type: file\n    path: " + dir + "/a.log\n    buffer_size: 1 KB\n    max_backups: 2KB\n",
			`config: line 5: sinks[0].max_backups: "2KB" is not an integer`},
		{"file mode number", "sinks:\n  - type: file\n    path: " + dir + "/a.log\n    mode: 0640\n",
			`config: line 4: sinks[0].mode: want a string like "0640", got a number`},
		{"file error handler", "sinks:\n  - type: file\n    path: " + dir + "/a.log\n    error_handler: log\n",
			`config: line 4: sinks[0].error_handler: func(error) cannot be set from a document; set it in Go`},
		{"file replace attr", "sinks:\n  - type: file\n    path: " + dir + "/a.log\n    ReplaceAttr: x\n",
			`config: line 4: sinks[0].ReplaceAttr: func([]string, slog.Attr) slog.Attr cannot be set from a document; set it in Go`},
		{"http without url", "sinks:\n  - type: http\n", `config: line 2: sinks[0].url: missing: the collector's URL`},
		{"http encoding", "sinks:\n  - type: http\n    url: http://127.0.0.1:1/\n    encoding: xml\n",
			`config: line 4: sinks[0].encoding: httpsink: encoding "xml" is not one of envelope, ndjson, elasticsearch-bulk, loki`},
		{"http backoff", "sinks:\n  - type: http\n    url: http://127.0.0.1:1/\n    retry:\n      initial_interval: soon\n",
			`config: line 5: sinks[0].retry.initial_interval: "soon" is not a duration (like 500ms, 5s or 1m30s)`},
		{"http token func", "sinks:\n  - type: http\n    url: http://127.0.0.1:1/\n    token_func: x\n",
			`config: line 4: sinks[0].token_func: func(context.Context) (string, error) cannot be set from a document; set it in Go`},
		{"http client", "sinks:\n  - type: http\n    url: http://127.0.0.1:1/\n    client: {timeout: 5s}\n",
			`config: line 4: sinks[0].client: *http.Client cannot be set from a document; set it in Go`},
		{"http key", "sinks:\n  - type: http\n    url: http://127.0.0.1:1/\n    encryption_key: c2hvcnQ=\n",
			`config: line 2: sinks[0]: httpsink: Options.EncryptionKey is 5 bytes: AES-256-GCM needs 32`},
		{"websocket without url", "sinks:\n  - type: websocket\n", `config: line 2: sinks[0].url: missing: the server's ws:// or wss:// URL`},
		{"websocket mode", "sinks:\n  - type: websocket\n    url: ws://127.0.0.1:1/\n    mode: stream\n",
			`config: line 4: sinks[0].mode: wssink: mode "stream" is not batch or record`},
		{"websocket message size", "sinks:\n  - type: websocket\n    url: ws://127.0.0.1:1/\n    max_message_size: 10 parsecs\n",
			`config: line 4: sinks[0].max_message_size: "10 parsecs" is not a size`},
		{"http queue bytes", "sinks:\n  - type: http\n    url: http://127.0.0.1:1/\n    queue:\n      bytes: 64 parsecs\n",
			`config: line 5: sinks[0].queue.bytes: "64 parsecs" is not a size`},
		{"websocket negative queue bytes", "sinks:\n  - type: websocket\n    url: ws://127.0.0.1:1/\n    queue: {bytes: -1}\n",
			`config: line 2: sinks[0]: wssink: Options.Queue.Bytes is -1: must not be negative (0 means 64 MiB)`},
		{"websocket scheme", "sinks:\n  - type: websocket\n    url: http://127.0.0.1:1/\n",
			`config: line 2: sinks[0]: wssink: url "http://127.0.0.1:1/": scheme must be ws or wss`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := loadString(t, tc.doc, nil)
			require.Error(t, err)
			assert.Nil(t, h)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}
