package format

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestAppendRFC3339MatchesTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	zones := []*time.Location{time.UTC, time.FixedZone("a", 3600), time.FixedZone("b", -(9*3600 + 30*60)),
		time.FixedZone("c", 561), time.FixedZone("d", -30), time.FixedZone("e", 14*3600), time.FixedZone("f", 0)}
	if loc, err := time.LoadLocation("America/New_York"); err == nil {
		zones = append(zones, loc)
	}
	check := func(tm time.Time) {
		t.Helper()
		for layout, want := range map[int]string{
			fracNano:  tm.Format(time.RFC3339Nano),
			fracMilli: string(slogMillis(nil, tm)),
			fracMicro: tm.Format(layoutMicro),
		} {
			if got := string(appendRFC3339(nil, tm, layout)); got != want {
				t.Fatalf("layout %d of %v (unix %d): got %q, want %q", layout, tm, tm.Unix(), got, want)
			}
		}
		if got, want := string(appendClockMillis(nil, tm)), tm.Format("15:04:05.000"); got != want {
			t.Fatalf("clock of %v: got %q, want %q", tm, got, want)
		}
	}
	for range 200000 {
		var sec int64
		switch r.IntN(3) {
		case 0:
			sec = r.Int64N(1<<42) - 1<<41 // years far outside 0..9999 too
		default:
			sec = r.Int64N(maxSec-minSec) + minSec
		}
		nsec := r.Int64N(1e9)
		if r.IntN(4) == 0 {
			nsec = 0
		}
		check(time.Unix(sec, nsec).In(zones[r.IntN(len(zones))]))
	}
	// The edges of the fast path.
	for _, sec := range []int64{minSec, minSec - 1, maxSec, maxSec - 1, 0, -1, 951782400 /* 2000-02-29 */} {
		for _, z := range zones {
			check(time.Unix(sec, 999999999).In(z))
			check(time.Unix(sec, 0).In(z))
		}
	}
}

// slogMillis is slog's appendRFC3339Millis.
func slogMillis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...)
}

func TestAppendDurationMatchesString(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		d := time.Duration(int64(r.Uint64()) >> r.IntN(64))
		if got, want := string(appendDuration(nil, d)), d.String(); got != want {
			t.Fatalf("%d: got %q, want %q", int64(d), got, want)
		}
	}
}

func TestHugeBuffersAreNotPooled(t *testing.T) {
	h := New(io.Discard, nil)
	e := newEncoder(h)
	if !e.reusable() {
		t.Fatal("a fresh encoder is not reusable")
	}
	e.buf = append(e.buf, make([]byte, 1<<20)...)
	if e.reusable() {
		t.Error("an encoder holding a 1 MiB buffer would be pooled")
	}
	// And the record that grew it is written whole.
	var out bytes.Buffer
	big := strings.Repeat("x", 1<<20)
	New(&out, nil).Handle(context.Background(), slog.NewRecord(time.Time{}, slog.LevelInfo, big, 0))
	if out.Len() != len(`{"level":"INFO","msg":""}`+"\n")+len(big) {
		t.Errorf("wrote %d bytes", out.Len())
	}
}

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	check := func(f float64) {
		t.Helper()
		want, err := json.Marshal(f)
		if err != nil {
			return
		}
		if got := appendFloat(nil, f); string(got) != string(want) {
			t.Fatalf("%v (%b): got %s, want %s", f, f, got, want)
		}
	}
	for _, f := range []float64{0, 1, -1, 0.1, 0.2, 0.3, 12.75, 1e-6, 1e-7, 999999999.999999, 1e9, 123456.123456,
		0.000001, 0.0000015, 5e-324, 1e21, 1e20, 2.5, -0.5, 1.0 / 3, 100, 1e8, 0.1 + 0.2} {
		check(f)
		check(-f)
	}
	for range 300000 {
		var f float64
		switch r.IntN(4) {
		case 0:
			f = math.Float64frombits(r.Uint64())
		case 1:
			f = float64(r.Int64N(1e12)) / pow10[r.IntN(len(pow10))]
		case 2:
			f = r.Float64() * math.Pow(10, float64(r.IntN(20)-8))
		default:
			f = math.Round(r.Float64()*1e6) / 1e3
		}
		check(f)
	}
}

// The encoder's cached second must never show a stale clock: times that
// move forward and back, cross midnight and change zone, one after another
// through one encoder, each match time.Format.
func TestEncoderClockCache(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("ny", -5*3600)
	}
	zones := []*time.Location{time.UTC, time.FixedZone("a", 3600), time.FixedZone("b", -(9*3600 + 30*60)), ny}
	e := &encoder{}
	base := time.Date(2024, 3, 10, 23, 59, 58, 0, time.UTC).Unix() // a DST change in New York that day
	var prev time.Time
	for i := range 100000 {
		tm := time.Unix(base+r.Int64N(8*3600)-4*3600, r.Int64N(1e9)).In(zones[r.IntN(len(zones))])
		if i > 0 && r.IntN(2) == 0 { // a burst: the second written last, maybe in another zone
			tm = prev.Truncate(time.Second).Add(time.Duration(r.Int64N(1e9))).In(zones[r.IntN(len(zones))])
		}
		prev = tm
		e.buf = e.buf[:0]
		e.appendClockMillis(tm)
		if got, want := string(e.buf), tm.Format("15:04:05.000"); got != want {
			t.Fatalf("clock of %v: got %q, want %q", tm, got, want)
		}
	}
}
