package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/vltest"
	"github.com/jinpy-utils/multi/otlpsink"
)

// otlpImpl is one way of sending slog records over OTLP/HTTP (protobuf,
// gzip), with the defaults a team gets.
type otlpImpl struct {
	name string
	new  func(tb testing.TB, endpoint string) (slog.Handler, func(context.Context) error, func() string)
}

func otlpImpls() []otlpImpl {
	return []otlpImpl{
		{"multi", func(tb testing.TB, endpoint string) (slog.Handler, func(context.Context) error, func() string) {
			h, err := otlpsink.New(&otlpsink.Options{Endpoint: endpoint, Compression: otlpsink.Gzip})
			if err != nil {
				tb.Fatal(err)
			}
			return h, h.Shutdown, func() string { return fmt.Sprintf("%+v", h.Stats()) }
		}},
		// multi-spool is otlpsink with a disk spool, its one option that is
		// not a default here: a full queue and an outage go to disk
		// instead of being dropped.
		{"multi-spool", func(tb testing.TB, endpoint string) (slog.Handler, func(context.Context) error, func() string) {
			h, err := otlpsink.New(&otlpsink.Options{Endpoint: endpoint, Compression: otlpsink.Gzip,
				Spool: delivery.Spool{Dir: tb.TempDir()}})
			if err != nil {
				tb.Fatal(err)
			}
			return h, h.Shutdown, func() string { return fmt.Sprintf("%+v", h.Stats()) }
		}},
		{"otelsdk", func(tb testing.TB, endpoint string) (slog.Handler, func(context.Context) error, func() string) {
			exp, err := otlploghttp.New(context.Background(),
				otlploghttp.WithEndpointURL(endpoint),
				otlploghttp.WithCompression(otlploghttp.GzipCompression))
			if err != nil {
				tb.Fatal(err)
			}
			lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(exp)))
			h := otelslog.NewHandler("bench", otelslog.WithLoggerProvider(lp))
			return h, lp.Shutdown, func() string { return "" }
		}},
	}
}

// logRecord is the record every figure is made of: a message and five
// attributes of slog's common kinds.
func logRecord(l *slog.Logger) {
	l.Info("request handled", "path", "/api/v1/items", "status", 200, "bytes", 5120, "took", 3*time.Millisecond, "ok", true)
}

// logNumbered is logRecord with the phase's name and a number of its own,
// so that what VictoriaLogs holds is counted by phase and by record: a
// batch that a phase's Shutdown gave up on, arriving during the next
// phase, counts for neither, and a record held twice is seen as such.
func logNumbered(l *slog.Logger, run string, seq int64) {
	l.Info("request handled", "path", "/api/v1/items", "status", 200, "bytes", 5120, "took", 3*time.Millisecond, "ok", true,
		"run", run, "seq", seq)
}

// sinkServer is a loopback OTLP receiver that reads every body and
// answers 200 with an empty ExportLogsServiceResponse.
func sinkServer(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/v1/logs"
}

// BenchmarkOTLP is the caller's cost of one record through slog.Logger,
// with package otlpsink and with the OpenTelemetry SDK (otelslog over a
// LoggerProvider with a BatchProcessor and the otlploghttp exporter),
// both sending gzipped protobuf to a loopback server that discards what
// it gets. TestOTLPComparison runs it in interleaved rounds, with the
// figures that need a real collector.
func BenchmarkOTLP(b *testing.B) {
	for _, im := range otlpImpls() {
		b.Run("impl="+im.name, func(b *testing.B) { benchOTLPCaller(b, im) })
	}
}

func benchOTLPCaller(b *testing.B, im otlpImpl) {
	h, shutdown, _ := im.new(b, sinkServer(b))
	l := slog.New(h)
	b.ReportAllocs()
	for b.Loop() {
		logRecord(l)
	}
	b.StopTimer()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	shutdown(ctx)
}

// countingProxy stands in front of VictoriaLogs: it counts the request
// body bytes it is sent (compressed, as on the wire) and, while down is
// set, answers 503 without forwarding.
type countingProxy struct {
	target string
	bytes  atomic.Int64
	down   atomic.Bool
	client http.Client
}

func (p *countingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	p.bytes.Add(int64(len(body)))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if p.down.Load() {
		http.Error(w, "collector down", http.StatusServiceUnavailable)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, p.target+r.URL.Path, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for _, k := range []string{"Content-Type", "Content-Encoding"} {
		if v := r.Header.Get(k); v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if v := resp.Header.Get("Content-Type"); v != "" {
		w.Header().Set("Content-Type", v)
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func startProxy(t *testing.T, target string) (*countingProxy, string) {
	t.Helper()
	p := &countingProxy{target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return p, "http://" + ln.Addr().String() + "/insert/opentelemetry/v1/logs"
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// otlpRun is what one run of one implementation measured.
type otlpRun struct {
	nsOp, allocsOp  float64
	burstLost       int
	burstDup        int // records VictoriaLogs holds more than once: held - distinct
	outageDup       int
	cpuPerRec       time.Duration // per record delivered
	cpuPerLogged    time.Duration // per record logged, delivered or not
	bytesPerRec     float64
	outageLost      int
	burstStats      string
	outageStats     string
	burstDelivered  int
	outageDelivered int
}

const (
	burstRecords    = 200_000
	burstGoroutines = 4
	outageRate      = 2000 // records a second
	outageRun       = 20 * time.Second
	outageStart     = 5 * time.Second
	outageLength    = 10 * time.Second
)

// TestOTLPComparison is issue 12's side-by-side comparison of package
// otlpsink and the OpenTelemetry SDK, each with its defaults and gzip, in
// interleaved runs (multi, otelsdk, multi, ...) against a real
// VictoriaLogs, and logs a Markdown table of the medians (see OTLP.md).
// It takes about ten minutes, so it runs only with MULTI_BENCH_OTLP=1:
//
//	cd bench && MULTI_BENCH_OTLP=1 go test -run TestOTLPComparison -v -timeout 60m .
//
// MULTI_BENCH_OTLP_RUNS sets the number of runs of each (default 5).
func TestOTLPComparison(t *testing.T) {
	if os.Getenv("MULTI_BENCH_OTLP") == "" {
		t.Skip("the OTLP comparison takes minutes: run it with MULTI_BENCH_OTLP=1 go test -run TestOTLPComparison -v -timeout 60m . (in bench/)")
	}
	runs := 5
	if s := os.Getenv("MULTI_BENCH_OTLP_RUNS"); s != "" {
		fmt.Sscan(s, &runs)
	}
	vl := vltest.Start(t)
	proxy, endpoint := startProxy(t, vl.Base)
	impls := otlpImpls()
	results := make(map[string][]otlpRun)
	for round := range runs {
		for _, im := range impls {
			var r otlpRun
			br := testing.Benchmark(func(b *testing.B) { benchOTLPCaller(b, im) })
			r.nsOp = float64(br.T.Nanoseconds()) / float64(br.N)
			r.allocsOp = float64(br.MemAllocs) / float64(br.N)
			burst(t, vl, proxy, endpoint, im, &r, fmt.Sprintf("%s-%d-burst", im.name, round))
			outage(t, vl, proxy, endpoint, im, &r, fmt.Sprintf("%s-%d-outage", im.name, round))
			t.Logf("round %d %s: %.0f ns/op %.1f allocs/op; burst: %d delivered, %d lost, %d duplicated, %v CPU/record delivered, %v CPU/record logged, %.1f B/record %s; outage: %d delivered, %d lost, %d duplicated %s",
				round+1, im.name, r.nsOp, r.allocsOp, r.burstDelivered, r.burstLost, r.burstDup, r.cpuPerRec, r.cpuPerLogged, r.bytesPerRec, r.burstStats,
				r.outageDelivered, r.outageLost, r.outageDup, r.outageStats)
			results[im.name] = append(results[im.name], r)
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n| impl | caller ns/op | allocs/op | CPU µs/delivered record | CPU µs/logged record | burst lost (of %d) | burst duplicated | outage lost (of %d) | outage duplicated | wire B/record |\n",
		burstRecords, int(outageRun/time.Second)*outageRate)
	sb.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, im := range impls {
		rs := results[im.name]
		fmt.Fprintf(&sb, "| %s | %.0f | %.1f | %.2f | %.2f | %.0f | %.0f | %.0f | %.0f | %.1f |\n", im.name,
			median(rs, func(r otlpRun) float64 { return r.nsOp }),
			median(rs, func(r otlpRun) float64 { return r.allocsOp }),
			median(rs, func(r otlpRun) float64 { return float64(r.cpuPerRec) / 1e3 }),
			median(rs, func(r otlpRun) float64 { return float64(r.cpuPerLogged) / 1e3 }),
			median(rs, func(r otlpRun) float64 { return float64(r.burstLost) }),
			median(rs, func(r otlpRun) float64 { return float64(r.burstDup) }),
			median(rs, func(r otlpRun) float64 { return float64(r.outageLost) }),
			median(rs, func(r otlpRun) float64 { return float64(r.outageDup) }),
			median(rs, func(r otlpRun) float64 { return r.bytesPerRec }))
	}
	t.Logf("medians of %d interleaved runs:%s", runs, sb.String())
}

func median(rs []otlpRun, f func(otlpRun) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// held is how many records of run VictoriaLogs holds, and how many of
// them are distinct, after a flush.
func held(t *testing.T, vl *vltest.Server, run string) (n, distinct int) {
	t.Helper()
	vl.Flush(t)
	q := fmt.Sprintf(`run:%q | stats count() c, count_uniq(seq) u`, run)
	rows := vl.Query(t, q)
	if len(rows) != 1 {
		t.Fatalf("%s: %d rows", q, len(rows))
	}
	n, _ = strconv.Atoi(rows[0]["c"])
	distinct, _ = strconv.Atoi(rows[0]["u"])
	return n, distinct
}

func shutdownWithin(t *testing.T, shutdown func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		t.Logf("Shutdown: %v", err)
	}
}

// burst logs 200,000 records from 4 goroutines as fast as they go, then
// shuts down; it measures the process's CPU time over the burst and the
// Shutdown (the proxy's share included, the same for both), the records
// VictoriaLogs then holds and the compressed body bytes sent.
func burst(t *testing.T, vl *vltest.Server, proxy *countingProxy, endpoint string, im otlpImpl, r *otlpRun, run string) {
	h, shutdown, stats := im.new(t, endpoint)
	l := slog.New(h)
	proxy.bytes.Store(0)
	cpu0 := cpuTime()
	var wg sync.WaitGroup
	var seq atomic.Int64
	for range burstGoroutines {
		wg.Go(func() {
			for range burstRecords / burstGoroutines {
				logNumbered(l, run, seq.Add(1))
			}
		})
	}
	wg.Wait()
	shutdownWithin(t, shutdown)
	cpu := cpuTime() - cpu0
	sent := proxy.bytes.Load()
	n, distinct := held(t, vl, run)
	r.burstDelivered = distinct
	r.burstLost, r.burstDup = burstRecords-distinct, n-distinct
	r.burstStats = stats()
	r.cpuPerLogged = cpu / burstRecords
	if r.burstDelivered > 0 {
		r.cpuPerRec = cpu / time.Duration(r.burstDelivered)
		r.bytesPerRec = float64(sent) / float64(r.burstDelivered)
	}
}

// outage logs 2,000 records a second for 20 s while the proxy answers 503
// from the 5th second to the 15th, then shuts down and counts what
// VictoriaLogs holds.
func outage(t *testing.T, vl *vltest.Server, proxy *countingProxy, endpoint string, im otlpImpl, r *otlpRun, run string) {
	h, shutdown, stats := im.new(t, endpoint)
	l := slog.New(h)
	const tick = 10 * time.Millisecond
	per := outageRate * int(tick) / int(time.Second)
	tk := time.NewTicker(tick)
	defer tk.Stop()
	start := time.Now()
	sent := 0
	for sent < int(outageRun/time.Second)*outageRate {
		<-tk.C
		since := time.Since(start)
		proxy.down.Store(since >= outageStart && since < outageStart+outageLength)
		for range per {
			sent++
			logNumbered(l, run, int64(sent))
		}
	}
	proxy.down.Store(false)
	shutdownWithin(t, shutdown)
	n, distinct := held(t, vl, run)
	r.outageDelivered = distinct
	r.outageLost, r.outageDup = sent-distinct, n-distinct
	r.outageStats = stats()
}
