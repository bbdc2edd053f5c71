package httpsink

import (
	"compress/gzip"
	"context"
	"crypto/cipher"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/format"
	"github.com/jinpy-utils/multi/internal/delivery"
	"github.com/jinpy-utils/multi/internal/once"
	"github.com/jinpy-utils/multi/internal/report"
	"github.com/jinpy-utils/multi/internal/spool"
	"github.com/jinpy-utils/multi/internal/stats"
	"github.com/jinpy-utils/multi/internal/tlsconf"
)

// Handler is a slog.Handler that ships records to an HTTP log collector.
// Build it with [New]; call Shutdown at exit. Handlers derived with
// WithAttrs and WithGroup share its queue, sender and spool.
type Handler struct {
	core *format.Handler
	s    *sink
}

// sink is the destination shared by a Handler and the handlers derived
// from it: the queue, the sender, the spool and the counters.
type sink struct {
	c         *config
	client    *http.Client
	transport *http.Transport // ours, nil with Options.Client
	buf       *buffer.Buffer
	spool     *spool.Spool // nil without Options.Spool
	aead      cipher.AEAD  // nil without Options.EncryptionKey

	counters   stats.Counters
	closed     atomic.Bool
	inflight   atomic.Int64 // records of the batch being sent
	errClosed  error
	rep        *report.Reporter // the ErrorHandler, or standard error
	draining   atomic.Bool      // Shutdown has begun
	drainAt    atomic.Int64     // UnixNano when Shutdown began
	lastAnswer atomic.Int64     // UnixNano of the collector's last HTTP response
	drainCtx   context.Context  // cancelled when Shutdown begins: cuts retry waits
	drainStop  context.CancelFunc
	addErr     report.Rewrapper         // the buffer's Add errors, as ours
	secrets    atomic.Pointer[[]string] // Options' secrets and recent tokens
	gap        delivery.Gap             // drops not yet told to the collector
	gapLine    []byte                   // the gap record being sent (sendMu)

	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	// The sender's state. The buffer's goroutine and the spool's prober
	// take turns under sendMu, so at most one request is in flight.
	sendMu  sync.Mutex
	enc     *encoder
	recs    [][]byte
	body    []byte // the encoded body
	zbody   zbuf   // the gzipped body
	gz      *gzip.Writer
	sealed  []byte
	bo      *backoff.ExponentialBackOff
	failing bool // breaker open: the collector is down (with a spool)
	// drainDown: an attempt failed during Shutdown, so the batches still
	// queued skip the network (to the spool, or counted as dropped).
	drainDown bool
	probeAt   time.Time // breaker: when the next batch may try again
	cooldown  time.Duration

	// The prober replays the spool while no batches flow.
	kick       chan struct{}
	stopProber context.CancelFunc
	proberCtx  context.Context
	proberDone chan struct{}

	shut once.Shutdown
}

// New returns a Handler that ships records to url in batches, as opts
// says. It checks every option and returns an error naming each bad one;
// it opens the spool (and replays what an earlier process left there in
// the background) and starts the sender.
func New(url string, opts *Options) (*Handler, error) {
	c, err := resolve(url, opts)
	if err != nil {
		return nil, err
	}
	fo := &format.Options{
		Format:      format.JSON,
		Level:       c.Level,
		AddSource:   c.AddSource,
		ReplaceAttr: c.ReplaceAttr,
		TimeFormat:  c.TimeFormat,
		Name:        c.Name,
	}
	if err := fo.Validate(); err != nil {
		return nil, fmt.Errorf("httpsink: %w", err)
	}
	s := &sink{
		c:         c,
		enc:       newEncoder(c),
		errClosed: fmt.Errorf("httpsink: %w", multi.ErrClosed),
		rep:       report.New("httpsink "+c.endpoint, c.ErrorHandler),
		addErr:    report.Rewrapper{Prefix: "httpsink: "},
		now:       time.Now,
		sleep:     sleepCtx,
		kick:      make(chan struct{}, 1),
	}
	s.drainCtx, s.drainStop = context.WithCancel(context.Background())
	if k := c.EncryptionKey; len(k) > 0 {
		if s.aead, err = newAEAD(k); err != nil {
			return nil, fmt.Errorf("httpsink: Options.EncryptionKey: %w", err)
		}
		c.secrets = append(c.secrets, string(k), hex.EncodeToString(k), base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k))
	}
	s.setSecrets(c.secrets)
	if c.Client != nil {
		s.client = c.Client
	} else {
		tc, err := tlsconf.Config(c.CAFile, c.CertFile, c.KeyFile, c.InsecureSkipVerify)
		if err != nil {
			return nil, fmt.Errorf("httpsink: %w", err)
		}
		s.transport = newTransport(tc)
		s.client = &http.Client{Transport: s.transport}
	}
	if c.Compress {
		s.gz, _ = gzip.NewWriterLevel(nil, gzip.BestSpeed)
	}
	s.bo = backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(c.Backoff.InitialInterval),
		backoff.WithMultiplier(c.Backoff.Multiplier),
		backoff.WithMaxInterval(c.Backoff.MaxInterval),
		backoff.WithMaxElapsedTime(c.Backoff.MaxElapsedTime),
		backoff.WithRandomizationFactor(c.Backoff.Jitter),
		backoff.WithClockProvider(clockFunc(func() time.Time { return s.now() })),
	)

	bo := &buffer.Options{
		BatchSize:     c.BatchSize,
		BatchBytes:    c.BatchBytes,
		FlushInterval: c.FlushInterval,
		QueueSize:     c.QueueSize,
		QueueBytes:    c.QueueBytes,
		OnFull:        c.OnFull,
		OnDrop:        s.queueDropped,
	}
	if c.Spool != "" {
		if s.spool, err = spool.Open(c.Spool, c.SpoolMaxBytes); err != nil {
			return nil, fmt.Errorf("httpsink: Options.Spool: %w", err)
		}
		if c.OnFull == buffer.Divert {
			bo.Overflow = s.overflow
		}
	}
	if s.buf, err = buffer.New(s.write, bo); err != nil {
		if s.spool != nil {
			s.spool.Close()
		}
		return nil, fmt.Errorf("httpsink: %w", err)
	}
	if s.spool != nil {
		s.proberCtx, s.stopProber = context.WithCancel(context.Background())
		s.proberDone = make(chan struct{})
		go s.probe()
		if s.spool.Len() > 0 {
			s.kickProber()
		}
	}
	return &Handler{core: format.New(s, fo), s: s}, nil
}

// newTransport is http.DefaultTransport's settings, with two changes for a
// sender of large bodies on one connection: a 64 KiB write buffer, and
// connections that do not offer io.ReaderFrom, so the body is copied
// through that buffer instead of through the 32 KiB buffer net.TCPConn's
// ReadFrom allocates for every request (the transport hides the body's
// WriterTo behind an io.LimitedReader).
func newTransport(tc *tls.Config) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tc
	t.WriteBufferSize = 64 << 10
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return plainConn{c}, nil
	}
	return t
}

// plainConn is a net.Conn and nothing more.
type plainConn struct{ net.Conn }

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Enabled reports whether l is at least the handler's level.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.core.Enabled(ctx, l)
}

// Handle encodes r as a JSON line, on the caller's goroutine, and queues it
// for the sender. It returns an error only when the record is not queued:
// after Shutdown (wrapping multi.ErrClosed), or when the queue is full
// under DropNewest.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	return h.core.Handle(ctx, r)
}

// WithAttrs returns a Handler whose records carry attrs, sharing h's
// destination.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Handler{core: h.core.WithAttrs(attrs).(*format.Handler), s: h.s}
}

// WithGroup returns a Handler whose later attributes are in group name,
// sharing h's destination.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{core: h.core.WithGroup(name).(*format.Handler), s: h.s}
}

// Flush returns when every record handled before the call has been
// delivered, spooled or dropped, or when ctx ends.
func (h *Handler) Flush(ctx context.Context) error {
	if h.s.closed.Load() {
		return fmt.Errorf("httpsink: flush: %w", multi.ErrClosed)
	}
	if err := h.s.buf.Flush(ctx); err != nil {
		return report.Rewrap("httpsink: ", err)
	}
	return nil
}

// Shutdown flushes the queue, then stops the sender and the prober, closes
// the spool and the idle connections. It is bounded whatever its ctx:
// while the collector answers (any HTTP response, even 429 or 503) batches
// are retried, each wait at most a second; once it has not answered for
// Options.Timeout plus a second (refused, cut or timed-out requests), the
// batches still queued skip the network and go to the spool, or are
// counted as dropped without one. So with the collector down
// Shutdown(context.Background()) returns after about Timeout plus a
// second. With the collector up, after the queue it replays the spool
// until it is empty, a request fails, or ctx ends. If ctx ends first, the
// batch being sent gives up (and goes to the spool, if any) and the queue
// goes to the spool, or is dropped and counted. Shutdown is idempotent: a later call
// waits for the first to finish and returns nil, or returns an error
// wrapping its own ctx's error if that ends first.
func (h *Handler) Shutdown(ctx context.Context) error {
	return h.s.shutdown(ctx)
}

// Stats returns what the handler has done. Written counts records the
// collector accepted, replayed ones included; Bytes their size before
// compression; Queued the records in memory, the batch being sent included.
func (h *Handler) Stats() multi.Stats {
	st := h.s.counters.Snapshot()
	st.Queued = h.s.buf.Stats().Queued + h.s.inflight.Load()
	return st
}

// Healthy is false from the first failed request until a request succeeds.
func (h *Handler) Healthy() bool { return h.s.counters.Healthy() }

// BorrowsRecords marks the handler as a multi.RecordBorrower: it encodes
// the record during Handle and keeps nothing of it.
func (h *Handler) BorrowsRecords() {}

// Destination identifies the queue and sender shared by the handler from
// New and those derived from it, so that [multi.Handler.Stats] counts them
// once (see [multi.Sharer]).
func (h *Handler) Destination() any { return h.s }

var (
	_ multi.Sink           = (*Handler)(nil)
	_ multi.RecordBorrower = (*Handler)(nil)
	_ multi.Sharer         = (*Handler)(nil)
)

// Write queues one encoded record. The format core calls it from Handle.
func (s *sink) Write(p []byte) (int, error) {
	if s.closed.Load() {
		s.counters.Dropped(1)
		s.rep.Refused(fmt.Errorf("httpsink: record refused after Shutdown (%s): %w", s.c.endpoint, multi.ErrClosed))
		return 0, s.errClosed
	}
	if err := s.buf.Add(p); err != nil {
		return 0, s.addErr.Wrap(err)
	}
	return len(p), nil
}

func (s *sink) shutdown(ctx context.Context) error {
	return s.shut.Do(ctx, "httpsink: shutdown", func() error { return s.doShutdown(ctx) })
}

func (s *sink) doShutdown(ctx context.Context) error {
	var err error
	s.closed.Store(true)
	// From here retries go on only while the collector answers (any HTTP
	// response; waits at most drainGrace), a retry wait under way ends, and
	// once it has not answered for Timeout plus a second the rest skip the
	// network: Shutdown takes about one request Timeout plus a second with
	// the collector down, whatever its ctx.
	s.drainAt.Store(s.now().UnixNano())
	s.draining.Store(true)
	s.drainStop()
	if s.spool != nil {
		s.stopProber()
	}
	// The prober may be waiting for the sender's lock: wait for it only
	// once the buffer has stopped the sender (or cancelled its retries
	// when ctx ended), or Shutdown would wait out the retries.
	if e := s.buf.Shutdown(ctx); e != nil {
		err = report.Rewrap("httpsink: ", e)
	}
	if s.spool != nil {
		<-s.proberDone
		// The collector answered the drain: send the spool too, until it
		// is empty, an attempt fails, or ctx ends.
		s.sendMu.Lock()
		if !s.drainDown && ctx.Err() == nil && s.spool.Len() > 0 {
			s.failing = false
			s.replay(ctx, 0)
		}
		s.sendMu.Unlock()
		if e := s.spool.Close(); e != nil {
			err = errors.Join(err, fmt.Errorf("httpsink: shutdown: %w", e))
		}
	}
	if s.transport != nil {
		s.transport.CloseIdleConnections()
	}
	s.rep.Close()
	return err
}

// queueDropped is the buffer's OnDrop: records lost to a full queue or a
// shutdown. Reports are limited to one a second, with the count since.
func (s *sink) queueDropped(n int, err error) {
	s.counters.Dropped(n)
	s.counters.SetError(err)
	if !s.closed.Load() {
		s.gap.Add(n, err, s.now())
	}
	s.rep.Dropped(n, s.addErr.Wrap(err)) // folded to one report a second
}

// overflow is the buffer's Overflow under Divert: the oldest queued batch
// goes to the spool, on the caller's goroutine.
func (s *sink) overflow(b *buffer.Batch) error {
	n := b.Len()
	if err := s.spool.AppendFunc(n, b.Record); err != nil {
		return fmt.Errorf("httpsink: spool %d records: %w", n, err)
	}
	s.counters.Spooled(n)
	s.kickProber()
	return nil
}

func (s *sink) kickProber() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// report gives err to the ErrorHandler, secrets removed.
func (s *sink) report(err error) {
	if err != nil {
		s.rep.Error(s.scrub(err))
	}
}
