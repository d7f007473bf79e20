#!/usr/bin/env bash
# setup-bench.sh -- installs the Debian packages the benchmark suite (bench/) needs:
# the peer DNS servers it measures srvd against (Knot DNS, NSD, PowerDNS with its bind
# backend), the load generators (dnsperf/resperf, wrk), dig for sanity checks, and perf
# for profiling. Idempotent: asks apt only for packages that are missing.
# The packages' own system services are never used by the suite (it starts every server
# itself on free loopback ports); on a machine with systemd they may be running, harmlessly.
set -euo pipefail

packages=(
  knot nsd pdns-server pdns-backend-bind
  dnsperf wrk dnsutils curl python3 linux-perf
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-bench: missing packages: ${missing[*]} (run as root, or install them yourself)" >&2
  exit 1
fi
echo "setup-bench: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d 101 keeps the packages' postinst from starting their system daemons
# (which would also take port 53); removed again afterwards unless it was there before.
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
fi
trap '[ -n "$own_policy" ] && rm -f "$policy"' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}"
