# netns.sh -- runs the test that sources it inside a network namespace of its own, for clients
# that only speak to port 53 (glibc through resolv.conf, zonemaster). Source it before lib.sh.
#
# Outside a namespace: creates srvd-test-<pid> with loopback up plus 127.0.0.53/32 and
# fd00::53/128 on it (glibc's AI_ADDRCONFIG asks for A only when an IPv4 address other than
# 127.0.0.1 exists, and for AAAA likewise beyond ::1), writes $NETNS_RESOLV_CONF (if set) to
# /etc/netns/<ns>/resolv.conf, which `ip netns exec` bind-mounts over /etc/resolv.conf, runs
# the test again inside with SRVD_NETNS=<ns>, then ends whatever still runs in the namespace,
# deletes it and its /etc/netns directory, and exits with the test's status. Exits 77 (CTest
# SKIP_RETURN_CODE) when not root or when the machine does not allow namespaces.
# Inside (SRVD_NETNS set): returns, and the test goes on as usual.
set -euo pipefail

if [[ -z ${SRVD_NETNS:-} ]]; then
  _netns_skip() {
    echo "SKIP [$(basename "$0" .sh)]: $*" >&2
    exit 77
  }
  [[ $(id -u) == 0 ]] || _netns_skip "needs root to create a network namespace (ip netns add)"
  command -v ip >/dev/null || _netns_skip "no ip command (Debian package iproute2; run scripts/setup.sh)"
  _netns=srvd-test-$$
  ip netns add "$_netns" 2>/dev/null ||
    _netns_skip "this machine does not allow network namespaces (ip netns add $_netns failed)"
  _netns_remove() {
    local pids i
    # What the test started in the namespace outlives its name: end it by process id first,
    # politely (the inner test's own clean-up stops srvd), then for sure.
    for i in TERM 1 2 3 4 5 6 7 8 9 10 KILL; do
      pids=$(ip netns pids "$_netns" 2>/dev/null || true)
      [[ -z $pids ]] && break
      # shellcheck disable=SC2086 # one id per word
      case $i in TERM | KILL) kill -$i $pids 2>/dev/null || true ;; *) sleep 0.2 ;; esac
    done
    ip netns del "$_netns" 2>/dev/null || true
    rm -rf "/etc/netns/$_netns"
    rmdir /etc/netns 2>/dev/null || true # only when no other namespace keeps files there
  }
  trap _netns_remove EXIT
  trap 'exit 143' TERM INT
  if [[ -n ${NETNS_RESOLV_CONF:-} ]]; then
    mkdir -p "/etc/netns/$_netns"
    printf '%s\n' "$NETNS_RESOLV_CONF" >"/etc/netns/$_netns/resolv.conf"
  fi
  ip -n "$_netns" link set lo up
  ip -n "$_netns" addr add 127.0.0.53/32 dev lo
  ip -n "$_netns" addr add fd00::53/128 dev lo nodad
  _netns_rc=0
  # In the background, so that a TERM (CTest's timeout) reaches the trap at once.
  SRVD_NETNS=$_netns ip netns exec "$_netns" bash "$0" "$@" &
  wait $! || _netns_rc=$?
  exit "$_netns_rc"
fi
