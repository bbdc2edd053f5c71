package wssink_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/jinpy-utils/multi/wssink"
)

// Stream records to a receiver with acknowledged delivery. The receiver here
// runs on loopback in the same program; in production it is a collector
// elsewhere, written with NewReceiver or any WebSocket server that speaks
// the protocol in the package doc.
func Example() {
	var mu sync.Mutex
	var got []string
	receiver := wssink.NewReceiver(func(_ context.Context, records [][]byte) error {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range records {
			got = append(got, string(r)) // records are only valid during the call
		}
		return nil
	}, nil)
	srv := httptest.NewServer(receiver)
	defer srv.Close()

	h, err := wssink.New("ws"+strings.TrimPrefix(srv.URL, "http"), &wssink.Options{
		Ack:    true,
		Source: "example",
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // drop the time to make the output stable
			}
			return a
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	logger := slog.New(h)
	logger.Info("user signed in", "user", "ada")
	logger.Warn("disk almost full", "free_mb", 120)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil { // sends, waits for the acks, closes
		fmt.Println(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, r := range got {
		fmt.Println(r)
	}
	fmt.Println("written:", h.Stats().Written)
	// Output:
	// {"level":"INFO","msg":"user signed in","user":"ada"}
	// {"level":"WARN","msg":"disk almost full","free_mb":120}
	// written: 2
}
