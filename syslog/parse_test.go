package syslog

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// message is an RFC 5424 message read back by parse5424.
type message struct {
	pri                               int
	version                           string
	timestamp, host, app, proc, msgID string
	sd                                []element // nil for the NILVALUE
	msg                               string    // after the BOM
	hasBOM                            bool
}

type element struct {
	id     string
	params []param
}

type param struct{ name, value string }

// parse5424 reads one RFC 5424 message, strictly: it refuses what the RFC
// refuses (a bad SD-NAME, an unescaped '"' or ']' or '\' before another
// character, a missing space), so that it checks our encoder where
// rsyslog's lenient parser would not.
func parse5424(s string) (message, error) {
	var m message
	if !strings.HasPrefix(s, "<") {
		return m, errors.New("no PRI")
	}
	end := strings.IndexByte(s, '>')
	if end < 2 || end > 4 {
		return m, errors.New("bad PRI")
	}
	pri, err := strconv.Atoi(s[1:end])
	if err != nil || pri > 191 {
		return m, fmt.Errorf("bad PRI %q", s[1:end])
	}
	m.pri = pri
	s = s[end+1:]
	fields := make([]string, 6)
	for i := range fields {
		j := strings.IndexByte(s, ' ')
		if j <= 0 {
			return m, fmt.Errorf("header field %d missing", i)
		}
		fields[i], s = s[:j], s[j+1:]
		for k := 0; k < len(fields[i]); k++ {
			if c := fields[i][k]; c <= ' ' || c >= 0x7f {
				return m, fmt.Errorf("header field %d %q: byte %#x", i, fields[i], c)
			}
		}
	}
	m.version, m.timestamp, m.host, m.app, m.proc, m.msgID = fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]
	if m.version != "1" {
		return m, fmt.Errorf("version %q", m.version)
	}
	if s == "" {
		return m, errors.New("no STRUCTURED-DATA")
	}
	if s[0] == '-' {
		s = s[1:]
	} else {
		for len(s) > 0 && s[0] == '[' {
			var e element
			e, s, err = parseElement(s[1:])
			if err != nil {
				return m, err
			}
			m.sd = append(m.sd, e)
		}
		if m.sd == nil {
			return m, errors.New("STRUCTURED-DATA is neither - nor [")
		}
	}
	if s == "" {
		return m, nil
	}
	if s[0] != ' ' {
		return m, fmt.Errorf("no space after STRUCTURED-DATA: %q", s)
	}
	s = s[1:]
	if strings.HasPrefix(s, bom) {
		m.hasBOM, s = true, s[len(bom):]
		if !utf8.ValidString(s) {
			return m, errors.New("MSG after a BOM is not UTF-8")
		}
	}
	m.msg = s
	return m, nil
}

func parseElement(s string) (element, string, error) {
	var e element
	i := 0
	for i < len(s) && sdNameByte(s[i]) {
		i++
	}
	if i == 0 || i > 32 {
		return e, "", fmt.Errorf("bad SD-ID in %q", s)
	}
	e.id, s = s[:i], s[i:]
	for {
		if s == "" {
			return e, "", errors.New("SD-ELEMENT not closed")
		}
		if s[0] == ']' {
			return e, s[1:], nil
		}
		if s[0] != ' ' {
			return e, "", fmt.Errorf("no space before SD-PARAM: %q", s)
		}
		s = s[1:]
		i = 0
		for i < len(s) && sdNameByte(s[i]) {
			i++
		}
		if i == 0 || i > 32 {
			return e, "", fmt.Errorf("bad PARAM-NAME in %q", s)
		}
		name := s[:i]
		s = s[i:]
		if !strings.HasPrefix(s, `="`) {
			return e, "", fmt.Errorf("no =\" after %q", name)
		}
		s = s[2:]
		var v strings.Builder
		for {
			if s == "" {
				return e, "", errors.New("PARAM-VALUE not closed")
			}
			c := s[0]
			if c == '"' {
				s = s[1:]
				break
			}
			if c == ']' {
				return e, "", fmt.Errorf("unescaped ] in the value of %q", name)
			}
			if c == '\\' && len(s) > 1 && (s[1] == '"' || s[1] == '\\' || s[1] == ']') {
				v.WriteByte(s[1])
				s = s[2:]
				continue
			}
			if c == '\\' {
				return e, "", fmt.Errorf("lone backslash in the value of %q", name)
			}
			v.WriteByte(c)
			s = s[1:]
		}
		if !utf8.ValidString(v.String()) {
			return e, "", fmt.Errorf("value of %q is not UTF-8", name)
		}
		e.params = append(e.params, param{name, v.String()})
	}
}
