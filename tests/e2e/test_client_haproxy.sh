# HAProxy (Debian 2.6) with examples/haproxy/haproxy.cfg -- a `resolvers` section pointing at
# srvd and `server-template` on _payment._tcp.svc.internal -- sends HTTP requests only to the
# healthy registered instances: a backend that runs but is not registered gets nothing,
# maintenance or critical takes an instance's traffic away within seconds, healthy brings it
# back, deregistration removes it; no request fails meanwhile.
source "$(dirname "$0")/lib.sh"
HAPROXY=$(command -v haproxy) || fail "haproxy not found (Debian package haproxy; run scripts/setup.sh)"
CONFIG=$SRVD_SOURCE/examples/haproxy/haproxy.cfg
WITHIN=10 # seconds a change may take to reach HAProxy ("a few"; it resolves every second)

CHILD_PIDS=()
stop_children() {
  local pid
  for pid in "${CHILD_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
show_haproxy_log() {
  echo "--- haproxy output (last 40 lines)" >&2
  tail -n 40 "$WORK/haproxy.log" >&2 2>/dev/null || true
}
trap 'rc=$?; set +e; stop_children; ((rc == 0)) || show_haproxy_log; (exit $rc); _cleanup' EXIT

# Backends: each answers GET with its name. "rogue" runs but is never registered.
for name in p1 p2 p3 rogue; do
  $PY "$E2E_DIR/clients/named_http_server.py" "$name" "$WORK/$name.port" 2>"$WORK/$name.err" &
  CHILD_PIDS+=($!)
done
declare -A PORT
for name in p1 p2 p3 rogue; do
  for ((i = 0; i < 50; i++)); do
    [[ -s $WORK/$name.port ]] && break
    sleep 0.1
  done
  PORT[$name]=$(cat "$WORK/$name.port" 2>/dev/null) || fail "backend $name did not start: $(cat "$WORK/$name.err")"
done

start_srvd
for name in p1 p2 p3; do
  register payment "$name" "{\"address\":\"127.0.0.1\",\"port\":${PORT[$name]}}"
done

# HAProxy needs a port of its own chosen up front; the kernel picks a free one.
LB_PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export SRVD_DNS=127.0.0.1:$DNS_PORT HAPROXY_BIND=127.0.0.1:$LB_PORT HAPROXY_STATS=$WORK/haproxy.sock
"$HAPROXY" -c -q -f "$CONFIG" >"$WORK/haproxy.log" 2>&1 || fail "haproxy -c rejects $CONFIG: $(cat "$WORK/haproxy.log")"
"$HAPROXY" -f "$CONFIG" -db >>"$WORK/haproxy.log" 2>&1 &
CHILD_PIDS+=($!)

# requests N: sends N requests through HAProxy, each on its own connection; prints each
# answering backend's name, or "error:<HTTP status>" (000: no response), sorted and counted
# as "COUNT NAME" lines.
requests() {
  local i code
  for ((i = 0; i < $1; i++)); do
    code=$(curl -s --max-time 3 -H 'Connection: close' -o "$WORK/lb.body" -w '%{http_code}' \
      "http://127.0.0.1:$LB_PORT/") || true
    if [[ $code == 200 ]]; then cat "$WORK/lb.body"; else echo "error:$code"; fi
  done | sort | uniq -c | awk '{ print $2 ":" $1 }' | paste -sd ' '
}
names() { tr ' ' '\n' <<<"$1" | sed 's/:.*//' | paste -sd ' '; } # "p1:3 p2:3" -> "p1 p2"

# await WHAT WANT-NAMES: sends rounds of 9 requests until the backends answering are exactly
# WANT-NAMES (sorted, space-separated) and none fails; fails after $WITHIN seconds. Before the
# first success, failed requests are allowed only while HAProxy starts (STARTING=1).
await() {
  local what=$1 want=$2 start=$SECONDS seen
  while :; do
    seen=$(requests 9)
    [[ $(names "$seen") == "$want" ]] && break
    if [[ $seen == *error:* && ${STARTING:-0} != 1 ]]; then
      fail "$what: a request failed while traffic moved (seen: $seen)"
    fi
    ((SECONDS - start < WITHIN)) || fail "$what: expected traffic to reach only $want within $WITHIN s, seen: $seen"
    sleep 0.3
  done
  note "$what: traffic reaches only $want after $((SECONDS - start)) s"
  # Steady: 30 more requests, every one answered, by the wanted backends only.
  seen=$(requests 30)
  assert_eq "$what: backends answering 30 requests" "$want" "$(names "$seen")"
}

STARTING=1 await "all three registered" "p1 p2 p3"
STARTING=0

expect_http 200 PUT /v1/services/payment/instances/p2/status '{"status":"maintenance"}'
await "p2 in maintenance" "p1 p3"

expect_http 200 PUT /v1/services/payment/instances/p2/status '{"status":"healthy"}'
await "p2 healthy again" "p1 p2 p3"

expect_http 200 PUT /v1/services/payment/instances/p1/status '{"status":"critical"}'
expect_http 200 DELETE /v1/services/payment/instances/p3
await "p1 critical and p3 deregistered" "p2"

stop_srvd
