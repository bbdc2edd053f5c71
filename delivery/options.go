package delivery

import (
	"fmt"
	"time"

	"github.com/jinpy-utils/multi/buffer"
)

// Defaults of the options in this package, and of the sinks' Timeout.
const (
	DefaultQueueSize     = buffer.DefaultQueueSize     // records
	DefaultQueueBytes    = buffer.DefaultQueueBytes    // 64 MiB
	DefaultBatchSize     = buffer.DefaultBatchSize     // records
	DefaultBatchBytes    = buffer.DefaultBatchBytes    // 1 MiB
	DefaultFlushInterval = buffer.DefaultFlushInterval // 1s
	DefaultBlockTimeout  = buffer.DefaultBlockTimeout  // 1s

	DefaultInitialInterval = 500 * time.Millisecond
	DefaultMultiplier      = 2.0
	DefaultMaxInterval     = 30 * time.Second
	DefaultJitter          = 0.5
	DefaultMaxRetries      = 5
	DefaultMaxElapsedTime  = 2 * time.Minute

	DefaultSpoolMaxBytes = 256 << 20 // 256 MiB

	// DefaultTimeout bounds one network operation of a sink: an HTTP
	// request from dial to the end of its response; a WebSocket dial, a
	// write, or the wait for a pong or an acknowledgement.
	DefaultTimeout = 10 * time.Second
)

// Queue is the in-memory queue between Handle and the sink's sender, and
// the batches the sender takes out of it. The queue is full when a record
// would take it past Size records or Bytes bytes; memory is bounded by
// Bytes plus one batch (the one being sent), whatever the destination does.
type Queue struct {
	// Size is the most records queued (default 1000000, so that for
	// records over 64 bytes Bytes is the bound that binds). A Size below
	// BatchSize lowers BatchSize to it.
	Size int
	// Bytes is the most bytes of encoded records queued (default 64 MiB).
	// A record larger than Bytes is accepted only into an empty queue, and
	// then held alone. A Bytes below BatchBytes lowers BatchBytes to it.
	Bytes int
	// BatchSize is the most records sent together (default 512).
	BatchSize int
	// BatchBytes is the most record bytes sent together, before
	// compression (default 1 MiB). A larger record goes alone.
	BatchBytes int
	// FlushInterval is the longest a record waits for its batch to fill
	// (default 1s).
	FlushInterval time.Duration
	// OnFull is what Handle does when the queue is full. The default, Auto,
	// is Divert with a Spool (the oldest queued batch is appended to the
	// spool on the caller's goroutine) and DropNewest without one (the new
	// record is dropped and counted), so Handle never waits on the network.
	// DropOldest drops and counts the oldest queued record instead. Block
	// makes Handle wait for the sender, for at most BlockTimeout, then
	// drop and count. Divert without a Spool is refused.
	OnFull buffer.Policy
	// BlockTimeout bounds one Handle's wait under Block (default 1s).
	BlockTimeout time.Duration
}

// Backoff shapes the waits between attempts: exponential, with jitter. A
// zero field means its default.
type Backoff struct {
	// InitialInterval is the first wait (default 500ms).
	InitialInterval time.Duration
	// Multiplier grows the wait after each attempt (default 2; at least 1).
	Multiplier float64
	// MaxInterval caps one wait (default 30s, or InitialInterval if that is
	// longer), a server's Retry-After included.
	MaxInterval time.Duration
	// Jitter is the randomization factor: each wait is drawn from
	// [w·(1-Jitter), w·(1+Jitter)] (default 0.5; below 1). Negative: no
	// jitter.
	Jitter float64
}

// Retry is how long one batch is retried before it counts as
// undeliverable, and then goes to the Spool or is dropped and counted.
type Retry struct {
	// Max is how many times a failed attempt is retried (default 5).
	// Negative: no retries.
	Max int
	// MaxElapsedTime is how long a batch is retried, waits included
	// (default 2m). Negative: no time limit (Max and Shutdown still end
	// the retries).
	MaxElapsedTime time.Duration
	// Backoff shapes the waits between attempts.
	Backoff
}

// Spool is a directory on disk for batches that cannot be delivered now:
// diverted from a full queue, undeliverable after their retries, or still
// queued when Shutdown gives up. They are sent again, oldest first, once
// the destination answers, by this process or by the next one that opens
// the directory; a process holds the directory locked. Every frame is
// checksummed and written with one write, so a crash loses at most the
// frame being written, and a torn frame is skipped, never replayed.
//
// A Spool also keeps every queued record in its journal, so that a killed
// process loses none of the records it accepted (see "What survives" in
// the package doc).
type Spool struct {
	// Dir is the directory, created if missing. Empty: no spool.
	Dir string
	// MaxBytes bounds the spool on disk (default 256 MiB). Batches that do
	// not fit are dropped and counted. Negative: no bound.
	MaxBytes int64
}

// TLS configures the client side of TLS for https:// and wss://
// destinations. The zero value is the system's roots and Go's defaults;
// the minimum version is TLS 1.2.
type TLS struct {
	// CAFile is a PEM file of certificate authorities trusted besides the
	// system roots.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// mutual TLS; set both or neither.
	CertFile, KeyFile string
	// InsecureSkipVerify turns off server certificate verification. It is
	// off unless set here.
	InsecureSkipVerify bool
}

// StatusError is an HTTP response that was not a success (2xx), from a
// sink that speaks HTTP (httpsink, otlpsink). Errors reported to the
// ErrorHandler and kept in Stats wrap it; errors.As finds it.
type StatusError struct {
	StatusCode int    // 413, 503, ...
	Status     string // "503 Service Unavailable"
	Body       string // the first bytes of the response body, secrets removed
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return "status " + e.Status
	}
	return fmt.Sprintf("status %s: %q", e.Status, e.Body)
}
