#!/usr/bin/env bash
# probe_p99.sh -- srvd's and Knot's latency at a fixed rate, pinned as in run.sh (the server on
# CPU 0 with one worker, dnsperf -Q RATE on CPU 1), PAIRS alternating pairs, each server
# freshly started on the 1,000 x 3 data. One line per run: p50/p90/p99/p99.9 (ms) and the p99
# of each answer kind (SRV, A, AAAA, NXDOMAIN): a tail made by answering some kinds slowly
# shows there, one made by scheduling does not. With SPIN=1 a SCHED_IDLE busy loop shares
# CPU 0 for the whole run, so the core never goes idle: any task that wakes preempts it at
# once, but the vCPU is never halted and woken again by the host.
#
#   bench/probe_p99.sh [SRVD] [PAIRS] [DURATION] [RATE]   (defaults: build/srvd 4 4 10000)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SRVD=$(realpath "${1:-$here/../build/srvd}")
export SRVD
PAIRS=${2:-4} SECS=${3:-4} RATE=${4:-10000}
PY=/usr/bin/python3
command -v knotd >/dev/null || { echo "probe_p99.sh: knotd missing (bench/peers/knot.sh)" >&2; exit 1; }
w=$(mktemp -d "${TMPDIR:-/tmp}/srvd-p99.XXXXXX")
spin=
cleanup() {
  [[ -n $spin ]] && kill "$spin" 2>/dev/null
  for s in srvd knot; do "$here/peers/$s.sh" stop "$w/$s" >/dev/null 2>&1 || true; done
  rm -rf "$w"
}
trap cleanup EXIT
$PY "$here/gen_data.py" --services 1000 --instances 3 --out "$w/small" --queries 100000 >/dev/null
"$here/seed_srvd.sh" "$w/small/srvd-data" 1000 3 >/dev/null
if [[ ${SPIN:-0} == 1 ]]; then
  taskset -c 0 chrt -i 0 sh -c 'while :; do :; done' &
  spin=$!
fi
one() {
  local s=$1 port data
  port=$($PY "$here/free_port.py")
  data=$w/small/svc.internal.zone
  [[ $s == srvd ]] && data=$w/small/srvd-data
  rm -rf "${w:?}/$s" && mkdir -p "$w/$s"
  "$here/peers/$s.sh" start "$w/$s" "$port" 1 0 "$data" >/dev/null
  sleep 0.5
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$w/small/queries-a.txt" -l "$SECS" -m udp -t 2 \
    -c 4 -q 200 -Q "$RATE" -v >"$w/$s/dnsperf.out" 2>&1
  "$here/peers/$s.sh" stop "$w/$s" >/dev/null
  $PY - "$s" "$w/$s/dnsperf.out" <<'PY'
import collections, sys
kinds, every = collections.defaultdict(list), []
for line in open(sys.argv[2]):
    f = line.split()  # "> NOERROR name TYPE seconds"
    if len(f) == 5 and f[0] == ">":
        ms = float(f[4]) * 1000
        every.append(ms)
        kinds[f[3] if f[1] == "NOERROR" else f[1]].append(ms)
q = lambda v, p: sorted(v)[min(len(v) - 1, int(p * len(v)))] if v else float("nan")
print(f"{sys.argv[1]:5} n={len(every)} " + " ".join(f"p{p:g}={q(every, p / 100):.3f}" for p in (50, 90, 99, 99.9))
      + "  p99 by kind: " + " ".join(f"{k}={q(v, .99):.3f}" for k, v in sorted(kinds.items())))
PY
}
for _ in $(seq "$PAIRS"); do one srvd; one knot; done
