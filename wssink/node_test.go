package wssink

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// nodeWS returns the node binary and a node_modules directory holding the
// npm package ws (installed into the user's cache the first time). Without
// node or npm, or when the install fails, the test is skipped, or fails
// when CI is set.
func nodeWS(t *testing.T) (node, modules string) {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and the Node interop test cannot run: "+format, args...)
		}
		t.Skipf(format, args...)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node not found: %v", err)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		unavailable("npm not found: %v", err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "multi-test", "node-ws")
	modules = filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "ws", "package.json")); err == nil {
		return node, modules
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		unavailable("make %s: %v", dir, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--no-save", "--prefix", dir, "ws@8")
	if out, err := cmd.CombinedOutput(); err != nil {
		unavailable("npm install ws@8: %v\n%s", err, out)
	}
	return node, modules
}

// nodeSummary is what testdata/server.js prints when its stdin closes.
type nodeSummary struct {
	Messages, Records, Distinct, Bad int
	Min, Max                         int
	Connections, DeflateConnections  int
	PayloadBytes, WireBytes          int
	CloseCodes                       []int
}

// startNode runs testdata/server.js and returns its URL and a function
// that stops it and returns its summary.
func startNode(t *testing.T, deflate bool) (string, func() nodeSummary) {
	t.Helper()
	node, modules := nodeWS(t)
	args := []string{filepath.Join("testdata", "server.js")}
	if deflate {
		args = append(args, "--deflate")
	}
	cmd := exec.Command(node, args...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	var hello struct{ Port int }
	if !lines.Scan() || json.Unmarshal(lines.Bytes(), &hello) != nil || hello.Port == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("node server did not report its port: %q %v", lines.Text(), lines.Err())
	}
	stopped := false
	stop := func() nodeSummary {
		stopped = true
		stdin.Close()
		var sum nodeSummary
		if !lines.Scan() || json.Unmarshal(lines.Bytes(), &sum) != nil {
			t.Errorf("node server summary: %q %v", lines.Text(), lines.Err())
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("node server: %v", err)
		}
		return sum
	}
	t.Cleanup(func() {
		if !stopped {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return fmt.Sprintf("ws://127.0.0.1:%d/", hello.Port), stop
}

// Every record reaches a server written with the npm package ws: with
// acks, compressed or not, and, without Ack but with a spool, confirmed
// by the pongs ws sends on its own.
func TestNodeWSServerGetsEveryRecord(t *testing.T) {
	for _, c := range []struct{ compress, ack bool }{{false, true}, {true, true}, {false, false}} {
		compress, ack := c.compress, c.ack
		name := fmt.Sprintf("compression=%v", compress)
		if !ack {
			name = "pongs"
		}
		t.Run(name, func(t *testing.T) {
			url, stop := startNode(t, compress)
			o := fastOptions()
			o.Ack = ack
			if !ack {
				o.Spool.Dir = t.TempDir() // written messages are confirmed by pongs
			}
			o.Compress = compress
			h, err := New(url, o)
			if err != nil {
				t.Fatal(err)
			}
			log := slog.New(h).With("service", "interop")
			const n = 10000
			for i := range n {
				log.Info("shipped to node", "i", i, "payload", "the quick brown fox jumps over the lazy dog")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := h.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			shutdown(t, h)
			sum := stop()
			t.Logf("node: %+v", sum)
			if sum.Distinct != n || sum.Records != n || sum.Bad != 0 || sum.Min != 0 || sum.Max != n-1 {
				t.Errorf("node got %d records, %d distinct, %d bad; want %d", sum.Records, sum.Distinct, sum.Bad, n)
			}
			if st := h.Stats(); st.Written != n || st.Dropped != 0 {
				t.Errorf("stats %+v", st)
			}
			if cs := h.ConnStats(); ack && cs.Acks == 0 || cs.Messages != uint64(sum.Messages) || cs.Unacked != 0 {
				t.Errorf("conn stats %+v; node saw %d messages", cs, sum.Messages)
			}
			if len(sum.CloseCodes) != 1 || sum.CloseCodes[0] != 1000 {
				t.Errorf("close codes %v, want [1000]", sum.CloseCodes)
			}
			if compress {
				if sum.DeflateConnections != 1 || sum.WireBytes*4 > sum.PayloadBytes {
					t.Errorf("permessage-deflate: %d connections, %d bytes on the wire for %d of payload",
						sum.DeflateConnections, sum.WireBytes, sum.PayloadBytes)
				}
			} else if sum.DeflateConnections != 0 || sum.WireBytes < sum.PayloadBytes {
				t.Errorf("uncompressed: %d deflate connections, %d wire bytes for %d of payload",
					sum.DeflateConnections, sum.WireBytes, sum.PayloadBytes)
			}
		})
	}
}
