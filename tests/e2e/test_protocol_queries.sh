# Every query gets an answer (RFC 8906): any QTYPE at any name is NOERROR/NODATA, NXDOMAIN or
# data, never silence; ANY gets one RRset (RFC 8482); classes other than IN and zone
# transfers are REFUSED; the question comes back in the query's case (0x20); names at the
# RFC 1035 limits (63-byte labels, 255-byte names) are answered.
source "$(dirname "$0")/lib.sh"
start_srvd

register web a1 '{"address":"127.0.0.10","port":8080,"meta":{"k":"v"}}'
register web b2 '{"address":"2001:db8::2","port":8081}'

# status_of NAME TYPE [dig args...]: the status, or "TIMEOUT" when no answer came.
status_of() {
  local out
  out=$(q +noall +comments "$@") || true
  local s
  s=$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$out")
  echo "${s:-TIMEOUT}"
}

# --- every QTYPE, at every kind of name: NODATA (or data) where the name exists, NXDOMAIN
# where it does not; the SOA in authority for each negative answer.
names_existing="svc.internal ns.svc.internal web.svc.internal a1.web.svc.internal _tcp.svc.internal
_web._tcp.svc.internal _services._dns-sd._udp.svc.internal _dns-sd._udp.svc.internal a1._web._tcp.svc.internal"
types="MX CAA TYPE65534 NULL HINFO SSHFP TLSA HTTPS SVCB NAPTR DS DNSKEY RRSIG NSEC NSEC3 CNAME DNAME URI SPF LOC TYPE0 TYPE1000"
ntypes=$(wc -w <<<"$types")
for name in $names_existing; do
  # One dig run per name, one query per type (dig takes several on one command line).
  args=()
  for type in $types; do args+=("$name" "$type"); done
  out=$(q +noall +comments +authority "${args[@]}") || true
  assert_eq "$name, $ntypes types: NOERROR replies" "$ntypes" "$(grep -c 'status: NOERROR,' <<<"$out")"
  assert_eq "$name, $ntypes types: replies without answers" "$ntypes" "$(grep -c 'ANSWER: 0,' <<<"$out")"
  assert_eq "$name, $ntypes types: SOA in authority" "$ntypes" "$(grep -c 'IN[[:space:]]*SOA' <<<"$out")"
done
args=()
for type in $types A SRV PTR TXT; do args+=(nosuch.web.svc.internal "$type"); done
assert_eq "nosuch.web.svc.internal, $((ntypes + 4)) types: NXDOMAIN replies" "$((ntypes + 4))" \
  "$(q +noall +comments "${args[@]}" | grep -c 'status: NXDOMAIN,')"
# Over TCP as well.
assert_eq "TYPE65534 over TCP" NOERROR "$(status_of +tcp web.svc.internal TYPE65534)"

# --- ANY (RFC 8482): one RRset, never an error or the whole node.
any_types() { q +noall +answer "$1" ANY "${@:2}" | awk '{ print $4 }' | sort -u | tr '\n' ' '; }
assert_eq "ANY at the apex" "SOA " "$(any_types svc.internal)"
assert_eq "ANY at a service (A first)" "A " "$(any_types web.svc.internal)"
assert_eq "ANY at an instance" "A " "$(any_types a1.web.svc.internal)"
assert_eq "ANY at an SRV name" "SRV " "$(any_types _web._tcp.svc.internal)"
assert_eq "ANY at the DNS-SD enumeration name" "PTR " "$(any_types _services._dns-sd._udp.svc.internal)"
assert_eq "ANY at a DNS-SD instance name" "SRV " "$(any_types a1._web._tcp.svc.internal)"
assert_eq "ANY over TCP" "SRV " "$(any_types _web._tcp.svc.internal +tcp)"
assert_eq "ANY at a missing name" NXDOMAIN "$(status_of nosuch.svc.internal ANY)"

# --- classes and zone transfers: REFUSED, AA clear.
for class in CH HS ANY CLASS42; do
  out=$(q +noall +comments -c "$class" -t A web.svc.internal)
  assert_eq "class $class: status" REFUSED "$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$out")"
  [[ $out == *"flags: qr;"* ]] || fail "class $class: expected flags 'qr' (no aa), saw: $out"
done
assert_eq "version.bind CH TXT" REFUSED "$(status_of -c CH -t TXT version.bind)"
assert_eq "AXFR over TCP" REFUSED "$(status_of +tcp svc.internal AXFR)"

# --- 0x20: the question is echoed in the query's case, and answers match whatever the case.
out=$(q +noall +question +answer +authority wEb.SvC.iNtErNaL A)
[[ $out == *";wEb.SvC.iNtErNaL."* ]] || fail "question case not echoed: $out"
grep -q $'^wEb.SvC.iNtErNaL.[[:space:]].*A[[:space:]]127.0.0.10$' <<<"$out" || fail "answer owner not in the query's case: $out"
out=$(q +noall +question +authority NoSuch.SVC.Internal A)
[[ $out == *";NoSuch.SVC.Internal."* ]] || fail "NXDOMAIN: question case not echoed: $out"
grep -q '^SVC.Internal\.[[:space:]].*SOA' <<<"$out" || fail "NXDOMAIN: SOA owner should follow the query's case: $out"
# PTR targets are compressed against the question, so they carry its case too.
assert_eq "DNS-SD browse in mixed case" "a1._Web._TCP.svc.internal." \
  "$(q +noall +answer _Web._TCP.svc.internal PTR | awk '$5 ~ /^a1\./ { print $5 }')"

# --- names at the limits: 63-byte labels and 255-byte names (254 characters in text).
l63=$(printf 'x%.0s' {1..63})
long="$l63.$l63.$l63.$(printf 'y%.0s' {1..48}).svc.internal" # 64*3 + 49 + 4 + 9 + 1 = 255 bytes
((${#long} == 253)) || fail "test bug: the long name has ${#long} characters"
assert_eq "255-byte name under the domain" NXDOMAIN "$(status_of "$long" A)"
assert_eq "255-byte name over TCP" NXDOMAIN "$(status_of +tcp "$long" A)"
outside="$l63.$l63.$l63.$(printf 'z%.0s' {1..53}).example" # 64*3 + 54 + 8 + 1
assert_eq "255-byte name outside the domain" REFUSED "$(status_of "$outside" A)"
q +noall +question "$long" A | grep -qi "^;$long\." || fail "255-byte name not echoed"
register "$(printf 's%.0s' {1..62})" i1 '{"address":"127.0.0.11","port":80}'
assert_eq "SRV of a 62-character service name (63-byte _label)" "1 1 80 i1.$(printf 's%.0s' {1..62}).svc.internal." \
  "$(answers "_$(printf 's%.0s' {1..62})._tcp.svc.internal" SRV)"

assert_alive "after every query"
stop_srvd
