# --ttl and --domain: unset, answers carry TTL 5 under svc.internal.; set, they carry the
# given TTL under the given domain, and svc.internal. becomes a name outside it (REFUSED).
source "$(dirname "$0")/lib.sh"

body='{"address":"127.0.0.10","port":8080}'

start_srvd
register web a1 "$body"
assert_eq "TTLs with --ttl unset (SRV, glue, A, TXT)" 5 \
  "$( (q +noall +answer +additional _web._tcp.svc.internal SRV; q +noall +answer web.svc.internal A; q +noall +answer a1.web.svc.internal TXT) | grep -v OPT | awk '{ print $2 }' | sort -u)"
assert_eq "status of svc.internal with --domain unset" NOERROR "$(rcode svc.internal SOA)"
stop_srvd

start_srvd --ttl 30 --domain Example.Test
register web a1 "$body"
full _web._tcp.example.test SRV | check_golden srv_ttl30_example_test
assert_eq "TTLs with --ttl 30 (SRV, glue, A, TXT)" 30 \
  "$( (q +noall +answer +additional _web._tcp.example.test SRV; q +noall +answer web.example.test A; q +noall +answer a1.web.example.test TXT) | grep -v OPT | awk '{ print $2 }' | sort -u)"
assert_eq "SOA MNAME under --domain" "ns.example.test." "$(answers example.test SOA | awk '{ print $1 }')"
assert_eq "NS under --domain" "ns.example.test." "$(answers example.test NS)"
assert_eq "status of the default domain when --domain is set" REFUSED "$(rcode _web._tcp.svc.internal SRV)"
assert_eq "status of an unknown name under --domain" NXDOMAIN "$(rcode nosuch.example.test A)"
stop_srvd

# Replicas: --ns-addresses publishes every replica's address for ns.<domain>, the NS the
# SOA and NS answers name (RFC 1034 §4.2.2: every name server of the zone listed).
start_srvd --ns-addresses 127.0.0.1,127.0.0.2,::1
assert_eq "A of ns.<domain> with --ns-addresses" "127.0.0.1 127.0.0.2" "$(answers ns.svc.internal A | sort | xargs)"
assert_eq "AAAA of ns.<domain> with --ns-addresses" "::1" "$(answers ns.svc.internal AAAA)"
stop_srvd
