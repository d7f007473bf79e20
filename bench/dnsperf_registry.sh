#!/usr/bin/env bash
# dnsperf_registry.sh -- measures srvd's DNS throughput and latency with a populated registry:
# 1,000 services x 3 instances registered over HTTP, then dnsperf for a bounded time with
# 50% SRV / 40% A / 10% NXDOMAIN queries. Appends the result to bench/RESULTS.md.
# A measurement, not a test: it asserts nothing about speed.
#
# Environment: SRVD (binary; default build/srvd), DURATION (seconds, default 20),
# SERVICES (1000), INSTANCES (3), DNS_THREADS (srvd --dns-threads; default srvd's own),
# DNSPERF_ARGS (extra dnsperf flags, e.g. "-c 4 -T 2"), RESULTS (default bench/RESULTS.md).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
SRVD=${SRVD:-$repo/build/srvd}
DURATION=${DURATION:-20}
SERVICES=${SERVICES:-1000}
INSTANCES=${INSTANCES:-3}
DNSPERF_ARGS=${DNSPERF_ARGS:-}
RESULTS=${RESULTS:-$here/RESULTS.md}
PY=/usr/bin/python3

[[ -x $SRVD ]] || { echo "no srvd binary at $SRVD: run 'make build' or set SRVD" >&2; exit 1; }
command -v dnsperf >/dev/null || { echo "dnsperf is missing: apt-get install dnsperf (or make setup)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/srvd-bench.XXXXXX")
pid=
cleanup() {
  [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- srvd on free loopback ports
serve_args=(serve --dns 127.0.0.1:0 --http 127.0.0.1:0)
[[ -n ${DNS_THREADS:-} ]] && serve_args+=(--dns-threads "$DNS_THREADS")
: >"$work/srvd.out" # before the background job, which opens it only when it runs
"$SRVD" "${serve_args[@]}" >"$work/srvd.out" 2>"$work/srvd.err" &
pid=$!
for ((i = 0; i < 100; i++)); do
  dns_port=$(sed -n 's/^listening dns 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/srvd.out")
  http_port=$(sed -n 's/^listening http 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/srvd.out")
  [[ -n $dns_port && -n $http_port ]] && break
  sleep 0.1
done
[[ -n $dns_port && -n $http_port ]] || { echo "srvd did not start: $(cat "$work/srvd.err")" >&2; exit 1; }

# --- the registry
registered=$($PY "$here/register_bulk.py" "$http_port" "$SERVICES" "$INSTANCES")
echo "$registered"
srv=$(dig +short +norec @127.0.0.1 -p "$dns_port" _svc0._tcp.svc.internal SRV | wc -l)
[[ $srv == "$INSTANCES" ]] || { echo "sanity check: expected $INSTANCES SRV records for svc0, got $srv" >&2; exit 1; }

# --- the query mix: 10,000 lines over random services, in random order (fixed seed)
$PY - "$SERVICES" >"$work/queries.txt" <<'PYEOF'
import random, sys
services = int(sys.argv[1])
rng = random.Random(7)
lines = ([f"_svc{rng.randrange(services)}._tcp.svc.internal SRV" for _ in range(5000)]
         + [f"svc{rng.randrange(services)}.svc.internal A" for _ in range(4000)]
         + [f"nosuch{rng.randrange(services)}.svc.internal A" for _ in range(1000)])
rng.shuffle(lines)
print("\n".join(lines))
PYEOF

# --- the run
load=$(cut -d' ' -f1-3 /proc/loadavg)
cmd="dnsperf -s 127.0.0.1 -p $dns_port -d queries.txt -l $DURATION${DNSPERF_ARGS:+ $DNSPERF_ARGS}"
echo "running: $cmd"
# shellcheck disable=SC2086 # DNSPERF_ARGS is a list of flags
dnsperf -s 127.0.0.1 -p "$dns_port" -d "$work/queries.txt" -l "$DURATION" $DNSPERF_ARGS | tee "$work/dnsperf.txt"
kill -0 "$pid" 2>/dev/null || { echo "srvd died during the run: $(tail -5 "$work/srvd.err")" >&2; exit 1; }

field() { sed -n "s/^ *$1 *\(.*\)$/\1/p" "$work/dnsperf.txt" | head -1; }
qps=$(field 'Queries per second:')
lat=$(field 'Average Latency (s):')
sent=$(field 'Queries sent:')
completed=$(field 'Queries completed:')
lost=$(field 'Queries lost:')
codes=$(field 'Response codes:')
commit=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
threads=${DNS_THREADS:-default (one per core)}
build=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$(dirname "$SRVD")/CMakeCache.txt" 2>/dev/null || true)

{
  echo
  echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — srvd $commit"
  echo
  echo "- machine: $(nproc) CPUs, $cpu, $(uname -r); dnsperf and srvd share it; load average before the run: $load"
  echo "- srvd: \`${serve_args[*]}\` (--dns-threads: $threads; build type: ${build:-unknown})"
  echo "- registry: $SERVICES services × $INSTANCES instances — $registered"
  echo "- queries: 50% \`_svcN._tcp SRV\` / 40% \`svcN A\` / 10% NXDOMAIN, 10,000 lines, random services"
  echo "- command: \`$cmd\`"
  echo
  echo "| QPS | average latency | queries sent | completed | lost | response codes |"
  echo "| --- | --- | --- | --- | --- | --- |"
  echo "| $qps | $lat | $sent | $completed | $lost | $codes |"
} >>"$RESULTS"
echo "appended to $RESULTS"
