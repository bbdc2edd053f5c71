package httpsink

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"github.com/jinpy-utils/multi/delivery"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// testPKI writes a CA and a client certificate and key as PEM files, and
// returns them with a server certificate signed by the same CA.
func testPKI(t *testing.T) (caFile, certFile, keyFile string, server tls.Certificate, pool *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	pool = x509.NewCertPool()
	pool.AddCert(ca)
	issue := func(serial int64, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte) {
		k := newKey()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "peer"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kd, _ := x509.MarshalECPrivateKey(k)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile = write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	sc, sk := issue(2, x509.ExtKeyUsageServerAuth)
	if server, err = tls.X509KeyPair(sc, sk); err != nil {
		t.Fatal(err)
	}
	cc, ck := issue(3, x509.ExtKeyUsageClientAuth)
	return caFile, write("client.pem", cc), write("client.key", ck), server, pool
}

func TestMutualTLS(t *testing.T) {
	caFile, certFile, keyFile, serverCert, pool := testPKI(t)
	c := newCollector(t, NDJSON)
	c.srv.Close()
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(c.serve))
	c.srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	c.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	c.srv.StartTLS()
	t.Cleanup(c.srv.Close)

	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, TLS: delivery.TLS{CAFile: caFile, CertFile: certFile, KeyFile: keyFile}})
	slog.New(h).Info("over mTLS")
	h.Flush(context.Background())
	if got := msgs(t, c.got()); !slices.Equal(got, []string{"over mTLS"}) {
		t.Fatalf("collector got %q, stats %+v", got, h.Stats())
	}

	// Without the CA the server is not trusted; without the client
	// certificate the server refuses: both fail, and nothing is skipped
	// silently.
	for name, o := range map[string]*Options{
		"no CA":          {Encoding: NDJSON, TLS: delivery.TLS{CertFile: certFile, KeyFile: keyFile}, Retry: delivery.Retry{Max: -1}},
		"no client cert": {Encoding: NDJSON, TLS: delivery.TLS{CAFile: caFile}, Retry: delivery.Retry{Max: -1}},
	} {
		h := mustNew(t, c.url(), o)
		slog.New(h).Info("refused")
		h.Flush(context.Background())
		st := h.Stats()
		if st.Written != 0 || st.Dropped != 1 || st.Failed != 1 {
			t.Errorf("%s: stats %+v", name, st)
		}
		if name == "no CA" && !strings.Contains(st.LastError.Error(), "certificate") {
			t.Errorf("%s: last error %v", name, st.LastError)
		}
	}
	// InsecureSkipVerify is honoured only when set.
	h2 := mustNew(t, c.url(), &Options{Encoding: NDJSON, TLS: delivery.TLS{CertFile: certFile, KeyFile: keyFile, InsecureSkipVerify: true}})
	slog.New(h2).Info("insecure")
	h2.Flush(context.Background())
	if st := h2.Stats(); st.Written != 1 {
		t.Fatalf("InsecureSkipVerify: stats %+v", st)
	}
}

// TestShutdownDeadlineDuringOutage: a collector that never answers, a
// Shutdown with a deadline: the request in flight is abandoned, every
// record is spooled, and no goroutine is left.
func TestShutdownDeadlineDuringOutage(t *testing.T) {
	c := newCollector(t, NDJSON)
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		hang(r)
		return true
	})
	before := countGoroutines()
	h, err := New(c.url(), &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: t.TempDir()}, Queue: delivery.Queue{BatchSize: 10}, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	l := slog.New(h)
	for i := range 100 {
		l.Info("rec", "seq", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := h.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown past its deadline returned nil")
	}
	st := h.Stats()
	if st.Spooled != 100 || st.Dropped != 0 || st.Written != 0 || st.Queued != 0 {
		t.Fatalf("stats %+v, want all 100 spooled", st)
	}
	c.srv.CloseClientConnections()
	goroutinesSettle(t, before)
}
