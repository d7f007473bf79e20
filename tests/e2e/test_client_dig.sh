# dig (BIND) and kdig (Knot) resolve registered instances over UDP and over TCP: SRV with
# priority, weight, port and target, A and AAAA of the service, NXDOMAIN for an unknown
# instance; each answer is authoritative and came over the transport asked for.
source "$(dirname "$0")/lib.sh"
start_srvd

register payment p1 '{"address":"127.0.0.11","port":8080}'
register payment p2 '{"address":"127.0.0.12","port":8081,"priority":2,"weight":30}'
register payment p3 '{"address":"fd00::13","port":8082}'

want_srv="_payment._tcp.svc.internal. 5 IN SRV 1 1 8080 p1.payment.svc.internal.
_payment._tcp.svc.internal. 5 IN SRV 1 1 8082 p3.payment.svc.internal.
_payment._tcp.svc.internal. 5 IN SRV 2 30 8081 p2.payment.svc.internal."
want_a="payment.svc.internal. 5 IN A 127.0.0.11
payment.svc.internal. 5 IN A 127.0.0.12"
want_aaaa="payment.svc.internal. 5 IN AAAA fd00::13"

# ask TOOL TRANSPORT NAME TYPE: the answer records, one per line with single spaces, sorted;
# sets STATUS and FLAGS from the header and fails unless the reply came over TRANSPORT.
ask() {
  local tool=$1 transport=$2 name=$3 type=$4 out
  if [[ $tool == dig ]]; then
    out=$(dig +norec +time=3 +tries=2 "+${transport/udp/notcp}" @127.0.0.1 -p "$DNS_PORT" \
      +noall +answer +comments +stats "$name" "$type") || fail "dig $transport $name $type failed"
    STATUS=$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$out")
    FLAGS=$(sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' <<<"$out")
    grep -q "^;; SERVER: 127\.0\.0\.1#$DNS_PORT(127\.0\.0\.1) (${transport^^})\$" <<<"$out" ||
      fail "dig $name $type: expected the reply over ${transport^^}, got:
$out"
  else
    out=$(kdig +norec +time=3 +retry=1 "+${transport/udp/notcp}" @127.0.0.1 -p "$DNS_PORT" \
      +noall +answer +header +stats "$name" "$type") || fail "kdig $transport $name $type failed"
    STATUS=$(sed -n 's/.*status: \([A-Z]*\);.*/\1/p' <<<"$out")
    FLAGS=$(sed -n 's/^;; Flags: \([a-z ]*\);.*/\1/p' <<<"$out")
    grep -q "^;; From 127\.0\.0\.1@$DNS_PORT(${transport^^})" <<<"$out" ||
      fail "kdig $name $type: expected the reply over ${transport^^}, got:
$out"
  fi
  ANSWER=$(grep -v '^;' <<<"$out" | grep -v '^$' | tr -s ' \t' ' ' | sort) || true
}

# check TOOL TRANSPORT NAME TYPE WANT-STATUS WANT-ANSWER
check() {
  local what="$1 over $2: $3 $4"
  ask "$1" "$2" "$3" "$4"
  assert_eq "$what: status" "$5" "$STATUS"
  assert_eq "$what: flags (qr aa set; no tc, ra, rd)" "qr aa" "$FLAGS"
  assert_eq "$what: answer" "$6" "$ANSWER"
}

for tool in dig kdig; do
  for transport in udp tcp; do
    check $tool $transport _payment._tcp.svc.internal SRV NOERROR "$want_srv"
    check $tool $transport payment.svc.internal A NOERROR "$want_a"
    check $tool $transport payment.svc.internal AAAA NOERROR "$want_aaaa"
    check $tool $transport p2.payment.svc.internal A NOERROR "p2.payment.svc.internal. 5 IN A 127.0.0.12"
    check $tool $transport p3.payment.svc.internal AAAA NOERROR "p3.payment.svc.internal. 5 IN AAAA fd00::13"
    check $tool $transport nosuch.payment.svc.internal A NXDOMAIN ""
  done
done

# A deregistered instance disappears for both tools and both transports.
expect_http 200 DELETE /v1/services/payment/instances/p3
for tool in dig kdig; do
  for transport in udp tcp; do
    check $tool $transport _payment._tcp.svc.internal SRV NOERROR "$(grep -v p3 <<<"$want_srv")"
    check $tool $transport payment.svc.internal AAAA NOERROR ""
  done
done

stop_srvd
