package delivery_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/internal/faultnet"
	"github.com/jinpy-utils/multi/otlpsink"
	"github.com/jinpy-utils/multi/syslog"

	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/httpsink"
	"github.com/jinpy-utils/multi/wssink"
)

// shared are the options both network sinks take, set one at a time.
type shared struct {
	queue   delivery.Queue
	spool   delivery.Spool
	tls     delivery.TLS
	backoff delivery.Backoff
	timeout time.Duration
	bearer  string
}

func newBoth(s shared) (httpErr, wsErr error) {
	h, err := httpsink.New("http://127.0.0.1:1/", &httpsink.Options{
		Queue: s.queue, Spool: s.spool, TLS: s.tls, Retry: delivery.Retry{Backoff: s.backoff},
		Timeout: s.timeout, BearerToken: s.bearer,
	})
	if err == nil {
		h.Shutdown(context.Background())
	}
	w, werr := wssink.New("ws://127.0.0.1:1/", &wssink.Options{
		Queue: s.queue, Spool: s.spool, TLS: s.tls, Reconnect: s.backoff,
		Timeout: s.timeout, BearerToken: s.bearer,
	})
	if werr == nil {
		w.Shutdown(context.Background())
	}
	return err, werr
}

// Every shared option has one rule: the same mistake gets the same error
// from httpsink and from wssink, but for the sink's name (and the
// back-off's field: Retry.Backoff in one, Reconnect in the other).
func TestSharedOptionsHaveOneRule(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    shared
		want string
	}{
		{"queue size", shared{queue: delivery.Queue{Size: -1}}, "Options.Queue.Size is -1: must not be negative (0 means 1000000)"},
		{"queue bytes", shared{queue: delivery.Queue{Bytes: -1}}, "Options.Queue.Bytes is -1: must not be negative (0 means 64 MiB)"},
		{"batch size", shared{queue: delivery.Queue{BatchSize: -1}}, "Options.Queue.BatchSize is -1: must not be negative (0 means 512)"},
		{"flush interval", shared{queue: delivery.Queue{FlushInterval: -time.Second}}, "Options.Queue.FlushInterval is -1s: must not be negative (0 means 1s)"},
		{"divert without spool", shared{queue: delivery.Queue{OnFull: buffer.Divert}}, "Options.Queue.OnFull is divert but Options.Spool.Dir is empty"},
		{"bad policy", shared{queue: delivery.Queue{OnFull: 42}}, "Options.Queue.OnFull is 42: not one of auto, block, drop-newest, drop-oldest, divert"},
		{"timeout", shared{timeout: -time.Second}, "Options.Timeout is -1s: must not be negative (0 means 10s)"},
		{"multiplier", shared{backoff: delivery.Backoff{Multiplier: 0.5}}, ".Multiplier is 0.5: must be at least 1 (0 means 2)"},
		{"jitter", shared{backoff: delivery.Backoff{Jitter: 1}}, ".Jitter is 1: must be less than 1 (0 means 0.5)"},
		{"intervals", shared{backoff: delivery.Backoff{InitialInterval: time.Minute, MaxInterval: time.Second}}, ".MaxInterval 1s is less than InitialInterval 1m0s"},
		{"bearer", shared{bearer: "a\nb"}, "Options.BearerToken has a line break"},
		{"cert without key", shared{tls: delivery.TLS{CertFile: "c.pem"}}, "KeyFile is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			herr, werr := newBoth(tc.o)
			if herr == nil || werr == nil {
				t.Fatalf("httpsink: %v; wssink: %v: want both to refuse", herr, werr)
			}
			if !strings.Contains(herr.Error(), tc.want) || !strings.HasPrefix(herr.Error(), "httpsink: ") {
				t.Errorf("httpsink: %q, want %q", herr, tc.want)
			}
			if !strings.Contains(werr.Error(), tc.want) || !strings.HasPrefix(werr.Error(), "wssink: ") {
				t.Errorf("wssink: %q, want %q", werr, tc.want)
			}
		})
	}
}

// A negative Spool.MaxBytes means no bound in both sinks, and a zero
// Options is valid in both.
func TestSharedOptionsAcceptTheSameValues(t *testing.T) {
	for _, o := range []shared{
		{},
		{spool: delivery.Spool{Dir: t.TempDir(), MaxBytes: -1}},
		{queue: delivery.Queue{OnFull: buffer.Block, BlockTimeout: time.Millisecond}},
		{backoff: delivery.Backoff{Jitter: -1}},
	} {
		if herr, werr := newBoth(o); herr != nil || werr != nil {
			t.Errorf("%+v: httpsink: %v; wssink: %v", o, herr, werr)
		}
	}
}

// refusedSink is a network sink of the delivery core whose destination
// refuses connections, with errors going to eh.
type refusedSink struct {
	name string
	open func(addr string, eh func(error)) (multi.Sink, error)
}

var refusedSinks = []refusedSink{
	{"httpsink", func(addr string, eh func(error)) (multi.Sink, error) {
		return httpsink.New("http://"+addr+"/x", &httpsink.Options{ErrorHandler: eh})
	}},
	{"wssink", func(addr string, eh func(error)) (multi.Sink, error) {
		return wssink.New("ws://"+addr+"/x", &wssink.Options{ErrorHandler: eh})
	}},
	{"syslog", func(addr string, eh func(error)) (multi.Sink, error) {
		return syslog.New("tcp://"+addr, &syslog.Options{ErrorHandler: eh})
	}},
	{"otlpsink", func(addr string, eh func(error)) (multi.Sink, error) {
		return otlpsink.New(&otlpsink.Options{Endpoint: "http://" + addr + "/v1/logs", ErrorHandler: eh})
	}},
}

// The promise every network sink documents: records logged after
// Shutdown are all counted as dropped, and the first of them, only, is
// reported, with the sink's name.
func TestFirstRefusalAfterShutdownIsReported(t *testing.T) {
	for _, s := range refusedSinks {
		t.Run(s.name, func(t *testing.T) {
			var mu sync.Mutex
			var refusals []error
			h, err := s.open(faultnet.Down(t, faultnet.Refuse), func(err error) {
				if errors.Is(err, multi.ErrClosed) {
					mu.Lock()
					refusals = append(refusals, err)
					mu.Unlock()
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			h.Shutdown(context.Background())
			before := h.Stats().Dropped
			l := slog.New(h.WithAttrs([]slog.Attr{slog.Int("k", 1)}))
			for range 3 {
				l.Info("after")
			}
			if d := h.Stats().Dropped - before; d != 3 {
				t.Errorf("%d records dropped after Shutdown, want 3", d)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(refusals) != 1 || !strings.Contains(refusals[0].Error(), s.name+": record refused after Shutdown") {
				t.Errorf("refusals reported: %v, want one, named", refusals)
			}
		})
	}
}
