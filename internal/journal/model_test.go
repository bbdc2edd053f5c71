//go:build unix

package journal

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snapshot copies the journal file of dir, as a kill would leave it at
// this instant, into a new directory, and returns what a new process
// recovers from it.
func snapshot(t *testing.T, dir string, capacity int) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, Name))
	if err != nil {
		t.Fatal(err)
	}
	cp := t.TempDir()
	if err := os.WriteFile(filepath.Join(cp, Name), b, 0o600); err != nil {
		t.Fatal(err)
	}
	j, got := open(t, cp, capacity, nil)
	j.Close()
	return got
}

type modelBatch struct {
	recs     []string // kept by the journal
	from, to uint64
}

// A model of the queue: batches appended record by record, released in
// any order (most in order, some diverted ahead of a pinned one, some
// pinned for long), and at random instants a kill: every record kept and
// not released must be recovered, and nothing that was never appended.
func TestModelKillRecoversEveryUnreleasedRecord(t *testing.T) {
	for seed := range uint64(16) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { modelRun(t, seed) })
	}
}

func modelRun(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	dir := t.TempDir()
	const capacity = 4096
	j, _ := open(t, dir, capacity, nil)
	var live []*modelBatch
	var open *modelBatch
	all := map[string]bool{}
	n := 0
	moves := 0
	for step := range 3000 {
		if m := j.cur.Load(); len(m.moved) > 0 {
			moves++
		}
		switch k := r.IntN(10); {
		case k < 5: // a record
			first := open == nil
			if first {
				open = &modelBatch{}
			}
			n++
			s := fmt.Sprintf("%d.%s", n, strings.Repeat("x", r.IntN(300)))
			all[s] = true
			from, to, ok := j.Append([]byte(s), first)
			if ok {
				if len(open.recs) == 0 {
					open.from = from
				} else if open.to != from {
					t.Fatalf("step %d: record at %d, the batch's last ended at %d", step, from, open.to)
				}
				open.recs = append(open.recs, s)
				open.to = to
			}
			if r.IntN(3) == 0 {
				live = append(live, open)
				open = nil
			}
		case k < 9: // a release: the oldest, mostly; the oldest is pinned for a while
			if len(live) == 0 || (step/150)%4 == 3 {
				continue // a destination down, nothing diverted: the queue grows
			}
			i := 0
			if len(live) > 1 && (step/150)%4 == 1 {
				i = 1 + r.IntN(len(live)-1) // the oldest is pinned
			} else if r.IntN(4) == 0 {
				i = r.IntN(len(live))
			}
			b := live[i]
			live = append(live[:i], live[i+1:]...)
			if len(b.recs) > 0 {
				j.Release(b.from, b.to)
			}
		default: // a kill
			got := snapshot(t, dir, capacity)
			seen := map[string]bool{}
			for _, s := range got {
				if !all[s] {
					t.Fatalf("step %d: recovered %.20q, never appended", step, s)
				}
				seen[s] = true
			}
			for _, b := range append(live, open) {
				if b == nil {
					continue
				}
				for _, s := range b.recs {
					if !seen[s] {
						t.Fatalf("step %d: record %.20q (batch [%d,%d)) not recovered; got %d records", step, s, b.from, b.to, len(got))
					}
				}
			}
		}
	}
	t.Logf("volatile %d of %d, moves %d", j.Volatile(), n, moves)
}

// A Release that moves the committed position lets Append reuse the ring
// behind it. A kill after Append reused it must find the new committed
// position in the header: were it still the old one, recovery would start
// at a record overwritten by the newer lap, stop there, and lose every
// record still queued.
func TestKillAfterReleaseLetAppendReuseTheRing(t *testing.T) {
	dir := t.TempDir()
	const capacity = 4096
	j, _ := open(t, dir, capacity, nil)
	// Fill the ring with records of 128 bytes (header included).
	var rs []rec
	for i := 0; ; i++ {
		from, to, ok := j.Append([]byte(fmt.Sprintf("%03d%s", i, strings.Repeat("x", 109))), false)
		if !ok {
			break
		}
		rs = append(rs, rec{fmt.Sprintf("%03d", i), from, to})
	}
	var got []string
	testCommitted = func() {
		// Another goroutine's Append, as soon as it can see the room:
		// it takes the place of the first record.
		if _, _, ok := j.Append([]byte("new"+strings.Repeat("y", 109)), false); !ok {
			t.Error("no room after the first record was released")
		}
		got = snapshot(t, dir, capacity) // killed here
	}
	defer func() { testCommitted = nil }()
	j.Release(rs[0].from, rs[0].to)
	if len(got) != len(rs) {
		t.Fatalf("recovered %d records, want %d: the %d still queued and the new one", len(got), len(rs), len(rs)-1)
	}
}
