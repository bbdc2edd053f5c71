package httpsink

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/core"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestSecretsNeverAppearInErrorsOrStats runs sinks with every kind of
// secret against a collector that echoes the request back in its error
// responses, with token functions that fail mentioning their token, and
// checks every error reported and every stat.
func TestSecretsNeverAppearInErrorsOrStats(t *testing.T) {
	const (
		bearer   = "bearer-SECRET-1111"
		hdrToken = "header-SECRET-2222"
		apiKey   = "apikey-SECRET-3333"
		password = "password-SECRET-4444"
		query    = "query-SECRET-5555"
		funcTok  = "func-SECRET-6666"
	)
	key := []byte("0123456789abcdef0123456789abcdef")
	secrets := []string{bearer, hdrToken, apiKey, password, query, funcTok, string(key),
		hex.EncodeToString(key), base64.StdEncoding.EncodeToString(key)}

	c := newCollector(t, NDJSON)
	c.key = key
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		// A careless collector: it echoes the URL, the headers, and the key
		// of a sealed request.
		body, _ := io.ReadAll(r.Body)
		status := []int{503, 400, 401}[n%3]
		w.WriteHeader(status)
		fmt.Fprintf(w, "%s %s auth=%q x-api-key=%q %x", r.Method, r.RequestURI,
			r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"), body[:min(8, len(body))])
		if r.Header.Get(EncryptionHeader) != "" {
			fmt.Fprintf(w, " key=%s hex=%x", key, key)
		}
		return true
	})
	u := strings.Replace(c.url(), "http://", "http://user:"+password+"@", 1) + "?api_key=" + query + "&tenant=acme"

	calls := 0
	tokenFunc := func(ctx context.Context) (string, error) {
		calls++
		if calls%2 == 0 {
			return "", errors.New("token service says no to " + funcTok)
		}
		return funcTok, nil
	}
	var e errs
	for _, o := range []Options{
		{BearerToken: bearer, Headers: http.Header{"X-Api-Key": {apiKey}}, EncryptionKey: key},
		{Headers: http.Header{"Authorization": {"Bearer " + hdrToken}}},
		{TokenFunc: tokenFunc, Spool: delivery.Spool{Dir: t.TempDir()}},
	} {
		o.Encoding = NDJSON
		o.Retry = fastRetry(2)
		o.ErrorHandler = e.handle
		h := mustNew(t, u, &o)
		l := slog.New(h)
		for i := range 6 {
			l.Info("rec", "i", i)
			h.Flush(context.Background())
		}
		st := h.Stats()
		if st.Failed == 0 || st.LastError == nil {
			t.Fatalf("stats %+v: the collector failed nothing?", st)
		}
		checkNoSecret(t, "Stats", fmt.Sprintf("%+v %v", st, st.LastError), secrets)
		for err := errors.Unwrap(st.LastError); err != nil; err = errors.Unwrap(err) {
			checkNoSecret(t, "Stats.LastError's chain", err.Error(), secrets)
		}
	}
	reported := e.all()
	if len(reported) < 6 {
		t.Fatalf("only %d errors reported", len(reported))
	}
	sawEcho := false
	for _, err := range reported {
		checkNoSecret(t, "ErrorHandler", err.Error(), secrets)
		if strings.Contains(err.Error(), "auth=") {
			sawEcho = true
		}
		var se *StatusError
		if errors.As(err, &se) {
			checkNoSecret(t, "StatusError.Body", se.Body, secrets)
		}
	}
	if !sawEcho || !strings.Contains(e.text(), core.Redacted) {
		t.Fatalf("the echoing responses were not reported (core.Redacted):\n%s", e.text())
	}

	// Configuration errors do not quote secrets either.
	for _, o := range []Options{
		{BearerToken: bearer, TokenFunc: tokenFunc},
		{Headers: http.Header{"Authorization": {"Bearer " + hdrToken}}, BearerToken: bearer},
		{EncryptionKey: []byte(apiKey)},
	} {
		_, err := New(u, &o)
		if err == nil {
			t.Fatal("New succeeded")
		}
		checkNoSecret(t, "New", err.Error(), secrets)
	}
	if _, err := New("ftp://user:"+password+"@host/?token="+query, nil); err == nil {
		t.Fatal("New(ftp://...) succeeded")
	} else {
		checkNoSecret(t, "New", err.Error(), secrets)
	}
}

func checkNoSecret(t *testing.T, where, s string, secrets []string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s leaks secret %q: %s", where, sec, s)
		}
	}
}

// X-Access-Token is a secret in httpsink as in wssink: one rule, any
// *-Token or *-Key header.
func TestAccessTokenHeaderIsScrubbed(t *testing.T) {
	for _, k := range []string{"X-Access-Token", "x-api-key", "Private-Key", "Authorization"} {
		if !core.IsSecretHeader(k) {
			t.Errorf("%s is not treated as a secret", k)
		}
	}
	if core.IsSecretHeader("X-Request-Id") {
		t.Error("X-Request-Id is treated as a secret")
	}
}
