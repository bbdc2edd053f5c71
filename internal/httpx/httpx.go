// Package httpx is what the HTTP sinks (httpsink, otlpsink) share below
// the delivery core: their client transport, the reading of Retry-After,
// and how much of an error response is kept.
package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/core"
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

// Do sends req with client. Its error, when the request got no response,
// is the cause without net/http's wrapping (which quotes the URL, query
// and all), and says so when the attempt ran out of timeout.
func Do(client *http.Client, req *http.Request, timeout time.Duration) (*http.Response, error) {
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) && req.Context().Err() != nil {
			err = fmt.Errorf("no response within Timeout %v: %w", timeout, err)
		}
		return nil, err
	}
	return resp, nil
}

// Refusal is the core's Answer for a response that is not a success:
// the status and the first bytes of body (secrets removed by scrub),
// retryable as retryable says, too large on 413, with its Retry-After.
func Refusal(resp *http.Response, body []byte, scrub func(string) string, retryable func(int) bool, now time.Time) *core.Answer {
	snippet := body[:min(len(body), BodySnippet)]
	a := &core.Answer{
		Err: &delivery.StatusError{
			StatusCode: resp.StatusCode,
			Status:     scrub(resp.Status),
			Body:       scrub(strings.ToValidUTF8(string(snippet), "\uFFFD")),
		},
		Retryable: retryable(resp.StatusCode),
		TooLarge:  resp.StatusCode == http.StatusRequestEntityTooLarge,
	}
	a.RetryAfter, a.HasRetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	return a
}
