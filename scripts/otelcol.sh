#!/usr/bin/env bash
# Prints the path of the OpenTelemetry Collector binary that the peer tests
# in peers/ run (peers/cmd/otelcol-multi: the otlp receiver, the debug and
# file exporters), building it into $(go env GOBIN) or $(go env
# GOPATH)/bin when it is missing or stale. A cold build takes about two
# minutes on 2 cores and adds about 600 MB to the build cache, so the
# binary is cached: otelcol-multi.stamp beside it holds the hash of what
# went into it (the module versions the command builds, per go list, its
# source and the Go version; not go.sum, which the tests' own
# requirements change too), and a matching stamp makes this a no-op. No
# -trimpath: the packages are compiled as go vet and staticcheck in peers/
# compile them, so those reuse this build's cache.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/peers"

gobin=$(go env GOBIN)
[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
bin="$gobin/otelcol-multi"
stamp="$bin.stamp"

export GOWORK=off
want=$( {
  go list -deps -f '{{with .Module}}{{.Path}} {{.Version}}{{end}}' ./cmd/otelcol-multi | sort -u
  cat cmd/otelcol-multi/*.go
  go env GOVERSION
} | sha256sum | cut -d' ' -f1)
if [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$bin"
  exit 0
fi

echo "building peers/cmd/otelcol-multi into $bin (about two minutes cold)" >&2
mkdir -p "$gobin"
go build -ldflags="-s -w" -o "$bin.tmp" ./cmd/otelcol-multi >&2
mv -f "$bin.tmp" "$bin"
echo "$want" >"$stamp"
echo "$bin"
