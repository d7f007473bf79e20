# The zone's shape as a resolver sees it: apex SOA (serial = change index) and NS; NXDOMAIN
# for names that do not exist and NODATA for names without the asked type, both with the SOA
# in the authority section (RFC 2308); NODATA for empty non-terminals (RFC 8020); REFUSED
# outside the domain. AA is set and RA is not.
source "$(dirname "$0")/lib.sh"
start_srvd

register web a1 '{"address":"127.0.0.10","port":8080}'
index=$HTTP_INDEX

# --- apex
assert_eq "apex NS" "ns.svc.internal." "$(answers svc.internal NS)"
soa=$(answers svc.internal SOA)
assert_eq "apex SOA MNAME" "ns.svc.internal." "$(awk '{ print $1 }' <<<"$soa")"
assert_eq "apex SOA serial (= X-Srvd-Index)" "$index" "$(awk '{ print $3 }' <<<"$soa")"
assert_eq "flags of the apex SOA answer" "qr aa" "$(flags svc.internal SOA)"
register web b2 '{"address":"127.0.0.11","port":8081}'
assert_eq "apex SOA serial after one more change" "$HTTP_INDEX" "$(answers svc.internal SOA | awk '{ print $3 }')"
((HTTP_INDEX > index)) || fail "expected the index to grow after a change: $index then $HTTP_INDEX"
index=$HTTP_INDEX

# expect_negative WHAT NAME TYPE RCODE: no answer, the SOA of the apex in the authority
# section with the current serial, AA set, RA not set.
expect_negative() {
  local what=$1 name=$2 type=$3 want=$4 out
  out=$(q +noall +comments +answer +authority "$name" "$type")
  assert_eq "$what ($name $type): status" "$want" "$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$out")"
  assert_eq "$what ($name $type): flags" "qr aa" "$(sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' <<<"$out")"
  assert_eq "$what ($name $type): answer count" "0" "$(sed -n 's/.*ANSWER: \([0-9]*\),.*/\1/p' <<<"$out")"
  assert_eq "$what ($name $type): authority section (owner class type mname serial)" \
    "svc.internal. IN SOA ns.svc.internal. $index" \
    "$(grep -v '^;' <<<"$out" | awk 'NF { print $1, $3, $4, $5, $7 }')"
}
expect_negative "unknown service" nosuch.svc.internal A NXDOMAIN
expect_negative "unknown SRV name" _nosuch._tcp.svc.internal SRV NXDOMAIN
expect_negative "unknown instance" zz.web.svc.internal A NXDOMAIN
expect_negative "below an instance" x.a1.web.svc.internal A NXDOMAIN
expect_negative "service without IPv6" web.svc.internal AAAA NOERROR
expect_negative "service asked for MX" web.svc.internal MX NOERROR
expect_negative "instance asked for SRV" a1.web.svc.internal SRV NOERROR
expect_negative "SRV name asked for A" _web._tcp.svc.internal A NOERROR
expect_negative "empty non-terminal _tcp" _tcp.svc.internal SRV NOERROR
expect_negative "empty non-terminal _tcp, type A" _tcp.svc.internal A NOERROR
expect_negative "apex asked for A" svc.internal A NOERROR
expect_negative "instance asked for an unknown type (RFC 8906)" a1.web.svc.internal TYPE65280 NOERROR
expect_negative "unknown name asked for an unknown type" nosuch.svc.internal TYPE65280 NXDOMAIN
# ANY gets at least one RRset of the name (RFC 8482), never an error.
[[ -n $(answers a1.web.svc.internal ANY) ]] || fail "a1.web ANY: expected at least one record, got $(rcode a1.web.svc.internal ANY) with none"
# (RNAME and the SOA timers are srvd's choice; the fields above are the contract.)
full nosuch.svc.internal A | sed -E 's/(SOA[[:space:]]+ns\.svc\.internal\.) .*/\1 .../' | check_golden nxdomain

# Names are matched case-insensitively.
assert_eq "SRV asked in upper case" "1 1 8080 a1.web.svc.internal.
1 1 8081 b2.web.svc.internal." "$(answers _WEB._TCP.Svc.Internal SRV | tr A-Z a-z)"
assert_eq "A asked in mixed case" "127.0.0.10" "$(answers A1.Web.SVC.internal A)"

# --- outside the domain: REFUSED, no answer, RA not set.
for name in example.com internal svc.internal.example.com; do
  out=$(q +noall +comments "$name" A)
  assert_eq "$name A: status" REFUSED "$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$out")"
  flg=$(sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' <<<"$out")
  [[ " $flg " == *" qr "* && " $flg " != *" ra "* ]] || fail "$name A: expected flags with qr and without ra, got '$flg'"
  assert_eq "$name A: answer count" 0 "$(sed -n 's/.*ANSWER: \([0-9]*\),.*/\1/p' <<<"$out")"
done

# A query that asks for recursion still gets an authoritative answer and no RA.
assert_eq "flags when RD is asked" "qr aa rd" \
  "$(dig +rec +time=2 +tries=1 @127.0.0.1 -p "$DNS_PORT" +noall +comments web.svc.internal A | sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p')"

stop_srvd
