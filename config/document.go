package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Limits on a document. A document that breaks one is rejected with an
// [Error] before anything is built, so a hostile or broken file costs
// bounded time and memory.
const (
	// MaxDocumentSize is the largest document Parse reads, in bytes.
	MaxDocumentSize = 1 << 20
	// MaxDepth is how deeply objects and lists may nest; the top-level
	// object is depth 1, a sink depth 3.
	MaxDepth = 32
	// MaxValues is how many values (objects, lists, scalars) a document
	// may hold once its YAML aliases and merge keys are expanded.
	MaxValues = 20_000
	// MaxExpandedText is how many bytes of keys and strings a document may
	// hold once its YAML aliases and merge keys are expanded, and how many
	// bytes the values of its ${VAR} references may add to it when
	// [Config.Build] expands them.
	MaxExpandedText = 4 << 20
)

type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kList
	kObject
)

func (k kind) String() string {
	switch k {
	case kNull:
		return "null"
	case kBool:
		return "a bool"
	case kNumber:
		return "a number"
	case kString:
		return "a string"
	case kList:
		return "a list"
	default:
		return "an object"
	}
}

// node is one value of a document, JSON's data model with line numbers.
type node struct {
	kind  kind
	text  string  // string value; number literal; "true" or "false"
	items []*node // list
	keys  []string
	vals  []*node // object, in document order
	line  int     // 1-based; 0 when not known
}

func (n *node) get(key string) *node {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// at follows p from n and returns the line of the deepest value found.
func (n *node) lineOf(p path) int {
	line := n.line
	for _, s := range p {
		switch {
		case s.isIdx && n.kind == kList && s.idx >= 0 && s.idx < len(n.items):
			n = n.items[s.idx]
		case !s.isIdx && n.kind == kObject && n.get(s.key) != nil:
			n = n.get(s.key)
		default:
			return line
		}
		if n.line > 0 {
			line = n.line
		}
	}
	return line
}

// appendJSON appends n as compact JSON.
func (n *node) appendJSON(b []byte) []byte {
	switch n.kind {
	case kNull:
		return append(b, "null"...)
	case kBool, kNumber:
		return append(b, n.text...)
	case kString:
		return appendString(b, n.text)
	case kList:
		b = append(b, '[')
		for i, it := range n.items {
			if i > 0 {
				b = append(b, ',')
			}
			b = it.appendJSON(b)
		}
		return append(b, ']')
	default:
		b = append(b, '{')
		for i, k := range n.keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = n.vals[i].appendJSON(b)
		}
		return append(b, '}')
	}
}

const hexDigits = "0123456789abcdef"

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// budget bounds the size of a tree as it is built.
type budget struct {
	values, text int
}

func (b *budget) spend(text int) error {
	b.values++
	b.text += text
	if b.values > MaxValues {
		return fmt.Errorf("document holds more than %d values (YAML aliases included)", MaxValues)
	}
	if b.text > MaxExpandedText {
		return fmt.Errorf("document holds more than %d MiB of text (YAML aliases included)", MaxExpandedText>>20)
	}
	return nil
}

func errDepth() error { return fmt.Errorf("nested more than %d levels deep", MaxDepth) }

// parseDocument reads data as JSON if its first non-blank byte is '{' or
// '[', and as YAML otherwise.
func parseDocument(data []byte) (*node, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, &Error{Err: errors.New("empty document")}
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		return parseJSON(data)
	}
	return parseYAML(data)
}

// ---- JSON ----

type jsonParser struct {
	dec  *json.Decoder
	data []byte
	nl   []int // offsets of '\n' in data
	b    budget
}

func parseJSON(data []byte) (*node, error) {
	p := &jsonParser{dec: json.NewDecoder(bytes.NewReader(data)), data: data}
	p.dec.UseNumber()
	for i, c := range data {
		if c == '\n' {
			p.nl = append(p.nl, i)
		}
	}
	n, err := p.value(nil, 1)
	if err != nil {
		return nil, err
	}
	line := p.next()
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, &Error{Line: line, Err: errors.New("unexpected data after the document")}
	}
	return n, nil
}

// lineAt returns the 1-based line of byte offset off.
func (p *jsonParser) lineAt(off int64) int {
	return sort.SearchInts(p.nl, int(off)) + 1
}

// next returns the line of the next token.
func (p *jsonParser) next() int {
	off := p.dec.InputOffset()
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
			continue
		}
		break
	}
	return p.lineAt(off)
}

func (p *jsonParser) syntax(err error, line int) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// The offset of a Decoder.Token error may be that of an earlier
		// token (before the comma, for "[1,\n x]"): the line is taken
		// from the whole-document scanner of Unmarshal, whose offset is
		// the bad byte's. Only on this error path, so a valid document
		// is scanned once.
		var full *json.SyntaxError
		if errors.As(json.Unmarshal(p.data, new(json.RawMessage)), &full) {
			se = full
		}
		return &Error{Line: p.lineAt(se.Offset - 1), Err: errors.New(se.Error())}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Line: p.lineAt(int64(len(p.data))), Err: errors.New("unexpected end of document")}
	}
	return &Error{Line: line, Err: err}
}

func (p *jsonParser) value(at path, depth int) (*node, error) {
	line := p.next()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.syntax(err, line)
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth > MaxDepth {
			return nil, errAt(at, line, errDepth())
		}
		if err := p.b.spend(0); err != nil {
			return nil, errAt(at, line, err)
		}
		if t == '[' {
			n := &node{kind: kList, line: line}
			for p.dec.More() {
				it, err := p.value(at.pushIndex(len(n.items)), depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, it)
			}
			if _, err := p.dec.Token(); err != nil {
				return nil, p.syntax(err, line)
			}
			return n, nil
		}
		n := &node{kind: kObject, line: line}
		seen := map[string]bool{}
		for p.dec.More() {
			kline := p.next()
			kt, err := p.dec.Token()
			if err != nil {
				return nil, p.syntax(err, kline)
			}
			k := kt.(string) // the decoder only returns a string in key position
			if seen[k] {
				return nil, errAt(at, kline, fmt.Errorf("duplicate key %q", k))
			}
			seen[k] = true
			if err := p.b.spend(len(k)); err != nil {
				return nil, errAt(at, kline, err)
			}
			v, err := p.value(at.pushKey(k), depth+1)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, k)
			n.vals = append(n.vals, v)
		}
		if _, err := p.dec.Token(); err != nil {
			return nil, p.syntax(err, line)
		}
		return n, nil
	case string:
		if err := p.b.spend(len(t)); err != nil {
			return nil, errAt(at, line, err)
		}
		return &node{kind: kString, text: t, line: line}, nil
	case json.Number:
		if err := p.b.spend(len(t)); err != nil {
			return nil, errAt(at, line, err)
		}
		return &node{kind: kNumber, text: string(t), line: line}, nil
	case bool:
		if err := p.b.spend(0); err != nil {
			return nil, errAt(at, line, err)
		}
		return &node{kind: kBool, text: strconv.FormatBool(t), line: line}, nil
	default: // nil
		if err := p.b.spend(0); err != nil {
			return nil, errAt(at, line, err)
		}
		return &node{kind: kNull, line: line}, nil
	}
}

// ---- YAML ----

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlError(err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Line: line, Err: errors.New(m[2])}
	}
	if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	return &Error{Err: errors.New(msg)}
}

func parseYAML(data []byte) (*node, error) {
	// The YAML parser holds every node of a document at once, at a few
	// hundred bytes each, before this package sees any of them. Refuse a
	// document that could hold many more than MaxValues nodes before
	// parsing it: a node other than the first starts after a line break,
	// a comma, a bracket, or a '-', ':' or '?' indicator.
	n := 0
	for _, c := range data {
		switch c {
		case '\n', ',', '[', '{', '-', ':', '?':
			n++
		}
	}
	if n > MaxValues {
		return nil, &Error{Err: fmt.Errorf("document has more than %d line breaks, commas, brackets and - : ? indicators", MaxValues)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, &Error{Err: errors.New("empty document")}
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, &Error{Line: extra.Line, Err: errors.New("more than one YAML document")}
	case err != io.EOF:
		return nil, yamlError(err)
	}
	c := &yamlConv{}
	return c.conv(&doc, nil, 1)
}

type yamlConv struct{ b budget }

func (c *yamlConv) conv(y *yaml.Node, at path, depth int) (*node, error) {
	switch y.Kind {
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return &node{kind: kNull, line: y.Line}, nil
		}
		return c.conv(y.Content[0], at, depth)
	case yaml.AliasNode:
		return c.conv(y.Alias, at, depth)
	case yaml.ScalarNode:
		return c.scalar(y, at)
	case yaml.SequenceNode:
		if depth > MaxDepth {
			return nil, errAt(at, y.Line, errDepth())
		}
		if tag := y.ShortTag(); tag != "!!seq" {
			return nil, errAt(at, y.Line, fmt.Errorf("unsupported YAML tag %s", tag))
		}
		if err := c.b.spend(0); err != nil {
			return nil, errAt(at, y.Line, err)
		}
		n := &node{kind: kList, line: y.Line, items: make([]*node, 0, len(y.Content))}
		for i, it := range y.Content {
			v, err := c.conv(it, at.pushIndex(i), depth+1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, v)
		}
		return n, nil
	case yaml.MappingNode:
		return c.mapping(y, at, depth)
	}
	return nil, errAt(at, y.Line, errors.New("unsupported YAML node"))
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge"
}

func (c *yamlConv) mapping(y *yaml.Node, at path, depth int) (*node, error) {
	if depth > MaxDepth {
		return nil, errAt(at, y.Line, errDepth())
	}
	if tag := y.ShortTag(); tag != "!!map" {
		return nil, errAt(at, y.Line, fmt.Errorf("unsupported YAML tag %s", tag))
	}
	if err := c.b.spend(0); err != nil {
		return nil, errAt(at, y.Line, err)
	}
	n := &node{kind: kObject, line: y.Line}
	seen := map[string]bool{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(y.Content); i += 2 {
		ky, vy := y.Content[i], y.Content[i+1]
		if isMerge(ky) {
			merges = append(merges, vy)
			continue
		}
		for ky.Kind == yaml.AliasNode {
			ky = ky.Alias
		}
		if ky.Kind != yaml.ScalarNode {
			return nil, errAt(at, ky.Line, errors.New("a key must be a string, not a list or an object"))
		}
		if tag := ky.ShortTag(); !scalarTags[tag] {
			return nil, errAt(at, ky.Line, fmt.Errorf("unsupported YAML tag %s", tag))
		}
		k := ky.Value
		if seen[k] {
			return nil, errAt(at, ky.Line, fmt.Errorf("duplicate key %q", k))
		}
		seen[k] = true
		if err := c.b.spend(len(k)); err != nil {
			return nil, errAt(at, ky.Line, err)
		}
		v, err := c.conv(vy, at.pushKey(k), depth+1)
		if err != nil {
			return nil, err
		}
		n.keys = append(n.keys, k)
		n.vals = append(n.vals, v)
	}
	// Merge keys (<<: *base, or <<: [*a, *b]): keys written in the mapping
	// win, then the first source that has a key.
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		for srcs[0].Kind == yaml.AliasNode {
			srcs[0] = srcs[0].Alias
		}
		if srcs[0].Kind == yaml.SequenceNode {
			srcs = srcs[0].Content
		}
		for _, s := range srcs {
			for s.Kind == yaml.AliasNode {
				s = s.Alias
			}
			if s.Kind != yaml.MappingNode {
				return nil, errAt(at.key("<<"), s.Line, errors.New("a merge key (<<) takes an object or a list of objects"))
			}
			src, err := c.mapping(s, at, depth+1)
			if err != nil {
				return nil, err
			}
			for i, k := range src.keys {
				if !seen[k] {
					seen[k] = true
					n.keys = append(n.keys, k)
					n.vals = append(n.vals, src.vals[i])
				}
			}
		}
	}
	return n, nil
}

// scalarTags are the tags a scalar may have: YAML 1.2's core schema, and
// the !!timestamp and !!binary that the parser also knows.
var scalarTags = map[string]bool{
	"!!null": true, "!!bool": true, "!!int": true, "!!float": true,
	"!!str": true, "!!timestamp": true, "!!binary": true,
}

func (c *yamlConv) scalar(y *yaml.Node, at path) (*node, error) {
	if err := c.b.spend(len(y.Value)); err != nil {
		return nil, errAt(at, y.Line, err)
	}
	n := &node{line: y.Line}
	switch tag := y.ShortTag(); tag {
	case "!!null":
		n.kind = kNull
	case "!!bool":
		var b bool
		if err := y.Decode(&b); err != nil {
			return nil, errAt(at, y.Line, fmt.Errorf("%q is not a bool", y.Value))
		}
		n.kind, n.text = kBool, strconv.FormatBool(b)
	case "!!int":
		var i int64
		var u uint64
		if err := y.Decode(&i); err == nil {
			n.kind, n.text = kNumber, strconv.FormatInt(i, 10)
		} else if err := y.Decode(&u); err == nil {
			n.kind, n.text = kNumber, strconv.FormatUint(u, 10)
		} else {
			return nil, errAt(at, y.Line, fmt.Errorf("%q is out of range for a 64-bit integer", y.Value))
		}
	case "!!float":
		var f float64
		if err := y.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, errAt(at, y.Line, fmt.Errorf("%q is not a finite number", y.Value))
		}
		n.kind, n.text = kNumber, strconv.FormatFloat(f, 'g', -1, 64)
	case "!!str", "!!timestamp", "!!binary":
		n.kind, n.text = kString, y.Value
	default:
		return nil, errAt(at, y.Line, fmt.Errorf("unsupported YAML tag %s", tag))
	}
	return n, nil
}
