#!/usr/bin/env bash
# Prints the path of rsyslogd, which the syslog sink's end-to-end tests run
# as a child on loopback, installing Debian's rsyslog package when it is
# missing (apt-get update once, then apt-get install). When rsyslogd is
# already there it only prints its path, so it is cheap to run every time.
# The package's own service is never started: the tests run rsyslogd -n
# with a configuration of their own, and policy-rc.d keeps the package's
# post-install script from starting (and taking over /dev/log).
set -euo pipefail

find_rsyslogd() {
  command -v rsyslogd 2>/dev/null || { [ -x /usr/sbin/rsyslogd ] && echo /usr/sbin/rsyslogd; } || true
}

has_tls() { compgen -G '/usr/lib/*/rsyslog/lmnsd_gtls.so' >/dev/null || compgen -G '/usr/lib/rsyslog/lmnsd_gtls.so' >/dev/null; }

bin=$(find_rsyslogd)
if [ -n "$bin" ] && has_tls; then
  echo "$bin"
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "rsyslog.sh: rsyslogd is missing and there is no apt-get to install it; install the rsyslog package (with its gtls driver, rsyslog-gnutls)" >&2
  exit 1
fi
sudo=
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi

echo "rsyslog.sh: installing rsyslog and rsyslog-gnutls from Debian's packages" >&2
# Keep the package from starting its service, which would take /dev/log.
restore=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  restore=1
fi
trap '[ -z "$restore" ] || $sudo rm -f /usr/sbin/policy-rc.d' EXIT
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends rsyslog rsyslog-gnutls >&2

bin=$(find_rsyslogd)
if [ -z "$bin" ]; then
  echo "rsyslog.sh: rsyslog installed but rsyslogd not found" >&2
  exit 1
fi
echo "$bin"
