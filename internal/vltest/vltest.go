// Package vltest starts a real VictoriaLogs for tests, on a free loopback
// port with its own data directory, and queries it with LogsQL. It is
// used by tests only; scripts/victorialogs.sh installs the binary.
package vltest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/build"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Server is a VictoriaLogs server the test started on a free
// loopback port with a temporary -storageDataPath.
type Server struct {
	Base string // http://127.0.0.1:port
	out  *syncBuffer
}

// Binary finds the victoria-logs binary: on PATH, then in
// GOPATH/bin. Without it the test skips, or fails when CI is set
// (scripts/victorialogs.sh installs it).
func Binary(t testing.TB) string {
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

// Start starts a server for t, stopped when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	v, stop, err := Launch(Binary(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return v
}

// Launch starts bin on a free loopback port with data in dir
// and waits for /health; stop ends it.
func Launch(bin, dir string) (v *Server, stop func(), err error) {
	addr, err := FreePort()
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
	v = &Server{Base: "http://" + addr, out: out}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(v.Base + "/health")
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

// FreePort returns a loopback address no one listens on now.
func FreePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Flush makes what was ingested searchable.
func (v *Server) Flush(t testing.TB) {
	t.Helper()
	resp, err := http.Post(v.Base+"/internal/force_flush", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("force_flush: %s", resp.Status)
	}
}

// Query runs a LogsQL query and returns its result rows.
func (v *Server) Query(t testing.TB, q string) []map[string]string {
	t.Helper()
	resp, err := http.PostForm(v.Base+"/select/logsql/query", url.Values{"query": {q}})
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

// Count returns how many records filter matches.
func (v *Server) Count(t testing.TB, filter string) int {
	t.Helper()
	rows := v.Query(t, filter+" | stats count() c")
	if len(rows) != 1 {
		t.Fatalf("count of %q: %d rows", filter, len(rows))
	}
	n, err := strconv.Atoi(rows[0]["c"])
	if err != nil {
		t.Fatalf("count of %q: %v", filter, rows[0])
	}
	return n
}

// Output is what the server has written to its standard output and error.
func (v *Server) Output() string { return v.out.String() }
