#!/usr/bin/env bash
# Prints the path of the VictoriaLogs binary that the httpsink end-to-end
# tests run, installing it with `go install` when it is missing (about a
# minute). A binary on PATH or in $(go env GOPATH)/bin is used when `go
# version -m` says it is the wanted version.
set -euo pipefail
module=github.com/VictoriaMetrics/VictoriaLogs
version=v1.52.1

is_wanted() {
  [ -x "$1" ] && go version -m "$1" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+$module[[:space:]]+$version([[:space:]]|$)"
}

gobin=$(go env GOBIN)
[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"

for candidate in "$(command -v victoria-logs 2>/dev/null || true)" "$gobin/victoria-logs"; do
  if [ -n "$candidate" ] && is_wanted "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

echo "installing $module/app/victoria-logs@$version into $gobin" >&2
GOBIN="$gobin" go install "$module/app/victoria-logs@$version" >&2
echo "$gobin/victoria-logs"
