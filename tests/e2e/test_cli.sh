# The client subcommands against a real server: `srvd register` (flags become the API's
# fields), `list` (a table), `heartbeat`, `deregister`, `watch` (prints changes made by other
# commands as they happen); failures exit 1 with the server's own message, bad usage 2.
source "$(dirname "$0")/lib.sh"
start_srvd
ADDR=127.0.0.1:$HTTP_PORT

# cli NAME ARGS...: runs `srvd ARGS... --http $ADDR`; sets CLI_RC, CLI_OUT, CLI_ERR.
cli() {
  CLI_RC=0
  "$SRVD" "$@" --http "$ADDR" >"$WORK/cli.out" 2>"$WORK/cli.err" || CLI_RC=$?
  CLI_OUT=$(cat "$WORK/cli.out")
  CLI_ERR=$(cat "$WORK/cli.err")
}
expect_ok() { # ARGS...
  cli "$@"
  ((CLI_RC == 0)) || fail "srvd $*: expected exit 0, got $CLI_RC; stderr: $CLI_ERR"
}
# expect_refused ARGS...: exit 1 and stderr is "srvd: <the API's error message> (HTTP <status>)".
# SERVER_ERROR must hold the message the API gives for the same request (read with curl).
expect_refused() {
  cli "$@"
  ((CLI_RC == 1)) || fail "srvd $*: expected exit 1, got $CLI_RC; stdout: $CLI_OUT; stderr: $CLI_ERR"
  assert_eq "srvd $*: stderr" "srvd: $SERVER_ERROR (HTTP $SERVER_STATUS)" "$CLI_ERR"
}
expect_usage() { # ARGS...
  cli "$@"
  ((CLI_RC == 2)) || fail "srvd $*: expected exit 2 (usage), got $CLI_RC; stderr: $CLI_ERR"
  [[ -n $CLI_ERR ]] || fail "srvd $*: expected a message on stderr"
}
# server_error METHOD PATH [BODY]: what the API itself answers, for expect_refused.
server_error() {
  http "$@"
  SERVER_STATUS=$HTTP_STATUS
  SERVER_ERROR=$(json 'd["error"]')
}
instance() { # SERVICE ID EXPR: a Python expression on the instance as the API shows it
  expect_http 200 GET "/v1/services/$1"
  json "[i for i in d['instances'] if i['id'] == '$2'][0]$3"
}

# --- register: every flag reaches the API; DNS serves it.
expect_ok register payment p1 --address 127.0.0.1 --port 9001 --priority 2 --weight 30 \
  --tag blue --tag canary --meta version=1.2 --meta zone=a=b
assert_eq "register output" "registered payment/p1 at 127.0.0.1:9001: healthy" "$CLI_OUT"
assert_eq "registered fields" '[2, 30, ["blue", "canary"], {"version": "1.2", "zone": "a=b"}, "api"]' \
  "$(json '[d["priority"], d["weight"], d["tags"], d["meta"], d["source"]]' "$(instance payment p1 '')")"
assert_eq "SRV after srvd register" "2 30 9001 p1.payment.svc.internal." \
  "$(answers _payment._tcp.svc.internal SRV)"
expect_ok register payment p1 --address 127.0.0.1 --port 9001 --priority 2 --weight 30 \
  --tag blue --tag canary --meta version=1.2 --meta zone=a=b
assert_eq "register again, unchanged" "updated payment/p1 at 127.0.0.1:9001: healthy" "$CLI_OUT"

# A TTL long enough that p2 stays healthy through the whole test on a loaded CI machine.
expect_ok register payment p2 --address ::1 --port 9002 --ttl 60s --protocol tcp
assert_eq "register with a TTL" "registered payment/p2 at [::1]:9002: healthy" "$CLI_OUT"
assert_eq "ttl given with --ttl" "1m" "$(instance payment p2 '["ttl"]')"

expect_ok register checked c1 --address 127.0.0.1 --port 9003 --check-tcp "127.0.0.1:$HTTP_PORT" \
  --interval 2s --timeout 1s --rise 1 --fall 3 --deregister-after 1m
assert_eq "check given with --check-tcp" \
  "{\"fall\": 3, \"interval\": \"2s\", \"rise\": 1, \"tcp\": \"127.0.0.1:$HTTP_PORT\", \"timeout\": \"1s\"} 1m" \
  "$(instance checked c1 '["check"]') $(instance checked c1 '["deregister_after"]')"
expect_ok register checked c2 --address 127.0.0.1 --port 9004 \
  --check-http "http://127.0.0.1:$HTTP_PORT/healthz"
assert_eq "check given with --check-http" "http://127.0.0.1:$HTTP_PORT/healthz" \
  "$(instance checked c2 '["check"]["http"]')"

# --- list: a table, one row per instance, for all services or one.
expect_ok list
assert_eq "list header" "SERVICE ID ADDRESS STATUS SOURCE OUTPUT" "$(head -n 1 <<<"$CLI_OUT" | tr -s ' ')"
assert_eq "list rows" "checked c1 127.0.0.1:9003
checked c2 127.0.0.1:9004
payment p1 127.0.0.1:9001 healthy api
payment p2 [::1]:9002 healthy api" \
  "$(tail -n +2 <<<"$CLI_OUT" | awk '$1 == "payment" { print $1, $2, $3, $4, $5; next } { print $1, $2, $3 }')"
expect_ok list payment
assert_eq "list payment" "SERVICE ID ADDRESS STATUS SOURCE OUTPUT
payment p1 127.0.0.1:9001 healthy api
payment p2 [::1]:9002 healthy api" "$(tr -s ' ' <<<"$CLI_OUT")"
expect_http 200 PUT /v1/services/payment/instances/p1/status '{"status":"maintenance","reason":"deploy 42"}'
expect_ok list payment
assert_eq "list shows the operator's reason" "payment p1 127.0.0.1:9001 maintenance api deploy 42" \
  "$(grep ' p1 ' <<<"$CLI_OUT" | tr -s ' ')"
SRVD_HTTP_ADDR=$ADDR "$SRVD" list payment >"$WORK/env.out" || fail "srvd list with SRVD_HTTP_ADDR failed"
assert_eq "SRVD_HTTP_ADDR picks the server" "$CLI_OUT" "$(cat "$WORK/env.out")"
expect_http 200 PUT /v1/services/payment/instances/p1/status '{"status":"healthy"}'

# --- heartbeat
expect_ok heartbeat payment p2
assert_eq "heartbeat output" "heartbeat payment/p2: healthy; next one due within 1m" "$CLI_OUT"
server_error PUT /v1/services/payment/instances/p1/heartbeat
assert_eq "heartbeat without a TTL is refused" 400 "$SERVER_STATUS"
expect_refused heartbeat payment p1
server_error PUT /v1/services/payment/instances/nope/heartbeat
assert_eq "heartbeat of an unknown instance" 404 "$SERVER_STATUS"
expect_refused heartbeat payment nope

# --- the server's errors, word for word, exit 1; nothing registered.
server_error PUT /v1/services/payment/instances/p3 '{"address":"127.0.0.1","port":70000}'
expect_refused register payment p3 --address 127.0.0.1 --port 70000
server_error PUT /v1/services/payment/instances/p3 '{"address":"127.0.0.1","port":"x"}'
expect_refused register payment p3 --address 127.0.0.1 --port x
server_error PUT /v1/services/payment/instances/p3 '{"address":"not-an-ip","port":1}'
expect_refused register payment p3 --address not-an-ip --port 1
server_error PUT /v1/services/payment/instances/p3 '{"address":"127.0.0.1","port":1,"ttl":"soon"}'
expect_refused register payment p3 --address 127.0.0.1 --port 1 --ttl soon
server_error PUT /v1/services/bad_name/instances/p3 '{"address":"127.0.0.1","port":1}'
expect_refused register bad_name p3 --address 127.0.0.1 --port 1
server_error GET /v1/services/nosuch
expect_refused list nosuch
expect_http 200 GET /v1/services/payment
assert_eq "nothing registered by the refused commands" '["p1", "p2"]' "$(json '[i["id"] for i in d["instances"]]')"

# --- bad usage exits 2 without calling the server; an unreachable server exits 1.
expect_usage register payment p3 --address 127.0.0.1
expect_usage register payment p3 --address 127.0.0.1 --port 1 --colour red
expect_usage register payment p3 --address 127.0.0.1 --port 1 --check-http http://x/ --check-tcp x:1
expect_usage register payment p3 --address 127.0.0.1 --port 1 --interval 2s
expect_usage register payment p3 --address 127.0.0.1 --port 1 --meta novalue
expect_usage deregister payment
expect_usage list a b
expect_usage list --http
rc=0
"$SRVD" list --http 127.0.0.1:1 2>"$WORK/cli.err" || rc=$?
((rc == 1)) || fail "list against a closed port: expected exit 1, got $rc"
[[ $(cat "$WORK/cli.err") == "srvd: cannot reach srvd at http://127.0.0.1:1: "* ]] ||
  fail "list against a closed port: expected 'cannot reach', got: $(cat "$WORK/cli.err")"

# --- deregister: gone from DNS; a second time is the server's 404.
expect_ok deregister payment p1
# p1 was served: resolvers may hold it for the zone's TTL (5 s by default).
[[ $CLI_OUT =~ ^"deregistered payment/p1; resolvers may still return it for 5 s, until "[0-9T:.-]+Z$ ]] ||
  fail "deregister output: expected the drain time, got '$CLI_OUT'"
assert_eq "SRV after deregister" "" "$(answers _payment._tcp.svc.internal SRV | grep p1 || true)"
server_error DELETE /v1/services/payment/instances/p1
expect_refused deregister payment p1

# --- watch: changes made by other commands show up within seconds, one line each; a
# heartbeat or an unchanged re-registration is not a change.
timeout 60 "$SRVD" watch payment --http "$ADDR" >"$WORK/watch.out" 2>"$WORK/watch.err" &
WATCH_PID=$!
# wait_line PATTERN WHAT: waits (5 s at most) for a line of watch's output matching PATTERN.
wait_line() {
  local i
  for ((i = 0; i < 50; i++)); do
    grep -Eq "$1" "$WORK/watch.out" && return
    sleep 0.1
  done
  fail "srvd watch: expected a line matching '$1' ($2) within 5 s; output: $(cat "$WORK/watch.out") $(cat "$WORK/watch.err")"
}
stamp='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z'
wait_line "$stamp payment/p2 present \[::1\]:9002 healthy\$" "the current state first"
expect_ok register payment p9 --address 127.0.0.9 --port 9009
wait_line "$stamp payment/p9 added 127.0.0.9:9009 healthy\$" "a registration"
expect_ok heartbeat payment p2
expect_ok register payment p9 --address 127.0.0.9 --port 9009
expect_http 200 PUT /v1/services/payment/instances/p9/status '{"status":"maintenance","reason":"deploy"}'
wait_line "$stamp payment/p9 status healthy -> maintenance \(deploy\)\$" "a status change"
expect_ok register payment p9 --address 127.0.0.9 --port 9010
wait_line "$stamp payment/p9 updated port \(127.0.0.9:9010\)\$" "a re-registration with a new port"
expect_ok deregister payment p9
wait_line "$stamp payment/p9 removed\$" "a deregistration"
sleep 1.5 # room for any spurious line
kill "$WATCH_PID" 2>/dev/null || true
wait "$WATCH_PID" 2>/dev/null || true
assert_eq "watch printed exactly the changes" "payment/p2 present [::1]:9002 healthy
payment/p9 added 127.0.0.9:9009 healthy
payment/p9 status healthy -> maintenance (deploy)
payment/p9 updated port (127.0.0.9:9010)
payment/p9 removed" "$(cut -d' ' -f2- "$WORK/watch.out")"

# watch a service before it exists: its first instance shows up as added.
timeout 60 "$SRVD" watch later --http "$ADDR" >"$WORK/watch.out" 2>"$WORK/watch.err" &
WATCH_PID=$!
sleep 0.5
expect_ok register later x1 --address 127.0.0.31 --port 9031
wait_line "$stamp later/x1 added 127.0.0.31:9031 healthy\$" "the first instance of a new service"
kill "$WATCH_PID" 2>/dev/null || true
wait "$WATCH_PID" 2>/dev/null || true
[[ ! -s $WORK/watch.err ]] || fail "watch of a service not yet registered: unexpected stderr: $(cat "$WORK/watch.err")"

# watch against a server that goes away: reports it and keeps trying (until killed).
timeout 60 "$SRVD" watch payment --http "$ADDR" >"$WORK/watch.out" 2>"$WORK/watch.err" &
WATCH_PID=$!
wait_line "payment/p2 present" "the current state first"
stop_srvd
for ((i = 0; i < 50; i++)); do
  grep -q "cannot reach srvd" "$WORK/watch.err" && break
  sleep 0.1
done
grep -q "retrying in" "$WORK/watch.err" || fail "watch after the server stopped: expected 'retrying in' on stderr, got: $(cat "$WORK/watch.err")"
kill -0 "$WATCH_PID" 2>/dev/null || fail "watch exited when the server went away"
kill "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null || true
note "ok"
