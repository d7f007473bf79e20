#!/usr/bin/python3
"""gen_data.py -- the same data for every server: N services x M instances.

Writes, into OUT:
  svc.internal.zone   the RFC 1035 master file equivalent to what srvd serves for the
                      registrations below (SOA/NS as srvd answers them, TTL 5)
  queries-a.txt       dnsperf input: 50% SRV / 40% address (half service names, half
                      instance names; A and AAAA in proportion to the IPv4 and IPv6
                      instances) / 10% NXDOMAIN, shuffled with a fixed seed
and, with --register HOST:PORT, registers the instances in a running srvd over HTTP
(one kept-alive connection per worker thread, --workers of them).

Service k is "svc<k>"; its instances "i1".."iM" listen on port 8080. An srvd instance has one
address, so an instance is IPv4 or IPv6: every third one (i3, i6, ...) is IPv6, at
fd00::<k hex>:<n hex>, the others IPv4, at 10.<k/256>.<k%256>.<n>. So with 3 instances every
SRV answer carries 2 A and 1 AAAA in its additional section, `svcK A` has 2 records and
`svcK AAAA` 1, and a third of the address queries ask for AAAA (3 in 10 with 10 instances).
Stdlib only: run with /usr/bin/python3.
"""
import argparse
import http.client
import json
import signal
import os
import random
import sys
import threading
import time

DOMAIN = "svc.internal."
TTL = 5


# die of SIGINT (not a KeyboardInterrupt exit 1), so that the calling shell script stops too
signal.signal(signal.SIGINT, signal.SIG_DFL)

def is_ipv6(n):
    return n % 3 == 0


def address(k, n):
    return f"fd00::{k:x}:{n:x}" if is_ipv6(n) else f"10.{k // 256 % 256}.{k % 256}.{n}"


def rtype(n):
    return "AAAA" if is_ipv6(n) else "A"


def write_zone(path, services, instances, ns_address):
    # Mirrors srvd's apex (registry/render.cpp): SOA ns.<domain> hostmaster.<domain>,
    # serial = srvd's change index, which each of the services x instances registrations
    # of a fresh data dir moves by one; refresh 14400, retry 3600, expire 1209600, minimum =
    # negative TTL = TTL. (check_same_answers.py compares the SOA of negative answers.)
    with open(path, "w") as f:
        f.write(f"$ORIGIN {DOMAIN}\n$TTL {TTL}\n")
        f.write(f"@ IN SOA ns.{DOMAIN} hostmaster.{DOMAIN} {services * instances} 14400 3600 1209600 {TTL}\n")
        f.write(f"@ IN NS ns.{DOMAIN}\n")
        f.write(f"ns IN A {ns_address}\n")
        for k in range(services):
            s = f"svc{k}"
            for n in range(1, instances + 1):
                f.write(f"_{s}._tcp IN SRV 1 1 8080 i{n}.{s}.{DOMAIN}\n")
            for n in range(1, instances + 1):  # the service name holds every address
                f.write(f"{s} IN {rtype(n)} {address(k, n)}\n")
            for n in range(1, instances + 1):
                f.write(f"i{n}.{s} IN {rtype(n)} {address(k, n)}\n")


def write_queries(path, services, instances, lines, seed=7):
    rng = random.Random(seed)
    srv = lines * 50 // 100
    a = lines * 40 // 100
    nx = lines - srv - a
    # Address queries always have an answer: a service name is asked for the type of a
    # random one of its instances (so A and AAAA come in proportion to what exists), an
    # instance name for its own type.
    out = ([f"_svc{rng.randrange(services)}._tcp.{DOMAIN} SRV" for _ in range(srv)]
           + [f"svc{rng.randrange(services)}.{DOMAIN} {rtype(rng.randrange(instances) + 1)}"
              for _ in range(a // 2)]
           + [f"i{n}.svc{rng.randrange(services)}.{DOMAIN} {rtype(n)}"
              for n in (rng.randrange(instances) + 1 for _ in range(a - a // 2))]
           + [f"nosuch{rng.randrange(services)}.{DOMAIN} A" for _ in range(nx)])
    rng.shuffle(out)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def register(hostport, services, instances, workers, extra=None):
    host, port = hostport.rsplit(":", 1)
    errors = []

    def worker(w):
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        for k in range(w, services, workers):
            for n in range(1, instances + 1):
                body = json.dumps({"address": address(k, n), "port": 8080, **(extra or {})})
                conn.request("PUT", f"/v1/services/svc{k}/instances/i{n}", body=body,
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                payload = resp.read()
                if resp.status // 100 != 2:
                    errors.append(f"PUT svc{k}/i{n}: HTTP {resp.status}: {payload[:200]!r}")
                    return
        conn.close()

    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit(errors[0])
    return time.monotonic() - start


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--services", type=int, default=1000)
    p.add_argument("--instances", type=int, default=3)
    p.add_argument("--out", help="directory for the zone and query files")
    p.add_argument("--queries", type=int, default=100000, help="lines in queries-a.txt")
    p.add_argument("--ns-address", default="127.0.0.1", help="A of ns.svc.internal.")
    p.add_argument("--register", metavar="HOST:PORT", help="srvd's HTTP API to register in")
    p.add_argument("--workers", type=int, default=4, help="concurrent HTTP connections")
    p.add_argument("--extra", default="{}",
                   help='JSON merged into each registration body, e.g. \'{"ttl": "300s"}\'')
    a = p.parse_args()
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        write_zone(os.path.join(a.out, "svc.internal.zone"), a.services, a.instances, a.ns_address)
        write_queries(os.path.join(a.out, "queries-a.txt"), a.services, a.instances, a.queries)
    if a.register:
        n = a.services * a.instances
        secs = register(a.register, a.services, a.instances, a.workers, json.loads(a.extra))
        print(json.dumps({"registered": n, "seconds": round(secs, 3),
                          "per_second": round(n / secs, 1)}))


if __name__ == "__main__":
    main()
