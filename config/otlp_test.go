package config

import (
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jinpy-utils/multi"
)

// An "otlp" sink exports to the endpoint it names, with its headers and
// compression; a bad value is refused with the key's line.
func TestOTLPSink(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	var tenant, enc string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rd io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			require.NoError(t, err)
			rd = zr
		}
		b, _ := io.ReadAll(rd)
		mu.Lock()
		bodies = append(bodies, string(b))
		tenant, enc = r.Header.Get("X-Tenant"), r.Header.Get("Content-Encoding")
		mu.Unlock()
	}))
	defer srv.Close()
	h, err := Load(strings.NewReader(`
sinks:
  - type: otlp
    logger: shop/cart
    endpoint: ` + srv.URL + `/v1/logs
    headers: {X-Tenant: [blue]}
    compression: none
    resource: {service.name: shop}
    queue: {flush_interval: 10ms}
`))
	require.NoError(t, err)
	slog.New(h).Info("exported")
	require.NoError(t, multi.Shutdown(context.Background(), h))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, bodies, 1)
	for _, want := range []string{"exported", "shop/cart", "service.name", "shop"} {
		assert.Contains(t, bodies[0], want)
	}
	assert.Equal(t, "blue", tenant)
	assert.Empty(t, enc)

	_, err = Load(strings.NewReader("sinks:\n  - type: otlp\n    endpoint: http://127.0.0.1:1/v1/logs\n    compression: zstd\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `line 4: sinks[0].compression: otlpsink: compression "zstd" is not gzip, none or from-env`)
}
