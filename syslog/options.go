package syslog

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/core"
)

// Facility is the syslog facility of every message a Handler writes (RFC
// 5424 section 6.2.1). The zero value is [User]: as in glibc's syslog(3), a
// program cannot log as the kernel (facility 0).
type Facility int

// The facilities. [User] is the default.
const (
	User     Facility = 1
	Mail     Facility = 2
	Daemon   Facility = 3
	Auth     Facility = 4
	Syslog   Facility = 5
	LPR      Facility = 6
	News     Facility = 7
	UUCP     Facility = 8
	Cron     Facility = 9
	AuthPriv Facility = 10
	FTP      Facility = 11
	Local0   Facility = 16
	Local1   Facility = 17
	Local2   Facility = 18
	Local3   Facility = 19
	Local4   Facility = 20
	Local5   Facility = 21
	Local6   Facility = 22
	Local7   Facility = 23
)

var facilityNames = map[Facility]string{
	User: "user", Mail: "mail", Daemon: "daemon", Auth: "auth", Syslog: "syslog",
	LPR: "lpr", News: "news", UUCP: "uucp", Cron: "cron", AuthPriv: "authpriv", FTP: "ftp",
	Local0: "local0", Local1: "local1", Local2: "local2", Local3: "local3",
	Local4: "local4", Local5: "local5", Local6: "local6", Local7: "local7",
}

// String returns the facility's name as syslog.conf spells it ("user",
// "local0"), or "Facility(N)".
func (f Facility) String() string {
	if f == 0 {
		return "user"
	}
	if n, ok := facilityNames[f]; ok {
		return n
	}
	return "Facility(" + strconv.Itoa(int(f)) + ")"
}

// ParseFacility reads a facility name in any case: user, mail, daemon,
// auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0 ... local7.
func ParseFacility(s string) (Facility, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for f, n := range facilityNames {
		if n == t {
			return f, nil
		}
	}
	return 0, fmt.Errorf("syslog: facility %q is not one of user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0 to local7", s)
}

// MarshalText returns the facility's name.
func (f Facility) MarshalText() ([]byte, error) {
	if _, ok := facilityNames[f]; !ok && f != 0 {
		return nil, fmt.Errorf("syslog: marshal facility: unknown facility %d", int(f))
	}
	return []byte(f.String()), nil
}

// UnmarshalText reads a facility name as [ParseFacility] does.
func (f *Facility) UnmarshalText(b []byte) error {
	v, err := ParseFacility(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// Format is the shape of the messages a Handler writes.
type Format int

const (
	// Auto, the zero Format, is RFC 5424 over the network (udp, tcp, tls)
	// and RFC 3164 in its local form on a Unix socket, which is what
	// systemd-journald's /dev/log and rsyslog's imuxsock parse.
	Auto Format = iota
	// RFC5424 is "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG",
	// the attributes as STRUCTURED-DATA.
	RFC5424
	// RFC3164 is the BSD format for old receivers: "<PRI>Mmm dd hh:mm:ss
	// HOSTNAME APP-NAME[PROCID]: MSG", the attributes after the message
	// as key="value" pairs. On a Unix socket the HOSTNAME is left out, as
	// glibc's syslog(3) does. Control characters are written as #ooo
	// (octal, as rsyslog does), so that a record stays one line.
	RFC3164
)

var formatNames = [...]string{"auto", "rfc5424", "rfc3164"}

// String returns "auto", "rfc5424" or "rfc3164".
func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ParseFormat reads "auto", "rfc5424" (or "5424") or "rfc3164" (or "3164",
// "bsd") in any case.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return Auto, nil
	case "rfc5424", "5424":
		return RFC5424, nil
	case "rfc3164", "3164", "bsd":
		return RFC3164, nil
	}
	return 0, fmt.Errorf("syslog: format %q is not one of auto, rfc5424, rfc3164", s)
}

// MarshalText returns the format's name.
func (f Format) MarshalText() ([]byte, error) {
	if f < 0 || int(f) >= len(formatNames) {
		return nil, fmt.Errorf("syslog: marshal format: unknown format %d", int(f))
	}
	return []byte(formatNames[f]), nil
}

// UnmarshalText reads a format name as [ParseFormat] does.
func (f *Format) UnmarshalText(b []byte) error {
	v, err := ParseFormat(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// Defaults of [Options].
const (
	DefaultStructuredDataID = "slog@32473"
	DefaultMaxMessageSize   = 8096
)

// Options configure a [Handler]. A nil *Options means the defaults; a zero
// field means that field's default. TLS, Queue, Retry and Spool are the
// options every network sink shares, documented once in package
// [delivery].
type Options struct {
	// Level is the minimum level handled; nil means slog.LevelInfo. A
	// *slog.LevelVar changes it at run time.
	Level slog.Leveler
	// AddSource adds the caller's function, file and line as the
	// parameters source.function, source.file and source.line.
	AddSource bool
	// ReplaceAttr rewrites or drops attributes, as in
	// slog.HandlerOptions. It sees every attribute and "source"; the
	// record's time, level and message are header fields here, not
	// attributes, and are not passed to it.
	ReplaceAttr func(groups []string, a slog.Attr) slog.Attr

	// Facility is the facility of every message (default User).
	Facility Facility
	// Format is RFC5424 or RFC3164 (default Auto: see [Auto]).
	Format Format
	// Hostname is the HOSTNAME field (default os.Hostname()).
	Hostname string
	// AppName is the APP-NAME field, RFC 3164's tag (default the base
	// name of os.Args[0]).
	AppName string
	// MsgID is the MSGID field of RFC 5424 (default the NILVALUE "-").
	MsgID string
	// StructuredDataID is the SD-ID of the element that holds the
	// attributes (default "slog@32473"; 32473 is the enterprise number RFC
	// 5612 reserves for examples: put your organization's own here). It
	// must be an SD-NAME with an "@" (a name without one is reserved for
	// IANA-registered elements).
	StructuredDataID string

	// MaxMessageSize is the most bytes of one message (default 8096,
	// what rsyslog takes unless its maxMessageSize is raised; RFC 5425
	// asks receivers for at least 8192, RFC 5426 for 480). A longer
	// message is cut to fit, as the package doc says, and the cut is
	// reported: a receiver given more than it takes cuts the message
	// itself, and rsyslog then reads the rest of the frame as a second,
	// bogus message. Raise it with the receiver's limit; negative: no
	// limit.
	MaxMessageSize int

	// TLS configures tls:// addresses (see delivery.TLS). A receiver that
	// requires a client certificate and is given none may close the
	// connection without an error the sender can see: nothing arrives.
	TLS delivery.TLS
	// Timeout bounds one attempt to write a batch, the dial and TLS
	// handshake included (default 10s).
	Timeout time.Duration

	// Queue is the in-memory queue and its batches (see delivery.Queue):
	// a batch is what one write system call carries.
	Queue delivery.Queue
	// Retry is how a failed write is retried, on a new connection (see
	// delivery.Retry).
	Retry delivery.Retry
	// Spool keeps on disk the records that cannot be written while the
	// receiver is down (see delivery.Spool). Without one they are dropped
	// and counted.
	Spool delivery.Spool

	// ErrorHandler is told about runtime errors under the module's one
	// contract (see "Errors" in package multi): no lock held, never twice
	// at once, never given a secret, and it may log to this handler;
	// queue drops are folded to one call a second. Nil means standard
	// error, at most a line every few seconds; a function that does
	// nothing silences them.
	ErrorHandler func(error)
}

// config is Options resolved: defaults filled in, the address parsed.
type config struct {
	Options
	network  string // "unixgram", "udp", "tcp", "tls"
	addr     string // host:port, or a socket path
	addrText string // what errors name
	format   Format // RFC5424 or RFC3164
	local    bool   // a Unix socket
	procID   string
	buffer   buffer.Options
}

// localSockets are tried, in order, by New("") : Linux, macOS, BSD.
var localSockets = []string{"/dev/log", "/var/run/syslog", "/var/run/log"}

// resolve checks addr and opts and fills in the defaults. Every bad field
// is reported, by name.
func resolve(addr string, o *Options) (*config, error) {
	c := &config{}
	if o != nil {
		c.Options = *o
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("syslog: "+format, args...))
	}
	if err := c.parseAddr(addr); err != nil {
		errs = append(errs, err)
	}
	if _, ok := facilityNames[c.Facility]; !ok && c.Facility != 0 {
		bad("Options.Facility is %d: not a facility (use User, Daemon, Local0 ... Local7)", int(c.Facility))
	}
	if c.Facility == 0 {
		c.Facility = User
	}
	switch c.Format {
	case Auto:
		c.format = RFC5424
		if c.local {
			c.format = RFC3164
		}
	case RFC5424, RFC3164:
		c.format = c.Format
	default:
		bad("Options.Format is %d: not one of Auto, RFC5424, RFC3164", int(c.Format))
	}
	if c.Hostname == "" {
		c.Hostname, _ = os.Hostname()
	}
	if c.AppName == "" && len(os.Args) > 0 {
		c.AppName = filepath.Base(os.Args[0])
	}
	c.procID = strconv.Itoa(os.Getpid())
	if c.StructuredDataID == "" {
		c.StructuredDataID = DefaultStructuredDataID
	}
	if id := c.StructuredDataID; !validSDName(id) || !strings.Contains(id, "@") {
		bad("Options.StructuredDataID is %q: want an SD-NAME with an @, like %q (at most 32 printable ASCII characters, none of = ] \" or space)", id, DefaultStructuredDataID)
	}
	if c.network != "tls" && c.TLS != (delivery.TLS{}) {
		bad("Options.TLS is for tls:// addresses; the address is %s", c.addrText)
	}
	e := core.Errors{Prefix: "syslog: "}
	e.CheckTimeout("Timeout", &c.Timeout, delivery.DefaultTimeout)
	e.CheckRetry(&c.Retry)
	e.CheckSpool(&c.Spool)
	c.buffer = e.CheckQueue(&c.Queue, c.Spool.Dir != "")
	if err := e.Err(); err != nil {
		errs = append(errs, err)
	}
	switch {
	case c.MaxMessageSize == 0:
		c.MaxMessageSize = DefaultMaxMessageSize
	case c.MaxMessageSize > 0 && c.MaxMessageSize < 480:
		bad("Options.MaxMessageSize is %d: want at least 480, the least RFC 5426 receivers take (negative: no limit)", c.MaxMessageSize)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// parseAddr reads the address: "" (the local syslog socket),
// "unix:///dev/log" or "unixgram:///dev/log", "udp://host[:514]",
// "tcp://host[:514]", "tls://host[:6514]".
func (c *config) parseAddr(addr string) error {
	if addr == "" {
		for _, p := range localSockets {
			if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSocket != 0 { // /var/run/log is journald's directory on Linux
				c.network, c.addr, c.local = "unixgram", p, true
				c.addrText = "unixgram://" + p
				return nil
			}
		}
		return fmt.Errorf("syslog: no local syslog socket (tried %s): name the receiver, like \"udp://127.0.0.1:514\" or \"unix:///path/to/socket\"", strings.Join(localSockets, ", "))
	}
	u, err := url.Parse(addr)
	if err != nil || u.Scheme == "" {
		return fmt.Errorf("syslog: address %q: want scheme://host:port (udp, tcp, tls) or unix:///path/to/socket", addr)
	}
	switch u.Scheme {
	case "unix", "unixgram":
		p := u.Path
		if u.Host != "" || p == "" {
			return fmt.Errorf("syslog: address %q: a Unix socket is unix:///absolute/path (three slashes)", addr)
		}
		c.network, c.addr, c.local = "unixgram", p, true
		c.addrText = "unixgram://" + p
		return nil
	case "udp", "tcp", "tls":
	default:
		return fmt.Errorf("syslog: address %q: scheme %q is not one of udp, tcp, tls, unix", addr, u.Scheme)
	}
	if u.Host == "" || u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("syslog: address %q: want %s://host:port and nothing more", addr, u.Scheme)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "514"
		if u.Scheme == "tls" {
			port = "6514"
		}
	}
	c.network, c.addr = u.Scheme, net.JoinHostPort(host, port)
	c.addrText = u.Scheme + "://" + c.addr
	return nil
}

// validSDName reports whether s is an SD-NAME: 1 to 32 printable US-ASCII
// characters except '=', ' ', ']' and '"'.
func validSDName(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !sdNameByte(s[i]) {
			return false
		}
	}
	return true
}

func sdNameByte(b byte) bool {
	return b > ' ' && b < 0x7f && b != '=' && b != ']' && b != '"'
}
