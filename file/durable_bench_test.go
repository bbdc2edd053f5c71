package file

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
)

// BenchmarkBuffer compares, in one run, the buffer in its memory-mapped
// side file (the default, which survives a kill) with the buffer on the
// heap (as before the side file), for a 5-attribute INFO record.
func BenchmarkBuffer(b *testing.B) {
	for _, tc := range []struct {
		name string
		heap bool
	}{{"buffer=mmap", false}, {"buffer=heap", true}} {
		b.Run(tc.name, func(b *testing.B) {
			h, err := New(filepath.Join(b.TempDir(), "app.log"), &Options{heapBuffer: tc.heap})
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
			if err := h.Shutdown(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
		b.Run(tc.name+"/parallel", func(b *testing.B) {
			h, err := New(filepath.Join(b.TempDir(), "app.log"), &Options{heapBuffer: tc.heap})
			if err != nil {
				b.Fatal(err)
			}
			l := slog.New(h)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					logRequest(l)
				}
			})
			b.StopTimer()
			if err := h.Shutdown(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
	}
}
