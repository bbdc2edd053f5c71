package bench_test

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/jinpy-utils/multi/file"
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
// package file (rotating at 1 MiB, compressing, 3 backups) against
// slog.JSONHandler over a bufio.Writer on the file (no rotation: the floor)
// and against lumberjack under slog.JSONHandler with the same rotation
// (MaxSize 1 MB, its smallest unit, Compress, 3 backups). The timed part
// ends with everything written to the file.
func BenchmarkFile(b *testing.B) {
	rec := func(b *testing.B) {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	}
	ours := func(opts *file.Options) func(*testing.B) {
		return func(b *testing.B) {
			h, err := file.New(filepath.Join(b.TempDir(), "app.log"), opts)
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
	b.Run("impl=file", ours(&file.Options{MaxSize: 1 << 20, MaxBackups: 3, Compress: true}))
	b.Run("impl=file-norotate", ours(nil))
	b.Run("impl=slog-bufio", func(b *testing.B) {
		f, err := os.OpenFile(filepath.Join(b.TempDir(), "app.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		bw := bufio.NewWriterSize(f, file.DefaultBufferSize)
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
	b.Run("impl=lumberjack", func(b *testing.B) {
		lj := &lumberjack.Logger{Filename: filepath.Join(lumberjackDir(b), "app.log"), MaxSize: 1, MaxBackups: 3, Compress: true}
		l := slog.New(slog.NewJSONHandler(lj, nil))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			logRequest(l)
		}
		b.StopTimer()
		rec(b)
		lj.Close()
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
		h, err := file.New(filepath.Join(b.TempDir(), "app.log"), &file.Options{MaxSize: 1 << 20, MaxBackups: 3, Compress: true})
		if err != nil {
			b.Fatal(err)
		}
		run(b, slog.New(h))
		if err := h.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		_ = h.Shutdown(context.Background())
	})
	b.Run("impl=lumberjack", func(b *testing.B) {
		lj := &lumberjack.Logger{Filename: filepath.Join(lumberjackDir(b), "app.log"), MaxSize: 1, MaxBackups: 3, Compress: true}
		run(b, slog.New(slog.NewJSONHandler(lj, nil)))
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		lj.Close()
	})
}

// lumberjackDir is a temporary directory for lumberjack, removed on a best
// effort basis: lumberjack's Close does not wait for its compression
// goroutine, which may still be writing there (b.TempDir's cleanup then
// fails the benchmark).
func lumberjackDir(b *testing.B) string {
	dir, err := os.MkdirTemp("", "lumberjack")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
