package file

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// One typical request record, about 190 bytes of JSON.
func logRequest(l *slog.Logger) {
	l.Info("request handled",
		"method", "GET",
		"path", "/api/v1/users",
		"status", 200,
		"duration", 1234*time.Microsecond,
		"bytes", 5120,
	)
}

// BenchmarkFile logs records into a real file in a temporary directory:
// this package (rotating at 1 MiB, compressing, 3 backups) against
// slog.JSONHandler over a bufio.Writer on the file (no rotation: the floor).
// The timed part ends with everything written to the file. The comparison
// with lumberjack is in the module under bench/, so that lumberjack never
// enters this module's go.mod.
func BenchmarkFile(b *testing.B) {
	rec := func(b *testing.B) {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	}
	ours := func(opts *Options) func(*testing.B) {
		return func(b *testing.B) {
			h, err := New(filepath.Join(b.TempDir(), "app.log"), opts)
			if err != nil {
				b.Fatal(err)
			}
			l := slog.New(h)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				logRequest(l)
			}
			if err := h.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			rec(b)
			if err := h.Shutdown(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("impl=file", ours(&Options{MaxSize: 1 << 20, MaxBackups: 3, Compress: true}))
	// Rotation on the clock as well as by size, zstd, a total cap: the
	// clock is read once a record.
	b.Run("impl=file-clock-zstd", ours(&Options{MaxSize: 1 << 20, MaxBackups: 3, MaxTotalSize: 8 << 20, RotateEvery: time.Hour, Compression: Zstd}))
	// The same handler without rotation or compression: against
	// slog-bufio, what the encoder and the buffer cost alone.
	b.Run("impl=file-norotate", ours(nil))
	b.Run("impl=slog-bufio", func(b *testing.B) {
		f, err := os.OpenFile(filepath.Join(b.TempDir(), "app.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		bw := bufio.NewWriterSize(f, DefaultBufferSize)
		l := slog.New(slog.NewJSONHandler(bw, nil)) // JSONHandler locks around its writes
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			logRequest(l)
		}
		if err := bw.Flush(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		rec(b)
		f.Close()
	})
}

// BenchmarkFileParallel is BenchmarkFile with all CPUs logging at once.
func BenchmarkFileParallel(b *testing.B) {
	run := func(b *testing.B, l *slog.Logger) {
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				logRequest(l)
			}
		})
	}
	b.Run("impl=file", func(b *testing.B) {
		h, err := New(filepath.Join(b.TempDir(), "app.log"), &Options{MaxSize: 1 << 20, MaxBackups: 3, Compress: true})
		if err != nil {
			b.Fatal(err)
		}
		run(b, slog.New(h))
		if err := h.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		h.Shutdown(context.Background())
	})
}
