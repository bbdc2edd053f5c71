package wssink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/internal/spool"
)

// seqsAndRecords reads the raw messages a rawServer kept: how often each
// message seq and each record's "i" arrived.
func seqsAndRecords(t *testing.T, msgs [][]byte) (seqs, recs map[int]int) {
	t.Helper()
	seqs, recs = map[int]int{}, map[int]int{}
	for _, m := range msgs {
		var b struct {
			Seq  int
			Logs []struct{ I *int }
		}
		if err := json.Unmarshal(m, &b); err != nil {
			t.Fatalf("message is not JSON: %v", err)
		}
		seqs[b.Seq]++
		for _, l := range b.Logs {
			if l.I == nil {
				t.Fatalf("record without i in %.200s", m)
			}
			recs[*l.I]++
		}
	}
	return seqs, recs
}

func TestServerRestartsLoseNothingWithAck(t *testing.T) {
	rs := &rawServer{ack: true}
	srv := newWSServer(t, rs)
	o := fastOptions()
	o.Ack = true
	o.Queue.BatchSize = 100
	o.MaxUnacked = 8
	o.Queue.Size = 20000
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	log := slog.New(h)
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		for i := range n {
			log.Info("r", "i", i)
		}
	}()
	// Restart after a quarter, a half and three quarters of the messages
	// (of 100 records each) arrived: records are still in flight and queued.
	for k := 1; k <= 3; k++ {
		eventually(t, 20*time.Second, "progress before a restart", func() bool { return len(rs.messages()) >= k*n/100/4 })
		srv.stop()
		srv.start()
	}
	<-logged
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	shutdown(t, h)

	seqs, recs := seqsAndRecords(t, rs.messages())
	maxSeq := 0
	for s := range seqs {
		maxSeq = max(maxSeq, s)
	}
	for s := 1; s <= maxSeq; s++ {
		if seqs[s] == 0 {
			t.Errorf("message seq %d never arrived", s)
		}
	}
	for i := range n {
		if recs[i] == 0 {
			t.Fatalf("record %d never arrived", i)
		}
	}
	rs.mu.Lock()
	streams := map[string]int{}
	for _, hd := range rs.headers {
		streams[hd.Get(StreamHeader)]++
	}
	rs.mu.Unlock()
	if len(streams) != 1 || streams[""] != 0 {
		t.Errorf("stream names over the connections: %v, want one, the same on each", streams)
	}
	cs := h.ConnStats()
	if cs.Connects != 4 || cs.Disconnects != 3 {
		t.Errorf("conn stats %+v: want 4 connects, 3 disconnects", cs)
	}
	st := h.Stats()
	if st.Written != n || st.Dropped != 0 || st.Queued != 0 {
		t.Errorf("stats %+v: want %d written, none dropped or queued", st, n)
	}
	t.Logf("%d messages for %d sequence numbers, %d resent", len(rs.messages()), maxSeq, cs.Resent)
}

func TestUnacknowledgedMessageIsResentAfterReconnect(t *testing.T) {
	// The receiver refuses one message the first time it sees it (handle
	// returns an error: no ack, connection closed). The handler must send
	// it again on the next connection.
	var refused atomic.Bool
	col := &collector{fail: func(recs [][]byte) error {
		if strings.Contains(string(recs[0]), `"i":5}`) && refused.CompareAndSwap(false, true) {
			return errors.New("disk full")
		}
		return nil
	}}
	var rerr []error
	var mu sync.Mutex
	srv := newWSServer(t, NewReceiver(col.handle, &ReceiverOptions{ErrorHandler: func(err error) {
		mu.Lock()
		rerr = append(rerr, err)
		mu.Unlock()
	}}))
	o := fastOptions()
	o.Ack, o.Mode = true, Record
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(h)
	for i := range 10 {
		log.Info("r", "i", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	shutdown(t, h)
	seen := col.ints(t, "i")
	for i := range 10 {
		if seen[i] < 1 {
			t.Errorf("record %d lost", i)
		}
	}
	cs := h.ConnStats()
	if cs.Disconnects != 1 || cs.Connects != 2 || cs.Resent < 1 {
		t.Errorf("conn stats %+v: want one reconnect and a resend", cs)
	}
	if h.Stats().Retries != cs.Resent {
		t.Errorf("Retries %d != Resent %d", h.Stats().Retries, cs.Resent)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(rerr) != 1 || !strings.Contains(rerr[0].Error(), "disk full") {
		t.Errorf("receiver errors %v", rerr)
	}
}

// deafServer accepts connections and then never reads from the first one:
// pings go unanswered. Later connections get the receiver, next, or are
// deaf too when next is nil (a receiver alive but stuck).
type deafServer struct {
	next    http.Handler
	conns   atomic.Int32
	release chan struct{} // closed to let the deaf handler return
	once    sync.Once
}

func newDeafServer(next http.Handler) *deafServer {
	return &deafServer{next: next, release: make(chan struct{})}
}

// free lets the deaf handler return (a hijacked connection's request
// context is not cancelled when the server closes it).
func (d *deafServer) free() { d.once.Do(func() { close(d.release) }) }

func (d *deafServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.conns.Add(1) > 1 && d.next != nil {
		d.next.ServeHTTP(w, r)
		return
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	<-d.release // never read: no pong, no close frame
}

// A server that stops reading (no pong, no ack, no close frame) is found
// within Timeout and replaced, and with Ack nothing it was sent is lost.
// Without Ack only the ping can find it (writes fit the socket's
// buffers); with Ack, the ack wait or the ping, whichever comes first.
//
// With a spool and Ack off, what was written to the deaf server is sent
// again on the new connection (a written message leaves the window only
// when a pong confirms it), so nothing is lost either.
func TestDeadServerFoundByPingAndReplaced(t *testing.T) {
	for _, c := range []struct{ ack, spool bool }{{false, false}, {true, false}, {false, true}} {
		t.Run(fmt.Sprintf("ack=%v/spool=%v", c.ack, c.spool), func(t *testing.T) { testDeadServerReplaced(t, c.ack, c.spool) })
	}
}

func testDeadServerReplaced(t *testing.T, ack, spool bool) {
	var col collector
	deaf := newDeafServer(NewReceiver(col.handle, nil))
	srv := newWSServer(t, deaf)
	t.Cleanup(deaf.free) // before the server's stop
	var lost atomic.Value
	o := fastOptions()
	o.Ack = ack
	if spool {
		o.Spool.Dir = t.TempDir()
	}
	o.PingInterval = 50 * time.Millisecond
	o.Timeout = 100 * time.Millisecond
	o.ErrorHandler = func(err error) {
		if strings.Contains(err.Error(), "ping") || ack && strings.Contains(err.Error(), "not acknowledged") {
			lost.Store(err)
		}
	}
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(h)
	for i := range 100 {
		log.Info("r", "i", i)
	}
	eventually(t, 10*time.Second, "the deaf connection replaced", func() bool {
		cs := h.ConnStats()
		return cs.Disconnects == 1 && cs.Connects == 2
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	shutdown(t, h)
	if lost.Load() == nil {
		t.Error("no ping (or ack) error reported")
	}
	if !ack && !spool {
		return // written to a deaf server without acks or a spool: lost, and not known lost
	}
	seen := col.ints(t, "i")
	for i := range 100 {
		if seen[i] < 1 {
			t.Fatalf("record %d lost", i)
		}
	}
	if cs := h.ConnStats(); cs.Disconnects != 1 || cs.Connects != 2 {
		t.Errorf("conn stats %+v", cs)
	}
}

func TestMissingAcksReplaceTheConnection(t *testing.T) {
	rs := &rawServer{ack: false} // reads, never acknowledges
	srv := newWSServer(t, rs)
	o := fastOptions()
	o.Ack = true
	o.Timeout = 50 * time.Millisecond
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	slog.New(h).Info("r", "i", 0)
	eventually(t, 10*time.Second, "a resend after the ack timeout", func() bool {
		cs := h.ConnStats()
		return cs.Disconnects >= 1 && cs.Resent >= 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := h.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want an error for the undelivered record", err)
	}
	if st := h.Stats(); st.Written != 0 || st.Dropped != 1 {
		t.Errorf("stats %+v: the never-acknowledged record must count as dropped", st)
	}
	if msgs := rs.messages(); len(msgs) < 2 || string(msgs[0]) != string(msgs[1]) {
		t.Errorf("the same message should arrive twice, got %d messages", len(msgs))
	}
}

func TestSpoolKeepsEverythingWhileServerIsDown(t *testing.T) {
	var col collector
	srv := newDownServer(t, NewReceiver(col.handle, nil))
	o := fastOptions()
	o.Ack = true
	o.Spool.Dir = t.TempDir()
	o.Queue.OnFull = buffer.Divert
	o.Queue.Size = 100
	o.Queue.BatchSize = 10
	o.MaxUnacked = 4
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	log := slog.New(h)
	for i := range n {
		log.Info("r", "i", i)
	}
	eventually(t, 10*time.Second, "the queue overflowing into the spool", func() bool {
		return h.Stats().Spooled >= n-100-4*10-10
	})
	if h.Healthy() {
		t.Error("healthy while the server is down")
	}
	srv.start()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	shutdown(t, h)
	seen := col.ints(t, "i")
	var wrong []int
	for i := range n {
		if seen[i] != 1 {
			wrong = append(wrong, i, seen[i])
		}
	}
	if len(wrong) > 0 {
		t.Errorf("records (i, times seen) that did not arrive once: %v", wrong)
	}
	st := h.Stats()
	if st.Written != n || st.Dropped != 0 || st.Replayed != st.Spooled || st.Spooled == 0 {
		t.Errorf("stats %+v: want all written, spooled == replayed", st)
	}
}

func TestSpoolOutlivesTheProcess(t *testing.T) {
	var col collector
	srv := newDownServer(t, NewReceiver(col.handle, nil))
	dir := t.TempDir()
	o := fastOptions()
	o.Ack = true
	o.Spool.Dir = dir
	a, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	for i := range n {
		slog.New(a).Info("r", "i", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	err = a.Shutdown(ctx)
	cancel()
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with the server down: %v, want a deadline error", err)
	}
	if st := a.Stats(); st.Spooled != n || st.Dropped != 0 || st.Written != 0 {
		t.Fatalf("first handler: %+v, want all %d spooled", st, n)
	}
	checkNoGoroutines(t)

	srv.start()
	b, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	shutdown(t, b)
	seen := col.ints(t, "i")
	for i := range n {
		if seen[i] != 1 {
			t.Fatalf("record %d arrived %d times", i, seen[i])
		}
	}
	if st := b.Stats(); st.Replayed != n || st.Written != n {
		t.Errorf("second handler: %+v, want %d replayed", st, n)
	}
}

func TestGiveUpAfterMaxReconnectAttempts(t *testing.T) {
	for _, spooled := range []bool{false, true} {
		t.Run(map[bool]string{false: "drop", true: "spool"}[spooled], func(t *testing.T) {
			srv := newDownServer(t, http.NotFoundHandler())
			o := fastOptions()
			o.MaxReconnectAttempts = 3
			if spooled {
				o.Spool.Dir = t.TempDir()
			}
			h, err := New(srv.url(), o)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 20 {
				slog.New(h).Info("r", "i", i)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = h.Flush(ctx)
			if !errors.Is(err, errGaveUp) {
				t.Errorf("Flush after giving up: %v", err)
			}
			shutdown2(t, h)
			cs, st := h.ConnStats(), h.Stats()
			if cs.DialFailures != 3 || cs.Connects != 0 {
				t.Errorf("conn stats %+v: want exactly 3 dials", cs)
			}
			if spooled && (st.Spooled != 20 || st.Dropped != 0) {
				t.Errorf("stats %+v: want 20 spooled", st)
			}
			if !spooled && st.Dropped != 20 {
				t.Errorf("stats %+v: want 20 dropped", st)
			}
			if st.Failed != 3 || st.LastError == nil {
				t.Errorf("stats %+v: want 3 failures and the last error", st)
			}
		})
	}
}

func TestShutdownWithServerDownCountsDrops(t *testing.T) {
	srv := newDownServer(t, http.NotFoundHandler())
	o := fastOptions()
	o.MaxUnacked, o.Queue.BatchSize = 1, 10 // one batch in the window, one being placed, the rest queued
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		slog.New(h).Info("r", "i", i)
	}
	eventually(t, 5*time.Second, "50 records queued", func() bool {
		st := h.Stats()
		return st.Queued == 50 && h.s.placing.Load() == 10
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := h.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v", err)
	}
	if st := h.Stats(); st.Dropped != 50 || st.Queued != 0 {
		t.Errorf("stats %+v: want 50 dropped, none queued", st)
	}
	checkNoGoroutines(t)
}

func TestShutdownCutsAServerThatNeverAnswersTheClose(t *testing.T) {
	deaf := newDeafServer(http.NotFoundHandler())
	srv := newWSServer(t, deaf)
	t.Cleanup(deaf.free)
	o := fastOptions()
	o.PingInterval = -1
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "connected", h.Healthy)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	h.Shutdown(ctx)
	// coder/websocket waits 5s for a close frame; ctx must cut that short.
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Shutdown took %v despite a 200ms context", d)
	}
	deaf.free()
	srv.stop()
	checkNoGoroutines(t)
}

// eagerServer acknowledges everything, over and over, before it has read
// it: acks may arrive while a message is still being written.
type eagerServer struct{}

func (eagerServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		defer cancel()
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	}()
	ack := appendAck(nil, 1<<64-1)
	for ctx.Err() == nil {
		if c.Write(ctx, websocket.MessageText, ack) != nil {
			return
		}
	}
}

func TestEarlyAcksNeverRaceWithWrites(t *testing.T) {
	srv := newWSServer(t, eagerServer{})
	o := fastOptions()
	o.Ack = true
	o.Queue.BatchSize = 10
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(h)
	const n = 3000
	for i := range n {
		log.Info("r", "i", i, "pad", strings.Repeat("p", 200))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	shutdown(t, h)
	if st := h.Stats(); st.Written != n || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// A frame replayed from the spool stays on disk while its message waits
// for its ack, so that a kill then loses nothing; Shutdown puts the
// unacknowledged records back in the spool, and the next handler delivers
// each once.
func TestReplayedFrameStaysOnDiskUntilAcknowledged(t *testing.T) {
	dir := t.TempDir()
	sp, err := spool.Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = fmt.Appendf(nil, `{"msg":"r","i":%d}`, i)
	}
	if err := sp.Append(recs); err != nil {
		t.Fatal(err)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	segs := func() []string {
		m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	before := segs()

	deaf := newWSServer(t, &rawServer{ack: false}) // reads, never acknowledges
	o := fastOptions()
	o.Ack = true
	o.Spool.Dir = dir
	a, err := New(deaf.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the replayed message written", func() bool {
		return a.ConnStats().Messages >= 1 && a.s.Spool.Len() == 0
	})
	if got := segs(); !slices.Equal(got, before) {
		t.Fatalf("segments %v while the replayed message waits for its ack, want %v kept", got, before)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	a.Shutdown(ctx)
	cancel()
	if got := segs(); slices.Contains(got, before[0]) {
		t.Errorf("segments %v after Shutdown spooled the window again: the replayed one should be gone", got)
	}

	seen, _ := deliverSpool(t, o, n)
	for i := range n {
		if seen[i] != 1 {
			t.Errorf("record %d arrived %d times, want once", i, seen[i])
		}
	}
}

// logToStuck logs n records, numbered i, to a handler with a spool in
// dir (Ack as given, Timeout 300ms) whose server takes every connection
// and never reads from it (no pong, no ack), and returns once a message
// was written.
func logToStuck(t *testing.T, dir string, ack bool, n int) (*Handler, *Options) {
	t.Helper()
	stuck := newDeafServer(nil)
	srv := newWSServer(t, stuck)
	t.Cleanup(stuck.free) // before the server's stop
	o := fastOptions()
	o.Ack = ack
	o.Timeout = 300 * time.Millisecond
	o.Spool.Dir = dir
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	l := slog.New(h)
	for i := range n {
		l.Info("r", "i", i)
	}
	eventually(t, 10*time.Second, "a message written", func() bool { return h.ConnStats().Messages >= 1 })
	return h, o
}

// deliverSpool opens a handler with o, on o's spool, to a NewReceiver,
// waits for the spool to be replayed and n records to arrive, shuts it
// down, and returns how many times each record i arrived.
func deliverSpool(t *testing.T, o *Options, n int) (map[int]int, *Handler) {
	t.Helper()
	var col collector
	srv := newWSServer(t, NewReceiver(col.handle, nil))
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the spool replayed", func() bool { return h.s.Spool.Len() == 0 && col.count() >= n })
	shutdown(t, h)
	return col.ints(t, "i"), h
}

// With a spool and Ack off, a message written to a server that never
// reads it is not delivered: it stays in the window, its records in the
// journal, until a pong confirms it; the server never answers, so
// Shutdown spools it and the next handler on the spool delivers it.
// (Before, a written message counted as delivered, and was lost with a
// server that died or hung without reading it.)
func TestWrittenButUnreadIsKeptWithASpool(t *testing.T) {
	const n = 50
	a, o := logToStuck(t, t.TempDir(), false, n)
	if st := a.Stats(); st.Written != 0 {
		t.Fatalf("Written = %d before any pong, want 0 (stats %+v)", st.Written, st)
	}
	if cs := a.ConnStats(); cs.Unacked < 1 {
		t.Fatalf("ConnStats.Unacked = %d with messages written and no pong, want them counted (%+v)", cs.Unacked, cs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	a.Shutdown(ctx)
	cancel()
	if st := a.Stats(); st.Written != 0 || st.Spooled != n || st.Dropped != 0 {
		t.Fatalf("after Shutdown: Written %d, Spooled %d, Dropped %d; want 0, %d, 0", st.Written, st.Spooled, st.Dropped, n)
	}

	seen, b := deliverSpool(t, o, n)
	for i := range n {
		if seen[i] < 1 {
			t.Errorf("record %d never arrived", i)
		}
	}
	if st := b.Stats(); st.Written != n {
		t.Errorf("second handler: Written %d, want %d", st.Written, n)
	}
}

// Shutdown with no deadline is bounded by a server that takes
// connections and never reads, acknowledges or answers a ping, as by one
// that is down: after Timeout plus a second without a message delivered,
// what is undelivered goes to the spool.
func TestShutdownIsBoundedByAServerThatNeverReads(t *testing.T) {
	for _, ack := range []bool{false, true} {
		t.Run(fmt.Sprintf("ack=%v", ack), func(t *testing.T) {
			const n = 200
			h, o := logToStuck(t, t.TempDir(), ack, n)
			start := time.Now()
			err := h.Shutdown(context.Background())
			took := time.Since(start)
			t.Logf("Shutdown took %v: %v", took, err)
			if took > 5*time.Second {
				t.Errorf("Shutdown took %v with Timeout %v", took, o.Timeout)
			}
			if err == nil || !strings.Contains(err.Error(), "took no message") {
				t.Errorf("Shutdown error %v, want it to name the server that took no message", err)
			}
			if st := h.Stats(); st.Written != 0 || st.Spooled != n || st.Dropped != 0 {
				t.Errorf("Written %d, Spooled %d, Dropped %d; want 0, %d, 0", st.Written, st.Spooled, st.Dropped, n)
			}
		})
	}
}
