//go:build linux

package journald

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSlogtest runs testing/slogtest on entries read back from a unixgram
// socket and parsed as the native protocol. Field names are upper case and
// groups joined by '_', so the map is rebuilt with the names slogtest
// uses: split at '_' into groups, the last part lower-cased (slogtest's
// keys are lower case and its groups upper case, and neither holds '_').
func TestSlogtest(t *testing.T) {
	var j *fakeJournal
	var h *Handler
	slogtest.Run(t, func(t *testing.T) slog.Handler {
		j = newFakeJournal(t)
		var err error
		h, err = New(&Options{Socket: j.path})
		require.NoError(t, err)
		return h
	}, func(t *testing.T) map[string]any {
		b, _ := j.next()
		fs, err := parseEntry(b)
		require.NoError(t, err)
		// journald stamps an entry when it arrives: the record's time is
		// not sent, so it can be neither present nor missing. The map
		// says what slogtest expects of it.
		out := map[string]any{}
		if !strings.HasSuffix(t.Name(), "/zero-time") {
			out[slog.TimeKey] = time.Now()
		}
		for _, f := range fs {
			switch f.name {
			case "MESSAGE":
				out[slog.MessageKey] = f.value
			case "PRIORITY":
				p, err := strconv.Atoi(f.value)
				require.NoError(t, err)
				out[slog.LevelKey] = p
			case "SYSLOG_IDENTIFIER":
			default:
				parts := strings.Split(f.name, "_")
				parts[len(parts)-1] = strings.ToLower(parts[len(parts)-1])
				dst := out
				for _, g := range parts[:len(parts)-1] {
					sub, ok := dst[g].(map[string]any)
					if !ok {
						sub = map[string]any{}
						dst[g] = sub
					}
					dst = sub
				}
				dst[parts[len(parts)-1]] = f.value
			}
		}
		return out
	})
}

func BenchmarkHandle(b *testing.B) {
	j := newFakeJournal(b)
	go func() { // a journal that keeps up
		buf := make([]byte, 1<<20)
		for {
			if _, _, err := j.c.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	h, err := New(&Options{Socket: j.path})
	require.NoError(b, err)
	defer h.Shutdown(context.Background()) //nolint:errcheck
	l := slog.New(h).With("service", "api")
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		logOne(l, ctx, i)
	}
}

func logOne(l *slog.Logger, ctx context.Context, i int) {
	l.LogAttrs(ctx, slog.LevelInfo, "request served", slog.Int("i", i), slog.String("path", "/a\nb"), slog.Bool("ok", true))
}

// FuzzEncode checks that whatever the message, key and value, an entry
// parses as the native protocol, every name is one journald keeps, and
// the message and value read back as logged.
func FuzzEncode(f *testing.F) {
	f.Add("hello", "user", "bob", "g")
	f.Add("a\nb", "_x", "v\n", "1")
	f.Add("", "message", "\xff", "")
	h := &Handler{s: &sink{level: slog.LevelInfo}}
	f.Fuzz(func(t *testing.T, msg, key, value, group string) {
		var hh slog.Handler = h
		if group != "" {
			hh = h.WithGroup(group)
		}
		r := slog.NewRecord(time.Time{}, slog.LevelInfo, msg, 0)
		r.AddAttrs(slog.String(key, value))
		e := newEncoder()
		defer e.free()
		hh.(*Handler).encode(e, r)
		fs, err := parseEntry(e.buf)
		if err != nil {
			t.Fatalf("%q: %v", e.buf, err)
		}
		if fs[0] != (field{"MESSAGE", msg}) {
			t.Fatalf("first field %q", fs[0])
		}
		if key == "" {
			if len(fs) != 2 {
				t.Fatalf("fields %q", fs)
			}
			return
		}
		if len(fs) != 3 || fs[2].value != value {
			t.Fatalf("fields %q, want the value %q last", fs, value)
		}
	})
}
