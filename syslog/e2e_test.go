package syslog

import (
	"context"
	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/core"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jinpy-utils/multi"
)

func shutdown(t testing.TB, h *Handler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, h.Shutdown(ctx))
}

// seqs reads the "i" parameter of every RFC 5424 line and counts each
// value.
func seqs(t testing.TB, lines []string) map[int]int {
	t.Helper()
	got := map[int]int{}
	for _, l := range lines {
		m, err := parse5424(l)
		require.NoError(t, err, "line %q", l)
		require.Len(t, m.sd, 1, "line %q", l)
		for _, p := range m.sd[0].params {
			if p.name == "i" {
				n, err := strconv.Atoi(p.value)
				require.NoError(t, err)
				got[n]++
			}
		}
	}
	return got
}

func TestRsyslog100kRecordsOverTCPArrive(t *testing.T) {
	r := startRsyslog(t, t.TempDir(), 0, 0, 0)
	// A burst faster than rsyslog: wait for it rather than drop (the
	// default), since this test counts every record.
	h, err := New(r.addr("tcp"), &Options{Queue: delivery.Queue{OnFull: buffer.Block}, ErrorHandler: func(err error) { t.Errorf("ErrorHandler: %v", err) }})
	require.NoError(t, err)
	const n = 100_000
	logger := slog.New(h)
	start := time.Now()
	for i := range n {
		logger.Info("record", "i", i)
	}
	shutdown(t, h)
	sent := time.Since(start)
	st := h.Stats()
	assert.Equal(t, uint64(n), st.Written)
	assert.Zero(t, st.Dropped)
	lines := r.waitLines("tcp.log", n, 60*time.Second)
	require.Len(t, lines, n, "records rsyslog wrote")
	t.Logf("%d records sent in %v (%.0f/s); all in rsyslog's file after %v", n, sent.Round(time.Millisecond), n/sent.Seconds(), time.Since(start).Round(time.Millisecond))
	got := seqs(t, lines)
	for i := range n {
		if got[i] != 1 {
			t.Fatalf("record %d arrived %d times", i, got[i])
		}
	}
	m, err := parse5424(lines[0])
	require.NoError(t, err)
	assert.Equal(t, "record", trimBOM(m.msg))
}

// hostile keys and values, and what a receiver must read back.
var hostile = []struct{ key, value, wantKey, wantValue string }{
	{"plain", "v", "plain", "v"},
	{"quote", `a"b`, "quote", `a"b`},
	{"bracket", "a]b[c", "bracket", "a]b[c"},
	{"backslash", `a\b\\`, "backslash", `a\b\\`},
	{"all", `\"]`, "all", `\"]`},
	{"newline", "line1\nline2\r\n", "newline", "line1\nline2\r\n"},
	{"utf8", "héllo ✓", "utf8", "héllo ✓"},
	{"invalid", "a\xffb\xc3", "invalid", "a\uFFFDb\uFFFD"},
	{"big", strings.Repeat("x]\"\\", 2048), "big", strings.Repeat("x]\"\\", 2048)}, // 8 KiB
	{`k"ey`, "v", "k_ey", "v"},
	{"k]ey", "v", "k_ey", "v"},
	{"k=ey", "v", "k_ey", "v"},
	{"k ey", "v", "k_ey", "v"},
	{"k\ney", "v", "k_ey", "v"},
	{`k\ey`, "v", `k\ey`, "v"},
	{"k\xffey", "v", "k_ey", "v"},
	{"ключ", "v", "________", "v"},
	{strings.Repeat("long", 10), "v", strings.Repeat("long", 8), "v"},
	{"empty", "", "empty", ""},
}

func TestRsyslogEverySDParamRoundTrips(t *testing.T) {
	r := startRsyslog(t, t.TempDir(), 0, 0, 0)
	for _, network := range []string{"tcp", "tls", "udp"} {
		t.Run(network, func(t *testing.T) {
			o := &Options{MaxMessageSize: 256 << 10, ErrorHandler: func(err error) { t.Errorf("ErrorHandler: %v", err) }}
			if network == "tls" {
				o.TLS.CAFile = r.caFile
			}
			h, err := New(r.addr(network), o)
			require.NoError(t, err)
			logger := slog.New(h)
			for i, c := range hostile {
				logger.Info("case "+strconv.Itoa(i), slog.Int("case", i), slog.String(c.key, c.value))
				if network == "udp" {
					time.Sleep(5 * time.Millisecond) // a datagram burst may overrun rsyslog's socket
				}
			}
			logger.WithGroup("g").Info("grouped", slog.Int("case", len(hostile)), slog.Group("h", slog.String("k", "v")))
			shutdown(t, h)
			sds := r.sd(r.waitLines(network+".sd", len(hostile)+1, 20*time.Second))
			require.Len(t, sds, len(hostile)+1)
			for i, c := range hostile {
				params := sds[i][DefaultStructuredDataID]
				require.Equal(t, strconv.Itoa(i), params["case"], "records out of order")
				got, ok := params[c.wantKey]
				if assert.True(t, ok, "case %d: key %q: want name %q, rsyslog parsed %v", i, c.key, c.wantKey, keys(params)) {
					assert.Equal(t, c.wantValue, got, "case %d: key %q", i, c.key)
				}
			}
			assert.Equal(t, "v", sds[len(hostile)][DefaultStructuredDataID]["g.h.k"])
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestRsyslogLevelsMapToSeverities(t *testing.T) {
	r := startRsyslog(t, t.TempDir(), 0, 0, 0)
	h, err := New(r.addr("tcp"), &Options{Level: multi.LevelTrace, Facility: Local4})
	require.NoError(t, err)
	levels := []struct {
		level slog.Level
		pri   int // local4 is 20: 160 + severity
	}{
		{multi.LevelTrace, 167}, {slog.LevelDebug, 167}, {slog.LevelInfo, 166}, {slog.LevelInfo + 2, 165},
		{slog.LevelWarn, 164}, {slog.LevelError, 163}, {multi.LevelCritical, 162},
		{multi.LevelCritical + 4, 161}, {multi.LevelCritical + 8, 160},
	}
	logger := slog.New(h)
	for i, l := range levels {
		logger.Log(context.Background(), l.level, "level", "i", i)
	}
	shutdown(t, h)
	lines := r.waitLines("tcp.log", len(levels), 20*time.Second)
	require.Len(t, lines, len(levels))
	for i, l := range lines {
		m, err := parse5424(l)
		require.NoError(t, err)
		assert.Equal(t, levels[i].pri, m.pri, "level %v", levels[i].level)
	}
}

func TestRsyslogTLSWithAnUntrustedCertificateFailsLoudly(t *testing.T) {
	r := startRsyslog(t, t.TempDir(), 0, 0, 0)
	var mu sync.Mutex
	var errs []error
	h, err := New(r.addr("tls"), &Options{ErrorHandler: func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}})
	require.NoError(t, err)
	slog.New(h).Info("never arrives")
	require.NoError(t, h.Flush(context.Background()))
	assert.False(t, h.Healthy())
	st := h.Stats()
	assert.Equal(t, uint64(1), st.Dropped)
	assert.Zero(t, st.Written)
	require.Error(t, st.LastError)
	assert.Contains(t, st.LastError.Error(), "TLS handshake")
	shutdown(t, h)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, errs)
	assert.Contains(t, errs[0].Error(), "x509")
}

// TestRsyslogRestartLosesNothingWithASpool stops rsyslog while the
// handler is connected, logs while it is down (into the spool), starts it
// again on the same port and checks that every record arrived once.
func TestRsyslogRestartLosesNothingWithASpool(t *testing.T) {
	dir := t.TempDir()
	r := startRsyslog(t, dir, 0, 0, 0)
	h, err := New(r.addr("tcp"), &Options{
		Spool: delivery.Spool{Dir: t.TempDir()}, Retry: delivery.Retry{Backoff: delivery.Backoff{InitialInterval: 50 * time.Millisecond, MaxInterval: 200 * time.Millisecond}},
		ErrorHandler: func(error) {},
	})
	require.NoError(t, err)
	logger := slog.New(h)
	const burst = 1000
	i := 0
	logBurst := func() {
		for range burst {
			logger.Info("r", "i", i)
			i++
		}
		require.NoError(t, h.Flush(context.Background()))
	}
	logBurst()
	require.Len(t, r.waitLines("tcp.log", burst, 20*time.Second), burst)

	r.stop()
	logBurst() // the connection is closed: dial fails, into the spool
	assert.False(t, h.Healthy())
	assert.Positive(t, h.Stats().Spooled)

	r.start() // same ports: r.tcpPort is the first run's
	// The prober replays the spool once the back-off allows.
	lines := r.waitLines("tcp.log", 2*burst, 20*time.Second)
	require.Len(t, lines, 2*burst, "the spool was replayed after the restart")
	assert.True(t, h.Healthy())
	logBurst()
	shutdown(t, h)
	lines = r.waitLines("tcp.log", 3*burst, 20*time.Second)
	got := seqs(t, lines)
	for j := range 3 * burst {
		assert.Equal(t, 1, got[j], "record %d", j)
	}
	st := h.Stats()
	assert.Equal(t, uint64(3*burst), st.Written)
	assert.Equal(t, st.Spooled, st.Replayed)
	assert.Zero(t, st.Dropped)
}

// TestRsyslogRestartWithoutASpoolCountsWhatIsLost: without a spool,
// records written while rsyslog is down are dropped, and every one is
// counted: what arrived plus what was dropped is what was logged, and a
// record in their place says so.
func TestRsyslogRestartWithoutASpoolCountsWhatIsLost(t *testing.T) {
	r := startRsyslog(t, t.TempDir(), 0, 0, 0)
	var dropErrs int
	var mu sync.Mutex
	h, err := New(r.addr("tcp"), &Options{
		// No retries: the batch logged while rsyslog is down is dropped at
		// its first failure (with retries it would wait, and arrive).
		Retry: delivery.Retry{Max: -1},
		ErrorHandler: func(err error) {
			mu.Lock()
			if strings.Contains(err.Error(), "dropped") {
				dropErrs++
			}
			mu.Unlock()
		},
	})
	require.NoError(t, err)
	logger := slog.New(h)
	for i := range 100 {
		logger.Info("r", "i", i)
	}
	require.NoError(t, h.Flush(context.Background()))
	require.Len(t, r.waitLines("tcp.log", 100, 20*time.Second), 100)
	r.stop()
	for i := 100; i < 200; i++ {
		logger.Info("r", "i", i)
	}
	require.NoError(t, h.Flush(context.Background()))
	r.start()
	time.Sleep(200 * time.Millisecond) // past the back-off
	for i := 200; i < 300; i++ {
		logger.Info("r", "i", i)
	}
	shutdown(t, h)
	st := h.Stats()
	lines := r.waitLines("tcp.log", int(st.Written)+1, 20*time.Second)
	require.Equal(t, int(st.Written)+1, len(lines), "Written is what arrived, and one record for the gap")
	assert.Equal(t, uint64(300), st.Written+st.Dropped)
	assert.Equal(t, uint64(100), st.Dropped, "the records logged while rsyslog was down")
	// The gap shows where the logs are read: one record, right where the
	// records are missing, says how many, when and why.
	gap, err := parse5424(lines[100])
	require.NoError(t, err)
	assert.Equal(t, 12, gap.pri, "user.warning")
	assert.Equal(t, core.GapMessage, trimBOM(gap.msg))
	params := map[string]string{}
	for _, p := range gap.sd[0].params {
		params[p.name] = p.value
	}
	assert.Equal(t, "100", params["dropped"])
	assert.Contains(t, params["reason"], "connection refused")
	assert.NotEmpty(t, params["first_drop"])
	assert.NotEmpty(t, params["last_drop"])
	next, err := parse5424(lines[101])
	require.NoError(t, err)
	assert.Equal(t, param{"i", "200"}, next.sd[0].params[0])
	mu.Lock()
	assert.Positive(t, dropErrs)
	mu.Unlock()
}

func TestRsyslogRFC3164OverUDPAndTCP(t *testing.T) {
	r := startRsyslog(t, t.TempDir(), 0, 0, 0)
	for _, network := range []string{"udp", "tcp"} {
		h, err := New(r.addr(network), &Options{Format: RFC3164, AppName: "old-app"})
		require.NoError(t, err)
		slog.New(h).Warn("bsd\nline", "k", "v")
		shutdown(t, h)
		lines := r.waitLines(network+".log", 1, 20*time.Second)
		require.Len(t, lines, 1, network)
		m, err := parse5424(lines[0])
		require.NoError(t, err)
		assert.Equal(t, 12, m.pri, network)
		assert.Equal(t, "old-app", m.app, network)
		assert.Equal(t, `bsd#012line k="v"`, strings.TrimSpace(m.msg), network)
		assert.True(t, utf8.ValidString(m.msg))
	}
}

// TestRsyslogDefaultLimitGetsNoBogusMessage: with both sides at their
// defaults, a record larger than rsyslog takes arrives cut, as one
// message, instead of rsyslog cutting it and reading the rest of the frame
// as a second, bogus message.
func TestRsyslogDefaultLimitGetsNoBogusMessage(t *testing.T) {
	r := startRsyslog(t, t.TempDir(), 0, 0, 0, func(r *rsyslog) { r.maxMessageSize = "" })
	var mu sync.Mutex
	var errs []string
	h, err := New(r.addr("tcp"), &Options{ErrorHandler: func(err error) {
		mu.Lock()
		errs = append(errs, err.Error())
		mu.Unlock()
	}})
	require.NoError(t, err)
	logger := slog.New(h)
	logger.Error("stack trace", "stack", strings.Repeat("frame\n", 3000), "i", 0)
	logger.Info("next", "i", 1)
	shutdown(t, h)
	r.waitLines("tcp.sd", 2, 20*time.Second)
	time.Sleep(200 * time.Millisecond) // a bogus third message would come at once
	lines := r.lines("tcp.sd")
	require.Len(t, lines, 2, "rsyslog read exactly the two messages sent")
	sds := r.sd(lines)
	stack := sds[0][DefaultStructuredDataID]["stack"]
	assert.True(t, strings.HasPrefix(stack, "frame\nframe\n"), "the large parameter is kept, cut: %.40q", stack)
	assert.Equal(t, "1", sds[1][DefaultStructuredDataID]["i"])
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "cut to MaxMessageSize 8096")
}

// TestRsyslogReadsTheLocalSocketForm: on a Unix socket the handler writes
// RFC 3164 in glibc's form by default, and rsyslog's imuxsock (what reads
// /dev/log) takes the tag, the severity and the message from it.
func TestRsyslogReadsTheLocalSocketForm(t *testing.T) {
	r := startRsyslog(t, t.TempDir(), 0, 0, 0)
	h, err := New(r.addr("unix"), &Options{AppName: "local-app", Facility: Daemon})
	require.NoError(t, err)
	slog.New(h).Error("disk full", "dev", "sda1")
	shutdown(t, h)
	lines := r.waitLines("unix.log", 1, 20*time.Second)
	require.Len(t, lines, 1)
	m, err := parse5424(lines[0])
	require.NoError(t, err)
	assert.Equal(t, 3*8+3, m.pri, "daemon.err")
	assert.Equal(t, "local-app", m.app)
	assert.Equal(t, strconv.Itoa(os.Getpid()), m.proc)
	assert.Equal(t, `disk full dev="sda1"`, strings.TrimSpace(m.msg))
}

// TestRsyslogMutualTLS: a receiver that requires a client certificate
// takes records from a handler with CertFile and KeyFile. Without them,
// rsyslog closes the connection after a handshake Go's TLS client
// completes, and writes would succeed into the void: the handler looks for
// that close after the handshake and fails the dial, so the records are
// counted dropped and the error names the likely cause.
func TestRsyslogMutualTLS(t *testing.T) {
	dir := t.TempDir()
	r := startRsyslog(t, dir, 0, 0, 0, func(r *rsyslog) { r.clientCerts = true })
	h, err := New(r.addr("tls"), &Options{TLS: delivery.TLS{CAFile: r.caFile, CertFile: filepath.Join(dir, "client.pem"), KeyFile: filepath.Join(dir, "client.key")},

		ErrorHandler: func(err error) { t.Errorf("ErrorHandler: %v", err) }})
	require.NoError(t, err)
	for i := range 10 {
		slog.New(h).Info("mtls", "i", i)
	}
	shutdown(t, h)
	require.Len(t, r.waitLines("tls.log", 10, 20*time.Second), 10)

	var mu sync.Mutex
	var errs []string
	h, err = New(r.addr("tls"), &Options{TLS: delivery.TLS{CAFile: r.caFile}, ErrorHandler: func(err error) {
		mu.Lock()
		errs = append(errs, err.Error())
		mu.Unlock()
	}})
	require.NoError(t, err)
	for i := range 3 {
		slog.New(h).Info("no client cert", "i", i)
		require.NoError(t, h.Flush(context.Background()))
		time.Sleep(100 * time.Millisecond)
	}
	shutdown(t, h)
	time.Sleep(200 * time.Millisecond)
	assert.Len(t, r.lines("tls.log"), 10, "nothing arrives without a client certificate")
	st := h.Stats()
	assert.Zero(t, st.Written, "nothing counted as written that rsyslog threw away")
	assert.Equal(t, uint64(3), st.Dropped)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, errs)
	assert.Contains(t, errs[0], "the receiver closed the connection right after the TLS handshake")
	assert.Contains(t, errs[0], "client certificate (Options.CertFile and KeyFile)")
}
