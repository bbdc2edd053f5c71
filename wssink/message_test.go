package wssink

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateRecord(t *testing.T) {
	cases := []struct {
		name, rec string
		limit     int
		want      string
	}{
		{"keeps whole members that fit",
			`{"a":1,"b":"xx","c":3}`, 32,
			`{"a":1,"b":"xx","_truncated":22}`},
		{"cuts the crossing string",
			`{"msg":"hello world","z":1}`, 34,
			`{"msg":"hello wo","_truncated":27}`},
		{"never splits an escape",
			`{"m":"ab\"cd\u00e9ef"}`, 30,
			`{"m":"ab\"cd","_truncated":22}`},
		{"never splits a surrogate pair",
			`{"m":"a\ud83d\ude00b"}`, 33,
			`{"m":"a","_truncated":22}`},
		{"never splits UTF-8",
			`{"m":"aéééé"}`, 27,
			`{"m":"aé","_truncated":17}`},
		{"drops a crossing group",
			`{"a":1,"g":{"x":"yyyyyyyyyy"}}`, 30,
			`{"a":1,"_truncated":30}`},
		{"no member fits",
			`{"aaaaaaaaaaaaaaaaaaa":1}`, 20,
			`{"_truncated":25}`},
		{"not an object",
			`["x"]`, 20,
			`{"_truncated":5}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(truncateRecord(nil, []byte(c.rec), c.limit))
			if got != c.want {
				t.Errorf("truncateRecord(%s, %d)\n got %s\nwant %s", c.rec, c.limit, got, c.want)
			}
			if len(got) > c.limit {
				t.Errorf("%d bytes, limit %d", len(got), c.limit)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("not valid JSON: %s", got)
			}
		})
	}
}

func FuzzTruncateRecord(f *testing.F) {
	f.Add(`{"time":"2025-01-02T03:04:05Z","level":"INFO","msg":"hello \"world\" é 😀","a":[1,2,{"b":"c"}],"g":{"x":1}}`, 40)
	f.Add(`{"m":"\u00e9\ud83d\ude00\\\n"}`, 28)
	f.Fuzz(func(t *testing.T, rec string, limit int) {
		if !json.Valid([]byte(rec)) || !strings.HasPrefix(rec, "{") || !utf8.ValidString(rec) {
			t.Skip()
		}
		limit = 20 + abs(limit)%200
		got := truncateRecord(nil, []byte(rec), limit)
		if len(got) > limit {
			t.Fatalf("%d bytes, limit %d: %s", len(got), limit, got)
		}
		var m map[string]any
		if err := json.Unmarshal(got, &m); err != nil {
			t.Fatalf("not JSON: %v: %s", err, got)
		}
		if m["_truncated"] != float64(len(rec)) {
			t.Fatalf("_truncated = %v, want %d: %s", m["_truncated"], len(rec), got)
		}
		if !utf8.Valid(got) {
			t.Fatalf("invalid UTF-8: %q", got)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		if -n < 0 {
			return 0
		}
		return -n
	}
	return n
}

func TestParseMessage(t *testing.T) {
	cases := []struct {
		msg    string
		recs   []string
		seq    uint64
		hasSeq bool
	}{
		{`{"type":"log_batch","seq":3,"timestamp":"t","source":"s","count":2,"logs":[{"a":1},{"b":[1,"]"]}]}`,
			[]string{`{"a":1}`, `{"b":[1,"]"]}`}, 3, true},
		// The jinpy-utils Python logger's message: no seq, spaces allowed.
		{`{"type": "log_batch", "timestamp": "t", "source": "s", "count": 1, "logs": [ {"a": 1} ]}`,
			[]string{`{"a": 1}`}, 0, false},
		{`{"type":"log_batch","count":0,"logs":[]}`, nil, 0, false},
		{`{"type":"log","seq":9,"log":{"msg":"x"}}`, []string{`{"msg":"x"}`}, 9, true},
		{`{"time":"t","level":"INFO","msg":"bare","type":"log_batch2"}`,
			[]string{`{"time":"t","level":"INFO","msg":"bare","type":"log_batch2"}`}, 0, false},
	}
	for _, c := range cases {
		recs, seq, hasSeq, err := parseMessage(nil, []byte(c.msg))
		if err != nil {
			t.Errorf("parseMessage(%s): %v", c.msg, err)
			continue
		}
		if len(recs) != len(c.recs) || seq != c.seq || hasSeq != c.hasSeq {
			t.Errorf("parseMessage(%s) = %q, %d, %v", c.msg, recs, seq, hasSeq)
			continue
		}
		for i := range recs {
			if string(recs[i]) != c.recs[i] {
				t.Errorf("parseMessage(%s) record %d = %s, want %s", c.msg, i, recs[i], c.recs[i])
			}
		}
	}
	for _, bad := range []string{`{"type":`, `[1,2]`, `"x"`, ``} {
		if _, _, _, err := parseMessage(nil, []byte(bad)); err == nil {
			t.Errorf("parseMessage(%q) accepted", bad)
		}
	}
}

func FuzzParseMessage(f *testing.F) {
	f.Add(`{"type":"log_batch","seq":3,"count":2,"logs":[{"a":1},{"b":"]"}]}`)
	f.Add(`{"type":"log","seq":1,"log":{"m":"x"}}`)
	f.Add(`{"msg":"bare"}`)
	f.Fuzz(func(t *testing.T, msg string) {
		recs, _, _, err := parseMessage(nil, []byte(msg))
		if err != nil {
			return
		}
		for _, r := range recs {
			if !json.Valid(r) {
				t.Fatalf("record %q of %q is not valid JSON", r, msg)
			}
		}
	})
}

func TestEncodeParseRoundTrip(t *testing.T) {
	recs := [][]byte{[]byte(`{"a":1}`), []byte(`{"b":"x,]}"}`), []byte(`{}`)}
	for _, mode := range []Mode{Batch, Record} {
		for _, ack := range []bool{false, true} {
			e := newEncoder(mode, ack, `my "app"`, 4096, true)
			sizes := []int{len(recs[0]), len(recs[1]), len(recs[2])}
			var got [][]byte
			seq := uint64(0)
			for i := 0; i < len(recs); {
				j := e.split(sizes, i)
				m := e.encode(recs[i:j], nil)
				seq++
				e.stamp(m, seq)
				if mr := m.records(); len(mr) != j-i {
					t.Fatalf("%v ack=%v: message keeps %d record offsets, want %d", mode, ack, len(mr), j-i)
				}
				rs, s, has, err := parseMessage(nil, m.data)
				if err != nil {
					t.Fatalf("%v ack=%v: %v: %s", mode, ack, err, m.data)
				}
				if has != ack || (ack && s != seq) {
					t.Errorf("%v ack=%v: seq %d %v in %s", mode, ack, s, has, m.data)
				}
				got = append(got, rs...)
				i = j
			}
			if len(got) != len(recs) {
				t.Fatalf("%v ack=%v: %d records back", mode, ack, len(got))
			}
			for i := range recs {
				if string(got[i]) != string(recs[i]) {
					t.Errorf("%v ack=%v: record %d = %s", mode, ack, i, got[i])
				}
			}
		}
	}
}

func TestAckRoundTrip(t *testing.T) {
	for _, n := range []uint64{1, 42, 1<<64 - 1} {
		if got, ok := parseAck(appendAck(nil, n)); !ok || got != n {
			t.Errorf("ack %d read back as %d, %v", n, got, ok)
		}
	}
	for _, m := range []string{`{"type":"log","seq":1}`, `{"type":"ack"}`, `{"type":"ack","seq":-1}`, `nope`} {
		if _, ok := parseAck([]byte(m)); ok {
			t.Errorf("parseAck(%s) accepted", m)
		}
	}
	if got, ok := parseAck([]byte(`{"seq":` + strconv.Itoa(7) + `,"type":"ack"}`)); !ok || got != 7 {
		t.Errorf("member order must not matter: %d %v", got, ok)
	}
}
