package otlpsink

import (
	"encoding/json"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/jinpy-utils/multi"
)

// FuzzEncode: any message, key and value make a LogRecord that parses,
// whose strings are valid UTF-8 (a collector refuses the whole request
// otherwise) and carry the value; and a JSON LogRecord that is valid JSON.
func FuzzEncode(f *testing.F) {
	f.Add("msg", "k", "v", int64(1), 0.5)
	f.Add("\xff\xfe", "a.b", "\x00\n\"\\", int64(-1), math.Inf(-1))
	f.Add("", "", "\u2028", int64(9223372036854775807), 1e308)
	f.Fuzz(func(t *testing.T, msg, key, val string, n int64, x float64) {
		for _, enc := range []Encoding{Protobuf, JSON} {
			h := &Handler{s: &sink{c: &config{Options: Options{Encoding: enc}}}, levels: []level{{}}}
			h2 := h.WithGroup(key).WithAttrs([]slog.Attr{slog.String(key, val)}).(*Handler)
			r := slog.NewRecord(time.Unix(0, 1), slog.LevelInfo, msg, 0)
			r.AddAttrs(slog.String(key, val), slog.Int64("n", n), slog.Float64("x", x), slog.Group(key, slog.String(val, msg)))
			e := &encoder{}
			h2.encode(e, r, time.Unix(0, 2), multi.SpanContext{}, false)
			if enc == JSON {
				if !json.Valid(e.buf) {
					t.Fatalf("invalid JSON %q", e.buf)
				}
				continue
			}
			got := decodeRecord(t, e.buf)
			if !utf8.ValidString(got.body) || got.body != toValid(msg) {
				t.Fatalf("body %q for %q", got.body, msg)
			}
			for k, v := range got.attrs {
				if !utf8.ValidString(k) || !utf8.ValidString(v) {
					t.Fatalf("attribute %q=%q is not UTF-8", k, v)
				}
			}
			if protowire.ConsumeFieldValue(fAttributes, protowire.BytesType, e.buf) == 0 {
				t.Fatal("empty record")
			}
		}
	})
}

// toValid is the message as the encoder writes it: each run of invalid
// bytes one U+FFFD.
func toValid(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

func TestPartialSuccessJSON(t *testing.T) {
	for _, body := range []string{
		`{"partialSuccess":{"rejectedLogRecords":"3","errorMessage":"too old"}}`,
		`{"partialSuccess":{"rejectedLogRecords":3,"errorMessage":"too old"}}`,
	} {
		if n, msg := partialSuccessJSON([]byte(body)); n != 3 || msg != "too old" {
			t.Errorf("%s: %d, %q", body, n, msg)
		}
	}
	if n, _ := partialSuccessJSON([]byte(`{"partialSuccess":{}}`)); n != 0 {
		t.Errorf("empty partial success: %d", n)
	}
}
