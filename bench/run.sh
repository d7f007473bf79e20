#!/usr/bin/env bash
# run.sh -- the DNS benchmark: srvd beside Knot DNS, NSD and PowerDNS (bind backend) on the
# same data, same machine, same run; servers alternate, several rounds; loopback only.
#
#   bench/run.sh            full: 3 rounds, workloads a b c d, ~20 min on 2 cores
#   bench/run.sh --quick    1 round, short runs, no (c): ~4 min
#
# Workloads (issue 6): (a) 1,000 x 3, 50% SRV / 40% A / 10% NXDOMAIN over UDP; (b) the
# same over TCP; (c) 10,000 x 10 over UDP; (d) (a) while the churn client (churn.cpp,
# compiled here with g++ -O2) changes ~1,000 registrations/s over HTTP (srvd only). Each in
# two modes: pinned (server on CPU 0 with one worker; dnsperf with one thread and, in (d),
# the churn client on CPU 1) and unpinned (2 workers, dnsperf -T 2, no affinity). (a) and
# (b) also get a latency run at a fixed offered rate (RATE, 10,000 qps). Before measuring,
# check_same_answers.py asks every server a sample of the queries and stops the run if a
# peer's answers differ from srvd's.
# Every measured server listens on one port picked for the run, and dnsperf's UDP sockets send
# from fixed ports (-x): the kernel then splits them over the SO_REUSEPORT workers of every
# server alike, and evenly (reuseport_split.py; the split is in meta.json, and each record
# has the server's per-thread CPU).
# Every record is a JSON line in bench/results/<UTC time>/results.jsonl; at the end
# summarize.py prints medians and srvd/peer ratios and, unless NO_WRITE=1, appends them to
# bench/RESULTS.md and draws bench/chart.svg.
#
# Environment: SRVD (binary, default build/srvd), SERVERS ("srvd knot nsd pdns"), ROUNDS,
# DURATION (s per throughput run), LAT_DURATION, RATE, CHURN_RATE (writes/s in (d)), KEEP=1
# keeps the temp dir (zones, data dirs, server logs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
PY=/usr/bin/python3
export SRVD=${SRVD:-$repo/build/srvd}

# the knobs set by the caller, recorded in the command line of the results
overrides=
for v in SERVERS ROUNDS DURATION LAT_DURATION RATE CHURN_RATE WORKLOADS; do if [[ -n ${!v:-} ]]; then overrides+="$v=${!v} "; fi; done
quick=0
[[ ${1:-} == --quick ]] && quick=1
if ((quick)); then
  ROUNDS=${ROUNDS:-1} DURATION=${DURATION:-4} LAT_DURATION=${LAT_DURATION:-3} WORKLOADS=${WORKLOADS:-"a b d"}
else
  ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-6} LAT_DURATION=${LAT_DURATION:-4} WORKLOADS=${WORKLOADS:-"a b c d"}
fi
SERVERS=${SERVERS:-"srvd knot nsd pdns"}
RATE=${RATE:-10000}
CHURN_RATE=${CHURN_RATE:-1000}
has() { [[ " $WORKLOADS " == *" $1 "* ]]; }

# --- what is there to run
[[ -x $SRVD ]] || { echo "run.sh: no srvd binary at $SRVD (make build, or set SRVD)" >&2; exit 1; }
command -v dnsperf >/dev/null || { echo "run.sh: dnsperf missing: scripts/setup-bench.sh" >&2; exit 1; }
if [[ " $WORKLOADS " == *" d "* ]] && ! command -v g++ >/dev/null; then
  echo "run.sh: g++ missing (it builds the churn client of workload d)" >&2; exit 1
fi
declare -A needs=([knot]=knotd [nsd]=nsd [pdns]=pdns_server [srvd]=true)
servers=()
for s in $SERVERS; do
  if command -v "${needs[$s]}" >/dev/null; then servers+=("$s"); else
    echo "run.sh: skipping $s: ${needs[$s]} is not installed (scripts/setup-bench.sh)" >&2; fi
done

# one server port and one dnsperf source port for the whole run, free, chosen so that
# dnsperf's 4 UDP sockets split evenly over nproc SO_REUSEPORT workers: socket k on worker
# k mod nproc (reuseport_split.py; 4 is measure.py's dnsperf -c for UDP)
read -r server_port local_port split < <($PY "$here/reuseport_split.py" pick "$(nproc)" 4) || true
[[ -n ${split:-} ]] || { echo "run.sh: no free ports with an even SO_REUSEPORT split" >&2; exit 1; }

stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=$here/results/$stamp
mkdir -p "$results"
work=$(mktemp -d "${TMPDIR:-/tmp}/srvd-bench.XXXXXX")
running=()  # "server dir" of each server running now, for stop and the trap
cleanup() {
  for r in "${running[@]}"; do "$here/peers/${r%% *}.sh" stop "${r#* }" || true; done
  if [[ ${KEEP:-0} == 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# --- the machine and the peers, for RESULTS.md
{
  versions=()
  for s in "${servers[@]}"; do versions+=("\"$s\": \"$("$here/peers/$s.sh" version | sed 's/"/\\"/g')\""); done
  build=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$(dirname "$SRVD")/CMakeCache.txt" 2>/dev/null || true)
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sed -n 1p)
  printf '{"command": "%s", "quick": %s, "rounds": %s, "duration_s": %s, "latency_duration_s": %s, "rate": %s, "churn_rate": %s, "workloads": "%s", "nproc": %s, "cpu": "%s", "kernel": "%s", "loadavg_before": "%s", "srvd_build_type": "%s", "versions": {%s}, "start": "%s", "server_port": %s, "dnsperf_local_port": %s, "reuseport_split": %s}\n' \
    "${overrides}bench/run.sh$( ((quick)) && echo ' --quick')" "$( ((quick)) && echo true || echo false)" "$ROUNDS" "$DURATION" \
    "$LAT_DURATION" "$RATE" "$CHURN_RATE" "$WORKLOADS" "$(nproc)" "$cpu" "$(uname -r)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" "${build:-unknown}" "$(IFS=,; echo "${versions[*]}")" "$stamp" \
    "$server_port" "$local_port" "$split"
} >"$results/meta.json"
log "results in $results"
case ${build:-unknown} in
  Release | RelWithDebInfo) ;;
  *) log "WARNING: $SRVD is a ${build:-unknown} build: its numbers mean little (use a Release build)" ;;
esac

# --- the churn client of (d): C++, so that it takes little of the CPU dnsperf and srvd share
if has d; then
  log "compiling the churn client"
  g++ -O2 -std=c++17 -o "$work/churn" "$here/churn.cpp"
fi

# --- the same data for everyone
log "generating data"
$PY "$here/gen_data.py" --services 1000 --instances 3 --out "$work/small" --queries 100000
has c && $PY "$here/gen_data.py" --services 10000 --instances 10 --out "$work/big" --queries 100000
if [[ " ${servers[*]} " == *" srvd "* ]]; then
  log "seeding srvd data dirs over HTTP"
  "$here/seed_srvd.sh" "$work/small/srvd-data" 1000 3 | tee "$results/seed-small.json"
  if has c; then "$here/seed_srvd.sh" "$work/big/srvd-data" 10000 10 | tee "$results/seed-big.json"; fi
fi

# start SERVER MODE DATASET [PORT]: sets $pid $port $dir; PORT defaults to the run's
start() {
  local server=$1 mode=$2 set=$3 workers cpus data
  if [[ $mode == pinned ]]; then workers=1 cpus=0; else workers=$(nproc) cpus=; fi
  data=$work/$set/svc.internal.zone
  [[ $server == srvd ]] && data=$work/$set/srvd-data
  dir=$(mktemp -d "$work/$server.XXXXXX")
  port=${4:-$server_port}
  running+=("$server $dir")
  pid=$("$here/peers/$server.sh" start "$dir" "$port" "$workers" "$cpus" "$data")
}
# stop: every server running
stop() {
  for r in "${running[@]}"; do
    "$here/peers/${r%% *}.sh" stop "${r#* }"
    cp "${r#* }/err.log" "$results/$(basename "${r#* }").err.log" 2>/dev/null || true
  done
  running=()
}
# measure SERVER MODE ROUND WORKLOAD SET [measure.py args...]
measure() {
  local server=$1 mode=$2 round=$3 workload=$4 set=$5; shift 5
  local cpus=1 threads=1
  if [[ $mode == unpinned ]]; then cpus='' threads=$(nproc); fi
  $PY "$here/measure.py" --server "$server" --pid "$pid" --port "$port" --mode "$mode" \
    --round "$round" --workload "$workload" --queries "$work/$set/queries-a.txt" \
    --out "$results/results.jsonl" --cpus "$cpus" --threads "$threads" --local-port "$local_port" "$@" ||
    log "WARNING: $server $workload $mode round $round: run failed (recorded)"
}

# check_answers SET: every server at once on SET (unpinned), a sample of its queries asked
# of each; the run stops here if a peer answers differently from srvd (the first server
# when srvd is not in SERVERS)
check_answers() {
  local set=$1 ref=${servers[0]} args=() s
  [[ " ${servers[*]} " == *" srvd "* ]] && ref=srvd
  for s in "${servers[@]}"; do
    start "$s" unpinned "$set" "$($PY "$here/free_port.py")"  # all at once: a port each
    if [[ $s == "$ref" ]]; then args+=(--reference "$s=$port"); else args+=(--peer "$s=$port"); fi
    [[ $s == nsd && $s != "$ref" ]] && args+=(--apex-ns-extra nsd)  # its NS + glue on positive answers: see the script
  done
  if ! $PY "$here/check_same_answers.py" --queries "$work/$set/queries-a.txt" --sample 2000 \
    --label "$set" --out "$results/check.jsonl" "${args[@]}"; then
    log "the servers do not give the same answers (above): not measuring"
    exit 1
  fi
  stop
}
if ((${#servers[@]} > 1)); then
  log "checking that every server gives the same answers"
  check_answers small
  if has c; then check_answers big; fi
fi

for ((round = 1; round <= ROUNDS; round++)); do
  # servers alternate: the order rotates each round
  n=${#servers[@]}
  order=()
  for ((i = 0; i < n; i++)); do order+=("${servers[(i + round - 1) % n]}"); done
  for mode in pinned unpinned; do
    for s in "${order[@]}"; do
      log "round $round/$ROUNDS $mode $s"
      if has a || has b || has d; then
        start "$s" "$mode" small
        if has a; then
          measure "$s" "$mode" "$round" a small --duration "$DURATION"
          measure "$s" "$mode" "$round" a small --duration "$LAT_DURATION" --rate "$RATE"
        fi
        if has b; then
          measure "$s" "$mode" "$round" b small --duration "$DURATION" --transport tcp --clients 8
          measure "$s" "$mode" "$round" b small --duration "$LAT_DURATION" --rate "$RATE" --transport tcp --clients 8
        fi
        if has d && [[ $s == srvd ]]; then
          # pinned: the churn client on CPU 1 beside dnsperf, never on the server's CPU 0
          churn="$work/churn --http 127.0.0.1:$(cat "$dir/http_port") --services 1000 --rate $CHURN_RATE --duration $DURATION"
          measure "$s" "$mode" "$round" d small --duration "$DURATION" --background "$churn" \
            --background-cpus "$([[ $mode == pinned ]] && echo 1)"
        fi
        stop
      fi
      if has c; then
        start "$s" "$mode" big
        measure "$s" "$mode" "$round" c big --duration "$DURATION"
        stop
      fi
    done
  done
done

log "done: $results/results.jsonl"
write=--write
[[ ${NO_WRITE:-0} == 1 ]] && write=
$PY "$here/summarize.py" "$results" ${write:+"$write"}
