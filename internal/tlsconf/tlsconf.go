// Package tlsconf builds the client TLS configuration shared by the
// network sinks (httpsink, wssink) from file names given in their options.
//
// Errors name the option and the file, never the file's contents, so a
// private key can never leak into a log or an error report.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Config builds a client *tls.Config:
//
//   - caFile, when set, is a PEM file whose certificates are added to the
//     system roots (so a private CA works without losing public ones);
//   - certFile and keyFile, when both set, are a PEM client certificate and
//     its key for mutual TLS; one without the other is an error;
//   - insecureSkipVerify turns off server verification, only when asked.
//
// With every argument empty or false it returns nil, nil: the caller keeps
// its transport's default TLS settings. The minimum version is TLS 1.2.
func Config(caFile, certFile, keyFile string, insecureSkipVerify bool) (*tls.Config, error) {
	if caFile == "" && certFile == "" && keyFile == "" && !insecureSkipVerify {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if insecureSkipVerify {
		cfg.InsecureSkipVerify = true // #nosec G402 -- only when the user sets InsecureSkipVerify.
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("tlsconf: CAFile %q: %w", caFile, pathErr(err))
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tlsconf: CAFile %q: no PEM certificate found", caFile)
		}
		cfg.RootCAs = pool
	}
	switch {
	case certFile != "" && keyFile == "":
		return nil, fmt.Errorf("tlsconf: CertFile %q is set but KeyFile is empty: a client certificate needs both", certFile)
	case certFile == "" && keyFile != "":
		return nil, fmt.Errorf("tlsconf: KeyFile %q is set but CertFile is empty: a client certificate needs both", keyFile)
	case certFile != "":
		if _, err := os.Stat(certFile); err != nil {
			return nil, fmt.Errorf("tlsconf: CertFile %q: %w", certFile, pathErr(err))
		}
		if _, err := os.Stat(keyFile); err != nil {
			return nil, fmt.Errorf("tlsconf: KeyFile %q: %w", keyFile, pathErr(err))
		}
		// tls.LoadX509KeyPair's errors describe the PEM blocks it saw (types,
		// never bytes), but we replace them anyway: a parse error is reported
		// without any of the text it was given.
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("tlsconf: CertFile %q, KeyFile %q: not a matching PEM certificate and private key", certFile, keyFile)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// pathErr strips the *fs.PathError wrapper, whose message repeats the path
// we already quote, and keeps the cause (for errors.Is(err, fs.ErrNotExist)).
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
