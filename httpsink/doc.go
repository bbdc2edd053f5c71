// Package httpsink is a slog.Handler that ships records to an HTTP log
// collector in batches: Vector, Fluent Bit, Elasticsearch/OpenSearch,
// Grafana Loki, VictoriaLogs, or a receiver written for the envelope of
// the jinpy-utils Python logger.
//
//	h, err := httpsink.New("http://127.0.0.1:9428/insert/jsonline?_msg_field=msg&_time_field=time",
//		&httpsink.Options{Compress: true, Spool: delivery.Spool{Dir: "/var/spool/myapp"}})
//	if err != nil { ... }
//	logger := slog.New(h)
//	defer h.Shutdown(context.Background())
//
// # What the caller pays
//
// Handle encodes the record as one JSON line (the format package's JSON,
// byte for byte what slog.JSONHandler writes) on the caller's goroutine and
// appends it to an in-memory queue (package buffer). It does not allocate
// and never touches the network. One sender goroutine takes batches from
// the queue (Queue.BatchSize records, Queue.BatchBytes bytes, or whatever is
// there after Queue.FlushInterval) and builds each request body in the chosen
// [Encoding]; every record is the same JSON line in every encoding, so a
// record looks the same wherever it lands.
//
// When the queue is full (Queue.Size records, default 1000000, or Queue.Bytes
// bytes of records, default 64 MiB; a record larger than that fits only
// an empty queue) because the collector is slow or down, Queue.OnFull
// decides, and by default Handle never waits on the network: with a
// Spool, the oldest queued batch(es) are diverted to the spool on the
// caller's goroutine (a buffered file append); without one, the new record
// is dropped and counted (DropNewest). The newest end is dropped because
// it costs the caller nothing at the moment it can least afford it, as
// the OpenTelemetry SDK does, and because the records kept are then one
// unbroken run from the start of the outage, with one gap after it.
// DropOldest keeps the newest instead; Block makes the caller wait for the
// sender, at most a second, and is only ever an explicit choice.
//
// # Retries
//
// The queue, the retries, the spool and the breaker below are the
// delivery core every network sink of this module shares; their options
// (Queue, Retry, Spool, TLS) are documented once, in package delivery.
//
// With a Spool, every record Handle accepted survives the process being
// killed at any instant: it is in the spool's memory-mapped journal before
// Handle returns, and the next process that opens the directory delivers
// it (see "What survives" in package delivery; Sync adds a crash of the
// machine).
//
// A request that fails with a network error, a timeout (Timeout, default
// 10s, per request), or status 408, 429, 500, 502, 503 or 504 is retried
// up to Retry.Max times (default 5), waiting as github.com/cenkalti/backoff/v4
// says: exponential from Retry.InitialInterval (500ms) by
// Retry.Multiplier (2) with ±50% jitter, each wait at most
// Retry.MaxInterval (30s), and no retry once Retry.MaxElapsedTime (2m)
// has passed. A Retry-After header (seconds or an HTTP date) replaces the
// computed wait, capped by MaxInterval; one that would take the retries
// past MaxElapsedTime ends them. A 413 splits the batch in halves
// and sends each, recursively; a single record the collector finds too
// large is dropped. Any other status is permanent: the batch is not
// retried. For ElasticsearchBulk a 2xx response is read for per-item
// failures: items refused with 429 or 5xx are sent again, the others are
// dropped and reported.
//
// # Spool, replay and the breaker
//
// A batch that exhausts its retries or meets a permanent error goes to the
// Spool directory when one is set (Spool.Dir); without one it is dropped, counted in
// Stats.Dropped and reported to ErrorHandler with the status and the first
// bytes of the response. The spool is a set of append-only segment files
// of checksummed frames, one frame per batch: a process that dies (even by
// SIGKILL) mid-write loses at most the frame it was writing, and every
// earlier frame is read back intact. Frames are fsynced when a segment is
// rotated and at Shutdown, not at every append; see package
// internal/spool for the trade-off.
//
// With a spool, once a batch has exhausted its retries against a collector
// that is down (a retryable failure), a circuit breaker opens: the following batches go
// straight to the spool, without a request, until a wait that starts at
// Retry.InitialInterval and grows like the back-off up to MaxInterval has
// passed; then the next batch is a probe, sent once. A probe that succeeds
// closes the breaker; one that fails spools its batch and multiplies the
// wait by Retry.Multiplier (2), up to MaxInterval.
// This keeps the sender draining the queue at disk speed during an outage,
// instead of spending MaxElapsedTime on every batch, and spares a
// recovering collector a retry storm. Without a spool there is no breaker:
// every batch gets its retries, since dropping is all that is left.
//
// The spool is replayed, oldest first, one request per spooled batch,
// whenever a request succeeds (on the sender's goroutine, between batches)
// and by a prober goroutine when no batches flow: at start, when records
// are diverted to the spool, and when the breaker's wait is over. So a
// spool left by an earlier process is sent at start, and an outage ends
// without waiting for the next log record. A segment file is deleted once
// all its batches were sent. Shutdown records how far a segment was
// replayed, and the next process resumes there. Replay is at least once: a
// process that dies mid-replay sends the replayed part of the segment
// again next time.
// Batches are dropped from the spool only when the collector refuses them
// for good (a permanent status) on replay, or when the spool is full
// (Spool.MaxBytes, default 256 MiB); each drop is counted and reported.
//
// # Encryption
//
// With EncryptionKey (32 bytes) every request body, after compression, is
// sealed with AES-256-GCM under a fresh random nonce: the body is the
// 12-byte nonce followed by the ciphertext and tag, Content-Type is
// application/octet-stream, and the headers X-Log-Encryption: aes-256-gcm,
// X-Log-Content-Type and X-Log-Content-Encoding carry what the plain body
// would have had. A receiver opens it with [Open], or with [ReadBody],
// which also gunzips.
//
// # Health, stats and errors
//
// Healthy is false from the first failed request until one succeeds.
// Stats counts records written (delivered, replayed ones included) and
// their bytes before compression, failed requests, retries, records
// spooled, replayed and dropped, and the records still queued in memory.
// Every record given to Handle ends up written, spooled or dropped, and
// every drop is counted. Runtime errors go to Stats.LastError and to
// ErrorHandler; queue-full drops are reported at most once a second, with
// the count. No error or stat contains a secret: BearerToken, the tokens of
// TokenFunc, the EncryptionKey, Authorization and other credential headers
// and the URL's user name and password (also in their Basic-auth form)
// are replaced by "[REDACTED]", and errors name
// the URL without its user info or query.
//
// # Shutdown
//
// Shutdown stops the prober, drains the queue through the sender, closes
// the spool and the idle connections; when it returns, the package's
// goroutines are gone. If its ctx ends first, the request in flight is
// abandoned (its batch goes to the spool, or is dropped) and the queue
// goes to the spool or is counted dropped. Handle after Shutdown returns
// an error wrapping multi.ErrClosed and counts the record dropped.
package httpsink
