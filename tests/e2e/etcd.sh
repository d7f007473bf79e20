# etcd.sh -- real etcd for the store tests (issue 5): one node or a cluster of members on free
# loopback ports with their data under $WORK/etcd, and several srvd replicas on it. A test
# sources this file instead of lib.sh (it sources lib.sh itself); it exits 77 (CTest's skip)
# when etcd or etcdctl is not installed.
#
#   etcd_cluster N          starts members e1..eN (N = 1: a single node), waits until each is
#                           healthy; sets ETCD_ENDPOINTS (every client URL, comma-separated) and
#                           ETCD_URL[i]
#   etcd_plan N             the same ports and variables, nothing started
#   etcd_kill I / etcd_start I / etcd_wait I...
#                           SIGKILL a member; start it again (same name, data dir and ports);
#                           wait (15 s at most) until it reports healthy
#   ectl ARGS...            etcdctl (API v3) against every member
#   start_replica NAME ARGS...
#                           `srvd serve` on free ports with ARGS (e.g. --etcd "$ETCD_ENDPOINTS");
#                           sets NAME_PID, NAME_DNS, NAME_HTTP; output in $WORK/NAME.out/.err
#   use NAME                points lib.sh's helpers (http, answers, ...) at replica NAME
#   kill_replica NAME       SIGKILL; stop_replica NAME: SIGTERM, expecting exit 0
#   EXTRA_PIDS+=(PID)       other processes the test starts, ended on exit
#
# On exit every replica, every member and EXTRA_PIDS are ended by process id before lib.sh's own
# clean-up runs; a failing test prints the tail of each replica's stderr and each member's log.
if ! command -v etcd >/dev/null 2>&1 || ! command -v etcdctl >/dev/null 2>&1; then
  echo "SKIP [$(basename "$0" .sh)]: needs etcd and etcdctl (Debian etcd-server, etcd-client)" >&2
  exit 77
fi
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ETCD_N=0
ETCD_INITIAL=
ETCD_ENDPOINTS=
ETCD_PIDS=()
ETCD_CLIENT_PORT=()
ETCD_PEER_PORT=()
ETCD_URL=()
REPLICAS=()
EXTRA_PIDS=()

# _free_ports N: N distinct loopback TCP ports that can be bound now, chosen below Linux's
# ephemeral range so that no outgoing connection or port-0 listener takes one meanwhile (a
# member restarted later needs its ports again).
_free_ports() {
  $PY -c '
import random, socket, sys
want, got, socks = int(sys.argv[1]), [], []
while len(got) < want:
    p = random.randint(20000, 32000)
    if p in got:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        s.close()
        continue
    socks.append(s)
    got.append(p)
print(" ".join(map(str, got)))' "$1"
}

etcd_cluster() { # N
  local n=$1 i
  etcd_plan "$n"
  for ((i = 1; i <= n; i++)); do etcd_start "$i"; done
  for ((i = 1; i <= n; i++)); do etcd_wait "$i"; done
}

# etcd_plan N: etcd_cluster's ports and URLs without starting anything, for a test that starts
# srvd before etcd (then etcd_start I and etcd_wait I).
etcd_plan() { # N
  local n=$1 i ports
  read -r -a ports <<<"$(_free_ports $((2 * n)))"
  ETCD_N=$n
  ETCD_INITIAL=
  ETCD_ENDPOINTS=
  for ((i = 1; i <= n; i++)); do
    ETCD_CLIENT_PORT[i]=${ports[2 * i - 2]}
    ETCD_PEER_PORT[i]=${ports[2 * i - 1]}
    ETCD_URL[i]=http://127.0.0.1:${ETCD_CLIENT_PORT[i]}
    ETCD_INITIAL+="${ETCD_INITIAL:+,}e$i=http://127.0.0.1:${ETCD_PEER_PORT[i]}"
    ETCD_ENDPOINTS+="${ETCD_ENDPOINTS:+,}${ETCD_URL[i]}"
  done
}

# etcd_start I: starts member eI in the background; the initial-cluster flags matter only the
# first time (afterwards the data dir holds the membership).
etcd_start() {
  local i=$1
  mkdir -p "$WORK/etcd"
  etcd --name "e$i" --data-dir "$WORK/etcd/e$i" \
    --listen-client-urls "${ETCD_URL[i]}" --advertise-client-urls "${ETCD_URL[i]}" \
    --listen-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT[i]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT[i]}" \
    --initial-cluster "$ETCD_INITIAL" --initial-cluster-state new \
    --initial-cluster-token "srvd-e2e-$$" >>"$WORK/etcd-e$i.log" 2>&1 &
  ETCD_PIDS[i]=$!
}

etcd_healthy() { # I
  curl -s --max-time 1 "${ETCD_URL[$1]}/health" 2>/dev/null | grep -q '"health": *"true"'
}

etcd_wait() { # I...
  local i n
  for i in "$@"; do
    for ((n = 0; n < 150; n++)); do
      etcd_healthy "$i" && break
      kill -0 "${ETCD_PIDS[i]}" 2>/dev/null || fail "etcd member e$i exited: $(tail -n 5 "$WORK/etcd-e$i.log")"
      sleep 0.1
    done
    etcd_healthy "$i" || fail "etcd member e$i not healthy after 15 s: $(tail -n 5 "$WORK/etcd-e$i.log")"
  done
}

etcd_kill() { # I
  local i=$1
  [[ -n ${ETCD_PIDS[i]:-} ]] || return 0
  kill -KILL "${ETCD_PIDS[i]}" 2>/dev/null || true
  wait "${ETCD_PIDS[i]}" 2>/dev/null || true
  ETCD_PIDS[i]=
}

# ectl ARGS...: etcdctl against the members this test has running (etcdctl 3.4 can stay stuck
# on a dead endpoint until its timeout).
ectl() {
  local i live=
  for ((i = 1; i <= ETCD_N; i++)); do
    [[ -n ${ETCD_PIDS[i]:-} ]] && live+="${live:+,}${ETCD_URL[i]}"
  done
  ETCDCTL_API=3 etcdctl --endpoints "${live:-$ETCD_ENDPOINTS}" --command-timeout=5s "$@"
}

# start_replica NAME ARGS...: like lib.sh's start_srvd, for one of several replicas.
start_replica() {
  local name=$1 i tries=100 dns='' http='' pid
  shift
  : >"$WORK/$name.out"
  : >"$WORK/$name.err"
  # shellcheck disable=SC2086 # SRVD_WRAPPER is a command line
  ${SRVD_WRAPPER:-} "$SRVD" serve --dns 127.0.0.1:0 --http 127.0.0.1:0 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  pid=$!
  [[ " ${REPLICAS[*]} " == *" $name "* ]] || REPLICAS+=("$name")
  printf -v "${name}_PID" '%s' "$pid"
  [[ -n ${SRVD_WRAPPER:-} ]] && tries=600
  for ((i = 0; i < tries; i++)); do
    dns=$(sed -n 's/^listening dns 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$WORK/$name.out")
    http=$(sed -n 's/^listening http 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$WORK/$name.out")
    [[ -n $dns && -n $http ]] && break
    kill -0 "$pid" 2>/dev/null || fail "replica $name exited before listening; stderr: $(tail -n 5 "$WORK/$name.err")"
    sleep 0.1
  done
  [[ -n $dns && -n $http ]] || fail "replica $name: no 'listening' lines within $((tries / 10)) s: $(cat "$WORK/$name.out")"
  printf -v "${name}_DNS" '%s' "$dns"
  printf -v "${name}_HTTP" '%s' "$http"
}

use() { # NAME
  local d=${1}_DNS h=${1}_HTTP
  DNS_PORT=${!d} HTTP_PORT=${!h}
}

kill_replica() { # NAME
  local p=${1}_PID
  [[ -n ${!p} ]] || return 0
  kill -KILL "${!p}" 2>/dev/null || true
  wait "${!p}" 2>/dev/null || true
  printf -v "$p" '%s' ''
}

stop_replica() { # NAME
  local p=${1}_PID i rc=0
  kill -TERM "${!p}"
  for ((i = 0; i < 100; i++)); do
    kill -0 "${!p}" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "${!p}" 2>/dev/null && fail "replica $1 still running 10 s after SIGTERM"
  wait "${!p}" || rc=$?
  printf -v "$p" '%s' ''
  ((rc == 0)) || fail "replica $1 exited $rc on SIGTERM; stderr: $(tail -n 10 "$WORK/$1.err")"
}

_etcd_cleanup() {
  local rc=$? r p pids=() i
  set +e # a failing step here must not skip the rest, nor lib.sh's clean-up
  for r in "${REPLICAS[@]}"; do
    p=${r}_PID
    [[ -n ${!p:-} ]] && pids+=("${!p}")
  done
  pids+=("${EXTRA_PIDS[@]}")
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for ((i = 0; i < 50; i++)); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for p in "${pids[@]}"; do
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  for p in "${ETCD_PIDS[@]}"; do
    [[ -n $p ]] || continue
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  if ((rc != 0)); then
    for r in "${REPLICAS[@]}"; do
      echo "--- replica $r stderr (last 15 lines)" >&2
      tail -n 15 "$WORK/$r.err" >&2 2>/dev/null || true
    done
    for ((i = 1; i <= ETCD_N; i++)); do
      echo "--- etcd e$i log (last 5 lines)" >&2
      tail -n 5 "$WORK/etcd-e$i.log" >&2 2>/dev/null || true
    done
  fi
  (exit "$rc")
  _cleanup
}
trap _etcd_cleanup EXIT

now_ms() { date +%s%3N; }

# on NAME COMMAND...: runs a lib.sh helper against replica NAME without changing the current one.
on() {
  local d=${1}_DNS h=${1}_HTTP
  shift
  DNS_PORT=${!d} HTTP_PORT=${!h} "$@"
}

# a_on NAME QNAME: the A answer of QNAME from replica NAME, sorted.
a_on() { on "$1" answers "$2" A; }
srv_on() { on "$1" answers "$2" SRV; }
a_is() { [[ $(a_on "$1" "$2") == "$3" ]]; } # NAME QNAME EXPECTED ("" for no answer)

# healthz NAME: prints "<http status> <json status>" of GET /healthz on replica NAME.
healthz() {
  local h=${1}_HTTP body code
  code=$(curl -s --max-time 3 -o "$WORK/healthz.body" -w '%{http_code}' "http://127.0.0.1:${!h}/healthz") || true
  body=$(cat "$WORK/healthz.body" 2>/dev/null || true)
  echo "$code $($PY -c 'import json,sys
try: print(json.loads(sys.argv[1]).get("status"))
except Exception: print("not-json")' "$body")"
}

# propagation WRITER QNAME ADDRESS REPLICA... -- reads a PUT (or DELETE) from stdin as
# "METHOD PATH [BODY]", sends it to replica WRITER, and measures, from the moment the 2xx has
# arrived, how long until each REPLICA's DNS answers QNAME A with ADDRESS among the answers
# (ADDRESS "-": until QNAME has no A answer). Prints "<status> <own> <ms>..." where own is
# "yes" when WRITER's DNS already answered so on the first query after the 2xx.
cat >"$WORK/propagation.py" <<'PY'
import http.client, sys, time
import dns.message, dns.query, dns.rdatatype
writer_http, writer_dns, qname, address = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
others = [int(p) for p in sys.argv[5:]]
method, path, *body = sys.stdin.read().strip().split(" ", 2)
def done(port):
    try:
        r = dns.query.udp(dns.message.make_query(qname, "A"), "127.0.0.1", port=port, timeout=0.5)
    except Exception:
        return False
    got = {rd.address for rr in r.answer if rr.rdtype == dns.rdatatype.A for rd in rr}
    return (not got) if address == "-" else address in got
c = http.client.HTTPConnection("127.0.0.1", writer_http, timeout=5)
c.request(method, path, body=body[0] if body else None, headers={"Content-Type": "application/json"})
status = c.getresponse().status
t0 = time.monotonic()
own = "yes" if done(writer_dns) else "no"
out, pending = {}, set(others)
while pending and time.monotonic() - t0 < 3:
    for p in list(pending):
        if done(p):
            out[p] = round((time.monotonic() - t0) * 1000)
            pending.discard(p)
    time.sleep(0.005)
print(status, own, *[out.get(p, "never") for p in others])
PY
healthz_is() { [[ $(healthz "$1") == "$2" ]]; } # NAME "CODE STATUS"

propagation() { # WRITER QNAME ADDRESS REPLICA...
  local w=$1 qname=$2 address=$3 r ports=()
  shift 3
  local wh=${w}_HTTP wd=${w}_DNS
  for r in "$@"; do
    local d=${r}_DNS
    ports+=("${!d}")
  done
  $PY "$WORK/propagation.py" "${!wh}" "${!wd}" "$qname" "$address" "${ports[@]}"
}
