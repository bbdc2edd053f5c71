package syslog

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/delivery"
)

// tcpReceiver is a TCP server on loopback that reads octet-counted frames.
type tcpReceiver struct {
	t     testing.TB
	ln    net.Listener
	mu    sync.Mutex
	msgs  []string
	conns atomic.Int64
	wg    sync.WaitGroup
}

func newTCPReceiver(t testing.TB) *tcpReceiver {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := &tcpReceiver{t: t, ln: ln}
	r.wg.Add(1)
	go r.accept()
	t.Cleanup(r.close)
	return r
}

func (r *tcpReceiver) addr() string { return "tcp://" + r.ln.Addr().String() }

func (r *tcpReceiver) close() { r.ln.Close(); r.wg.Wait() }

func (r *tcpReceiver) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.conns.Add(1)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer c.Close()
			br := bufio.NewReader(c)
			for {
				msg, err := readFrame(br, nil)
				if err != nil {
					if err != io.EOF {
						r.t.Error(err)
					}
					return
				}
				r.mu.Lock()
				r.msgs = append(r.msgs, string(msg))
				r.mu.Unlock()
			}
		}()
	}
}

// readFrame reads one octet-counted frame, "LEN SP MSG" (RFC 6587, RFC
// 5425), from br into buf, grown as needed, and returns MSG. At the end of
// the stream, or of a frame it cut short, it returns io.EOF.
func readFrame(br *bufio.Reader, buf []byte) ([]byte, error) {
	l, err := br.ReadSlice(' ')
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("frame length: %w", err)
	}
	size, err := strconv.Atoi(string(l[:len(l)-1]))
	if err != nil || size <= 0 || size > 1<<20 {
		return nil, fmt.Errorf("bad frame length %q", l)
	}
	if cap(buf) < size {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	if _, err := io.ReadFull(br, buf); err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, io.EOF
		}
		return nil, err
	}
	return buf, nil
}

func (r *tcpReceiver) wait(n int) []string {
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		got := append([]string(nil), r.msgs...)
		r.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// closedPort returns a loopback address where nothing listens.
func closedPort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return "tcp://" + addr
}

func TestOctetCountingFraming(t *testing.T) {
	r := newTCPReceiver(t)
	h, err := New(r.addr(), &Options{MaxMessageSize: -1})
	require.NoError(t, err)
	logger := slog.New(h)
	logger.Info("one\ntwo", "k", "a b\nc")
	logger.Info(strings.Repeat("x", 100<<10)) // larger than a write chunk
	shutdown(t, h)
	msgs := r.wait(2)
	require.Len(t, msgs, 2)
	m, err := parse5424(msgs[0])
	require.NoError(t, err)
	assert.Equal(t, "one\ntwo", m.msg)
	assert.Equal(t, "a b\nc", m.sd[0].params[0].value)
	m, err = parse5424(msgs[1])
	require.NoError(t, err)
	assert.Len(t, m.msg, 100<<10)
}

func TestReceiverDownWithoutSpoolDropsAndCountsNeverBlocks(t *testing.T) {
	var mu sync.Mutex
	var errs []string
	// No retries: each batch meets the refusal once and is dropped, so
	// that Flush below returns at once (with retries it would wait out
	// every batch's back-off).
	h, err := New(closedPort(t), &Options{Retry: delivery.Retry{Max: -1}, ErrorHandler: func(err error) {
		mu.Lock()
		errs = append(errs, err.Error())
		mu.Unlock()
	}})
	require.NoError(t, err)
	logger := slog.New(h)
	const n = 30_000 // three times the queue: Block must not wait for a receiver that is down
	done := make(chan struct{})
	go func() {
		for i := range n {
			logger.Info("r", "i", i)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Handle blocked on a receiver that is down")
	}
	require.NoError(t, h.Flush(context.Background()))
	st := h.Stats()
	assert.Equal(t, uint64(n), st.Dropped)
	assert.Zero(t, st.Written)
	assert.Positive(t, st.Failed)
	assert.False(t, h.Healthy())
	require.Error(t, st.LastError)
	assert.Contains(t, st.LastError.Error(), "dial tcp://127.0.0.1:")
	assert.Contains(t, st.LastError.Error(), "connection refused")
	shutdown(t, h)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, errs)
	assert.Contains(t, errs[0], "connection refused")
	assert.Contains(t, strings.Join(errs, "\n"), "dropped")
}

func TestShutdownIsBoundedWhenTheReceiverStopsReading(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.(*net.TCPConn).SetReadBuffer(4096)
			accepted <- c // never read
		}
	}()
	h, err := New("tcp://"+ln.Addr().String(), &Options{Queue: delivery.Queue{OnFull: buffer.DropNewest}, ErrorHandler: func(error) {}})
	require.NoError(t, err)
	logger := slog.New(h)
	big := strings.Repeat("x", 1000)
	const n = 20_000 // 20 MB: far more than the socket buffers hold
	for i := range n {
		logger.Info(big, "i", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = h.Shutdown(ctx)
	took := time.Since(start)
	assert.Error(t, err, "a cut Shutdown says so")
	assert.Less(t, took, 5*time.Second, "Shutdown is bounded by its ctx, not by WriteTimeout")
	st := h.Stats()
	assert.Equal(t, uint64(n), st.Written+st.Dropped, "every record is written or counted dropped")
	assert.Zero(t, st.Queued)
	if c := <-accepted; c != nil {
		c.Close()
	}
}

func TestSpoolLeftByAnEarlierProcessIsSentAtStart(t *testing.T) {
	dir := t.TempDir()
	h, err := New(closedPort(t), &Options{Spool: delivery.Spool{Dir: dir}, ErrorHandler: func(error) {}})
	require.NoError(t, err)
	for i := range 100 {
		slog.New(h).Info("early", "i", i)
	}
	require.NoError(t, h.Flush(context.Background()))
	shutdown(t, h)
	st := h.Stats()
	assert.Equal(t, uint64(100), st.Spooled)
	assert.Zero(t, st.Dropped)

	r := newTCPReceiver(t)
	h2, err := New(r.addr(), &Options{Spool: delivery.Spool{Dir: dir}})
	require.NoError(t, err)
	msgs := r.wait(100)
	assert.Len(t, msgs, 100, "the prober replays the spool without waiting for a record")
	slog.New(h2).Info("late", "i", 100)
	shutdown(t, h2)
	msgs = r.wait(101)
	require.Len(t, msgs, 101)
	got := seqs(t, msgs)
	for i := range 101 {
		assert.Equal(t, 1, got[i], "record %d", i)
	}
	assert.Equal(t, uint64(100), h2.Stats().Replayed)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasSuffix(e.Name(), ".seg"), "segment %s left after a full replay", e.Name())
	}
}

func TestDivertWritesAFullQueueToTheSpool(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			time.Sleep(time.Hour) // never reads
		}
	}()
	h, err := New("tcp://"+ln.Addr().String(), &Options{Spool: delivery.Spool{Dir: t.TempDir()}, Queue: delivery.Queue{Size: 1000}, ErrorHandler: func(error) {}})
	require.NoError(t, err)
	logger := slog.New(h)
	big := strings.Repeat("y", 1000)
	for i := range 20_000 {
		logger.Info(big, "i", i)
	}
	assert.Positive(t, h.Stats().Spooled, "a full queue diverts to the spool instead of blocking")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	h.Shutdown(ctx) //nolint:errcheck
	st := h.Stats()
	assert.Zero(t, st.Dropped)
	assert.Equal(t, uint64(20_000), st.Written-st.Replayed+st.Spooled, "every record is written or spooled: %+v", st)
}

func TestUnixgramSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	defer c.Close()
	h, err := New("unix://"+path, &Options{AppName: "tagged"})
	require.NoError(t, err)
	slog.New(h).Warn("local", "k", 1)
	shutdown(t, h)
	buf := make([]byte, 4096)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, err := c.Read(buf)
	require.NoError(t, err)
	got := string(buf[:n])
	assert.Regexp(t, `^<12>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d tagged\[\d+\]: local k="1"$`, got, "glibc's local form: no hostname")
}

func TestAfterShutdown(t *testing.T) {
	r := newTCPReceiver(t)
	before := runtime.NumGoroutine()
	h, err := New(r.addr(), &Options{Spool: delivery.Spool{Dir: t.TempDir()}})
	require.NoError(t, err)
	slog.New(h).Info("x")
	shutdown(t, h)
	require.NoError(t, h.Shutdown(context.Background()), "idempotent")
	err = h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "late", 0))
	assert.ErrorIs(t, err, multi.ErrClosed)
	assert.ErrorIs(t, h.Flush(context.Background()), multi.ErrClosed)
	assert.Equal(t, uint64(1), h.Stats().Dropped)
	assert.False(t, h.Healthy())
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	assert.NotContains(t, stacks, "multi/syslog.(*sink)", "a goroutine of the sink outlived Shutdown")
	assert.NotContains(t, stacks, "multi/buffer.(*Buffer).run")
}

func TestADatagramTooLargeIsDroppedAloneAndTheReceiverStaysUp(t *testing.T) {
	u := newUDPReceiver(t)
	var errs []error
	h, err := New(u.addr(), &Options{MaxMessageSize: -1, ErrorHandler: func(err error) { errs = append(errs, err) }})
	require.NoError(t, err)
	logger := slog.New(h)
	logger.Info("before")
	logger.Info(strings.Repeat("x", 70_000)) // over UDP's 65507
	logger.Info("after")
	shutdown(t, h)
	for _, want := range []string{"before", "after"} {
		m, err := parse5424(u.next())
		require.NoError(t, err)
		assert.Equal(t, want, m.msg)
	}
	st := h.Stats()
	assert.Equal(t, uint64(2), st.Written)
	assert.Equal(t, uint64(1), st.Dropped)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Error(), "record of 70")
	assert.Contains(t, errs[0].Error(), "too large for a datagram")
}

// A receiver that accepts and then says nothing (a TLS port that never
// answers the handshake) is down once DialTimeout passes: the timeout is
// the receiver's, not a Shutdown giving up.
func TestADialTimeoutMarksTheReceiverDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	var mu sync.Mutex
	var errs []string
	h, err := New("tls://"+ln.Addr().String(), &Options{Timeout: 200 * time.Millisecond, Retry: delivery.Retry{Max: -1}, ErrorHandler: func(err error) {
		mu.Lock()
		errs = append(errs, err.Error())
		mu.Unlock()
	}})
	require.NoError(t, err)
	slog.New(h).Info("x")
	require.NoError(t, h.Flush(context.Background()))
	assert.False(t, h.Healthy())
	slog.New(h).Info("y")
	require.NoError(t, h.Flush(context.Background()))
	st := h.Stats()
	assert.Equal(t, uint64(2), st.Dropped)
	assert.Equal(t, uint64(2), st.Failed, "one attempt a batch, each timing out")
	shutdown(t, h)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, errs)
	assert.Contains(t, errs[0], "TLS handshake")
	assert.Contains(t, errs[0], "deadline exceeded")
}

func TestConcurrentLoggersEveryRecordArrivesOnce(t *testing.T) {
	r := newTCPReceiver(t)
	h, err := New(r.addr(), &Options{ErrorHandler: func(err error) { t.Errorf("ErrorHandler: %v", err) }})
	require.NoError(t, err)
	const g, n = 8, 5000
	var wg sync.WaitGroup
	for w := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := slog.New(h.WithAttrs([]slog.Attr{slog.Int("w", w)}).WithGroup("g"))
			for i := range n {
				l.Info("r", slog.Int("i", w*n+i))
				if i%1000 == 0 {
					h.Flush(context.Background()) //nolint:errcheck
				}
			}
		}()
	}
	wg.Wait()
	shutdown(t, h)
	msgs := r.wait(g * n)
	require.Len(t, msgs, g*n)
	seen := make([]bool, g*n)
	for _, m := range msgs {
		p, err := parse5424(m)
		require.NoError(t, err)
		ps := p.sd[0].params
		require.Len(t, ps, 2)
		i, err := strconv.Atoi(ps[1].value)
		require.NoError(t, err)
		require.Equal(t, "g.i", ps[1].name)
		require.Equal(t, strconv.Itoa(i/n), ps[0].value, "a record carries its own logger's attributes")
		require.False(t, seen[i], "record %d twice", i)
		seen[i] = true
	}
	assert.Equal(t, uint64(g*n), h.Stats().Written)
}

// A syslog daemon that restarts makes a new socket file: the connected
// datagram socket is refused, and the handler dials the new one at once.
func TestUnixgramReceiverRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	listen := func() *net.UnixConn {
		c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
		require.NoError(t, err)
		return c
	}
	read := func(c *net.UnixConn) string {
		buf := make([]byte, 4096)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, err := c.Read(buf)
		require.NoError(t, err)
		return string(buf[:n])
	}
	c := listen()
	h, err := New("unix://"+path, &Options{ErrorHandler: func(err error) { t.Errorf("ErrorHandler: %v", err) }})
	require.NoError(t, err)
	logger := slog.New(h)
	logger.Info("first")
	require.NoError(t, h.Flush(context.Background()))
	assert.Contains(t, read(c), "first")
	c.Close()
	os.Remove(path)
	c = listen()
	defer c.Close()
	logger.Info("second")
	require.NoError(t, h.Flush(context.Background()))
	assert.Contains(t, read(c), "second")
	st := h.Stats()
	assert.Equal(t, uint64(2), st.Written)
	assert.Zero(t, st.Dropped)
	assert.Equal(t, uint64(1), st.Retries)
	shutdown(t, h)
}
