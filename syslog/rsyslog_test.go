package syslog

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rsyslogd finds the rsyslogd binary that scripts/rsyslog.sh installs. In
// CI (CI=true) a missing binary fails the test; elsewhere it skips.
func rsyslogd(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"rsyslogd", "/usr/sbin/rsyslogd"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("rsyslogd is missing: run scripts/rsyslog.sh (CI never skips this test)")
	}
	t.Skip("rsyslogd is missing: run scripts/rsyslog.sh")
	return ""
}

// rsyslog is an rsyslogd run as a child on loopback, with a TCP, a TLS and
// a UDP input, and a Unix socket input (imuxsock, as /dev/log is read). Every message is written to NAME.log (NAME is tcp, tls or
// udp, unix) in RSYSLOG_SyslogProtocol23Format, the RFC 5424 template, and its
// STRUCTURED-DATA as rsyslog's own mmpstrucdata parses it to NAME.sd, one
// JSON object a line.
type rsyslog struct {
	t                         testing.TB
	bin, dir                  string
	cmd                       *exec.Cmd
	tcpPort, tlsPort, udpPort int
	caFile                    string
	exited                    chan struct{}
	maxMessageSize            string // global(maxMessageSize=...); "" is rsyslog's default (8k)
	clientCerts               bool   // the TLS input requires a client certificate signed by the CA
}

// startRsyslog starts rsyslogd. Ports that are 0 are chosen by rsyslog
// (TCP, TLS) or by the test (UDP).
func startRsyslog(t testing.TB, dir string, tcpPort, tlsPort, udpPort int, opts ...func(*rsyslog)) *rsyslog {
	t.Helper()
	r := &rsyslog{t: t, bin: rsyslogd(t), dir: dir, tcpPort: tcpPort, tlsPort: tlsPort, udpPort: udpPort, maxMessageSize: "256k"}
	for _, o := range opts {
		o(r)
	}
	r.caFile = writeCerts(t, dir)
	if r.udpPort == 0 {
		r.udpPort = freeUDPPort(t)
	}
	r.start()
	return r
}

func (r *rsyslog) start() {
	t := r.t
	t.Helper()
	for _, f := range []string{"tcp.port", "tls.port"} {
		os.Remove(filepath.Join(r.dir, f))
	}
	authMode := "anon"
	if r.clientCerts {
		authMode = "x509/certvalid"
	}
	limit := ""
	if r.maxMessageSize != "" {
		limit = fmt.Sprintf("maxMessageSize=%q", r.maxMessageSize)
	}
	conf := fmt.Sprintf(`global(workDirectory=%[1]q `+limit+`
  parser.escapeControlCharactersOnReceive="off"
  defaultNetstreamDriverCAFile=%[2]q
  defaultNetstreamDriverCertFile=%[3]q
  defaultNetstreamDriverKeyFile=%[4]q)
module(load="imtcp" maxSessions="100")
module(load="imudp")
module(load="imuxsock" SysSock.Use="off")
module(load="mmpstrucdata")
template(name="sd" type="string" string="%%$!rfc5424-sd%%\n")
input(type="imtcp" address="127.0.0.1" port=%[5]q listenPortFileName=%[6]q ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port=%[7]q listenPortFileName=%[8]q ruleset="tls"
  streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode=%[11]q)
input(type="imudp" address="127.0.0.1" port=%[9]q ruleset="udp")
input(type="imuxsock" Socket=%[10]q ruleset="unix" CreatePath="on")
`, r.dir, r.caFile, filepath.Join(r.dir, "server.pem"), filepath.Join(r.dir, "server.key"),
		strconv.Itoa(r.tcpPort), filepath.Join(r.dir, "tcp.port"),
		strconv.Itoa(r.tlsPort), filepath.Join(r.dir, "tls.port"),
		strconv.Itoa(r.udpPort), filepath.Join(r.dir, "log.sock"), authMode)
	for _, name := range []string{"tcp", "tls", "udp", "unix"} {
		conf += fmt.Sprintf(`ruleset(name=%[1]q) {
  action(type="omfile" file=%[2]q template="RSYSLOG_SyslogProtocol23Format")
  action(type="mmpstrucdata" sd_name.lowercase="off")
  action(type="omfile" file=%[3]q template="sd")
}
`, name, filepath.Join(r.dir, name+".log"), filepath.Join(r.dir, name+".sd"))
	}
	confFile := filepath.Join(r.dir, "rsyslog.conf")
	require.NoError(t, os.WriteFile(confFile, []byte(conf), 0o600))
	out := &lockedBuffer{}
	r.cmd = exec.Command(r.bin, "-n", "-f", confFile, "-i", filepath.Join(r.dir, "rsyslogd.pid"))
	r.cmd.Stdout, r.cmd.Stderr = out, out
	require.NoError(t, r.cmd.Start())
	r.exited = make(chan struct{})
	cmd := r.cmd
	go func() { cmd.Wait(); close(r.exited) }() //nolint:errcheck
	t.Cleanup(r.stop)
	deadline := time.Now().Add(15 * time.Second)
	for {
		// rsyslog writes a port file only for port="0"; a fixed port (a
		// restart) is up when it takes connections.
		if port := readPort(r.dir, "tcp.port", r.tcpPort); port > 0 {
			if tls := readPort(r.dir, "tls.port", r.tlsPort); tls > 0 {
				r.tcpPort, r.tlsPort = port, tls
				return
			}
		}
		select {
		case <-r.exited:
			t.Fatalf("rsyslogd exited at start: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsyslogd wrote no port files in 15s: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop stops rsyslogd with SIGTERM (it writes out what it holds) and
// waits for it to exit.
func (r *rsyslog) stop() {
	select {
	case <-r.exited:
		return
	default:
	}
	r.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
	select {
	case <-r.exited:
	case <-time.After(15 * time.Second):
		r.cmd.Process.Kill() //nolint:errcheck
		<-r.exited
	}
}

func (r *rsyslog) addr(network string) string {
	switch network {
	case "tcp":
		return fmt.Sprintf("tcp://127.0.0.1:%d", r.tcpPort)
	case "tls":
		return fmt.Sprintf("tls://127.0.0.1:%d", r.tlsPort)
	case "unix":
		return "unix://" + filepath.Join(r.dir, "log.sock")
	}
	return fmt.Sprintf("udp://127.0.0.1:%d", r.udpPort)
}

// lines returns the lines of NAME.log or NAME.sd so far.
func (r *rsyslog) lines(file string) []string {
	f, err := os.Open(filepath.Join(r.dir, file))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// waitLines waits until file has at least n lines (or for timeout), and
// returns them.
func (r *rsyslog) waitLines(file string, n int, timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	for {
		ls := r.lines(file)
		if len(ls) >= n || time.Now().After(deadline) {
			return ls
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sd returns the STRUCTURED-DATA of each line of NAME.sd as rsyslog parsed
// it: SD-ID to PARAM-NAME to value.
func (r *rsyslog) sd(lines []string) []map[string]map[string]string {
	var out []map[string]map[string]string
	for _, l := range lines {
		m := map[string]map[string]string{}
		require.NoError(r.t, json.Unmarshal([]byte(l), &m), "line %q", l)
		out = append(out, m)
	}
	return out
}

// readPort returns the port in dir/file when fixed is 0, or fixed once it
// takes connections; 0 if neither is so yet.
func readPort(dir, file string, fixed int) int {
	if fixed == 0 {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return 0
		}
		n, _ := strconv.Atoi(string(bytes.TrimSpace(b)))
		return n
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(fixed)), time.Second)
	if err != nil {
		return 0
	}
	c.Close()
	return fixed
}

func freeUDPPort(t testing.TB) int {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// writeCerts writes a CA (ca.pem), a server certificate for 127.0.0.1
// (server.pem, server.key) and a client certificate (client.pem,
// client.key) into dir, and returns the CA's path.
func writeCerts(t testing.TB, dir string) string {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	write := func(name, typ string, b []byte) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600))
	}
	ckey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	client := &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	cder, err := x509.CreateCertificate(rand.Reader, client, caCert, &ckey.PublicKey, caKey)
	require.NoError(t, err)
	ckeyDER, err := x509.MarshalECPrivateKey(ckey)
	require.NoError(t, err)
	write("client.pem", "CERTIFICATE", cder)
	write("client.key", "EC PRIVATE KEY", ckeyDER)
	write("ca.pem", "CERTIFICATE", caDER)
	write("server.pem", "CERTIFICATE", der)
	write("server.key", "EC PRIVATE KEY", keyDER)
	return filepath.Join(dir, "ca.pem")
}

// lockedBuffer is a bytes.Buffer a child process writes while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// trimBOM drops rsyslog's view of our BOM from a MSG, if it kept it.
func trimBOM(s string) string { return strings.TrimPrefix(s, bom) }
