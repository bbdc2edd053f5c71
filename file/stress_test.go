package file

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// 16 goroutines log 200,000 records in all into a file rotating at 64 KiB,
// with 5 compressed backups, while another goroutine calls Rotate and Flush.
// What is left must be exactly the newest records: for every goroutine, its
// records in the backups (oldest first) and then the live file are a run of
// consecutive sequence numbers ending with its last one. Every line is
// whole, valid JSON; every archive passes gzip -t; no more than 5 backups;
// after Shutdown no goroutine or descriptor is left.
func TestStressConcurrentWritersWithRotateAndFlush(t *testing.T) {
	const (
		goroutines = 16
		total      = 200_000
		each       = total / goroutines
		backups    = 5
		round      = 100
	)
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	f0 := fds(t)
	var e errs
	h, err := New(path, &Options{MaxSize: 64 << 10, MaxBackups: backups, Compress: true, ErrorHandler: e.handle})
	if err != nil {
		t.Fatal(err)
	}

	stop, stopped := make(chan struct{}), make(chan struct{})
	var rotations int
	go func() {
		defer close(stopped)
		tick := time.NewTicker(20 * time.Millisecond) // pacing, not waiting
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if err := h.Rotate(); err != nil {
					t.Errorf("Rotate: %v", err)
				}
				if err := h.Flush(context.Background()); err != nil {
					t.Errorf("Flush: %v", err)
				}
				rotations++
			}
		}
	}()
	// The writers meet every round records, so that all of them are still
	// writing at the end and the newest records kept come from all of them.
	var wg sync.WaitGroup
	var (
		mu    sync.Mutex
		cond  = sync.NewCond(&mu)
		at    int // writers that reached the current barrier
		phase int
	)
	barrier := func() {
		mu.Lock()
		defer mu.Unlock()
		p := phase
		if at++; at == goroutines {
			at, phase = 0, phase+1
			cond.Broadcast()
			return
		}
		for phase == p {
			cond.Wait()
		}
	}
	for g := range goroutines {
		wg.Go(func() {
			l := slog.New(h)
			for i := range each {
				if i%round == 0 {
					barrier()
				}
				l.Info("stress", "g", g, "i", i)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-stopped
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rotations == 0 {
		t.Error("the Rotate goroutine never ran")
	}

	want := []string{"app.log"}
	for i := 1; i <= backups; i++ {
		want = append(want, fmt.Sprintf("app.log.%d.gz", i))
	}
	slices.Sort(want)
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files = %q, want %q", got, want)
	}
	var gz []string
	for _, n := range want[1:] {
		gz = append(gz, filepath.Join(dir, n))
	}
	gzipTest(t, gz...)

	next := make([]int, goroutines) // the sequence number expected next, per goroutine; -1 before the first
	for g := range next {
		next[g] = -1
	}
	lines := 0
	for i := backups; i >= 0; i-- {
		name := "app.log"
		if i > 0 {
			name = fmt.Sprintf("app.log.%d.gz", i)
		}
		r := openLines(t, filepath.Join(dir, name))
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines++
			var rec struct {
				Msg  string
				G, I *int
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec.Msg != "stress" || rec.G == nil || rec.I == nil {
				t.Fatalf("%s: line %q is not one whole record: %v", name, sc.Bytes(), err)
			}
			g, seq := *rec.G, *rec.I
			if next[g] != -1 && seq != next[g] {
				t.Fatalf("%s: goroutine %d: record %d follows %d: a record is missing, repeated or out of order", name, g, seq, next[g]-1)
			}
			next[g] = seq + 1
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	kept := 0
	for g, n := range next {
		if n == -1 {
			continue
		}
		kept++
		if n != each {
			t.Errorf("goroutine %d: the newest record kept is %d, want %d", g, n-1, each-1)
		}
	}
	if kept != goroutines {
		t.Errorf("records of %d goroutines kept, want all %d: the last round of records was rotated out", kept, goroutines)
	}
	st := h.Stats()
	if st.Written != total || st.Dropped != 0 || st.Failed != 0 || len(e.all()) != 0 {
		t.Errorf("Stats = %+v, errors %v: want %d written, none dropped or failed", st, e.all(), total)
	}
	t.Logf("%d rotations asked for; %d records of %d goroutines kept in %d files", rotations, lines, kept, len(want))

	eventually(t, "the goroutines exit", func() bool { f, m := ours(); return f+m == 0 })
	if f := fds(t); f != f0 {
		t.Errorf("%d descriptors open after Shutdown, %d before", f, f0)
	}
}

func openLines(t *testing.T, path string) io.Reader {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(path, ".gz") {
		return bytes.NewReader(b)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}
