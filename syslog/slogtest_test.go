package syslog

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/stretchr/testify/require"
)

// udpReceiver is a UDP socket on loopback that reads what a Handler sends.
type udpReceiver struct {
	t testing.TB
	c net.PacketConn
}

func newUDPReceiver(t testing.TB) *udpReceiver {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, c.(*net.UDPConn).SetReadBuffer(4<<20))
	t.Cleanup(func() { c.Close() })
	return &udpReceiver{t: t, c: c}
}

func (u *udpReceiver) addr() string { return "udp://" + u.c.LocalAddr().String() }

// next returns the next datagram.
func (u *udpReceiver) next() string {
	buf := make([]byte, 64<<10)
	require.NoError(u.t, u.c.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, _, err := u.c.ReadFrom(buf)
	require.NoError(u.t, err)
	return string(buf[:n])
}

// TestSlogtest runs testing/slogtest on records read back from UDP
// datagrams, parsed strictly as RFC 5424: "time" is the TIMESTAMP (absent
// for the NILVALUE), "level" the severity, "msg" the MSG, and the SD-PARAMs
// the attributes, their names split at '.' into groups.
func TestSlogtest(t *testing.T) {
	var u *udpReceiver
	var h *Handler
	slogtest.Run(t, func(t *testing.T) slog.Handler {
		u = newUDPReceiver(t)
		var err error
		h, err = New(u.addr(), nil)
		require.NoError(t, err)
		t.Cleanup(func() { shutdown(t, h) })
		return h
	}, func(t *testing.T) map[string]any {
		require.NoError(t, h.Flush(context.Background()))
		m, err := parse5424(u.next())
		require.NoError(t, err)
		out := map[string]any{slog.LevelKey: SeverityOf(slog.LevelInfo).String(), slog.MessageKey: m.msg}
		if m.timestamp != "-" {
			ts, err := time.Parse(time.RFC3339Nano, m.timestamp)
			require.NoError(t, err)
			out[slog.TimeKey] = ts
		}
		for _, e := range m.sd {
			for _, p := range e.params {
				dst := out
				parts := strings.Split(p.name, ".")
				for _, g := range parts[:len(parts)-1] {
					sub, ok := dst[g].(map[string]any)
					if !ok {
						sub = map[string]any{}
						dst[g] = sub
					}
					dst = sub
				}
				dst[parts[len(parts)-1]] = p.value
			}
		}
		return out
	})
}
