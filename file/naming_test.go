package file

import (
	"strconv"
	"testing"
)

func TestParseNames(t *testing.T) {
	plain := naming{prefix: "app.log"}
	dated := naming{prefix: "app-", suffix: ".log", hasDate: true}
	stamped := naming{prefix: "app.log", stamped: true}
	for _, tc := range []struct {
		n     naming
		name  string
		ok    bool
		date  string
		index int
		gz    bool
	}{
		{plain, "app.log", true, "", 0, false},
		{plain, "app.log.1", true, "", 1, false},
		{plain, "app.log.12.gz", true, "", 12, true},
		{plain, "app.log.gz", false, "", 0, false}, // not a name we write
		{plain, "app.log.0", false, "", 0, false},
		{plain, "app.log.01", false, "", 0, false},
		{plain, "app.log.-1", false, "", 0, false},
		{plain, "app.log.1.txt", false, "", 0, false},
		{plain, "app.log.1234567890", false, "", 0, false},
		{plain, "app.log1", false, "", 0, false},
		{plain, "xapp.log.1", false, "", 0, false},
		{dated, "app-2024-05-01.log", true, "2024-05-01", 0, false},
		{dated, "app-2024-05-01.log.gz", true, "2024-05-01", 0, true},
		{dated, "app-2024-05-01.log.3.gz", true, "2024-05-01", 3, true},
		{dated, "app-2024-13-01.log", false, "", 0, false},
		{dated, "app-2024-5-1.log", false, "", 0, false},
		{dated, "app-2024-05-01.logx", false, "", 0, false},
		{dated, "app-{date}.log", false, "", 0, false},
		{plain, "app.log.3.zst", true, "", 3, true},
		{plain, "app.log.zst", false, "", 0, false},
		{plain, "app.log.3.gz.zst", false, "", 0, false},
		{stamped, "app.log", true, "", 0, false},
		{stamped, "app.log.2024-05-01T13-00Z", true, "2024-05-01T13-00Z", 0, false},
		{stamped, "app.log.2024-05-01T13-00+0200.2.zst", true, "2024-05-01T13-00+0200", 2, true},
		{stamped, "app.log.2024-05-01T13-00Z.gz", true, "2024-05-01T13-00Z", 0, true},
		{stamped, "app.log.2024-05-01T13-00+0000", false, "", 0, false}, // we write Z
		{stamped, "app.log.2024-05-01T25-00Z", false, "", 0, false},
		{stamped, "app.log.2024-05-01", false, "", 0, false},
		{stamped, "app.log.gz", false, "", 0, false},
	} {
		b, ok := tc.n.parse(tc.name)
		if ok != tc.ok || (ok && (b.date != tc.date || b.index != tc.index || b.gz != tc.gz)) {
			t.Errorf("parse(%q) = %+v, %v; want ok %v, date %q, index %d, gz %v", tc.name, b, ok, tc.ok, tc.date, tc.index, tc.gz)
		}
	}
	for name, want := range map[string]bool{
		".app.log.1.123456.gz.tmp":  true,
		".app.log.1.gz.tmp":         false, // no random part: the backup would be app.log, which is live
		".app.log.1.12x.gz.tmp":     false,
		"app.log.1.123.gz.tmp":      false,
		".other.1.123.gz.tmp":       false,
		".app.log.1.123456.zst.tmp": true,
		".app.log.1.123456.tmp":     false,
	} {
		if got := plain.isTemp(name); got != want {
			t.Errorf("isTemp(%q) = %v, want %v", name, got, want)
		}
	}
}

// Whatever parse accepts is exactly the name it stands for: parse never
// claims a file whose name is not one we would write.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{"app.log", "app.log.1", "app.log.1.gz", "app-2024-05-01.log.2.gz", "app.log.01", ".app.log.1.5.gz.tmp", "app.log.2.zst", ".app.log.1.5.zst.tmp"} {
		f.Add(s)
	}
	ns := []naming{{prefix: "app.log"}, {prefix: "app-", suffix: ".log", hasDate: true}, {prefix: "x", hasDate: true}, {prefix: "app.log", stamped: true}}
	f.Fuzz(func(t *testing.T, name string) {
		for _, n := range ns {
			b, ok := n.parse(name)
			if !ok {
				continue
			}
			want := n.base(b.date)
			if b.index > 0 {
				want += "." + strconv.Itoa(b.index)
			}
			want += b.ext
			if want != name || b.name != name {
				t.Fatalf("parse(%q) = %+v, which names %q", name, b, want)
			}
			if n.isLive(b) && b.gz {
				t.Fatalf("parse(%q) claims a compressed live file", name)
			}
			n.isTemp(name)
		}
	})
}
