package config

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/file"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every rotation option of the file sink has its snake_case name: sizes
// as sizes, durations as durations, the compression by name.
func TestDecodeFileRotationOptions(t *testing.T) {
	var o fileSink
	require.NoError(t, Decode([]byte(`{"path": "a.log", "max_size": "100MiB", "max_total_size": "1GiB",
		"max_backups": 10, "max_age": "168h", "compression": "zstd", "rotate_every": "15m",
		"rotate_at": ["6h", "18h30m"], "link": "current.log", "local_time": true}`), &o))
	assert.Equal(t, int64(100<<20), o.MaxSize)
	assert.Equal(t, int64(1<<30), o.MaxTotalSize)
	assert.Equal(t, 10, o.MaxBackups)
	assert.Equal(t, 168*time.Hour, o.MaxAge)
	assert.Equal(t, file.Zstd, o.Compression)
	assert.Equal(t, 15*time.Minute, o.RotateEvery)
	assert.Equal(t, []time.Duration{6 * time.Hour, 18*time.Hour + 30*time.Minute}, o.RotateAt)
	assert.Equal(t, "current.log", o.Link)
	assert.True(t, o.LocalTime)
	var g fileSink
	require.NoError(t, Decode([]byte(`{"path": "a.log", "compress": true}`), &g))
	assert.True(t, g.Compress, "the earlier spelling of compression: gzip")
}

// A document builds a file sink with them, and the sink's own checks name
// the Go field.
func TestFileSinkFromADocument(t *testing.T) {
	dir := t.TempDir()
	doc := "sinks:\n  - type: file\n    path: " + dir + "/app.log\n    rotate_every: 1h\n    compression: zstd\n" +
		"    max_total_size: 1GB\n    link: " + dir + "/current.log\n"
	h, err := loadString(t, doc, nil)
	require.NoError(t, err)
	require.NoError(t, h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "hi", 0)))
	if s, ok := h.(interface{ Shutdown(context.Context) error }); ok {
		require.NoError(t, s.Shutdown(context.Background()))
	}
	target, err := os.Readlink(filepath.Join(dir, "current.log"))
	require.NoError(t, err)
	assert.Equal(t, "app.log", target)

	for _, tc := range []struct{ doc, want string }{
		{"compression: zip\n", `file: option Compression is "zip": write "gzip", "zstd" or "" (none)`},
		{"rotate_every: 7h\n", "file: option RotateEvery is 7h0m0s: must be whole minutes that divide a day"},
		{"rotate_at: [25h]\n", "file: option RotateAt holds 25h0m0s"},
		{"on_rotate: x\n", "on_rotate: func(string) cannot be set from a document; set it in Go"},
	} {
		_, err := loadString(t, "sinks:\n  - type: file\n    path: "+dir+"/b.log\n    "+tc.doc, nil)
		require.Error(t, err, tc.doc)
		assert.Contains(t, err.Error(), tc.want)
	}
}
