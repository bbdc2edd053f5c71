// Package syslog is a slog.Handler that sends records to a syslog
// receiver (rsyslog, syslog-ng, a SIEM's collector, or the local socket)
// as RFC 5424 messages with the attributes as STRUCTURED-DATA, or as RFC
// 3164 messages for old receivers.
//
//	h, err := syslog.New("tls://logs.example.com:6514", &syslog.Options{
//		Facility: syslog.Local0,
//		TLS:      delivery.TLS{CAFile: "/etc/ssl/our-ca.pem"},
//		Spool:    delivery.Spool{Dir: "/var/spool/myapp"},
//	})
//	if err != nil { ... }
//	logger := slog.New(h)
//	defer h.Shutdown(context.Background())
//
// Unlike the standard library's frozen log/syslog, which writes its own
// variant of the old header, a record's attributes are not flattened into
// the message: each is an SD-PARAM a receiver can parse and index
// (rsyslog's mmpstrucdata, syslog-ng's sdata).
//
// # Messages
//
// An RFC 5424 message is
//
//		<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [slog@32473 k="v" ...] BOM MSG
//
//	  - PRI is Facility×8 + severity, the severity from the record's level as
//	    [SeverityOf] says (DEBUG debug, INFO info, INFO+2 notice, WARN
//	    warning, ERROR err, CRITICAL crit, CRITICAL+4 alert, CRITICAL+8
//	    emerg).
//	  - TIMESTAMP is the record's time, RFC 3339 with microseconds and its
//	    own offset; a zero time is the NILVALUE "-".
//	  - HOSTNAME (default os.Hostname), APP-NAME (default the base name of
//	    os.Args[0]), PROCID (the process id) and MSGID (default "-") are
//	    printable US-ASCII, other bytes replaced by '_', cut to the RFC's
//	    lengths (255, 48, 128, 32); an empty one is "-".
//	  - The attributes are one SD-ELEMENT whose SD-ID is
//	    Options.StructuredDataID (default "slog@32473"; 32473 is the
//	    example enterprise number of RFC 5612, put your own there). Each
//	    attribute is an SD-PARAM; groups are joined to the name with '.'
//	    ("req.method"). A PARAM-NAME is an SD-NAME: bytes that may not
//	    appear in one ('=', ' ', ']', '"', control and non-ASCII bytes) are
//	    replaced by '_', and it is cut at 32 bytes. A PARAM-VALUE has '"',
//	    '\' and ']' escaped with a backslash and invalid UTF-8 replaced by
//	    U+FFFD; newlines are kept (the frame, not the line, delimits a
//	    message: rsyslog writes them as #012 unless told otherwise). With no
//	    attributes, STRUCTURED-DATA is the NILVALUE "-".
//	  - MSG is the record's message after the UTF-8 byte order mark,
//	    invalid UTF-8 replaced by U+FFFD; an empty message leaves MSG out.
//	  - With AddSource, the caller is the SD-PARAMs source.function,
//	    source.file and source.line.
//
// [RFC3164] writes "<PRI>Mmm dd hh:mm:ss HOSTNAME APP-NAME[PROCID]: MSG
// k="v" ...", without the HOSTNAME on a Unix socket (glibc's form, which
// systemd-journald and rsyslog's imuxsock read), control characters
// written as #ooo so that a message stays on one line. [Auto], the
// default, is RFC 5424 over the network and RFC 3164 on a Unix socket.
//
// # Transports
//
// The address says where: "" (the first of /dev/log, /var/run/syslog and
// /var/run/log), "unix:///path" (a Unix datagram socket), "udp://host:port"
// (one message per datagram, RFC 5426), "tcp://host:port" and
// "tls://host:port" (a stream of messages framed by octet counting, "LEN
// SP MSG", RFC 6587 and RFC 5425; RFC 3164 messages end in LF instead,
// since old receivers know no octet counting). The port defaults to 514,
// 6514 for TLS. TLS verifies the receiver against the system roots plus
// TLS.CAFile, and presents TLS.CertFile and TLS.KeyFile when set.
//
// # Size
//
// Receivers take messages up to a size: rsyslog 8096 bytes unless its
// maxMessageSize is raised, and given a longer frame it cuts it and reads
// the rest as a second, bogus message. So a message over MaxMessageSize
// (default 8096) is cut by the handler, on the caller's goroutine: the MSG
// first, at a UTF-8 boundary; if the header and STRUCTURED-DATA alone are
// too long, the MSG is left out, the SD-PARAMs that fit are kept, the
// value of the first that does not is cut to fit, and those after it are
// left out, so the message stays valid RFC 5424. Cuts are reported to the
// ErrorHandler, at most once a second with their count. Set MaxMessageSize
// to the receiver's limit (negative: no limit). A UDP datagram carries at
// most 65507 bytes: a longer record is dropped alone, counted and
// reported, and the receiver does not count as down for it.
//
// # What the caller pays, and what is lost when
//
// Handle encodes the record on the caller's goroutine (no allocation for
// attributes of the basic kinds) and appends it to an in-memory queue
// (package buffer); it never touches the network. One writer goroutine
// takes batches from the queue (Queue.BatchSize records, default 512, or
// what is there after Queue.FlushInterval, default 1s) and writes each
// batch with as few system calls as it can: one datagram per record for
// UDP and Unix sockets, 64 KiB writes for TCP and TLS.
//
// Delivery is the module's one delivery core, as in httpsink: its options
// (Queue, Retry, Spool, TLS) are documented once, in package delivery.
// The connection is dialled by the first batch, not by New, so a receiver
// that starts after the program is no error. Before a batch, a TCP or TLS
// connection the receiver has closed (a restarted rsyslog) is noticed
// without writing to it, and replaced: otherwise its first write would
// succeed and be lost. A write that fails closes the connection; what was
// written whole before the failure counts as written and is not sent
// again, and the rest is retried on a new connection, Retry.Max times
// (default 5) with Retry's back-off (500ms doubling, ±50%, up to 30s), each
// attempt (dial and write) bounded by Timeout (default 10s). A batch that
// still fails goes to the Spool, or without one is dropped and counted.
// With a Spool, a receiver that keeps failing opens a breaker: batches go
// straight to disk without a dial, and one probe at a time finds out when
// it is back. Handle never waits for any of this: a full queue (Queue.Size,
// Queue.Bytes) drops the new record under the default without a Spool and
// diverts its oldest batch to the spool with one.
//
// Spooled batches are replayed, oldest first, with the same retries as
// live ones and taking turns with them on the connection; a prober
// goroutine replays them when no batches flow, so an outage ends without
// waiting for the next record, and a spool left by an earlier process is
// sent at start. A spooled record survives the process being killed.
// Without a Spool, what cannot be written within its retries is lost, and
// counted in Stats().Dropped.
//
// Gaps show where the logs are read: after records were dropped, the
// next batch that goes out starts with one record saying so, as every
// network sink of the module sends it (severity warning, MSG "records
// dropped before this one", SD-PARAMs dropped, reason, first_drop and
// last_drop). It is not counted in Written.
//
// TCP itself acknowledges nothing to the sender: Written counts records
// the kernel took. Records in flight when a receiver dies abruptly
// (SIGKILL, a cable pulled) are lost without an error the sender can see.
// A receiver closing normally, as rsyslog does when restarted, loses
// nothing. A TLS receiver that rejects the client after the handshake has
// completed on the client's side (rsyslog does this to a client without
// the certificate it requires) would swallow every write the same way: so
// after each TLS handshake the handler waits as long as the handshake took
// (at least 20ms) for the receiver to close, and if it does, the dial
// fails with an error that says so.
//
// # Health, stats and errors
//
// Stats counts records written (replayed ones included, also counted in
// Replayed) and their bytes, records dropped and spooled, failed dials and
// writes, and the records still queued. Every record given to Handle ends
// up written, spooled or counted dropped. Runtime errors go to
// Stats().LastError and to the ErrorHandler, under the one contract of
// every sink in this module ("Errors" in package multi): the handler is
// never called with a lock held nor twice at once, drops are folded into
// one call a second, and without an ErrorHandler they are summarised on
// standard error, a line every 5 seconds at most.
//
// # Shutdown
//
// Shutdown stops accepting records, writes out the queue, drains the
// spool while the receiver is up, closes the connection and the spool,
// and stops the goroutines. It is bounded whatever its ctx: once the
// receiver has not taken a write for Timeout plus a second, what is still
// queued goes to the spool or is counted dropped. If its ctx ends first,
// the write in progress is cut and the same happens. Handle after Shutdown returns an
// error wrapping multi.ErrClosed and counts the record dropped.
package syslog
