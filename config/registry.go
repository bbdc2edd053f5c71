package config

import (
	"encoding/json"
	"log/slog"
	"sort"
	"strings"
	"sync"
)

type buildFunc = func(raw json.RawMessage) (slog.Handler, error)

// steerFunc is a built-in type's build function: it also takes what only
// the program can give (see [BuildOptions]), which Register'ed types never
// see.
type steerFunc = func(raw json.RawMessage, st *steer) (slog.Handler, error)

// builtin registers a built-in type, steerable.
func builtin(name string, f steerFunc) {
	types.add(name, func(raw json.RawMessage) (slog.Handler, error) { return f(raw, &steer{}) })
	types.mu.Lock()
	if types.steer == nil {
		types.steer = map[string]steerFunc{}
	}
	types.steer[name] = f
	types.mu.Unlock()
}

func (r *registry) getSteer(name string) steerFunc {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.steer[name]
}

// registry maps sink type names to build functions.
type registry struct {
	mu    sync.RWMutex
	m     map[string]buildFunc
	steer map[string]steerFunc
}

// types holds the sink types documents may use: the built-in ones and
// those added with Register.
var types = &registry{m: map[string]buildFunc{}}

// Register makes a sink type available to every document under typeName.
// When a document lists a sink of that type, build is called with the
// sink's object, without its "type" key, as compact JSON whose environment
// references are already expanded; it returns the sink's handler or an
// error. [Decode] reads that JSON into an Options struct with the rules
// and error messages of the built-in types. If build returns an [*Error]
// (as Decode does), its Path is taken to be inside the sink's object and
// Load prefixes the sink's place ("sinks[2]."); other errors are reported
// at the sink.
//
// A handler that build returns is shut down by Load when a later sink of
// the same document fails to build, if it implements multi.Shutdowner.
//
// Register is safe for concurrent use, but is meant for init functions:
// like database/sql.Register, it panics if typeName is empty or already
// registered (the built-in types are console, file, http, websocket,
// syslog, journald, route and failover) or
// if build is nil, since each is a programming error that should stop the
// program at once.
func Register(typeName string, build func(raw json.RawMessage) (slog.Handler, error)) {
	if strings.TrimSpace(typeName) == "" {
		panic("config: Register with an empty type name")
	}
	if build == nil {
		panic("config: Register of type " + typeName + " with a nil build function")
	}
	types.add(typeName, build)
}

func (r *registry) add(name string, build buildFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[name]; dup {
		panic("config: Register called twice for type " + name)
	}
	r.m[name] = build
}

func (r *registry) get(name string) buildFunc {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.m[name]
}

func (r *registry) names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.m))
	for n := range r.m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Types returns the names of the sink types documents may use, sorted.
// It is safe for concurrent use.
func Types() []string {
	return types.names()
}
