# Operator override and drain (issue 4 §3): maintenance takes an instance out whatever its
# health says, and "healthy" hands the decision back to its TTL; responses that take an
# instance out say how long resolvers may still hold it (the --ttl it was served with).
source "$(dirname "$0")/lib.sh"
start_srvd --ttl 7

wait_for_a() { # NAME EXPECTED SECONDS
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    [[ $(answers "$1" A) == "$2" ]] && return 0
    sleep 0.1
  done
  fail "$1 A: expected '$2' within $3 s, got '$(answers "$1" A)'"
}
drain() { json '[d["drain_seconds"], d["drain_until"] is not None]'; }

register web t1 '{"address":"127.0.0.30","port":8080,"ttl":"2s"}'
assert_eq "t1 served" 127.0.0.30 "$(answers t1.web.svc.internal A)"

# --- maintenance wins over heartbeats, and says how long to drain: one --ttl.
expect_http 200 PUT /v1/services/web/instances/t1/status '{"status":"maintenance","reason":"deploy"}'
assert_eq "drain of a served instance" '[7, true]' "$(drain)"
until_s=$(json 'd["drain_until"]')
$PY - "$until_s" <<'PY' || fail "drain_until $until_s is not about 7 s from now"
import sys, datetime
t = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
d = (t - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
sys.exit(0 if 5.5 <= d <= 7.5 else 1)
PY
assert_eq "out of DNS in maintenance" "" "$(answers t1.web.svc.internal A)"
expect_http 200 PUT /v1/services/web/instances/t1/heartbeat
assert_eq "a heartbeat does not end maintenance" maintenance "$(json 'd["instance"]["status"]')"
assert_eq "still out after a heartbeat" "" "$(answers t1.web.svc.internal A)"
register web t1 '{"address":"127.0.0.30","port":8080,"ttl":"2s"}'
assert_eq "re-registering does not end maintenance" maintenance "$(json 'd["instance"]["status"]')"

# --- a TTL instance cannot be set critical/warning by hand: its TTL decides.
expect_http 400 PUT /v1/services/web/instances/t1/status '{"status":"critical"}'

# --- while in maintenance the TTL runs out; "healthy" hands back to the TTL: critical.
sleep 3
expect_http 200 GET /v1/services/web
assert_eq "maintenance shown, TTL output kept" '["maintenance", "TTL expired"]' \
  "$(json '[d["instances"][0]["status"], d["instances"][0]["check_output"]]')"
expect_http 200 PUT /v1/services/web/instances/t1/status '{"status":"healthy"}'
assert_eq "cleared maintenance hands back to the expired TTL" critical "$(json 'd["instance"]["status"]')"
assert_eq "still out of DNS" "" "$(answers t1.web.svc.internal A)"
expect_http 200 PUT /v1/services/web/instances/t1/heartbeat
assert_eq "heartbeat after clearing" healthy "$(json 'd["instance"]["status"]')"
assert_eq "back in DNS" 127.0.0.30 "$(answers t1.web.svc.internal A)"

# --- without TTL or check, maintenance then healthy works as before (issue 2).
register web p1 '{"address":"127.0.0.31","port":8080}'
expect_http 200 PUT /v1/services/web/instances/p1/status '{"status":"maintenance"}'
assert_eq "drain of a plain served instance" '[7, true]' "$(drain)"
expect_http 200 PUT /v1/services/web/instances/p1/status '{"status":"healthy"}'
assert_eq "plain instance back" 127.0.0.31 "$(answers p1.web.svc.internal A)"

# --- DELETE: a served instance drains one TTL; one out for a moment drains what is left;
# one never served drains nothing.
expect_http 200 DELETE /v1/services/web/instances/p1
assert_eq "drain on DELETE of a served instance" '[7, true]' "$(drain)"
expect_http 200 PUT /v1/services/web/instances/t1/status '{"status":"maintenance"}'
sleep 2
expect_http 200 DELETE /v1/services/web/instances/t1
left=$(json 'd["drain_seconds"]')
((left >= 1 && left <= 6)) || fail "DELETE 2 s after maintenance: expected ~5 s of drain left, got $left"
register web c1 '{"address":"127.0.0.32","port":8080,"check":{"tcp":"127.0.0.1:9","interval":"10s"}}'
assert_eq "a checked instance starts critical" '["critical", "pending first check"]' \
  "$(json '[d["instance"]["status"], d["instance"]["check_output"]]')"
expect_http 200 DELETE /v1/services/web/instances/c1
assert_eq "drain of a never-served instance" '[0, true]' "$(drain)"

assert_alive "after the override scenarios"
stop_srvd
