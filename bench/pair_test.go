package bench_test

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A workload logs n records; ours and theirs are two of them, timed
// against each other by pair.
type workload func(n int)

// round is how many records one side logs before the other takes over.
const round = 1000

// pair times ours and theirs in alternating rounds of round records
// (A B B A A B B A ...), so that both see the same neighbours on a shared
// machine, and reports the median over the pairs of rounds of ours' time
// over theirs' as the metric named unit ("x" unless the caller names
// it), with each side's own ns per record ("ours-ns/rec",
// "theirs-ns/rec"). b.N counts the records of both sides, so ns/op and
// allocs/op are per record of either.
//
// With parallel, each round's records are shared out among GOMAXPROCS
// goroutines that log at once, and the round's time is its wall time.
//
// Each side's allocations per record are measured before the timed
// rounds and reported as "ours-allocs/rec" and "theirs-allocs/rec".
func pair(b *testing.B, unit string, parallel bool, ours, theirs workload) {
	if unit == "" {
		unit = "x"
	}
	const allocRecs = 100
	oa := testing.AllocsPerRun(10, func() { ours(allocRecs) }) / allocRecs
	ta := testing.AllocsPerRun(10, func() { theirs(allocRecs) }) / allocRecs
	sides := [2]workload{ours, theirs}
	// slots[r] is round r's time; round r is ours' when sideOf(r) is 0.
	slots := make([]atomic.Int64, b.N/round+2)
	b.ReportAllocs()
	b.ResetTimer()
	if parallel {
		// Every round runs on GOMAXPROCS goroutines at once, each logging
		// its share, and is timed by the wall clock from their start to
		// the last one's end: both sides see the same parallelism, and no
		// round mixes the two.
		g := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		for r := 0; r*round < b.N; r++ {
			n := min(round, b.N-r*round)
			w := sides[sideOf(r)]
			start := time.Now()
			for i := range g {
				share := (n + g - 1 - i) / g // the shares add up to n
				wg.Go(func() { w(share) })
			}
			wg.Wait()
			slots[r].Add(int64(time.Since(start)))
		}
	} else {
		for r := 0; r*round < b.N; r++ {
			n := min(round, b.N-r*round)
			start := time.Now()
			sides[sideOf(r)](n)
			slots[r].Add(int64(time.Since(start)))
		}
	}
	b.StopTimer()
	// Pairs of rounds 2k and 2k+1, one of each side; a last, short pair
	// is left out unless it is the only one.
	var ratios []float64
	var sum [2]int64
	var recs [2]int
	full := b.N / (2 * round)
	for k := 0; k < max(full, 1); k++ {
		var t [2]int64
		for r := 2 * k; r < 2*k+2; r++ {
			s := sideOf(r)
			t[s] += slots[r].Load()
			sum[s] += slots[r].Load()
			recs[s] += max(0, min(round, b.N-r*round))
		}
		if t[1] > 0 {
			ratios = append(ratios, float64(t[0])/float64(t[1]))
		}
	}
	if len(ratios) > 0 {
		slices.Sort(ratios)
		b.ReportMetric(ratios[len(ratios)/2], unit)
	}
	for s, name := range []string{"ours", "theirs"} {
		if recs[s] > 0 {
			b.ReportMetric(float64(sum[s])/float64(recs[s]), name+"-ns/rec")
		}
	}
	b.ReportMetric(oa, "ours-allocs/rec")
	b.ReportMetric(ta, "theirs-allocs/rec")
}

// sideOf is 0 (ours) or 1 (theirs) for round r: A B B A A B B A ...
func sideOf(r int) int {
	return (r ^ r>>1) & 1
}
