//go:build unix

package httpsink

import (
	"bufio"
	"context"
	"fmt"
	"github.com/jinpy-utils/multi/delivery"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const crashChildEnv = "HTTPSINK_CRASH_CHILD"

// TestHelperSpoolChild is the child of TestSpoolSurvivesSIGKILL, not a test
// of its own: it logs into a spool while the collector is down, flushing
// every 500 records and saying so on stdout, until it is killed.
func TestHelperSpoolChild(t *testing.T) {
	cfg := os.Getenv(crashChildEnv)
	if cfg == "" {
		t.Skip("run by TestSpoolSurvivesSIGKILL")
	}
	url, dir, _ := strings.Cut(cfg, " ")
	h, err := New(url, &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: dir}, Retry: delivery.Retry{Max: -1, Backoff: delivery.Backoff{InitialInterval: time.Millisecond, MaxInterval: 10 * time.Millisecond}}, Queue: delivery.Queue{BatchSize: 50, FlushInterval: 5 * time.Millisecond}})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	l := slog.New(h)
	for i := 0; ; i++ {
		l.Info("rec", "seq", i, "pad", strings.Repeat("x", i%200))
		if (i+1)%500 == 0 {
			if err := h.Flush(context.Background()); err != nil {
				fmt.Println("error", err)
				os.Exit(2)
			}
			fmt.Println("flushed", i+1) // unbuffered: the parent sees it at once
		}
	}
}

// TestSpoolSurvivesSIGKILL runs a sender in a child process during an
// outage, kills it with SIGKILL while it is writing, starts a new sender
// on the same spool against a live collector, and finds there every record
// the child had flushed before it died.
func TestSpoolSurvivesSIGKILL(t *testing.T) {
	addr := reservePort(t)
	url := "http://" + addr + "/ingest"
	dir := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSpoolChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+url+" "+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	flushed := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "flushed "); ok {
			if flushed, err = strconv.Atoi(rest); err != nil {
				t.Fatal(err)
			}
			if flushed >= 3000 {
				break // it goes on logging: kill it mid-stride
			}
			continue
		}
		cmd.Process.Kill()
		t.Fatalf("child: %s", line)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, not by SIGKILL", err)
	}
	if flushed == 0 {
		t.Fatal("the child flushed nothing")
	}

	c := newCollectorAt(t, NDJSON, addr)
	h := mustNew(t, url, &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: dir}})
	waitFor(t, fmt.Sprintf("the %d records flushed before the kill", flushed), 30*time.Second, func() bool {
		got, _ := seqs(t, c.got())
		return len(allOf(got, flushed)) == 0
	})
	h.Shutdown(context.Background())
	got, _ := seqs(t, c.got())
	t.Logf("child flushed %d records before SIGKILL; %d arrived after the restart", flushed, len(got))
}
