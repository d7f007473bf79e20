# Active checks against real backends the test starts and kills: an instance with an HTTP or
# TCP check reaches DNS as soon as its first check passes, stays while it answers 2xx or 429,
# leaves on 503 or when the backend dies, comes back with it, and `fall` rides out a flap.
source "$(dirname "$0")/lib.sh"

# backend http NAME | backend tcp NAME [PORT]: starts clients/status_http_server.py on
# 127.0.0.1 (a free port, or PORT to come back where it was) and sets NAME_PORT and NAME_PID.
# An HTTP backend answers GET with the status code in $WORK/NAME.status, read at every request.
BACKENDS=()
backend() {
  local kind=$1 name=$2 port=${3:-0} tcp=()
  rm -f "$WORK/$name.port"
  [[ $kind == tcp ]] && tcp=(--tcp)
  $PY "$E2E_DIR/clients/status_http_server.py" "${tcp[@]}" "$WORK" "$name" "$port" &
  local pid=$!
  BACKENDS+=("$pid")
  until_ok 5 "backend $name listening" test -f "$WORK/$name.port"
  printf -v "${name}_PORT" '%s' "$(cat "$WORK/$name.port")"
  printf -v "${name}_PID" '%s' "$pid"
}
kill_backend() { # NAME
  local pid_var=${1}_PID
  kill "${!pid_var}" 2>/dev/null || true
  wait "${!pid_var}" 2>/dev/null || true
}
answer() { echo "$2" >"$WORK/$1.status"; } # NAME CODE
trap 'rc=$?; set +e; for p in "${BACKENDS[@]}"; do kill "$p" 2>/dev/null || true; done; (exit $rc); _cleanup' EXIT

served() { answers web.svc.internal A | grep -qx "$1"; }      # ADDRESS
not_served() { ! answers web.svc.internal A | grep -qx "$1"; } # ADDRESS
field() { # ID KEY: one field of the instance as GET shows it
  http GET /v1/services/web
  json "[i for i in d[\"instances\"] if i[\"id\"] == \"$1\"][0][\"$2\"]"
}
field_is() { [[ $(field "$1" "$2") == "$3" ]]; } # ID KEY VALUE

start_srvd
backend http A
backend http B
backend tcp T
answer A 200
answer B 503

# --- First check at registration: served at once when it passes (10 s interval, so not by
# a second run), never while it fails.
t0=$(date +%s%N)
register web h0 "{\"address\":\"127.0.0.9\",\"port\":80,\"check\":{\"http\":\"http://127.0.0.1:$A_PORT/health\",\"interval\":\"10s\"}}"
until_ok 2 "h0 served after its first check passed" served 127.0.0.9
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
((elapsed_ms < 2000)) || fail "h0 took $elapsed_ms ms to be served; expected well under its 10 s interval"
http GET /v1/services/web
assert_eq "h0 after its first check" '["healthy", "HTTP 200"]' \
  "$(json '[[i["status"], i["check_output"]] for i in d["instances"] if i["id"] == "h0"][0]')"
assert_eq "h0 check echoed" "{\"fall\": 1, \"http\": \"http://127.0.0.1:$A_PORT/health\", \"interval\": \"10s\", \"rise\": 1, \"timeout\": \"2s\"}" \
  "$(json '[i for i in d["instances"] if i["id"] == "h0"][0]["check"]')"
expect_http 200 DELETE /v1/services/web/instances/h0

register web f0 "{\"address\":\"127.0.0.8\",\"port\":80,\"check\":{\"http\":\"http://127.0.0.1:$B_PORT/\",\"interval\":\"1s\"}}"
assert_eq "f0 as registered: critical until its first check" '["critical", "pending first check"]' \
  "$(json '[d["instance"]["status"], d["instance"]["check_output"]]')"
until_ok 3 "f0's first check recorded" field_is f0 check_output "HTTP 503"
assert_eq "f0 status" critical "$(field f0 status)"
for _ in 1 2 3; do
  not_served 127.0.0.8 || fail "f0 is served although its check answers 503"
  sleep 0.5
done
answer B 200
until_ok 3 "f0 served once its backend answers 200" served 127.0.0.8
expect_http 200 DELETE /v1/services/web/instances/f0

# --- HTTP check, 1 s interval: 200 served, 429 warning (served), 503 out, 200 back.
register web h1 "{\"address\":\"127.0.0.10\",\"port\":80,\"check\":{\"http\":\"http://127.0.0.1:$A_PORT/health\",\"interval\":\"1s\",\"timeout\":\"500ms\"}}"
until_ok 2 "h1 served" served 127.0.0.10
assert_eq "h1 checked_at is an RFC 3339 time within a minute" true "$(http GET /v1/services/web && json '
(lambda i: abs(__import__("datetime").datetime.fromisoformat(i["checked_at"].replace("Z", "+00:00")).timestamp()
    - __import__("time").time()) < 60 and isinstance(i["status_changed_at"], str))(
    [i for i in d["instances"] if i["id"] == "h1"][0])')"
changed_healthy=$(field h1 status_changed_at)

answer A 429
until_ok 4 "h1 warning on 429" field_is h1 status warning
assert_eq "h1 output on 429" "HTTP 429" "$(field h1 check_output)"
served 127.0.0.10 || fail "h1 left DNS on 429; a warning instance is served"

answer A 503
until_ok 4 "h1 out of DNS on 503" not_served 127.0.0.10
assert_eq "h1 on 503" "critical HTTP 503" "$(field h1 status) $(field h1 check_output)"
[[ $(field h1 status_changed_at) != "$changed_healthy" ]] || fail "status_changed_at did not move when h1 went critical"

answer A 200
until_ok 4 "h1 back on 200" served 127.0.0.10
assert_eq "h1 on 200 again" "healthy HTTP 200" "$(field h1 status) $(field h1 check_output)"

# --- The backend dies: out of DNS with the connect error; it comes back on the same port.
kill_backend A
until_ok 4 "h1 out of DNS once its backend is killed" not_served 127.0.0.10
assert_eq "h1 output with its backend dead" "connect: connection refused" "$(field h1 check_output)"
backend http A "$A_PORT"
until_ok 4 "h1 back with its backend" served 127.0.0.10

# --- TCP check.
register web t1 "{\"address\":\"127.0.0.11\",\"port\":80,\"check\":{\"tcp\":\"127.0.0.1:$T_PORT\",\"interval\":\"1s\"}}"
until_ok 2 "t1 served" served 127.0.0.11
assert_eq "t1 output" "TCP connect ok" "$(field t1 check_output)"
kill_backend T
until_ok 4 "t1 out of DNS once its listener is killed" not_served 127.0.0.11
assert_eq "t1 output with its listener dead" "critical connect: connection refused" "$(field t1 status) $(field t1 check_output)"
backend tcp T "$T_PORT"
until_ok 4 "t1 back with its listener" served 127.0.0.11

# --- fall 3: two failures in a row keep a flapping instance in DNS; the third takes it out.
# A 2 s interval leaves room for the test's own steps between two runs on a busy machine.
answer B 200
register web f3 "{\"address\":\"127.0.0.12\",\"port\":80,\"check\":{\"http\":\"http://127.0.0.1:$B_PORT/\",\"interval\":\"2s\",\"fall\":3}}"
until_ok 2 "f3 served" served 127.0.0.12
answer B 503
until_ok 5 "f3's first failure recorded" field_is f3 check_output "HTTP 503"
first_fail=$(field f3 checked_at)
served 127.0.0.12 || fail "f3 left DNS after 1 failure with fall 3"
until_ok 5 "f3's second failure recorded" eval '[[ $(field f3 checked_at) != "$first_fail" ]]'
served 127.0.0.12 || fail "f3 left DNS after 2 failures with fall 3"
assert_eq "f3 after 2 failures" '["healthy", "HTTP 503"]' \
  "$(http GET /v1/services/web && json '[[i["status"], i["check_output"]] for i in d["instances"] if i["id"] == "f3"][0]')"
answer B 200
until_ok 5 "f3 passing again" field_is f3 check_output "HTTP 200"
served 127.0.0.12 || fail "f3 left DNS during a 2-failure flap"
answer B 503
until_ok 9 "f3 out of DNS after 3 failures" not_served 127.0.0.12
assert_eq "f3 after 3 failures" "critical HTTP 503" "$(field f3 status) $(field f3 check_output)"
answer B 200
until_ok 5 "f3 back on 200" served 127.0.0.12

assert_alive "after the checks"
stop_srvd
