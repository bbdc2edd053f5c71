package spool

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkReplay is the replay's own cost per record, to a send function
// that takes every frame at once (the worst case for the work done per
// frame, such as saving the replay position): frames of 512 records of
// about 200 bytes, as a sink's batches are, replayed with Replay and with
// ReplayLeased (each lease released as its frame is taken).
func BenchmarkReplay(b *testing.B) {
	rec := fmt.Appendf(nil, `{"time":"2026-12-07T10:00:00Z","level":"INFO","msg":"request served","method":"GET","path":"/api/v1/users/42","status":200,"elapsed":"1.234ms","user":"ada","request_id":"4f2a9c"}`)
	frame := make([][]byte, 512)
	for i := range frame {
		frame[i] = rec
	}
	for _, leased := range []bool{false, true} {
		b.Run(fmt.Sprintf("leased=%v", leased), func(b *testing.B) {
			s, err := Open(b.TempDir(), -1)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ReportAllocs()
			b.SetBytes(int64(len(rec)))
			sent := 0
			for sent < b.N {
				b.StopTimer()
				for range 64 {
					if err := s.Append(frame); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				var err error
				if leased {
					_, err = s.ReplayLeased(context.Background(), func(recs [][]byte, l Lease) error {
						sent += len(recs)
						l.Release()
						return nil
					})
				} else {
					_, err = s.Replay(context.Background(), func(recs [][]byte) error {
						sent += len(recs)
						return nil
					})
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
