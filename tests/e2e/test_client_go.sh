# Go's own resolver (net.Resolver with PreferGo and a Dial to srvd; clients/lookup_srv.go,
# built offline with Debian's golang-go) finds registered instances: LookupSRV("payment",
# "tcp", "svc.internal") returns their targets and ports, LookupHost their addresses,
# LookupTXT the meta; a service too big for one UDP answer comes whole over TCP after TC.
source "$(dirname "$0")/lib.sh"
GO=$(command -v go) || fail "go not found (Debian package golang-go; run scripts/setup.sh)"

# Offline and self-contained: no module proxy, no toolchain download, caches in the work dir.
(cd "$WORK" && GOCACHE=$WORK/gocache GOPATH=$WORK/gopath GOPROXY=off GOTOOLCHAIN=local \
  GO111MODULE=on GOFLAGS='' "$GO" build -o "$WORK/lookup_srv" "$E2E_DIR/clients/lookup_srv.go") ||
  fail "building clients/lookup_srv.go with $("$GO" version)"

start_srvd
register payment p1 '{"address":"127.0.0.11","port":8080,"meta":{"version":"1.2"}}'
register payment p2 '{"address":"127.0.0.12","port":8081,"priority":2,"weight":30}'
register payment p3 '{"address":"fd00::13","port":8082}'

# Negative cases use rooted names ("svc.internal."): a relative name that is not found would
# also be tried with the host's resolv.conf search domains, which srvd refuses, and Go would
# then report that refusal instead of "not found".
lookup() { # SERVICE DOMAIN [HOST|txt:NAME...]: lookup_srv's lines, sorted
  local service=$1 domain=$2
  shift 2
  "$WORK/lookup_srv" "127.0.0.1:$DNS_PORT" "$service" tcp "$domain" "$@" | sort ||
    fail "lookup_srv $service $* failed"
}

assert_eq "LookupSRV, LookupHost, LookupTXT" "dialed udp
error host nosuch.svc.internal.: not found
host p3.payment.svc.internal fd00::13
host payment.svc.internal 127.0.0.11
host payment.svc.internal 127.0.0.12
host payment.svc.internal fd00::13
srv p1.payment.svc.internal. 8080 1 1
srv p2.payment.svc.internal. 8081 2 30
srv p3.payment.svc.internal. 8082 1 1
txt p1.payment.svc.internal version=1.2" \
  "$(lookup payment svc.internal payment.svc.internal p3.payment.svc.internal nosuch.svc.internal. txt:p1.payment.svc.internal)"

# Go orders SRV records by priority (RFC 2782): p2, at priority 2, always comes last.
order=$("$WORK/lookup_srv" "127.0.0.1:$DNS_PORT" payment tcp svc.internal | grep '^srv' | awk '{ print $2 }' | tail -n 1)
assert_eq "the last target LookupSRV returns" "p2.payment.svc.internal." "$order"

# Maintenance and deregistration take instances out of what Go sees; none left is not found.
expect_http 200 PUT /v1/services/payment/instances/p1/status '{"status":"maintenance"}'
expect_http 200 DELETE /v1/services/payment/instances/p3
assert_eq "LookupSRV after maintenance and DELETE" "dialed udp
srv p2.payment.svc.internal. 8081 2 30" "$(lookup payment svc.internal)"
expect_http 200 PUT /v1/services/payment/instances/p2/status '{"status":"maintenance"}'
assert_eq "LookupSRV with no instance served" "dialed udp
error srv payment tcp svc.internal.: not found" "$(lookup payment svc.internal.)"

# 60 SRV records do not fit in one UDP answer: srvd sets TC and Go asks again over TCP.
want_big=
for i in $(seq 10 69); do
  register big "b$i" "{\"address\":\"127.0.1.$i\",\"port\":70$i}"
  want_big+="srv b$i.big.svc.internal. 70$i 1 1"$'\n'
done
tc=$(flags +ignore +noedns _big._tcp.svc.internal SRV)
[[ $tc == *tc* ]] || fail "precondition: expected TC on the 60-instance SRV answer over UDP, flags were '$tc'"
assert_eq "LookupSRV of 60 instances after TC" "dialed tcp
dialed udp
${want_big%$'\n'}" "$(lookup big svc.internal)"

stop_srvd
