package wssink

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/coder/websocket"
	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/core"
	"github.com/jinpy-utils/multi/internal/spool"
	"github.com/jinpy-utils/multi/internal/tlsconf"
)

// sink is the destination state shared by a Handler and its derivatives:
// the queue (a buffer.Buffer, whose goroutine turns batches into messages),
// the window of messages in flight, and the goroutine that owns the
// connection.
type sink struct {
	*core.Core // the queue, spool, counters, reporter, secrets, gap
	cfg        config
	enc        *encoder
	dialOpts   *websocket.DialOptions
	transport  *http.Transport
	netDialer  net.Dialer

	// Counters.
	connects, disconnects, dialFailures atomic.Uint64
	messages, resent, acks, truncated   atomic.Uint64
	connected                           atomic.Bool
	placing                             atomic.Int64 // records of the batch writeBatch is placing in the window
	gapLine                             []byte       // the gap record (the buffer's goroutine)

	// Lifecycle: runCtx ends to stop the owner (Shutdown), hardCtx when
	// Shutdown's ctx ends and every network wait must give up.
	runCtx, hardCtx   context.Context
	stopRun, stopHard context.CancelFunc
	done              chan struct{} // closed when run returns
	wake              chan struct{} // cap 1: the owner has work
	space             chan struct{} // cap 1: the window has room
	free              chan []byte   // buffers of delivered messages, for new ones

	bufBuild, replayBuild builder // scratch of the buffer's and of the owner's goroutine

	rawMu sync.Mutex
	raw   net.Conn // the socket of the latest dial, to cut a stuck close

	// The window of messages in flight.
	mu      sync.Mutex
	win     []*message // oldest first; win[:sent] are written on the current connection
	sent    int
	winRecs int // records in win
	seq     uint64
	gaveUp  bool
	changed chan struct{} // closed when the window shrinks or the spool drains
	// pongs: with a Spool and Ack off, a written message leaves the window
	// only once a pong answers a ping written after it (see confirm);
	// confirming is set while that ping is out.
	pongs, confirming bool
}

// maxPooled is the largest message buffer kept for reuse.
const maxPooled = 4 << 20

// takeBuf returns a recycled message buffer, or nil.
func (s *sink) takeBuf() []byte {
	select {
	case b := <-s.free:
		return b
	default:
		return nil
	}
}

// recycleLocked returns the buffer of m, which has left the window, for
// reuse, unless the owner is writing it now (then the owner does, after).
func (s *sink) recycleLocked(m *message) {
	m.release()
	if m.busy {
		m.orphan = true
		return
	}
	if cap(m.buf) <= maxPooled {
		select {
		case s.free <- m.buf[:0]:
		default:
		}
	}
	m.buf, m.data = nil, nil
}

func newSink(rawURL string, opts *Options) (*sink, error) {
	s := &sink{
		done:  make(chan struct{}),
		free:  make(chan []byte, 8),
		wake:  make(chan struct{}, 1),
		space: make(chan struct{}, 1),
	}
	if err := s.cfg.resolve(rawURL, opts); err != nil {
		return nil, err
	}
	t := s.cfg.TLS
	tlsCfg, err := tlsconf.Config(t.CAFile, t.CertFile, t.KeyFile, t.InsecureSkipVerify)
	if err != nil {
		return nil, fmt.Errorf("wssink: %w", err)
	}
	s.enc = newEncoder(s.cfg.Mode, s.cfg.Ack, s.cfg.Source, s.cfg.MaxMessageSize, s.cfg.Spool.Dir != "")
	s.pongs = !s.cfg.Ack && s.cfg.Spool.Dir != ""
	s.transport = &http.Transport{
		Proxy:             http.ProxyFromEnvironment,
		DialContext:       s.dialSocket,
		TLSClientConfig:   tlsCfg,
		DisableKeepAlives: true, // every dial gets a socket of its own (see dialSocket)
	}
	header := http.Header{}
	for k, vs := range s.cfg.Headers {
		header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if s.cfg.BearerToken != "" {
		header.Set("Authorization", "Bearer "+s.cfg.BearerToken)
	}
	header.Set(StreamHeader, rand.Text())
	s.dialOpts = &websocket.DialOptions{
		HTTPClient:   &http.Client{Transport: s.transport},
		HTTPHeader:   header,
		Subprotocols: s.cfg.Subprotocols,
	}
	if s.cfg.Compress {
		s.dialOpts.CompressionMode = websocket.CompressionContextTakeover
	}
	if s.Core, err = core.New(core.Config{
		Name:         "wssink",
		TrimNewline:  true,
		Endpoint:     core.SafeURL(s.cfg.url),
		Buffer:       s.cfg.buffer,
		Spool:        s.cfg.Spool,
		ErrorHandler: s.cfg.ErrorHandler,
		Secrets:      s.cfg.secrets,
		Write:        s.writeBatch,
		Wake:         func() { signal(s.wake) }, // a connection that is up replays it
	}); err != nil {
		return nil, err
	}
	s.runCtx, s.stopRun = context.WithCancel(context.Background())
	s.hardCtx, s.stopHard = context.WithCancel(context.Background())
	return s, nil
}

// start launches the goroutine that owns the connection.
func (s *sink) start() { go s.run() }

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// notifyLocked wakes everyone waiting for the window to change.
func (s *sink) notifyLocked() {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// builder is the scratch one goroutine uses to turn records into messages.
type builder struct {
	recs  [][]byte
	sizes []int
}

// writeBatch is the buffer's write function: it runs on the buffer's
// goroutine, one batch at a time.
func (s *sink) writeBatch(ctx context.Context, b *buffer.Batch) {
	s.sendGap(ctx)
	bl := &s.bufBuild
	bl.recs = bl.recs[:0]
	for i := range b.Len() {
		bl.recs = append(bl.recs, b.Record(i))
	}
	s.placing.Store(int64(len(bl.recs)))
	// The batch stays in the journal until its last message leaves the
	// window (acknowledged, or spilled to the spool): acks are in order.
	s.deliver(ctx, bl, bl.recs, b.Hold())
	s.placing.Store(0)
	clear(bl.recs)
}

// sendGap puts a gap record in the window, a message of its own ahead of
// the batch, when records were dropped since the last one. It counts as
// no record of the program's (Written does not move when it is
// delivered); if the window cannot take it, its drops wait for the next.
func (s *sink) sendGap(ctx context.Context) {
	var d core.Drops
	var ok bool
	if s.gapLine, d, ok = s.GapRecord(s.gapLine[:0], s.cfg.Name); !ok {
		return
	}
	m := s.enc.encode([][]byte{s.gapLine}, s.takeBuf())
	m.n = 0
	if err := s.push(ctx, m, true); err != nil {
		s.Gap.Restore(d)
	}
}

// release tells the journal, or the spool, that m's records have left the
// window: delivered, spooled or dropped.
func (m *message) release() {
	m.span.Release()
	m.lease.Release()
	m.span, m.lease = buffer.Span{}, spool.Lease{}
}

// deliver turns recs into messages and puts them in the window.
//
// Records from the queue (fromSpool false) wait for room in the window;
// those it cannot place (Shutdown's ctx ended, or the handler gave up) are
// spilled to the spool or dropped, and deliver returns nil.
//
// Records from the spool are placed without waiting for room, so a replayed
// frame is taken whole (the window may briefly hold more than MaxUnacked
// messages, though writeAll never has more than MaxUnacked written and
// unacknowledged); deliver only fails, and the frame stays in the spool,
// once the handler has given up.
func (s *sink) deliver(ctx context.Context, bl *builder, recs [][]byte, span buffer.Span) error {
	return s.place(ctx, bl, recs, false, span, spool.Lease{})
}

// replayed places records read back from the spool (see deliver); the
// lease keeps their frame on disk until their last message leaves the
// window.
func (s *sink) replayed(ctx context.Context, bl *builder, recs [][]byte, lease spool.Lease) error {
	return s.place(ctx, bl, recs, true, buffer.Span{}, lease)
}

// place is deliver and replayed; the last message of records from the
// queue carries their span in the journal, that of records from the spool
// the lease on their frame.
func (s *sink) place(ctx context.Context, bl *builder, recs [][]byte, fromSpool bool, span buffer.Span, lease spool.Lease) error {
	bl.sizes = bl.sizes[:0]
	for i, r := range recs {
		if len(r) > s.enc.maxRecord {
			recs[i] = truncateRecord(nil, r, s.enc.maxRecord)
			s.truncated.Add(1)
			s.Report(fmt.Errorf("wssink: record of %d bytes truncated to fit MaxMessageSize %d", len(r), s.cfg.MaxMessageSize))
		}
		bl.sizes = append(bl.sizes, len(recs[i]))
	}
	var last *message // the last of these records' messages pushed
	for i := 0; i < len(recs); {
		j := s.enc.split(bl.sizes, i)
		m := s.enc.encode(recs[i:j], s.takeBuf())
		m.spool = fromSpool
		if j == len(recs) {
			m.span, m.lease = span, lease
		}
		if err := s.push(ctx, m, !fromSpool); err != nil {
			if fromSpool {
				return err
			}
			s.placing.Store(0)
			s.spill(recs[i:], false, err)
			s.handOver(last, span)
			return nil
		}
		last = m
		if !fromSpool {
			s.placing.Add(int64(i - j))
		}
		i = j
	}
	return nil
}

// handOver gives span, whose records from the window's last message m on
// were just spooled or dropped, to m if m is still in the window, to be
// released when m leaves it; otherwise (m is nil, or gone: delivered or
// spilled) it releases span now. Releasing it while m waited would let a
// kill lose m's records and those of the batch's earlier messages.
func (s *sink) handOver(m *message, span buffer.Span) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m != nil && slices.Contains(s.win, m) {
		m.span = span
		return
	}
	span.Release()
}

var (
	errShutdown = errors.New("shut down before delivery")
	errGaveUp   = errors.New("gave up reconnecting")
)

// push stamps m with the next sequence number and appends it to the
// window, waiting for room first when wait is set.
func (s *sink) push(ctx context.Context, m *message, wait bool) error {
	s.mu.Lock()
	for wait && len(s.win) >= s.cfg.MaxUnacked && !s.gaveUp {
		s.mu.Unlock()
		select {
		case <-s.space:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.hardCtx.Done():
			return errShutdown
		}
		s.mu.Lock()
	}
	if s.gaveUp {
		s.mu.Unlock()
		return errGaveUp
	}
	s.seq++
	s.enc.stamp(m, s.seq)
	m.seq = s.seq // confirmed by an ack or a pong (stamp leaves a bare record's 0)
	s.win = append(s.win, m)
	s.winRecs += m.n
	s.mu.Unlock()
	signal(s.wake)
	return nil
}

// spill puts records that cannot be delivered into the spool, or counts
// them as dropped. Records that came from the spool were counted as
// spooled already.
func (s *sink) spill(recs [][]byte, fromSpool bool, why error) {
	if len(recs) == 0 {
		return
	}
	if s.Spool != nil {
		err := s.Spool.Append(recs)
		if err == nil {
			if !fromSpool {
				s.Counters.Spooled(len(recs))
			}
			return
		}
		why = fmt.Errorf("%w; spool: %w", why, err)
	}
	s.Drop(len(recs), why)
}

// spillWindow empties the window into the spool, or counts it as dropped.
func (s *sink) spillWindow(why error) {
	s.mu.Lock()
	win := s.win
	s.win, s.sent, s.winRecs = nil, 0, 0
	s.notifyLocked()
	s.mu.Unlock()
	signal(s.space)
	for _, m := range win {
		if s.Spool != nil {
			s.spill(m.records(), m.spool, why)
		} else {
			s.Drop(m.n, why)
		}
		s.mu.Lock()
		m.release() // in the spool now, or dropped
		s.mu.Unlock()
	}
}

// run is the goroutine that owns the connection: it dials with back-off,
// serves each connection until it breaks, and stops when told to.
func (s *sink) run() {
	defer close(s.done)
	bo := newBackOff(s.cfg.Reconnect)
	failures := 0
	for {
		conn, err := s.dial()
		if err != nil {
			if s.runCtx.Err() != nil {
				return
			}
			failures++
			s.dialFailures.Add(1)
			s.Counters.Failed(err)
			s.Counters.SetError(err)
			s.Rep.Down(err)
			if s.cfg.MaxReconnectAttempts > 0 && failures >= s.cfg.MaxReconnectAttempts {
				s.giveUp(fmt.Errorf("%w after %d failed dials: %w", errGaveUp, failures, err))
				return
			}
		} else {
			failures = 0
			up := time.Now()
			if s.serve(conn) {
				return
			}
			// Start the steps over only after a connection that stayed up
			// for a while: a server that accepts and then drops every
			// connection is retried ever more slowly, not once a step.
			if time.Since(up) >= s.cfg.Reconnect.MaxInterval {
				bo.Reset()
			}
		}
		t := time.NewTimer(bo.NextBackOff())
		select {
		case <-t.C:
		case <-s.runCtx.Done():
			t.Stop()
			return
		}
	}
}

// giveUp stops delivery for good: the window and every later batch go to
// the spool or are dropped.
func (s *sink) giveUp(why error) {
	s.mu.Lock()
	s.gaveUp = true
	s.mu.Unlock()
	s.Report(fmt.Errorf("wssink: %s: %w", s.Endpoint, why))
	s.spillWindow(why)
}

// dial opens a connection.
func (s *sink) dial() (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(s.runCtx, s.cfg.Timeout)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, s.cfg.url.String(), s.dialOpts)
	if err != nil {
		// net/http's errors quote the whole URL, query and password
		// included.
		err = s.Scrub.Error(err)
		if resp != nil {
			return nil, fmt.Errorf("wssink: dial %s: server answered %s: %w", s.Endpoint, resp.Status, err)
		}
		return nil, fmt.Errorf("wssink: dial %s: %w", s.Endpoint, err)
	}
	conn.SetReadLimit(64 << 10) // acks are tiny
	return conn, nil
}

// dialSocket is the transport's dialer; it remembers the socket so that
// Shutdown can cut a close handshake the server never answers.
func (s *sink) dialSocket(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := s.netDialer.DialContext(ctx, network, addr)
	if err == nil {
		s.rawMu.Lock()
		s.raw = c
		s.rawMu.Unlock()
	}
	return c, err
}

// serve writes the window to conn, pings it, replays the spool and checks
// acknowledgements until the connection breaks (false) or the handler is
// shut down (true).
func (s *sink) serve(conn *websocket.Conn) (quit bool) {
	s.connects.Add(1)
	s.connected.Store(true)
	s.Rep.Up()
	readErr := make(chan error, 1)
	go s.read(conn, readErr)

	var pingC, ackC <-chan time.Time
	if s.cfg.PingInterval > 0 {
		t := time.NewTicker(s.cfg.PingInterval)
		defer t.Stop()
		pingC = t.C
	}
	if s.cfg.Ack {
		t := time.NewTicker(max(s.cfg.Timeout/4, time.Millisecond))
		defer t.Stop()
		ackC = t.C
	}
	// confirms is the ping that confirms written messages (with pongs),
	// and unconfirmed its error.
	var confirms sync.WaitGroup
	unconfirmed := make(chan error, 1)
	var err error
	readDone := false
loop:
	for {
		if err = s.writeAll(conn); err != nil {
			break
		}
		if s.pongs {
			s.confirm(conn, &confirms, unconfirmed)
		}
		if s.replay() {
			continue
		}
		select {
		case <-s.wake:
		case err = <-unconfirmed:
		case err = <-readErr:
			readDone = true
			err = fmt.Errorf("wssink: connection to %s lost: %w", s.Endpoint, err)
			break loop
		case <-pingC:
			err = s.ping(conn)
		case <-ackC:
			err = s.checkAcks()
		case <-s.runCtx.Done():
			s.closeConn(conn, readErr, readDone)
			confirms.Wait()
			return true
		}
		if err != nil {
			break
		}
	}
	s.connected.Store(false)
	s.disconnects.Add(1)
	s.Counters.Failed(err)
	s.Report(err)
	conn.CloseNow()
	if !readDone {
		<-readErr
	}
	confirms.Wait()
	s.mu.Lock()
	s.sent = 0 // resend everything unacknowledged on the next connection
	s.mu.Unlock()
	return false
}

// closeConn closes conn with a normal close frame at Shutdown.
func (s *sink) closeConn(conn *websocket.Conn, readErr chan error, readDone bool) {
	s.connected.Store(false)
	if s.hardCtx.Err() != nil {
		conn.CloseNow()
	} else if err := conn.Close(websocket.StatusNormalClosure, ""); err != nil && s.hardCtx.Err() == nil {
		s.Report(fmt.Errorf("wssink: close connection to %s: %w", s.Endpoint, err))
	}
	conn.CloseNow()
	if !readDone {
		<-readErr
	}
}

// read runs for the life of one connection: it answers pings and close
// frames (inside conn.Read) and takes in acknowledgements.
func (s *sink) read(conn *websocket.Conn, done chan<- error) {
	for {
		_, msg, err := conn.Read(context.Background())
		if err != nil {
			done <- err
			return
		}
		if !s.cfg.Ack {
			continue
		}
		if seq, ok := parseAck(msg); ok {
			s.acks.Add(1)
			s.acked(seq)
		}
	}
}

// acked takes out of the window every written message up to seq.
func (s *sink) acked(seq uint64) {
	s.mu.Lock()
	k := 0
	for k < s.sent && s.win[k].seq <= seq {
		k++
	}
	if k == 0 {
		s.mu.Unlock()
		return
	}
	var recs, size, replayed int
	for _, m := range s.win[:k] {
		recs += m.n
		size += len(m.data)
		if m.spool {
			replayed += m.n
		}
		s.recycleLocked(m)
	}
	n := copy(s.win, s.win[k:])
	clear(s.win[n:])
	s.win = s.win[:n]
	s.sent -= k
	s.winRecs -= recs
	s.notifyLocked()
	s.mu.Unlock()
	s.Counters.Wrote(recs, size, time.Now())
	if replayed > 0 {
		s.Counters.Replayed(replayed)
	}
	signal(s.space)
	signal(s.wake)
}

// writeAll writes every message of the window not yet written on conn;
// with Ack, only while fewer than MaxUnacked wait for their acks (the
// window may hold more: see deliver), and acked wakes the owner for more.
func (s *sink) writeAll(conn *websocket.Conn) error {
	for {
		s.mu.Lock()
		if s.sent >= len(s.win) || (s.cfg.Ack || s.pongs) && s.sent >= s.cfg.MaxUnacked {
			s.mu.Unlock()
			return nil
		}
		m := s.win[s.sent]
		s.sent++
		again := !m.sent.IsZero()
		m.sent = time.Now()
		m.busy = true
		data, n, size := m.data, m.n, len(m.data)
		s.mu.Unlock()

		ctx, cancel := context.WithTimeout(s.hardCtx, s.cfg.Timeout)
		err := conn.Write(ctx, websocket.MessageText, data)
		cancel()
		s.mu.Lock()
		m.busy = false
		if m.orphan {
			s.recycleLocked(m)
		}
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("wssink: write message of %d records to %s: %w", n, s.Endpoint, err)
		}
		s.messages.Add(1)
		if again {
			s.resent.Add(1)
			s.Counters.Retried()
		}
		if s.cfg.Ack || s.pongs {
			continue
		}
		// Without Ack or a spool a written message is delivered: there
		// is no journal or spool to keep it in. m is win[0].
		s.mu.Lock()
		k := copy(s.win, s.win[1:])
		s.win[k] = nil
		s.win = s.win[:k]
		s.sent--
		s.winRecs -= n
		s.notifyLocked()
		fromSpool := m.spool
		s.recycleLocked(m)
		s.mu.Unlock()
		s.Counters.Wrote(n, size, time.Now())
		if fromSpool {
			s.Counters.Replayed(n)
		}
		signal(s.space)
	}
}

// confirm, with pongs, pings conn once messages are written and no such
// ping is out: the pong, which the server's WebSocket library sends once
// it has read every frame before the ping, takes the messages written
// before the ping out of the window (and their records out of the
// journal and the spool), as an ack would. A ping not answered within
// Timeout is sent on failed, which breaks the connection. The ping's
// goroutine is added to wg, which serve waits for.
func (s *sink) confirm(conn *websocket.Conn, wg *sync.WaitGroup, failed chan<- error) {
	s.mu.Lock()
	if s.confirming || s.sent == 0 {
		s.mu.Unlock()
		return
	}
	seq := s.win[s.sent-1].seq
	s.confirming = true
	s.mu.Unlock()
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(s.hardCtx, s.cfg.Timeout)
		err := conn.Ping(ctx)
		cancel()
		s.mu.Lock()
		s.confirming = false
		s.mu.Unlock()
		if err != nil {
			select {
			case failed <- fmt.Errorf("wssink: ping %s to confirm what was written: no pong within %v: %w", s.Endpoint, s.cfg.Timeout, err):
			default:
			}
			return
		}
		s.acked(seq) // wakes the owner, which pings again for what was written since
	})
}

// ping checks that the server answers within Timeout.
func (s *sink) ping(conn *websocket.Conn) error {
	ctx, cancel := context.WithTimeout(s.hardCtx, s.cfg.Timeout)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		return fmt.Errorf("wssink: ping %s: no pong within %v: %w", s.Endpoint, s.cfg.Timeout, err)
	}
	return nil
}

// checkAcks fails the connection when the oldest message written has
// waited for its ack longer than Timeout.
func (s *sink) checkAcks() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sent > 0 {
		if waited := time.Since(s.win[0].sent); waited > s.cfg.Timeout {
			return fmt.Errorf("wssink: message %d to %s not acknowledged after %v", s.win[0].seq, s.Endpoint, waited.Round(time.Millisecond))
		}
	}
	return nil
}

var errPause = errors.New("window full")

// replay moves spooled records into the window while it has room, and
// reports whether it moved any. Their frames stay on disk, leased, until
// their messages leave the window (see deliver): a kill loses none.
func (s *sink) replay() bool {
	if s.Spool == nil || s.Spool.Len() == 0 {
		return false
	}
	moved := false
	_, err := s.Spool.ReplayLeased(context.Background(), func(recs [][]byte, lease spool.Lease) error {
		s.mu.Lock()
		full := len(s.win) >= s.cfg.MaxUnacked
		s.mu.Unlock()
		if full {
			return errPause
		}
		// The spool's record slices are only valid during this call; the
		// messages copy them.
		bl := &s.replayBuild
		bl.recs = append(bl.recs[:0], recs...)
		err := s.replayed(context.Background(), bl, bl.recs, lease)
		clear(bl.recs)
		if err != nil {
			return err
		}
		moved = true
		return nil
	})
	if err != nil && !errors.Is(err, errPause) && !errors.Is(err, errGaveUp) {
		s.Report(fmt.Errorf("wssink: replay spool: %w", err))
	}
	s.mu.Lock()
	s.notifyLocked()
	s.mu.Unlock()
	return moved
}

// pending reports the records not yet delivered: in the window, and in the
// spool when waitSpool is set.
func (s *sink) pending(waitSpool bool) (n int, gaveUp bool, changed <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n = s.winRecs
	if waitSpool && s.Spool != nil {
		n += s.Spool.Len()
	}
	if n == 0 || s.gaveUp {
		return n, s.gaveUp, nil
	}
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return n, false, s.changed
}

// wait returns once nothing is pending, or with an error when ctx ends or
// the handler has given up.
func (s *sink) wait(ctx context.Context, waitSpool bool) error {
	for {
		n, gaveUp, ch := s.pending(waitSpool)
		if gaveUp {
			return fmt.Errorf("%s: %w", s.Endpoint, errGaveUp)
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%d records not yet delivered to %s: %w", n, s.Endpoint, context.Cause(ctx))
		}
	}
}

func (s *sink) flush(ctx context.Context) error {
	if err := s.Flush(ctx); err != nil {
		return err
	}
	if err := s.wait(ctx, true); err != nil {
		return fmt.Errorf("wssink: flush: %w", err)
	}
	return nil
}

func (s *sink) shutdown(ctx context.Context) error {
	return s.Shutdown(ctx, func() error { return s.doShutdown(ctx) })
}

func (s *sink) doShutdown(ctx context.Context) error {
	// Shutdown is bounded whatever its ctx: once the server has not been
	// connected for Timeout plus a second, Shutdown stops waiting for it,
	// as if ctx had ended.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopWatch := s.watchDown(func() { cancel(errServerDown) })
	defer stopWatch()
	// When ctx ends, stop waiting for the network: writes, pings and the
	// window give up at once and the socket is cut, so that a close
	// handshake the server never answers cannot hang Shutdown.
	stop := context.AfterFunc(ctx, s.cut)
	defer stop()
	var errs []error
	// Hand every queued batch to writeBatch. The buffer gets no deadline:
	// once ctx ends, writeBatch spills each batch to the spool (or counts
	// it dropped) without waiting, so the queue drains at once either way.
	if err := s.ShutdownQueue(context.Background()); err != nil {
		errs = append(errs, err)
	}
	if err := s.wait(ctx, false); err != nil {
		errs = append(errs, fmt.Errorf("wssink: shutdown: %w", err))
	}
	// Stop the owner: it closes the connection with a normal close frame.
	s.stopRun()
	<-s.done
	s.stopHard()
	why := errors.New("shut down before delivery")
	if cause := context.Cause(ctx); cause != nil {
		why = fmt.Errorf("shut down before delivery: %w", cause)
	}
	s.spillWindow(why)
	s.transport.CloseIdleConnections()
	return errors.Join(errs...)
}

// errServerDown is why Shutdown stopped waiting for a server that stayed
// down.
var errServerDown = errors.New("the server took no message for Timeout plus a second")

// watchDown calls down once no message has been delivered (acknowledged,
// confirmed by a pong, or, without either, written) for Timeout plus a
// second, counted from the call: a server that is down, and one that
// takes connections but never reads or answers, alike. The returned
// function stops the watch.
func (s *sink) watchDown(down func()) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	budget := s.cfg.Timeout + time.Second
	go func() {
		defer close(finished)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				if p := s.Counters.LastWrite(); p > last.UnixNano() {
					last = time.Unix(0, p)
				}
				if now.Sub(last) >= budget {
					down()
					return
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// cut makes every wait on the network end now.
func (s *sink) cut() {
	s.stopHard()
	s.rawMu.Lock()
	if s.raw != nil {
		s.raw.Close()
	}
	s.rawMu.Unlock()
}

func (s *sink) stats() multi.Stats {
	s.mu.Lock()
	w := s.winRecs
	s.mu.Unlock()
	return s.Stats(s.placing.Load() + int64(w))
}

func (s *sink) healthy() bool {
	return s.connected.Load() && !s.Closed()
}

func (s *sink) connStats() ConnStats {
	s.mu.Lock()
	unacked := 0
	if s.cfg.Ack || s.pongs {
		unacked = s.sent
	}
	s.mu.Unlock()
	return ConnStats{
		Connected:    s.connected.Load(),
		Connects:     s.connects.Load(),
		Disconnects:  s.disconnects.Load(),
		DialFailures: s.dialFailures.Load(),
		Messages:     s.messages.Load(),
		Resent:       s.resent.Load(),
		Acks:         s.acks.Load(),
		Truncated:    s.truncated.Load(),
		Unacked:      unacked,
	}
}

// newBackOff returns the reconnect back-off: b's waits, forever.
func newBackOff(b delivery.Backoff) *backoff.ExponentialBackOff {
	e := backoff.NewExponentialBackOff()
	e.InitialInterval = b.InitialInterval
	e.MaxInterval = b.MaxInterval
	e.RandomizationFactor = b.Jitter
	e.Multiplier = b.Multiplier
	e.MaxElapsedTime = 0
	e.Reset()
	return e
}
