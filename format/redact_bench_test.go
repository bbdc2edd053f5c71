package format_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/jinpy-utils/multi/format"
)

// BenchmarkRedact is the cost of a Redactor as ReplaceAttr on a JSON
// handler, for 10 attributes none of which is a secret:
//
//	impl=none       no ReplaceAttr
//	impl=identity   a ReplaceAttr that returns its attribute (the price of
//	                having one at all: the encoder's fast path is off)
//	impl=keys       DefaultRedactKeys, no detectors
//	impl=all        DefaultRedactKeys and every detector (the default)
//
//	go test -run '^$' -bench Redact -count 6 . | benchstat -col /impl -
func BenchmarkRedact(b *testing.B) {
	keys, err := format.NewRedactor(&format.RedactOptions{Detectors: []format.Detector{}})
	if err != nil {
		b.Fatal(err)
	}
	all, err := format.NewRedactor(nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, im := range []struct {
		name string
		rep  func([]string, slog.Attr) slog.Attr
	}{
		{"none", nil},
		{"identity", func(_ []string, a slog.Attr) slog.Attr { return a }},
		{"keys", keys.ReplaceAttr},
		{"all", all.ReplaceAttr},
	} {
		b.Run("impl="+im.name, func(b *testing.B) {
			h := format.New(io.Discard, &format.Options{ReplaceAttr: im.rep})
			r := slog.NewRecord(benchTime, slog.LevelInfo, "request served", 0)
			r.AddAttrs(attrs10...)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := h.Handle(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
