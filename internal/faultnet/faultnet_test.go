package faultnet

import (
	"net"
	"testing"
	"time"
)

func TestDown(t *testing.T) {
	if _, err := net.DialTimeout("tcp", Down(t, Refuse), time.Second); err == nil {
		t.Error("a Refuse destination accepted a connection")
	}
	c, err := net.DialTimeout("tcp", Down(t, Silent), time.Second)
	if err != nil {
		t.Fatalf("a Silent destination refused: %v", err)
	}
	defer c.Close()
	c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Errorf("a Silent destination answered: %d bytes, %v", n, err)
	}
}
