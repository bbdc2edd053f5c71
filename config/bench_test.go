package config

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Parsing the sample document costs about what decoding it into generic
// values with the libraries alone does; both are one-off costs at start.
func BenchmarkParse(b *testing.B) {
	yamlDoc, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var generic any
	if err := yaml.Unmarshal(yamlDoc, &generic); err != nil {
		b.Fatal(err)
	}
	jsonDoc, err := json.Marshal(generic)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("doc=yaml/impl=config", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse(strings.NewReader(string(yamlDoc))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("doc=yaml/impl=library", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := yaml.Unmarshal(yamlDoc, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("doc=json/impl=config", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse(strings.NewReader(string(jsonDoc))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("doc=json/impl=library", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := json.Unmarshal(jsonDoc, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Decode against encoding/json into the same Options-like struct (fields
// that both can read).
func BenchmarkDecode(b *testing.B) {
	type opts struct {
		Name       string
		Compress   bool
		MaxBackups int
		Tags       []string
		Headers    map[string]string
	}
	raw := []byte(`{"Name":"app","Compress":true,"MaxBackups":5,"Tags":["a","b"],"Headers":{"X-A":"1","X-B":"2"}}`)
	b.Run("impl=config", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var o opts
			if err := Decode(raw, &o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=library", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var o opts
			if err := json.Unmarshal(raw, &o); err != nil {
				b.Fatal(err)
			}
		}
	})
}
