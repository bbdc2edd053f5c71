// Package attrpath finds an attribute by its path of group keys, for
// multi.Route's matchers and multitest's queries alike.
package attrpath

import "log/slog"

// InRecord returns the value at keys (a key, or the keys of nested groups
// then the key) among r's attributes; the first match wins.
func InRecord(r slog.Record, keys []string) (slog.Value, bool) {
	var found slog.Value
	ok := false
	r.Attrs(func(a slog.Attr) bool {
		found, ok = Lookup(a, keys)
		return !ok
	})
	return found, ok
}

// Lookup returns the value at keys in a, resolved. A group with an empty
// key is inlined, as slog does.
func Lookup(a slog.Attr, keys []string) (slog.Value, bool) {
	if a.Key != keys[0] {
		if a.Key == "" && a.Value.Kind() == slog.KindGroup {
			for _, g := range a.Value.Group() {
				if v, ok := Lookup(g, keys); ok {
					return v, true
				}
			}
		}
		return slog.Value{}, false
	}
	v := a.Value.Resolve()
	if len(keys) == 1 {
		return v, true
	}
	if v.Kind() != slog.KindGroup {
		return slog.Value{}, false
	}
	for _, g := range v.Group() {
		if v, ok := Lookup(g, keys[1:]); ok {
			return v, true
		}
	}
	return slog.Value{}, false
}
