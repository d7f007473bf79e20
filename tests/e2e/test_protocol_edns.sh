# EDNS0 (RFC 6891) as dig sees it: the OPT is echoed with srvd's payload size (1232 by
# default, --edns-payload to change it) and the client's size is honoured; no OPT back when
# the query had none; BADVERS for EDNS version 1; FORMERR for two OPT records; NOTIMP for
# other opcodes, with the OPT echoed.
source "$(dirname "$0")/lib.sh"

# edns_line [dig args...]: dig's "; EDNS: ..." line, or nothing.
edns_line() { q +noall +comments "$@" | sed -n 's/^; EDNS: //p'; }
status() { q +noall +comments "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }

# 30 instances with long ids: their SRV RRset is about 2.4 KB.
register_big() {
  local i
  for i in $(seq -w 1 30); do
    register big "an-instance-with-a-long-name-$i" "{\"address\":\"127.0.1.$((10#$i))\",\"port\":$((8000 + 10#$i))}"
  done
}

# --- defaults
start_srvd
register web a1 '{"address":"127.0.0.10","port":8080}'
register_big
assert_eq "OPT in the reply to an EDNS query (default payload)" "version: 0, flags:; udp: 1232" \
  "$(edns_line +bufsize=4096 web.svc.internal A)"
assert_eq "OPT with DO asked: DO clear (srvd serves no DNSSEC)" "version: 0, flags:; udp: 1232" \
  "$(edns_line +dnssec web.svc.internal A)"
assert_eq "OPT on a negative answer" "version: 0, flags:; udp: 1232" "$(edns_line nosuch.svc.internal A)"
assert_eq "no OPT without EDNS" "" "$(edns_line +noedns web.svc.internal A)"
# The client asks for 4096 but srvd's own limit, 1232, caps the UDP answer.
out=$(q +ignore +bufsize=4096 +noall +comments _big._tcp.svc.internal SRV)
[[ $out == *"flags: qr aa tc;"* ]] || fail "2.4 KB SRV answer, client 4096, srvd 1232: expected TC, saw: $out"
[[ $(q +ignore +bufsize=4096 _big._tcp.svc.internal SRV | sed -n 's/.*MSG SIZE  rcvd: //p') -le 1232 ]] ||
  fail "a UDP answer larger than srvd's 1232-byte payload"
# A client size below ours is honoured too.
size=$(q +ignore +bufsize=700 _big._tcp.svc.internal SRV | sed -n 's/.*MSG SIZE  rcvd: //p')
((size <= 700 && size > 600)) || fail "client payload 700: expected a truncated answer of 600-700 bytes, got $size"

# --- BADVERS (RFC 6891 §6.1.3): extended RCODE 16, the OPT at version 0, no answer, AA clear.
out=$(q +edns=1 +noednsnegotiation +noall +comments +answer web.svc.internal A)
[[ $out == *"status: BADVERS"* ]] || fail "EDNS version 1: expected status BADVERS, saw: $out"
[[ $out == *"; EDNS: version: 0,"* ]] || fail "EDNS version 1: expected our OPT at version 0, saw: $out"
[[ $out == *"ANSWER: 0,"* && $out == *"flags: qr;"* ]] || fail "EDNS version 1: expected no answer and flags 'qr', saw: $out"
# dig falls back to version 0 by itself, as resolvers do, and then gets the answer.
assert_eq "answer after dig's EDNS version negotiation" "127.0.0.10" "$(answers web.svc.internal A +edns=1)"

# --- FORMERR for two OPTs, NOTIMP for other opcodes (raw packets: dig sends neither).
$PY - "$DNS_PORT" <<'PYEOF' || fail "raw EDNS packets (see above)"
import socket, struct, sys
port = int(sys.argv[1])
def exchange(pkt):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(pkt, ("127.0.0.1", port))
    try:
        return s.recv(65535)
    finally:
        s.close()
qname = b"\x03web\x03svc\x08internal\x00" + struct.pack("!HH", 1, 1)
opt = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"
errors = []
r = exchange(struct.pack("!6H", 0x1111, 0, 1, 0, 0, 2) + qname + opt + opt)
if r[:2] != b"\x11\x11" or r[3] & 0x0F != 1 or not r[2] & 0x80:
    errors.append(f"two OPT records: expected FORMERR with QR and the id, got {r[:12].hex()}")
r = exchange(struct.pack("!6H", 0x2222, 4 << 11, 1, 0, 0, 1) + qname + opt)  # NOTIFY
qd, an, ns, ar = struct.unpack("!4H", r[4:12])
if r[:2] != b"\x22\x22" or r[3] & 0x0F != 4 or (r[2] >> 3) & 0xF != 4 or r[2] & 0x04:
    errors.append(f"opcode NOTIFY: expected NOTIMP, opcode 4, AA clear, got {r[:12].hex()}")
if (qd, an, ns, ar) != (1, 0, 0, 1) or r[12:12 + len(qname)] != qname or r[-11:-8] != b"\x00\x00\x29":
    errors.append(f"opcode NOTIFY with EDNS: expected the question and an OPT echoed, got {r.hex()}")
for e in errors:
    print("FAIL:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PYEOF
out=$(q +opcode=status +noall +comments svc.internal SOA 2>&1)
[[ $out == *"opcode: STATUS, status: NOTIMP"* ]] || fail "dig +opcode=status: expected NOTIMP, saw: $out"
[[ $out != *"WARNING"* ]] || fail "dig +opcode=status: dig warns about the reply: $out"
stop_srvd

# --- --edns-payload 4096: advertised, and a 2.4 KB answer now fits in one UDP datagram.
start_srvd --edns-payload 4096
register_big
assert_eq "OPT with --edns-payload 4096" "version: 0, flags:; udp: 4096" "$(edns_line +bufsize=4096 _big._tcp.svc.internal SRV)"
out=$(q +ignore +bufsize=4096 +noall +comments _big._tcp.svc.internal SRV)
[[ $out == *"flags: qr aa;"* && $out == *"ANSWER: 30,"* ]] ||
  fail "2.4 KB SRV answer, client 4096, srvd 4096: expected all 30 records without TC, saw: $out"
out=$(q +ignore +bufsize=1232 +noall +comments _big._tcp.svc.internal SRV)
[[ $out == *"flags: qr aa tc;"* ]] || fail "client 1232, srvd 4096: expected TC (the client's size counts), saw: $out"
stop_srvd

# --- --edns-payload 512: the smallest allowed.
start_srvd --edns-payload 512
register web a1 '{"address":"127.0.0.10","port":8080}'
assert_eq "OPT with --edns-payload 512" "version: 0, flags:; udp: 512" "$(edns_line web.svc.internal A)"
stop_srvd
