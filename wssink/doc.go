// Package wssink streams log records over a WebSocket (ws:// or wss://), on
// github.com/coder/websocket. It is a slog.Handler: each record is encoded
// once as a JSON object (exactly what slog.NewJSONHandler writes) on the
// caller's goroutine and queued; batching, the connection and the network
// happen on the handler's own goroutines, so Handle never waits for the
// network.
//
//	h, err := wssink.New("wss://logs.example.com/ws", &wssink.Options{Ack: true})
//	if err != nil { ... }
//	logger := slog.New(h)
//	defer h.Shutdown(context.Background())
//
// # Goroutines
//
// A Handler runs three goroutines, all stopped by Shutdown: the queue's
// (package buffer), which closes batches and turns them into messages; the
// connection's owner, which dials with back-off, writes messages, pings and
// replays the spool; and, while a connection is up, its reader, which takes
// in acknowledgements and answers the server's pings and close frame.
//
// # Messages
//
// In Mode Batch (the default) a batch of records is one text message, the
// format of the jinpy-utils Python logger's WebSocket backend:
//
//	{"type":"log_batch","timestamp":"2025-01-02T03:04:05.123456789Z","source":"myapp","count":2,"logs":[{...},{...}]}
//
// where each element of "logs" is a record as slog.NewJSONHandler writes it,
// timestamp is when the message was built (UTC, RFC 3339) and source is
// Options.Source. A batch whose message would be larger than MaxMessageSize
// is split across several messages. In Mode Record every record is a message
// of its own: the bare JSON object, or with Ack on
// {"type":"log","seq":N,"log":{...}}.
//
// A single record that cannot fit in MaxMessageSize is truncated, never
// dropped: its leading members are kept whole, the member that crosses the
// limit keeps a prefix of its value if that value is a string (cut between
// characters, so the record stays valid JSON and valid UTF-8), later members
// are left out, and a last member "_truncated" gives the original size in
// bytes. ConnStats.Truncated counts such records.
//
// # Acknowledged delivery
//
// With Options.Ack on, the handler and the server speak a tiny protocol on
// top of the messages above:
//
//   - Every message carries a sequence number right after its type:
//     {"type":"log_batch","seq":7,...} or {"type":"log","seq":7,"log":{...}}.
//     Numbers start at 1 for each Handler and grow by one per message.
//   - The server answers each message it has taken responsibility for with
//     the text message {"type":"ack","seq":7}. An ack is cumulative: it
//     acknowledges that message and every earlier one, so a server may ack
//     only the last of several. Other messages from the server are ignored,
//     up to 64 KiB: a larger one breaks the connection, which is replaced.
//   - Messages are kept until acknowledged. After a reconnect the
//     unacknowledged ones are sent again, in order and with their original
//     numbers, before anything newer: a connection that dies after a write
//     loses nothing. Delivery is at least once. Every connection of one
//     Handler carries the same random stream name in the Wssink-Stream
//     handshake header ([StreamHeader]), so a server that must not handle a
//     message twice can remember the highest seq it handled per stream.
//     Records spooled after being written but not acknowledged (at Shutdown)
//     are sent again by a later Handler, under a new stream: those may
//     arrive twice.
//   - At most MaxUnacked messages (default 64) are in flight. When that many
//     wait for their acks, sending pauses; records wait in the queue, where
//     Queue.Size, Queue.Bytes and Queue.OnFull bound them. A connection
//     whose oldest message has waited Timeout (default 10s) for its ack is
//     taken as broken and replaced.
//
// [NewReceiver] is an http.Handler that speaks this protocol, for servers
// written in Go. It tells the messages apart by their members: an object
// with "type":"log_batch" and a "logs" array is a batch, one with
// "type":"log" and a "log" member is an enveloped record, and anything else
// is a bare record. So in Mode Record without Ack, a record whose own top
// level has those members (attributes named type and log, say) would be
// read as an envelope; turn Ack on, or use Mode Batch, if yours may.
//
// Without Ack and without a Spool, a message counts as delivered once
// written to the socket; one lost with the connection is not sent again.
// Without Ack but with a Spool, a written message is confirmed by a pong
// instead: once messages are written, the handler pings, and the pong
// (which every WebSocket server sends once it has read every frame before
// the ping, in order) confirms them all, as a cumulative ack would. Until
// then they stay in the window and are sent again on a new connection:
// delivery is at least once, with any WebSocket server, at the cost of a
// ping and its pong per round trip of written messages. ConnStats.Unacked
// counts the messages written and not yet confirmed.
//
// # Connection
//
// New starts dialing at once, in the background. A refused dial, a lost
// connection, a write that takes longer than Timeout, a ping unanswered
// within Timeout (pings go out every PingInterval, so a dead server is
// found within PingInterval+Timeout), an ack not back within Timeout, or a
// close frame from the server all lead to a new dial, after an exponential
// back-off with jitter (Reconnect: 500ms doubling up to 30s, ±50%).
// With MaxReconnectAttempts > 0 the handler gives up after that many failed
// dials in a row: what is queued, and every later record, then goes to the
// spool or is dropped and counted. Healthy is true only while connected.
//
// # What blocks, and what is lost when
//
// Handle never waits on the network by default. When the queue
// (Queue.Size records, default 1000000, or Queue.Bytes bytes of records,
// default 64 MiB; a record larger than that fits only an empty queue) is
// full, the default Queue.OnFull diverts the oldest queued batch(es)
// to the Spool when there is one, and otherwise drops the new record and
// counts it (DropNewest). DropOldest drops the oldest instead; Block, an
// explicit choice only, makes the caller wait for the connection for at
// most a second, then drops and counts.
//
// With a Spool directory, records that cannot be delivered are written to
// disk rather than dropped: batches diverted from a full queue, everything
// still undelivered when Shutdown's context ends, and everything after the
// handler gave up. Spooled records are sent once a connection is up (after
// newer records, possibly), by this process or the next one that opens the
// same directory; a frame of them stays on disk until its messages leave
// the window of messages in flight, as below. Records that do not fit in
// Spool.MaxBytes are dropped and counted.
//
// With a Spool, a kill of the process (SIGKILL, the OOM killer) loses no
// record Handle accepted. A record waiting in the queue or in the window
// is kept in the spool's journal (see package delivery, "What survives"),
// and a record replayed from the spool in its frame on disk, until its
// message leaves the window: acknowledged by the receiver, with Ack on;
// confirmed by a pong, with Ack off. Either way the receiver has read the
// message before the handler lets go of it, so what the kernel still held
// in the socket at the kill, or threw away with it (a kill while bytes
// from the server sit unread in the socket resets the connection and
// discards the socket's send buffer), is sent again. The next process
// that opens the directory delivers what was still kept, at least once:
// records whose message was delivered just before the kill may arrive
// twice (up to a spool segment, 4 MiB, of replayed ones). Ack says more
// than a pong: the receiver has taken the message (a NewReceiver acks
// once its function returned nil), not only read it.
//
// After records were dropped, the next batch is preceded by one record
// about them, in a message of its own: level WARN, the message
// "records dropped before this one", and dropped, reason, first_drop and
// last_drop (as httpsink sends it). It is not a record of the program's:
// Written does not count it.
//
// Every record accepted by Handle is delivered, spooled, or counted in
// Stats().Dropped with the reason passed to ErrorHandler.
//
// Shutdown is bounded whatever its ctx: once the server has taken no
// message for Timeout and a second (it is down, or it takes connections
// but never reads, answers or acknowledges), it stops waiting, and what
// is undelivered goes to the spool or is counted dropped; its error names
// the cause.
//
// # Defaults
//
// Level INFO; Mode Batch; Timeout 10s; PingInterval 20s; MaxMessageSize
// 1 MiB; Ack off, MaxUnacked 64; Reconnect 500ms up to 30s, forever;
// Compress off; Source the executable's name. Queue, Reconnect, Spool and
// TLS have the defaults every network sink shares (see package delivery):
// batches of 512 records or 1 MiB, or after 1s; a queue of 64 MiB (or a
// million records); OnFull Auto; a spool of at most 256 MiB.
//
// Secrets: BearerToken and Headers are sent in the handshake only, never in
// errors or stats; the URL's user information (user name and password) and
// its query are left out of errors. Still, put no secret in the URL's
// query: the server and any proxy see it in the request line.
package wssink
