package format_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/jinpy-utils/multi/format"
)

func mustRedactor(t testing.TB, o *format.RedactOptions) *format.Redactor {
	t.Helper()
	r, err := format.NewRedactor(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// redactedLog logs through a handler of format f with r as ReplaceAttr,
// the time left out, and returns the output.
func redactedLog(r *format.Redactor, f format.Format, do func(*slog.Logger)) string {
	var buf bytes.Buffer
	rep := func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return r.ReplaceAttr(groups, a)
	}
	do(slog.New(format.New(&buf, &format.Options{Format: f, ReplaceAttr: rep})))
	return buf.String()
}

type secretValuer struct{ s string }

func (v secretValuer) LogValue() slog.Value { return slog.StringValue(v.s) }

type groupValuer struct{ s string }

func (v groupValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("password", v.s), slog.Int("n", 1))
}

func TestRedactHidesKeysCaseInsensitivelyInGroupsAndGlobs(t *testing.T) {
	r := mustRedactor(t, &format.RedactOptions{Keys: []string{"password", "*_token", "req.headers.authorization", "vault"}})
	got := redactedLog(r, format.JSON, func(l *slog.Logger) {
		l.With("Password", "p1").WithGroup("req").With(slog.Group("headers", "Authorization", "a1", "Accept", "json")).
			Info("m", "refresh_TOKEN", "t1", "user", "ann", slog.Group("vault", "k", "v1"), "authorization", "a2", "obj", groupValuer{"p2"}, "lv", secretValuer{"x"})
	})
	want := `{"level":"INFO","msg":"m","Password":"[REDACTED]","req":{"headers":{"Authorization":"[REDACTED]","Accept":"json"},"refresh_TOKEN":"[REDACTED]","user":"ann","vault":{"k":"[REDACTED]"},"authorization":"a2","obj":{"password":"[REDACTED]","n":1},"lv":"x"}}` + "\n"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestRedactDetectsSecretsInValuesAndMessages(t *testing.T) {
	r := mustRedactor(t, &format.RedactOptions{Keys: []string{}})
	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	pem := "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
	for _, c := range []struct{ in, want string }{
		{"Authorization: Bearer abc.DEF-123_x=", "Authorization: Bearer [REDACTED]"},
		{"token " + jwt + " end", "token [REDACTED] end"},
		{"key AKIAIOSFODNN7EXAMPLE used", "key [REDACTED] used"},
		{"google AIzaSyA-1234567890abcdefghijklmnopqrstu ok", "google [REDACTED] ok"},
		{"gh ghp_abcdefghijklmnopqrstuvwxyz0123456789 ok", "gh [REDACTED] ok"},
		{"cert:\n" + pem + "\nafter", "cert:\n[REDACTED]\nafter"},
		{"-----BEGIN PRIVATE KEY-----\nMIIE cut short", "[REDACTED]"},
		{"nothing secret in AKIA or bearer", "nothing secret in AKIA or bearer"},
	} {
		if got := r.Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q; want %q", c.in, got, c.want)
		}
	}
	got := redactedLog(r, format.Text, func(l *slog.Logger) {
		l.With("hdr", "Bearer s3cr3t").Info("login with "+jwt, "err", errors.New("denied for AKIAIOSFODNN7EXAMPLE"))
	})
	if want := "level=INFO msg=\"login with [REDACTED]\" hdr=\"Bearer [REDACTED]\" err=\"denied for [REDACTED]\"\n"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestRedactHMACCorrelatesWithoutRevealing(t *testing.T) {
	r := mustRedactor(t, &format.RedactOptions{HMACKey: []byte("k")})
	a := r.ReplaceAttr(nil, slog.String("password", "hunter2")).Value.String()
	b := r.ReplaceAttr([]string{"g"}, slog.String("token", "hunter2")).Value.String()
	c := mustRedactor(t, &format.RedactOptions{HMACKey: []byte("other")}).ReplaceAttr(nil, slog.String("password", "hunter2")).Value.String()
	if a != b || a == c || !strings.HasPrefix(a, "hmac:") || len(a) != len("hmac:")+32 || strings.Contains(a, "hunter2") {
		t.Errorf("HMACs %q, %q (same key), %q (other key); want equal, different, hmac:+32 hex", a, b, c)
	}
}

func TestRedactRefusesBadOptionsNamingTheFix(t *testing.T) {
	for _, c := range []struct {
		o    format.RedactOptions
		want string
	}{
		{format.RedactOptions{Keys: []string{""}}, `Keys[0] "": write a key such as "password"`},
		{format.RedactOptions{Keys: []string{"a..b"}}, `Keys[0] "a..b"`},
		{format.RedactOptions{Keys: []string{"[x"}}, `is not a valid glob`},
		{format.RedactOptions{Detectors: []format.Detector{"ssn"}}, `Detectors[0] "ssn": write one of bearer, jwt, cloud_key, pem`},
	} {
		if _, err := format.NewRedactor(&c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewRedactor(%+v) = %v; want an error containing %q", c.o, err, c.want)
		}
	}
}

// redactCalls logs v under redacted keys in every way a program can: as a
// record's attribute, bound with With, in a redacted group, inside a
// WithGroup, as a LogValuer, a LogValuer's group, bytes, an error, and in a
// group bound with With.
func redactCalls(v string) func(*slog.Logger) {
	return func(l *slog.Logger) {
		l.Info("m", "password", v, "n", 1)
		l.With("api_key", v).Info("m")
		l.Info("m", slog.Group("credentials", "x", v, slog.Group("deeper", "y", v)))
		l.WithGroup("req").Info("m", "Authorization", v)
		l.Info("m", "token", secretValuer{v}, "obj", groupValuer{v})
		l.Info("m", "secret", []byte(v), "client_secret", errors.New(v))
		l.With(slog.Group("cookie", "c", v)).WithGroup("g").Info("m", "x_token", v)
	}
}

var allFormats = []format.Format{format.JSON, format.Text, format.Plain, format.Structured, format.Console}

// FuzzRedactHidesEveryByteUnderARedactedKey: whatever value is logged
// under a redacted key, in whatever way, the output of every format is the
// same as for any other value (with a mask), so no byte sequence of it can
// appear; and with an HMAC the value itself never appears.
func FuzzRedactHidesEveryByteUnderARedactedKey(f *testing.F) {
	for _, s := range []string{"hunter2", "", "a\nb", `"quoted"`, "\x00\xff", "[REDACTED]", "Bearer x", "eyJa.eyJb.c", strings.Repeat("z", 300)} {
		f.Add(s)
	}
	masked := mustRedactor(f, nil)
	hashed := mustRedactor(f, &format.RedactOptions{HMACKey: []byte("fuzz key")})
	f.Fuzz(func(t *testing.T, v string) {
		for _, fm := range allFormats {
			got := redactedLog(masked, fm, redactCalls(v))
			base := redactedLog(masked, fm, redactCalls("baseline value"))
			if got != base {
				t.Fatalf("format %v: output depends on the redacted value %q:\n%s\nvs\n%s", fm, v, got, base)
			}
			if len(v) >= 8 {
				out := redactedLog(hashed, fm, redactCalls(v))
				if strings.Contains(out, v) && !strings.Contains(redactedLog(hashed, fm, redactCalls("")), v) {
					t.Fatalf("format %v: %q appears with HMAC redaction:\n%s", fm, v, out)
				}
			}
		}
	})
}

// A redactor in a sink's ReplaceAttr.
func ExampleRedactor() {
	red, err := format.NewRedactor(nil) // DefaultRedactKeys and every detector
	if err != nil {
		panic(err)
	}
	noTime := func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return red.ReplaceAttr(groups, a)
	}
	var buf bytes.Buffer
	log := slog.New(format.New(&buf, &format.Options{ReplaceAttr: noTime}))
	log.With("user", "ann", "password", "hunter2").Info("called with Bearer abc123", "key", "AKIAIOSFODNN7EXAMPLE")
	fmt.Print(buf.String())
	// Output:
	// {"level":"INFO","msg":"called with Bearer [REDACTED]","user":"ann","password":"[REDACTED]","key":"[REDACTED]"}
}

func TestRedactGlobsOfEveryShape(t *testing.T) {
	r := mustRedactor(t, &format.RedactOptions{Keys: []string{"*_token", "sess*", "*secret*", "k?y", "[ab]x", `lit\*`}, Detectors: []format.Detector{}})
	for key, want := range map[string]bool{
		"refresh_token": true, "token": false, "SESSION_ID": true, "my_secret_2": true, "secret": true,
		"key": true, "kay": true, "keey": false, "ax": true, "cx": false, "lit*": true, "lit": false,
	} {
		if got := r.ReplaceAttr(nil, slog.String(key, "v")).Value.String() == "[REDACTED]"; got != want {
			t.Errorf("key %q redacted = %v; want %v", key, got, want)
		}
	}
}
