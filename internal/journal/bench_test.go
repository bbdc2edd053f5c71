//go:build unix

package journal

import "testing"

// BenchmarkAppend is the journal's cost to a logging caller: one record of
// about 200 bytes appended and, as its batch is delivered, released (in
// batches of 512, as the queue releases them).
func BenchmarkAppend(b *testing.B) {
	j := Open(b.TempDir(), 64<<20, 64, 1<<20, func([][]byte) {}, func(err error) { b.Error(err) })
	defer j.Close()
	rec := []byte(`{"time":"2026-12-07T10:00:00Z","level":"INFO","msg":"request served","method":"GET","path":"/api/v1/users/42","status":200,"elapsed":"1.234ms","user":"ada","request_id":"4f2a9c"}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	var first uint64
	n := 0
	for b.Loop() {
		from, to, ok := j.Append(rec, n == 0)
		if !ok {
			b.Fatal("Append kept nothing")
		}
		if n == 0 {
			first = from
		}
		if n++; n == 512 {
			j.Release(first, to)
			n = 0
		}
	}
}
