package syslog

import (
	"context"
	"errors"
	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/delivery"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jinpy-utils/multi"
)

var testTime = time.Date(2026, 12, 3, 14, 5, 6, 123456789, time.UTC)

// testHandler returns a Handler for a receiver that is never dialled, with
// a fixed hostname, app-name and procid, for exact bytes.
func testHandler(t testing.TB, addr string, o *Options) *Handler {
	t.Helper()
	if o == nil {
		o = &Options{}
	}
	if o.Hostname == "" {
		o.Hostname = "host"
	}
	if o.AppName == "" {
		o.AppName = "app"
	}
	h, err := New(addr, o)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 0)
		defer cancel()
		h.Shutdown(ctx) //nolint:errcheck
	})
	h.s.c.procID = "42"
	if h.s.c.format == RFC5424 {
		h.s.header = header5424(h.s.c)
	} else {
		h.s.header = header3164(h.s.c)
	}
	return h
}

// encodeRecord returns what Handle would queue for a record.
func encodeRecord(h slog.Handler, l slog.Level, msg string, attrs ...slog.Attr) string {
	r := slog.NewRecord(testTime, l, msg, 0)
	r.AddAttrs(attrs...)
	hh := h.(*Handler)
	e := newEncoder(hh.s.c)
	defer e.free()
	hh.encode(e, r)
	return string(e.buf)
}

func TestEncode5424(t *testing.T) {
	h := testHandler(t, "tcp://127.0.0.1:1", nil)
	tests := []struct {
		name  string
		h     slog.Handler
		level slog.Level
		msg   string
		attrs []slog.Attr
		want  string
	}{
		{"no attrs: NILVALUE", h, slog.LevelInfo, "hello", nil,
			"<14>1 2026-12-03T14:05:06.123456Z host app 42 - - \xEF\xBB\xBFhello"},
		{"attrs as SD-PARAMs", h, slog.LevelWarn, "m", []slog.Attr{slog.String("user", "bob"), slog.Int("n", -3), slog.Bool("ok", true)},
			`<12>1 2026-12-03T14:05:06.123456Z host app 42 - [slog@32473 user="bob" n="-3" ok="true"] ` + bom + "m"},
		{"escapes", h, slog.LevelError, "m", []slog.Attr{slog.String("q", `a"b\c]d`)},
			`<11>1 2026-12-03T14:05:06.123456Z host app 42 - [slog@32473 q="a\"b\\c\]d"] ` + bom + "m"},
		{"empty message: no MSG", h, slog.LevelInfo, "", nil,
			"<14>1 2026-12-03T14:05:06.123456Z host app 42 - -"},
		{"groups joined with dots", h.WithGroup("req").WithAttrs([]slog.Attr{slog.String("id", "7")}), slog.LevelInfo, "m",
			[]slog.Attr{slog.Group("h", slog.String("ua", "x")), slog.Group("empty")},
			`<14>1 2026-12-03T14:05:06.123456Z host app 42 - [slog@32473 req.id="7" req.h.ua="x"] ` + bom + "m"},
		{"hostile names", h, slog.LevelInfo, "m", []slog.Attr{slog.String("a b=c]\"d\n\xff", "v"), slog.String(strings.Repeat("k", 40), "v")},
			`<14>1 2026-12-03T14:05:06.123456Z host app 42 - [slog@32473 a_b_c__d__="v" ` + strings.Repeat("k", 32) + `="v"] ` + bom + "m"},
		{"invalid UTF-8 replaced, newline kept", h, slog.LevelInfo, "a\xffb\nc", []slog.Attr{slog.String("v", "x\xfey\n")},
			`<14>1 2026-12-03T14:05:06.123456Z host app 42 - [slog@32473 v="x` + "\uFFFD" + "y\n" + `"] ` + bom + "a\uFFFDb\nc"},
		{"empty key and empty group dropped, inline group", h, slog.LevelInfo, "m",
			[]slog.Attr{slog.String("", "x"), slog.Group("", slog.Int("in", 1))},
			`<14>1 2026-12-03T14:05:06.123456Z host app 42 - [slog@32473 in="1"] ` + bom + "m"},
		{"values of every kind", h, slog.LevelDebug, "m", []slog.Attr{
			slog.Duration("d", 1500*time.Millisecond), slog.Float64("f", 0.5), slog.Uint64("u", 7),
			slog.Time("t", testTime), slog.Any("err", errors.New("boom]")), slog.Any("nil", nil)},
			`<15>1 2026-12-03T14:05:06.123456Z host app 42 - [slog@32473 d="1.5s" f="0.5" u="7" t="2026-12-03T14:05:06.123456789Z" err="boom\]" nil="<nil>"] ` + bom + "m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeRecord(tt.h, tt.level, tt.msg, tt.attrs...)
			assert.Equal(t, tt.want, got)
			_, err := parse5424(got)
			assert.NoError(t, err, "a strict RFC 5424 parser refuses it")
		})
	}
}

func TestEncodeHeaderOptions(t *testing.T) {
	h := testHandler(t, "udp://127.0.0.1:1", &Options{
		Facility: Local3, Hostname: "my host", AppName: "ä-app", MsgID: "REQ", StructuredDataID: "x@1",
	})
	got := encodeRecord(h, multi.LevelCritical, "m", slog.Int("a", 1))
	assert.Equal(t, `<154>1 2026-12-03T14:05:06.123456Z my_host __-app 42 REQ [x@1 a="1"] `+bom+"m", got)
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
	e := newEncoder(h.s.c)
	defer e.free()
	h.encode(e, r)
	assert.Equal(t, "<158>1 - my_host __-app 42 REQ - "+bom+"m", string(e.buf), "a zero time is the NILVALUE")
}

func TestEncode3164(t *testing.T) {
	h := testHandler(t, "udp://127.0.0.1:1", &Options{Format: RFC3164})
	got := encodeRecord(h.WithAttrs([]slog.Attr{slog.String("k", "v\"")}), slog.LevelInfo, "line\nforged", slog.Int("n", 1))
	assert.Equal(t, `<14>Dec  3 14:05:06 host app[42]: line#012forged k="v\"" n="1"`, got)

	local := testHandler(t, "unix:///nonexistent/log", nil)
	assert.Equal(t, RFC3164, local.s.c.format, "Auto is RFC 3164 on a Unix socket")
	assert.Equal(t, `<11>Dec  3 14:05:06 app[42]: boom`, encodeRecord(local, slog.LevelError, "boom"))
}

func TestSeverityOf(t *testing.T) {
	for l, want := range map[slog.Level]Severity{
		multi.LevelTrace: Debug, slog.LevelDebug: Debug, slog.LevelInfo - 1: Debug,
		slog.LevelInfo: Info, slog.LevelInfo + 1: Info, slog.LevelInfo + 2: Notice, slog.LevelInfo + 3: Notice,
		slog.LevelWarn: Warning, slog.LevelError - 1: Warning, slog.LevelError: Error,
		multi.LevelCritical - 1: Error, multi.LevelCritical: Critical, multi.LevelCritical + 3: Critical,
		multi.LevelCritical + 4: Alert, multi.LevelCritical + 8: Emergency, 100: Emergency,
	} {
		assert.Equal(t, want, SeverityOf(l), "level %v", l)
	}
}

func TestReplaceAttrAndSource(t *testing.T) {
	h := testHandler(t, "tcp://127.0.0.1:1", &Options{
		AddSource: true,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case "secret":
				return slog.Attr{}
			case slog.SourceKey:
				s := a.Value.Any().(*slog.Source)
				return slog.String("src", s.Function)
			case "x":
				return slog.String("x", strings.Join(groups, "/"))
			}
			return a
		},
	})
	r := slog.NewRecord(testTime, slog.LevelInfo, "m", pc())
	r.AddAttrs(slog.String("secret", "pw"), slog.Group("g", slog.String("x", "")))
	e := newEncoder(h.s.c)
	defer e.free()
	h.encode(e, r)
	assert.Equal(t, `<14>1 2026-12-03T14:05:06.123456Z host app 42 - [slog@32473 src="github.com/jinpy-utils/multi/syslog.pc" g.x="g"] `+bom+"m", string(e.buf))
}

func TestWithGroupSiblingsDoNotShareMemory(t *testing.T) {
	h := testHandler(t, "tcp://127.0.0.1:1", nil)
	p := h.WithGroup("p")
	a := p.WithGroup("a").WithAttrs([]slog.Attr{slog.Int("x", 1)})
	b := p.WithGroup("b").WithAttrs([]slog.Attr{slog.Int("y", 2)})
	assert.Contains(t, encodeRecord(a, 0, "m"), `[slog@32473 p.a.x="1"]`)
	assert.Contains(t, encodeRecord(b, 0, "m"), `[slog@32473 p.b.y="2"]`)
}

func TestOptionErrorsNameTheField(t *testing.T) {
	for _, tt := range []struct {
		addr string
		o    *Options
		want string
	}{
		{"http://x", nil, `scheme "http" is not one of udp, tcp, tls, unix`},
		{"unix://dev/log", nil, "three slashes"},
		{"tcp://h:1/path", nil, "want tcp://host:port and nothing more"},
		{"tcp://h:1", &Options{Facility: 99}, "Options.Facility is 99"},
		{"tcp://h:1", &Options{StructuredDataID: "nope"}, `Options.StructuredDataID is "nope"`},
		{"tcp://h:1", &Options{TLS: delivery.TLS{CAFile: "x"}}, "Options.TLS is for tls:// addresses"},
		{"tcp://h:1", &Options{Timeout: -1}, "Options.Timeout is -1ns: must not be negative (0 means 10s)"},
		{"tcp://h:1", &Options{Queue: delivery.Queue{OnFull: buffer.Divert}}, "Options.Queue.OnFull is divert but Options.Spool.Dir is empty"},
		{"tls://h:1", &Options{TLS: delivery.TLS{CertFile: "c"}}, "KeyFile is empty"},
	} {
		_, err := New(tt.addr, tt.o)
		require.Error(t, err, tt.addr)
		assert.Contains(t, err.Error(), tt.want)
	}
}

func TestParseNames(t *testing.T) {
	f, err := ParseFacility(" LOCAL7 ")
	require.NoError(t, err)
	assert.Equal(t, Local7, f)
	_, err = ParseFacility("kern")
	assert.ErrorContains(t, err, `facility "kern" is not one of`)
	var fm Format
	require.NoError(t, fm.UnmarshalText([]byte("bsd")))
	assert.Equal(t, RFC3164, fm)
	assert.Equal(t, "warning", Warning.String())
}

func pc() uintptr {
	var pcs [1]uintptr
	runtimeCallers(1, pcs[:])
	return pcs[0]
}

func TestTimestampIsAppendFormats(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("", 5*3600+30*60), time.FixedZone("", -(9*3600 + 45*60)), time.FixedZone("", 59)}
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		zones = append(zones, ny)
	}
	for _, loc := range zones {
		for _, tm := range []time.Time{testTime, time.Date(1, 1, 1, 0, 0, 0, 999, loc), time.Date(9999, 12, 31, 23, 59, 59, 999999999, loc), time.Date(10000, 1, 1, 0, 0, 0, 0, loc), time.Date(2026, 3, 8, 7, 30, 0, 1000, loc)} {
			tm = tm.In(loc)
			assert.Equal(t, tm.Format(rfc5424Time), string(appendTimestamp(nil, tm)))
		}
	}
}

func TestMaxMessageSizeCutsMSGThenParams(t *testing.T) {
	h := testHandler(t, "tcp://127.0.0.1:1", &Options{MaxMessageSize: 480})
	header := "<14>1 2026-12-03T14:05:06.123456Z host app 42 - "
	cut := func(msg string, attrs ...slog.Attr) string {
		r := slog.NewRecord(testTime, slog.LevelInfo, msg, 0)
		r.AddAttrs(attrs...)
		e := newEncoder(h.s.c)
		defer e.free()
		h.encode(e, r)
		assert.True(t, e.fit(h.s.c, 480))
		assert.LessOrEqual(t, len(e.buf), 480)
		_, err := parse5424(string(e.buf))
		assert.NoError(t, err)
		return string(e.buf)
	}
	// The MSG is cut, at a UTF-8 boundary.
	got := cut(strings.Repeat("é", 300), slog.String("k", "v"))
	assert.True(t, strings.HasPrefix(got, header+`[slog@32473 k="v"] `+bom+"éé"))
	assert.True(t, utf8.ValidString(got))
	// Parameters too large: the MSG goes, then parameters from the end.
	got = cut("m", slog.String("a", "1"), slog.String("b", strings.Repeat("x", 300)), slog.String("c", strings.Repeat("y", 300)))
	assert.Equal(t, header+`[slog@32473 a="1" b="`+strings.Repeat("x", 300)+`" c="`+strings.Repeat("y", 480-len(header)-len(`[slog@32473 a="1" b="`)-300-len(`" c="`)-2)+`"]`, got,
		"the parameter that does not fit is cut, the MSG left out")
	got = cut("m", slog.String("big", strings.Repeat(`"é`, 400)))
	assert.Contains(t, got, `[slog@32473 big="\"é\"é`)
	assert.True(t, strings.HasSuffix(got, `"]`))

	ok := testHandler(t, "tcp://127.0.0.1:1", nil)
	e := newEncoder(ok.s.c)
	defer e.free()
	ok.encode(e, slog.NewRecord(testTime, slog.LevelInfo, strings.Repeat("x", 8000), 0))
	assert.False(t, e.fit(ok.s.c, ok.s.c.MaxMessageSize), "8 KB fits the default 8096")

	_, err := New("tcp://h:1", &Options{MaxMessageSize: 100})
	assert.ErrorContains(t, err, "Options.MaxMessageSize is 100: want at least 480")
}

func TestNewWithoutALocalSocketSaysWhatToWrite(t *testing.T) {
	for _, p := range localSockets {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSocket != 0 {
			t.Skipf("%s is a socket here", p)
		}
	}
	_, err := New("", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no local syslog socket (tried /dev/log, /var/run/syslog, /var/run/log)")
	assert.Contains(t, err.Error(), `like "udp://127.0.0.1:514"`)
}
