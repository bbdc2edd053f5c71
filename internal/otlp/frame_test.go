package otlp

import (
	"bytes"
	"log/slog"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

func TestSeverity(t *testing.T) {
	for l, want := range map[slog.Level]int32{-8: 1, -4: 5, 0: 9, 4: 13, 8: 17, 12: 21, -100: 1, 100: 24, 2: 11} {
		if got := Severity(l); got != want {
			t.Errorf("Severity(%v) = %d, want %d", l, got, want)
		}
	}
}

// fields decodes one message level into (number, bytes) pairs, failing the
// test on anything malformed or not length-delimited.
func fields(t *testing.T, b []byte) (nums []protowire.Number, vals [][]byte) {
	t.Helper()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ != protowire.BytesType {
			t.Fatalf("bad tag at %x", b)
		}
		b = b[n:]
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			t.Fatalf("bad length at %x", b)
		}
		b = b[n:]
		nums, vals = append(nums, num), append(vals, v)
	}
	return nums, vals
}

func TestAppendRequestNestsRecordsUnchanged(t *testing.T) {
	rec1 := protowire.AppendString(protowire.AppendTag(nil, 8, protowire.BytesType), "one")
	rec2 := protowire.AppendString(protowire.AppendTag(nil, 8, protowire.BytesType), "two")
	prefix := []byte("keep")
	req := AppendRequest(prefix, []KeyValue{{"service.name", "svc"}, {"a", ""}}, "app.db", [][]byte{rec1, rec2})
	if !bytes.HasPrefix(req, []byte("keep")) {
		t.Fatal("dst prefix lost")
	}
	nums, vals := fields(t, req[4:])
	if len(nums) != 1 || nums[0] != 1 {
		t.Fatalf("request fields %v", nums)
	}
	nums, rl := fields(t, vals[0])
	if len(nums) != 2 || nums[0] != 1 || nums[1] != 2 {
		t.Fatalf("resource_logs fields %v", nums)
	}
	_, attrs := fields(t, rl[0])
	if len(attrs) != 2 {
		t.Fatalf("resource has %d attributes", len(attrs))
	}
	_, kv := fields(t, attrs[0])
	_, sv := fields(t, kv[1])
	if string(kv[0]) != "service.name" || string(sv[0]) != "svc" {
		t.Errorf("first attribute %q=%q", kv[0], sv[0])
	}
	nums, sl := fields(t, rl[1])
	if len(nums) != 3 || nums[0] != 1 || nums[1] != 2 || nums[2] != 2 {
		t.Fatalf("scope_logs fields %v", nums)
	}
	_, name := fields(t, sl[0])
	if string(name[0]) != "app.db" || !bytes.Equal(sl[1], rec1) || !bytes.Equal(sl[2], rec2) {
		t.Errorf("scope %q, records %x %x", name[0], sl[1], sl[2])
	}
	// No scope: the scope field is absent.
	_, vals = fields(t, AppendRequest(nil, nil, "", [][]byte{rec1}))
	_, rl = fields(t, vals[0])
	nums, _ = fields(t, rl[1])
	if len(nums) != 1 || nums[0] != 2 {
		t.Errorf("scope_logs without a scope: fields %v", nums)
	}
}

func BenchmarkAppendRequest(b *testing.B) {
	rec := bytes.Repeat([]byte{0x42}, 200)
	recs := make([][]byte, 256)
	for i := range recs {
		recs[i] = rec
	}
	res := []KeyValue{{"service.name", "checkout"}}
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendRequest(buf[:0], res, "app", recs)
	}
}
