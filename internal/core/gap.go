// Package core is the delivery core under the network sinks (httpsink,
// wssink): the queue and its spool, retries, the breaker, replay, drop
// accounting and the gap record, error reporting, secret scrubbing, and
// the validation of the options in package delivery. A sink keeps only its
// transport and its encoding.
package core

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jinpy-utils/multi/internal/jsonx"
)

// GapMessage is the message of a gap record.
const GapMessage = "records dropped before this one"

// Gap counts the records dropped since the last gap record, so that a
// sink can send one record about them ahead of the next records it
// delivers. It is safe for concurrent use; Add does not allocate, and
// while a gap is open (drops wait for their record, as during an outage)
// it takes no lock: two atomics.
type Gap struct {
	n    atomic.Int64
	last atomic.Int64 // UnixNano of the newest drop

	mu     sync.Mutex
	reason error // the first drop's, since the gap opened
	first  time.Time
}

// Add notes n records dropped at now for reason.
func (g *Gap) Add(n int, reason error, now time.Time) {
	if n <= 0 {
		return
	}
	if g.n.Load() > 0 {
		g.n.Add(int64(n))
		g.last.Store(now.UnixNano())
		return
	}
	g.mu.Lock()
	if g.n.Load() == 0 {
		g.first, g.reason = now, reason
	}
	g.n.Add(int64(n))
	g.last.Store(now.UnixNano())
	g.mu.Unlock()
}

// Pending reports whether drops wait for a gap record.
func (g *Gap) Pending() bool { return g.n.Load() > 0 }

// Drops is what a gap record stands for: n records dropped between first
// and last, the first of them for reason.
type Drops struct {
	N           int
	Reason      error
	First, Last time.Time
}

// Take returns the drops so far and starts counting again. (A drop that
// races with Take is counted by the next gap record.)
func (g *Gap) Take() Drops {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.n.Swap(0)
	return Drops{int(n), g.reason, g.first, time.Unix(0, g.last.Load())}
}

// Restore puts back drops taken for a gap record that could not be
// delivered, so that the next gap record counts them too.
func (g *Gap) Restore(d Drops) {
	if d.N <= 0 {
		return
	}
	g.mu.Lock()
	if g.n.Load() == 0 || d.First.Before(g.first) {
		g.first, g.reason = d.First, d.Reason
	}
	if l := d.Last.UnixNano(); l > g.last.Load() {
		g.last.Store(l)
	}
	g.n.Add(int64(d.N))
	g.mu.Unlock()
}

// Append appends the gap record for d to dst, as one JSON line without
// its newline; with no drops it returns dst unchanged. The record is level
// WARN with the message [GapMessage] and the attributes dropped (the
// count), reason (the first drop's reason), first_drop and last_drop
// (RFC 3339 times); its time is now, and name, when not empty, is its
// "logger".
func (d Drops) Append(dst []byte, now time.Time, name string) []byte {
	n, reason, first, last := d.N, d.Reason, d.First, d.Last
	if n <= 0 {
		return dst
	}
	why := "unknown"
	if reason != nil {
		why = reason.Error()
	}
	dst = append(dst, `{"time":"`...)
	dst = now.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","level":"WARN",`...)
	if name != "" {
		dst = append(dst, `"logger":`...)
		dst = jsonx.AppendString(dst, name)
		dst = append(dst, ',')
	}
	dst = append(dst, `"msg":`...)
	dst = jsonx.AppendString(dst, GapMessage)
	dst = append(dst, `,"dropped":`...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, `,"reason":`...)
	dst = jsonx.AppendString(dst, why)
	dst = append(dst, `,"first_drop":"`...)
	dst = first.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","last_drop":"`...)
	dst = last.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, `"}`...)
}
