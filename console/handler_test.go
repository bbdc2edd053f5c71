package console_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/console"
	"github.com/jinpy-utils/multi/format"
)

var (
	ctx    = context.Background()
	testAt = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
)

func record(l slog.Level, msg string, attrs ...slog.Attr) slog.Record {
	r := slog.NewRecord(testAt, l, msg, 0)
	r.AddAttrs(attrs...)
	return r
}

func handle(t *testing.T, h slog.Handler, r slog.Record) {
	t.Helper()
	if err := h.Handle(ctx, r); err != nil {
		t.Fatalf("Handle: %v", err)
	}
}

func TestDefaultsAreConsoleAtInfoWithoutColourForABuffer(t *testing.T) {
	for name, opts := range map[string]*console.Options{"nil": nil, "zero": {}} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			h := console.New(&buf, opts)
			if h.Color() {
				t.Error("Color() = true for a bytes.Buffer")
			}
			if h.Enabled(ctx, slog.LevelDebug) || !h.Enabled(ctx, slog.LevelInfo) {
				t.Error("default level is not INFO")
			}
			handle(t, h, record(slog.LevelInfo, "request handled", slog.String("method", "GET"), slog.Int("status", 200)))
			handle(t, h, record(slog.LevelInfo, "no attributes"))
			want := "07:08:09.123 [INFO] request handled {\"method\":\"GET\",\"status\":200}\n" +
				"07:08:09.123 [INFO] no attributes\n"
			if got := buf.String(); got != want {
				t.Errorf("got\n%q\nwant\n%q", got, want)
			}
		})
	}
}

// Setting any option but Format keeps the Console format: the zero Format
// (format.Default) means Console here.
func TestSettingOtherOptionsKeepsConsoleFormat(t *testing.T) {
	var buf bytes.Buffer
	h := console.New(&buf, &console.Options{Level: multi.LevelTrace, Name: "api", Color: console.ColorNever})
	handle(t, h, record(multi.LevelTrace, "deep"))
	if want := "07:08:09.123 [TRACE] api: deep\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestColorAlwaysColoursEachLevel(t *testing.T) {
	var buf bytes.Buffer
	h := console.New(&buf, &console.Options{Level: multi.LevelTrace - 4, Color: console.ColorAlways})
	if !h.Color() {
		t.Fatal("Color() = false with ColorAlways")
	}
	for _, l := range []slog.Level{
		multi.LevelTrace - 1, multi.LevelTrace, slog.LevelDebug, slog.LevelInfo, slog.LevelInfo + 2,
		slog.LevelWarn, slog.LevelError, multi.LevelCritical, multi.LevelCritical + 3,
	} {
		handle(t, h, record(l, "m", slog.Int("n", 1)))
	}
	want := "07:08:09.123 \x1b[90m[TRACE-1]\x1b[0m m {\"n\":1}\n" +
		"07:08:09.123 \x1b[90m[TRACE]\x1b[0m m {\"n\":1}\n" +
		"07:08:09.123 \x1b[36m[DEBUG]\x1b[0m m {\"n\":1}\n" +
		"07:08:09.123 \x1b[32m[INFO]\x1b[0m m {\"n\":1}\n" +
		"07:08:09.123 \x1b[32m[INFO+2]\x1b[0m m {\"n\":1}\n" +
		"07:08:09.123 \x1b[33m[WARN]\x1b[0m m {\"n\":1}\n" +
		"07:08:09.123 \x1b[31m[ERROR]\x1b[0m m {\"n\":1}\n" +
		"07:08:09.123 \x1b[35m[CRITICAL]\x1b[0m m {\"n\":1}\n" +
		"07:08:09.123 \x1b[35m[CRITICAL+3]\x1b[0m m {\"n\":1}\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestColorNeverAndOtherFormatsAreNotColoured(t *testing.T) {
	t.Setenv("FORCE_COLOR", "1")
	var buf bytes.Buffer
	h := console.New(&buf, &console.Options{Color: console.ColorNever})
	handle(t, h, record(slog.LevelError, "x"))
	if h.Color() || buf.String() != "07:08:09.123 [ERROR] x\n" {
		t.Errorf("ColorNever under FORCE_COLOR: Color() = %v, wrote %q", h.Color(), buf.String())
	}
	for _, f := range []format.Format{format.JSON, format.Text, format.Plain, format.Structured} {
		buf.Reset()
		h := console.New(&buf, &console.Options{Format: f, Color: console.ColorAlways})
		handle(t, h, record(slog.LevelError, "x"))
		if h.Color() || strings.ContainsRune(buf.String(), '\x1b') {
			t.Errorf("%v with ColorAlways: Color() = %v, wrote %q", f, h.Color(), buf.String())
		}
	}
}

func TestEnvironmentDecidesAutoColour(t *testing.T) {
	var buf bytes.Buffer
	t.Setenv("NO_COLOR", "")
	t.Setenv("FORCE_COLOR", "1")
	if !console.New(&buf, nil).Color() {
		t.Error("FORCE_COLOR=1: no colour for a buffer")
	}
	t.Setenv("FORCE_COLOR", "")
	if console.New(&buf, nil).Color() {
		t.Error("no FORCE_COLOR: colour for a buffer")
	}
}

// The JSON format is byte for byte slog's JSONHandler, with our level names.
func TestJSONFormatIsSlogs(t *testing.T) {
	var ours, theirs bytes.Buffer
	h := console.New(&ours, &console.Options{Format: format.JSON, Level: slog.LevelDebug})
	s := slog.NewJSONHandler(&theirs, &slog.HandlerOptions{Level: slog.LevelDebug})
	r := record(slog.LevelWarn, "disk almost full", slog.String("dev", "/dev/sda1"), slog.Float64("used", 0.93),
		slog.Group("host", slog.String("name", "db1"), slog.Int("cpu", 8)))
	handle(t, h.WithAttrs([]slog.Attr{slog.Bool("canary", true)}).WithGroup("g"), r)
	handle(t, s.WithAttrs([]slog.Attr{slog.Bool("canary", true)}).WithGroup("g"), r)
	if ours.String() != theirs.String() {
		t.Errorf("ours\n%s\nslog's\n%s", ours.Bytes(), theirs.Bytes())
	}
}

func TestTimeFormatNameAndSource(t *testing.T) {
	var buf bytes.Buffer
	h := console.New(&buf, &console.Options{TimeFormat: time.DateTime, Name: "billing", AddSource: true})
	logger := slog.New(h)
	logger.Info("charged", "cents", 1999) // the source line is the next-to-last line of this assignment
	line := buf.String()
	prefix := time.Now().Format("2006-01-02 ")
	if !strings.HasPrefix(line, prefix) {
		t.Errorf("line %q does not start with today's date %q", line, prefix)
	}
	_, rest, _ := strings.Cut(line[len(time.DateTime):], " ")
	if !strings.HasPrefix(rest, "[INFO] billing: console/handler_test.go:") ||
		!strings.HasSuffix(rest, `: charged {"cents":1999}`+"\n") {
		t.Errorf("line = %q", line)
	}
}

func TestLevelVarChangesTheLevelAtRunTime(t *testing.T) {
	var buf bytes.Buffer
	var lv slog.LevelVar
	lv.Set(slog.LevelWarn)
	h := console.New(&buf, &console.Options{Level: &lv})
	if h.Enabled(ctx, slog.LevelInfo) {
		t.Fatal("INFO enabled at WARN")
	}
	lv.Set(multi.LevelTrace)
	if !h.Enabled(ctx, multi.LevelTrace) {
		t.Fatal("TRACE not enabled after lv.Set(TRACE)")
	}
}

// Nothing a caller logs reaches the terminal as a control character: every
// ESC in the output is one of the level colour's, and every line is one
// record.
func TestControlCharactersAreEscapedNotWritten(t *testing.T) {
	const (
		forged = "ok\n07:08:09.123 [ERROR] forged line\r"
		title  = "\x1b]0;pwned\x07" // OSC: set the window title
		cursor = "\x1b[2J\x1b[1;1H\x1b[1A"
		c1CSI  = "\u009b31m" // the 8-bit CSI
	)
	var buf bytes.Buffer
	h := console.New(&buf, &console.Options{Color: console.ColorAlways, Name: "n\x1b[2J"})
	handle(t, h, record(slog.LevelWarn, forged+title+cursor+c1CSI+"\x7f\x00\t",
		slog.String("k\r\n"+title, forged+cursor+c1CSI),
		slog.Group("g\x1b[31m", slog.String("a", "\x1b]2;t\x1b\\")),
		slog.Any("err", errors.New("boom\n\x1b[5m")),
	))
	want := `07:08:09.123 ` + "\x1b[33m[WARN]\x1b[0m" + ` n\x1b[2J: ok\n07:08:09.123 [ERROR] forged line\r\x1b]0;pwned\x07\x1b[2J\x1b[1;1H\x1b[1A\u009b31m\x7f\x00\t` +
		` {"k\r\n\u001b]0;pwned\u0007":"ok\n07:08:09.123 [ERROR] forged line\r\u001b[2J\u001b[1;1H\u001b[1A\u009b31m",` +
		`"g\u001b[31m":{"a":"\u001b]2;t\u001b\\"},"err":"boom\n\u001b[5m"}` + "\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	assertNoControls(t, buf.String(), 2) // the colour and its reset
}

// assertNoControls fails if s holds a control character other than the
// newline ending it and colourESCs ESC characters (those of the level
// colour), or a raw C1 control.
func assertNoControls(t *testing.T, s string, colourESCs int) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("not one line: %q", s)
	}
	if n := strings.Count(s, "\x1b"); n != colourESCs {
		t.Errorf("%d ESC characters, want %d (the level colour's): %q", n, colourESCs, s)
	}
	for _, r := range strings.TrimSuffix(s, "\n") {
		if (r < 0x20 && r != 0x1b) || (r >= 0x7f && r <= 0x9f) {
			t.Errorf("raw control %U in %q", r, s)
		}
	}
}

func TestControlCharactersInEveryFormat(t *testing.T) {
	evil := "a\nb\rc\x1b[31md\x1b]0;t\x07e\x00f\x08g"
	for _, f := range []format.Format{format.Console, format.Plain, format.Structured, format.Text, format.JSON} {
		t.Run(f.String(), func(t *testing.T) {
			var buf bytes.Buffer
			h := console.New(&buf, &console.Options{Format: f, Name: evil, Color: console.ColorNever})
			handle(t, h.WithAttrs([]slog.Attr{slog.String(evil, evil)}).WithGroup(evil),
				record(slog.LevelInfo, evil, slog.String(evil, evil), slog.Any(evil, errors.New(evil))))
			// The JSON and Text formats are slog's byte for byte, which leaves
			// DEL and the C1 controls raw; none are in evil.
			assertNoControls(t, buf.String(), 0)
		})
	}
}

// readLines reads r in the background until the write end is closed; the
// function it returns waits for that and returns the lines.
func readLines(t *testing.T, r *os.File) func() []string {
	t.Helper()
	done := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if err := sc.Err(); err != nil {
			t.Errorf("read pipe: %v", err)
		}
		done <- lines
	}()
	return func() []string { return <-done }
}

// 32 goroutines log through handlers derived from one New to a real pipe,
// records longer than the kernel writes atomically (PIPE_BUF, 4 KiB), while
// a reader parses every line back: each one whole, each record once. An
// *os.File already serialises its own Writes, so the test also runs through
// a writer that passes each Write on in small pieces, as a slow device
// might, and keeps lines whole only under the handler's lock.
func TestConcurrentLinesNeverInterleave(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		name := "os.File"
		if chunked {
			name = "chunked"
		}
		t.Run(name, func(t *testing.T) { testConcurrentLines(t, chunked) })
	}
}

// chunkWriter writes p to w in pieces of at most 256 bytes, yielding the
// processor between them.
type chunkWriter struct{ w io.Writer }

func (c chunkWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k, err := c.w.Write(p[:min(256, len(p))])
		n += k
		if err != nil {
			return n, err
		}
		p = p[k:]
		runtime.Gosched()
	}
	return n, nil
}

func testConcurrentLines(t *testing.T, chunked bool) {
	const goroutines, perG = 32, 40
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	lines := readLines(t, r)
	var w io.Writer = pw
	if chunked {
		w = chunkWriter{pw}
	}
	root := console.New(w, &console.Options{Format: format.JSON})
	pad := strings.Repeat("x", 5000)
	var wg sync.WaitGroup
	for g := range goroutines {
		h := root.WithAttrs([]slog.Attr{slog.Int("g", g)}).WithGroup("rec")
		wg.Go(func() {
			for i := range perG {
				if err := h.Handle(ctx, record(slog.LevelInfo, "m", slog.Int("i", i), slog.String("pad", pad))); err != nil {
					t.Errorf("Handle: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := root.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	got := lines()
	if len(got) != goroutines*perG {
		t.Fatalf("read %d lines, want %d", len(got), goroutines*perG)
	}
	seen := make(map[[2]int]bool)
	for _, l := range got {
		var rec struct {
			Msg string `json:"msg"`
			G   *int   `json:"g"`
			Rec struct {
				I   *int   `json:"i"`
				Pad string `json:"pad"`
			} `json:"rec"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec.G == nil || rec.Rec.I == nil || rec.Rec.Pad != pad {
			t.Fatalf("a line is not one whole record (%v): %.200q", err, l)
		}
		k := [2]int{*rec.G, *rec.Rec.I}
		if seen[k] {
			t.Fatalf("record %v read twice", k)
		}
		seen[k] = true
	}
	st := root.Stats()
	if st.Written != goroutines*perG || st.Dropped != 0 || st.Failed != 0 {
		t.Errorf("stats: written %d dropped %d failed %d", st.Written, st.Dropped, st.Failed)
	}
	var bytesRead uint64
	for _, l := range got {
		bytesRead += uint64(len(l)) + 1
	}
	if st.Bytes != bytesRead {
		t.Errorf("bytes = %d, read %d", st.Bytes, bytesRead)
	}
}

// A *bufio.Writer is not safe for concurrent use; the shared lock makes it
// so, Flush included. The race detector checks this test.
func TestBufferedWriterIsSafeAndFlushed(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	lines := readLines(t, r)
	bw := bufio.NewWriterSize(w, 4096)
	h := console.New(bw, &console.Options{Format: format.JSON})
	var wg sync.WaitGroup
	for g := range 8 {
		hg := h.WithAttrs([]slog.Attr{slog.Int("g", g)})
		wg.Go(func() {
			for i := range 300 {
				if err := hg.Handle(ctx, record(slog.LevelInfo, "m", slog.Int("i", i))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 100 {
			if err := h.Flush(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if bw.Buffered() != 0 {
		t.Errorf("%d bytes still buffered after Flush", bw.Buffered())
	}
	w.Close()
	if got := len(lines()); got != 8*300 {
		t.Errorf("read %d lines, want %d", got, 8*300)
	}
}

// switchWriter writes to whichever file it holds now: a failing one, then a
// working one, so one handler sees a real failure and then a real success.
type switchWriter struct{ f atomic.Pointer[os.File] }

func (s *switchWriter) Write(p []byte) (int, error) { return s.f.Load().Write(p) }

type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) handle(err error) { l.mu.Lock(); l.errs = append(l.errs, err); l.mu.Unlock() }
func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

func TestWriteErrorsAreCountedReportedAndRecovered(t *testing.T) {
	closedPipe := func(t *testing.T) *os.File {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		t.Cleanup(func() { w.Close() })
		return w
	}
	devFull := func(t *testing.T) *os.File {
		f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
		if err != nil {
			t.Skipf("no /dev/full: %v", err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	for _, tt := range []struct {
		name  string
		open  func(*testing.T) *os.File
		errno syscall.Errno
	}{
		{"closed pipe", closedPipe, syscall.EPIPE},
		{"full disk", devFull, syscall.ENOSPC},
	} {
		t.Run(tt.name, func(t *testing.T) {
			good, err := os.Create(filepath.Join(t.TempDir(), "good.log"))
			if err != nil {
				t.Fatal(err)
			}
			defer good.Close()
			sw := &switchWriter{}
			sw.f.Store(tt.open(t))
			var reported errorLog
			h := console.New(sw, &console.Options{ErrorHandler: reported.handle})

			if !h.Healthy() {
				t.Error("unhealthy before the first write")
			}
			for i := range 3 {
				err := h.Handle(ctx, record(slog.LevelError, "lost", slog.Int("i", i)))
				if !errors.Is(err, tt.errno) {
					t.Fatalf("Handle = %v, want %v", err, tt.errno)
				}
			}
			if h.Healthy() {
				t.Error("healthy after failed writes")
			}
			st := h.Stats()
			if st.Failed != 3 || st.Dropped != 3 || st.Written != 0 || st.Bytes != 0 || !st.LastWrite.IsZero() {
				t.Errorf("stats after 3 failures = %+v", st)
			}
			if !errors.Is(st.LastError, tt.errno) || st.LastErrorTime.IsZero() {
				t.Errorf("LastError = %v at %v", st.LastError, st.LastErrorTime)
			}
			errs := reported.all()
			if len(errs) != 3 {
				t.Fatalf("ErrorHandler called %d times, want 3", len(errs))
			}
			for _, err := range errs {
				if !errors.Is(err, tt.errno) || !strings.HasPrefix(err.Error(), "console: write: ") {
					t.Errorf("reported %v", err)
				}
			}

			sw.f.Store(good)
			handle(t, h, record(slog.LevelInfo, "back"))
			if !h.Healthy() {
				t.Error("unhealthy after a good write")
			}
			st = h.Stats()
			if st.Written != 1 || st.Failed != 3 || st.Dropped != 3 || !st.LastWrite.Equal(testAt) {
				t.Errorf("stats after recovery = %+v", st)
			}
			b, err := os.ReadFile(good.Name())
			if err != nil {
				t.Fatal(err)
			}
			// Only the good record: no error text was written to a stream.
			if want := "07:08:09.123 [INFO] back\n"; string(b) != want {
				t.Errorf("good.log = %q, want %q", b, want)
			}
			if st.Bytes != uint64(len(b)) {
				t.Errorf("bytes = %d, want %d", st.Bytes, len(b))
			}
			if len(reported.all()) != 3 {
				t.Error("ErrorHandler called for a good write")
			}
		})
	}
}

// shortWriter accepts less than it is given, without an error, breaking
// the io.Writer contract.
type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

func TestShortWriteIsAFailure(t *testing.T) {
	var reported errorLog
	h := console.New(shortWriter{}, &console.Options{ErrorHandler: reported.handle})
	if err := h.Handle(ctx, record(slog.LevelInfo, "half")); !errors.Is(err, io.ErrShortWrite) {
		t.Fatalf("Handle = %v, want io.ErrShortWrite", err)
	}
	if st := h.Stats(); st.Failed != 1 || st.Dropped != 1 || st.Written != 0 || h.Healthy() {
		t.Errorf("stats = %+v, healthy %v", st, h.Healthy())
	}
	if len(reported.all()) != 1 {
		t.Error("short write not reported")
	}
}

func TestNoErrorHandlerIsFine(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	h := console.New(f, nil)
	if err := h.Handle(ctx, record(slog.LevelInfo, "x")); err == nil {
		t.Fatal("no error writing to /dev/full")
	}
	if st := h.Stats(); st.Failed != 1 {
		t.Errorf("failed = %d", st.Failed)
	}
}

// syncRecorder is a writer with Flush and Sync methods that records calls.
type syncRecorder struct {
	bytes.Buffer
	flushes, syncs int
	syncErr        error
}

func (s *syncRecorder) Flush() error { s.flushes++; return nil }
func (s *syncRecorder) Sync() error  { s.syncs++; return s.syncErr }

// The console holds nothing to release: after Shutdown it writes records
// as before, returns nil, and flushes a buffering writer after each one,
// since nobody may call Flush again.
func TestShutdownKeepsWritingLaterRecords(t *testing.T) {
	var w syncRecorder
	var reported errorLog
	h := console.New(&w, &console.Options{ErrorHandler: reported.handle})
	child := h.WithGroup("g").WithAttrs([]slog.Attr{slog.Int("a", 1)}).(*console.Handler)
	handle(t, child, record(slog.LevelInfo, "before"))

	if err := child.Shutdown(ctx); err != nil { // any derived handler shuts the destination
		t.Fatal(err)
	}
	if w.flushes != 1 || w.syncs != 1 {
		t.Errorf("shutdown flushed %d and synced %d times, want 1 and 1", w.flushes, w.syncs)
	}
	for i, hh := range []*console.Handler{h, child} {
		if err := hh.Handle(ctx, record(slog.LevelInfo, "after")); err != nil {
			t.Errorf("Handle after Shutdown = %v, want nil", err)
		}
		if w.flushes != 2+i {
			t.Errorf("record %d after Shutdown: writer flushed %d times, want %d (once per record)", i, w.flushes, 2+i)
		}
	}
	if err := h.Flush(ctx); err != nil {
		t.Errorf("Flush after Shutdown = %v, want nil", err)
	}
	if err := h.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown = %v", err)
	}
	if w.syncs != 1 {
		t.Errorf("second Shutdown synced again")
	}
	st := h.Stats()
	if st.Written != 3 || st.Dropped != 0 || st.Failed != 0 || st.LastError != nil {
		t.Errorf("stats = %+v, want 3 written and nothing else", st)
	}
	want := `07:08:09.123 [INFO] before {"g":{"a":1}}` + "\n" +
		`07:08:09.123 [INFO] after` + "\n" +
		`07:08:09.123 [INFO] after {"g":{"a":1}}` + "\n"
	if w.String() != want {
		t.Errorf("wrote %q, want %q", w.String(), want)
	}
	if len(reported.all()) != 0 {
		t.Errorf("ErrorHandler told of %v, want nothing", reported.all())
	}
}

// A buffering writer whose flush fails after Shutdown: the record is
// counted as dropped and the error reported, as for a failed write.
func TestAFailedFlushAfterShutdownIsADrop(t *testing.T) {
	w := &flushErr{}
	var reported errorLog
	h := console.New(w, &console.Options{ErrorHandler: reported.handle})
	if err := h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	w.err = syscall.ENOSPC
	err := h.Handle(ctx, record(slog.LevelInfo, "after"))
	if !errors.Is(err, syscall.ENOSPC) || err.Error() != "console: flush: "+syscall.ENOSPC.Error() {
		t.Errorf("Handle = %v, want console: flush: ENOSPC", err)
	}
	if st := h.Stats(); st.Dropped != 1 || st.Failed != 1 || st.Written != 0 {
		t.Errorf("stats = %+v, want 1 dropped, 1 failed", st)
	}
	if got := reported.all(); len(got) != 1 || !errors.Is(got[0], syscall.ENOSPC) {
		t.Errorf("ErrorHandler told of %v, want the flush error", got)
	}
	if h.Healthy() {
		t.Error("Healthy after a failed flush")
	}
}

// flushErr is a buffer whose Flush returns err.
type flushErr struct {
	bytes.Buffer
	err error
}

func (f *flushErr) Flush() error { return f.err }

func TestShutdownReportsASyncFailureButNotAnUnsyncableWriter(t *testing.T) {
	var reported errorLog
	w := &syncRecorder{syncErr: syscall.EIO}
	h := console.New(w, &console.Options{ErrorHandler: reported.handle})
	err := h.Shutdown(ctx)
	if !errors.Is(err, syscall.EIO) || err.Error() != "console: shutdown: sync: input/output error" {
		t.Errorf("Shutdown = %v", err)
	}
	if len(reported.all()) != 1 || h.Healthy() {
		t.Errorf("sync failure: reported %v, healthy %v", reported.all(), h.Healthy())
	}

	// Real descriptors that cannot be synced: Sync says EINVAL.
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer pw.Close()
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	for _, f := range []*os.File{pw, devNull} {
		var reported errorLog
		h := console.New(f, &console.Options{ErrorHandler: reported.handle})
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown on %s = %v", f.Name(), err)
		}
		if errs := reported.all(); len(errs) != 0 {
			t.Errorf("Shutdown on %s reported %v, want nothing: it cannot be synced, which is no failure", f.Name(), errs)
		}
		if st := h.Stats(); st.Failed != 0 || st.LastError != nil || !h.Healthy() {
			t.Errorf("Shutdown on %s: stats %+v, healthy %v; want no failure and healthy", f.Name(), st, h.Healthy())
		}
	}
}

func TestShutdownDoesNotCloseTheWriter(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := console.New(f, nil)
	handle(t, h, record(slog.LevelInfo, "one"))
	if err := multi.Shutdown(ctx, slog.New(h).Handler()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("still open\n"); err != nil {
		t.Fatalf("the file was closed: %v", err)
	}
	b, _ := os.ReadFile(f.Name())
	if string(b) != "07:08:09.123 [INFO] one\nstill open\n" {
		t.Errorf("file = %q", b)
	}
}

func TestSiblingsDoNotShareGroups(t *testing.T) {
	var buf bytes.Buffer
	parent := console.New(&buf, nil).WithGroup("p")
	a := parent.WithGroup("a").WithAttrs([]slog.Attr{slog.Int("x", 1)})
	b := parent.WithGroup("b")
	handle(t, a, record(slog.LevelInfo, "a", slog.Int("y", 2)))
	handle(t, b, record(slog.LevelInfo, "b", slog.Int("y", 3)))
	want := `07:08:09.123 [INFO] a {"p":{"a":{"x":1,"y":2}}}` + "\n" +
		`07:08:09.123 [INFO] b {"p":{"b":{"y":3}}}` + "\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	if h := console.New(&buf, nil); h.WithAttrs(nil) != slog.Handler(h) || h.WithGroup("") != slog.Handler(h) {
		t.Error("WithAttrs(nil) or WithGroup(\"\") made a new handler")
	}
}

func TestInMultiFanOut(t *testing.T) {
	var a, b bytes.Buffer
	ca := console.New(&a, &console.Options{Level: slog.LevelDebug})
	cb := console.New(&b, &console.Options{Format: format.JSON, Level: slog.LevelWarn})
	m := multi.New(ca, cb)
	logger := slog.New(m)
	logger.Debug("d")
	logger.Warn("w")
	st, ok := multi.StatsOf(m)
	if !ok || st.Written != 3 {
		t.Errorf("fan-out stats = %+v, %v; want 3 written", st, ok)
	}
	if err := multi.Shutdown(ctx, m); err != nil {
		t.Fatal(err)
	}
	logger.Error("late") // the console keeps writing after Shutdown
	if st, _ := multi.StatsOf(m); st.Written != 5 || st.Dropped != 0 {
		t.Errorf("after shutdown: written %d, dropped %d; want 5 and 0", st.Written, st.Dropped)
	}
	if !strings.HasSuffix(a.String(), "[ERROR] late\n") || !strings.Contains(b.String(), `"msg":"late"`) {
		t.Errorf("the record after Shutdown is missing:\n%s%s", a.String(), b.String())
	}
}

func TestNewPanicsOnProgrammingErrors(t *testing.T) {
	for name, f := range map[string]func(){
		"nil writer":   func() { console.New(nil, nil) },
		"unknown kind": func() { console.New(io.Discard, &console.Options{Format: format.Format(99)}) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: no panic", name)
				} else if !strings.HasPrefix(r.(string), "console.New: ") {
					t.Errorf("%s: panic %q", name, r)
				}
			}()
			f()
		}()
	}
}

func TestSlogtestJSON(t *testing.T) {
	var buf bytes.Buffer
	slogtest.Run(t, func(*testing.T) slog.Handler {
		buf.Reset()
		return console.New(&buf, &console.Options{Format: format.JSON})
	}, func(t *testing.T) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatalf("%v: %q", err, buf.Bytes())
		}
		return m
	})
}

// An ErrorHandler that logs through the failing handler itself is told
// about the first failure; the failure of its own record is counted, not
// reported again, and nothing recurses.
func TestErrorHandlerMayLogToTheSameFailingHandler(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	var logger *slog.Logger
	var reported errorLog
	h := console.New(f, &console.Options{ErrorHandler: func(err error) {
		reported.handle(err)
		logger.Error("logging failed", "err", err)
	}})
	logger = slog.New(h)
	logger.Info("first")
	logger.Info("second")
	if got := len(reported.all()); got != 2 {
		t.Errorf("ErrorHandler called %d times, want 2", got)
	}
	if st := h.Stats(); st.Failed != 4 || st.Dropped != 4 {
		t.Errorf("failed %d dropped %d, want 4 and 4 (two records, two error records)", st.Failed, st.Dropped)
	}
}

func TestFlushErrorOfABufferingWriterIsCountedAndReported(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	var reported errorLog
	h := console.New(bufio.NewWriter(f), &console.Options{ErrorHandler: reported.handle})
	handle(t, h, record(slog.LevelInfo, "buffered")) // fits in the buffer
	err = h.Flush(ctx)
	if !errors.Is(err, syscall.ENOSPC) || !strings.HasPrefix(err.Error(), "console: flush: ") {
		t.Fatalf("Flush = %v, want ENOSPC", err)
	}
	st := h.Stats()
	if st.Written != 1 || st.Failed != 1 || h.Healthy() || !errors.Is(st.LastError, syscall.ENOSPC) {
		t.Errorf("stats = %+v, healthy %v", st, h.Healthy())
	}
	if errs := reported.all(); len(errs) != 1 || !errors.Is(errs[0], syscall.ENOSPC) {
		t.Errorf("reported %v", errs)
	}
	// Shutdown tries to flush again and says so.
	if err := h.Shutdown(ctx); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Shutdown = %v, want ENOSPC", err)
	}
}
