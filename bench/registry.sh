#!/usr/bin/env bash
# registry.sh -- the registry side of issue 6 (§3-4), srvd only, loopback only:
#   register    registrations/s over HTTP, keep-alive, durable embedded store (wrk + Lua)
#   visibility  registration 2xx -> DNS answer showing it, p50/p99, misses (must be 0)
#   heartbeat   heartbeats/s over HTTP (wrk + Lua) on 1,000 x 3 TTL instances
#   checks      CPU that CHECKS HTTP checks at a 1 s interval cost (target: another srvd's /healthz)
#   scale       100,000 instances in 10,000 services: start-up time (to the listening lines
#               and to the first complete answer), RSS/PSS, and one change at that size
#               (write + visibility p50/p99) while dnsperf measures DNS latency at RATE qps
#
#   bench/registry.sh [--quick]     (quick: shorter runs, SCALE_SERVICES=2000)
#
# JSON lines in bench/results/<UTC time>-registry/results.jsonl, then a Markdown summary
# (appended to bench/RESULTS.md unless NO_WRITE=1). Environment: SRVD, DURATION (wrk s),
# CHECKS (10000), SCALE_SERVICES (10000) x SCALE_INSTANCES (10), RATE (10000), SEED_DIR (a
# data dir already seeded with SCALE_SERVICES x SCALE_INSTANCES by seed_srvd.sh, to skip seeding),
# PHASES (a subset of "register heartbeat checks scale", e.g. PHASES=checks; register includes
# visibility, scale includes start-up, the change at scale and memory).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
PY=/usr/bin/python3
export SRVD=${SRVD:-$repo/build/srvd}
# the knobs set by the caller, recorded in the command line of the results
overrides=
for v in PHASES REG_CONNS DURATION CHECKS SCALE_SERVICES SCALE_INSTANCES VIS RATE SEED_DIR; do if [[ -n ${!v:-} ]]; then overrides+="$v=${!v} "; fi; done
quick=0
[[ ${1:-} == --quick ]] && quick=1
if ((quick)); then
  DURATION=${DURATION:-4} CHECKS=${CHECKS:-2000} SCALE_SERVICES=${SCALE_SERVICES:-2000} VIS=${VIS:-300}
else
  DURATION=${DURATION:-10} CHECKS=${CHECKS:-10000} SCALE_SERVICES=${SCALE_SERVICES:-10000} VIS=${VIS:-1000}
fi
SCALE_INSTANCES=${SCALE_INSTANCES:-10}
# Keep-alive connections for registrations/s. Each holds one write in flight, and a write is
# answered only once its batch is fsynced (~4.5 ms here): 16 connections cap the rate near
# 16 / 4.5 ms = 3,500/s whatever srvd does; 20,000/s needs >= 90 writes per commit.
REG_CONNS=${REG_CONNS:-256}
RATE=${RATE:-10000}
PHASES=${PHASES:-register heartbeat checks scale}
# want PHASE: whether this run includes PHASE
want() { [[ " $PHASES " == *" $1 "* ]]; }
[[ -x $SRVD ]] || { echo "registry.sh: no srvd binary at $SRVD" >&2; exit 1; }
command -v wrk >/dev/null || { echo "registry.sh: wrk missing: scripts/setup-bench.sh" >&2; exit 1; }

stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=$here/results/$stamp-registry
mkdir -p "$results"
out=$results/results.jsonl
work=$(mktemp -d "${TMPDIR:-/tmp}/srvd-registry.XXXXXX")
running=()   # server dirs to stop
cleanup() {
  for d in "${running[@]}"; do "$here/peers/srvd.sh" stop "$d" || true; done
  [[ ${KEEP:-0} == 1 ]] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
# record TEST JSON: one line in results.jsonl, shown on stdout
record() { printf '{"test": "%s", %s\n' "$1" "${2#\{}" | tee -a "$out"; }
# srvd_up NAME: a fresh srvd (empty data dir, default DNS threads); sets $pid $port $http $dir
srvd_up() {
  dir=$work/$1 && mkdir -p "$dir"
  port=$($PY "$here/free_port.py")
  pid=$("$here/peers/srvd.sh" start "$dir" "$port" "$(nproc)" "" "")
  http=$(cat "$dir/http_port")
  running+=("$dir")
}
srvd_down() { "$here/peers/srvd.sh" stop "$1"; }
calc() { $PY -c "print(round($1, 4))"; }

build=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$(dirname "$SRVD")/CMakeCache.txt" 2>/dev/null || true)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sed -n 1p)
printf '{"command": "%sbench/registry.sh%s", "nproc": %s, "cpu": "%s", "kernel": "%s", "loadavg_before": "%s", "srvd": "%s", "srvd_build_type": "%s", "start": "%s", "duration_s": %s}\n' \
  "$overrides" "$( ((quick)) && echo ' --quick')" "$(nproc)" "$cpu" "$(uname -r)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$("$here/peers/srvd.sh" version)" "${build:-unknown}" "$stamp" "$DURATION" >"$results/meta.json"
log "results in $results"

# --- registrations/s, then visibility, on one fresh srvd
if want register; then
srvd_up reg
log "register: wrk -t 2 -c $REG_CONNS -d $DURATION"
cpu0=$($PY "$here/proc_stats.py" cpu "$pid")
r=$(wrk -t 2 -c "$REG_CONNS" -d "$DURATION" -s "$here/registry/wrk_register.lua" "http://127.0.0.1:$http" | tail -1)
cpu1=$($PY "$here/proc_stats.py" cpu "$pid")
requests=$(echo "$r" | sed -n 's/.*"requests": \([0-9]*\).*/\1/p')
record register "${r%\}}, \"server_cpu_s\": $(calc "$cpu1 - $cpu0"), \"server_cpu_us_per_write\": $(calc "($cpu1 - $cpu0) * 1e6 / max(${requests:-0}, 1)"), \"connections\": $REG_CONNS}"
log "visibility: $VIS registrations, each followed at once by a DNS query"
record visibility "$($PY "$here/registry/visibility.py" --http "127.0.0.1:$http" --dns "127.0.0.1:$port" --count "$VIS")"
srvd_down "$dir"
fi

# --- heartbeats/s
if want heartbeat; then
srvd_up hb
$PY "$here/gen_data.py" --services 1000 --instances 3 --register "127.0.0.1:$http" --workers 8 --extra '{"ttl": "300s"}' >/dev/null
log "heartbeat: wrk -t 2 -c 16 -d $DURATION"
r=$(wrk -t 2 -c 16 -d "$DURATION" -s "$here/registry/wrk_heartbeat.lua" "http://127.0.0.1:$http" -- 1000 3 | tail -1)
record heartbeat "$r"
srvd_down "$dir"
fi

# --- active checks: CHECKS HTTP checks at 1 s against another srvd's /healthz
if want checks; then
srvd_up target
target_pid=$pid target_http=$http target_dir=$dir
srvd_up checks
log "checks: registering $CHECKS instances with an HTTP check every 1 s"
$PY "$here/gen_data.py" --services $((CHECKS / 10)) --instances 10 --register "127.0.0.1:$http" --workers 8 \
  --extra "{\"check\": {\"http\": \"http://127.0.0.1:$target_http/healthz\", \"interval\": \"1s\"}}" >/dev/null
sleep 3  # the first pass, then steady state
c0=$($PY "$here/proc_stats.py" cpu "$pid") t0=$($PY "$here/proc_stats.py" cpu "$target_pid")
sleep "$DURATION"
c1=$($PY "$here/proc_stats.py" cpu "$pid") t1=$($PY "$here/proc_stats.py" cpu "$target_pid")
healthy=$(curl -s "127.0.0.1:$http/v1/services/svc0" | grep -o '"status": *"healthy"' | wc -l)
record checks "{\"checks\": $CHECKS, \"interval_s\": 1, \"seconds\": $DURATION, \"core_fraction\": $(calc "($c1 - $c0) / $DURATION"), \"target_core_fraction\": $(calc "($t1 - $t0) / $DURATION"), \"svc0_healthy_of_10\": $healthy}"
srvd_down "$dir"
srvd_down "$target_dir"
fi

# --- scale: SCALE_SERVICES x SCALE_INSTANCES
if want scale; then
seed=${SEED_DIR:-}
if [[ -z $seed ]]; then
  seed=$work/seed
  log "scale: seeding $SCALE_SERVICES x $SCALE_INSTANCES over HTTP"
  record seed "$("$here/seed_srvd.sh" "$seed" "$SCALE_SERVICES" "$SCALE_INSTANCES")"
fi
dir=$work/scale && mkdir -p "$dir" && cp -a "$seed" "$dir/data"
port=$($PY "$here/free_port.py") http=$($PY "$here/free_port.py")
running+=("$dir")
log "scale: start-up with $((SCALE_SERVICES * SCALE_INSTANCES)) instances"
r=$($PY "$here/registry/startup.py" --srvd "$SRVD" --dir "$dir" --data "$dir/data" --dns-port "$port" \
  --http-port "$http" --expect "_svc$((SCALE_SERVICES - 1))._tcp.svc.internal" "$SCALE_INSTANCES")
record startup "${r%\}}, \"instances\": $((SCALE_SERVICES * SCALE_INSTANCES)), \"services\": $SCALE_SERVICES}"
pid=$(cat "$dir/pid")
log "scale: one change at a time while dnsperf offers $RATE qps"
$PY "$here/gen_data.py" --services "$SCALE_SERVICES" --instances "$SCALE_INSTANCES" --out "$work/scale-data" --queries 20000
# srvd's own publish timer (GET /metrics, a summary): its mean over these changes is the
# publish time issue 6 §8 targets, without the HTTP and fsync around it.
publish_metrics() { curl -s "http://127.0.0.1:$http/metrics" | awk '/^srvd_publish_seconds_(sum|count) /{printf "%s ", $2}'; }
pub0=$(publish_metrics)
$PY "$here/measure.py" --server srvd --pid "$pid" --port "$port" --queries "$work/scale-data/queries-a.txt" \
  --workload scale --mode unpinned --out "$results/dns-during-changes.jsonl" --duration "$DURATION" --rate "$RATE" \
  --background "$PY $here/registry/visibility.py --http 127.0.0.1:$http --dns 127.0.0.1:$port --count $VIS" >/dev/null || true
pub1=$(publish_metrics)
r=$($PY - "$results/dns-during-changes.jsonl" $pub0 $pub1 <<'PYEOF'
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
b = r.get("background") or {}
s0, n0, s1, n1 = (float(x) for x in sys.argv[2:6])
print(json.dumps({"publishes": int(n1 - n0), "publish_mean_ms": round((s1 - s0) / max(n1 - n0, 1) * 1e3, 3),**{k: b.get(k) for k in ("registrations", "write_p50_ms", "write_p99_ms", "visible_p50_ms",
                                          "visible_p99_ms", "misses", "never_visible")},
                  "dns_offered_qps": r.get("offered_qps"), "dns_p50_ms": r.get("p50_ms"),
                  "dns_p99_ms": r.get("p99_ms"), "dns_p999_ms": r.get("p999_ms"), "dns_lost": r.get("lost"),
                  "dns_servfail": r.get("servfail")}))
PYEOF
)
record change_at_scale "${r%\}}, \"instances\": $((SCALE_SERVICES * SCALE_INSTANCES))}"
record memory "{\"instances\": $((SCALE_SERVICES * SCALE_INSTANCES + VIS)), \"rss_kib\": $($PY "$here/proc_stats.py" rss "$pid"), \"pss_kib\": $($PY "$here/proc_stats.py" pss "$pid")}"
fi

write=--write
[[ ${NO_WRITE:-0} == 1 ]] && write=
$PY "$here/summarize_registry.py" "$results" ${write:+"$write"}
