package journald

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// socket is a Unix datagram socket connected to the journal. Sends from
// many goroutines go out whole (one datagram each) without a lock of
// ours; the read lock only keeps the descriptor from being replaced or
// closed under a send.
type socket struct {
	path    string
	timeout time.Duration
	mu      sync.RWMutex
	fd      int // -1 once closed
}

func dial(path string, timeout time.Duration) (*socket, error) {
	s := &socket{path: path, timeout: timeout, fd: -1}
	fd, err := s.open()
	if err != nil {
		hint := ""
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ECONNREFUSED) {
			hint = " (is systemd-journald running? Options.Socket names another socket)"
		}
		return nil, fmt.Errorf("journald: connect to %s: %w%s", path, err, hint)
	}
	s.fd = fd
	return s, nil
}

func (s *socket) open() (int, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	// A large send buffer absorbs bursts while journald catches up, as
	// sd_journal_send does (it asks for 8 MiB; the kernel caps it at
	// wmem_max).
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 8<<20) //nolint:errcheck // best effort
	if s.timeout > 0 {
		tv := unix.NsecToTimeval(s.timeout.Nanoseconds())
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv) //nolint:errcheck
	} else {
		unix.SetNonblock(fd, true) //nolint:errcheck
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: s.path}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

var errClosed = errors.New("socket closed")

// send sends one entry: a datagram, or a sealed memfd when the entry is
// too large for one. A journald that restarted (the socket file is new,
// ours is refused) gets a new connection, once.
func (s *socket) send(p []byte) error {
	for try := 0; ; try++ {
		s.mu.RLock()
		fd := s.fd
		if fd < 0 {
			s.mu.RUnlock()
			return errClosed
		}
		err := sendEntry(fd, p)
		s.mu.RUnlock()
		if err == nil {
			return nil
		}
		if try > 0 || !(errors.Is(err, unix.ECONNREFUSED) || errors.Is(err, unix.ENOTCONN) || errors.Is(err, unix.ENOENT)) {
			if errors.Is(err, unix.EAGAIN) {
				return fmt.Errorf("journald is behind: no room in the socket's buffer: %w", err)
			}
			return err
		}
		if rerr := s.reconnect(fd); rerr != nil {
			return fmt.Errorf("%w; reconnect: %w", err, rerr)
		}
	}
}

// reconnect replaces old with a new connection, unless another goroutine
// has already done so.
func (s *socket) reconnect(old int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fd != old || s.fd < 0 {
		return nil
	}
	fd, err := s.open()
	if err != nil {
		return err
	}
	unix.Close(s.fd)
	s.fd = fd
	return nil
}

// memfdOver is the entry size above which an entry goes in a memfd rather
// than a datagram: a datagram that large fails with EMSGSIZE where the
// socket buffer has the kernel's default size (208 KiB), and would take a
// large share of journald's receive buffer where it does not.
const memfdOver = 128 << 10

func sendEntry(fd int, p []byte) error {
	if len(p) > memfdOver {
		return sendMemfd(fd, p)
	}
	for {
		_, err := unix.Write(fd, p)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EMSGSIZE || err == unix.ENOBUFS {
			return sendMemfd(fd, p)
		}
		return err
	}
}

// sendMemfd writes p into a memfd, seals it (journald refuses an unsealed
// one) and passes it over the socket with SCM_RIGHTS, as systemd's own
// sd_journal_sendv does for large entries.
func sendMemfd(fd int, p []byte) error {
	mfd, err := unix.MemfdCreate("journald-entry", unix.MFD_ALLOW_SEALING|unix.MFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("memfd_create: %w", err)
	}
	defer unix.Close(mfd)
	for off := 0; off < len(p); {
		n, err := unix.Write(mfd, p[off:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("write memfd: %w", err)
		}
		off += n
	}
	if _, err := unix.FcntlInt(uintptr(mfd), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE|unix.F_SEAL_SEAL); err != nil {
		return fmt.Errorf("seal memfd: %w", err)
	}
	for {
		err := unix.Sendmsg(fd, nil, unix.UnixRights(mfd), nil, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("send memfd: %w", err)
		}
		return nil
	}
}

func (s *socket) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fd < 0 {
		return nil
	}
	err := unix.Close(s.fd)
	s.fd = -1
	return err
}
