package buffer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Defaults for the zero fields of [Options].
const (
	DefaultBatchSize     = 512
	DefaultBatchBytes    = 1 << 20 // 1 MiB
	DefaultFlushInterval = time.Second
	DefaultBlockTimeout  = time.Second
	// DefaultQueueSize is high enough that, for records of more than 64
	// bytes, DefaultQueueBytes is the bound that binds: memory is what a
	// queue costs, and a burst of small records should not be dropped
	// while most of that memory is free.
	DefaultQueueSize  = 1_000_000
	DefaultQueueBytes = 64 << 20 // 64 MiB
)

// Policy says what [Buffer.Add] does when the queue is full: when adding
// the record would take it past QueueSize records or QueueBytes bytes.
type Policy int

const (
	// Auto, the zero value, is the default: Divert when Options.Overflow
	// is set (a sink with a spool), else DropNewest. The caller of Add
	// never waits on the writer.
	Auto Policy = iota
	// Block makes Add wait until the writer has taken enough batches out of
	// the queue for the record to fit. Room is reserved for the Add that
	// has waited longest: other Adds, waiting or new, get in only when
	// there is room for its record and theirs, so a large record is not
	// starved by a stream of small ones. Nothing is lost; the caller is
	// slowed to the writer's pace.
	// Shutdown wakes every waiting Add, which then returns an error wrapping
	// multi.ErrClosed and counts its record as dropped.
	Block
	// DropNewest refuses the record being added: Add returns an error
	// wrapping [ErrFull] and the record counts as dropped. The open batch
	// is closed if it is all the queue holds, so that the writer makes room
	// at once rather than at FlushInterval.
	DropNewest
	// DropOldest accepts the record and drops the oldest records still in
	// the queue to make room, one at a time from the first of the oldest
	// batch waiting for the writer (never the batch being written), and no
	// more than the new record needs: one record when the count is the
	// bound, as many as free its bytes when QueueBytes is. Whole batches
	// are never thrown away to make room for one record.
	DropOldest
	// Divert takes the oldest queued batch out of the queue (more than one
	// if the new record's bytes need it) and hands it to Options.Overflow
	// on the goroutine of the Add that found the queue full (a sink's disk
	// spool). Diverted batches reach Overflow one at a time, oldest first.
	// If Overflow returns an error, the batch's records count as dropped.
	Divert
)

var policyNames = [...]string{"auto", "block", "drop-newest", "drop-oldest", "divert"}

// String returns "auto", "block", "drop-newest", "drop-oldest" or "divert".
func (p Policy) String() string {
	if p >= 0 && int(p) < len(policyNames) {
		return policyNames[p]
	}
	return "Policy(" + strconv.Itoa(int(p)) + ")"
}

// Resolve returns the policy Auto stands for: Divert when there is
// somewhere to divert to (an Overflow, a sink's spool), else DropNewest.
// Any other policy is returned as it is. Sinks resolve their OnFull with
// it, so that one rule holds for all of them.
func (p Policy) Resolve(canDivert bool) Policy {
	switch {
	case p != Auto:
		return p
	case canDivert:
		return Divert
	}
	return DropNewest
}

// ParsePolicy reads a policy name in any case: auto, block, drop-newest,
// drop-oldest or divert ("drop_newest" and "dropnewest" are accepted too).
func ParsePolicy(s string) (Policy, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.ReplaceAll(t, "_", "-")
	switch t {
	case "auto", "":
		return Auto, nil
	case "block":
		return Block, nil
	case "drop-newest", "dropnewest":
		return DropNewest, nil
	case "drop-oldest", "dropoldest":
		return DropOldest, nil
	case "divert":
		return Divert, nil
	}
	return 0, fmt.Errorf("buffer: policy %q is not one of auto, block, drop-newest, drop-oldest, divert", s)
}

// MarshalText returns the policy's name, so a Policy reads and writes as a
// string in JSON and YAML configuration.
func (p Policy) MarshalText() ([]byte, error) {
	if p < 0 || int(p) >= len(policyNames) {
		return nil, fmt.Errorf("buffer: marshal policy: unknown policy %d", int(p))
	}
	return []byte(policyNames[p]), nil
}

// UnmarshalText reads a policy name as [ParsePolicy] does.
func (p *Policy) UnmarshalText(b []byte) error {
	v, err := ParsePolicy(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Options configure a [Buffer]. A nil *Options, and every zero field, means
// the default.
type Options struct {
	// BatchSize is the most records a batch holds (default 512).
	BatchSize int
	// BatchBytes is the most bytes a batch holds (default 1 MiB). A record
	// larger than BatchBytes is not split nor refused: it goes alone in a
	// batch of its own. A QueueBytes below BatchBytes lowers BatchBytes to
	// it.
	BatchBytes int
	// FlushInterval is the longest a record waits in the open batch before
	// the batch is closed and queued for the writer (default 1s), measured
	// from the batch's first record.
	FlushInterval time.Duration
	// QueueSize is the most records held, the open batch included (default
	// 1000000). The batch being written is no longer held: at most QueueSize
	// records plus one batch are in memory. A QueueSize below BatchSize
	// lowers BatchSize to it, so that a full queue always has a closed batch
	// for the writer to take.
	QueueSize int
	// QueueBytes is the most bytes of records held, the open batch
	// included and the batch being written not (default 64 MiB). The queue
	// is full when adding a record would take it past QueueSize records or
	// past QueueBytes bytes. A record larger than QueueBytes fits only an
	// empty queue: it is accepted when no other record is held, and then
	// held alone (OnFull applies as for any record that does not fit:
	// Block waits for the queue to empty, DropOldest drops every record
	// held, Divert diverts every queued batch, DropNewest refuses it unless
	// the queue is empty). So at most max(QueueBytes, the largest record)
	// bytes are held.
	QueueBytes int
	// OnFull is what Add does when the queue is full (default Auto:
	// Divert with an Overflow, else DropNewest).
	OnFull Policy
	// BlockTimeout bounds the wait of one Add under Block (default 1s);
	// then the record is dropped and counted. Other policies never wait.
	BlockTimeout time.Duration
	// Overflow receives the batches diverted by the Divert policy, and
	// under Divert what Shutdown could not drain. It is called on the
	// goroutine of the Add (or Shutdown) that diverts, one batch at a time,
	// oldest first; the batch is valid only during the call. If it returns an
	// error or panics, the batch's records count as dropped. It must not Add
	// to the same buffer (that Add could wait for its own turn), nor call
	// its Flush or Shutdown, which wait for Overflow to return. Required
	// with Divert and refused with any other policy, so that a
	// misconfiguration is not silent.
	Overflow func(b *Batch) error
	// OnDrop, if set, is told about every drop: n records lost, and why
	// (an error wrapping ErrFull, multi.ErrClosed, an Overflow error or the
	// Shutdown context's error). It is called without any lock held, on the
	// goroutine where the drop happened (the Add's, or Shutdown's). It must
	// not Add to the same buffer: with the queue full, that Add would drop
	// again and call OnDrop again.
	OnDrop func(n int, err error)
	// Journal, if set, is given every record Add accepts, under the
	// queue's lock and before Add returns, and told when each has left the
	// queue (see [Journal]): the network sinks keep their records in the
	// spool's journal this way, so that a killed process loses none.
	Journal Journal
}

// resolve validates o and fills in the defaults. Every invalid field is
// reported, by name.
func resolve(o *Options) (Options, error) {
	var r Options
	if o != nil {
		r = *o
	}
	var errs []error
	bad := func(field string, v any, want string) {
		errs = append(errs, fmt.Errorf("buffer: Options.%s is %v: %s", field, v, want))
	}
	if r.BatchSize < 0 {
		bad("BatchSize", r.BatchSize, "must not be negative (0 means 512)")
	}
	if r.BatchBytes < 0 {
		bad("BatchBytes", r.BatchBytes, "must not be negative (0 means 1 MiB)")
	}
	if r.FlushInterval < 0 {
		bad("FlushInterval", r.FlushInterval, "must not be negative (0 means 1s)")
	}
	if r.QueueSize < 0 {
		bad("QueueSize", r.QueueSize, fmt.Sprintf("must not be negative (0 means %d)", DefaultQueueSize))
	}
	if r.QueueBytes < 0 {
		bad("QueueBytes", r.QueueBytes, "must not be negative (0 means 64 MiB)")
	}
	if r.BlockTimeout < 0 {
		bad("BlockTimeout", r.BlockTimeout, "must not be negative (0 means 1s)")
	}
	r.OnFull = r.OnFull.Resolve(r.Overflow != nil)
	switch {
	case r.OnFull < Auto || r.OnFull > Divert:
		bad("OnFull", r.OnFull, "must be Auto, Block, DropNewest, DropOldest or Divert")
	case r.OnFull == Divert && r.Overflow == nil:
		errs = append(errs, errors.New("buffer: Options.Overflow is nil: OnFull is divert, which needs an Overflow to divert to"))
	case r.OnFull != Divert && r.Overflow != nil:
		errs = append(errs, fmt.Errorf("buffer: Options.Overflow is set but OnFull is %v: Overflow is used only with Divert", r.OnFull))
	}
	if len(errs) > 0 {
		return r, errors.Join(errs...)
	}
	if r.BatchSize == 0 {
		r.BatchSize = DefaultBatchSize
	}
	if r.BatchBytes == 0 {
		r.BatchBytes = DefaultBatchBytes
	}
	if r.FlushInterval == 0 {
		r.FlushInterval = DefaultFlushInterval
	}
	if r.QueueSize == 0 {
		r.QueueSize = DefaultQueueSize
	}
	if r.QueueBytes == 0 {
		r.QueueBytes = DefaultQueueBytes
	}
	if r.BlockTimeout == 0 {
		r.BlockTimeout = DefaultBlockTimeout
	}
	r.BatchSize = min(r.BatchSize, r.QueueSize)
	r.BatchBytes = min(r.BatchBytes, r.QueueBytes)
	return r, nil
}
