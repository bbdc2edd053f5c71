package otlpsink

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/internal/core"
	"github.com/jinpy-utils/multi/internal/httpx"
	"github.com/jinpy-utils/multi/internal/otlp"
	"github.com/jinpy-utils/multi/internal/tlsconf"
)

// Handler is a slog.Handler that exports records as OTLP/HTTP logs. Build
// it with [New]; call Shutdown at exit. Handlers derived with WithAttrs
// and WithGroup share its queue, sender and spool.
type Handler struct {
	s *sink
	// levels[0] is the top; each WithGroup adds one. Each holds the
	// attributes bound at it, encoded as the fields they will be.
	levels     []level
	groupNames []string
}

type level struct {
	name  string // the group's; "" at the top
	attrs []byte
}

// sink is the destination shared by a Handler and those derived from it.
type sink struct {
	*core.Sender
	c         *config
	client    *http.Client
	transport *http.Transport

	// The transport's state, used under the sender's lock.
	body    []byte
	zbody   bytes.Buffer
	gz      *gzip.Writer
	payload []byte
}

var (
	_ multi.Sink           = (*Handler)(nil)
	_ multi.RecordBorrower = (*Handler)(nil)
	_ multi.Sharer         = (*Handler)(nil)
)

// New returns a Handler that exports to the endpoint the options and the
// OpenTelemetry environment name (see the package doc). It checks every
// option and returns an error naming each bad one; it opens the spool and
// starts the sender. It does not dial.
func New(opts *Options) (*Handler, error) {
	c, err := resolve(opts, os.Getenv)
	if err != nil {
		return nil, err
	}
	s := &sink{c: c}
	t := c.TLS
	tc, err := tlsconf.Config(t.CAFile, t.CertFile, t.KeyFile, t.InsecureSkipVerify)
	if err != nil {
		return nil, fmt.Errorf("otlpsink: %w", err)
	}
	s.transport = httpx.NewTransport(tc)
	s.client = &http.Client{Transport: s.transport}
	if c.gzip {
		s.gz, _ = gzip.NewWriterLevel(nil, gzip.BestSpeed)
	}
	s.Sender, err = core.NewSender(core.Config{
		Name:         "otlpsink",
		Endpoint:     c.endpoint,
		Buffer:       c.buffer,
		Spool:        c.Spool,
		ErrorHandler: c.ErrorHandler,
		Secrets:      c.secrets,
	}, core.SenderConfig{Transport: s, Retry: c.Retry, Timeout: c.Timeout, Name: c.Name, Gap: s.gapRecord})
	if err != nil {
		return nil, err
	}
	return &Handler{s: s, levels: []level{{}}}, nil
}

// Enabled reports whether l is at least the handler's level.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool {
	min := slog.LevelInfo
	if h.s.c.Level != nil {
		min = h.s.c.Level.Level()
	}
	return l >= min
}

// Handle encodes r as one protobuf LogRecord on the caller's goroutine,
// with the span of ctx (see multi.SpanFromContext), and queues it. It
// never waits on the network and does not allocate for attributes of
// slog's basic kinds.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	sp, ok := multi.SpanFromContext(ctx)
	e := encoders.Get().(*encoder)
	h.encode(e, r, time.Now(), sp, ok)
	_, err := h.s.Write(e.buf)
	if cap(e.buf) <= 64<<10 {
		encoders.Put(e)
	}
	return err
}

// WithAttrs returns a Handler whose records carry attrs, encoded once,
// now, sharing h's destination.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := h.clone()
	i := len(h2.levels) - 1
	e := &encoder{replace: h.s.c.ReplaceAttr, groups: slices.Clone(h.groupNames)}
	b := slices.Clip(h2.levels[i].attrs)
	for _, a := range attrs {
		if h.s.c.Encoding == JSON {
			notFirst := false // every item with its comma: see appendItems
			b = e.appendKVJSON(b, a, &notFirst)
		} else {
			b = e.appendKV(b, fieldAt(i), a)
		}
	}
	h2.levels[i].attrs = b
	return h2
}

// WithGroup returns a Handler whose later attributes are in group name,
// sharing h's destination.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := h.clone()
	h2.levels = append(h2.levels, level{name: name})
	h2.groupNames = append(h2.groupNames, name)
	return h2
}

func (h *Handler) clone() *Handler {
	return &Handler{s: h.s, levels: slices.Clip(slices.Clone(h.levels)), groupNames: slices.Clip(slices.Clone(h.groupNames))}
}

// Flush returns when every record handled before the call has been
// exported, spooled or dropped, or when ctx ends.
func (h *Handler) Flush(ctx context.Context) error { return h.s.Flush(ctx) }

// Sync writes the spool and its journal to the disk, so that the records
// accepted so far survive a crash of the machine or a power loss too, not
// only the process being killed (see package delivery, "What survives");
// without a spool it does nothing. It costs milliseconds on a disk: call it
// from a goroutine of your own (a ticker, or before a risky step), never
// per record.
func (h *Handler) Sync() error { return h.s.Sync() }

// Shutdown flushes the queue and stops the sender, bounded as every
// network sink's Shutdown is (see package delivery): with the collector
// down it returns after about Timeout plus a second, what is still queued
// spooled or counted as dropped.
func (h *Handler) Shutdown(ctx context.Context) error {
	err := h.s.Sender.Shutdown(ctx)
	h.s.transport.CloseIdleConnections()
	return err
}

// Stats returns what the handler has done: Written counts the records
// the collector accepted.
func (h *Handler) Stats() multi.Stats { return h.s.Sender.Stats() }

// Healthy is false from the first failed export until one succeeds.
func (h *Handler) Healthy() bool { return h.s.Counters.Healthy() }

// BorrowsRecords marks the handler as a multi.RecordBorrower: it encodes
// the record during Handle and keeps nothing of it.
func (h *Handler) BorrowsRecords() {}

// Destination identifies the queue and sender shared by the handler from
// New and those derived from it (see multi.Sharer).
func (h *Handler) Destination() any { return h.s }

// gapRecord is the gap record as a LogRecord: WARN, the core's message,
// and the drops as attributes.
func (s *sink) gapRecord(dst []byte, d core.Drops, now time.Time) []byte {
	why := "unknown"
	if d.Reason != nil {
		why = d.Reason.Error()
	}
	r := slog.NewRecord(now, slog.LevelWarn, core.GapMessage, 0)
	r.AddAttrs(slog.Int("dropped", d.N), slog.String("reason", why),
		slog.Time("first_drop", d.First), slog.Time("last_drop", d.Last))
	h := &Handler{s: s, levels: []level{{}}}
	e := &encoder{buf: dst}
	h.encode(e, r, now, multi.SpanContext{}, false)
	return e.buf
}

// encode encodes r in the handler's encoding.
func (h *Handler) encode(e *encoder, r slog.Record, now time.Time, sp multi.SpanContext, ok bool) {
	if h.s.c.Encoding == JSON {
		h.encodeRecordJSON(e, r, now, sp, ok)
		return
	}
	h.encodeRecord(e, r, now, sp, ok)
}

// Encode builds the request body for recs: an ExportLogsServiceRequest of
// one resource and one scope, gzipped unless compression is off.
func (s *sink) Encode(recs [][]byte, _ time.Time) {
	if s.c.Encoding == JSON {
		s.body = appendRequestJSON(s.body[:0], s.c.resource, s.c.Name, recs)
	} else {
		s.body = otlp.AppendRequest(s.body[:0], s.c.resource, s.c.Name, recs)
	}
	s.payload = s.body
	if s.gz != nil {
		s.zbody.Reset()
		s.gz.Reset(&s.zbody)
		s.gz.Write(s.body)
		s.gz.Close()
		s.payload = s.zbody.Bytes()
	}
}

// Attempt posts the body once. The codes OTLP calls retryable (429, 502,
// 503, 504) are retried, honouring Retry-After; 413 splits the batch; any
// other status drops it. A 200 whose partial_success rejects records
// counts them as dropped, with the collector's message.
func (s *sink) Attempt(ctx context.Context, recs [][]byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.c.url.String(), bytes.NewReader(s.payload))
	if err != nil {
		return err
	}
	h := req.Header
	for k, vs := range s.c.headers {
		h[k] = vs
	}
	if s.c.Encoding == JSON {
		h.Set("Content-Type", "application/json")
	} else {
		h.Set("Content-Type", "application/x-protobuf")
	}
	if s.gz != nil {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("User-Agent", "multi-otlpsink/1")
	resp, err := httpx.Do(s.client, req, s.c.Timeout)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		n, msg := partialSuccess(body)
		if s.c.Encoding == JSON {
			n, msg = partialSuccessJSON(body)
		}
		if n > 0 {
			k := min(int(n), len(recs))
			idx := make([]int, k)
			for i := range idx {
				idx[i] = i
			}
			return &core.Answer{
				Err:     fmt.Errorf("the collector rejected %d of %d records: %s", n, len(recs), s.Scrub.String(msg)),
				Partial: &core.Partial{Refused: idx},
			}
		}
		return nil
	}
	return httpx.Refusal(resp, body, s.Scrub.String, retryable, s.Now())
}

// retryable is the OTLP/HTTP specification's list.
func retryable(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// partialSuccessJSON reads partialSuccess from a JSON response; the count
// may be a string or a number.
func partialSuccessJSON(b []byte) (int64, string) {
	var r struct {
		PartialSuccess struct {
			RejectedLogRecords json.Number `json:"rejectedLogRecords"`
			ErrorMessage       string      `json:"errorMessage"`
		} `json:"partialSuccess"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if d.Decode(&r) != nil {
		// Accept the count as a JSON string too.
		var q struct {
			PartialSuccess struct {
				RejectedLogRecords string `json:"rejectedLogRecords"`
				ErrorMessage       string `json:"errorMessage"`
			} `json:"partialSuccess"`
		}
		if json.Unmarshal(b, &q) != nil {
			return 0, ""
		}
		n, _ := strconv.ParseInt(q.PartialSuccess.RejectedLogRecords, 10, 64)
		return n, q.PartialSuccess.ErrorMessage
	}
	n, _ := r.PartialSuccess.RejectedLogRecords.Int64()
	return n, r.PartialSuccess.ErrorMessage
}

// partialSuccess reads ExportLogsServiceResponse.partial_success (field
// 1): rejected_log_records (1) and error_message (2).
func partialSuccess(b []byte) (rejected int64, msg string) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, ""
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			ps, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return 0, ""
			}
			b = b[m:]
			for len(ps) > 0 {
				pn, pt, k := protowire.ConsumeTag(ps)
				if k < 0 {
					return rejected, msg
				}
				ps = ps[k:]
				switch {
				case pn == 1 && pt == protowire.VarintType:
					v, k := protowire.ConsumeVarint(ps)
					if k < 0 {
						return rejected, msg
					}
					rejected, ps = int64(v), ps[k:]
				case pn == 2 && pt == protowire.BytesType:
					v, k := protowire.ConsumeBytes(ps)
					if k < 0 {
						return rejected, msg
					}
					msg, ps = string(v), ps[k:]
				default:
					k := protowire.ConsumeFieldValue(pn, pt, ps)
					if k < 0 {
						return rejected, msg
					}
					ps = ps[k:]
				}
			}
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return rejected, msg
		}
		b = b[m:]
	}
	return rejected, msg
}
