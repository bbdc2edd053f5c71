//go:build unix

package syslog

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// peerClosed reports whether the other end of a stream socket has closed
// it (or reset it), without blocking and without consuming anything: a
// syslog receiver never writes to the sender, so a readable end of file
// or an error means it has gone away. pending reports bytes waiting to be
// read (under TLS, the receiver's session tickets).
func peerClosed(c syscall.Conn) (closed, pending bool) {
	rc, err := c.SyscallConn()
	if err != nil {
		return true, false
	}
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		closed = (n == 0 && err == nil) || (err != nil && err != unix.EAGAIN && err != unix.EINTR)
		pending = n > 0
		return true
	})
	return closed || err != nil, pending
}
