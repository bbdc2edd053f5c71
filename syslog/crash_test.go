//go:build unix

package syslog

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

	"github.com/stretchr/testify/require"
)

const crashChildEnv = "SYSLOG_CRASH_CHILD"

// TestHelperSpoolChild is the child of TestSpoolSurvivesSIGKILL, not a test
// of its own: it logs into a spool while the receiver is down, flushing
// every 500 records and saying so on stdout, until it is killed.
func TestHelperSpoolChild(t *testing.T) {
	cfg := os.Getenv(crashChildEnv)
	if cfg == "" {
		t.Skip("run by TestSpoolSurvivesSIGKILL")
	}
	addr, dir, _ := strings.Cut(cfg, " ")
	h, err := New(addr, &Options{Spool: delivery.Spool{Dir: dir}, Queue: delivery.Queue{FlushInterval: 5 * time.Millisecond}, ErrorHandler: func(error) {}})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	l := slog.New(h)
	for i := 0; ; i++ {
		l.Info("rec", "i", i)
		if (i+1)%500 == 0 {
			if err := h.Flush(context.Background()); err != nil {
				fmt.Println("error", err)
				os.Exit(2)
			}
			fmt.Println("flushed", i+1)
		}
	}
}

// TestSpoolSurvivesSIGKILL kills a process that logs with the receiver
// down, then opens its spool in this one with the receiver up: every
// record the child had flushed arrives, once.
func TestSpoolSurvivesSIGKILL(t *testing.T) {
	dir := t.TempDir()
	down := closedPort(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSpoolChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+down+" "+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	flushed := 0
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "flushed "); ok {
			flushed, _ = strconv.Atoi(n)
			if flushed >= 3000 {
				break
			}
		}
		require.False(t, strings.HasPrefix(line, "error"), line)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	cmd.Wait() //nolint:errcheck
	require.GreaterOrEqual(t, flushed, 3000)

	r := newTCPReceiver(t)
	h, err := New(r.addr(), &Options{Spool: delivery.Spool{Dir: dir}})
	require.NoError(t, err)
	msgs := r.wait(flushed)
	shutdown(t, h)
	got := seqs(t, r.wait(flushed))
	for i := range flushed {
		if got[i] != 1 {
			t.Fatalf("record %d, flushed before the kill, arrived %d times (of %d messages)", i, got[i], len(msgs))
		}
	}
}
