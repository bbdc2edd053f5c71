package config

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/format"
)

// testOptions has a field of every kind Decode handles.
type testOptions struct {
	Level         slog.Leveler
	MinLevel      slog.Level
	Format        format.Format
	OnFull        buffer.Policy
	MaxSize       int64 `config:",size"`
	BatchBytes    int
	BatchSize     int
	Small         int8
	Count         uint16
	FlushInterval time.Duration
	Headers       map[string]string
	Header        http.Header
	Tags          []string
	Pair          [2]int
	Mode          fs.FileMode
	Compress      bool
	Ratio         float64
	Key           []byte
	URL           string
	Name          string `config:"logger_name"`
	Hidden        string `config:"-"`
	Extra         any
	Buffer        *buffer.Options
	Nested        struct{ Depth int }
	ErrorHandler  func(error)
	ReplaceAttr   func([]string, slog.Attr) slog.Attr
	Client        *http.Client
	Done          chan struct{}
	Sink          slog.Handler
	embedded
}

type embedded struct {
	Inner string
}

// recorder is the handler of the "test" sink type: it keeps its options,
// the messages it handled and whether it was shut down.
type recorder struct {
	opts testOptions
	mu   sync.Mutex
	msgs []string
	shut atomic.Int32
}

func (r *recorder) Enabled(_ context.Context, l slog.Level) bool {
	lv := slog.LevelInfo
	if r.opts.Level != nil {
		lv = r.opts.Level.Level()
	}
	return l >= lv
}

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Message)
	return nil
}

func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func (r *recorder) Shutdown(context.Context) error {
	r.shut.Add(1)
	return nil
}

func (r *recorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

var (
	builtMu sync.Mutex
	built   []*recorder // every recorder the "test" type made
)

func lastBuilt() *recorder {
	builtMu.Lock()
	defer builtMu.Unlock()
	return built[len(built)-1]
}

func init() {
	// "test" decodes testOptions; a "url" that does not parse is an error,
	// as a real network sink would report it (url.Parse quotes the URL).
	Register("test", func(raw json.RawMessage) (slog.Handler, error) {
		r := &recorder{}
		if err := Decode(raw, &r.opts); err != nil {
			return nil, err
		}
		if r.opts.URL != "" {
			if _, err := url.Parse(r.opts.URL); err != nil {
				return nil, err
			}
		}
		builtMu.Lock()
		built = append(built, r)
		builtMu.Unlock()
		return r, nil
	})
	// "failing" always fails.
	Register("failing", func(json.RawMessage) (slog.Handler, error) {
		return nil, errString("no luck")
	})
	Register("panicking", func(json.RawMessage) (slog.Handler, error) {
		panic("oops")
	})
}

type errString string

func (e errString) Error() string { return string(e) }

// loadString loads doc with env as the environment.
func loadString(t testing.TB, doc string, env map[string]string) (slog.Handler, error) {
	t.Helper()
	c, err := Parse(strings.NewReader(doc))
	if err != nil {
		return nil, err
	}
	t0, err := c.build(types, func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}, &BuildOptions{})
	if err != nil {
		return nil, err
	}
	return t0.Handler, nil
}
