//go:build unix

package httpsink

import (
	"strconv"
	"testing"

	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/spooltest"
	"github.com/jinpy-utils/multi/internal/vltest"
)

// killReceiver is a real VictoriaLogs; each trial's records carry the
// field trial, which the ingestion URL adds (extra_fields).
type killReceiver struct{ v *vltest.Server }

func (kr killReceiver) URL(trial int) string {
	return kr.v.Base + "/insert/jsonline?_msg_field=msg&_time_field=time&extra_fields=trial=" + strconv.Itoa(trial)
}

// Arrivals counts the trial's records by number in VictoriaLogs: one row
// a number, not one a record.
func (kr killReceiver) Arrivals(t testing.TB, trial int) spooltest.Arrivals {
	kr.v.Flush(t)
	arr := spooltest.Arrivals{}
	for _, row := range kr.v.Query(t, "trial:="+strconv.Itoa(trial)+" | stats by (n) count() c") {
		n, err := strconv.Atoi(row["n"])
		c, err2 := strconv.Atoi(row["c"])
		if err != nil || err2 != nil {
			t.Fatalf("trial %d: row %v", trial, row)
		}
		arr[n] += c
	}
	return arr
}

// Records whose Handle returned before a SIGKILL, with the collector
// down, are delivered to VictoriaLogs by the next sink on the same spool
// (see package spooltest): none lost, duplicates counted.
func TestSIGKILLLosesNoAcceptedRecord(t *testing.T) {
	spooltest.Kill(t, spooltest.Config{
		SeedEnv: "HTTPSINK_KILL_SEED",
		// NDJSON is what VictoriaLogs reads; the rest are the defaults.
		Open: func(url, dir string) (spooltest.Handler, error) {
			return New(url, &Options{Encoding: NDJSON, Spool: delivery.Spool{Dir: dir}})
		},
		// 50,000 records a second (25,000 under the race detector)
		// instead of 500,000: VictoriaLogs takes the replay and counts
		// about 200,000 a second, and 30 trials must stay short.
		Rate:     50_000,
		RaceRate: 25_000,
		Spooled:  func(h spooltest.Handler) int { return h.(*Handler).s.Spool.Len() },
		DownURL:  func(addr string) string { return "http://" + addr + "/insert/jsonline" },
		Receiver: func(t testing.TB) spooltest.Receiver { return killReceiver{vltest.Start(t)} },
	})
}
