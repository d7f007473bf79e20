#!/usr/bin/python3
"""visibility.py -- from a registration's 2xx to a DNS answer showing it.

For each of --count new instances (service --service, ids v<run>-<n>): PUT it over one
kept-alive HTTP connection, and the moment the 2xx arrives, ask srvd over UDP for
<id>.<service>.svc.internal A; re-ask until the answer holds the address. Prints one JSON
line: write (PUT round trip) p50/p99, visibility p50/p99 (2xx -> answer with it), and
misses: registrations the first query after the 2xx did not see (srvd promises 0:
a write is acknowledged only once DNS serves it). --delete removes them afterwards.
Stdlib only.
"""
import argparse
import http.client
import json
import signal
import os
import socket
import struct
import time


# die of SIGINT (not a KeyboardInterrupt exit 1), so that the calling shell script stops too
signal.signal(signal.SIGINT, signal.SIG_DFL)

def query(name, qid):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", 1, 1)


def sees(resp, qid, addr):
    if len(resp) < 12:
        return False
    rid, flags, _, an, _, _ = struct.unpack(">HHHHHH", resp[:12])
    return rid == qid and flags & 0xF == 0 and an > 0 and socket.inet_aton(addr) in resp[12:]


def pct(xs, q):
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))] * 1000, 3) if xs else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--http", required=True, help="HOST:PORT")
    p.add_argument("--dns", required=True, help="HOST:PORT")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--service", default="vis")
    p.add_argument("--delete", action="store_true")
    a = p.parse_args()
    hh, hp = a.http.rsplit(":", 1)
    dh, dp = a.dns.rsplit(":", 1)
    conn = http.client.HTTPConnection(hh, int(hp), timeout=30)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(1.0)
    sock.connect((dh, int(dp)))
    run = os.getpid() % 10000
    writes, visible, misses, never, errors = [], [], 0, 0, 0
    for n in range(a.count):
        iid = f"v{run}-{n}"
        addr = f"10.{200 + n // 65536 % 50}.{n // 256 % 256}.{n % 256}"
        t0 = time.monotonic()
        conn.request("PUT", f"/v1/services/{a.service}/instances/{iid}",
                     body=json.dumps({"address": addr, "port": 8080}),
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        t1 = time.monotonic()
        if resp.status // 100 != 2:
            errors += 1
            continue
        writes.append(t1 - t0)
        name = f"{iid}.{a.service}.svc.internal"
        for attempt in range(2000):
            qid = (n * 7 + attempt) & 0xFFFF
            sock.send(query(name, qid))
            try:
                ok = sees(sock.recv(4096), qid, addr)
            except socket.timeout:
                ok = False
            if ok:
                visible.append(time.monotonic() - t1)
                break
            if attempt == 0:
                misses += 1
            time.sleep(0.0005)
        else:
            never += 1
    if a.delete:
        for n in range(a.count):
            conn.request("DELETE", f"/v1/services/{a.service}/instances/v{run}-{n}")
            conn.getresponse().read()
    print(json.dumps({"registrations": a.count, "http_errors": errors,
                      "write_p50_ms": pct(writes, 0.5), "write_p99_ms": pct(writes, 0.99),
                      "visible_p50_ms": pct(visible, 0.5), "visible_p99_ms": pct(visible, 0.99),
                      "misses": misses, "never_visible": never}))


if __name__ == "__main__":
    main()
