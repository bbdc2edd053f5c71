package otlp

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestResolveEndpoint(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, DefaultEndpoint},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, "http://c:4318/v1/logs"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/base/"}, "http://c:4318/base/v1/logs"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://l:1/custom"}, "http://l:1/custom"},
	} {
		c, err := Resolve(Config{}, env(tc.env))
		if err != nil || c.Endpoint != tc.want {
			t.Errorf("%v: got %q, %v; want %q", tc.env, c.Endpoint, err, tc.want)
		}
	}
	c, err := Resolve(Config{Endpoint: "http://explicit/x"}, env(map[string]string{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://l:1/custom"}))
	if err != nil || c.Endpoint != "http://explicit/x" {
		t.Errorf("explicit endpoint lost: %q, %v", c.Endpoint, err)
	}
}

func TestResolveSignalSpecificWins(t *testing.T) {
	c, err := Resolve(Config{}, env(map[string]string{
		"OTEL_EXPORTER_OTLP_HEADERS":          "a=generic",
		"OTEL_EXPORTER_OTLP_LOGS_HEADERS":     "api-key=s%20e%2Ccret, x = y ",
		"OTEL_EXPORTER_OTLP_TIMEOUT":          "1",
		"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT":     "2500",
		"OTEL_EXPORTER_OTLP_COMPRESSION":      "none",
		"OTEL_EXPORTER_OTLP_LOGS_COMPRESSION": "gzip",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{DefaultEndpoint, []KeyValue{{"api-key", "s e,cret"}, {"x", "y"}}, 2500 * time.Millisecond, "gzip"}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v, want %+v", c, want)
	}
}

func TestResolveDefaultsAndExplicit(t *testing.T) {
	c, err := Resolve(Config{Timeout: time.Second, Compression: "none"}, env(map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "5", "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"}))
	if err != nil || c.Timeout != time.Second || c.Compression != "none" || c.Headers != nil {
		t.Errorf("got %+v, %v", c, err)
	}
	c, err = Resolve(Config{}, env(nil))
	if err != nil || c.Timeout != DefaultTimeout || c.Compression != "none" {
		t.Errorf("defaults: got %+v, %v", c, err)
	}
}

func TestResolveRefusesMalformed(t *testing.T) {
	for _, tc := range []struct {
		env      map[string]string
		explicit Config
		want     string
	}{
		{map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "10s"}, Config{}, `OTEL_EXPORTER_OTLP_TIMEOUT="10s": want a whole number of milliseconds`},
		{map[string]string{"OTEL_EXPORTER_OTLP_LOGS_COMPRESSION": "zstd"}, Config{}, `OTEL_EXPORTER_OTLP_LOGS_COMPRESSION="zstd": want gzip or none`},
		{map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "a=%zz"}, Config{}, `OTEL_EXPORTER_OTLP_HEADERS: member "a=%zz": value`},
		{map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "novalue"}, Config{}, `OTEL_EXPORTER_OTLP_HEADERS: member "novalue" has no '='`},
		{nil, Config{Compression: "br"}, `compression "br": want gzip or none`},
		{map[string]string{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "not a url"}, Config{}, `endpoint "not a url"`},
	} {
		_, err := Resolve(tc.explicit, env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %+v: got %v, want an error containing %q", tc.env, tc.explicit, err, tc.want)
		}
	}
}

func TestResource(t *testing.T) {
	got, err := Resource(env(map[string]string{
		"OTEL_RESOURCE_ATTRIBUTES": "service.name=old, deployment.environment=prod%2Ceu,k8s.pod.name=a+b,,",
		"OTEL_SERVICE_NAME":        "checkout",
	}))
	want := []KeyValue{{"deployment.environment", "prod,eu"}, {"k8s.pod.name", "a+b"}, {"service.name", "checkout"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	if _, err := Resource(env(map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "ok=1,=v"})); err == nil || !strings.Contains(err.Error(), "empty key") {
		t.Errorf("empty key: got %v", err)
	}
}
