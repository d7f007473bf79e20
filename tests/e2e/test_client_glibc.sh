# glibc's stub resolver, through resolv.conf and nsswitch, finds registered instances: inside a
# network namespace the test creates, srvd listens on 127.0.0.1:53 and the namespace's
# resolv.conf points there; `getent hosts` (gethostbyname2) and `getent ahosts` (getaddrinfo)
# return the registered addresses, over UDP and with `options use-vc` over TCP, by full name
# and through the `search` list. Needs root (network namespaces); skipped (77) otherwise.
# shellcheck disable=SC2034 # read by netns.sh
NETNS_RESOLV_CONF='nameserver 127.0.0.1
search svc.internal
options edns0 timeout:2 attempts:2'
source "$(dirname "$0")/netns.sh"

# Inside the namespace: an ordinary end-to-end test, with srvd on port 53.
source "$(dirname "$0")/lib.sh"
grep -q '^nameserver 127\.0\.0\.1$' /etc/resolv.conf ||
  fail "expected the namespace's resolv.conf in place, /etc/resolv.conf is: $(cat /etc/resolv.conf)"
start_srvd --dns 127.0.0.1:53
assert_eq "srvd's DNS port" 53 "$DNS_PORT"

register payment p1 '{"address":"127.0.0.11","port":8080}'
register payment p2 '{"address":"127.0.0.12","port":8081}'
register ledger l1 '{"address":"fd00::21","port":9000}'
register ledger l2 '{"address":"127.0.0.22","port":9000}'

hosts() { # NAME: the addresses `getent hosts NAME` prints, sorted ("" when not found)
  local out rc=0
  out=$(getent hosts "$1") || rc=$?
  ((rc == 0 || rc == 2)) || fail "getent hosts $1 exited $rc: $out"
  awk '{ print $1 }' <<<"$out" | sort -u
}
ahosts() { # NAME: the distinct addresses `getent ahosts NAME` prints, sorted
  local out rc=0
  out=$(getent ahosts "$1") || rc=$?
  ((rc == 0 || rc == 2)) || fail "getent ahosts $1 exited $rc: $out"
  awk '{ print $1 }' <<<"$out" | sort -u
}

for transport in udp tcp; do
  if [[ $transport == tcp ]]; then
    # Rewritten in place (it is a bind mount of /etc/netns/<ns>/resolv.conf, which cannot be
    # renamed over); glibc rereads it when it changes.
    sed 's/^options /options use-vc /' /etc/resolv.conf >"$WORK/resolv.conf"
    cat "$WORK/resolv.conf" >/etc/resolv.conf
  fi
  assert_eq "$transport: getent hosts payment.svc.internal" "127.0.0.11
127.0.0.12" "$(hosts payment.svc.internal)"
  assert_eq "$transport: getent ahosts payment.svc.internal" "127.0.0.11
127.0.0.12" "$(ahosts payment.svc.internal)"
  assert_eq "$transport: getent hosts p2.payment.svc.internal" "127.0.0.12" "$(hosts p2.payment.svc.internal)"
  # gethostbyname2 asks for AAAA first and stops there; getaddrinfo asks for both.
  assert_eq "$transport: getent hosts ledger.svc.internal (AAAA)" "fd00::21" "$(hosts ledger.svc.internal)"
  assert_eq "$transport: getent ahosts ledger.svc.internal (A and AAAA)" "127.0.0.22
fd00::21" "$(ahosts ledger.svc.internal)"
  assert_eq "$transport: getent ahosts payment (search svc.internal)" "127.0.0.11
127.0.0.12" "$(ahosts payment)"
  assert_eq "$transport: getent hosts nosuch.svc.internal" "" "$(hosts nosuch.svc.internal)"
done
# The namespace is the test's own: any TCP connection to port 53 in it was glibc's.
tcp_conns=$(ss -Htan '( dport = :53 )' | wc -l)
((tcp_conns > 0)) || fail "expected glibc to have used TCP with 'options use-vc', ss shows no connection to port 53"

# Maintenance takes p1 out of what applications see through glibc.
expect_http 200 PUT /v1/services/payment/instances/p1/status '{"status":"maintenance"}'
assert_eq "getent ahosts payment with p1 in maintenance" "127.0.0.12" "$(ahosts payment.svc.internal)"

stop_srvd
