package httpsink

import (
	"context"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/vltest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/buffer"
)

// logOne is the record every benchmark logs: a message and four
// attributes, which slog.Record holds without allocating.
func logOne(l *slog.Logger, ctx context.Context, i int) {
	l.LogAttrs(ctx, slog.LevelInfo, "request served",
		slog.String("method", "GET"),
		slog.String("path", "/api/v1/items"),
		slog.Int("status", 200+i&7),
		slog.Duration("took", 1234*time.Microsecond))
}

// BenchmarkHandle is the caller's cost per record: slog.JSONHandler to
// io.Discard, and this handler with a fast collector on loopback (the
// sender and the collector run on other goroutines; the caller pays for
// encoding and a queue append).
func BenchmarkHandle(b *testing.B) {
	run := func(b *testing.B, h slog.Handler) {
		l := slog.New(h)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			logOne(l, ctx, i)
		}
		b.StopTimer()
	}
	b.Run("handler=slog.JSONHandler:io.Discard", func(b *testing.B) {
		run(b, slog.NewJSONHandler(io.Discard, nil))
	})
	b.Run("handler=httpsink:loopback", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusNoContent)
		}))
		defer srv.Close()
		// Block, as before the default changed: the caller's cost with
		// every record delivered, not the cost of a refusal.
		h, err := New(srv.URL, &Options{Encoding: NDJSON, Queue: delivery.Queue{OnFull: buffer.Block}})
		if err != nil {
			b.Fatal(err)
		}
		run(b, h)
		h.Shutdown(context.Background())
		if st := h.Stats(); st.Dropped != 0 || st.Failed != 0 {
			b.Fatalf("stats %+v", st)
		}
	})
}

// BenchmarkDurability is the caller's cost of the spool's journal: a
// record of five attributes through slog.Logger into a handler with a fast
// collector on loopback, in memory only (no spool) and with a spool (each
// record also copied into the memory-mapped journal before Handle
// returns). Compare the two with benchstat over -count 6.
func BenchmarkDurability(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	for _, path := range []string{"memory", "journal"} {
		b.Run("path="+path, func(b *testing.B) {
			o := &Options{Encoding: NDJSON, Queue: delivery.Queue{OnFull: buffer.Block}}
			if path == "journal" {
				o.Spool.Dir = b.TempDir()
			}
			h, err := New(srv.URL, o)
			if err != nil {
				b.Fatal(err)
			}
			l := slog.New(h)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				l.LogAttrs(ctx, slog.LevelInfo, "request served",
					slog.String("method", "GET"),
					slog.String("path", "/api/v1/items"),
					slog.Int("status", 200+i&7),
					slog.Duration("took", 1234*time.Microsecond),
					slog.Bool("cached", i&1 == 0))
			}
			b.StopTimer()
			h.Shutdown(context.Background())
			if st := h.Stats(); st.Dropped != 0 || st.Failed != 0 || st.Volatile != 0 || st.Written != uint64(b.N) {
				b.Fatalf("stats %+v, want %d written, none volatile", st, b.N)
			}
		})
	}
}

// BenchmarkDurabilityRatio logs the records of BenchmarkDurability to two
// handlers, one with a spool (so every record also goes to the journal)
// and one without, in alternating rounds of 1000 records, so that both
// see the same machine, and reports the time of the journal's rounds
// over the memory-only ones, the median of the pairs, as the metric
// "journal/memory" (the target is at most 1.3). ns/op is per record of
// either.
func BenchmarkDurabilityRatio(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	open := func(dir string) *Handler {
		h, err := New(srv.URL, &Options{Encoding: NDJSON, Queue: delivery.Queue{OnFull: buffer.Block}, Spool: delivery.Spool{Dir: dir}})
		if err != nil {
			b.Fatal(err)
		}
		return h
	}
	mem, jour := open(""), open(b.TempDir())
	const round = 1000
	ctx := context.Background()
	run := func(l *slog.Logger) time.Duration {
		start := time.Now()
		for i := range round {
			l.LogAttrs(ctx, slog.LevelInfo, "request served",
				slog.String("method", "GET"),
				slog.String("path", "/api/v1/items"),
				slog.Int("status", 200+i&7),
				slog.Duration("took", 1234*time.Microsecond),
				slog.Bool("cached", i&1 == 0))
		}
		return time.Since(start)
	}
	lm, lj := slog.New(mem), slog.New(jour)
	var ratios []float64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 2 * round {
		var dm, dj time.Duration
		if i%(4*round) == 0 {
			dm = run(lm)
			dj = run(lj)
		} else {
			dj = run(lj)
			dm = run(lm)
		}
		ratios = append(ratios, float64(dj)/float64(dm))
	}
	b.StopTimer()
	// The median pair: a round that a neighbour's burst slowed moves it
	// little.
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "journal/memory")
	for _, h := range []*Handler{mem, jour} {
		h.Shutdown(context.Background())
		if st := h.Stats(); st.Dropped != 0 || st.Failed != 0 || st.Volatile != 0 {
			b.Fatalf("stats %+v, want nothing dropped, failed or volatile", st)
		}
	}
}

// BenchmarkHandleCollectorDown times every Handle while the collector is
// down and a spool takes the overflow, and reports the 50th and 99th
// percentiles: the caller never waits on the network, only, once per
// diverted batch, for a file append.
func BenchmarkHandleCollectorDown(b *testing.B) {
	addr := reservePort(b)
	h, err := New("http://"+addr+"/ingest", &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: b.TempDir(), MaxBytes: -1},
		ErrorHandler: func(error) {}}) // its reports would cut the benchmark lines on stderr
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		// The first batch is still in its retries: give up on it (it goes
		// to the spool) rather than wait them out.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		h.Shutdown(ctx)
	}()
	l := slog.New(h)
	ctx := context.Background()
	took := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		logOne(l, ctx, i)
		took[i] = time.Since(start)
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(took[len(took)-1].Nanoseconds()), "max-ns")
}

// sharedVL is one VictoriaLogs for every run of the end-to-end benchmark,
// stopped by TestMain.
var sharedVL struct {
	once sync.Once
	v    *vltest.Server
	stop func()
	dir  string
	err  error
}

// BenchmarkVictoriaLogsNDJSONGzip is delivery to a real VictoriaLogs,
// NDJSON and gzip: b.N records handled, then Shutdown, which returns when
// the last batch was accepted. It reports records per second.
func BenchmarkVictoriaLogsNDJSONGzip(b *testing.B) {
	bin := vltest.Binary(b)
	sharedVL.once.Do(func() {
		sharedVL.dir, sharedVL.err = os.MkdirTemp("", "httpsink-bench-vl-")
		if sharedVL.err == nil {
			sharedVL.v, sharedVL.stop, sharedVL.err = vltest.Launch(bin, sharedVL.dir)
		}
	})
	if sharedVL.err != nil {
		b.Fatal(sharedVL.err)
	}
	for _, spool := range []string{"none", "journal"} {
		b.Run("spool="+spool, func(b *testing.B) {
			o := &Options{Encoding: NDJSON, Compress: true,
				Queue: delivery.Queue{BatchSize: 4096, BatchBytes: 4 << 20, Size: 65536, OnFull: buffer.Block}}
			if spool == "journal" {
				o.Spool.Dir = b.TempDir()
			}
			benchVictoriaLogs(b, o)
		})
	}
}

func benchVictoriaLogs(b *testing.B, o *Options) {
	h, err := New(victoriaLogsURL(sharedVL.v.Base, NDJSON), o)
	if err != nil {
		b.Fatal(err)
	}
	l := slog.New(h).With("enc", "bench")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		logOne(l, ctx, i)
	}
	if err := h.Shutdown(ctx); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if st := h.Stats(); st.Written != uint64(b.N) {
		b.Fatalf("stats %+v, want %d written", st, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedVL.stop != nil {
		sharedVL.stop()
	}
	if sharedVL.dir != "" {
		os.RemoveAll(sharedVL.dir)
	}
	os.Exit(code)
}
