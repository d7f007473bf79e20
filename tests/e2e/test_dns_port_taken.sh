# A second srvd on a DNS port that one already serves must not start: SO_REUSEPORT would
# otherwise let it join the first one's socket group silently, and the kernel would split
# the queries between two registries. srvd claims its port without SO_REUSEPORT first
# (dns/listen_socket.cpp), so it gets "Address already in use" and exits. With --dns port 0,
# as every test uses, the kernel's UDP autobind would even hand srvd a port another process's
# SO_REUSEPORT group holds (it skips only ports it could not share); the same claim keeps
# srvd off those. Runs in a network namespace of its own (netns.sh), where the second part
# narrows the ephemeral port range; needs root, skipped (77) otherwise.
source "$(dirname "$0")/netns.sh"
source "$(dirname "$0")/lib.sh"
start_srvd
register web a1 '{"address":"127.0.0.10","port":8080}'

mkdir -p "$WORK/second"
"$SRVD" serve --dns "127.0.0.1:$DNS_PORT" --http 127.0.0.1:0 --data-dir "$WORK/second/data" \
  --zones "$WORK/second" >"$WORK/second/out" 2>"$WORK/second/err" &
second=$!
for _ in $(seq 50); do
  kill -0 "$second" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$second" 2>/dev/null; then
  kill "$second"
  fail "a second srvd started on DNS port $DNS_PORT, which the first one serves: $(cat "$WORK/second/out")"
fi
rc=0
wait "$second" || rc=$?
((rc != 0)) || fail "the second srvd exited with status 0; expected a failure to bind"
grep -q "udp 127.0.0.1:$DNS_PORT: Address already in use" "$WORK/second/err" ||
  fail "expected 'udp 127.0.0.1:$DNS_PORT: Address already in use' on the second srvd's stderr, got: $(cat "$WORK/second/err")"

# The first one still answers every query itself: twenty in a row see its registration.
for _ in $(seq 20); do
  assert_eq "the first srvd's answer" "127.0.0.10" "$(answers a1.web.svc.internal A)"
done
stop_srvd

# --- port 0: the namespace's only ephemeral port is held by another process's SO_REUSEPORT
# UDP socket. srvd must refuse to start rather than join that socket's group.
sysctl -qw net.ipv4.ip_local_port_range="40000 40000"
$PY -c '
import signal, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", 40000))
print("held", flush=True)
signal.pause()' >"$WORK/holder.out" &
holder=$!
until_ok 5 "the port holder started" grep -q held "$WORK/holder.out"
mkdir -p "$WORK/third"
rc=0
timeout 10 "$SRVD" serve --dns 127.0.0.1:0 --http 127.0.0.1:8054 --data-dir "$WORK/third/data" \
  --zones "$WORK/third" >"$WORK/third/out" 2>"$WORK/third/err" || rc=$?
kill "$holder"
((rc != 0 && rc != 124)) ||
  fail "srvd --dns 127.0.0.1:0 started (status $rc) while the only ephemeral port was another process's: $(cat "$WORK/third/out")"
grep -q "DNS on 127.0.0.1:0: dns: found no port free" "$WORK/third/err" ||
  fail "expected 'DNS on 127.0.0.1:0: dns: found no port free' on stderr, got: $(cat "$WORK/third/err")"
