package config

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/file"
)

// waitGoroutines polls until no more than n goroutines run, and fails the
// test with a dump of them if that does not happen within 10 seconds.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines still running, want %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond) // polling interval, not a wait for an event
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// When a later sink fails, the real sinks built before it are shut down:
// their goroutines stop and the file is released.
func TestFailedLoadLeavesNothingRunning(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	addr := closedPort(t)
	before := runtime.NumGoroutine()
	doc := `
sinks:
  - type: file
    path: ` + path + `
    flush_interval: 10ms
  - type: http
    url: http://` + addr + `/logs
  - type: websocket
    url: ws://` + addr + `/ws
    reconnect: {initial_interval: 10ms}
  - type: test
    level: nope
`
	_, err := Load(strings.NewReader(doc))
	require.EqualError(t, err, `config: line 12: sinks[3].level: "nope" is not a level (trace, debug, info, warn, error, critical, or an offset like INFO+2)`)
	waitGoroutines(t, before)

	// The file is no longer open: a handler with other options may open it,
	// which file.New refuses while another handler has it.
	h, err := file.New(path, &file.Options{MaxSize: 1 << 20})
	require.NoError(t, err)
	require.NoError(t, h.Shutdown(t.Context()))
	_, err = os.Stat(path)
	assert.NoError(t, err)
}

// A loaded tree's Shutdown stops every goroutine its sinks started.
func TestShutdownStopsEverySink(t *testing.T) {
	dir := t.TempDir()
	addr := closedPort(t)
	before := runtime.NumGoroutine()
	h, err := Load(strings.NewReader(`
sinks:
  - type: file
    path: ` + filepath.Join(dir, "app.log") + `
  - type: http
    url: http://` + addr + `/logs
    queue: {on_full: drop-newest}
  - type: websocket
    url: ws://` + addr + `/ws
    queue: {on_full: drop-newest}
`))
	require.NoError(t, err)
	assert.Greater(t, runtime.NumGoroutine(), before)
	require.NoError(t, multi.Shutdown(t.Context(), h))
	waitGoroutines(t, before)
}
