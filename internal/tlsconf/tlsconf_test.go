package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pki is a throwaway CA with a server and a client certificate, written as
// PEM files into a temporary directory.
type pki struct {
	dir                string
	caFile             string
	certFile, keyFile  string // client
	serverCert         tls.Certificate
	caPool             *x509.CertPool
	clientKeyPEMString string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage) ([]byte, []byte) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kd, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
	}
	p := &pki{dir: dir, caPool: x509.NewCertPool()}
	p.caPool.AddCert(ca)
	p.caFile = write(t, dir, "ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	sc, sk := issue(2, "server", x509.ExtKeyUsageServerAuth)
	if p.serverCert, err = tls.X509KeyPair(sc, sk); err != nil {
		t.Fatal(err)
	}
	cc, ck := issue(3, "client", x509.ExtKeyUsageClientAuth)
	p.certFile = write(t, dir, "client.pem", cc)
	p.keyFile = write(t, dir, "client.key", ck)
	p.clientKeyPEMString = string(ck)
	return p
}

func write(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// mtlsServer answers 200 with the client certificate's common name, and
// requires a client certificate signed by the test CA.
func mtlsServer(t *testing.T, p *pki) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{p.serverCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    p.caPool,
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func get(cfg *tls.Config, url string) (string, error) {
	tr := &http.Transport{TLSClientConfig: cfg}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestConfigMutualTLS(t *testing.T) {
	p := newPKI(t)
	srv := mtlsServer(t, p)

	cfg, err := Config(p.caFile, p.certFile, p.keyFile, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := get(cfg, srv.URL)
	if err != nil {
		t.Fatalf("GET with CA and client certificate: %v", err)
	}
	if got != "client" {
		t.Fatalf("server saw client certificate %q, want %q", got, "client")
	}

	// Without the client certificate the server refuses the handshake.
	cfg, err = Config(p.caFile, "", "", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get(cfg, srv.URL); err == nil {
		t.Fatal("GET without a client certificate succeeded; the server requires one")
	}
}

func TestConfigVerifiesServerUnlessAskedNotTo(t *testing.T) {
	p := newPKI(t)
	srv := mtlsServer(t, p)

	// The client certificate alone: the server's CA is unknown, so verification fails.
	cfg, err := Config("", p.certFile, p.keyFile, false)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.InsecureSkipVerify {
		t.Fatal("InsecureSkipVerify set without being asked")
	}
	_, err = get(cfg, srv.URL)
	var uerr x509.UnknownAuthorityError
	if !errors.As(err, &uerr) {
		t.Fatalf("GET to a server signed by an unknown CA: err = %v, want x509.UnknownAuthorityError", err)
	}

	cfg, err = Config("", p.certFile, p.keyFile, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := get(cfg, srv.URL); err != nil || got != "client" {
		t.Fatalf("GET with InsecureSkipVerify = %q, %v; want %q, nil", got, err, "client")
	}
}

func TestConfigNothingAskedIsNil(t *testing.T) {
	cfg, err := Config("", "", "", false)
	if cfg != nil || err != nil {
		t.Fatalf("Config with nothing set = %v, %v; want nil, nil", cfg, err)
	}
}

func TestConfigErrorsNameTheFileNotItsContents(t *testing.T) {
	p := newPKI(t)
	missing := filepath.Join(p.dir, "missing.pem")
	garbage := write(t, p.dir, "garbage.pem", []byte("not a certificate\n"))
	// A key that does not match the certificate: the CA file's certificate
	// as the "key" is not a key at all; a second client key is a mismatch.
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	od, _ := x509.MarshalECPrivateKey(otherKey)
	otherKeyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: od})
	other := write(t, p.dir, "other.key", otherKeyPEM)

	for _, tc := range []struct {
		name          string
		ca, cert, key string
		want          []string
		notExist      bool
	}{
		{name: "CA missing", ca: missing, want: []string{"CAFile", missing}, notExist: true},
		{name: "CA not PEM", ca: garbage, want: []string{"CAFile", garbage, "no PEM certificate"}},
		{name: "cert without key", cert: p.certFile, want: []string{"CertFile", p.certFile, "KeyFile is empty"}},
		{name: "key without cert", key: p.keyFile, want: []string{"KeyFile", p.keyFile, "CertFile is empty"}},
		{name: "cert missing", cert: missing, key: p.keyFile, want: []string{"CertFile", missing}, notExist: true},
		{name: "key missing", cert: p.certFile, key: missing, want: []string{"KeyFile", missing}, notExist: true},
		{name: "key mismatched", cert: p.certFile, key: other, want: []string{"CertFile", "KeyFile", other}},
		{name: "key and cert swapped", cert: p.keyFile, key: p.certFile, want: []string{"CertFile", "KeyFile"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Config(tc.ca, tc.cert, tc.key, false)
			if err == nil {
				t.Fatalf("Config = %v, nil; want an error", cfg)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "tlsconf: ") {
				t.Errorf("error %q does not start with the package name", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if tc.notExist && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %q is not fs.ErrNotExist", msg)
			}
			for _, secret := range []string{"PRIVATE KEY", p.clientKeyPEMString[40:80], string(otherKeyPEM[40:80])} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q leaks key material %q", msg, secret)
				}
			}
		})
	}
}
