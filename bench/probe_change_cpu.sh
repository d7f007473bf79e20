#!/usr/bin/env bash
# probe_change_cpu.sh -- srvd's CPU per HTTP request, per thread, with no DNS traffic: the churn
# client's 1,000 changes/s against the same traffic as GETs (churn --reads), with the data
# dir on disk and on tmpfs (/dev/shm, where fdatasync costs nothing). One srvd start per run
# on the 1,000 x 3 data, ROUNDS alternating rounds; one line per run: the CPU (user+system,
# from /proc/PID/task/*/stat) of each thread over DURATION seconds, divided by the requests.
#
#   bench/probe_change_cpu.sh [SRVD] [ROUNDS] [DURATION]    (defaults: build/srvd 3 10)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export SRVD
SRVD=$(realpath "${1:-$here/../build/srvd}") ROUNDS=${2:-3} SECS=${3:-10}
PY=/usr/bin/python3
w=$(mktemp -d "${TMPDIR:-/tmp}/srvd-change-cpu.XXXXXX")
shm=$(mktemp -d /dev/shm/srvd-change-cpu.XXXXXX)
dir=
trap '[[ -n $dir ]] && "$here/peers/srvd.sh" stop "$dir" 2>/dev/null; rm -rf "$w" "$shm"' EXIT
g++ -O2 -std=c++17 -o "$w/churn" "$here/churn.cpp"
"$here/seed_srvd.sh" "$w/srvd-data" 1000 3 >/dev/null
ticks=$(getconf CLK_TCK)

# thread_cpu PID: "name/tid ticks" per thread, sorted (two threads may share a name)
thread_cpu() {
  local t
  for t in /proc/"$1"/task/*; do
    echo "$(cat "$t/comm")/${t##*/} $(awk '{print $14 + $15}' "$t/stat")"
  done | sort
}
# run LABEL DATAPARENT TRAFFIC(changes|reads)
run() {
  local label=$1 parent=$2 traffic=$3 reads=() pid
  dir=$parent/srvd
  rm -rf "$dir" && mkdir -p "$dir"
  "$here/peers/srvd.sh" start "$dir" "$($PY "$here/free_port.py")" 2 "" "$w/srvd-data" >/dev/null
  pid=$(cat "$dir/pid")
  [[ $traffic == reads ]] && reads=(--reads)
  thread_cpu "$pid" >"$w/before"
  "$w/churn" --http "127.0.0.1:$(cat "$dir/http_port")" --services 1000 --rate 1000 \
    --duration "$SECS" "${reads[@]}" >"$w/churn.out"
  thread_cpu "$pid" >"$w/after"
  "$here/peers/srvd.sh" stop "$dir"
  dir=
  # µs per request = ticks * 1e6 / CLK_TCK / requests (churn's count)
  join "$w/before" "$w/after" | awk -v label="$label" -v tck="$ticks" \
    -v n="$(grep -o '"writes": [0-9]*' "$w/churn.out" | grep -o '[0-9]*$')" '
    { d = ($3 - $2) * 1e6 / tck / n; total += d; if (d > 0) per = per sprintf(" %s=%.0f", $1, d) }
    END { printf "%-14s %.0f us/request:%s\n", label, total, per }'
}
for _ in $(seq "$ROUNDS"); do
  run changes-disk "$w" changes
  run changes-tmpfs "$shm" changes
  run reads "$w" reads
done
