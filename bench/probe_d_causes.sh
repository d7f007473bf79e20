#!/usr/bin/env bash
# probe_d_causes.sh -- what workload (d) loses its QPS to on this machine. One srvd start per
# run, on the 1,000 x 3 data; ROUNDS rounds of these runs, alternated, one line each (QPS,
# and for changes the commits srvd made per second):
#   pinned (srvd on CPU 0 with one DNS thread; dnsperf and the churn client on CPU 1, as run.sh)
#     a          no HTTP traffic
#     d          1,000 changes/s, the data dir on disk (as run.sh)
#     d-tmpfs    the same with the data dir on /dev/shm: every fdatasync costs nothing
#     a+fsync    no HTTP traffic, while a separate process on CPU 0 writes 8 KiB and calls
#                fdatasync on a file on disk at the commit rate srvd had in this round's d
#   unpinned (2 DNS threads, dnsperf -T 2, nothing pinned)
#     a, d       as above
#     d-reads    the churn client's GETs of the same services at the same rate (churn --reads):
#                the same HTTP traffic without a change
# One DNS port and fixed dnsperf source ports for all runs, so every unpinned run has the same
# SO_REUSEPORT split (reuseport_split.py).
#
#   bench/probe_d_causes.sh [SRVD] [ROUNDS] [DURATION]    (defaults: build/srvd 3 6)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export SRVD
SRVD=$(realpath "${1:-$here/../build/srvd}") ROUNDS=${2:-3} SECS=${3:-6}
PY=/usr/bin/python3
[[ -d /dev/shm ]] || { echo "probe_d_causes.sh: needs /dev/shm (tmpfs)" >&2; exit 1; }
w=$(mktemp -d "${TMPDIR:-/tmp}/srvd-causes.XXXXXX")
shm=$(mktemp -d /dev/shm/srvd-causes.XXXXXX)
dir=
trap '[[ -n $dir ]] && "$here/peers/srvd.sh" stop "$dir" 2>/dev/null; wait 2>/dev/null; rm -rf "$w" "$shm"' EXIT
g++ -O2 -std=c++17 -o "$w/churn" "$here/churn.cpp"
$PY "$here/gen_data.py" --services 1000 --instances 3 --out "$w/small" --queries 100000 >/dev/null
"$here/seed_srvd.sh" "$w/small/srvd-data" 1000 3 >/dev/null
read -r dns local _ < <($PY "$here/reuseport_split.py" pick 2 4)

metric() { curl -s "127.0.0.1:$http/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
# run LABEL PIN(0/1) DATAPARENT HTTP(changes, reads or none) FSYNC_RATE(0 for none)
run() {
  local label=$1 pin=$2 parent=$3 traffic=$4 fsync=$5
  local threads=2 cpus='' cli=() bg=() b0 b1
  if ((pin)); then threads=1 cpus=0 cli=(taskset -c 1); fi
  dir=$parent/srvd
  rm -rf "$dir" && mkdir -p "$dir"
  "$here/peers/srvd.sh" start "$dir" "$dns" "$threads" "$cpus" "$w/small/srvd-data" >/dev/null
  http=$(cat "$dir/http_port")
  b0=$(metric srvd_store_batches_total)
  if [[ $traffic != none ]]; then
    local reads=()
    [[ $traffic == reads ]] && reads=(--reads)
    "${cli[@]}" "$w/churn" --http "127.0.0.1:$http" --services 1000 --rate 1000 --duration "$SECS" "${reads[@]}" >"$w/churn.out" &
    bg+=($!)
  fi
  if ((fsync > 0)); then
    taskset -c 0 $PY - "$w/fsync.data" "$fsync" "$SECS" <<'PY' &
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
rate, secs, block = float(sys.argv[2]), float(sys.argv[3]), b"x" * 8192
start = time.monotonic()
for i in range(int(rate * secs)):
    os.pwrite(fd, block, (i % 64) * 8192)
    os.fdatasync(fd)
    time.sleep(max(0.0, start + (i + 1) / rate - time.monotonic()))
PY
    bg+=($!)
  fi
  "${cli[@]}" dnsperf -s 127.0.0.1 -p "$dns" -d "$w/small/queries-a.txt" -l "$SECS" -m udp -t 2 \
    -T "$threads" -c 4 -q 200 -x "$local" >"$w/perf.out" 2>&1
  for b in "${bg[@]}"; do wait "$b"; done
  b1=$(metric srvd_store_batches_total)
  "$here/peers/srvd.sh" stop "$dir"
  commits=$(( (b1 - b0) / ${SECS%.*} ))
  printf '%-9s %-8s qps=%s commits/s=%s\n' "$([[ $pin == 1 ]] && echo pinned || echo unpinned)" "$label" \
    "$(awk '/Queries per second/ {printf "%d", $4}' "$w/perf.out")" "$commits"
  last_commits=$commits
}
for _ in $(seq "$ROUNDS"); do
  run a 1 "$w" none 0
  run d 1 "$w" changes 0
  d_commits=$last_commits
  run d-tmpfs 1 "$shm" changes 0
  run a+fsync 1 "$w" none "$d_commits"
  run a 0 "$w" none 0
  run d 0 "$w" changes 0
  run d-reads 0 "$w" reads 0
done
