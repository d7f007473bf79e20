# DNS over TCP as RFC 7766 asks, seen from a client's socket: a query sent a byte at a time
# is answered; an idle connection is closed after the idle timeout (10 s); connections
# beyond the per-loop cap (128) are closed at once while the others keep working.
source "$(dirname "$0")/lib.sh"
start_srvd --dns-threads 1

register web a1 '{"address":"127.0.0.10","port":8080}'

$PY - "$DNS_PORT" <<'PYEOF' || fail "TCP behaviour (see above)"
import socket, struct, sys, time
import dns.message
port = int(sys.argv[1])
errors = []

def framed(qid):
    w = dns.message.make_query("a1.web.svc.internal", "A", id=qid).to_wire()
    return struct.pack("!H", len(w)) + w

def read_answer(c):
    def exactly(n):
        b = b""
        while len(b) < n:
            chunk = c.recv(n - len(b))
            if not chunk:
                raise EOFError("connection closed")
            b += chunk
        return b
    n = struct.unpack("!H", exactly(2))[0]
    return dns.message.from_wire(exactly(n))

def closed_within(c, seconds):
    """Seconds until the server closes `c`, or None if it stays open that long."""
    c.settimeout(seconds)
    start = time.monotonic()
    try:
        if c.recv(1) == b"":
            return time.monotonic() - start
    except (socket.timeout, TimeoutError):
        return None
    except ConnectionResetError:
        return time.monotonic() - start
    return None

# A query trickled one byte at a time (partial reads, the length prefix split too).
c = socket.create_connection(("127.0.0.1", port), timeout=5)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for b in framed(7):
    c.send(bytes([b]))
    time.sleep(0.01)
m = read_answer(c)
if m.id != 7 or [rd.to_text() for rrs in m.answer for rd in rrs] != ["127.0.0.10"]:
    errors.append(f"trickled query: expected id 7 and 127.0.0.10, got {m}")
# Then idle: closed after the 10 s idle timeout, not before 8 s.
t = closed_within(c, 16)
if t is None or t < 8:
    errors.append(f"idle connection after a query: expected a close after about 10 s, got {t}")
c.close()

# A connection that never sends anything is closed the same way.
c = socket.create_connection(("127.0.0.1", port), timeout=5)
t = closed_within(c, 16)
if t is None or t < 8:
    errors.append(f"silent connection: expected a close after about 10 s, got {t}")
c.close()

# 128 connections per loop (one loop here): extra ones are closed at once.
conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(128)]
time.sleep(0.3)  # let srvd accept them all
extra = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(5)]
for i, c in enumerate(extra):
    t = closed_within(c, 3)
    if t is None:
        errors.append(f"connection {129 + i}: expected srvd to close it at once (cap 128), it stayed open")
    c.close()
for i, c in enumerate(conns[:: 16]):
    c.settimeout(5)
    c.sendall(framed(100 + i))
    try:
        m = read_answer(c)
        if m.id != 100 + i:
            errors.append(f"connection within the cap: expected id {100 + i}, got {m.id}")
    except (EOFError, OSError) as e:
        errors.append(f"connection within the cap: expected an answer, got {e!r}")
for c in conns:
    c.close()
# Once those are gone, new connections are served again.
time.sleep(0.3)
c = socket.create_connection(("127.0.0.1", port), timeout=5)
c.sendall(framed(9))
try:
    if read_answer(c).id != 9:
        errors.append("new connection after the others closed: wrong id")
except (EOFError, OSError) as e:
    errors.append(f"new connection after the others closed: expected an answer, got {e!r}")
c.close()

for e in errors:
    print("FAIL:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PYEOF

assert_alive "after the TCP checks"
stop_srvd
