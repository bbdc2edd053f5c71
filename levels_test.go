package multi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jinpy-utils/multi"
)

func TestLevelHandler(t *testing.T) {
	audit, console := new(slog.LevelVar), new(slog.LevelVar)
	console.Set(slog.LevelWarn)
	srv := httptest.NewServer(multi.LevelHandler(map[string]*slog.LevelVar{"audit": audit, "console": console}))
	defer srv.Close()
	do := func(method, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	for _, tc := range []struct {
		method, body string
		code         int
		want         string
	}{
		{"GET", "", 200, `{"audit":"INFO","console":"WARN"}`},
		{"PUT", `{"console":"debug"}`, 200, `{"audit":"INFO","console":"DEBUG"}`},
		{"POST", `{"audit":"trace","console":"INFO+2"}`, 200, `{"audit":"TRACE","console":"INFO+2"}`},
		{"PUT", `{"console":"error","nosuch":"debug"}`, 400, `{"error":"no level is named \"nosuch\" (known: audit, console)"}`},
		{"PUT", `{"console":"loud"}`, 400, `{"error":"console: multi: level \"loud\" is not one of trace, debug, info, warn, warning, error, critical, fatal, an offset like INFO+2, or an integer"}`},
		{"PUT", `["debug"]`, 400, `{"error":"body is not a JSON object of names and levels, like {\"console\":\"debug\"}"}`},
		{"PUT", `{}`, 400, `{"error":"body names no level"}`},
		{"PUT", `{"console":"` + strings.Repeat("x", 70<<10) + `"}`, 400, `{"error":"body is over 64 KiB"}`},
		{"DELETE", "", 405, `{"error":"method DELETE: use GET to read the levels, PUT to set them"}`},
		{"GET", "", 200, `{"audit":"TRACE","console":"INFO+2"}`}, // the refused PUTs changed nothing
	} {
		code, body := do(tc.method, tc.body)
		if code != tc.code || body != tc.want {
			t.Errorf("%s %.40s: %d %s\nwant %d %s", tc.method, tc.body, code, body, tc.code, tc.want)
		}
	}
	if audit.Level() != multi.LevelTrace {
		t.Errorf("audit = %v, want TRACE", audit.Level())
	}
}

func TestLevelHandlerConcurrent(t *testing.T) {
	v := new(slog.LevelVar)
	srv := httptest.NewServer(multi.LevelHandler(map[string]*slog.LevelVar{"a": v}))
	defer srv.Close()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				lvl := []string{"debug", "info", "warn", "error"}[(i+j)%4]
				req, _ := http.NewRequest("PUT", srv.URL, strings.NewReader(fmt.Sprintf(`{"a":%q}`, lvl)))
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("PUT %s: %d", lvl, resp.StatusCode)
				}
				_ = v.Level()
			}
		}()
	}
	wg.Wait()
}

// A PUT that sets two levels is all or nothing for readers too: GETs that
// race PUTs of {"a":X,"b":X} always see a and b equal.
func TestLevelHandlerPutIsAtomicForGet(t *testing.T) {
	a, b := new(slog.LevelVar), new(slog.LevelVar)
	srv := httptest.NewServer(multi.LevelHandler(map[string]*slog.LevelVar{"a": a, "b": b}))
	defer srv.Close()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() { // writer
			defer wg.Done()
			for j := range 25 {
				lvl := []string{"trace", "debug", "warn", "critical"}[(i+j)%4]
				req, _ := http.NewRequest("PUT", srv.URL, strings.NewReader(fmt.Sprintf(`{"a":%q,"b":%q}`, lvl, lvl)))
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("PUT %s: %d", lvl, resp.StatusCode)
				}
			}
		}()
		go func() { // reader
			defer wg.Done()
			for range 25 {
				resp, err := srv.Client().Get(srv.URL)
				if err != nil {
					t.Error(err)
					return
				}
				var got map[string]string
				err = json.NewDecoder(resp.Body).Decode(&got)
				resp.Body.Close()
				if err != nil || len(got) != 2 || got["a"] != got["b"] {
					t.Errorf("GET = %v (%v), want a and b equal", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
