# Long-polls (issue 4 §5): GET ...?index=N&wait=D returns as soon as the change index passes N,
# with a state DNS already serves, or at the wait; it holds up no other connection, and a
# client that gives up does no harm.
source "$(dirname "$0")/lib.sh"
start_srvd

now() { date +%s.%N; }
elapsed() { $PY -c 'import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 2))' "$1" "$2"; }
between() { # WHAT VALUE LOW HIGH
  $PY -c 'import sys; sys.exit(0 if float(sys.argv[2]) <= float(sys.argv[1]) <= float(sys.argv[3]) else 1)' \
    "$2" "$3" "$4" || fail "$1: took $2 s, expected $3-$4 s"
}
# poll PATH OUT: a long-poll in the background; on return it queries DNS at once, so OUT.dns
# shows what DNS served the moment the client had its answer.
poll() {
  (
    curl -sS -D "$2.headers" -o "$2.body" "http://127.0.0.1:$HTTP_PORT$1"
    answers a2.web.svc.internal A >"$2.dns"
    now >"$2.done"
  ) &
}

register web a1 '{"address":"127.0.0.40","port":8080}'
expect_http 200 GET /v1/services/web
start_index=$HTTP_INDEX

# Bounds are loose (CI runs this under ASan too) but far from the 30 s wait.

# --- a change wakes the poll at once, and DNS already serves what it returns.
t0=$(now)
poll "/v1/services/web?index=$start_index&wait=30s" "$WORK/p1"
poller=$!
sleep 1
expect_http 200 GET /healthz # other connections are not held up by the poll
between "healthz during a long-poll" "$(elapsed "$t0" "$(now)")" 0 3
[[ -e $WORK/p1.done ]] && fail "the long-poll returned before anything changed: $(cat "$WORK/p1.body")"
register web a2 '{"address":"127.0.0.41","port":8080}'
wait "$poller"
between "long-poll woken by a change" "$(elapsed "$t0" "$(cat "$WORK/p1.done")")" 0.9 5
body=$(cat "$WORK/p1.body")
assert_eq "long-poll sees the new instance" '["a1", "a2"]' "$(json 'sorted(i["id"] for i in d["instances"])' "$body")"
index=$(tr -d '\r' <"$WORK/p1.headers" | sed -n 's/^[Xx]-[Ss]rvd-[Ii]ndex: *//p')
((index > start_index)) || fail "X-Srvd-Index $index should be above $start_index"
assert_eq "DNS serves the state the long-poll returned" 127.0.0.41 "$(cat "$WORK/p1.dns")"

# --- nothing changes: it returns at the wait, with the same state.
t0=$(now)
expect_http 200 GET "/v1/services/web?index=$index&wait=1500ms"
between "long-poll with no change" "$(elapsed "$t0" "$(now)")" 1.4 4
assert_eq "same index at the wait" "$index" "$HTTP_INDEX"

# --- an index already passed returns at once; one from the future counts as the current one.
t0=$(now)
expect_http 200 GET "/v1/services/web?index=$start_index&wait=30s"
between "long-poll on a passed index" "$(elapsed "$t0" "$(now)")" 0 2
t0=$(now)
expect_http 200 GET "/v1/services?index=999999&wait=1s"
between "long-poll on a future index" "$(elapsed "$t0" "$(now)")" 0.9 4
assert_eq "GET /v1/services long-poll" '["web"]' "$(json '[s["name"] for s in d["services"]]')"

# --- /v1/services long-polls too, woken by a status change.
t0=$(now)
(curl -sS -o "$WORK/p2.body" "http://127.0.0.1:$HTTP_PORT/v1/services?index=$index&wait=30s" && now >"$WORK/p2.done") &
poller=$!
sleep 0.5
expect_http 200 PUT /v1/services/web/instances/a2/status '{"status":"maintenance"}'
wait "$poller"
between "GET /v1/services woken by a status change" "$(elapsed "$t0" "$(cat "$WORK/p2.done")")" 0.4 5
assert_eq "new status in the long-poll" maintenance \
  "$(json '[i["status"] for i in d["services"][0]["instances"] if i["id"] == "a2"][0]' "$(cat "$WORK/p2.body")")"

# --- bad parameters.
expect_http 400 GET "/v1/services/web?index=abc"
expect_http 400 GET "/v1/services/web?index=1&wait=forever"

# --- clients that give up: srvd answers later into a closed connection and stays well.
for _ in 1 2 3; do
  curl -s -o /dev/null --max-time 0.3 "http://127.0.0.1:$HTTP_PORT/v1/services/web?index=$HTTP_INDEX&wait=1s" || true
done
sleep 1.5
assert_alive "after abandoned long-polls"
stop_srvd
