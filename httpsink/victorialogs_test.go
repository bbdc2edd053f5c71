package httpsink

import (
	"context"
	"fmt"
	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/vltest"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"
)

// victoriaLogsURL is the ingestion URL for an encoding, with the query
// args that name slog's fields.
func victoriaLogsURL(base string, enc Encoding) string {
	switch enc {
	case NDJSON:
		return base + "/insert/jsonline?_msg_field=msg&_time_field=time&_stream_fields=enc"
	case ElasticsearchBulk:
		return base + "/insert/elasticsearch/_bulk?_msg_field=msg&_time_field=time&_stream_fields=enc"
	case Loki:
		// The entry's timestamp is the time; the JSON line becomes fields.
		return base + "/insert/loki/api/v1/push?_msg_field=msg"
	}
	panic(enc)
}

// TestVictoriaLogsEndToEnd ships 100,000 records through each of NDJSON,
// Elasticsearch bulk and Loki to a real VictoriaLogs and counts them there
// with LogsQL: exactly 100,000 each, with message, level and attributes
// intact.
func TestVictoriaLogsEndToEnd(t *testing.T) {
	const n = 100_000
	v := vltest.Start(t)
	levels := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}
	for _, enc := range []Encoding{NDJSON, ElasticsearchBulk, Loki} {
		// gzip costs most under the race detector: there only NDJSON has it.
		o := &Options{Encoding: enc, Compress: enc == NDJSON || !raceEnabled, Level: slog.LevelDebug, Queue: delivery.Queue{BatchSize: 4096, BatchBytes: 4 << 20, Size: 32768, OnFull: buffer.Block},
			Name: "e2e", Source: "httpsink-test",
			// A burst faster than the collector: wait for it rather than
			// drop (the default), since this test counts every record.
		}
		if enc == Loki {
			o.Labels = []string{"enc"}
		}
		h, err := New(victoriaLogsURL(v.Base, enc), o)
		if err != nil {
			t.Fatal(err)
		}
		l := slog.New(h).With("enc", enc.String())
		ctx := context.Background()
		start := time.Now()
		for i := range n {
			l.Log(ctx, levels[i%4], "e2e message", "seq", i, "user", "u"+strconv.Itoa(i%97),
				slog.Group("req", slog.String("method", "GET"), slog.Int("bytes", i*3)))
		}
		if err := h.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		st := h.Stats()
		t.Logf("%s: %d records in %v, stats %+v", enc, n, time.Since(start).Round(time.Millisecond), st)
		if st.Written != n || st.Dropped != 0 || st.Failed != 0 {
			t.Fatalf("%s: stats %+v", enc, st)
		}
	}
	v.Flush(t)
	for _, enc := range []Encoding{NDJSON, ElasticsearchBulk, Loki} {
		filter := "enc:=" + strconv.Quote(enc.String())
		if got := v.Count(t, filter); got != n {
			t.Errorf("%s: VictoriaLogs counts %d records, want %d", enc, got, n)
		}
		for _, seq := range []int{0, 4242, n - 1} {
			rows := v.Query(t, fmt.Sprintf("%s seq:=%d", filter, seq))
			if len(rows) != 1 {
				t.Fatalf("%s: %d rows for seq %d", enc, len(rows), seq)
			}
			r := rows[0]
			want := map[string]string{
				"_msg":       "e2e message",
				"level":      []string{"DEBUG", "INFO", "WARN", "ERROR"}[seq%4],
				"logger":     "e2e",
				"user":       "u" + strconv.Itoa(seq%97),
				"req.method": "GET",
				"req.bytes":  strconv.Itoa(seq * 3),
				"enc":        enc.String(),
				"seq":        strconv.Itoa(seq),
			}
			for k, w := range want {
				if r[k] != w {
					t.Errorf("%s: seq %d: field %q = %q, want %q (row %v)", enc, seq, k, r[k], w, r)
				}
			}
			if ts, err := time.Parse(time.RFC3339Nano, r["_time"]); err != nil || time.Since(ts) > time.Hour || time.Since(ts) < 0 {
				t.Errorf("%s: seq %d: _time %q is not the record's time", enc, seq, r["_time"])
			}
		}
	}
	if strings.Contains(v.Output(), "panic") {
		t.Fatalf("victoria-logs:\n%s", v.Output())
	}
}
