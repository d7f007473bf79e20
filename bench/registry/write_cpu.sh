#!/usr/bin/env bash
# write_cpu.sh SRVD [SECONDS] [CONNS] -- a fresh srvd (empty data dir, loopback, free
# ports), wrk registering new instances (bench/registry/wrk_register.lua) for SECONDS (10),
# then CPU per write of each srvd thread (tid == pid is the control loop; the busiest other
# is the SQLite writer). CPU time per write is less sensitive to a busy machine than rate.
# LAUNCH=setsid starts srvd in its own session, as the bench launchers do.
set -euo pipefail
SRVD=$(realpath "$1"); SECS=${2:-10}; CONNS=${3:-256}
here=$(cd "$(dirname "$0")" && pwd)
lua=$here/wrk_register.lua
d=$(mktemp -d "${TMPDIR:-/tmp}/srvd-write-cpu.XXXXXX"); mkdir -p "$d/data" "$d/zones"
dns=$(/usr/bin/python3 "$here/../free_port.py"); http=$(/usr/bin/python3 "$here/../free_port.py")
${LAUNCH:-} "$SRVD" serve --dns 127.0.0.1:$dns --http 127.0.0.1:$http --data-dir "$d/data" --zones "$d/zones" >"$d/log" 2>&1 &
P=$!
trap 'kill $P 2>/dev/null; wait $P 2>/dev/null; rm -rf "$d"' EXIT
for _ in $(seq 50); do curl -sf "127.0.0.1:$http/healthz" >/dev/null && break; sleep 0.1; done
declare -A t0
for t in /proc/$P/task/*; do t0[${t##*/}]=$(awk '{print $14+$15}' $t/stat); done
r=$(wrk -t 2 -c "$CONNS" -d "$SECS" -s "$lua" "http://127.0.0.1:$http" | tail -1)
echo "$r"
n=$(echo "$r" | sed -n 's/.*"requests": \([0-9]*\).*/\1/p')
hz=$(getconf CLK_TCK)
for t in /proc/$P/task/*; do
  id=${t##*/}; c=$(( $(awk '{print $14+$15}' $t/stat) - ${t0[$id]:-0} ))
  ((c > 0)) || continue
  role=other; [[ $id == "$P" ]] && role=control
  echo "tid $id ($role): $(/usr/bin/python3 -c "print(round($c / $hz * 1e6 / $n, 1))") us/write"
done
