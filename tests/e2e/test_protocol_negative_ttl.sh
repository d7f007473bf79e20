# Negative caching (RFC 2308): NXDOMAIN and NODATA carry the apex SOA in the authority
# section; its MINIMUM field and its own TTL are the negative TTL, --negative-ttl (default:
# --ttl), while positive answers keep --ttl.
source "$(dirname "$0")/lib.sh"

# soa_fields NAME TYPE: "owner ttl minimum" of the SOA in the authority section.
soa_fields() { q +noall +authority "$1" "$2" | awk '$4 == "SOA" { print $1, $2, $NF }'; }

start_srvd
register web a1 '{"address":"127.0.0.10","port":8080}'
assert_eq "NXDOMAIN SOA with defaults (owner ttl minimum)" "svc.internal. 5 5" "$(soa_fields nosuch.svc.internal A)"
stop_srvd

start_srvd --ttl 30 --negative-ttl 120
register web a1 '{"address":"127.0.0.10","port":8080}'
assert_eq "positive TTL stays --ttl" "30" "$(q +noall +answer web.svc.internal A | awk '{ print $2 }')"
assert_eq "NXDOMAIN: SOA TTL and minimum = --negative-ttl" "svc.internal. 120 120" "$(soa_fields nosuch.svc.internal A)"
assert_eq "NODATA: SOA TTL and minimum = --negative-ttl" "svc.internal. 120 120" "$(soa_fields web.svc.internal AAAA)"
assert_eq "NODATA at an empty non-terminal" "svc.internal. 120 120" "$(soa_fields _tcp.svc.internal SRV)"
assert_eq "NXDOMAIN under DNS-SD names" "svc.internal. 120 120" "$(soa_fields zz._web._tcp.svc.internal SRV)"
# The SOA asked for directly keeps the positive TTL; its MINIMUM is still the negative TTL.
assert_eq "apex SOA answer: TTL --ttl, minimum --negative-ttl" "svc.internal. 30 120" \
  "$(q +noall +answer svc.internal SOA | awk '{ print $1, $2, $NF }')"
stop_srvd

# Without --negative-ttl, --ttl is both.
start_srvd --ttl 42
assert_eq "negative TTL defaults to --ttl" "svc.internal. 42 42" "$(soa_fields nosuch.svc.internal A)"
stop_srvd
