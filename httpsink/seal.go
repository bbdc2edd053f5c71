package httpsink

import (
	"bytes"
	"compress/gzip"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Headers of a sealed request: the body is nonce || AES-256-GCM ciphertext,
// and the headers the plain body would have had move to X-Log-* so that no
// proxy mistakes the sealed bytes for gzip or JSON.
const (
	// EncryptionHeader is set to "aes-256-gcm" on sealed requests.
	EncryptionHeader = "X-Log-Encryption"
	// ContentTypeHeader carries the plain body's Content-Type.
	ContentTypeHeader = "X-Log-Content-Type"
	// ContentEncodingHeader carries the plain body's Content-Encoding
	// ("gzip" when Compress is set).
	ContentEncodingHeader = "X-Log-Content-Encoding"

	encryptionName = "aes-256-gcm"
)

// ErrNotAuthentic is wrapped by [Open]'s error when the body was not
// sealed with the key, or was changed on the way.
var ErrNotAuthentic = errors.New("httpsink: open: message authentication failed (wrong key or tampered body)")

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("httpsink: key is %d bytes: AES-256-GCM needs 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("httpsink: key: %w", err)
	}
	return cipher.NewGCM(block)
}

// seal appends nonce || Seal(plain) to dst, with a fresh random nonce.
func seal(aead cipher.AEAD, dst, plain []byte) ([]byte, error) {
	ns := aead.NonceSize()
	dst = append(dst, make([]byte, ns)...)
	nonce := dst[len(dst)-ns:]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("httpsink: seal: nonce: %w", err)
	}
	return aead.Seal(dst, nonce, plain, nil), nil
}

// Open returns the plain body of a request sealed by a Handler with
// EncryptionKey key: body is the 12-byte nonce followed by the AES-256-GCM
// ciphertext and tag. The plain body is still gzipped if the request's
// X-Log-Content-Encoding header says so; [ReadBody] undoes both. A wrong
// key or a changed body is an error wrapping [ErrNotAuthentic].
func Open(key, body []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	ns := aead.NonceSize()
	if len(body) < ns+aead.Overhead() {
		return nil, fmt.Errorf("httpsink: open: body of %d bytes is shorter than a nonce and a tag", len(body))
	}
	plain, err := aead.Open(nil, body[:ns], body[ns:], nil)
	if err != nil {
		return nil, ErrNotAuthentic
	}
	return plain, nil
}

// ReadBody is the receiving side of a Handler in one call: it reads r's
// body, opens it with key if the request is sealed (key may be nil for a
// request that is not), and gunzips it if it is compressed, returning the
// body as the Encoding wrote it. maxBytes bounds the bytes read, compressed
// and decompressed alike (0: 32 MiB).
func ReadBody(r *http.Request, key []byte, maxBytes int64) ([]byte, error) {
	if maxBytes <= 0 {
		maxBytes = 32 << 20
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("httpsink: read body: %w", err)
	}
	if int64(len(body)) > maxBytes {
		return nil, fmt.Errorf("httpsink: read body: longer than %d bytes", maxBytes)
	}
	encoding := r.Header.Get("Content-Encoding")
	if alg := r.Header.Get(EncryptionHeader); alg != "" {
		if alg != encryptionName {
			return nil, fmt.Errorf("httpsink: read body: %s %q is not %s", EncryptionHeader, alg, encryptionName)
		}
		if key == nil {
			return nil, fmt.Errorf("httpsink: read body: the body is sealed (%s) and no key was given", encryptionName)
		}
		if body, err = Open(key, body); err != nil {
			return nil, err
		}
		encoding = r.Header.Get(ContentEncodingHeader)
	}
	switch encoding {
	case "":
		return body, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("httpsink: read body: gzip: %w", err)
		}
		plain, err := io.ReadAll(io.LimitReader(zr, maxBytes+1))
		if err != nil {
			return nil, fmt.Errorf("httpsink: read body: gzip: %w", err)
		}
		if int64(len(plain)) > maxBytes {
			return nil, fmt.Errorf("httpsink: read body: decompressed body longer than %d bytes", maxBytes)
		}
		return plain, nil
	}
	return nil, fmt.Errorf("httpsink: read body: content encoding %q is not gzip", encoding)
}
