package wssink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jinpy-utils/multi/internal/spool"
)

// A user name in the URL's user information is a credential as much as the
// password (net/http sends both as Basic auth, and services take a token as
// the user name): it must not appear in errors or in Stats.
func TestURLUserNeverInErrors(t *testing.T) {
	for _, userinfo := range []string{"s3cret-user@", "s3cret-user:hunter2@", "s3cret%40user:hunter2@", "s3cret%3Auser@"} {
		t.Run(userinfo, func(t *testing.T) {
			srv := newDownServer(t, http.NotFoundHandler())
			var mu sync.Mutex
			var errs []string
			o := fastOptions()
			o.MaxReconnectAttempts = 1
			o.ErrorHandler = func(err error) {
				mu.Lock()
				errs = append(errs, err.Error())
				mu.Unlock()
			}
			h, err := New(strings.Replace(srv.url(), "ws://", "ws://"+userinfo, 1), o)
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, 5*time.Second, "a failed dial", func() bool { return h.ConnStats().DialFailures == 1 })
			shutdown2(t, h)
			mu.Lock()
			defer mu.Unlock()
			if len(errs) == 0 {
				t.Fatal("no error reported")
			}
			for _, e := range append(errs, fmt.Sprint(h.Stats().LastError)) {
				for _, sec := range []string{"s3cret", "hunter2"} {
					if strings.Contains(e, sec) {
						t.Errorf("%q in error: %s", sec, e)
					}
				}
			}
		})
	}
}

// A receiver whose MaxMessageSize is huge ("no limit") must still take
// messages of more than 64 KiB.
func TestReceiverWithHugeMaxMessageSize(t *testing.T) {
	var col collector
	var rerr []error
	var mu sync.Mutex
	srv := newWSServer(t, NewReceiver(col.handle, &ReceiverOptions{
		MaxMessageSize: math.MaxInt64,
		ErrorHandler: func(err error) {
			mu.Lock()
			rerr = append(rerr, err)
			mu.Unlock()
		},
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, srv.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	rec := `{"msg":"big","pad":"` + strings.Repeat("a", 100<<10) + `"}`
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"log","seq":1,"log":`+rec+`}`)); err != nil {
		t.Fatal(err)
	}
	_, msg, err := c.Read(ctx)
	if err != nil {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("no ack: %v (receiver errors %v)", err, rerr)
	}
	if seq, ok := parseAck(msg); !ok || seq != 1 {
		t.Errorf("answer %s, want the ack of seq 1", msg)
	}
	if recs := col.records(); len(recs) != 1 || string(recs[0]) != rec {
		t.Errorf("receiver handled %d records, want the one sent", len(recs))
	}
	c.Close(websocket.StatusNormalClosure, "")
}

// A Shutdown called while another is under way must honour its own ctx,
// not wait as long as the first one does.
func TestConcurrentShutdownHonoursItsContext(t *testing.T) {
	srv := newDownServer(t, http.NotFoundHandler())
	o := fastOptions()
	o.Queue.FlushInterval = time.Millisecond
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "pending", 0)); err != nil {
		t.Fatal(err)
	}
	// The first Shutdown waits for a server that is down, until released.
	firstCtx, release := context.WithCancel(context.Background())
	defer release()
	first := make(chan error, 1)
	go func() { first <- h.Shutdown(firstCtx) }()
	eventually(t, 5*time.Second, "the first Shutdown under way", h.s.Closed)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	second := make(chan error, 1)
	go func() { second <- h.Shutdown(ctx) }()
	select {
	case err := <-second:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("second Shutdown: %v, want its ctx's deadline error", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("second Shutdown still waiting 10s after its 50ms ctx ended")
	}
	release()
	select {
	case <-first:
	case <-time.After(10 * time.Second):
		t.Fatal("first Shutdown did not return after its ctx ended")
	}
	// Once the first is over, a later call returns nil at once.
	if err := h.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown after Shutdown: %v", err)
	}
	if st := h.Stats(); st.Dropped != 1 || st.Queued != 0 {
		t.Errorf("stats %+v: want the record dropped", st)
	}
	checkNoGoroutines(t)
}

// A spooled frame of many records is many messages in Mode Record; replayed
// with Ack on, still at most MaxUnacked of them may be in flight.
func TestReplayKeepsMaxUnackedInFlight(t *testing.T) {
	dir := t.TempDir()
	sp, err := spool.Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	var frame [][]byte
	for i := range 10 {
		frame = append(frame, fmt.Appendf(nil, `{"msg":"r","i":%d}`, i))
	}
	if err := sp.Append(frame); err != nil {
		t.Fatal(err)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}

	rs := &rawServer{ack: false} // reads, never acknowledges
	srv := newWSServer(t, rs)
	o := fastOptions()
	o.Mode, o.Ack = Record, true
	o.MaxUnacked = 2
	o.Timeout = time.Hour
	o.PingInterval = -1
	o.Spool.Dir = dir
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "two messages in flight", func() bool { return len(rs.messages()) >= 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	// Nothing is acknowledged: the records go back to the spool.
	err = h.Shutdown(ctx)
	srv.stop()
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "10 records not yet delivered") {
		t.Errorf("Shutdown = %v, want its deadline with the 10 records not yet delivered", err)
	}
	if n := len(rs.messages()); n != 2 {
		t.Errorf("server got %d unacknowledged messages, MaxUnacked is 2", n)
	}
	if cs := h.ConnStats(); cs.Messages != 2 {
		t.Errorf("conn stats %+v: want 2 messages written", cs)
	}
	if st := h.Stats(); st.Written != 0 || st.Dropped != 0 || st.Queued != 0 {
		t.Errorf("stats %+v", st)
	}
	// The spool holds the ten records again, in order, for the next process.
	sp, err = spool.Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	var back []string
	n, err := sp.Replay(context.Background(), func(recs [][]byte) error {
		for _, r := range recs {
			back = append(back, string(r))
		}
		return nil
	})
	var want []string
	for _, r := range frame {
		want = append(want, string(r))
	}
	if err != nil || n != len(want) || !slices.Equal(back, want) {
		t.Errorf("the spool gives back %d records (%v): %q, want the %d unacknowledged ones in order", n, err, back, len(want))
	}
}

// A server that accepts every connection and drops it at once is redialled
// with growing waits, not at the first back-off step each time: the steps
// start over only after a connection that stayed up for
// MaxReconnectInterval.
func TestBackOffGrowsWhenEveryConnectionDropsAtOnce(t *testing.T) {
	srv := newWSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		c.Close(websocket.StatusTryAgainLater, "busy")
	}))
	o := fastOptions()
	o.Reconnect.InitialInterval, o.Reconnect.MaxInterval = 10*time.Millisecond, 400*time.Millisecond
	h, err := New(srv.url(), o)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	cs := h.ConnStats()
	shutdown(t, h)
	// Steps of 10, 20, 40 ... 400ms (±50%) give about 8 connections in
	// 1.5s; starting over at 10ms each time gives about 100.
	if cs.Connects < 3 || cs.Connects > 25 {
		t.Errorf("%d connections in 1.5s to a server that drops each at once; want the waits to grow (3 to 25)", cs.Connects)
	}
}

// A server message over 64 KiB breaks the connection, which is replaced,
// as the package doc says.
func TestAServerMessageOver64KiBBreaksTheConnection(t *testing.T) {
	srv := newWSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"hello"}`)); err != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
		c.Write(ctx, websocket.MessageText, bytes.Repeat([]byte("x"), 64<<10+1))
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	}))
	h, err := New(srv.url(), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(t, h)
	eventually(t, 10*time.Second, "the connection replaced after the large message", func() bool {
		cs := h.ConnStats()
		return cs.Disconnects >= 1 && cs.Connects >= 2
	})
}
