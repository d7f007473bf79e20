# An operator takes an instance out of DNS with status "maintenance" and puts it back with
# "healthy"; "warning" stays served, "critical" does not; deregistering removes it for good.
source "$(dirname "$0")/lib.sh"
start_srvd

register web a1 '{"address":"127.0.0.10","port":8080}'
register web b2 '{"address":"127.0.0.11","port":8081}'

expect_srv() { # WHAT EXPECTED-SRV-RDATA
  assert_eq "$1: SRV _web._tcp" "$2" "$(answers _web._tcp.svc.internal SRV)"
}
both="1 1 8080 a1.web.svc.internal.
1 1 8081 b2.web.svc.internal."
expect_srv "both healthy" "$both"
assert_eq "both healthy: A web" "127.0.0.10
127.0.0.11" "$(answers web.svc.internal A)"

# --- maintenance: out of SRV, A and its own name; still listed over HTTP.
expect_http 200 PUT /v1/services/web/instances/a1/status '{"status":"maintenance","reason":"deploy"}'
assert_eq "status response" '["maintenance", "deploy"]' "$(json '[d["instance"]["status"], d["instance"]["status_reason"]]')"
expect_srv "a1 in maintenance" "1 1 8081 b2.web.svc.internal."
assert_eq "a1 in maintenance: A web" "127.0.0.11" "$(answers web.svc.internal A)"
assert_eq "a1 in maintenance: A a1.web" "" "$(answers a1.web.svc.internal A)"
assert_eq "a1 in maintenance: status of a1.web" NXDOMAIN "$(rcode a1.web.svc.internal A)"
assert_eq "SRV glue with a1 in maintenance" "b2.web.svc.internal." \
  "$(q +noall +additional _web._tcp.svc.internal SRV | grep -v OPT | awk '{ print $1 }' | sort)"
expect_http 200 GET /v1/services/web
assert_eq "GET lists every instance" '[["a1", "maintenance", "deploy"], ["b2", "healthy", ""]]' \
  "$(json 'sorted([i["id"], i["status"], i["status_reason"]] for i in d["instances"])')"
expect_http 200 "GET" "/v1/services/web?healthy=true"
assert_eq "GET ?healthy=true" '["b2"]' "$(json 'sorted(i["id"] for i in d["instances"])')"

# --- every instance out: the service name still exists, so NODATA (not NXDOMAIN).
expect_http 200 PUT /v1/services/web/instances/b2/status '{"status":"maintenance"}'
assert_eq "all in maintenance: SRV" "" "$(answers _web._tcp.svc.internal SRV)"
assert_eq "all in maintenance: A web" "" "$(answers web.svc.internal A)"
assert_eq "all in maintenance: status of web A" NOERROR "$(rcode web.svc.internal A)"

# --- healthy puts them back; warning is still served; critical is not.
expect_http 200 PUT /v1/services/web/instances/a1/status '{"status":"healthy"}'
expect_http 200 PUT /v1/services/web/instances/b2/status '{"status":"warning","reason":"slow"}'
expect_srv "a1 healthy, b2 warning" "$both"
assert_eq "status_reason cleared by healthy" '""' \
  "$(http GET /v1/services/web && json 'json.dumps([i for i in d["instances"] if i["id"] == "a1"][0]["status_reason"])')"
expect_http 200 PUT /v1/services/web/instances/b2/status '{"status":"critical"}'
expect_srv "b2 critical" "1 1 8080 a1.web.svc.internal."
expect_http 200 PUT /v1/services/web/instances/b2/status '{"status":"healthy"}'
expect_srv "b2 healthy again" "$both"

# An update (re-registration) keeps the operator's status.
expect_http 200 PUT /v1/services/web/instances/a1/status '{"status":"maintenance"}'
http PUT /v1/services/web/instances/a1 '{"address":"127.0.0.10","port":9090}'
assert_eq "re-registering an instance in maintenance" "200 maintenance" "$HTTP_STATUS $(json 'd["instance"]["status"]')"
expect_srv "a1 re-registered while in maintenance" "1 1 8081 b2.web.svc.internal."
expect_http 200 PUT /v1/services/web/instances/a1/status '{"status":"healthy"}'
expect_srv "a1 back with its new port" "1 1 8081 b2.web.svc.internal.
1 1 9090 a1.web.svc.internal."

# --- deregister: gone from DNS and HTTP; a second DELETE is 404.
expect_http 200 DELETE /v1/services/web/instances/a1
assert_eq "DELETE response" '["web", "a1"]' "$(json '[d["deleted"]["service"], d["deleted"]["id"]]')"
expect_srv "a1 deregistered" "1 1 8081 b2.web.svc.internal."
assert_eq "a1 deregistered: status of a1.web" NXDOMAIN "$(rcode a1.web.svc.internal A)"
expect_http 404 DELETE /v1/services/web/instances/a1
expect_http 404 PUT /v1/services/web/instances/a1/status '{"status":"healthy"}'
expect_http 200 DELETE /v1/services/web/instances/b2
expect_http 404 GET /v1/services/web
assert_eq "last instance deregistered: status of web A" NXDOMAIN "$(rcode web.svc.internal A)"
assert_eq "last instance deregistered: status of _web._tcp SRV" NXDOMAIN "$(rcode _web._tcp.svc.internal SRV)"

stop_srvd
