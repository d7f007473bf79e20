# DNS-SD (RFC 6763) over unicast DNS, as a DNS-SD client walks it with dig: enumerate the
# service types (§9), browse a type's instances (§4) with their SRV, TXT and addresses in the
# additional section (§12), then resolve one instance name to its SRV and TXT (§6).
source "$(dirname "$0")/lib.sh"
start_srvd

register web a1 '{"address":"127.0.0.10","port":8080,"priority":1,"weight":10,"meta":{"path":"/v1","team":"core"}}'
register web b2 '{"address":"2001:db8::2","port":8081,"priority":2,"weight":20}'
register dnsd u1 '{"address":"127.0.0.20","port":5353,"protocol":"udp"}'
register idle i1 '{"address":"127.0.0.30","port":80}'
expect_http 200 PUT /v1/services/idle/instances/i1/status '{"status":"maintenance"}'

# --- enumeration: one PTR per service type that has a served instance (idle has none).
assert_eq "service types at _services._dns-sd._udp" \
  "_dnsd._udp.svc.internal.
_web._tcp.svc.internal." "$(answers _services._dns-sd._udp.svc.internal PTR)"
assert_eq "flags of the enumeration answer" "qr aa" "$(flags _services._dns-sd._udp.svc.internal PTR)"

# --- browsing: PTR to <id>._web._tcp.<domain> per served instance.
assert_eq "instances of _web._tcp" \
  "a1._web._tcp.svc.internal.
b2._web._tcp.svc.internal." "$(answers _web._tcp.svc.internal PTR)"
assert_eq "instances of _dnsd._udp" "u1._dnsd._udp.svc.internal." "$(answers _dnsd._udp.svc.internal PTR)"
# The additional section saves the client its next queries (RFC 6763 §12.1).
full _web._tcp.svc.internal PTR | check_golden dnssd_browse_web

# --- an instance name holds SRV (same data as under _web._tcp) and TXT (the meta).
assert_eq "SRV at the instance name" "1 10 8080 a1.web.svc.internal." "$(answers a1._web._tcp.svc.internal SRV)"
assert_eq "TXT at the instance name" '"path=/v1" "team=core"' "$(answers a1._web._tcp.svc.internal TXT)"
assert_eq "TXT of an instance without meta" '""' "$(answers b2._web._tcp.svc.internal TXT)"
assert_eq "the target's address comes along with the SRV" "b2.web.svc.internal. 5 IN AAAA 2001:db8::2" \
  "$(q +noall +additional b2._web._tcp.svc.internal SRV | awk '{ print $1, $2, $3, $4, $5 }')"
# What a DNS-SD client does next with the SRV target: its address.
assert_eq "address of the SRV target" "127.0.0.10" "$(answers a1.web.svc.internal A)"

# --- negative answers: NODATA for the empty non-terminal and for other types, NXDOMAIN for
# instances that are not served or do not exist, and under the wrong protocol.
expect_status() { # NAME TYPE STATUS
  assert_eq "$1 $2: status" "$3" "$(rcode "$1" "$2")"
  assert_eq "$1 $2: answers" "" "$(answers "$1" "$2")"
  q +noall +authority "$1" "$2" | grep -q 'IN[[:space:]]*SOA' || fail "$1 $2: expected the SOA in the authority section"
}
expect_status _dns-sd._udp.svc.internal PTR NOERROR
expect_status _services._dns-sd._udp.svc.internal A NOERROR
expect_status a1._web._tcp.svc.internal A NOERROR
expect_status _idle._tcp.svc.internal PTR NOERROR
expect_status i1._idle._tcp.svc.internal SRV NXDOMAIN
expect_status zz._web._tcp.svc.internal SRV NXDOMAIN
expect_status a1._web._udp.svc.internal SRV NXDOMAIN
expect_status _nosuch._tcp.svc.internal PTR NXDOMAIN

# --- the same over TCP, and changes show at once: maintenance takes an instance out of the
# browse answer, the last instance of a type takes the type out of the enumeration.
assert_eq "browse over TCP" "$(answers _web._tcp.svc.internal PTR)" "$(answers _web._tcp.svc.internal PTR +tcp)"
expect_http 200 PUT /v1/services/web/instances/b2/status '{"status":"maintenance"}'
assert_eq "instances of _web._tcp after b2 went to maintenance" "a1._web._tcp.svc.internal." "$(answers _web._tcp.svc.internal PTR)"
expect_status b2._web._tcp.svc.internal SRV NXDOMAIN
expect_http 200 DELETE /v1/services/dnsd/instances/u1
assert_eq "service types after dnsd's last instance left" "_web._tcp.svc.internal." "$(answers _services._dns-sd._udp.svc.internal PTR)"

stop_srvd
