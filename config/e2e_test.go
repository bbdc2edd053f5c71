package config

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jinpy-utils/multi"
)

// collector is a loopback HTTP server that keeps the NDJSON records it is
// sent and the Authorization header of the last request.
type collector struct {
	mu    sync.Mutex
	recs  []map[string]any
	auth  string
	ctype string
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.auth, c.ctype = r.Header.Get("Authorization"), r.Header.Get("Content-Type")
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.recs = append(c.recs, m)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (c *collector) records() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]any(nil), c.recs...)
}

// wsServer is a plain coder/websocket server that keeps the messages it
// reads.
type wsServer struct {
	mu   sync.Mutex
	msgs [][]byte
}

func (s *wsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	for {
		_, data, err := c.Read(r.Context())
		if err != nil {
			return
		}
		s.mu.Lock()
		s.msgs = append(s.msgs, data)
		s.mu.Unlock()
	}
}

// records returns the records of every log_batch message received.
func (s *wsServer) records(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var recs []map[string]any
	for _, m := range s.msgs {
		var batch struct {
			Type  string
			Count int
			Logs  []map[string]any
		}
		require.NoError(t, json.Unmarshal(m, &batch), "%s", m)
		require.Equal(t, "log_batch", batch.Type)
		require.Equal(t, batch.Count, len(batch.Logs))
		recs = append(recs, batch.Logs...)
	}
	return recs
}

// eventually polls cond until it is true or 10 seconds have passed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
}

// swapStd replaces *std (os.Stdout or os.Stderr) with a temporary file
// until the test ends, and returns a function that reads what was written.
func swapStd(t *testing.T, std **os.File) func() string {
	f, err := os.CreateTemp(t.TempDir(), "std")
	require.NoError(t, err)
	old := *std
	*std = f
	t.Cleanup(func() { *std = old; f.Close() })
	return func() string {
		b, err := os.ReadFile(f.Name())
		require.NoError(t, err)
		return string(b)
	}
}

func msgs(recs []map[string]any) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r["level"].(string)+" "+r["msg"].(string))
	}
	return out
}

// The sample document, with every built-in type, against a real file,
// HTTP collector and WebSocket server on loopback.
func TestExampleDocumentDeliversToEverySink(t *testing.T) {
	col := &collector{}
	httpSrv := httptest.NewServer(col)
	defer httpSrv.Close()
	ws := &wsServer{}
	wsSrv := httptest.NewServer(ws)
	defer wsSrv.Close()
	dir := t.TempDir()
	t.Setenv("QUICKSTART_LOG_DIR", dir)
	t.Setenv("QUICKSTART_HTTP_URL", httpSrv.URL+"/logs")
	t.Setenv("QUICKSTART_WS_URL", "ws"+strings.TrimPrefix(wsSrv.URL, "http")+"/ws")
	t.Setenv("QUICKSTART_TOKEN", "t0ken-from-env")
	stderr := swapStd(t, &os.Stderr)

	h, err := LoadFile("testdata/example.yaml")
	require.NoError(t, err)
	log := slog.New(h).With("app", "quickstart")
	log.Log(t.Context(), multi.LevelTrace, "tracing", "n", 1)
	log.Debug("debugging", "n", 2)
	log.Info("serving", "n", 3)
	log.Warn("slow", "n", 4)

	require.NoError(t, multi.Flush(t.Context(), h))
	eventually(t, "2 records at the collector", func() bool { return len(col.records()) == 2 })
	eventually(t, "1 record on the websocket", func() bool { return len(ws.records(t)) == 1 })
	require.NoError(t, multi.Shutdown(t.Context(), h))

	assert.Equal(t, []string{"INFO serving", "WARN slow"}, msgs(col.records()))
	assert.Equal(t, "Bearer t0ken-from-env", col.auth)
	assert.Equal(t, "application/x-ndjson", col.ctype)
	assert.Equal(t, map[string]any{"app": "quickstart", "n": 3.0}, map[string]any{"app": col.records()[0]["app"], "n": col.records()[0]["n"]})
	assert.Equal(t, []string{"WARN slow"}, msgs(ws.records(t)))

	data, err := os.ReadFile(filepath.Join(dir, "quickstart.log"))
	require.NoError(t, err)
	var fileRecs []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		fileRecs = append(fileRecs, m)
	}
	assert.Equal(t, []string{"DEBUG debugging", "INFO serving", "WARN slow"}, msgs(fileRecs))

	lines := strings.Split(strings.TrimSuffix(stderr(), "\n"), "\n")
	want := []string{
		`[TRACE] tracing {"app":"quickstart","n":1}`,
		`[DEBUG] debugging {"app":"quickstart","n":2}`,
		`[INFO] serving {"app":"quickstart","n":3}`,
		`[WARN] slow {"app":"quickstart","n":4}`,
	}
	require.Len(t, lines, len(want), "%q", lines)
	clock := regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} `)
	for i, l := range lines {
		assert.Regexp(t, clock, l)
		assert.Equal(t, want[i], clock.ReplaceAllString(l, ""))
	}
}
