package format

import (
	"crypto/hmac"
	"crypto/sha256"
	hexenc "encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"regexp"
	"strings"
)

// DefaultRedactKeys are the keys a [Redactor] hides when
// RedactOptions.Keys is nil: the usual names of passwords, tokens, keys
// and credentials, at any depth of groups.
var DefaultRedactKeys = []string{
	"password", "passwd", "pwd", "secret", "*_secret", "token", "*_token", "*token",
	"authorization", "proxy-authorization", "cookie", "set-cookie",
	"api_key", "apikey", "api-key", "x-api-key", "private_key", "access_key", "*_access_key", "secret_key",
	"credentials", "client_secret",
}

// A Detector finds one kind of secret inside a string value, whatever its
// key: [DetectBearer], [DetectJWT], [DetectCloudKey], [DetectPEM].
type Detector string

// The detectors. [AllDetectors] lists them.
const (
	// DetectBearer finds "Bearer <token>" (any case) and hides the token.
	DetectBearer Detector = "bearer"
	// DetectJWT finds JSON Web Tokens: "eyJ" header, payload and signature.
	DetectJWT Detector = "jwt"
	// DetectCloudKey finds AWS access key ids (AKIA..., ASIA...), Google
	// API keys (AIza...) and GitHub tokens (ghp_..., gho_..., github_pat_...).
	DetectCloudKey Detector = "cloud_key"
	// DetectPEM finds PEM blocks ("-----BEGIN ...-----" to "-----END
	// ...-----", or to the end of the value if it has no end line).
	DetectPEM Detector = "pem"
)

// AllDetectors are the detectors a [Redactor] runs when
// RedactOptions.Detectors is nil.
var AllDetectors = []Detector{DetectBearer, DetectJWT, DetectCloudKey, DetectPEM}

// RedactOptions configure [NewRedactor]. A nil *RedactOptions is the
// defaults.
type RedactOptions struct {
	// Keys are the attribute keys whose values are hidden, whatever they
	// hold; nil is DefaultRedactKeys, an empty non-nil slice none. Keys
	// are matched without regard to case. A key without a dot matches
	// that key at any depth, and a group of that name hides everything in
	// it; a key with dots is a path of groups from the top ("req.headers.
	// authorization"). Keys may be globs, as path.Match reads them: "*"
	// is any run of characters (dots included), "?" one, "[a-z]" a class.
	Keys []string

	// Detectors find secrets inside string values under any key, and in
	// the message; nil is AllDetectors, an empty non-nil slice none.
	Detectors []Detector

	// HMACKey, when set, makes the redactor write "hmac:" and the first
	// 16 bytes, in hex, of the HMAC-SHA256 of the hidden value under this
	// key, instead of Mask: equal secrets give equal strings, so logs can
	// still be correlated, and without the key the value cannot be
	// recovered or guessed. Keep the key as secret as the values.
	HMACKey []byte

	// Mask is what replaces a hidden value; "" is "[REDACTED]".
	Mask string
}

// A Redactor hides secrets in log records. Its [Redactor.ReplaceAttr] goes
// in a handler's Options.ReplaceAttr (any handler of this module, or
// slog's own): there it sees every attribute, those bound with With
// included, after LogValuers are resolved, and the message. Values under a
// redacted key are replaced wholesale, whatever their kind; string values
// under other keys, and the message, are scanned by the detectors and only
// the secret inside them is replaced. The built-in time, level, source and
// logger attributes are never redacted by key. A Redactor is safe for
// concurrent use.
type Redactor struct {
	exact    map[string]bool // lower-case keys without dots or globs, at any depth
	globs    []glob          // lower-case globs without dots, at any depth
	paths    []string        // lower-case patterns with dots, from the top
	bearer   bool
	jwt      bool
	cloud    bool
	pem      bool
	hmacKey  []byte
	mask     string
	detector bool // any detector on
}

// NewRedactor returns a Redactor, or an error naming a bad key pattern or
// detector and what to write instead.
func NewRedactor(opts *RedactOptions) (*Redactor, error) {
	var o RedactOptions
	if opts != nil {
		o = *opts
	}
	if o.Keys == nil {
		o.Keys = DefaultRedactKeys
	}
	if o.Detectors == nil {
		o.Detectors = AllDetectors
	}
	r := &Redactor{exact: map[string]bool{}, mask: o.Mask}
	if r.mask == "" {
		r.mask = "[REDACTED]"
	}
	if len(o.HMACKey) > 0 {
		r.hmacKey = append([]byte(nil), o.HMACKey...)
	}
	var errs []error
	for i, k := range o.Keys {
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "" || strings.Contains(k, "..") || strings.HasPrefix(k, ".") || strings.HasSuffix(k, ".") {
			errs = append(errs, fmt.Errorf("format: redact: Keys[%d] %q: write a key such as \"password\", a path such as \"req.headers.authorization\", or a glob such as \"*_token\"", i, o.Keys[i]))
			continue
		}
		if _, err := path.Match(k, ""); err != nil {
			errs = append(errs, fmt.Errorf("format: redact: Keys[%d] %q is not a valid glob (%v); escape [ ] * ? with \\ to match them literally", i, o.Keys[i], err))
			continue
		}
		switch {
		case strings.Contains(k, "."):
			r.paths = append(r.paths, k)
		case strings.ContainsAny(k, `*?[\`):
			r.globs = append(r.globs, compileGlob(k))
		default:
			r.exact[k] = true
		}
	}
	for i, d := range o.Detectors {
		switch d {
		case DetectBearer:
			r.bearer = true
		case DetectJWT:
			r.jwt = true
		case DetectCloudKey:
			r.cloud = true
		case DetectPEM:
			r.pem = true
		default:
			errs = append(errs, fmt.Errorf("format: redact: Detectors[%d] %q: write one of bearer, jwt, cloud_key, pem", i, string(d)))
		}
	}
	r.detector = r.bearer || r.jwt || r.cloud || r.pem
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// ReplaceAttr returns a with its value hidden if its key (in its groups)
// is redacted, or with the secrets the detectors find in a string value
// hidden. Use it as Options.ReplaceAttr; to chain another, call it on
// what this one returns.
func (r *Redactor) ReplaceAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 {
		switch a.Key {
		case slog.MessageKey:
			if a.Value.Kind() == slog.KindString {
				a.Value = slog.StringValue(r.Redact(a.Value.String()))
			}
			return a
		case slog.TimeKey, slog.LevelKey, slog.SourceKey, loggerKey:
			return a
		}
	}
	if r.redactedKey(groups, a.Key) {
		return slog.String(a.Key, r.hide(a.Value))
	}
	if !r.detector {
		return a
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if s := v.String(); r.suspect(s) {
			if red := r.Redact(s); red != s {
				return slog.String(a.Key, red)
			}
		}
	case slog.KindAny:
		var s string
		switch x := v.Any().(type) {
		case *slog.Source:
			return a
		case error:
			s = x.Error() // most errors hold their text: no allocation
		default:
			s = v.String()
		}
		if r.suspect(s) {
			if red := r.Redact(s); red != s {
				return slog.String(a.Key, red)
			}
		}
	}
	return a
}

// redactedKey reports whether key in groups, or one of the groups, is
// redacted.
func (r *Redactor) redactedKey(groups []string, key string) bool {
	if len(r.exact) == 0 && len(r.globs) == 0 && len(r.paths) == 0 {
		return false
	}
	for i := 0; i <= len(groups); i++ {
		name := key
		if i < len(groups) {
			name = groups[i]
		}
		if r.nameMatches(name) {
			return true
		}
	}
	if len(r.paths) > 0 {
		full := strings.ToLower(strings.Join(append(groups[:len(groups):len(groups)], key), "."))
		for _, p := range r.paths {
			// A path hides what is at it and everything under it.
			for prefix := full; ; {
				if ok, _ := path.Match(p, prefix); ok {
					return true
				}
				i := strings.LastIndexByte(prefix, '.')
				if i < 0 {
					break
				}
				prefix = prefix[:i]
			}
		}
	}
	return false
}

func (r *Redactor) nameMatches(name string) bool {
	if r.exact[name] {
		return true
	}
	lower := strings.ToLower(name)
	if lower != name && r.exact[lower] {
		return true
	}
	for _, g := range r.globs {
		if g.match(lower) {
			return true
		}
	}
	return false
}

// glob is a key pattern; the common shapes "*x", "x*" and "*x*" are
// matched without path.Match, which is slow.
type glob struct {
	kind byte // 's' suffix, 'p' prefix, 'c' contains, 'm' path.Match
	lit  string
}

func compileGlob(pat string) glob {
	meta := func(s string) bool { return strings.ContainsAny(s, `*?[\`) }
	switch {
	case len(pat) > 2 && pat[0] == '*' && pat[len(pat)-1] == '*' && !meta(pat[1:len(pat)-1]):
		return glob{'c', pat[1 : len(pat)-1]}
	case len(pat) > 1 && pat[0] == '*' && !meta(pat[1:]):
		return glob{'s', pat[1:]}
	case len(pat) > 1 && pat[len(pat)-1] == '*' && !meta(pat[:len(pat)-1]):
		return glob{'p', pat[:len(pat)-1]}
	}
	return glob{'m', pat}
}

func (g glob) match(s string) bool {
	switch g.kind {
	case 's':
		return strings.HasSuffix(s, g.lit)
	case 'p':
		return strings.HasPrefix(s, g.lit)
	case 'c':
		return strings.Contains(s, g.lit)
	}
	ok, _ := path.Match(g.lit, s)
	return ok
}

// hide is what replaces v: the mask, or the HMAC of v's text.
func (r *Redactor) hide(v slog.Value) string {
	if r.hmacKey == nil {
		return r.mask
	}
	var s string
	if v.Kind() == slog.KindGroup {
		s = fmt.Sprint(v.Group())
	} else {
		s = v.Resolve().String()
	}
	return r.hideString(s)
}

func (r *Redactor) hideString(s string) string {
	if r.hmacKey == nil {
		return r.mask
	}
	m := hmac.New(sha256.New, r.hmacKey)
	m.Write([]byte(s))
	return "hmac:" + hexenc.EncodeToString(m.Sum(nil)[:16])
}

var (
	bearerRE = regexp.MustCompile(`(?i)(\bbearer\s+)([A-Za-z0-9\-._~+/]+=*)`)
	jwtRE    = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)
	cloudRE  = regexp.MustCompile(`\b(?:(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|AIPA)[A-Z0-9]{16}|AIza[0-9A-Za-z_-]{35}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})`)
	pemRE    = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*-----(?s:.*?)(?:-----END [A-Z0-9 ]*-----|$)`)
)

// suspect is a quick test that s may hold something a detector finds; it
// spares the regular expressions the common case.
func (r *Redactor) suspect(s string) bool {
	return r.bearer && containsFold(s, "bearer") ||
		r.jwt && strings.Contains(s, "eyJ") ||
		r.cloud && (strings.Contains(s, "AKIA") || strings.Contains(s, "ASIA") || strings.Contains(s, "AGPA") ||
			strings.Contains(s, "AIDA") || strings.Contains(s, "AROA") || strings.Contains(s, "ANPA") || strings.Contains(s, "AIPA") ||
			strings.Contains(s, "AIza") || strings.Contains(s, "gh") && strings.Contains(s, "_")) ||
		r.pem && strings.Contains(s, "-----BEGIN ")
}

// Redact returns s with what the detectors find in it hidden: the token
// of "Bearer <token>", JWTs, cloud keys and PEM blocks.
func (r *Redactor) Redact(s string) string {
	if !r.detector || !r.suspect(s) {
		return s
	}
	if r.pem {
		s = pemRE.ReplaceAllStringFunc(s, r.hideString)
	}
	if r.bearer {
		s = bearerRE.ReplaceAllStringFunc(s, func(m string) string {
			sub := bearerRE.FindStringSubmatch(m)
			return sub[1] + r.hideString(sub[2])
		})
	}
	if r.jwt {
		s = jwtRE.ReplaceAllStringFunc(s, r.hideString)
	}
	if r.cloud {
		s = cloudRE.ReplaceAllStringFunc(s, r.hideString)
	}
	return s
}

// containsFold reports whether s contains sub (ASCII lower case), in any
// case, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}
