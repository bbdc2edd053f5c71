// Command quickstart shows multi doing its job: one slog.Logger whose
// records go at once to a coloured console, a rotating compressed file, an
// HTTP collector, a WebSocket stream, an OpenTelemetry (OTLP/HTTP)
// collector, a syslog receiver over TCP and, where the machine has one,
// the systemd journal, each at its own level. The handler tree comes from
// multi.yaml beside this file; the HTTP, WebSocket, OTLP and syslog
// receivers are started here, on loopback, so the example needs nothing
// else. The journal sink is added in Go, and only when the journal's
// socket is there (see run); otherwise the output says it was skipped.
//
// At the end it prints what each receiver got and each sink's stats, and
// fails if a receiver did not get exactly what its sink counts as written.
//
//	go run ./examples/quickstart
//
// Send it SIGHUP while it runs (it waits only briefly) and the file sink
// reopens its path, as logrotate's postrotate expects.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/config"
	"github.com/jinpy-utils/multi/console"
	"github.com/jinpy-utils/multi/file"
	"github.com/jinpy-utils/multi/httpsink"
	"github.com/jinpy-utils/multi/journald"
	"github.com/jinpy-utils/multi/otlpsink"
	"github.com/jinpy-utils/multi/syslog"
	"github.com/jinpy-utils/multi/wssink"
)

//go:embed multi.yaml
var tree []byte

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal("quickstart: ", err)
	}
}

func run(out io.Writer) error {
	// The receivers: an HTTP collector that reads NDJSON bodies, a
	// WebSocket receiver that speaks wssink's acknowledged protocol, an
	// OTLP/HTTP logs endpoint and a syslog receiver over TCP (the last two
	// in receivers.go).
	var got received
	httpURL, stopHTTP, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := httpsink.ReadBody(r, nil, 0)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got.add("http", bytes.Split(bytes.TrimSpace(body), []byte("\n")))
	}))
	if err != nil {
		return err
	}
	defer stopHTTP()
	wsURL, stopWS, err := serve(wssink.NewReceiver(func(_ context.Context, records [][]byte) error {
		got.add("websocket", records)
		return nil
	}, nil))
	if err != nil {
		return err
	}
	defer stopWS()
	otlpURL, stopOTLP, err := serve(otlpReceiver(&got))
	if err != nil {
		return err
	}
	defer stopOTLP()
	syslogd, err := startSyslog(&got)
	if err != nil {
		return err
	}
	defer syslogd.Close()

	logDir := os.Getenv("QUICKSTART_LOG_DIR")
	if logDir == "" {
		logDir = filepath.Join(os.TempDir(), "multi-quickstart")
	}
	os.Setenv("QUICKSTART_HTTP_URL", httpURL+"/insert/jsonline")
	os.Setenv("QUICKSTART_WS_URL", "ws"+strings.TrimPrefix(wsURL, "http")+"/logs")
	os.Setenv("QUICKSTART_LOG_DIR", logDir)
	os.Setenv("QUICKSTART_OTLP_URL", otlpURL+"/v1/logs")
	os.Setenv("QUICKSTART_SYSLOG_ADDR", syslogd.Addr())

	h, err := config.Load(bytes.NewReader(tree))
	if err != nil {
		return err
	}

	// The journal is not in multi.yaml: config.Load fails when a sink
	// cannot be built, and a journald sink cannot be without the journal's
	// socket, so the file would not load on a machine without systemd
	// (a container, macOS). A tree from a document is a slog.Handler like
	// any other, so the journal is added here, where the socket is there.
	var all slog.Handler = h
	jd, skipped := openJournal()
	if jd != nil {
		all = multi.New(h, jd)
	}
	logger := slog.New(all)

	// SIGHUP reopens the log file after logrotate has moved it.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	logFile := findFile(h)
	go func() {
		for range hup {
			if err := logFile.Reopen(); err != nil {
				logger.Error("reopen log file", "err", err)
			}
		}
	}()

	// What an application does: log at every level, with attributes.
	ctx := context.Background()
	logger.Log(ctx, multi.LevelTrace, "resolving configuration", "file", "multi.yaml")
	logger.Debug("connection pool ready", "size", 8)
	req := logger.With("request_id", "4f2a", "user", "ada")
	req.Info("request served", slog.Group("http", "method", "GET", "path", "/api/v1/users/42", "status", 200),
		"elapsed", 1234*time.Microsecond)
	req.Warn("slow query", "table", "users", "elapsed", 2*time.Second)
	logger.Error("payment failed", "err", fmt.Errorf("card declined"), "amount", 12.5)
	logger.Log(ctx, multi.LevelCritical, "disk almost full", "free_bytes", 1<<20)
	logger.Info("a message\nthat tries to forge a line \x1b[31mand colour the terminal")

	// Shutdown flushes every sink (waiting for the WebSocket acknowledgements)
	// and releases files, connections and goroutines.
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := multi.Shutdown(sctx, all); err != nil {
		return err
	}
	// The syslog sink has closed its connection: read what is left of it.
	syslogd.Close()

	fmt.Fprintln(out)
	got.print(out)
	fmt.Fprintf(out, "\nfile: %s (JSON lines; rotated backups beside it as quickstart.log.N.gz)\n", logFile.Path())
	// One line per sink, numbered as config numbers the document's sinks
	// and as multi's errors name the children: h.Stats() would sum them.
	// A network sink's line ends with what its receiver counted, which
	// must be what the sink counts as written.
	fmt.Fprintln(out, "\nstats per sink:")
	var wrong []error
	for i, c := range h.Handlers() {
		st, _ := multi.StatsOf(c)
		typ := sinkType(c)
		fmt.Fprintf(out, "  sinks[%d] %-9s written=%d dropped=%d spooled=%d",
			i, typ, st.Written, st.Dropped, st.Spooled)
		if n, ok := got.count(typ); ok {
			fmt.Fprintf(out, " received=%d", n)
			if uint64(n) != st.Written || n == 0 {
				wrong = append(wrong, fmt.Errorf("sinks[%d] %s wrote %d records, its receiver got %d", i, typ, st.Written, n))
			}
		}
		fmt.Fprintln(out)
	}
	if jd != nil {
		st := jd.Stats()
		fmt.Fprintf(out, "  journald           written=%d dropped=%d (added in Go; see them with journalctl -t quickstart)\n",
			st.Written, st.Dropped)
	} else {
		fmt.Fprintf(out, "  journald           skipped: %s\n", skipped)
	}
	return errors.Join(append(wrong, got.failed()...)...)
}

// openJournal returns a journald sink, at DEBUG, when this machine has the
// systemd journal, or else why it was skipped.
func openJournal() (*journald.Handler, string) {
	if _, err := os.Stat(journald.DefaultSocket); err != nil {
		return nil, "no journal socket here (" + err.Error() + ")"
	}
	jd, err := journald.New(&journald.Options{Level: slog.LevelDebug, Identifier: "quickstart"})
	if err != nil {
		return nil, err.Error()
	}
	return jd, ""
}

// sinkType names the type of sink h is, or wraps (config wraps a sink in
// multi.MinLevel when the document sets a level for every sink).
func sinkType(h slog.Handler) string {
	for {
		switch x := h.(type) {
		case *console.Handler:
			return "console"
		case *file.Handler:
			return "file"
		case *httpsink.Handler:
			return "http"
		case *wssink.Handler:
			return "websocket"
		case *otlpsink.Handler:
			return "otlp"
		case *syslog.Handler:
			return "syslog"
		case *journald.Handler:
			return "journald"
		case interface{ Unwrap() slog.Handler }:
			h = x.Unwrap()
		default:
			return fmt.Sprintf("%T", h)
		}
	}
}

// received collects what the receivers got, by receiver, and the errors
// they met.
type received struct {
	mu    sync.Mutex
	lines map[string][]string
	errs  []error
}

// receivers are the receivers, named as sinkType names their sinks.
var receivers = []string{"http", "websocket", "otlp", "syslog"}

// count returns how many records the receiver of a sink of type typ got,
// and false for a sink without a receiver here (console, file, journald).
func (r *received) count(typ string) (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, who := range receivers {
		if who == typ {
			return len(r.lines[who]), true
		}
	}
	return 0, false
}

// fail records an error of a receiver: a request or a frame it could not
// read.
func (r *received) fail(who string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Errorf("%s receiver: %w", who, err))
}

func (r *received) failed() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.errs
}

func (r *received) add(who string, records [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lines == nil {
		r.lines = make(map[string][]string)
	}
	for _, rec := range records {
		if len(rec) > 0 {
			r.lines[who] = append(r.lines[who], string(rec))
		}
	}
}

func (r *received) print(out io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, who := range receivers {
		fmt.Fprintf(out, "%s receiver got %d records:\n", who, len(r.lines[who]))
		for _, l := range r.lines[who] {
			fmt.Fprintf(out, "  %s\n", printable(l))
		}
	}
}

// serve starts h on a free loopback port and returns its base URL.
func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// findFile returns the file sink of the tree.
func findFile(h *multi.Handler) *file.Handler {
	for _, c := range h.Handlers() {
		for c != nil {
			if f, ok := c.(*file.Handler); ok {
				return f
			}
			u, _ := c.(interface{ Unwrap() slog.Handler })
			if u == nil {
				break
			}
			c = u.Unwrap()
		}
	}
	panic("quickstart: multi.yaml has no file sink")
}
