package multi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// maxLevelBody bounds the body of a request to a [LevelHandler].
const maxLevelBody = 64 << 10

// LevelHandler serves the named levels over HTTP, as zap's
// AtomicLevel.ServeHTTP does for one level: an operator turns one sink to
// DEBUG while an incident lasts, and back.
//
//	GET              {"audit":"INFO","console":"DEBUG"}
//	PUT or POST      {"console":"debug"}  sets those named, answers as GET
//
// Levels are read by [ParseLevel] (any case, WARNING and FATAL, offsets
// such as INFO+2, integers) and shown by [LevelString]. A PUT sets every
// level it names or, if one name or level is wrong, none of them. Bad input
// is refused with 400 and a message that names the problem: an unknown
// name (with the known ones), a bad level, a body that is not a JSON
// object of strings, a body over 64 KiB. Other methods get 405. Answers
// are JSON, errors {"error":"..."}.
//
// levels is typically config's Tree.Levels. The map must not change after
// the call; the LevelVars may be set by others meanwhile. The handler is
// safe for concurrent use. It does no authentication: serve it only where
// operators alone can reach it.
func LevelHandler(levels map[string]*slog.LevelVar) http.Handler {
	names := make([]string, 0, len(levels))
	for n, v := range levels {
		if v == nil {
			panic(fmt.Sprintf("multi.LevelHandler: level %q is a nil *slog.LevelVar", n))
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return &levelHandler{levels: levels, names: names}
}

type levelHandler struct {
	mu     sync.Mutex // one PUT at a time, so that a PUT is all or nothing
	levels map[string]*slog.LevelVar
	names  []string
}

func (h *levelHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPut, http.MethodPost:
		if err := h.set(r); err != nil {
			levelError(w, http.StatusBadRequest, err)
			return
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT, POST")
		levelError(w, http.StatusMethodNotAllowed, fmt.Errorf("method %s: use GET to read the levels, PUT to set them", r.Method))
		return
	}
	h.mu.Lock()
	out := make(map[string]string, len(h.levels))
	for n, v := range h.levels {
		out[n] = LevelString(v.Level())
	}
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out) //nolint:errcheck // the client went away
}

func (h *levelHandler) set(r *http.Request) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxLevelBody+1))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if len(body) > maxLevelBody {
		return errors.New("body is over 64 KiB")
	}
	var want map[string]string
	if err := json.Unmarshal(body, &want); err != nil || want == nil {
		return fmt.Errorf(`body is not a JSON object of names and levels, like {"console":"debug"}`)
	}
	if len(want) == 0 {
		return errors.New("body names no level")
	}
	set := make(map[*slog.LevelVar]slog.Level, len(want))
	for n, s := range want {
		v := h.levels[n]
		if v == nil {
			return fmt.Errorf("no level is named %q (known: %s)", n, strings.Join(h.names, ", "))
		}
		l, err := ParseLevel(s)
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		set[v] = l
	}
	h.mu.Lock()
	for v, l := range set {
		v.Set(l)
	}
	h.mu.Unlock()
	return nil
}

func levelError(w http.ResponseWriter, code int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": err.Error()}) //nolint:errcheck // the client went away
}
