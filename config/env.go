package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
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

// expand replaces the ${NAME} and ${NAME:-default} references in s and
// turns $${ into ${. A '$' followed by anything else is kept as it is.
// With lookup nil it only checks the syntax.
func expand(s string, lookup func(string) (string, bool), used *[]envValue) (string, error) {
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
			b.WriteString(v)
			*used = append(*used, envValue{name, v})
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
func expandTree(n *node, at path, lookup func(string) (string, bool), used *[]envValue) (*node, error) {
	switch n.kind {
	case kString:
		s, err := expand(n.text, lookup, used)
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
			e, err := expandTree(it, at.pushIndex(i), lookup, used)
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
			e, err := expandTree(v, at.pushKey(n.keys[i]), lookup, used)
			if err != nil {
				return nil, err
			}
			c.vals[i] = e
		}
		return &c, nil
	}
	return n, nil
}

// redact returns msg with every value in used of minSecret bytes or more,
// in any of the forms an error message might quote it in, replaced by the
// ${NAME} that supplied it.
func redact(msg string, used []envValue) string {
	type form struct{ text, name string }
	var forms []form
	for _, u := range used {
		if len(u.value) < minSecret {
			continue
		}
		q := strconv.Quote(u.value)
		j, _ := json.Marshal(u.value)
		for _, t := range []string{
			u.value, q[1 : len(q)-1], string(j[1 : len(j)-1]),
			url.QueryEscape(u.value), url.PathEscape(u.value),
		} {
			forms = append(forms, form{t, u.name})
		}
	}
	if len(forms) == 0 {
		return msg
	}
	// Longest first, so that a value containing another is cut whole.
	slices.SortStableFunc(forms, func(a, b form) int { return len(b.text) - len(a.text) })
	// Cut every occurrence before writing any name, so that a name never
	// becomes the text of a later match.
	marks := make([]int, len(msg)) // 0 = keep; i+1 = start of forms[i]; -1 = inside a cut
	for fi, f := range forms {
		for off := 0; ; {
			i := strings.Index(msg[off:], f.text)
			if i < 0 {
				break
			}
			i += off
			free := true
			for k := i; k < i+len(f.text); k++ {
				if marks[k] != 0 {
					free = false
					break
				}
			}
			if free {
				marks[i] = fi + 1
				for k := i + 1; k < i+len(f.text); k++ {
					marks[k] = -1
				}
			}
			off = i + 1
		}
	}
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		switch m := marks[i]; {
		case m == 0:
			b.WriteByte(msg[i])
		case m > 0:
			b.WriteString("${" + forms[m-1].name + "}")
		}
	}
	return b.String()
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
