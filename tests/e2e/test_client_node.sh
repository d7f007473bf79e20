# Node's dns.Resolver (c-ares; clients/resolve.js) with setServers(['127.0.0.1:PORT']) resolves
# registered instances: resolveSrv, resolve4, resolve6, resolveTxt, NXDOMAIN and NODATA; a
# service too big for one UDP answer comes whole (c-ares retries over TCP on TC).
source "$(dirname "$0")/lib.sh"
NODE=$(command -v node) || fail "node not found (Debian package nodejs; run scripts/setup.sh)"
start_srvd

register payment p1 '{"address":"127.0.0.11","port":8080,"meta":{"version":"1.2","zone":"eu-1"}}'
register payment p2 '{"address":"127.0.0.12","port":8081,"priority":2,"weight":30}'
register payment p3 '{"address":"fd00::13","port":8082}'
register solo s1 '{"address":"127.0.0.20","port":9000}'

resolve() { # METHOD NAME...: resolve.js's lines, sorted
  "$NODE" "$E2E_DIR/clients/resolve.js" "$DNS_PORT" "$@" | sort || fail "resolve.js $* failed"
}

assert_eq "resolveSrv" "resolveSrv _payment._tcp.svc.internal: 1 1 8080 p1.payment.svc.internal
resolveSrv _payment._tcp.svc.internal: 1 1 8082 p3.payment.svc.internal
resolveSrv _payment._tcp.svc.internal: 2 30 8081 p2.payment.svc.internal" \
  "$(resolve resolveSrv _payment._tcp.svc.internal)"

assert_eq "resolve4, resolve6" "resolve4 p2.payment.svc.internal: 127.0.0.12
resolve4 payment.svc.internal: 127.0.0.11
resolve4 payment.svc.internal: 127.0.0.12
resolve6 payment.svc.internal: fd00::13" \
  "$(resolve resolve4 payment.svc.internal resolve6 payment.svc.internal resolve4 p2.payment.svc.internal)"

# One TXT record whose strings are the instance's meta, one key=value each.
assert_eq "resolveTxt" "resolveTxt p1.payment.svc.internal: version=1.2|zone=eu-1" \
  "$(resolve resolveTxt p1.payment.svc.internal)"

assert_eq "negative answers" "resolve4 nosuch.svc.internal: ENOTFOUND
resolve6 solo.svc.internal: ENODATA
resolveSrv _nosuch._tcp.svc.internal: ENOTFOUND" \
  "$(resolve resolve4 nosuch.svc.internal resolve6 solo.svc.internal resolveSrv _nosuch._tcp.svc.internal)"

# Maintenance takes p1 out of what Node sees.
expect_http 200 PUT /v1/services/payment/instances/p1/status '{"status":"maintenance"}'
assert_eq "resolveSrv with p1 in maintenance" "resolveSrv _payment._tcp.svc.internal: 1 1 8082 p3.payment.svc.internal
resolveSrv _payment._tcp.svc.internal: 2 30 8081 p2.payment.svc.internal" \
  "$(resolve resolveSrv _payment._tcp.svc.internal)"

# 60 SRV records do not fit in one UDP answer: srvd sets TC and c-ares asks again over TCP.
want_big=
for i in $(seq 10 69); do
  register big "b$i" "{\"address\":\"127.0.1.$i\",\"port\":70$i}"
  want_big+="resolveSrv _big._tcp.svc.internal: 1 1 70$i b$i.big.svc.internal"$'\n'
done
tc=$(flags +ignore +noedns _big._tcp.svc.internal SRV)
[[ $tc == *tc* ]] || fail "precondition: expected TC on the 60-instance SRV answer over UDP, flags were '$tc'"
assert_eq "resolveSrv of 60 instances after TC" "${want_big%$'\n'}" "$(resolve resolveSrv _big._tcp.svc.internal)"

stop_srvd
