#!/usr/bin/env bash
# Checks what a program that uses multi gets in its module graph: builds a
# throwaway consumer module in a temporary directory that requires
# github.com/jinpy-utils/multi (replaced by this checkout), imports every
# public package, runs `go mod tidy` and `go build`, and fails if the
# consumer's go.mod, go.sum or module graph (go list -m all) names a comparison peer or anything else that
# belongs in a nested module (bench/ for peers, the OpenTelemetry glue
# module for go.opentelemetry.io/otel). The main go.mod must require only
# what the library's packages and their own tests import.
#
# Usage: scripts/modgraph.sh        (exit 0: clean; 1: a forbidden module)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# Module path prefixes a consumer must never see.
forbidden=(
  github.com/lmittmann/tint
  gopkg.in/natefinch/lumberjack
  go.uber.org/zap
  github.com/rs/zerolog
  github.com/sirupsen/logrus
  go.opentelemetry.io/otel
  go.opentelemetry.io/collector
  github.com/open-telemetry/opentelemetry-collector-contrib
  github.com/VictoriaMetrics
)

module=$(go list -m)
goversion=$(go list -m -f '{{.GoVersion}}')
mapfile -t pkgs < <(go list -f '{{if ne .Name "main"}}{{.ImportPath}}{{end}}' ./... | grep -v '/internal' | grep .)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  echo "module example.com/consumer"
  echo
  echo "go $goversion"
  echo
  echo "require $module v0.0.0"
  echo
  echo "replace $module => $root"
} >"$tmp/go.mod"
{
  echo "// Command consumer imports every public package of $module."
  echo "package main"
  echo
  echo "import ("
  for p in "${pkgs[@]}"; do echo "	_ \"$p\""; done
  echo ")"
  echo
  echo "func main() {}"
} >"$tmp/main.go"

cd "$tmp"
export GOWORK=off GOFLAGS=-mod=mod
go mod tidy
go build -o /dev/null .
# The module graph, as the go command sees it: go.sum alone lists only the
# modules a build needed, but a peer in multi's go.mod is in the graph (go
# get, go mod why and vulnerability scanners see it) even when no package
# of it is built.
go list -m all >graph.txt

status=0
for m in "${forbidden[@]}"; do
  if hits=$(grep -F -- "$m" go.mod go.sum graph.txt); then
    echo "modgraph: a program importing $module gets $m in its module graph:" >&2
    echo "$hits" | sed 's/^/  /' >&2
    status=1
  fi
done
if [ $status -ne 0 ]; then
  echo "modgraph: move what needs it into a nested module (comparison peers go in bench/)," >&2
  echo "modgraph: then run go mod tidy at the root" >&2
  exit 1
fi
echo "modgraph: ok: a program importing the ${#pkgs[@]} public packages builds with"
grep -v -x -F -e example.com/consumer graph.txt | sed 's/^/  /'
