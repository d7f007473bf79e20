"""read_your_writes.py -- checks that a DNS query sent after a write's 2xx sees that write.

Usage: read_your_writes.py HTTP_PORT DNS_PORT ITERATIONS
Each iteration registers an instance, updates it, takes it to maintenance and back, and
deletes it, querying DNS right after every answer (UDP and TCP, each from a fresh socket so
that every SO_REUSEPORT listener gets its share). Exits 1 listing the misses; zero allowed.
"""
import http.client
import json
import socket
import struct
import sys

import dns.message
import dns.rcode

http_port, dns_port, iterations = (int(a) for a in sys.argv[1:4])
DOMAIN = "svc.internal"
misses = []
reconnects = 0
conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)


def call(method, path, body=None):
    """One request on the kept-alive connection; reconnects once if the server closed it."""
    global conn, reconnects
    data = json.dumps(body) if body is not None else None
    for attempt in (1, 2):
        try:
            conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            payload = resp.read()
            break
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            if attempt == 2:
                raise
            reconnects += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    if resp.status // 100 != 2:
        sys.exit(f"{method} {path}: expected 2xx, got {resp.status}: {payload[:200]!r}")
    return json.loads(payload)


def query(name, rdtype, tcp=False):
    q = dns.message.make_query(name, rdtype)
    q.flags = 0
    wire = q.to_wire()
    if tcp:
        with socket.create_connection(("127.0.0.1", dns_port), timeout=5) as s:
            s.sendall(struct.pack("!H", len(wire)) + wire)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
                chunk = s.recv(65535)
                if not chunk:
                    sys.exit(f"{name} {rdtype} over TCP: connection closed before the answer")
                buf += chunk
            r = dns.message.from_wire(buf[2:])
    else:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            s.sendto(wire, ("127.0.0.1", dns_port))
            r = dns.message.from_wire(s.recv(65535))
    if r.id != q.id:
        sys.exit(f"{name} {rdtype}: answer id {r.id} != query id {q.id}")
    return r


def rdatas(r):
    return sorted(rd.to_text() for rrs in r.answer for rd in rrs)


def expect(i, what, got, want):
    if got != want:
        misses.append(f"iteration {i}: {what}: expected {want}, got {got}")


for i in range(iterations):
    iid = f"i{i}"
    base = f"/v1/services/ryw/instances/{iid}"
    addr = f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
    host = f"{iid}.ryw.{DOMAIN}"
    srv = f"_ryw._tcp.{DOMAIN}"
    tcp = i % 2 == 1

    res = call("PUT", base, {"address": addr, "port": 10000})
    expect(i, "A after register", rdatas(query(host, "A", tcp)), [addr])
    soa = query(DOMAIN, "SOA")
    serial = soa.answer[0][0].serial if soa.answer else -1
    if serial < res["index"]:
        misses.append(f"iteration {i}: SOA serial {serial} after a PUT that returned index {res['index']}")

    call("PUT", base, {"address": addr, "port": 20000, "priority": 3, "weight": 7})
    expect(i, "SRV after update", rdatas(query(srv, "SRV", not tcp)), [f"3 7 20000 {host}."])

    call("PUT", base + "/status", {"status": "maintenance", "reason": "ryw"})
    r = query(host, "A", tcp)
    expect(i, "A after maintenance", (dns.rcode.to_text(r.rcode()), rdatas(r)), ("NXDOMAIN", []))

    call("PUT", base + "/status", {"status": "healthy"})
    expect(i, "A after healthy", rdatas(query(host, "A", not tcp)), [addr])

    call("DELETE", base)
    r = query(host, "A", tcp)
    expect(i, "A after delete", (dns.rcode.to_text(r.rcode()), rdatas(r)), ("NXDOMAIN", []))
    expect(i, "SRV after delete", rdatas(query(srv, "SRV", not tcp)), [])

print(f"# {iterations} iterations, {iterations * 5} writes, {iterations * 7} queries, "
      f"{len(misses)} misses, {reconnects} HTTP reconnects")
for m in misses[:20]:
    print("MISS:", m, file=sys.stderr)
sys.exit(1 if misses else 0)
