package format_test

import (
	"log/slog"
	"os"
	"time"

	"github.com/jinpy-utils/multi/format"
)

func Example() {
	// A fixed time, for reproducible output; a real program keeps the
	// default ReplaceAttr-free options.
	fixed := func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			a.Value = slog.TimeValue(time.Date(2024, 5, 6, 7, 8, 9, 120000000, time.UTC))
		}
		return a
	}
	for _, f := range []format.Format{format.JSON, format.Text, format.Plain, format.Structured, format.Console} {
		h := format.New(os.Stdout, &format.Options{Format: f, Name: "api", ReplaceAttr: fixed, Level: slog.LevelDebug})
		logger := slog.New(h).With("region", "eu").WithGroup("req")
		logger.Info("handled\nrequest", "method", "GET", "took", 1500*time.Millisecond)
	}
	// Output:
	// {"time":"2024-05-06T07:08:09.12Z","level":"INFO","msg":"handled\nrequest","logger":"api","region":"eu","req":{"method":"GET","took":1500000000}}
	// time=2024-05-06T07:08:09.120Z level=INFO msg="handled\nrequest" logger=api region=eu req.method=GET req.took=1.5s
	// 2024-05-06T07:08:09.120000+00:00 [INFO] api: handled\nrequest
	// 2024-05-06T07:08:09.120000+00:00 [INFO] api: handled\nrequest {"region":"eu","req":{"method":"GET","took":"1.5s"}}
	// 07:08:09.120 [INFO] api: handled\nrequest {"region":"eu","req":{"method":"GET","took":"1.5s"}}
}
