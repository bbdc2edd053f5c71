package httpsink

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/delivery"
	"go/build"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// victoriaLogs is a VictoriaLogs server the test started on a free
// loopback port with a temporary -storageDataPath.
type victoriaLogs struct {
	base string // http://127.0.0.1:port
	out  *syncBuffer
}

// victoriaLogsBinary finds the victoria-logs binary: on PATH, then in
// GOPATH/bin. Without it the test skips, or fails when CI is set
// (scripts/victorialogs.sh installs it).
func victoriaLogsBinary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("victoria-logs"); err == nil {
		return p
	}
	for _, dir := range filepath.SplitList(build.Default.GOPATH) {
		p := filepath.Join(dir, "bin", "victoria-logs")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	msg := "victoria-logs is not installed (on PATH or in GOPATH/bin): run scripts/victorialogs.sh"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// syncBuffer is the server's output. Not an embedded bytes.Buffer: its
// ReadFrom, which os/exec would use, would bypass the lock.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startVictoriaLogs(t testing.TB) *victoriaLogs {
	t.Helper()
	v, stop, err := launchVictoriaLogs(victoriaLogsBinary(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return v
}

// launchVictoriaLogs starts bin on a free loopback port with data in dir
// and waits for /health; stop ends it.
func launchVictoriaLogs(bin, dir string) (v *victoriaLogs, stop func(), err error) {
	addr, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	out := new(syncBuffer)
	cmd := exec.Command(bin, "-httpListenAddr="+addr, "-storageDataPath="+dir,
		"-loggerLevel=ERROR", "-retentionPeriod=10y")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop = func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	v = &victoriaLogs{base: "http://" + addr, out: out}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(v.base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return v, stop, nil
			}
		}
		select {
		case <-done:
			return nil, nil, fmt.Errorf("victoria-logs exited:\n%s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, fmt.Errorf("victoria-logs did not answer /health in 30s:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// flush makes what was ingested searchable.
func (v *victoriaLogs) flush(t testing.TB) {
	t.Helper()
	resp, err := http.Post(v.base+"/internal/force_flush", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("force_flush: %s", resp.Status)
	}
}

// query runs a LogsQL query and returns its result rows.
func (v *victoriaLogs) query(t testing.TB, q string) []map[string]string {
	t.Helper()
	resp, err := http.PostForm(v.base+"/select/logsql/query", url.Values{"query": {q}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("query %q: %s: %s", q, resp.Status, b)
	}
	var rows []map[string]string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var row map[string]string
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("query %q: row %q: %v", q, sc.Bytes(), err)
		}
		rows = append(rows, row)
	}
	return rows
}

func (v *victoriaLogs) count(t testing.TB, filter string) int {
	t.Helper()
	rows := v.query(t, filter+" | stats count() c")
	if len(rows) != 1 {
		t.Fatalf("count of %q: %d rows", filter, len(rows))
	}
	n, err := strconv.Atoi(rows[0]["c"])
	if err != nil {
		t.Fatalf("count of %q: %v", filter, rows[0])
	}
	return n
}

// victoriaLogsURL is the ingestion URL for an encoding, with the query
// args that name slog's fields.
func victoriaLogsURL(base string, enc Encoding) string {
	switch enc {
	case NDJSON:
		return base + "/insert/jsonline?_msg_field=msg&_time_field=time&_stream_fields=enc"
	case ElasticsearchBulk:
		return base + "/insert/elasticsearch/_bulk?_msg_field=msg&_time_field=time&_stream_fields=enc"
	case Loki:
		// The entry's timestamp is the time; the JSON line becomes fields.
		return base + "/insert/loki/api/v1/push?_msg_field=msg"
	}
	panic(enc)
}

// TestVictoriaLogsEndToEnd ships 100,000 records through each of NDJSON,
// Elasticsearch bulk and Loki to a real VictoriaLogs and counts them there
// with LogsQL: exactly 100,000 each, with message, level and attributes
// intact.
func TestVictoriaLogsEndToEnd(t *testing.T) {
	const n = 100_000
	v := startVictoriaLogs(t)
	levels := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}
	for _, enc := range []Encoding{NDJSON, ElasticsearchBulk, Loki} {
		// gzip costs most under the race detector: there only NDJSON has it.
		o := &Options{Encoding: enc, Compress: enc == NDJSON || !raceEnabled, Level: slog.LevelDebug, Queue: delivery.Queue{BatchSize: 4096, BatchBytes: 4 << 20, Size: 32768, OnFull: buffer.Block},
			Name: "e2e", Source: "httpsink-test",
			// A burst faster than the collector: wait for it rather than
			// drop (the default), since this test counts every record.
		}
		if enc == Loki {
			o.Labels = []string{"enc"}
		}
		h, err := New(victoriaLogsURL(v.base, enc), o)
		if err != nil {
			t.Fatal(err)
		}
		l := slog.New(h).With("enc", enc.String())
		ctx := context.Background()
		start := time.Now()
		for i := range n {
			l.Log(ctx, levels[i%4], "e2e message", "seq", i, "user", "u"+strconv.Itoa(i%97),
				slog.Group("req", slog.String("method", "GET"), slog.Int("bytes", i*3)))
		}
		if err := h.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		st := h.Stats()
		t.Logf("%s: %d records in %v, stats %+v", enc, n, time.Since(start).Round(time.Millisecond), st)
		if st.Written != n || st.Dropped != 0 || st.Failed != 0 {
			t.Fatalf("%s: stats %+v", enc, st)
		}
	}
	v.flush(t)
	for _, enc := range []Encoding{NDJSON, ElasticsearchBulk, Loki} {
		filter := "enc:=" + strconv.Quote(enc.String())
		if got := v.count(t, filter); got != n {
			t.Errorf("%s: VictoriaLogs counts %d records, want %d", enc, got, n)
		}
		for _, seq := range []int{0, 4242, n - 1} {
			rows := v.query(t, fmt.Sprintf("%s seq:=%d", filter, seq))
			if len(rows) != 1 {
				t.Fatalf("%s: %d rows for seq %d", enc, len(rows), seq)
			}
			r := rows[0]
			want := map[string]string{
				"_msg":       "e2e message",
				"level":      []string{"DEBUG", "INFO", "WARN", "ERROR"}[seq%4],
				"logger":     "e2e",
				"user":       "u" + strconv.Itoa(seq%97),
				"req.method": "GET",
				"req.bytes":  strconv.Itoa(seq * 3),
				"enc":        enc.String(),
				"seq":        strconv.Itoa(seq),
			}
			for k, w := range want {
				if r[k] != w {
					t.Errorf("%s: seq %d: field %q = %q, want %q (row %v)", enc, seq, k, r[k], w, r)
				}
			}
			if ts, err := time.Parse(time.RFC3339Nano, r["_time"]); err != nil || time.Since(ts) > time.Hour || time.Since(ts) < 0 {
				t.Errorf("%s: seq %d: _time %q is not the record's time", enc, seq, r["_time"])
			}
		}
	}
	if strings.Contains(v.out.String(), "panic") {
		t.Fatalf("victoria-logs:\n%s", v.out.String())
	}
}
