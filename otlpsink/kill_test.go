//go:build unix

package otlpsink

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/spooltest"
	"google.golang.org/protobuf/encoding/protowire"
)

// killReceiver is an OTLP/HTTP logs receiver on loopback that decodes
// each ExportLogsServiceRequest and counts the records of each trial,
// told apart by the URL's path, by their attribute n.
type killReceiver struct {
	srv   *httptest.Server
	tally spooltest.Tally
}

func newKillReceiver(t testing.TB) spooltest.Receiver {
	kr := &killReceiver{}
	kr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		trial, err := spooltest.ParseTrialPath(r.URL.Path)
		if err != nil || r.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "want POST /trial/N, application/x-protobuf", http.StatusBadRequest)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// ExportLogsServiceRequest: 1 ResourceLogs: 2 ScopeLogs: 2
		// LogRecord; read with protowire alone, 500,000 records a trial.
		ns, err := numbers(b)
		if err != nil {
			t.Error(err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, n := range ns {
			kr.tally.Add(trial, n)
		}
	}))
	t.Cleanup(kr.srv.Close)
	return kr
}

// numbers returns the int attribute n of every LogRecord of an
// ExportLogsServiceRequest.
func numbers(req []byte) ([]int, error) {
	var ns []int
	for rl := range messages(req, 1) {
		for sl := range messages(rl, 2) {
			for lr := range messages(sl, 2) {
				n, ok := -1, false
				for kv := range messages(lr, fAttributes) {
					if k := first(kv, fKey); string(k) == "n" {
						x, m := protowire.ConsumeVarint(first(first(kv, fValue), fInt))
						n, ok = int(x), m > 0
					}
				}
				if !ok {
					return nil, fmt.Errorf("LogRecord without an int attribute n: %x", lr)
				}
				ns = append(ns, n)
			}
		}
	}
	return ns, nil
}

// messages yields the values of the length-delimited fields num of b,
// and for a varint field num its bytes from the value on (see first).
func messages(b []byte, num protowire.Number) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			n, typ, l := protowire.ConsumeTag(b)
			if l < 0 {
				return
			}
			b = b[l:]
			if n == num && typ == protowire.VarintType {
				if !yield(b) {
					return
				}
			}
			l = protowire.ConsumeFieldValue(n, typ, b)
			if l < 0 {
				return
			}
			if n == num && typ == protowire.BytesType {
				v, _ := protowire.ConsumeBytes(b)
				if !yield(v) {
					return
				}
			}
			b = b[l:]
		}
	}
}

// first is the first value of field num of b (see messages), or nil.
func first(b []byte, num protowire.Number) []byte {
	for v := range messages(b, num) {
		return v
	}
	return nil
}

func (kr *killReceiver) URL(trial int) string { return kr.srv.URL + spooltest.TrialPath(trial) }

func (kr *killReceiver) Arrivals(_ testing.TB, trial int) spooltest.Arrivals {
	return kr.tally.Arrivals(trial)
}

// Records whose Handle returned before a SIGKILL, with the collector
// down, are delivered by the next sink on the same spool (see package
// spooltest): none lost, duplicates counted.
func TestSIGKILLLosesNoAcceptedRecord(t *testing.T) {
	spooltest.Kill(t, killConfig("OTLPSINK_KILL_SEED"))
}

// Records whose Handle returned before a SIGKILL, with the collector up
// (batches in flight at the kill), are delivered by the child or by the
// next sink on the same spool: none lost; a batch the collector took just
// before the kill, not yet released, arrives twice.
func TestSIGKILLWithTheCollectorUpLosesNoAcceptedRecord(t *testing.T) {
	c := killConfig("OTLPSINK_KILL_UP_SEED")
	c.Up = true
	spooltest.Kill(t, c)
}

// Records whose Handle returned before a SIGKILL, with the collector
// down, are delivered even when the next process, which replays them
// while it logs to the collector up, is killed in turn: a spooled batch
// leaves the disk only once the collector took it.
func TestSIGKILLDuringTheReplayLosesNoAcceptedRecord(t *testing.T) {
	c := killConfig("OTLPSINK_KILL_RELAY_SEED")
	c.Relay = true
	spooltest.Kill(t, c)
}

func killConfig(seedEnv string) spooltest.Config {
	return spooltest.Config{
		SeedEnv: seedEnv,
		Open: func(url, dir string) (spooltest.Handler, error) {
			return New(&Options{Endpoint: url, Spool: delivery.Spool{Dir: dir}})
		},
		Spooled: func(h spooltest.Handler) int { return h.(*Handler).s.Spool.Len() },
		DownURL: func(addr string) string { return "http://" + addr + "/v1/logs" },
		// As fast as the sink takes records (about 500,000 a second),
		// but 30,000 under the race detector, which slows the replay
		// to about 30,000 a second.
		RaceRate: 30_000,
		Receiver: newKillReceiver,
	}
}
