package config

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jinpy-utils/multi"
)

// Decode stores the JSON object raw in the value dst points to, usually a
// sink's Options struct, the way Load decodes the options of the built-in
// sink types. A build function given to [Register] can call it to take its
// options from a document with the same rules and error messages:
//
//   - A key names a field by its Go name (MaxSize), its snake_case form
//     (max_size), or the name in a `config:"name"` struct tag; a tag of
//     "-" hides the field. Fields of embedded structs are promoted as in Go.
//     A key that names no field is an error, as is naming one field twice.
//     A key that could name two fields names the one whose tag it is, or
//     else the one whose Go name it is; a snake_case form that two fields
//     share (Url and URL) names neither.
//   - Levels (slog.Leveler and slog.Level fields) are names or offsets as
//     [multi.ParseLevel] reads them ("debug", "warning", "INFO+2") or
//     integers. Durations (time.Duration) are strings like "5s" or "1m30s".
//   - Sizes are strings like "100MB" or "64KiB", or plain integers (see
//     [ParseSize]). A field is a size if its Go name ends in "Bytes", if
//     its tag says `config:",size"`, or if it is one of the size fields of
//     the built-in sink types' options, listed in the package doc. Other
//     integer fields take integers only, so that "100MB" records cannot be
//     mistaken for a count.
//   - Types with an UnmarshalText method (format.Format, buffer.Policy,
//     httpsink.Encoding, console.ColorMode) take strings, as do the types
//     this package knows a parser for: wssink.Mode, and os.FileMode as an
//     octal string ("0640"; not a number, which JSON would read in decimal).
//   - Numbers and bools may also be written as strings ("8", "true"), so
//     that they can come from environment variables. Strings are never
//     taken from numbers: quote them.
//   - []byte is a base64 string. A single value stands for a one-element
//     list. Maps take objects with string keys; the keys of an http.Header
//     are made canonical ("x-api-key" is "X-Api-Key"). null leaves the
//     zero value.
//   - Funcs, channels, interfaces other than slog.Leveler and any, and
//     structs of the standard library without a text form (*http.Client,
//     *tls.Config) cannot be set from a document: naming one is an error.
//
// Errors are [*Error] values whose Path names the key inside raw
// ("max_size"); Load adds the sink's place in the document ("sinks[2].").
func Decode(raw json.RawMessage, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &Error{Err: fmt.Errorf("Decode needs a non-nil pointer, not %T", dst)}
	}
	if len(raw) > MaxDocumentSize {
		return &Error{Err: fmt.Errorf("options are larger than %d bytes", MaxDocumentSize)}
	}
	n, err := parseJSON(raw)
	if err == nil {
		err = decodeValue(n, rv.Elem(), nil, false)
	}
	if e, ok := err.(*Error); ok && bytes.IndexByte(raw, '\n') < 0 {
		e.Line = 0 // "line 1" says nothing about a one-line object
	}
	return err
}

var (
	levelerType   = reflect.TypeFor[slog.Leveler]()
	levelType     = reflect.TypeFor[slog.Level]()
	durationType  = reflect.TypeFor[time.Duration]()
	unmarshalType = reflect.TypeFor[encoding.TextUnmarshaler]()
	anyType       = reflect.TypeFor[any]()
	httpClient    = reflect.TypeFor[http.Client]()
	headerType    = reflect.TypeFor[http.Header]()
)

// parsers are the string forms of types that have a ParseX function
// rather than an UnmarshalText method. The built-in sink files add theirs.
var parsers sync.Map // reflect.Type -> parser

type parser struct {
	want  string // "a string like \"0640\"", for a value that is not a string
	parse func(string) (reflect.Value, error)
}

func registerParser[T any](want string, parse func(string) (T, error)) {
	parsers.Store(reflect.TypeFor[T](), parser{want, func(s string) (reflect.Value, error) {
		v, err := parse(s)
		return reflect.ValueOf(v), err
	}})
}

// sizeFields lists the integer fields, by struct type and Go name, that
// take sizes although their names do not end in "Bytes".
var sizeFields sync.Map // reflect.Type -> map[string]bool

func markSizes(t reflect.Type, names ...string) {
	m := map[string]bool{}
	for _, n := range names {
		if _, ok := t.FieldByName(n); !ok {
			panic("config: " + t.String() + " has no field " + n)
		}
		m[n] = true
	}
	sizeFields.Store(t, m)
}

func typeErr(want string, n *node) error {
	return fmt.Errorf("want %s, got %s", want, n.kind)
}

// scalarText returns the text of a number, bool or string node, and a
// quoted form for messages.
func scalarText(n *node) (text, shown string, ok bool) {
	switch n.kind {
	case kString:
		return n.text, strconv.Quote(n.text), true
	case kNumber, kBool:
		return n.text, n.text, true
	}
	return "", "", false
}

func decodeValue(n *node, v reflect.Value, at path, size bool) error {
	if n.kind == kNull {
		v.SetZero()
		return nil
	}
	t := v.Type()
	switch t {
	case levelerType, levelType:
		l, err := decodeLevel(n)
		if err != nil {
			return errAt(at, n.line, err)
		}
		if t == levelType {
			v.SetInt(int64(l))
		} else {
			v.Set(reflect.ValueOf(l))
		}
		return nil
	case durationType:
		if n.kind != kString {
			return errAt(at, n.line, fmt.Errorf(`want a duration like "5s", got %s`, n.kind))
		}
		d, err := time.ParseDuration(strings.TrimSpace(n.text))
		if err != nil {
			return errAt(at, n.line, fmt.Errorf("%q is not a duration (like 500ms, 5s or 1m30s)", n.text))
		}
		v.SetInt(int64(d))
		return nil
	case anyType:
		v.Set(reflect.ValueOf(toAny(n)))
		return nil
	}
	if p, ok := parsers.Load(t); ok {
		p := p.(parser)
		if n.kind != kString {
			return errAt(at, n.line, typeErr(p.want, n))
		}
		pv, err := p.parse(n.text)
		if err != nil {
			return errAt(at, n.line, err)
		}
		v.Set(pv)
		return nil
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(unmarshalType) {
		text, _, ok := scalarText(n)
		if !ok {
			return errAt(at, n.line, typeErr("a string", n))
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(text)); err != nil {
			return errAt(at, n.line, err)
		}
		return nil
	}
	if opaque(t) {
		return errAt(at, n.line, fmt.Errorf("%s cannot be set from a document; set it in Go", t))
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return decodeValue(n, v.Elem(), at, size)
	case reflect.Struct:
		return decodeStruct(n, v, at)
	case reflect.Map:
		return decodeMap(n, v, at)
	case reflect.Slice, reflect.Array:
		return decodeList(n, v, at)
	case reflect.String:
		if n.kind != kString {
			return errAt(at, n.line, typeErr("a string", n))
		}
		v.SetString(n.text)
		return nil
	case reflect.Bool:
		text, shown, ok := scalarText(n)
		if !ok {
			return errAt(at, n.line, typeErr("true or false", n))
		}
		b, err := strconv.ParseBool(text)
		if err != nil {
			return errAt(at, n.line, fmt.Errorf("%s is not a bool (true or false)", shown))
		}
		v.SetBool(b)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		text, shown, ok := scalarText(n)
		if !ok || n.kind == kBool {
			return errAt(at, n.line, typeErr("an integer", n))
		}
		var i int64
		var err error
		if size && n.kind == kString {
			i, err = ParseSize(text)
		} else if i, err = strconv.ParseInt(strings.TrimSpace(text), 10, 64); err != nil {
			if errors.Is(err, strconv.ErrRange) {
				err = fmt.Errorf("%s is out of range for %s", shown, t)
			} else {
				err = fmt.Errorf("%s is not an integer", shown)
			}
		}
		if err != nil {
			return errAt(at, n.line, err)
		}
		if v.OverflowInt(i) {
			return errAt(at, n.line, fmt.Errorf("%s is out of range for %s", shown, t))
		}
		v.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		text, shown, ok := scalarText(n)
		if !ok || n.kind == kBool {
			return errAt(at, n.line, typeErr("an integer", n))
		}
		var u uint64
		if size && n.kind == kString {
			i, err := ParseSize(text)
			if err != nil {
				return errAt(at, n.line, err)
			}
			u = uint64(i)
		} else {
			var err error
			if u, err = strconv.ParseUint(strings.TrimSpace(text), 10, 64); err != nil {
				if errors.Is(err, strconv.ErrRange) {
					return errAt(at, n.line, fmt.Errorf("%s is out of range for %s", shown, t))
				}
				return errAt(at, n.line, fmt.Errorf("%s is not a non-negative integer", shown))
			}
		}
		if v.OverflowUint(u) {
			return errAt(at, n.line, fmt.Errorf("%s is out of range for %s", shown, t))
		}
		v.SetUint(u)
		return nil
	case reflect.Float32, reflect.Float64:
		text, shown, ok := scalarText(n)
		if !ok || n.kind == kBool {
			return errAt(at, n.line, typeErr("a number", n))
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(text), t.Bits())
		if err != nil {
			return errAt(at, n.line, fmt.Errorf("%s is not a number", shown))
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			// "NaN" and "inf", which JSON cannot write and YAML's .nan
			// and .inf, refused by the parser, would otherwise let in.
			return errAt(at, n.line, fmt.Errorf("%s is not a finite number", shown))
		}
		v.SetFloat(f)
		return nil
	}
	return errAt(at, n.line, fmt.Errorf("%s cannot be set from a document; set it in Go", t))
}

func decodeLevel(n *node) (slog.Level, error) {
	switch n.kind {
	case kString:
		l, err := multi.ParseLevel(n.text)
		if err != nil {
			return 0, fmt.Errorf("%q is not a level (trace, debug, info, warn, error, critical, or an offset like INFO+2)", n.text)
		}
		return l, nil
	case kNumber:
		i, err := strconv.ParseInt(n.text, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%s is not a level", n.text)
		}
		return slog.Level(i), nil
	}
	return 0, typeErr("a level", n)
}

// opaque reports whether values of t cannot come from a document.
func opaque(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128, reflect.Interface:
		return true
	case reflect.Pointer:
		return opaque(t.Elem())
	case reflect.Struct:
		// A struct of the standard library (*http.Client, *tls.Config) is
		// code, not configuration, unless it has a text form, checked before.
		pkg := t.PkgPath()
		first, _, _ := strings.Cut(pkg, "/")
		return t == httpClient || pkg != "" && !strings.Contains(first, ".") && pkg != "main"
	}
	return false
}

func toAny(n *node) any {
	switch n.kind {
	case kBool:
		return n.text == "true"
	case kNumber:
		f, _ := strconv.ParseFloat(n.text, 64)
		return f
	case kString:
		return n.text
	case kList:
		l := make([]any, len(n.items))
		for i, it := range n.items {
			l[i] = toAny(it)
		}
		return l
	case kObject:
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			m[k] = toAny(n.vals[i])
		}
		return m
	}
	return nil
}

func decodeStruct(n *node, v reflect.Value, at path) error {
	if n.kind != kObject {
		return errAt(at, n.line, typeErr("an object", n))
	}
	info := fieldsOf(v.Type())
	set := map[*field]string{}
	for i, k := range n.keys {
		f := info.byKey[k]
		if f == nil {
			msg := "unknown field"
			if s := info.suggest(k); s != "" {
				msg += "; did you mean " + s + "?"
			}
			return errAt(at.key(k), n.vals[i].line, errors.New(msg))
		}
		if prev, dup := set[f]; dup {
			return errAt(at.key(k), n.vals[i].line, fmt.Errorf("sets the same field as %s", prev))
		}
		set[f] = k
		fv, err := fieldAlloc(v, f.index)
		if err != nil {
			return errAt(at.key(k), n.vals[i].line, err)
		}
		if err := decodeValue(n.vals[i], fv, at.key(k), f.size); err != nil {
			return err
		}
	}
	return nil
}

// fieldAlloc is v.FieldByIndex that allocates nil embedded pointers.
func fieldAlloc(v reflect.Value, index []int) (reflect.Value, error) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, fmt.Errorf("embedded %s is nil and unexported", v.Type())
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, nil
}

func decodeMap(n *node, v reflect.Value, at path) error {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		return errAt(at, n.line, fmt.Errorf("%s cannot be set from a document; set it in Go", t))
	}
	if n.kind != kObject {
		return errAt(at, n.line, typeErr("an object", n))
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, len(n.keys)))
	}
	// An http.Header's keys are canonical ("authorization" is
	// "Authorization"), so that Header.Get finds them, and the sinks know
	// an Authorization header for the secret it is.
	header := t == headerType
	var seen map[string]string
	if header {
		seen = make(map[string]string, len(n.keys))
	}
	for i, k := range n.keys {
		e := reflect.New(t.Elem()).Elem()
		if err := decodeValue(n.vals[i], e, at.key(k), false); err != nil {
			return err
		}
		mk := k
		if header {
			mk = http.CanonicalHeaderKey(k)
			if prev, dup := seen[mk]; dup {
				return errAt(at.key(k), n.vals[i].line, fmt.Errorf("is the same header as %s", prev))
			}
			seen[mk] = k
		}
		v.SetMapIndex(reflect.ValueOf(mk).Convert(t.Key()), e)
	}
	return nil
}

func decodeList(n *node, v reflect.Value, at path) error {
	t := v.Type()
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 && n.kind == kString {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(n.text))
		if err != nil {
			return errAt(at, n.line, errors.New("not valid base64"))
		}
		v.SetBytes(b)
		return nil
	}
	items := n.items
	if n.kind == kObject {
		return errAt(at, n.line, typeErr("a list", n))
	}
	single := n.kind != kList
	if single {
		items = []*node{n}
	}
	if t.Kind() == reflect.Array {
		if len(items) != t.Len() {
			return errAt(at, n.line, fmt.Errorf("want a list of %d, got %d", t.Len(), len(items)))
		}
	} else {
		v.Set(reflect.MakeSlice(t, len(items), len(items)))
	}
	for i, it := range items {
		p := at
		if !single {
			p = at.index(i)
		}
		if err := decodeValue(it, v.Index(i), p, false); err != nil {
			return err
		}
	}
	return nil
}

// ---- struct fields ----

type field struct {
	name  string // Go name
	index []int
	size  bool
	depth int
}

type structFields struct {
	byKey map[string]*field
	keys  []string // snake_case or tag names, for suggestions
}

var fieldCache sync.Map // reflect.Type -> *structFields

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	type cand struct {
		f    *field
		keys []string
		tag  bool // keys[1] is the name in the field's tag
	}
	byName := map[string][]cand{}
	var walk func(t reflect.Type, index []int, depth int, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, index []int, depth int, seen map[reflect.Type]bool) {
		if seen[t] {
			return
		}
		seen[t] = true
		var sizes map[string]bool
		if s, ok := sizeFields.Load(t); ok {
			sizes = s.(map[string]bool)
		}
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("config")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(index[:len(index):len(index)], i)
			ft := sf.Type
			if sf.Anonymous && name == "" {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct && (sf.IsExported() || ft.Kind() != reflect.Pointer) {
					walk(et, idx, depth+1, seen)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			f := &field{
				name:  sf.Name,
				index: idx,
				depth: depth,
				size:  opts == "size" || strings.HasSuffix(sf.Name, "Bytes") || sizes[sf.Name],
			}
			keys := []string{sf.Name}
			if name != "" {
				keys = append(keys, name)
			} else if s := snake(sf.Name); s != sf.Name {
				keys = append(keys, s)
			}
			byName[sf.Name] = append(byName[sf.Name], cand{f, keys, name != ""})
		}
		delete(seen, t)
	}
	walk(t, nil, 0, map[reflect.Type]bool{})
	// A key two fields could claim goes to a tag's name first, then to a
	// Go name; a snake_case form two fields share (Url and URL) is
	// neither's, so that the choice does not depend on map order.
	type claim struct {
		f     *field
		rank  int // 0 tag, 1 Go name, 2 snake_case
		ambig bool
	}
	claims := map[string]*claim{}
	var winners []cand
	for _, cs := range byName {
		// As in Go, the shallowest field wins; two at the same depth hide
		// each other.
		best, n := cs[0], 0
		for _, c := range cs {
			switch {
			case c.f.depth < best.f.depth:
				best, n = c, 1
			case c.f.depth == best.f.depth:
				n++
			}
		}
		if n > 1 {
			continue
		}
		winners = append(winners, best)
		for i, k := range best.keys {
			rank := 1
			if i > 0 && best.tag {
				rank = 0
			} else if i > 0 {
				rank = 2
			}
			switch c := claims[k]; {
			case c == nil || rank < c.rank:
				claims[k] = &claim{f: best.f, rank: rank}
			case rank == c.rank:
				c.ambig = true
			}
		}
	}
	sf := &structFields{byKey: map[string]*field{}}
	for k, c := range claims {
		if !c.ambig {
			sf.byKey[k] = c.f
		}
	}
	for _, w := range winners {
		if k := w.keys[len(w.keys)-1]; sf.byKey[k] == w.f {
			sf.keys = append(sf.keys, k)
		} else if sf.byKey[w.keys[0]] == w.f {
			sf.keys = append(sf.keys, w.keys[0])
		}
	}
	f, _ := fieldCache.LoadOrStore(t, sf)
	return f.(*structFields)
}

// snake turns a Go name into snake_case: MaxSize → max_size,
// TLSConfig → tls_config, CACertFile → ca_cert_file.
func snake(s string) string {
	var b []byte
	up := func(c byte) bool { return 'A' <= c && c <= 'Z' }
	for i := 0; i < len(s); i++ {
		c := s[i]
		if up(c) {
			if i > 0 && (!up(s[i-1]) && s[i-1] != '_' || i+1 < len(s) && !up(s[i+1]) && s[i+1] != '_' && !('0' <= s[i+1] && s[i+1] <= '9')) {
				b = append(b, '_')
			}
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

// suggest returns the known key closest to k, if one is close.
func (sf *structFields) suggest(k string) string {
	norm := func(s string) string { return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s)) }
	nk := norm(k)
	best, bestD := "", 3
	for _, c := range sf.keys {
		if d := distance(nk, norm(c)); d < bestD || d == bestD && best != "" && c < best {
			best, bestD = c, d
		}
	}
	if bestD > len(nk)/3 && bestD > 0 {
		return ""
	}
	return best
}

// distance is the Levenshtein distance of a and b, capped at 3.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 3
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], 3)
}
