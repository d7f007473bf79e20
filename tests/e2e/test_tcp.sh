# DNS over TCP on the same port as UDP: the same answers, several queries on one connection,
# pipelined queries (RFC 7766 §6.2.1) and a length prefix split across segments.
source "$(dirname "$0")/lib.sh"
start_srvd

register web a1 '{"address":"127.0.0.10","port":8080,"meta":{"team":"core"}}'
register web b2 '{"address":"2001:db8::2","port":8081,"priority":2,"weight":20}'
register dnsd u1 '{"address":"127.0.0.20","port":5353,"protocol":"udp"}'

while read -r name type; do
  udp=$(full "$name" "$type" | normalize)
  tcp=$(full +tcp "$name" "$type" | normalize)
  [[ -n $tcp ]] || fail "$name $type over TCP: no answer"
  [[ $udp == "$tcp" ]] || fail "$name $type: expected the TCP answer to equal the UDP one
--- UDP:
$udp
--- TCP:
$tcp"
done <<'EOF'
_web._tcp.svc.internal SRV
_dnsd._udp.svc.internal SRV
web.svc.internal AAAA
a1.web.svc.internal A
a1.web.svc.internal TXT
svc.internal NS
nosuch.svc.internal A
web.svc.internal MX
example.com A
EOF
full +tcp _web._tcp.svc.internal SRV | check_golden srv_web_tcp_over_tcp

# Several queries on one kept-open connection.
out=$(q +tcp +keepopen +noall +answer a1.web.svc.internal A b2.web.svc.internal AAAA _web._tcp.svc.internal SRV)
assert_eq "three queries on one TCP connection (answer lines)" 4 "$(grep -c IN <<<"$out")"

# Pipelining and split length prefixes, with dnspython building and parsing the messages.
$PY - "$DNS_PORT" <<'EOF' || fail "pipelined TCP queries (see above)"
import socket, struct, sys, time
import dns.message, dns.rcode
port = int(sys.argv[1])
names = ["a1.web.svc.internal", "b2.web.svc.internal", "web.svc.internal", "nosuch.svc.internal"]
types = ["A", "AAAA", "A", "A"]
queries = [dns.message.make_query(n, t) for n, t in zip(names, types)]
for i, q in enumerate(queries):
    q.id = 1000 + i
    q.flags = 0

def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            sys.exit(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf

def read_msg(s):
    (n,) = struct.unpack("!H", read_exact(s, 2))
    return dns.message.from_wire(read_exact(s, n))

with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
    # All four in one write: four answers, matched by id (order may differ, RFC 7766 §7).
    s.sendall(b"".join(struct.pack("!H", len(w)) + w for w in (q.to_wire() for q in queries)))
    got = {}
    for _ in queries:
        r = read_msg(s)
        got[r.id] = r
    if sorted(got) != [q.id for q in queries]:
        sys.exit(f"expected answers with ids {[q.id for q in queries]}, got {sorted(got)}")
    want = {1000: "127.0.0.10", 1001: "2001:db8::2", 1002: "127.0.0.10"}
    for i, addr in want.items():
        seen = [rd.to_text() for rrs in got[i].answer for rd in rrs]
        if seen != [addr]:
            sys.exit(f"pipelined query {i}: expected answer [{addr}], got {seen}")
    if got[1003].rcode() != dns.rcode.NXDOMAIN:
        sys.exit(f"pipelined query for nosuch: expected NXDOMAIN, got {dns.rcode.to_text(got[1003].rcode())}")
    # The length prefix and the message in pieces, with pauses between them.
    w = queries[0].to_wire()
    for piece in (struct.pack("!H", len(w))[:1], struct.pack("!H", len(w))[1:] + w[:5], w[5:]):
        s.sendall(piece)
        time.sleep(0.05)
    r = read_msg(s)
    if r.id != 1000 or [rd.to_text() for rrs in r.answer for rd in rrs] != ["127.0.0.10"]:
        sys.exit(f"query sent in pieces: expected id 1000 with 127.0.0.10, got {r}")
EOF

stop_srvd
