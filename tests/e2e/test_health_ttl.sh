# Self-registration with a TTL (issue 4 §1): heartbeats keep an instance in DNS; a missed one
# takes it out within TTL + 1 s; a heartbeat brings it back; deregister_after removes it; a
# heartbeat for an unknown instance is 404 so the client registers again.
source "$(dirname "$0")/lib.sh"
start_srvd

now() { date +%s.%N; }
elapsed() { $PY -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$1" "$2"; }
# wait_for_a NAME EXPECTED SECONDS: polls DNS every 0.1 s until the A answer is EXPECTED.
wait_for_a() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    [[ $(answers "$1" A) == "$2" ]] && return 0
    sleep 0.1
  done
  fail "$1 A: expected '$2' within $3 s, got '$(answers "$1" A)'"
}

register api a1 '{"address":"127.0.0.20","port":8080,"ttl":"2s"}'
assert_eq "registered with a ttl" 201 "$HTTP_STATUS"
assert_eq "ttl echoed, healthy at once, registration counts as a heartbeat" \
  '["2s", "healthy", true]' \
  "$(json '[d["instance"]["ttl"], d["instance"]["status"], d["instance"]["heartbeat_at"] is not None]')"
assert_eq "in DNS at once" 127.0.0.20 "$(answers a1.api.svc.internal A)"

# --- heartbeats every second keep it for 4 s (twice the TTL).
for _ in 1 2 3 4; do
  sleep 1
  assert_eq "kept by heartbeats" 127.0.0.20 "$(answers a1.api.svc.internal A)"
  before=$(now)
  expect_http 200 PUT /v1/services/api/instances/a1/heartbeat
  after=$(now)
done
assert_eq "heartbeat answer" healthy "$(json 'd["instance"]["status"]')"

# --- no heartbeat: out of DNS within TTL + 1 s of the last one, critical "TTL expired". The
# heartbeat happened between $before and $after: bound each side from the safe end.
wait_for_a a1.api.svc.internal "" 5
gone=$(now)
late=$(elapsed "$after" "$gone")
early=$(elapsed "$before" "$gone")
$PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 3.2 else 1)' "$late" ||
  fail "left DNS $late s after the last heartbeat (TTL 2 s + 1 s allowed)"
$PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 2.0 else 1)' "$early" ||
  fail "left DNS only $early s after the last heartbeat: before its TTL"
expect_http 200 GET /v1/services/api
assert_eq "expired instance" '["critical", "TTL expired"]' \
  "$(json '[d["instances"][0]["status"], d["instances"][0]["check_output"]]')"

# --- a heartbeat brings it back, and DNS serves it when the response arrives.
expect_http 200 PUT /v1/services/api/instances/a1/heartbeat
assert_eq "revived by a heartbeat" healthy "$(json 'd["instance"]["status"]')"
assert_eq "back in DNS" 127.0.0.20 "$(answers a1.api.svc.internal A)"

# --- re-registering also renews it.
wait_for_a a1.api.svc.internal "" 5
register api a1 '{"address":"127.0.0.20","port":8080,"ttl":"2s"}'
assert_eq "revived by re-registering" healthy "$(json 'd["instance"]["status"]')"
assert_eq "back in DNS after re-registering" 127.0.0.20 "$(answers a1.api.svc.internal A)"

# --- heartbeat errors: unknown instance 404 (register again); no ttl 400.
expect_http 404 PUT /v1/services/api/instances/nope/heartbeat
json 'd["error"]' | grep -q "register it again" || fail "404 should say to register again: $HTTP_BODY"
register api plain '{"address":"127.0.0.21","port":8080}'
expect_http 400 PUT /v1/services/api/instances/plain/heartbeat
expect_http 400 PUT /v1/services/api/instances/bad '{"address":"127.0.0.22","port":8080,"ttl":"soon"}'

# --- deregister_after: critical for that long, then gone from the registry.
register api d1 '{"address":"127.0.0.23","port":8080,"ttl":"1s","deregister_after":"2s"}'
assert_eq "deregister_after echoed" 2s "$(json 'd["instance"]["deregister_after"]')"
wait_for_a d1.api.svc.internal "" 3
expect_http 200 GET /v1/services/api
assert_eq "still registered while critical" '["a1", "d1", "plain"]' "$(json 'sorted(i["id"] for i in d["instances"])')"
for ((i = 0; i < 60; i++)); do
  expect_http 200 GET /v1/services/api
  [[ $(json 'sorted(i["id"] for i in d["instances"])') == '["a1", "plain"]' ]] && break
  sleep 0.1
done
assert_eq "removed after deregister_after" '["a1", "plain"]' "$(json 'sorted(i["id"] for i in d["instances"])')"
expect_http 404 PUT /v1/services/api/instances/d1/heartbeat

assert_alive "after the TTL scenarios"
stop_srvd
