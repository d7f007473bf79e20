# Malformed DNS input over UDP and TCP: short packets and responses (QR=1) are dropped,
# broken questions get FORMERR, other opcodes NOTIMP (STYLE.md §19), random bytes are
# survived; afterwards srvd answers as before and the registry is unchanged.
source "$(dirname "$0")/lib.sh"
start_srvd

register web a1 '{"address":"127.0.0.10","port":8080,"meta":{"k":"v"}}'
expect_http 200 GET /v1/services
before_body=$HTTP_BODY
before_srv=$(full _web._tcp.svc.internal SRV | normalize)

$PY - "$DNS_PORT" <<'EOF' || fail "malformed DNS packets (see above)"
import random, socket, struct, sys, time
import dns.message, dns.rcode, dns.opcode, dns.edns

port = int(sys.argv[1])
addr = ("127.0.0.1", port)
errors = []

def header(id_=0x1234, flags=0x0000, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", id_, flags, qd, an, ns, ar)

def name(*labels):
    return b"".join(bytes([len(l)]) + l for l in labels) + b"\0"

WEB = name(b"a1", b"web", b"svc", b"internal")
A_IN = struct.pack("!HH", 1, 1)
good = header() + WEB + A_IN

def exchange(pkt, wait=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(wait)
    s.sendto(pkt, addr)
    try:
        return s.recv(65535)
    except socket.timeout:
        return None
    finally:
        s.close()

def expect_drop(what, pkt):
    r = exchange(pkt, wait=0.5)
    if r is not None:
        errors.append(f"{what}: expected no response (dropped), got {r[:16].hex()}")

def expect_rcode(what, pkt, rcode, id_=0x1234):
    r = exchange(pkt)
    if r is None:
        errors.append(f"{what}: expected {dns.rcode.to_text(rcode)}, got no response")
        return
    if len(r) < 12:
        errors.append(f"{what}: response shorter than a header: {r.hex()}")
        return
    rid, flags = struct.unpack("!HH", r[:4])
    got = flags & 0xF
    if rid != id_ or not flags & 0x8000 or got != rcode:
        errors.append(f"{what}: expected id {id_:#x}, QR set, {dns.rcode.to_text(rcode)}; "
                      f"got id {rid:#x}, QR {'set' if flags & 0x8000 else 'unset'}, {dns.rcode.to_text(got)}")

def expect_reply_or_drop(what, pkt, id_=0x1234):
    r = exchange(pkt, wait=0.5)
    if r is not None and (len(r) < 12 or struct.unpack("!H", r[:2])[0] != id_ or not r[2] & 0x80):
        errors.append(f"{what}: a response must carry the query's id and QR; got {r[:16].hex()}")

# Too short to be a query, or not a query at all: dropped (no reflection, no loops).
expect_drop("empty datagram", b"")
expect_drop("1 byte", b"\x12")
expect_drop("11 bytes", good[:11])
expect_drop("QR=1 (a response)", header(flags=0x8000) + WEB + A_IN)
expect_drop("QR=1 with an error rcode", header(flags=0x8005) + WEB + A_IN)

# A header but a broken question: FORMERR.
expect_rcode("header only, QDCOUNT=1", header(), dns.rcode.FORMERR)
expect_rcode("QDCOUNT=0", header(qd=0), dns.rcode.FORMERR)
expect_rcode("QDCOUNT=2", header(qd=2) + WEB + A_IN + WEB + A_IN, dns.rcode.FORMERR)
expect_rcode("question without type and class", header() + WEB, dns.rcode.FORMERR)
expect_rcode("question cut inside the type", header() + WEB + b"\x00", dns.rcode.FORMERR)
expect_rcode("name cut inside a label", header() + b"\x0aabc", dns.rcode.FORMERR)
expect_rcode("name without its root label", header() + b"\x03web", dns.rcode.FORMERR)
expect_rcode("label type 0x40 (extended label)", header() + b"\x41" + b"a" * 65 + b"\0" + A_IN, dns.rcode.FORMERR)
expect_rcode("label type 0x80 (reserved)", header() + b"\x81a\0" + A_IN, dns.rcode.FORMERR)
expect_rcode("pointer to itself", header() + b"\xc0\x0c" + A_IN, dns.rcode.FORMERR)
expect_rcode("pointer past the end", header() + b"\xc0\xff" + A_IN, dns.rcode.FORMERR)
expect_rcode("pointer loop through a label", header() + b"\x01a\xc0\x0c" + A_IN, dns.rcode.FORMERR)
long_name = b"".join(b"\x3f" + b"a" * 63 for _ in range(4)) + b"\0"  # 257 octets > 255
expect_rcode("name longer than 255 octets", header() + long_name + A_IN, dns.rcode.FORMERR)

# Opcodes other than QUERY: NOTIMP.
expect_rcode("opcode STATUS", header(flags=2 << 11) + WEB + A_IN, dns.rcode.NOTIMP)
expect_rcode("opcode NOTIFY", header(flags=4 << 11) + WEB + A_IN, dns.rcode.NOTIMP)
expect_rcode("opcode UPDATE", header(flags=5 << 11) + WEB + A_IN, dns.rcode.NOTIMP)
expect_rcode("opcode 15", header(flags=15 << 11) + WEB + A_IN, dns.rcode.NOTIMP)

# Odd but survivable: an answer (same id, QR) or nothing, and never a crash.
expect_reply_or_drop("trailing garbage", good + b"\xde\xad\xbe\xef" * 10)
expect_reply_or_drop("ANCOUNT=5 with nothing", header(an=5) + WEB + A_IN)
expect_reply_or_drop("ARCOUNT=1 with a cut OPT", header(ar=1) + WEB + A_IN + b"\x00\x00\x29\x04")
expect_reply_or_drop("forward pointer", header() + b"\xc0\x10" + A_IN + WEB)
expect_reply_or_drop("class CHAOS", header() + WEB + struct.pack("!HH", 16, 3))
expect_reply_or_drop("class ANY", header() + WEB + struct.pack("!HH", 1, 255))
expect_reply_or_drop("two OPT records", header(ar=2) + WEB + A_IN + (b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00") * 2)
expect_reply_or_drop("EDNS version 1", header(ar=1) + WEB + A_IN + b"\x00\x00\x29\x04\xd0\x00\x01\x00\x00\x00\x00")

# Well-formed but unusual queries are answered normally (NOERROR with the data).
def query_ok(what, q):
    r = exchange(q.to_wire())
    if r is None:
        errors.append(f"{what}: expected an answer, got none")
        return
    m = dns.message.from_wire(r)
    got = [rd.to_text() for rrs in m.answer for rd in rrs]
    if m.id != q.id or m.rcode() != dns.rcode.NOERROR or got != ["127.0.0.10"]:
        errors.append(f"{what}: expected NOERROR with 127.0.0.10, got {dns.rcode.to_text(m.rcode())} {got}")

q = dns.message.make_query("a1.web.svc.internal", "A", use_edns=0,
                           options=[dns.edns.GenericOption(13, b"\x03svc\x08internal\x00")])
query_ok("EDNS option 13 (CHAIN)", q)  # ldns 1.8.3 prints this by crashing (STYLE.md §27)
q = dns.message.make_query("a1.web.svc.internal", "A", use_edns=0,
                           options=[dns.edns.GenericOption(65001, b"\xff" * 300)])
query_ok("EDNS with a 300-byte unknown option", q)
q = dns.message.make_query("a1.web.svc.internal", "A", use_edns=0, payload=100)
query_ok("EDNS payload 100 (below 512)", q)

# Random bytes and bit flips of a valid query, sent as fast as possible.
rng = random.Random(20240601)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
sent = 0
for i in range(3000):
    if i % 2:
        pkt = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 80)))
    else:
        b = bytearray(dns.message.make_query("a1.web.svc.internal", rng.choice(["A", "SRV", "TXT"])).to_wire())
        for _ in range(rng.randrange(1, 6)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        pkt = bytes(b[: rng.randrange(len(b) + 1)] if rng.random() < 0.2 else b)
    try:
        s.sendto(pkt, addr)
        sent += 1
    except BlockingIOError:
        time.sleep(0.001)
    if i % 100 == 0:
        time.sleep(0.005)  # let srvd keep up; this is about crashes, not load
        try:
            while s.recv(65535):
                pass
        except BlockingIOError:
            pass
s.close()
print(f"# fuzz: {sent} random or mutated datagrams sent")

# TCP: zero-length messages, garbage, connections cut mid-message.
def tcp(data, half_close=True):
    c = socket.create_connection(addr, timeout=2)
    try:
        c.sendall(data)
        if half_close:  # else: go away without reading
            c.shutdown(socket.SHUT_WR)
            while c.recv(65535):
                pass
    except (ConnectionResetError, socket.timeout, BrokenPipeError):
        pass
    finally:
        c.close()

tcp(b"")
tcp(b"\x00")
tcp(b"\x00\x00")
tcp(b"\x00\x05\xde\xad\xbe\xef\x00")
tcp(b"\x01\xf4" + good)  # says 500 bytes, sends fewer, then closes
tcp(struct.pack("!H", len(good)) + good[:5])
tcp(struct.pack("!H", 12) + header(flags=0x8000, qd=0) + struct.pack("!H", 3) + b"abc")
tcp(bytes(rng.getrandbits(8) for _ in range(5000)))
for _ in range(20):
    tcp(b"", half_close=False)  # connect and go away

# Still answering, over UDP and TCP, with the same id.
query_ok("a valid query after all that (UDP)", dns.message.make_query("a1.web.svc.internal", "A"))
c = socket.create_connection(addr, timeout=5)
w = good
c.sendall(struct.pack("!H", len(w)) + w)
n = struct.unpack("!H", c.recv(2))[0]
r = b""
while len(r) < n:
    r += c.recv(n - len(r))
c.close()
m = dns.message.from_wire(r)
if m.id != 0x1234 or [rd.to_text() for rrs in m.answer for rd in rrs] != ["127.0.0.10"]:
    errors.append(f"a valid query after all that (TCP): expected id 0x1234 and 127.0.0.10, got {m}")

for e in errors:
    print("FAIL:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
EOF

assert_alive "after malformed DNS input"
expect_http 200 GET /v1/services
[[ $HTTP_BODY == "$before_body" ]] || fail "malformed DNS input changed the registry: was $before_body, now $HTTP_BODY"
assert_eq "SRV response after malformed input" "$before_srv" "$(full _web._tcp.svc.internal SRV | normalize)"

stop_srvd
