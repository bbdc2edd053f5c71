// Package httpx is what the HTTP sinks (httpsink, otlpsink) share below
// the delivery core: their client transport, the reading of Retry-After,
// and how much of an error response is kept.
package httpx

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// BodySnippet is how much of an error response is kept.
const BodySnippet = 512

// NewTransport is http.DefaultTransport's settings, with two changes for a
// sender of large bodies on one connection: a 64 KiB write buffer, and
// connections that do not offer io.ReaderFrom, so the body is copied
// through that buffer instead of through the 32 KiB buffer net.TCPConn's
// ReadFrom allocates for every request (the transport hides the body's
// WriterTo behind an io.LimitedReader).
func NewTransport(tc *tls.Config) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tc
	t.WriteBufferSize = 64 << 10
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return plainConn{c}, nil
	}
	return t
}

// plainConn is a net.Conn and nothing more.
type plainConn struct{ net.Conn }

// ParseRetryAfter reads a Retry-After header: delay-seconds or an
// HTTP-date (RFC 9110, 10.2.3).
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
