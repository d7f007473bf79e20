#!/usr/bin/env bash
# setup.sh -- installs the Debian packages srvd needs to build, test and benchmark.
# Idempotent: asks apt only for packages that are missing, so a second run is instant.
# Extra package names given as arguments are installed too (scripts/setup-bench.sh).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libldns-dev libuv1-dev libhttp-parser-dev nlohmann-json3-dev catch2 libcurl4-openssl-dev
  libsqlite3-dev sqlite3 etcd-server etcd-client
  curl dnsutils knot-dnsutils ldnsutils dnsperf wrk python3-dnspython
  nodejs golang-go iproute2 haproxy zonemaster-cli
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]} (run as root, or install them yourself)" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d 101 keeps the packages' postinst from starting their system daemons (etcd,
# haproxy, the benchmark's DNS servers on port 53): srvd's tests and benchmarks start their
# own on free ports. Removed again afterwards unless it was there before.
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
fi
trap '[ -n "$own_policy" ] && rm -f "$policy"' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}"
