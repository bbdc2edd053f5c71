package syslog

// This file puts the syslog encoding and transports on the module's
// delivery core (internal/core): the queue, the retries with back-off on
// a new connection, the spool with its breaker and prober, drop
// accounting and the gap record, Stats, error reporting and a bounded
// Shutdown. What is syslog's own is the connection: a transport's dial
// and conn (transport.go), written one batch at a time by Attempt.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/internal/core"
)

// sink is the destination shared by a Handler and those derived from it.
type sink struct {
	*core.Sender
	c      *config
	header []byte // the header after the timestamp (see header5424)
	dial   func(ctx context.Context) (conn, error)
	conn   conn // nil: not connected; used under the sender's lock

	cuts    atomic.Int64 // messages cut to MaxMessageSize
	lastCut atomic.Int64 // UnixNano of the last report of a cut
}

func newSink(c *config, dial func(context.Context) (conn, error)) (*sink, error) {
	s := &sink{c: c, dial: dial}
	if c.format == RFC5424 {
		s.header = header5424(c)
	} else {
		s.header = header3164(c)
	}
	var err error
	s.Sender, err = core.NewSender(core.Config{
		Name:         "syslog",
		Endpoint:     c.addrText,
		Buffer:       c.buffer,
		Spool:        c.Spool,
		ErrorHandler: c.ErrorHandler,
	}, core.SenderConfig{Transport: s, Retry: c.Retry, Timeout: c.Timeout, Gap: s.gapRecord})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// add queues one encoded message. It is called on the logging goroutine.
func (s *sink) add(p []byte) error {
	_, err := s.Write(p)
	return err
}

// cut counts a message of n bytes cut to MaxMessageSize, and reports the
// cuts at most once a second, on the logging goroutine.
func (s *sink) cut(n int) {
	k := s.cuts.Add(1)
	now := s.Now().UnixNano()
	last := s.lastCut.Load()
	if now-last < int64(time.Second) || !s.lastCut.CompareAndSwap(last, now) {
		return
	}
	s.Rep.Error(fmt.Errorf("syslog: %d messages cut to MaxMessageSize %d so far, the latest of %d bytes: raise MaxMessageSize with the receiver's limit", k, s.c.MaxMessageSize, n))
}

// Encode is the core's: the messages are framed as they are written.
func (s *sink) Encode([][]byte, time.Time) {}

// Attempt writes recs on the connection, dialling first if there is none
// or the receiver has closed it. A write that fails closes the
// connection (the retry dials again) and says how many of the first
// messages went whole; a message too large for a datagram is an answer
// that it is too large (the core drops it alone).
func (s *sink) Attempt(ctx context.Context, recs [][]byte) error {
	if s.conn != nil && !s.conn.alive() {
		s.closeConn()
	}
	if s.conn == nil {
		c, err := s.dial(ctx)
		if err != nil {
			return err
		}
		s.conn = c
	}
	c := s.conn
	stop := context.AfterFunc(ctx, c.abort)
	n, err := c.write(recs)
	stop()
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.EMSGSIZE) && n < len(recs) {
		// The receiver is not down: one message does not fit a datagram.
		return &core.Sent{N: n, Err: &core.Answer{
			Err:      fmt.Errorf("record of %d bytes is too large for a datagram: %w", len(recs[n]), err),
			TooLarge: true,
		}}
	}
	s.closeConn()
	return &core.Sent{N: n, Err: err}
}

func (s *sink) closeConn() {
	if s.conn != nil {
		s.conn.close()
		s.conn = nil
	}
}

// gapRecord encodes the gap record as a syslog message of its own: WARN,
// the core's message, and the drops as parameters, as every sink of the
// module tells them.
func (s *sink) gapRecord(dst []byte, d core.Drops, now time.Time) []byte {
	why := "unknown"
	if d.Reason != nil {
		why = d.Reason.Error()
	}
	r := slog.NewRecord(now, slog.LevelWarn, core.GapMessage, 0)
	r.AddAttrs(slog.Int("dropped", d.N), slog.String("reason", why),
		slog.Time("first_drop", d.First), slog.Time("last_drop", d.Last))
	h := &Handler{s: s}
	e := newEncoder(s.c)
	h.encode(e, r)
	e.fit(s.c, s.c.MaxMessageSize)
	dst = append(dst, e.buf...)
	e.free()
	return dst
}

func (s *sink) flush(ctx context.Context) error { return s.Flush(ctx) }

// shutdown is the core's Shutdown, then the connection is closed.
func (s *sink) shutdown(ctx context.Context) error {
	err := s.Sender.Shutdown(ctx)
	s.SendMu.Lock()
	s.closeConn()
	s.SendMu.Unlock()
	return err
}

func (s *sink) stats() multi.Stats { return s.Sender.Stats() }

func (s *sink) healthy() bool { return s.Counters.Healthy() && !s.Closed() }
