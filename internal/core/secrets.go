package core

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
)

// Secrets lists what no error or stat of a sink may carry, by one rule for
// every sink: the URL's user information (as given, escaped, and as the
// Basic credentials the client sends), the values of its query parameters
// whose names say they are credentials (api_key, token, ...), the bearer
// token, and the values of the credential headers (see IsSecretHeader),
// with the token after "Bearer " alone too.
func Secrets(u *url.URL, headers http.Header, bearer string) []string {
	var s []string
	if bearer != "" {
		s = append(s, bearer)
	}
	for k, vs := range headers {
		if IsSecretHeader(k) {
			for _, v := range vs {
				s = append(s, v)
				if _, tok, ok := strings.Cut(v, " "); ok && len(tok) >= 4 {
					s = append(s, tok)
				}
			}
		}
	}
	if u == nil {
		return s
	}
	if u.User != nil {
		name := u.User.Username()
		p, _ := u.User.Password()
		raw := u.User.String() // escaped user[:password]
		escName, escPass, _ := strings.Cut(raw, ":")
		s = append(s, base64.StdEncoding.EncodeToString([]byte(name+":"+p)), raw, escName, escPass)
		if len(name) >= 4 {
			s = append(s, name, url.UserPassword(name, "").String())
		}
		if p != "" {
			s = append(s, p, url.UserPassword(name, p).String())
		}
	}
	for k, vs := range u.Query() {
		if IsSecretParam(k) {
			s = append(s, vs...)
			for _, v := range vs {
				s = append(s, url.QueryEscape(v))
			}
		}
	}
	return s
}

// IsSecretHeader reports whether a header's value is a credential: by
// name, and any *-Token or *-Key header (X-Access-Token, X-Api-Key, ...).
func IsSecretHeader(k string) bool {
	k = http.CanonicalHeaderKey(k)
	switch k {
	case "Authorization", "Proxy-Authorization", "Api-Key", "Cookie":
		return true
	}
	return strings.HasSuffix(k, "-Token") || strings.HasSuffix(k, "-Key")
}

// IsSecretParam reports whether a query parameter's name says it carries a
// credential.
func IsSecretParam(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"key", "token", "secret", "pass", "auth", "sig", "credential"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// SafeURL returns scheme://host/path of u: no user information, query or
// fragment, which may all carry credentials.
func SafeURL(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return r.String()
}

// SafeRaw is a URL as written without its query, fragment and user
// information, for an error about a URL that did not parse.
func SafeRaw(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	if at := strings.LastIndex(raw, "@"); at >= 0 {
		if s := strings.Index(raw, "://"); s >= 0 && s < at {
			raw = raw[:s+3] + raw[at+1:]
		} else {
			raw = raw[at+1:]
		}
	}
	return raw
}

// Redacted replaces every secret in an error.
const Redacted = "[REDACTED]"

// Scrubber removes a sink's secrets from its errors. The fixed ones come
// from its options; Add takes tokens learnt at run time (a TokenFunc's),
// keeping the latest few. It is safe for concurrent use.
type Scrubber struct {
	fixed int
	list  atomic.Pointer[[]string]
}

// NewScrubber returns a Scrubber for secrets.
func NewScrubber(secrets []string) *Scrubber {
	s := &Scrubber{fixed: len(secrets)}
	l := slices.Clone(secrets)
	s.list.Store(&l)
	return s
}

// Add adds vals to the secrets, keeping those from the options and the
// last eight added.
func (s *Scrubber) Add(vals ...string) {
	old := *s.list.Load()
	for _, v := range vals {
		if v == "" || slices.Contains(old, v) {
			continue
		}
		next := append(slices.Clone(old), v)
		if len(next)-s.fixed > 8 {
			next = slices.Delete(next, s.fixed, s.fixed+1)
		}
		old = next
	}
	s.list.Store(&old)
}

// String returns msg with every secret of four bytes or more replaced.
func (s *Scrubber) String(msg string) string {
	for _, sec := range *s.list.Load() {
		if len(sec) >= 4 && strings.Contains(msg, sec) {
			msg = strings.ReplaceAll(msg, sec, Redacted)
		}
	}
	return msg
}

// Error returns err with every secret in its message replaced. An error
// that needed scrubbing keeps only its text, since unwrapping it could
// reach the secret again, except for the destination's answer (an
// [Answer]'s Err, which the transport builds from scrubbed text), which
// errors.As still finds.
func (s *Scrubber) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := s.String(msg)
	if clean == msg {
		return err
	}
	se := &scrubbedError{msg: clean}
	var a *Answer
	if errors.As(err, &a) {
		se.answer = a.Err
	}
	return se
}

type scrubbedError struct {
	msg    string
	answer error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.answer }
