package wssink

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, written as PEM files.
type testPKI struct {
	caFile, certFile, keyFile string
	pool                      *x509.CertPool
	server                    tls.Certificate
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	now := time.Now()
	caKey := key()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, usage x509.ExtKeyUsage, ips []net.IP) ([]byte, *ecdsa.PrivateKey) {
		k := key()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "test"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips,
			KeyUsage: x509.KeyUsageDigitalSignature,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, k
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	srvDER, srvKey := issue(2, x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	cliDER, cliKey := issue(3, x509.ExtKeyUsageClientAuth, nil)
	cliKeyDER, err := x509.MarshalECPrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	p := &testPKI{
		caFile:   write("ca.pem", "CERTIFICATE", caDER),
		certFile: write("client.pem", "CERTIFICATE", cliDER),
		keyFile:  write("client-key.pem", "EC PRIVATE KEY", cliKeyDER),
		pool:     x509.NewCertPool(),
		server:   tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey},
	}
	p.pool.AddCert(ca)
	return p
}

func TestWSSWithCAFileAndClientCertificate(t *testing.T) {
	pki := newTestPKI(t)
	var col collector
	srv := httptest.NewUnstartedServer(NewReceiver(col.handle, nil))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{pki.server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pki.pool,
	}
	srv.StartTLS()
	defer srv.Close()
	url := "wss" + strings.TrimPrefix(srv.URL, "https") + "/"

	t.Run("verified, with client certificate", func(t *testing.T) {
		o := fastOptions()
		o.Ack = true
		o.TLS.CAFile, o.TLS.CertFile, o.TLS.KeyFile = pki.caFile, pki.certFile, pki.keyFile
		h, err := New(url, o)
		if err != nil {
			t.Fatal(err)
		}
		slog.New(h).Info("over tls", "i", 1)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		shutdown(t, h)
		if col.count() != 1 {
			t.Errorf("receiver got %d records", col.count())
		}
	})
	t.Run("unknown authority is refused", func(t *testing.T) {
		o := fastOptions()
		o.TLS.CertFile, o.TLS.KeyFile = pki.certFile, pki.keyFile
		o.MaxReconnectAttempts = 1
		h, err := New(url, o)
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "a failed dial", func() bool { return h.ConnStats().DialFailures == 1 })
		shutdown2(t, h)
		if e := h.Stats().LastError; e == nil || !strings.Contains(e.Error(), "certificate") {
			t.Errorf("last error %v, want a certificate error", e)
		}
	})
	t.Run("no client certificate is refused", func(t *testing.T) {
		o := fastOptions()
		o.TLS.InsecureSkipVerify = true
		o.MaxReconnectAttempts = 1
		h, err := New(url, o)
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "a failed dial", func() bool { return h.ConnStats().DialFailures == 1 })
		shutdown2(t, h)
		if h.ConnStats().Connects != 0 {
			t.Error("connected without a client certificate")
		}
	})
}
