package httpsink

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/core"
	"github.com/jinpy-utils/multi/internal/httpx"
	"github.com/jinpy-utils/multi/internal/jsonx"
)

// StatusError is a response that was not a success (2xx). Errors reported
// to ErrorHandler and Stats wrap it; errors.As finds it.
type StatusError = delivery.StatusError

// bodySnippet is how much of an error response is kept.
const bodySnippet = httpx.BodySnippet

// retryableStatus reports whether a status is worth retrying.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// Encode builds the request body for recs: encoded, gzipped and sealed
// as the options say. The sender calls it once per batch, under its lock.
func (s *sink) Encode(recs [][]byte, now time.Time) {
	s.body = s.enc.encode(s.body[:0], recs, now)
	s.payload = s.body
	if s.gz != nil {
		s.zbody.Reset()
		s.gz.Reset(&s.zbody)
		s.gz.Write(s.body) // a zbuf never fails
		s.gz.Close()
		s.payload = s.zbody.b
	}
}

// Attempt makes one request with the body Encode built, sealed afresh
// if encryption is on (a nonce is never reused). ctx carries the Timeout.
func (s *sink) Attempt(ctx context.Context, recs [][]byte) error {
	body := s.payload
	if s.aead != nil {
		var err error
		if s.sealed, err = seal(s.aead, s.sealed[:0], body); err != nil {
			return err
		}
		body = s.sealed
	}
	req, err := http.NewRequestWithContext(ctx, s.c.Method, s.c.url.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	h := req.Header
	ct := s.c.Encoding.contentType()
	if s.aead != nil {
		h.Set("Content-Type", "application/octet-stream")
		h.Set(EncryptionHeader, encryptionName)
		h.Set(ContentTypeHeader, ct)
		if s.gz != nil {
			h.Set(ContentEncodingHeader, "gzip")
		}
	} else {
		h.Set("Content-Type", ct)
		if s.gz != nil {
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("User-Agent", "multi-httpsink/1")
	for k, vs := range s.c.Headers {
		h[k] = vs
	}
	switch {
	case s.c.BearerToken != "":
		h.Set("Authorization", "Bearer "+s.c.BearerToken)
	case s.c.TokenFunc != nil:
		tok, err := s.c.TokenFunc(ctx)
		if err != nil {
			return fmt.Errorf("token: %w", err)
		}
		s.Scrub.Add(tok)
		h.Set("Authorization", "Bearer "+tok)
	}

	resp, err := httpx.Do(s.client, req, s.c.Timeout)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		if s.c.Encoding == ElasticsearchBulk {
			return s.bulkResult(resp, len(recs))
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // keep the connection
		return nil
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, bodySnippet))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return httpx.Refusal(resp, snippet, s.Scrub.String, retryableStatus, s.Now())
}

// bulkError is a 2xx bulk response with failed items: refused ones are
// lost for good, the others (429, 5xx) may be sent again.
type bulkError struct {
	refused, again []int
	first          string // the first refused item's error, for the report
}

func (e *bulkError) Error() string {
	if len(e.refused) == 0 {
		return fmt.Sprintf("bulk response: %d items to retry", len(e.again))
	}
	return fmt.Sprintf("bulk response: %d items refused (%s), %d to retry", len(e.refused), e.first, len(e.again))
}

// bulkResult reads an Elasticsearch bulk response: a 200 may still carry
// per-item failures ("errors":true).
func (s *sink) bulkResult(resp *http.Response, n int) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read bulk response: %w", err)
	}
	if !bulkHasErrors(body) {
		return nil
	}
	var r struct {
		Items []map[string]struct {
			Status int             `json:"status"`
			Error  json.RawMessage `json:"error"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("bulk response: %w", err)
	}
	be := &bulkError{}
	for i, item := range r.Items {
		if i >= n {
			break
		}
		for _, res := range item {
			switch {
			case res.Status/100 == 2:
			case retryableStatus(res.Status):
				be.again = append(be.again, i)
			default:
				be.refused = append(be.refused, i)
				if be.first == "" {
					be.first = s.Scrub.String(string(res.Error))
					if len(be.first) > bodySnippet {
						be.first = be.first[:bodySnippet]
					}
				}
			}
		}
	}
	if len(be.refused) == 0 && len(be.again) == 0 {
		return nil
	}
	return &core.Answer{Err: be, Partial: &core.Partial{Refused: be.refused, Again: be.again}}
}

// bulkHasErrors reports whether a bulk response says "errors": true,
// with or without spaces around the colon, as a pretty-printing proxy may
// send it. It only decides whether to read the items: a false positive
// (the text inside a string) costs a parse, nothing more.
func bulkHasErrors(body []byte) bool {
	key := []byte(`"errors"`)
	for {
		i := bytes.Index(body, key)
		if i < 0 {
			return false
		}
		body = body[i+len(key):]
		j := jsonx.SkipSpace(body, 0)
		if j < len(body) && body[j] == ':' {
			j = jsonx.SkipSpace(body, j+1)
			if bytes.HasPrefix(body[j:], []byte("true")) {
				return true
			}
		}
	}
}

// zbuf is a growable byte buffer that keeps its memory across Resets.
type zbuf struct{ b []byte }

func (z *zbuf) Write(p []byte) (int, error) { z.b = append(z.b, p...); return len(p), nil }
func (z *zbuf) Reset()                      { z.b = z.b[:0] }
