#!/usr/bin/env bash
# probe_d.sh -- why workload (d) loses QPS: one srvd (unpinned, --dns-threads THREADS) on the
# 1,000 x 3 data, then ROUNDS times (a) and (d) alternately on that same process, each
# DURATION s, one line per run with counts that hold on a busy machine: QPS and lost
# (indicative), kernel receive-buffer drops (of srvd's sockets, and UdpRcvbufErrors for the
# whole system), publishes, and
# per DNS thread (the threads that call recvmmsg): CPU µs per query, queries per recvmmsg,
# context switches, eventfd reads (uv_async wakeups, mostly snapshot publishes), and how
# the UDP traffic split over the loops (SO_REUSEPORT hashes dnsperf's 4 sockets).
#
#   bench/probe_d.sh [SRVD] [THREADS] [ROUNDS] [DURATION]     (defaults: build/srvd 2 3 5)
#
# Needs dnsperf, perf (syscall tracepoints), nstat, g++ (the churn client); data and the
# churn client go to a temp dir. LAUNCH=setsid starts srvd in its own session, as run.sh
# does (its own autogroup: its threads then share one scheduling entity's CPU share).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SRVD=$(realpath "${1:-$here/../build/srvd}") TH=${2:-2} N=${3:-3} SECS=${4:-5}
w=$(mktemp -d "${TMPDIR:-/tmp}/srvd-probe.XXXXXX")
P=
trap '[[ -n $P ]] && kill $P 2>/dev/null; wait 2>/dev/null; rm -rf "$w"' EXIT
g++ -O2 -std=c++17 -o "$w/churn" "$here/churn.cpp"
/usr/bin/python3 "$here/gen_data.py" --services 1000 --instances 3 --out "$w/small" --queries 100000 >/dev/null
SRVD=$SRVD "$here/seed_srvd.sh" "$w/small/srvd-data" 1000 3 >/dev/null
cp -a "$w/small/srvd-data" "$w/data"; mkdir -p "$w/zones"
dns=$(/usr/bin/python3 "$here/free_port.py"); http=$(/usr/bin/python3 "$here/free_port.py")
${LAUNCH:-} "$SRVD" serve --dns "127.0.0.1:$dns" --http "127.0.0.1:$http" --dns-threads "$TH" \
  --data-dir "$w/data" --zones "$w/zones" >"$w/log" 2>&1 &
P=$!
for _ in $(seq 100); do
  dig +short +time=1 +tries=1 @127.0.0.1 -p "$dns" svc.internal. SOA 2>/dev/null | grep -q hostmaster && break
  sleep 0.1
done
metric() { curl -s "127.0.0.1:$http/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
drops() { nstat -az UdpRcvbufErrors | awk '/UdpRcvbufErrors/ {print $2}'; }
# srvd's own UDP sockets: the kernel's drop counter ("d" in ss -m's skmem), summed
sock_drops() { ss -uanmH "sport = :$dns" | grep -o ',d[0-9]*)' | tr -dc '0-9\n' | awk '{s += $1} END {print s + 0}'; }
one() {
  local mode=$1 bg= r0 r1 s0 s1 p0 p1
  r0=$(drops); s0=$(sock_drops); p0=$(metric srvd_publish_seconds_count)
  perf stat --per-thread -p "$P" -x, -o "$w/pstat" \
    -e 'syscalls:sys_enter_recvmmsg,syscalls:sys_enter_read,context-switches,task-clock' -- sleep "$SECS" &
  local ps=$!
  if [[ $mode == d ]]; then
    "$w/churn" --http "127.0.0.1:$http" --services 1000 --rate 1000 --duration "$SECS" >"$w/churn.out" &
    bg=$!
  fi
  dnsperf -s 127.0.0.1 -p "$dns" -d "$w/small/queries-a.txt" -l "$SECS" -m udp -t 2 -T "$TH" -c 4 -q 200 >"$w/perf.out" 2>&1
  if [[ -n $bg ]]; then wait "$bg"; fi
  wait "$ps" || true
  r1=$(drops); s1=$(sock_drops); p1=$(metric srvd_publish_seconds_count)
  local qps done lost
  qps=$(awk '/Queries per second/ {printf "%d", $4}' "$w/perf.out")
  done=$(awk '/Queries completed/ {print $3}' "$w/perf.out")
  lost=$(awk '/Queries lost/ {print $3}' "$w/perf.out")
  printf '%s qps=%s lost=%s srvd_socket_drops=%s UdpRcvbufErrors=%s publishes=%s ' "$mode" "$qps" "$lost" \
    $((s1 - s0)) $((r1 - r0)) $((p1 - p0))
  /usr/bin/python3 - "$w/pstat" "$done" <<'PY'
import collections, sys
per = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    f = line.strip().split(",")
    if len(f) < 4 or "-" not in f[0]:
        continue
    try:
        per[f[0].rsplit("-", 1)[1]][f[3]] = float(f[1])
    except ValueError:
        pass
done = max(int(sys.argv[2]), 1)
dns = [t for t in per if per[t].get("syscalls:sys_enter_recvmmsg", 0) > 0]
get = lambda key, ts: sum(per[t].get(key, 0) for t in ts)
cpu = get("task-clock", dns)
print(f"srvd_cpu_ms={get('task-clock', per):.0f} dns_cpu_ms={cpu:.0f} dns_us_per_q={cpu * 1000 / done:.2f}"
      f" q_per_recvmmsg={done / max(get('syscalls:sys_enter_recvmmsg', dns), 1):.1f}"
      f" dns_ctx_switches={get('context-switches', dns):.0f} dns_eventfd_reads={get('syscalls:sys_enter_read', dns):.0f}"
      f" split_ms=" + "/".join(f"{per[t].get('task-clock', 0):.0f}" for t in dns))
PY
}
for _ in $(seq "$N"); do one a; one d; done
