# Registers two instances over HTTP and finds them over DNS (SRV, A, AAAA, TXT) with dig and
# with drill (ldns), checking every field a user sees: flags, TTL, SRV data, glue.
source "$(dirname "$0")/lib.sh"
start_srvd

# --- HTTP: a new instance is 201 with every field of the instance echoed back.
http PUT /v1/services/web/instances/a1 \
  '{"address":"127.0.0.10","port":8080,"priority":1,"weight":10,"tags":["blue","v1"],"meta":{"version":"1.2","zone":"eu"}}'
assert_eq "status of a first PUT" 201 "$HTTP_STATUS"
index_a1=$(json 'd["index"]')
assert_eq "X-Srvd-Index after the PUT" "$index_a1" "$HTTP_INDEX"
assert_eq "instance fields" \
  '["web", "a1", "127.0.0.10", 8080, "tcp", 1, 10, ["blue", "v1"], {"version": "1.2", "zone": "eu"}, "healthy", ""]' \
  "$(json '[d["instance"][k] for k in ("service","id","address","port","protocol","priority","weight","tags","meta","status","status_reason")]')"
assert_eq "create_index and modify_index of a new instance" "[$index_a1, $index_a1]" \
  "$(json '[d["instance"]["create_index"], d["instance"]["modify_index"]]')"
assert_eq "registered_at and updated_at: equal RFC 3339 UTC times within a minute of now" true "$(json '
(lambda t: isinstance(t, str) and t == d["instance"]["updated_at"] and abs(
    __import__("datetime").datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
    - __import__("time").time()) < 60)(d["instance"]["registered_at"])')"
http PUT /v1/services/web/instances/b2 '{"address":"2001:db8::2","port":8081,"priority":2,"weight":20}'
assert_eq "status of a first PUT" 201 "$HTTP_STATUS"
index_b2=$(json 'd["index"]')
((index_b2 > index_a1)) || fail "expected the change index to grow: $index_a1 then $index_b2"
assert_eq "defaults (protocol, tags, meta, status)" '["tcp", [], {}, "healthy"]' \
  "$(json '[d["instance"][k] for k in ("protocol","tags","meta","status")]')"

# Registering again with the same body is an update: 200, creation data kept.
http PUT /v1/services/web/instances/b2 '{"address":"2001:db8::2","port":8081,"priority":2,"weight":20}'
assert_eq "status of a repeated PUT" 200 "$HTTP_STATUS"
assert_eq "create_index after an update" "$index_b2" "$(json 'd["instance"]["create_index"]')"

expect_http 200 GET /v1/services/web
assert_eq "GET /v1/services/web" '["web", ["a1", "b2"]]' "$(json '[d["name"], sorted(i["id"] for i in d["instances"])]')"
expect_http 200 GET /v1/services
assert_eq "GET /v1/services" '[["web", ["a1", "b2"]]]' \
  "$(json '[[s["name"], sorted(i["id"] for i in s["instances"])] for s in d["services"]]')"
expect_http 200 GET /healthz

# --- DNS with dig: whole responses against goldens (header flags qr aa, no tc/ra/rd).
full _web._tcp.svc.internal SRV | check_golden srv_web_tcp
full web.svc.internal A | check_golden a_web
full web.svc.internal AAAA | check_golden aaaa_web
full a1.web.svc.internal A | check_golden a_instance
full b2.web.svc.internal AAAA | check_golden aaaa_instance
full a1.web.svc.internal TXT | check_golden txt_instance

# The same facts spelled out, so a failure says which one broke.
assert_eq "flags of an SRV answer" "qr aa" "$(flags _web._tcp.svc.internal SRV)"
assert_eq "SRV answer (priority weight port target)" \
  "1 10 8080 a1.web.svc.internal.
2 20 8081 b2.web.svc.internal." "$(answers _web._tcp.svc.internal SRV)"
assert_eq "SRV glue (additional section)" \
  "a1.web.svc.internal. 5 IN A 127.0.0.10
b2.web.svc.internal. 5 IN AAAA 2001:db8::2" \
  "$(q +noall +additional _web._tcp.svc.internal SRV | grep -v OPT | awk '{ print $1, $2, $3, $4, $5 }' | sort)"
assert_eq "TTL of every answer record (default --ttl 5)" "5" \
  "$(q +noall +answer _web._tcp.svc.internal SRV | awk '{ print $2 }' | sort -u)"
assert_eq "TXT of a1 (its meta as key=value)" '"version=1.2" "zone=eu"' "$(answers a1.web.svc.internal TXT)"
assert_eq "TXT of b2 (no meta)" '""' "$(answers b2.web.svc.internal TXT)"
assert_eq "A of an IPv6-only instance" "" "$(answers b2.web.svc.internal A)"

# --- DNS with drill (ldns as an independent client).
drill -o rd -p "$DNS_PORT" @127.0.0.1 _web._tcp.svc.internal SRV | check_golden drill_srv_web_tcp
drill -o rd -p "$DNS_PORT" @127.0.0.1 web.svc.internal A | check_golden drill_a_web

stop_srvd
