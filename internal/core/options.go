package core

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/delivery"
)

// Errors collects every invalid option of a sink, each prefixed with the
// sink's name, so that New reports them all at once.
type Errors struct {
	Prefix string // "httpsink: "
	errs   []error
}

// Add notes one invalid option.
func (e *Errors) Add(format string, args ...any) {
	e.errs = append(e.errs, fmt.Errorf(e.Prefix+format, args...))
}

// Err is every error noted, joined, or nil.
func (e *Errors) Err() error { return errors.Join(e.errs...) }

// CheckQueue validates q and fills in its defaults; spool says whether the
// sink has a Spool to divert to. It returns the buffer's options for q,
// without OnDrop and Overflow.
func (e *Errors) CheckQueue(q *delivery.Queue, spool bool) buffer.Options {
	nonNeg := func(field string, v, def any, neg bool) {
		if neg {
			e.Add("Options.Queue.%s is %v: must not be negative (0 means %v)", field, v, def)
		}
	}
	nonNeg("Size", q.Size, delivery.DefaultQueueSize, q.Size < 0)
	nonNeg("Bytes", q.Bytes, "64 MiB", q.Bytes < 0)
	nonNeg("BatchSize", q.BatchSize, delivery.DefaultBatchSize, q.BatchSize < 0)
	nonNeg("BatchBytes", q.BatchBytes, "1 MiB", q.BatchBytes < 0)
	nonNeg("FlushInterval", q.FlushInterval, delivery.DefaultFlushInterval, q.FlushInterval < 0)
	nonNeg("BlockTimeout", q.BlockTimeout, delivery.DefaultBlockTimeout, q.BlockTimeout < 0)
	switch {
	case q.OnFull < buffer.Auto || q.OnFull > buffer.Divert:
		e.Add("Options.Queue.OnFull is %d: not one of auto, block, drop-newest, drop-oldest, divert", int(q.OnFull))
	case q.OnFull == buffer.Divert && !spool:
		e.Add("Options.Queue.OnFull is divert but Options.Spool.Dir is empty: divert writes to the spool")
	}
	q.OnFull = q.OnFull.Resolve(spool)
	def := func(p *int, d int) {
		if *p == 0 {
			*p = d
		}
	}
	def(&q.Size, delivery.DefaultQueueSize)
	def(&q.Bytes, delivery.DefaultQueueBytes)
	def(&q.BatchSize, delivery.DefaultBatchSize)
	def(&q.BatchBytes, delivery.DefaultBatchBytes)
	if q.FlushInterval == 0 {
		q.FlushInterval = delivery.DefaultFlushInterval
	}
	if q.BlockTimeout == 0 {
		q.BlockTimeout = delivery.DefaultBlockTimeout
	}
	return buffer.Options{
		BatchSize:     q.BatchSize,
		BatchBytes:    q.BatchBytes,
		FlushInterval: q.FlushInterval,
		QueueSize:     q.Size,
		QueueBytes:    q.Bytes,
		OnFull:        q.OnFull,
		BlockTimeout:  q.BlockTimeout,
	}
}

// CheckBackoff validates b, the option named field ("Retry.Backoff"), and
// fills in its defaults.
func (e *Errors) CheckBackoff(field string, b *delivery.Backoff) {
	if b.InitialInterval < 0 {
		e.Add("Options.%s.InitialInterval is %v: must not be negative (0 means %v)", field, b.InitialInterval, delivery.DefaultInitialInterval)
	}
	if b.MaxInterval < 0 {
		e.Add("Options.%s.MaxInterval is %v: must not be negative (0 means %v)", field, b.MaxInterval, delivery.DefaultMaxInterval)
	}
	if b.InitialInterval == 0 {
		b.InitialInterval = delivery.DefaultInitialInterval
	}
	switch {
	case b.Multiplier == 0:
		b.Multiplier = delivery.DefaultMultiplier
	case !(b.Multiplier >= 1) || b.Multiplier > 1e6: // NaN too
		e.Add("Options.%s.Multiplier is %v: must be at least 1 (0 means %v)", field, b.Multiplier, delivery.DefaultMultiplier)
	}
	if b.MaxInterval == 0 {
		b.MaxInterval = max(delivery.DefaultMaxInterval, b.InitialInterval)
	}
	if b.MaxInterval < b.InitialInterval {
		e.Add("Options.%s.MaxInterval %v is less than InitialInterval %v", field, b.MaxInterval, b.InitialInterval)
	}
	switch {
	case b.Jitter == 0:
		b.Jitter = delivery.DefaultJitter
	case b.Jitter < 0:
		b.Jitter = 0
	case !(b.Jitter < 1): // NaN too
		e.Add("Options.%s.Jitter is %v: must be less than 1 (0 means %v)", field, b.Jitter, delivery.DefaultJitter)
	}
}

// CheckRetry validates r and fills in its defaults. In the result Max is
// the retries (0: none) and MaxElapsedTime 0 means no limit.
func (e *Errors) CheckRetry(r *delivery.Retry) {
	switch {
	case r.Max == 0:
		r.Max = delivery.DefaultMaxRetries
	case r.Max < 0:
		r.Max = 0
	}
	switch {
	case r.MaxElapsedTime == 0:
		r.MaxElapsedTime = delivery.DefaultMaxElapsedTime
	case r.MaxElapsedTime < 0:
		r.MaxElapsedTime = 0
	}
	e.CheckBackoff("Retry.Backoff", &r.Backoff)
}

// CheckSpool fills in the spool's defaults: in the result MaxBytes 0
// means no bound.
func (e *Errors) CheckSpool(s *delivery.Spool) {
	switch {
	case s.MaxBytes == 0:
		s.MaxBytes = delivery.DefaultSpoolMaxBytes
	case s.MaxBytes < 0:
		s.MaxBytes = 0
	}
}

// CheckTimeout validates a timeout option (field "Timeout") and fills in
// its default.
func (e *Errors) CheckTimeout(field string, d *time.Duration, def time.Duration) {
	switch {
	case *d < 0:
		e.Add("Options.%s is %v: must not be negative (0 means %v)", field, *d, def)
	case *d == 0:
		*d = def
	}
}

// CheckAuth validates the headers and the bearer token every sink sends:
// no line breaks, no header name a request could not carry.
func (e *Errors) CheckAuth(headers http.Header, bearer string) {
	if strings.ContainsAny(bearer, "\r\n") {
		e.Add("Options.BearerToken has a line break")
	}
	for k, vs := range headers {
		if k == "" || strings.ContainsAny(k, "\r\n: \t") {
			e.Add("Options.Headers %q: not a valid header name", k)
			continue
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				e.Add("Options.Headers %q: its value has a line break", k)
			}
		}
	}
	if headers.Get("Authorization") != "" && bearer != "" {
		e.Add("Options.Headers has an Authorization header and Options.BearerToken is set too: choose one")
	}
}
