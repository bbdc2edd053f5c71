package jsonx

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestSkipSpace(t *testing.T) {
	for _, c := range []struct {
		in   string
		i    int
		want int
	}{
		{"", 0, 0},
		{"x", 0, 0},
		{" \t\r\nx", 0, 4},
		{"  ", 0, 2},
		{"a  b", 1, 3},
		{"\v x", 0, 0}, // not JSON white space
	} {
		if got := SkipSpace([]byte(c.in), c.i); got != c.want {
			t.Errorf("SkipSpace(%q, %d) = %d, want %d", c.in, c.i, got, c.want)
		}
	}
}

func TestSkipString(t *testing.T) {
	for _, c := range []struct {
		in   string
		i    int
		want int
	}{
		{`""`, 0, 2},
		{`"abc",1`, 0, 5},
		{`"a\"b"`, 0, 6},
		{`"a\\"b"`, 0, 5},
		{`"\u0022"x`, 0, 8},
		{`x"ab"`, 1, 5},
		{`"abc`, 0, -1},
		{`"abc\"`, 0, -1},
		{`"abc\`, 0, -1},
		{`abc`, 0, -1},
		{``, 0, -1},
		{`"a"`, 3, -1},
		{`"a"`, -1, -1},
	} {
		if got := SkipString([]byte(c.in), c.i); got != c.want {
			t.Errorf("SkipString(%q, %d) = %d, want %d", c.in, c.i, got, c.want)
		}
	}
}

func TestSkipValue(t *testing.T) {
	for _, c := range []struct {
		in   string
		i    int
		want int
	}{
		{`"s",`, 0, 3},
		{`123,`, 0, 3},
		{`-1.5e3}`, 0, 6},
		{`true]`, 0, 4},
		{`null`, 0, 4},
		{`false `, 0, 5},
		{`{}`, 0, 2},
		{`[]x`, 0, 2},
		{`{"a":{"b":[1,2,{"c":"}]"}]},"d":2}x`, 0, 34},
		{`{"a":{"b":[1,2,{"c":"}]"}]}},"d":2}`, 0, 28},
		{`["]",["[",{}]],1`, 0, 14},
		{`{"a":"\"}"}x`, 0, 11},
		{`{"a":1,"b":2}`, 5, 6},
		{`{"a":1`, 0, -1},
		{`[1,[2]`, 0, -1},
		{`{"a":"}`, 0, -1},
		{`"abc`, 0, -1},
		{`,`, 0, -1},
		{`}`, 0, -1},
		{` 1`, 0, -1},
		{``, 0, -1},
		{`1`, 1, -1},
		{`1`, -1, -1},
	} {
		if got := SkipValue([]byte(c.in), c.i); got != c.want {
			t.Errorf("SkipValue(%q, %d) = %d, want %d", c.in, c.i, got, c.want)
		}
	}
}

// TestSkipValueFindsEveryElement walks the members of objects and the
// elements of arrays with the scanners and compares with encoding/json.
func TestSkipValueFindsEveryElement(t *testing.T) {
	for _, in := range []string{
		`[1, "two" ,{"three":[3]} , [4,[4]],null,true,false,-5.5e-5, "\"]\\" ]`,
		`[ ]`,
		`[{"a":"}"},{"b":"{"},"\u005d"]`,
	} {
		var want []json.RawMessage
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		b := []byte(in)
		var got [][]byte
		i := SkipSpace(b, 1)
		for i < len(b) && b[i] != ']' {
			e := SkipValue(b, i)
			if e < 0 {
				t.Fatalf("%s: no value at %d", in, i)
			}
			got = append(got, b[i:e])
			i = SkipSpace(b, e)
			if i < len(b) && b[i] == ',' {
				i = SkipSpace(b, i+1)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d elements, want %d", in, len(got), len(want))
		}
		for k := range got {
			if !bytes.Equal(got[k], want[k]) {
				t.Errorf("%s: element %d is %s, want %s", in, k, got[k], want[k])
			}
		}
	}
}

// FuzzSkipValue checks that the scanners never panic nor leave the input,
// and that on valid JSON SkipValue finds the end of the whole value.
func FuzzSkipValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,"]"]}`, `"x\"y"`, `  12 `, `[{]`, `"\`, `{"a":"b"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for i := -1; i <= len(b); i++ {
			if e := SkipValue(b, i); e != -1 && (e <= i || e > len(b)) {
				t.Fatalf("SkipValue(%q, %d) = %d", b, i, e)
			}
			if e := SkipString(b, i); e != -1 && (e < i+2 || e > len(b)) {
				t.Fatalf("SkipString(%q, %d) = %d", b, i, e)
			}
		}
		if !json.Valid(b) {
			return
		}
		i := SkipSpace(b, 0)
		want := len(bytes.TrimRight(b, " \t\r\n"))
		if e := SkipValue(b, i); e != want {
			t.Fatalf("SkipValue(%q, %d) = %d, want %d", b, i, e, want)
		}
	})
}
