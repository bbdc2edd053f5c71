package wssink

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jinpy-utils/multi"
)

// downServer returns the URL of a server that is down: refusing
// connections (a closed port) or accepting them and never answering.
func latencyDownURL(t *testing.T, silent bool) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if !silent {
		ln.Close()
		return "ws://" + addr + "/"
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "ws://" + addr + "/"
}

// TestServerDownHandleLatency: with the server down, 8 goroutines log
// 50,000 records with the default OnFull; no Handle waits on the
// network, every record is counted, and Shutdown(context.Background())
// returns within about DialTimeout and a second. With a spool nothing is
// dropped.
func TestServerDownHandleLatency(t *testing.T) {
	const n = 50_000
	const dial = time.Second
	for _, silent := range []bool{false, true} {
		for _, withSpool := range []bool{false, true} {
			t.Run(fmt.Sprintf("silent=%v/spool=%v", silent, withSpool), func(t *testing.T) {
				o := &Options{Timeout: dial, ErrorHandler: func(error) {}}
				if withSpool {
					o.Spool.Dir = t.TempDir()
				}
				h, err := New(latencyDownURL(t, silent), o)
				if err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				lat := make([][]time.Duration, 8)
				for w := range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						l := slog.New(h)
						for i := range n / 8 {
							start := time.Now()
							l.Info("rec", "w", w, "seq", i)
							lat[w] = append(lat[w], time.Since(start))
						}
					}()
				}
				wg.Wait()
				all := slices.Concat(lat...)
				slices.Sort(all)
				p := func(q float64) time.Duration { return all[min(len(all)-1, int(float64(len(all))*q))] }
				t.Logf("Handle with the server down: p50 %v, p99.9 %v, max %v", p(0.5), p(0.999), all[len(all)-1])
				if max := all[len(all)-1]; max > 900*time.Millisecond {
					t.Errorf("a Handle took %v: the caller waited", max)
				}
				start := time.Now()
				err = multi.Shutdown(context.Background(), h)
				took := time.Since(start)
				t.Logf("Shutdown(context.Background()) took %v (%v)", took, err)
				if took > dial+10*time.Second {
					t.Errorf("Shutdown took %v, want about DialTimeout (%v) + 1s", took, dial)
				}
				st := h.Stats()
				if st.Written != 0 || st.Queued != 0 {
					t.Errorf("stats %+v: written or still queued with the server down", st)
				}
				want := multi.Stats{Dropped: n}
				if withSpool {
					want = multi.Stats{Spooled: n}
				}
				if st.Dropped != want.Dropped || st.Spooled != want.Spooled {
					t.Errorf("stats %+v: want dropped %d, spooled %d", st, want.Dropped, want.Spooled)
				}
			})
		}
	}
}
