package httpsink

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestEncryptedBodiesOpenOnlyWithTheKey(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	for _, gz := range []bool{false, true} {
		c := newCollector(t, NDJSON)
		c.key = key
		// The first request is refused, so the batch is sent twice: the
		// two bodies must differ (a fresh nonce per request).
		var refused []byte
		c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
			if n > 1 {
				return false
			}
			b, err := io.ReadAll(r.Body)
			if err != nil {
				t.Errorf("read the refused body: %v", err)
			}
			refused = b
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		})
		h := mustNew(t, c.url(), &Options{Encoding: NDJSON, EncryptionKey: key, Compress: gz, Retry: fastRetry(0)})
		l := slog.New(h)
		l.Info("attack at dawn", "target", "the castle")
		h.Flush(context.Background())
		if got := msgs(t, c.got()); !slices.Equal(got, []string{"attack at dawn"}) {
			t.Fatalf("gzip %v: the receiver with the key got %q", gz, got)
		}
		c.mu.Lock()
		hdr, sealed := c.headers[0], c.bodies[0]
		c.mu.Unlock()
		if hdr.Get(EncryptionHeader) != "aes-256-gcm" || hdr.Get("Content-Type") != "application/octet-stream" ||
			hdr.Get(ContentTypeHeader) != "application/x-ndjson" || hdr.Get("Content-Encoding") != "" ||
			(hdr.Get(ContentEncodingHeader) == "gzip") != gz {
			t.Fatalf("gzip %v: headers %v", gz, hdr)
		}
		if bytes.Contains(sealed, []byte("attack")) || bytes.Contains(sealed, []byte("castle")) {
			t.Fatalf("the sealed body shows the plaintext: %q", sealed)
		}
		plain, err := Open(key, sealed)
		if err != nil {
			t.Fatal(err)
		}
		if !gz && !bytes.Contains(plain, []byte(`"msg":"attack at dawn"`)) {
			t.Fatalf("Open gave %q", plain)
		}
		if req, failed := c.counts(); req != 2 || failed != 1 {
			t.Fatalf("gzip %v: %d requests, %d refused; want the batch sent twice", gz, req, failed)
		}
		if len(refused) < 12 || bytes.Equal(refused[:12], sealed[:12]) || bytes.Equal(refused, sealed) {
			t.Fatalf("gzip %v: the resent body repeats the refused one's nonce:\n%x\n%x", gz, refused, sealed)
		}
		if again, err := Open(key, refused); err != nil || !bytes.Equal(again, plain) {
			t.Fatalf("gzip %v: the refused body opens to %q, %v; want the same plaintext %q", gz, again, err, plain)
		}

		// Without the key, or with another, the body cannot be read.
		req := func() *http.Request {
			r, _ := http.NewRequest("POST", "/", bytes.NewReader(sealed))
			r.Header = hdr.Clone()
			return r
		}
		if _, err := ReadBody(req(), nil, 0); err == nil || !strings.Contains(err.Error(), "no key was given") {
			t.Fatalf("ReadBody without a key = %v", err)
		}
		other := bytes.Repeat([]byte{8}, 32)
		if _, err := ReadBody(req(), other, 0); !errors.Is(err, ErrNotAuthentic) {
			t.Fatalf("ReadBody with another key = %v, want ErrNotAuthentic", err)
		}
		if _, err := Open(other, sealed); !errors.Is(err, ErrNotAuthentic) {
			t.Fatalf("Open with another key = %v, want ErrNotAuthentic", err)
		}
		tampered := bytes.Clone(sealed)
		tampered[len(tampered)/2] ^= 1
		if _, err := Open(key, tampered); !errors.Is(err, ErrNotAuthentic) {
			t.Fatalf("Open of a changed body = %v, want ErrNotAuthentic", err)
		}
	}
}

func TestNonceIsFreshForEveryRequest(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	c := newCollector(t, NDJSON)
	c.key = key
	var bodies [][]byte
	c.setFault(func(w http.ResponseWriter, r *http.Request, n int) bool {
		var b bytes.Buffer
		b.ReadFrom(r.Body)
		bodies = append(bodies, b.Bytes())
		if n <= 3 {
			w.WriteHeader(503)
			return true
		}
		return true // 200, empty
	})
	h := mustNew(t, c.url(), &Options{Encoding: NDJSON, EncryptionKey: key, Retry: fastRetry(3)})
	slog.New(h).Info("same")
	h.Flush(context.Background())
	if len(bodies) != 4 {
		t.Fatalf("%d requests, want 4", len(bodies))
	}
	nonces := map[string]bool{}
	for _, b := range bodies {
		nonces[string(b[:12])] = true
		if _, err := Open(key, b); err != nil {
			t.Fatal(err)
		}
	}
	if len(nonces) != 4 {
		t.Fatalf("4 requests of the same batch used %d nonces", len(nonces))
	}
}

func TestOpenRejectsBadInput(t *testing.T) {
	if _, err := Open(make([]byte, 16), make([]byte, 64)); err == nil || !strings.Contains(err.Error(), "16 bytes") {
		t.Fatalf("Open with a 16-byte key = %v", err)
	}
	if _, err := Open(make([]byte, 32), make([]byte, 20)); err == nil || !strings.Contains(err.Error(), "shorter") {
		t.Fatalf("Open of 20 bytes = %v", err)
	}
}
