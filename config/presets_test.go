package config

import (
	"encoding/json"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/console"
)

func TestProductionWritesJSONToStdoutAtInfoWithSource(t *testing.T) {
	for _, tc := range []struct {
		logLevel string // "-" = unset
		want     []string
	}{
		{"-", []string{"INFO", "WARN"}},
		{"", []string{"INFO", "WARN"}},
		{"debug", []string{"DEBUG", "INFO", "WARN"}},
		{"WARNING", []string{"WARN"}},
		{"INFO+1", []string{"WARN"}},
	} {
		t.Run("LOG_LEVEL="+tc.logLevel, func(t *testing.T) {
			if tc.logLevel == "-" {
				t.Setenv("LOG_LEVEL", "")
				os.Unsetenv("LOG_LEVEL")
			} else {
				t.Setenv("LOG_LEVEL", tc.logLevel)
			}
			stdout := swapStd(t, &os.Stdout)
			h, err := Production().Build()
			require.NoError(t, err)
			log := slog.New(h)
			log.Debug("d")
			log.Info("i", "k", "v")
			log.Warn("w")
			require.NoError(t, multi.Shutdown(t.Context(), h))

			var levels []string
			for _, line := range strings.Split(strings.TrimSuffix(stdout(), "\n"), "\n") {
				var m struct {
					Level  string
					Source struct {
						Function string
						File     string
						Line     int
					}
				}
				require.NoError(t, json.Unmarshal([]byte(line), &m), line)
				levels = append(levels, m.Level)
				assert.Equal(t, "github.com/jinpy-utils/multi/config.TestProductionWritesJSONToStdoutAtInfoWithSource.func1", m.Source.Function)
				assert.True(t, strings.HasSuffix(m.Source.File, "config/presets_test.go"), m.Source.File)
			}
			assert.Equal(t, tc.want, levels)
		})
	}
}

func TestDevelopmentWritesConsoleLinesToStderrAtDebug(t *testing.T) {
	for _, tc := range []struct {
		logLevel string
		want     []string
	}{
		{"", []string{"[DEBUG] d", `[INFO] i {"k":"v"}`}},
		{"trace", []string{"[TRACE] t", "[DEBUG] d", `[INFO] i {"k":"v"}`}},
		{"error", nil},
	} {
		t.Run("LOG_LEVEL="+tc.logLevel, func(t *testing.T) {
			t.Setenv("LOG_LEVEL", tc.logLevel)
			stderr := swapStd(t, &os.Stderr)
			h, err := Development().Build()
			require.NoError(t, err)
			c := h.Handlers()[0].(*console.Handler)
			assert.False(t, c.Color(), "no colour: stderr is a file here")
			log := slog.New(h)
			log.Log(t.Context(), multi.LevelTrace, "t")
			log.Debug("d")
			log.Info("i", "k", "v")
			require.NoError(t, multi.Shutdown(t.Context(), h))
			var got []string
			if out := stderr(); out != "" {
				for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
					got = append(got, regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} `).ReplaceAllString(line, ""))
				}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestPresetsRejectABadLogLevel(t *testing.T) {
	t.Setenv("LOG_LEVEL", "verbose")
	_, err := Production().Build()
	assert.EqualError(t, err, `config: sinks[0].level: "${LOG_LEVEL}" is not a level (trace, debug, info, warn, error, critical, or an offset like INFO+2)`)
	_, err = Development().Build()
	assert.EqualError(t, err, `config: sinks[0].level: "${LOG_LEVEL}" is not a level (trace, debug, info, warn, error, critical, or an offset like INFO+2)`)
	t.Setenv("LOG_LEVEL", "xx") // too short to be redacted
	_, err = Production().Build()
	assert.EqualError(t, err, `config: sinks[0].level: "xx" is not a level (trace, debug, info, warn, error, critical, or an offset like INFO+2)`)
}

func TestConsoleOutput(t *testing.T) {
	_, err := loadString(t, "sinks:\n  - type: console\n    output: /dev/null\n", nil)
	assert.EqualError(t, err, `config: line 3: sinks[0].output: "/dev/null" is not stdout or stderr`)
	_, err = loadString(t, "sinks:\n  - type: console\n    format: xml\n", nil)
	assert.EqualError(t, err, `config: line 3: sinks[0].format: format: parse "xml": not one of json, text, plain, structured, console`)
	_, err = loadString(t, "sinks:\n  - type: console\n    color: sometimes\n", nil)
	assert.EqualError(t, err, `config: line 3: sinks[0].color: console: colour mode "sometimes" is not one of auto, always, never`)

	stderr := swapStd(t, &os.Stderr)
	_, err = loadString(t, "sinks:\n  - type: console\n    logger_name: x\n", nil)
	assert.EqualError(t, err, `config: line 3: sinks[0].logger_name: unknown field`)
	h, err := loadString(t, "sinks:\n  - type: console\n    format: plain\n    name: console\n    logger: web\n    time_format: '-'\n", nil)
	require.NoError(t, err)
	slog.New(h).Info("up")
	require.NoError(t, multi.Shutdown(t.Context(), h))
	assert.Equal(t, "- [INFO] web: up\n", stderr())
}
