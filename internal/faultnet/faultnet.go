// Package faultnet gives tests a destination that is down in one of the
// two ways a collector is down in production, on loopback.
package faultnet

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Mode is how the destination is down.
type Mode string

const (
	// Refuse is a port nobody listens on: every dial is refused at once.
	Refuse Mode = "refuse"
	// Silent accepts TCP connections and reads them, but never writes a
	// byte: requests and handshakes time out.
	Silent Mode = "silent"
)

// Modes lists both, for table tests.
var Modes = []Mode{Refuse, Silent}

// Down returns the host:port of a destination that is down as mode says.
// A Silent one is closed, with its connections, when the test ends.
func Down(t testing.TB, mode Mode) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if mode == Refuse {
		ln.Close()
		return addr
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); io.Copy(io.Discard, c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return addr
}
