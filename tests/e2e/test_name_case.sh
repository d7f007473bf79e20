# Service names and instance ids are DNS labels compared case-insensitively: stored
# lowercase, one instance whatever the case used, and found in DNS in any case.
source "$(dirname "$0")/lib.sh"
start_srvd

http PUT /v1/services/WeB/instances/A1 '{"address":"127.0.0.10","port":8080}'
assert_eq "status of a first PUT in mixed case" 201 "$HTTP_STATUS"
assert_eq "stored names" '["web", "a1"]' "$(json '[d["instance"]["service"], d["instance"]["id"]]')"
http PUT /v1/services/web/instances/a1 '{"address":"127.0.0.10","port":8081}'
assert_eq "the same instance in lower case is an update" 200 "$HTTP_STATUS"
expect_http 200 GET /v1/services/WEB
assert_eq "GET in upper case" '["web", [["a1", 8081]]]' "$(json '[d["name"], [[i["id"], i["port"]] for i in d["instances"]]]')"
expect_http 200 GET /v1/services
assert_eq "one service, one instance" '[["web", ["a1"]]]' \
  "$(json '[[s["name"], [i["id"] for i in s["instances"]]] for s in d["services"]]')"

assert_eq "SRV, mixed-case query" "1 1 8081 a1.web.svc.internal." "$(answers _wEb._TcP.sVc.InTeRnAl SRV | tr A-Z a-z)"
# The question's case comes back as it was asked (resolvers compare it, RFC 1035 §7.3).
assert_eq "question section echoes the case" "_wEb._TcP.sVc.InTeRnAl." \
  "$(q +noall +question _wEb._TcP.sVc.InTeRnAl SRV | awk '{ sub(/^;/, ""); print $1 }')"

expect_http 200 DELETE /v1/services/WEB/instances/A1
expect_http 404 GET /v1/services/web
stop_srvd
