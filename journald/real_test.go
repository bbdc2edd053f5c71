//go:build linux

package journald

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/syslog"
)

const (
	childEnv    = "MULTI_JOURNALD_CHILD"
	journaldBin = "/lib/systemd/systemd-journald"
	namespace   = "multitest"
)

// TestRealJournald runs a real systemd-journald, as a child in a private
// mount namespace (tmpfs over /run/systemd, /run/log and /var/log/journal,
// so that the machine's own journal is never touched), sends it entries
// through the handler and reads them back with journalctl. The test
// re-executes itself inside `unshare -m`, since the sender must be in the
// namespace that sees the journal's socket.
func TestRealJournald(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		realJournaldChild(t)
		return
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil || !fileExists(journaldBin) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("unshare or %s is missing (CI never skips this test)", journaldBin)
		}
		t.Skipf("unshare or %s is missing", journaldBin)
	}
	args := []string{"-m", "--propagation", "private"}
	if os.Geteuid() != 0 {
		args = append([]string{"-r"}, args...)
	}
	args = append(args, os.Args[0], "-test.run=^TestRealJournald$", "-test.count=1", "-test.v")
	cmd := exec.Command(unshare, args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the test in the namespace:\n%s", out)
	require.Contains(t, string(out), "--- PASS: TestRealJournald", "%s", out)
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// lockedBuffer is a bytes.Buffer a child process writes while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func realJournaldChild(t *testing.T) {
	for _, d := range []string{"/run/systemd", "/run/log", "/var/log/journal"} {
		require.NoError(t, os.MkdirAll(d, 0o755))
		require.NoError(t, unix.Mount("tmpfs", d, "tmpfs", 0, "mode=0755"), "mount tmpfs on %s", d)
	}
	jd := exec.Command(journaldBin, namespace)
	jout := &lockedBuffer{}
	jd.Stdout, jd.Stderr = jout, jout
	require.NoError(t, jd.Start())
	defer func() {
		jd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
		jd.Wait()                          //nolint:errcheck
	}()
	sock := "/run/systemd/journal." + namespace + "/socket"
	deadline := time.Now().Add(10 * time.Second)
	for !fileExists(sock) {
		require.True(t, time.Now().Before(deadline), "journald made no socket in 10s: %s", jout.String())
		time.Sleep(20 * time.Millisecond)
	}

	h, err := New(&Options{Socket: sock, Identifier: "multi-test", AddSource: true, Level: multi.LevelTrace})
	require.NoError(t, err)
	logger := slog.New(h)
	const n = 10_000
	for i := range n {
		logger.Info("record", "i", i)
	}
	big := strings.Repeat("0123456789abcdef", 400<<10/16)
	logger.Warn("big", "blob", big)
	logger.WithGroup("http").Error("multi\nline", slog.Group("req", "my-id", 7), "bin", "a\nb\xff", "message", "spoof")
	logger.Log(context.Background(), multi.LevelCritical, "critical", "_private", 1)
	logger.Debug("debug")
	require.NoError(t, h.Shutdown(context.Background()))
	st := h.Stats()
	require.Equal(t, uint64(n+4), st.Written)
	require.Zero(t, st.Dropped)

	// The syslog sink's default on a Unix socket (RFC 3164, glibc's form)
	// is what journald's own syslog socket parses.
	sh, err := syslog.New("unix:///run/systemd/journal."+namespace+"/dev-log", &syslog.Options{AppName: "multi-test"})
	require.NoError(t, err)
	slog.New(sh).Warn("via dev-log", "k", "v")
	require.NoError(t, sh.Shutdown(context.Background()))
	require.Equal(t, uint64(1), sh.Stats().Written)

	machineID, err := os.ReadFile("/etc/machine-id")
	require.NoError(t, err)
	dir := "/var/log/journal/" + strings.TrimSpace(string(machineID)) + "." + namespace
	var entries []map[string]any
	deadline = time.Now().Add(20 * time.Second)
	for {
		entries = readJournal(t, dir)
		if len(entries) >= n+5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.Len(t, entries, n+5, "entries journalctl read back; journald said: %s", jout.String())
	var dl map[string]any
	for i, e := range entries {
		if _, ok := e["SYSLOG_PID"]; ok { // set by journald's syslog parser only
			dl = e
			entries = append(entries[:i], entries[i+1:]...)
			break
		}
	}
	require.NotNil(t, dl, "the entry sent to dev-log")
	assert.Equal(t, `via dev-log k="v"`, dl["MESSAGE"])
	assert.Equal(t, "4", dl["PRIORITY"])
	assert.Equal(t, "1", dl["SYSLOG_FACILITY"])
	assert.Equal(t, strconv.Itoa(os.Getpid()), dl["SYSLOG_PID"])

	seen := make([]bool, n)
	for _, e := range entries[:n] {
		assert.Equal(t, "record", e["MESSAGE"])
		assert.Equal(t, "6", e["PRIORITY"])
		i, err := strconv.Atoi(e["I"].(string))
		require.NoError(t, err)
		require.False(t, seen[i], "entry %d twice", i)
		seen[i] = true
	}
	first := entries[0]
	assert.True(t, strings.HasSuffix(first["CODE_FILE"].(string), "real_test.go"))
	assert.NotEmpty(t, first["CODE_LINE"])
	assert.Equal(t, "github.com/jinpy-utils/multi/journald.realJournaldChild", first["CODE_FUNC"])

	e := entries[n]
	assert.Equal(t, "4", e["PRIORITY"])
	assert.Equal(t, big, e["BLOB"], "the 400 KiB entry came through the memfd")

	e = entries[n+1]
	assert.Equal(t, "multi\nline", e["MESSAGE"])
	assert.Equal(t, "3", e["PRIORITY"])
	assert.Equal(t, "7", e["HTTP_REQ_MY_ID"])
	assert.Equal(t, bytesOf("a\nb\xff"), e["HTTP_BIN"], "a value that is not UTF-8 is kept as bytes (journalctl writes an array)")
	assert.Equal(t, "spoof", e["HTTP_MESSAGE"], "inside a group the name is not one of ours")

	e = entries[n+2]
	assert.Equal(t, "2", e["PRIORITY"])
	assert.Equal(t, "1", e["X__PRIVATE"], "a name journald would drop (leading _) is kept under X_")
	assert.Equal(t, "7", entries[n+3]["PRIORITY"])
	for _, e := range entries {
		assert.Equal(t, "multi-test", e["SYSLOG_IDENTIFIER"])
		assert.Equal(t, strconv.Itoa(os.Getpid()), e["_PID"])
	}
}

// readJournal returns the entries of the journal in dir, oldest first.
func readJournal(t *testing.T, dir string) []map[string]any {
	cmd := exec.Command("journalctl", "-D", dir, "-o", "json", "-a", "--no-pager", "SYSLOG_IDENTIFIER=multi-test")
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	var entries []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "journalctl line %q", sc.Text())
		entries = append(entries, m)
	}
	return entries
}

// bytesOf is how journalctl -o json writes a value that is not UTF-8: an
// array of its bytes.
func bytesOf(s string) []any {
	out := make([]any, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = float64(s[i])
	}
	return out
}

var _ = fmt.Sprint
