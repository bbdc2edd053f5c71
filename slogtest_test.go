package multi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/console"
	"github.com/jinpy-utils/multi/file"
	"github.com/jinpy-utils/multi/format"
	"github.com/jinpy-utils/multi/httpsink"
	"github.com/jinpy-utils/multi/wssink"
)

// TestSlogtest runs testing/slogtest against every handler in the module,
// reading each record back from where the handler delivered it: a buffer, a
// file, what an HTTP collector or a WebSocket receiver got. The fan-out is
// checked through each of its children.
func TestSlogtest(t *testing.T) {
	for _, tc := range []struct {
		name string
		// open returns a handler, and a function that flushes it and returns
		// the JSON lines delivered so far.
		open func(t *testing.T) (slog.Handler, func() []byte)
	}{
		{"format/JSON", func(t *testing.T) (slog.Handler, func() []byte) {
			w := &lockedBuffer{}
			return format.New(w, &format.Options{Level: slog.LevelDebug}), w.bytes
		}},
		{"console/JSON", func(t *testing.T) (slog.Handler, func() []byte) {
			w := &lockedBuffer{}
			return console.New(w, &console.Options{Format: format.JSON, Level: slog.LevelDebug}), w.bytes
		}},
		{"file", func(t *testing.T) (slog.Handler, func() []byte) {
			path := filepath.Join(t.TempDir(), "app.log")
			h, err := file.New(path, &file.Options{Level: slog.LevelDebug})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { shutdown(t, h) })
			return h, func() []byte {
				flush(t, h)
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
		}},
		{"httpsink/NDJSON", func(t *testing.T) (slog.Handler, func() []byte) {
			got := &lockedBuffer{}
			url := serveLoopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, err := httpsink.ReadBody(r, nil, 0)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				got.Write(body)
			}))
			h, err := httpsink.New(url, &httpsink.Options{Level: slog.LevelDebug, Encoding: httpsink.NDJSON})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { shutdown(t, h) })
			return h, func() []byte { flush(t, h); return got.bytes() }
		}},
		{"wssink/Ack", func(t *testing.T) (slog.Handler, func() []byte) {
			got := &lockedBuffer{}
			url := serveLoopback(t, wssink.NewReceiver(func(_ context.Context, records [][]byte) error {
				for _, r := range records {
					got.Write(append(bytes.TrimSpace(r), '\n'))
				}
				return nil
			}, nil))
			h, err := wssink.New("ws"+strings.TrimPrefix(url, "http"), &wssink.Options{Level: slog.LevelDebug, Ack: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { shutdown(t, h) })
			return h, func() []byte { flush(t, h); return got.bytes() }
		}},
		{"multi.New/first-child", func(t *testing.T) (slog.Handler, func() []byte) {
			a, b := &lockedBuffer{}, &lockedBuffer{}
			h := multi.New(format.New(a, &format.Options{Level: slog.LevelDebug}),
				slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
			return h, a.bytes
		}},
		{"multi.New/foreign-child", func(t *testing.T) (slog.Handler, func() []byte) {
			a, b := &lockedBuffer{}, &lockedBuffer{}
			h := multi.New(format.New(a, &format.Options{Level: slog.LevelDebug}),
				multi.MinLevel(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}), slog.LevelDebug))
			return h, b.bytes
		}},
		{"multi.Route/all-match", func(t *testing.T) (slog.Handler, func() []byte) {
			a, b := &lockedBuffer{}, &lockedBuffer{}
			h := mustRoute(t, nil,
				multi.Rule{When: multi.MatchAttr("never-logged"), To: format.New(b, &format.Options{Level: slog.LevelDebug})},
				multi.Rule{When: multi.MatchLevel(slog.LevelDebug), To: format.New(a, &format.Options{Level: slog.LevelDebug})})
			return h, a.bytes
		}},
		{"multi.Route/first-match-foreign", func(t *testing.T) (slog.Handler, func() []byte) {
			a, b := &lockedBuffer{}, &lockedBuffer{}
			h := mustRoute(t, &multi.RouteOptions{FirstMatch: true},
				multi.Rule{When: multi.MatchContext(tenantKey{}), To: format.New(b, &format.Options{Level: slog.LevelDebug})},
				multi.Rule{To: slog.NewJSONHandler(a, &slog.HandlerOptions{Level: slog.LevelDebug})})
			return h, a.bytes
		}},
		{"multi.Failover", func(t *testing.T) (slog.Handler, func() []byte) {
			a, b := &lockedBuffer{}, &lockedBuffer{}
			h := mustFailover(t, nil, format.New(a, &format.Options{Level: slog.LevelDebug}), format.New(b, &format.Options{Level: slog.LevelDebug}))
			return h, a.bytes
		}},
		{"multi.Sample", func(t *testing.T) (slog.Handler, func() []byte) {
			a := &lockedBuffer{}
			return mustSample(t, format.New(a, &format.Options{Level: slog.LevelDebug}), nil), a.bytes
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var read func() []byte
			slogtest.Run(t, func(t *testing.T) slog.Handler {
				h, r := tc.open(t)
				read = r
				return h
			}, func(t *testing.T) map[string]any {
				lines := bytes.Split(bytes.TrimSpace(read()), []byte("\n"))
				if len(lines) != 1 {
					t.Fatalf("got %d lines; want 1:\n%s", len(lines), bytes.Join(lines, []byte("\n")))
				}
				var m map[string]any
				if err := json.Unmarshal(lines[0], &m); err != nil {
					t.Fatalf("%s: %v", lines[0], err)
				}
				return m
			})
		})
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

var _ io.Writer = (*lockedBuffer)(nil)

func serveLoopback(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func flush(t *testing.T, h slog.Handler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := multi.Flush(ctx, h); err != nil {
		t.Fatal(err)
	}
}

func shutdown(t *testing.T, h slog.Handler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := multi.Shutdown(ctx, h); err != nil {
		t.Error(err)
	}
}
