package journald_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/jinpy-utils/multi/journald"
	"github.com/jinpy-utils/multi/syslog"
)

// A service writes to the journal where there is one, and to the local
// syslog socket elsewhere.
func Example() {
	var h slog.Handler
	if j, err := journald.New(&journald.Options{Identifier: "myapp", AddSource: true}); err == nil {
		defer j.Shutdown(context.Background())
		h = j
	} else if s, err := syslog.New("", nil); err == nil {
		defer s.Shutdown(context.Background())
		h = s
	} else {
		h = slog.NewTextHandler(os.Stderr, nil)
	}
	logger := slog.New(h)
	// journalctl -t myapp HTTP_STATUS=500 finds it.
	logger.WithGroup("http").Error("request failed", "status", 500, "path", "/cart")
}
