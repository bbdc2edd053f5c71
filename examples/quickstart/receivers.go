package main

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"google.golang.org/protobuf/encoding/protowire"
)

// The receivers of the OTLP and syslog sinks: the least that a collector
// does, so that the example needs nothing else. What they got goes to a
// received, one line a record, as the HTTP and WebSocket receivers' does.

// maxBody bounds one request body, after gunzipping.
const maxBody = 64 << 20

// otlpReceiver is an OTLP/HTTP logs endpoint: POST /v1/logs with a
// protobuf ExportLogsServiceRequest, gzipped or not. Each LogRecord goes
// to got as `LEVEL "body" {attribute keys}`, and the answer is a 200 with
// an empty ExportLogsServiceResponse (no partial_success: every record was
// taken).
func otlpReceiver(got *received) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/logs", func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
			http.Error(w, "Content-Type "+ct+" is not application/x-protobuf", http.StatusUnsupportedMediaType)
			return
		}
		var body io.Reader = r.Body
		switch enc := r.Header.Get("Content-Encoding"); enc {
		case "gzip":
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		case "", "identity":
		default:
			http.Error(w, "Content-Encoding "+enc+" is not gzip", http.StatusUnsupportedMediaType)
			return
		}
		b, err := io.ReadAll(io.LimitReader(body, maxBody+1))
		if err == nil && len(b) > maxBody {
			err = errors.New("body over 64 MiB")
		}
		var records [][]byte
		if err == nil {
			records, err = logRecords(b)
		}
		if err != nil {
			got.fail("otlp", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got.add("otlp", records)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK) // an empty body is an empty message
	})
	return mux
}

// logRecords describes the LogRecords of an ExportLogsServiceRequest, one
// line each. The field numbers are those of opentelemetry-proto's
// logs/v1/logs.proto and common/v1/common.proto.
func logRecords(req []byte) ([][]byte, error) {
	var out [][]byte
	err := eachField(req, 1, func(rl []byte) error { // resource_logs
		return eachField(rl, 2, func(sl []byte) error { // ResourceLogs.scope_logs
			return eachField(sl, 2, func(lr []byte) error { // ScopeLogs.log_records
				line, err := describe(lr)
				out = append(out, line)
				return err
			})
		})
	})
	return out, err
}

// describe returns a LogRecord as `LEVEL "body" {attribute keys}`.
func describe(lr []byte) ([]byte, error) {
	var level, body string
	var keys []string
	err := eachField(lr, 3, func(v []byte) error { // severity_text
		level = string(v)
		return nil
	})
	if err == nil {
		err = eachField(lr, 5, func(v []byte) error { // body: an AnyValue
			return eachField(v, 1, func(s []byte) error { // string_value
				body = string(s)
				return nil
			})
		})
	}
	if err == nil {
		err = eachField(lr, 6, func(v []byte) error { // attributes: KeyValues
			return eachField(v, 1, func(k []byte) error { // key
				keys = append(keys, printable(string(k)))
				return nil
			})
		})
	}
	return fmt.Appendf(nil, "%s %q {%s}", printable(level), body, strings.Join(keys, " ")), err
}

// eachField calls f with the value of every length-delimited field num of
// the protobuf message b, skipping the other fields.
func eachField(b []byte, num protowire.Number, f func([]byte) error) error {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		l = protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		if n == num && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b)
			if err := f(v); err != nil {
				return err
			}
		}
		b = b[l:]
	}
	return nil
}

// syslogReceiver takes syslog messages over TCP: octet-counted frames,
// "LEN SP MSG" (RFC 6587, RFC 5425), as the sink sends RFC 5424 messages,
// or lines ending in LF, as it sends RFC 3164 ones. Each message goes to
// got as it came, made printable.
type syslogReceiver struct {
	ln    net.Listener
	got   *received
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]bool
}

func startSyslog(got *received) (*syslogReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &syslogReceiver{ln: ln, got: got, conns: make(map[net.Conn]bool)}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed
			}
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			s.wg.Go(func() { s.read(c) })
		}
	})
	return s, nil
}

// Addr is the receiver's address, as a syslog sink's "address" names it.
func (s *syslogReceiver) Addr() string { return "tcp://" + s.ln.Addr().String() }

func (s *syslogReceiver) read(c net.Conn) {
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	br := bufio.NewReader(c)
	for {
		msg, err := readFrame(br)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.got.fail("syslog", err)
			}
			return
		}
		s.got.add("syslog", [][]byte{msg})
	}
}

// readFrame reads one message: "LEN SP MSG", or a line ending in LF.
func readFrame(br *bufio.Reader) ([]byte, error) {
	first, err := br.Peek(1)
	if err != nil {
		return nil, err
	}
	if first[0] < '0' || first[0] > '9' {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		return line[:len(line)-1], nil
	}
	lenText, err := br.ReadString(' ')
	if err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	n, err := strconv.Atoi(lenText[:len(lenText)-1])
	if err != nil || n <= 0 || n > maxBody {
		return nil, fmt.Errorf("bad frame length %q", lenText)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(br, msg); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	return msg, nil
}

// Close stops taking connections and waits until the senders have closed
// theirs (the sink closes its connection in Shutdown) and every message
// sent has been read; after 5 seconds it closes them itself.
func (s *syslogReceiver) Close() {
	s.ln.Close()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(5 * time.Second):
	}
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	<-done
}

// printable returns s with the runes a terminal would act on (control
// characters, the byte order mark of an RFC 5424 MSG) written as Go
// escapes, so that a received message cannot forge lines or colours.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRuneToASCII(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}
