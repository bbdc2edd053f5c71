package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// conn is one connection to the receiver, used by one goroutine at a time.
type conn interface {
	// write sends recs, each framed as the transport wants, and returns
	// how many were handed to the kernel whole before an error.
	write(recs [][]byte) (int, error)
	// alive reports whether the receiver may still read the connection:
	// false for a stream the receiver has closed (a restarted rsyslog),
	// which would take one more write and lose it.
	alive() bool
	// abort makes a write in progress return now.
	abort()
	close() error
}

// transport opens connections to the receiver.
type transport struct {
	c   *config
	tls *tls.Config
	nd  net.Dialer
}

func newTransport(c *config, tc *tls.Config) *transport {
	if c.network == "tls" {
		if tc == nil {
			tc = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		tc = tc.Clone()
		if tc.ServerName == "" {
			tc.ServerName, _, _ = net.SplitHostPort(c.addr)
		}
	}
	return &transport{c: c, tls: tc, nd: net.Dialer{Timeout: c.Timeout, KeepAlive: 30 * time.Second}}
}

// dial opens a connection, within Timeout.
func (t *transport) dial(ctx context.Context) (conn, error) {
	ctx, cancel := context.WithTimeout(ctx, t.c.Timeout)
	defer cancel()
	switch t.c.network {
	case "unixgram", "udp":
		nc, err := t.nd.DialContext(ctx, t.c.network, t.c.addr)
		if err != nil {
			return nil, fmt.Errorf("syslog: dial %s: %w", t.c.addrText, err)
		}
		return &dgramConn{nc: nc, timeout: t.c.Timeout}, nil
	case "tcp":
		nc, err := t.nd.DialContext(ctx, "tcp", t.c.addr)
		if err != nil {
			return nil, fmt.Errorf("syslog: dial %s: %w", t.c.addrText, err)
		}
		return t.stream(nc, nc), nil
	default: // tls
		raw, err := t.nd.DialContext(ctx, "tcp", t.c.addr)
		if err != nil {
			return nil, fmt.Errorf("syslog: dial %s: %w", t.c.addrText, err)
		}
		tc := tls.Client(raw, t.tls)
		start := time.Now()
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("syslog: dial %s: TLS handshake: %w", t.c.addrText, err)
		}
		if err := rejected(tc, time.Since(start), t.c.Timeout); err != nil {
			raw.Close()
			return nil, fmt.Errorf("syslog: dial %s: %w", t.c.addrText, err)
		}
		return t.stream(tc, raw), nil
	}
}

// rejected waits briefly after a TLS handshake for the receiver to close
// the connection. A receiver that requires a client certificate and got
// none (rsyslog's x509 modes) lets the client's side of the handshake
// finish and then closes: without this look, every write would succeed
// and every record be lost. A receiver never writes to a syslog sender,
// so a read that times out is the good case; it costs the handshake's own
// duration (at least 20ms, at most Timeout), once per connection.
func rejected(tc *tls.Conn, handshake, most time.Duration) error {
	wait := min(max(handshake, 20*time.Millisecond), most)
	tc.SetReadDeadline(time.Now().Add(wait)) //nolint:errcheck
	defer tc.SetReadDeadline(time.Time{})    //nolint:errcheck
	var b [1]byte
	_, err := tc.Read(b[:])
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	return fmt.Errorf("the receiver closed the connection right after the TLS handshake (%w): does it require a client certificate (Options.CertFile and KeyFile) this one lacks, or one it does not trust?", err)
}

func (t *transport) stream(nc, raw net.Conn) *streamConn {
	return &streamConn{nc: nc, raw: raw, timeout: t.c.Timeout, octets: t.c.format == RFC5424}
}

// streamConn is TCP or TLS. RFC 5424 messages are framed by octet
// counting (RFC 6587 section 3.4.1, RFC 5425): "LEN SP MSG". RFC 3164
// messages, for old receivers that know no octet counting, end in LF
// (their control characters are escaped, so they hold none).
type streamConn struct {
	nc      net.Conn
	raw     net.Conn // the TCP socket under TLS
	timeout time.Duration
	octets  bool
	wbuf    []byte
	ends    []int // where each record's frame ends in wbuf
	aborted atomic.Bool
}

// errAborted is a write cut by abort.
var errAborted = errors.New("write abandoned")

// chunk is how many bytes of frames are gathered for one write.
const chunk = 64 << 10

func (s *streamConn) write(recs [][]byte) (int, error) {
	// One deadline for the whole batch: a receiver that stops reading
	// holds the writer for WriteTimeout, not for WriteTimeout per chunk.
	s.nc.SetWriteDeadline(time.Now().Add(s.timeout)) //nolint:errcheck // a closed conn fails the write
	// Checked after the deadline is set, so an abort cannot be overwritten.
	if s.aborted.Load() {
		return 0, errAborted
	}
	done := 0
	s.wbuf, s.ends = s.wbuf[:0], s.ends[:0]
	for i, r := range recs {
		if s.octets {
			s.wbuf = strconv.AppendInt(s.wbuf, int64(len(r)), 10)
			s.wbuf = append(s.wbuf, ' ')
			s.wbuf = append(s.wbuf, r...)
		} else {
			s.wbuf = append(s.wbuf, r...)
			s.wbuf = append(s.wbuf, '\n')
		}
		s.ends = append(s.ends, len(s.wbuf))
		if len(s.wbuf) < chunk && i < len(recs)-1 {
			continue
		}
		n, err := s.nc.Write(s.wbuf)
		if err != nil {
			for _, e := range s.ends {
				if e <= n {
					done++
				}
			}
			return done, err
		}
		done += len(s.ends)
		s.wbuf, s.ends = s.wbuf[:0], s.ends[:0]
	}
	if cap(s.wbuf) > 4*chunk {
		s.wbuf = nil
	}
	return done, nil
}

func (s *streamConn) alive() bool {
	sc, ok := s.raw.(syscall.Conn)
	if !ok {
		return true
	}
	closed, pending := peerClosed(sc)
	if closed {
		return false
	}
	if tc, ok := s.nc.(*tls.Conn); ok && pending {
		// TLS 1.3 receivers send session tickets after the handshake;
		// they wait unread in the socket and would hide an end of file
		// behind them. Reading processes them (a receiver sends no
		// application data), and finds the end of file if there is one.
		var b [1]byte
		tc.SetReadDeadline(time.Now().Add(time.Millisecond)) //nolint:errcheck
		_, err := tc.Read(b[:])
		var ne net.Error
		if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			return false
		}
	}
	return true
}

func (s *streamConn) abort() {
	s.aborted.Store(true)
	s.nc.SetWriteDeadline(time.Unix(1, 0)) //nolint:errcheck
}

func (s *streamConn) close() error {
	if tc, ok := s.nc.(*tls.Conn); ok {
		// Do not wait for a close_notify a receiver may never read.
		tc.NetConn().SetDeadline(time.Now().Add(100 * time.Millisecond)) //nolint:errcheck
	}
	return s.nc.Close()
}

// dgramConn is UDP or a Unix datagram socket: one record a datagram.
type dgramConn struct {
	nc      net.Conn
	timeout time.Duration
	aborted atomic.Bool
}

func (d *dgramConn) write(recs [][]byte) (int, error) {
	d.nc.SetWriteDeadline(time.Now().Add(d.timeout)) //nolint:errcheck
	if d.aborted.Load() {
		return 0, errAborted
	}
	for i, r := range recs {
		if _, err := d.nc.Write(r); err != nil {
			return i, err
		}
	}
	return len(recs), nil
}

func (d *dgramConn) alive() bool { return true }

func (d *dgramConn) abort() {
	d.aborted.Store(true)
	d.nc.SetWriteDeadline(time.Unix(1, 0)) //nolint:errcheck
}

func (d *dgramConn) close() error { return d.nc.Close() }
