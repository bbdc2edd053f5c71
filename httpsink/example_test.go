package httpsink_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/jinpy-utils/multi/httpsink"
)

// A collector on loopback receives gzipped NDJSON; the handler ships to it
// in batches, and Shutdown returns once everything was delivered.
func Example() {
	var mu sync.Mutex
	var lines []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := httpsink.ReadBody(r, nil, 0) // gunzips
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		lines = append(lines, strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")...)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer collector.Close()

	h, err := httpsink.New(collector.URL+"/logs", &httpsink.Options{
		Encoding: httpsink.NDJSON,
		Compress: true,
		// No times, so that the output below does not change.
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	})
	if err != nil {
		panic(err)
	}
	logger := slog.New(h)
	logger.Info("order placed", "order", 1042, "total", 99.5)
	logger.Warn("stock low", slog.Group("item", "sku", "A-7", "left", 3))
	if err := h.Shutdown(context.Background()); err != nil {
		panic(err)
	}
	for _, l := range lines {
		fmt.Println(l)
	}
	st := h.Stats()
	fmt.Printf("written %d, dropped %d, healthy %v\n", st.Written, st.Dropped, h.Healthy())
	// Output:
	// {"level":"INFO","msg":"order placed","order":1042,"total":99.5}
	// {"level":"WARN","msg":"stock low","item":{"sku":"A-7","left":3}}
	// written 2, dropped 0, healthy true
}

// A receiver opens sealed bodies with the same 32-byte key.
func ExampleOpen() {
	key := []byte("0123456789abcdef0123456789abcdef") // in production: from a secret store
	var got string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := httpsink.ReadBody(r, key, 0) // httpsink.Open, then gunzip
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got = string(body)
	}))
	defer collector.Close()

	h, err := httpsink.New(collector.URL, &httpsink.Options{Encoding: httpsink.NDJSON, EncryptionKey: key,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		}})
	if err != nil {
		panic(err)
	}
	slog.New(h).Info("sealed")
	h.Shutdown(context.Background())
	fmt.Print(got)
	// Output:
	// {"level":"INFO","msg":"sealed"}
}
