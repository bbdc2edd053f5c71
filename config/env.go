package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// minSecret is the length below which a variable's value is not redacted
// from error messages: one- and two-byte values (a port digit, "on") are no
// secrets, and replacing them would garble paths like sinks[1].
const minSecret = 3

// envValue is one variable a document used, remembered so that its value
// can be cut out of error messages.
type envValue struct {
	name, value string
}

// envUse is what the expansion of a document's references has read so far.
type envUse struct {
	used []envValue // each variable once, however often it is used
	text int        // bytes the references were replaced by, in all
}

// remember records that a reference to name was replaced by value.
func (u *envUse) remember(name, value string) error {
	u.text += len(value)
	if u.text > MaxExpandedText {
		return fmt.Errorf("environment variables expand the document by more than %d MiB", MaxExpandedText>>20)
	}
	for _, e := range u.used {
		if e.name == name && e.value == value {
			return nil
		}
	}
	u.used = append(u.used, envValue{name, value})
	return nil
}

// expand replaces the ${NAME} and ${NAME:-default} references in s and
// turns $${ into ${. A '$' followed by anything else is kept as it is.
// With lookup nil it only checks the syntax; otherwise it records in env
// the variables it used.
func expand(s string, lookup func(string) (string, bool), env *envUse) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' { // $${ is a literal ${
			b.WriteString(s[:i])
			b.WriteString("{")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", errors.New("unterminated ${ reference (write $${ for a literal ${)")
		}
		ref := s[i : i+end+1]
		body := ref[2 : len(ref)-1]
		name, def, hasDef := strings.Cut(body, ":-")
		if !validName(name) {
			return "", fmt.Errorf("%s is not a variable reference (want ${NAME} or ${NAME:-default})", strconv.Quote(ref))
		}
		if hasDef && strings.Contains(def, "${") {
			return "", fmt.Errorf("%s: a default cannot hold a ${ reference", strconv.Quote(ref))
		}
		s = s[i+end+1:]
		if lookup == nil {
			continue
		}
		v, ok := lookup(name)
		switch {
		case hasDef && v == "":
			b.WriteString(def)
		case !ok:
			return "", fmt.Errorf("environment variable %s is not set", name)
		default:
			if err := env.remember(name, v); err != nil {
				return "", err
			}
			b.WriteString(v)
		}
	}
}

func validName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// expandTree returns a copy of n with the references in its string values
// expanded (keys are taken literally). With lookup nil it only checks the
// syntax and returns n.
func expandTree(n *node, at path, lookup func(string) (string, bool), env *envUse) (*node, error) {
	switch n.kind {
	case kString:
		s, err := expand(n.text, lookup, env)
		if err != nil {
			return nil, errAt(at, n.line, err)
		}
		if lookup == nil || s == n.text {
			return n, nil
		}
		c := *n
		c.text = s
		return &c, nil
	case kList:
		c := *n
		c.items = make([]*node, len(n.items))
		for i, it := range n.items {
			e, err := expandTree(it, at.pushIndex(i), lookup, env)
			if err != nil {
				return nil, err
			}
			c.items[i] = e
		}
		return &c, nil
	case kObject:
		c := *n
		c.vals = make([]*node, len(n.vals))
		for i, v := range n.vals {
			e, err := expandTree(v, at.pushKey(n.keys[i]), lookup, env)
			if err != nil {
				return nil, err
			}
			c.vals[i] = e
		}
		return &c, nil
	}
	return n, nil
}

// fragment is the length from which a run of bytes that also occurs in a
// variable's value is taken to be a piece of it: an error that quotes only
// part of a value (a URL's port, a truncated token) must not show it.
const fragment = 8

// redact returns msg with the values in used cut out and replaced by the
// ${NAME} that supplied them: every occurrence of a value of minSecret
// bytes or more, and every run of fragment bytes or more that also occurs
// in a value, in any of the forms an error message might quote it in (raw,
// Go- or JSON-quoted, URL-escaped).
func redact(msg string, used []envValue) string {
	type form struct {
		text string
		v    int // index in used, plus one
	}
	var forms []form
	for ui, u := range used {
		if len(u.value) < minSecret {
			continue
		}
		values := []string{u.value}
		if !utf8.ValidString(u.value) {
			// A sink sees each byte of invalid UTF-8 as U+FFFD, as the
			// options reach it as JSON (see appendString).
			values = append(values, toValidUTF8(u.value))
		}
		for _, v := range values {
			q := strconv.Quote(v)
			j, _ := json.Marshal(v)
			for _, f := range []string{
				v, q[1 : len(q)-1], string(j[1 : len(j)-1]),
				url.QueryEscape(v), url.PathEscape(v),
			} {
				forms = append(forms, form{f, ui + 1})
			}
		}
	}
	// Longest first, so that a value that contains another is cut whole.
	slices.SortStableFunc(forms, func(a, b form) int { return len(b.text) - len(a.text) })
	var mark []int // mark[i] != 0: byte i of msg is part of used[mark[i]-1]
	for _, f := range forms {
		if len(f.text) < fragment {
			for off := 0; ; {
				i := strings.Index(msg[off:], f.text)
				if i < 0 {
					break
				}
				mark = markRun(mark, len(msg), off+i, len(f.text), f.v)
				off += i + 1
			}
			continue
		}
		// Every window of msg of fragment bytes that is also one of f.
		grams := make(map[string]struct{}, len(f.text)-fragment+1)
		for i := 0; i+fragment <= len(f.text); i++ {
			grams[f.text[i:i+fragment]] = struct{}{}
		}
		for i := 0; i+fragment <= len(msg); i++ {
			if _, ok := grams[msg[i:i+fragment]]; ok {
				mark = markRun(mark, len(msg), i, fragment, f.v)
			}
		}
	}
	if mark == nil {
		return msg
	}
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		switch m := mark[i]; {
		case m == 0:
			b.WriteByte(msg[i])
		case i == 0 || mark[i-1] != m:
			b.WriteString("${" + used[m-1].name + "}")
		}
	}
	return b.String()
}

// toValidUTF8 returns s with each byte that is not part of valid UTF-8
// replaced by U+FFFD, as appendString writes it.
func toValidUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// markRun marks n bytes from i as belonging to value v; bytes already
// marked keep their mark.
func markRun(mark []int, size, i, n, v int) []int {
	if mark == nil {
		mark = make([]int, size)
	}
	for k := i; k < i+n; k++ {
		if mark[k] == 0 {
			mark[k] = v
		}
	}
	return mark
}

// redactError returns err unchanged when its message holds no value in
// used, and otherwise a new error with the redacted message and no chain.
func redactError(err error, used []envValue) error {
	msg := err.Error()
	if r := redact(msg, used); r != msg {
		return errors.New(r)
	}
	return err
}
