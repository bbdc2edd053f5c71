//go:build linux

package journald

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/jinpy-utils/multi"
)

// field is one field of an entry.
type field struct{ name, value string }

// parseEntry reads an entry of the journal's native protocol
// (systemd.io/JOURNAL_NATIVE_PROTOCOL): fields one after another, each
// either NAME=VALUE and a newline (a value without newlines), or NAME, a
// newline, the value's size as a little-endian 64-bit integer, the value
// and a newline. A name is 1 to 64 characters of A-Z, 0-9 and '_', not
// starting with '_' or a digit (journald drops other names silently).
func parseEntry(p []byte) ([]field, error) {
	var out []field
	for len(p) > 0 {
		i := 0
		for i < len(p) && p[i] != '=' && p[i] != '\n' {
			i++
		}
		if i == len(p) {
			return out, errors.New("field not terminated")
		}
		name := string(p[:i])
		if err := checkName(name); err != nil {
			return out, err
		}
		if p[i] == '=' {
			j := i + 1
			for j < len(p) && p[j] != '\n' {
				j++
			}
			if j == len(p) {
				return out, fmt.Errorf("value of %s not terminated", name)
			}
			out = append(out, field{name, string(p[i+1 : j])})
			p = p[j+1:]
			continue
		}
		p = p[i+1:]
		if len(p) < 8 {
			return out, fmt.Errorf("size of %s cut", name)
		}
		n := binary.LittleEndian.Uint64(p)
		p = p[8:]
		if uint64(len(p)) < n+1 || p[n] != '\n' {
			return out, fmt.Errorf("binary value of %s: %d bytes and a newline do not follow", name, n)
		}
		out = append(out, field{name, string(p[:n])})
		p = p[n+1:]
	}
	return out, nil
}

func checkName(s string) error {
	if s == "" || len(s) > 64 {
		return fmt.Errorf("field name %q: length", s)
	}
	if s[0] == '_' || s[0] >= '0' && s[0] <= '9' {
		return fmt.Errorf("field name %q: must start with a letter", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("field name %q: byte %q", s, c)
		}
	}
	return nil
}

// fakeJournal is a Unix datagram socket that takes entries as journald
// does: datagrams, and memfds passed with SCM_RIGHTS.
type fakeJournal struct {
	t        testing.TB
	path     string
	c        *net.UnixConn
	buf, oob []byte
}

func newFakeJournal(t testing.TB) *fakeJournal {
	path := filepath.Join(t.TempDir(), "socket")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	require.NoError(t, c.SetReadBuffer(8<<20))
	t.Cleanup(func() { c.Close() })
	return &fakeJournal{t: t, path: path, c: c, buf: make([]byte, 1<<20), oob: make([]byte, 1024)}
}

// next returns the next entry's bytes and whether it came in a memfd.
func (j *fakeJournal) next() ([]byte, bool) {
	require.NoError(j.t, j.c.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, oobn, _, _, err := j.c.ReadMsgUnix(j.buf, j.oob)
	require.NoError(j.t, err)
	if oobn == 0 {
		return append([]byte(nil), j.buf[:n]...), false
	}
	msgs, err := unix.ParseSocketControlMessage(j.oob[:oobn])
	require.NoError(j.t, err)
	require.Len(j.t, msgs, 1)
	fds, err := unix.ParseUnixRights(&msgs[0])
	require.NoError(j.t, err)
	require.Len(j.t, fds, 1)
	seals, err := unix.FcntlInt(uintptr(fds[0]), unix.F_GET_SEALS, 0)
	require.NoError(j.t, err)
	assert.Equal(j.t, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE|unix.F_SEAL_SEAL, seals, "journald takes only a sealed memfd")
	f := os.NewFile(uintptr(fds[0]), "memfd")
	defer f.Close()
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/fd/%d", fds[0]))
	require.NoError(j.t, err)
	return b, true
}

func (j *fakeJournal) entry() map[string][]string {
	b, _ := j.next()
	fs, err := parseEntry(b)
	require.NoError(j.t, err, "entry %q", b)
	m := map[string][]string{}
	for _, f := range fs {
		m[f.name] = append(m[f.name], f.value)
	}
	return m
}

func TestNativeProtocolFields(t *testing.T) {
	j := newFakeJournal(t)
	h, err := New(&Options{Socket: j.path, Identifier: "myapp", AddSource: true, Level: multi.LevelTrace})
	require.NoError(t, err)
	defer h.Shutdown(context.Background()) //nolint:errcheck
	logger := slog.New(h)

	logger.Info("hello", "user", "bob", "n", 3)
	e := j.entry()
	assert.Equal(t, []string{"hello"}, e["MESSAGE"])
	assert.Equal(t, []string{"6"}, e["PRIORITY"])
	assert.Equal(t, []string{"myapp"}, e["SYSLOG_IDENTIFIER"])
	assert.Equal(t, []string{"bob"}, e["USER"])
	assert.Equal(t, []string{"3"}, e["N"])
	require.Len(t, e["CODE_FILE"], 1)
	assert.True(t, strings.HasSuffix(e["CODE_FILE"][0], "protocol_test.go"), e["CODE_FILE"])
	assert.NotEmpty(t, e["CODE_LINE"])
	assert.Equal(t, []string{"github.com/jinpy-utils/multi/journald.TestNativeProtocolFields"}, e["CODE_FUNC"])

	logger.WithGroup("http").With("method", "GET").Error("multi\nline", slog.Group("req", "my-id", 7), "value", "a\nb\x00c\xff")
	e = j.entry()
	assert.Equal(t, []string{"multi\nline"}, e["MESSAGE"], "binary-safe form for a value with a newline")
	assert.Equal(t, []string{"3"}, e["PRIORITY"])
	assert.Equal(t, []string{"GET"}, e["HTTP_METHOD"])
	assert.Equal(t, []string{"7"}, e["HTTP_REQ_MY_ID"])
	assert.Equal(t, []string{"a\nb\x00c\xff"}, e["HTTP_VALUE"], "values are bytes, kept as they are")

	logger.Debug("names", "_private", 1, "1st", 2, "message", "spoof", "priority", 0, "ключ", "k", strings.Repeat("x", 80), "long")
	e = j.entry()
	assert.Equal(t, []string{"7"}, e["PRIORITY"])
	assert.Equal(t, []string{"names"}, e["MESSAGE"], "an attribute cannot add a MESSAGE")
	assert.Equal(t, []string{"spoof"}, e["X_MESSAGE"])
	assert.Equal(t, []string{"0"}, e["X_PRIORITY"])
	assert.Equal(t, []string{"1"}, e["X__PRIVATE"])
	assert.Equal(t, []string{"2"}, e["X_1ST"])
	assert.Equal(t, []string{"k"}, e["X_________"])
	assert.Equal(t, []string{"long"}, e[strings.Repeat("X", 64)])
}

func TestLargeEntriesGoInASealedMemfd(t *testing.T) {
	j := newFakeJournal(t)
	h, err := New(&Options{Socket: j.path})
	require.NoError(t, err)
	defer h.Shutdown(context.Background())                //nolint:errcheck
	big := strings.Repeat("0123456789abcdef", 400<<10/16) // 400 KiB: over the datagram limit
	require.NoError(t, h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "big", 0)))
	_, memfd := j.next()
	assert.False(t, memfd, "a small entry is a datagram")
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "big", 0)
	r.AddAttrs(slog.String("blob", big))
	require.NoError(t, h.Handle(context.Background(), r))
	b, memfd := j.next()
	assert.True(t, memfd, "a 400 KiB entry goes in a memfd")
	fs, err := parseEntry(b)
	require.NoError(t, err)
	assert.Contains(t, fs, field{"BLOB", big})
	assert.Equal(t, uint64(2), h.Stats().Written)
}

func TestNewRefusesAMissingSocket(t *testing.T) {
	_, err := New(&Options{Socket: filepath.Join(t.TempDir(), "nope")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is systemd-journald running? Options.Socket names another socket")
}

func TestJournalGoneIsCountedAndReported(t *testing.T) {
	j := newFakeJournal(t)
	var errs []error
	h, err := New(&Options{Socket: j.path, ErrorHandler: func(err error) { errs = append(errs, err) }})
	require.NoError(t, err)
	logger := slog.New(h)
	logger.Info("one")
	j.entry()
	j.c.Close()
	os.Remove(j.path)
	logger.Info("two")
	logger.Info("three")
	st := h.Stats()
	assert.Equal(t, uint64(1), st.Written)
	assert.Equal(t, uint64(2), st.Dropped)
	assert.False(t, h.Healthy())
	require.NotEmpty(t, errs)
	assert.Contains(t, errs[0].Error(), "journald: send entry of")

	// journald comes back (a new socket file): the handler reconnects.
	j2, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: j.path, Net: "unixgram"})
	require.NoError(t, err)
	defer j2.Close()
	logger.Info("four")
	assert.Equal(t, uint64(2), h.Stats().Written, "the gap entry is not counted")
	assert.True(t, h.Healthy())
	buf := make([]byte, 4096)
	require.NoError(t, j2.SetReadDeadline(time.Now().Add(5*time.Second)))
	for _, want := range []string{"multi: entries dropped before this one", "four"} {
		n, err := j2.Read(buf)
		require.NoError(t, err)
		fs, err := parseEntry(buf[:n])
		require.NoError(t, err)
		assert.Equal(t, field{"MESSAGE", want}, fs[0])
		if want != "four" {
			assert.Contains(t, fs, field{"PRIORITY", "4"})
			assert.Contains(t, fs, field{"MULTI_DROPPED", "2"})
			assert.Contains(t, string(buf[:n]), "MULTI_REASON=journald: send entry of")
		}
	}

	require.NoError(t, h.Shutdown(context.Background()))
	assert.ErrorIs(t, h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "late", 0)), multi.ErrClosed)
	assert.ErrorIs(t, h.Flush(context.Background()), multi.ErrClosed)
	assert.Equal(t, uint64(3), h.Stats().Dropped)
}

func TestConcurrentLoggersEveryEntryArrives(t *testing.T) {
	j := newFakeJournal(t)
	h, err := New(&Options{Socket: j.path, SendTimeout: 5 * time.Second})
	require.NoError(t, err)
	defer h.Shutdown(context.Background()) //nolint:errcheck
	const g, n = 4, 2000
	got := make(chan map[string][]string, g*n)
	go func() {
		for range g * n {
			got <- j.entry()
		}
	}()
	var wg sync.WaitGroup
	for w := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := slog.New(h).With("w", w).WithGroup("g")
			for i := range n {
				l.Info("e", "i", w*n+i)
			}
		}()
	}
	wg.Wait()
	seen := make([]bool, g*n)
	for range g * n {
		e := <-got
		i, err := strconv.Atoi(e["G_I"][0])
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(i/n), e["W"][0])
		require.False(t, seen[i])
		seen[i] = true
	}
	assert.Equal(t, uint64(g*n), h.Stats().Written)
	assert.Zero(t, h.Stats().Dropped)
}

// A journal that falls behind (its socket's queue full) holds Handle for
// at most SendTimeout; then the entry is dropped, counted and reported.
func TestJournalBehindDropsAfterSendTimeout(t *testing.T) {
	j := newFakeJournal(t) // never read: its queue fills
	var mu sync.Mutex
	var errs []string
	h, err := New(&Options{Socket: j.path, SendTimeout: 5 * time.Millisecond, ErrorHandler: func(err error) {
		mu.Lock()
		errs = append(errs, err.Error())
		mu.Unlock()
	}})
	require.NoError(t, err)
	defer h.Shutdown(context.Background()) //nolint:errcheck
	const n = 60
	start := time.Now()
	for i := range n {
		slog.New(h).Info("e", "i", i)
	}
	took := time.Since(start)
	st := h.Stats()
	assert.Positive(t, st.Written)
	assert.Positive(t, st.Dropped)
	assert.Equal(t, uint64(n), st.Written+st.Dropped)
	assert.Less(t, took, time.Duration(n)*100*time.Millisecond, "each Handle waits about SendTimeout at most")
	assert.False(t, h.Healthy())
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, errs)
	assert.Contains(t, errs[0], "journald is behind: no room in the socket's buffer")
}
