#!/usr/bin/env bash
# Prints the paths of gzip and zstd, which the file sink's tests run (gzip -t,
# zstd -t) on every archive they make, installing Debian's gzip and zstd
# packages when either is missing (apt-get update once, then apt-get
# install). When both are there it only prints their paths, so it is cheap
# to run every time. With CI set, the tests fail rather than skip when a tool
# is missing.
set -euo pipefail

missing=()
for tool in gzip zstd; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "compressors.sh: ${missing[*]} missing and there is no apt-get to install them; install the ${missing[*]} package(s)" >&2
    exit 1
  fi
  sudo=
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  echo "compressors.sh: installing ${missing[*]} from Debian's packages" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

for tool in gzip zstd; do
  if ! command -v "$tool"; then
    echo "compressors.sh: $tool installed but not found" >&2
    exit 1
  fi
done
