//go:build unix

package file

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/internal/spooltest"
)

// killChild logs numbered records from 8 goroutines as fast as it can and
// prints each number to standard output once Handle has returned for it,
// until it is killed (spooltest.LogNumbered). The records wait in the
// buffer: FlushInterval is an hour.
func killChild() {
	h, err := New(os.Getenv("FILE_TEST_PATH"), &Options{FlushInterval: time.Hour})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	spooltest.LogNumbered(h, 0, 0)
}

// Records whose Handle returned before a SIGKILL are in the log once the
// next New on the path has started: none lost, no line torn or out of
// order, no NUL, duplicates counted.
func TestSIGKILLLosesNoAcceptedRecord(t *testing.T) {
	if os.Getenv("FILE_TEST_CHILD") == "kill" {
		killChild()
		return
	}
	if testing.Short() {
		t.Skip("kills 30 child processes")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FILE_KILL_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (FILE_KILL_SEED=%d reruns these trials)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	const trials = 30
	var totalAcc, totalDup int
	for trial := range trials {
		path := filepath.Join(t.TempDir(), "app.log")
		cmd := child(t, "TestSIGKILLLosesNoAcceptedRecord", "kill", path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		accepted := map[int]bool{}
		done := make(chan struct{})
		first := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if n, err := strconv.Atoi(sc.Text()); err == nil {
					if len(accepted) == 0 {
						close(first)
					}
					accepted[n] = true
				}
			}
		}()
		// Kill at a random instant once the child logs: a busy machine
		// may take longer than the wait to start it.
		wait := time.Duration(50+rng.IntN(400)) * time.Millisecond
		select {
		case <-first:
		case <-done:
		case <-time.After(30 * time.Second):
		}
		time.Sleep(wait)
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		cmd.Wait()
		if stderr.Len() > 0 {
			t.Fatalf("trial %d: child wrote to standard error: %s", trial, stderr.String())
		}

		// Restart on the same path: New writes what the child's buffer held.
		h, err := New(path, nil)
		if err != nil {
			t.Fatalf("trial %d: New after the kill: %v", trial, err)
		}
		shutdown(t, h)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if i := strings.IndexByte(string(b), 0); i >= 0 {
			t.Fatalf("trial %d: NUL byte at offset %d of the log", trial, i)
		}
		seen := map[int]int{}
		last := map[int]int{}
		for k, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if l == "" {
				continue
			}
			var rec struct{ G, I, N int }
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatalf("trial %d: line %d is not a whole record (%v): %q", trial, k+1, err, l)
			}
			if seen[rec.N]++; seen[rec.N] == 1 {
				if p, ok := last[rec.G]; ok && rec.I <= p {
					t.Fatalf("trial %d: line %d: goroutine %d's record %d after its record %d", trial, k+1, rec.G, rec.I, p)
				}
				last[rec.G] = rec.I
			}
		}
		lost, dup := 0, 0
		for n := range accepted {
			if seen[n] == 0 {
				lost++
			}
		}
		for _, c := range seen {
			dup += c - 1
		}
		t.Logf("trial %2d: killed after %v: %6d accepted, %6d in the log, %d lost, %d duplicates", trial, wait, len(accepted), len(seen), lost, dup)
		if lost > 0 {
			t.Errorf("trial %d: %d of %d accepted records lost", trial, lost, len(accepted))
		}
		if len(accepted) == 0 {
			t.Errorf("trial %d: the child accepted no record before the kill", trial)
		}
		totalAcc += len(accepted)
		totalDup += dup
	}
	t.Logf("%d trials: %d records accepted, 0 lost, %d duplicates", trials, totalAcc, totalDup)
}

// child runs the test named test in a new process of this test binary,
// with FILE_TEST_CHILD=role and FILE_TEST_PATH=path in its environment.
func child(t *testing.T, test, role, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FILE_TEST_CHILD="+role, "FILE_TEST_PATH="+path)
	return cmd
}
