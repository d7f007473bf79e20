# Python's dnspython stub resolver (Debian python3-dnspython, clients/resolve.py) resolves
# registered instances: SRV with its glue, A, AAAA, TXT, NXDOMAIN and NODATA, over UDP and
# TCP; a service too big for one UDP answer comes whole (dnspython retries over TCP on TC).
source "$(dirname "$0")/lib.sh"
start_srvd

register payment p1 '{"address":"127.0.0.11","port":8080,"meta":{"version":"1.2"}}'
register payment p2 '{"address":"127.0.0.12","port":8081,"priority":2,"weight":30}'
register payment p3 '{"address":"fd00::13","port":8082}'
register solo s1 '{"address":"127.0.0.20","port":9000}'

resolve() { # TRANSPORT TYPE NAME...: resolve.py's lines, sorted
  $PY "$E2E_DIR/clients/resolve.py" "$DNS_PORT" "$@" | sort || fail "resolve.py $* failed"
}

for transport in udp tcp; do
  assert_eq "dnspython over $transport: SRV with glue" "SRV _payment._tcp.svc.internal: 1 1 8080 p1.payment.svc.internal.
SRV _payment._tcp.svc.internal: 1 1 8082 p3.payment.svc.internal.
SRV _payment._tcp.svc.internal: 2 30 8081 p2.payment.svc.internal.
glue p1.payment.svc.internal.: 127.0.0.11
glue p2.payment.svc.internal.: 127.0.0.12
glue p3.payment.svc.internal.: fd00::13" "$(resolve $transport SRV _payment._tcp.svc.internal)"

  assert_eq "dnspython over $transport: A, AAAA and TXT" "A p1.payment.svc.internal: 127.0.0.11
A payment.svc.internal: 127.0.0.11
A payment.svc.internal: 127.0.0.12
AAAA payment.svc.internal: fd00::13
TXT p1.payment.svc.internal: \"version=1.2\"" \
    "$(resolve $transport A payment.svc.internal AAAA payment.svc.internal A p1.payment.svc.internal \
      TXT p1.payment.svc.internal)"

  assert_eq "dnspython over $transport: negative answers" "A nosuch.svc.internal: NXDOMAIN
AAAA solo.svc.internal: NOANSWER" "$(resolve $transport A nosuch.svc.internal AAAA solo.svc.internal)"
done

# 60 SRV records with their glue do not fit in 1232 bytes: srvd sets TC, dnspython asks again
# over TCP on its own and gets every instance.
want_big=
for i in $(seq 10 69); do
  register big "b$i" "{\"address\":\"127.0.1.$i\",\"port\":70$i}"
  want_big+="SRV _big._tcp.svc.internal: 1 1 70$i b$i.big.svc.internal."$'\n'
done
tc=$(flags +ignore +bufsize=1232 _big._tcp.svc.internal SRV)
[[ $tc == *tc* ]] || fail "precondition: expected TC on the 60-instance SRV answer over UDP, flags were '$tc'"
assert_eq "dnspython over udp: 60 SRV records after TC" "${want_big%$'\n'}" \
  "$(resolve udp SRV _big._tcp.svc.internal | grep '^SRV')"

stop_srvd
