//go:build unix

package wssink

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/spooltest"
)

// killReceiver is a wssink.NewReceiver on loopback that counts the
// records of each trial, told apart by the URL's path.
type killReceiver struct {
	srv   *httptest.Server
	tally spooltest.Tally

	conns spooltest.Conns
}

func newKillReceiver(t testing.TB) spooltest.Receiver {
	kr := &killReceiver{}
	kr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		trial, err := spooltest.ParseTrialPath(r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		kr.conns.Add(trial)
		defer kr.conns.Done(trial)
		NewReceiver(func(_ context.Context, recs [][]byte) error {
			for _, rec := range recs {
				n, err := spooltest.Number(rec)
				if err != nil {
					t.Error(err)
					return err
				}
				kr.tally.Add(trial, n)
			}
			return nil
		}, nil).ServeHTTP(w, r)
	}))
	t.Cleanup(kr.srv.Close)
	return kr
}

func (kr *killReceiver) URL(trial int) string {
	return "ws://" + kr.srv.Listener.Addr().String() + spooltest.TrialPath(trial)
}

// Arrivals waits until every connection of the trial has been read to
// its end: a killed child's kernel goes on sending what its socket held,
// and the receiver may still be reading the child's connection when the
// parent's sink has shut down (under the race detector, for seconds).
func (kr *killReceiver) Arrivals(t testing.TB, trial int) spooltest.Arrivals {
	kr.conns.Wait(t, trial)
	return kr.tally.Arrivals(trial)
}

// Records whose Handle returned before a SIGKILL, with the receiver down,
// are delivered by the next sink on the same spool (see package
// spooltest): none lost, duplicates counted.
func TestSIGKILLLosesNoAcceptedRecord(t *testing.T) {
	spooltest.Kill(t, killConfig(false))
}

// Records whose Handle returned before a SIGKILL, with the receiver up
// (records in the window, spilled to the spool and replayed from it at the
// kill), are delivered by the child or the next sink on the same spool:
// none lost, duplicates counted. With Ack off (the default) a message
// leaves the journal once a pong confirms the receiver read it; those
// written and not yet confirmed at the kill are sent again: the
// duplicates.
func TestSIGKILLWithTheReceiverUpLosesNoAcceptedRecord(t *testing.T) {
	c := killConfig(true)
	c.SeedEnv = "WSSINK_KILL_UP_SEED"
	spooltest.Kill(t, c)
}

// Records whose Handle returned before a SIGKILL, with the receiver down,
// are delivered even when the next process, which replays them from the
// spool while it logs to the receiver up, is killed in turn: none lost,
// duplicates counted. Replayed frames stay on disk, leased, until their
// messages leave the window.
func TestSIGKILLDuringTheReplayLosesNoAcceptedRecord(t *testing.T) {
	c := killConfig(false)
	c.Relay = true
	c.SeedEnv = "WSSINK_KILL_RELAY_SEED"
	spooltest.Kill(t, c)
}

func killConfig(up bool) spooltest.Config {
	return spooltest.Config{
		Up:      up,
		SeedEnv: "WSSINK_KILL_SEED",
		Open: func(url, dir string) (spooltest.Handler, error) {
			return New(url, &Options{Spool: delivery.Spool{Dir: dir}})
		},
		Spooled: func(h spooltest.Handler) int { return h.(*Handler).s.Spool.Len() },
		DownURL: func(addr string) string { return "ws://" + addr + "/" },
		// As fast as the sink takes records (about 500,000 a second),
		// but 30,000 under the race detector, which slows the replay
		// to about 30,000 a second.
		RaceRate: 30_000,
		Receiver: newKillReceiver,
	}
}
