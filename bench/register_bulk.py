"""register_bulk.py -- registers SERVICES x INSTANCES instances over one kept-alive connection.

Usage: register_bulk.py HTTP_PORT SERVICES INSTANCES
Service k is "svc<k>"; its instances "i1".."iN" are at 10.<k/256>.<k%256>.<n>, port 8000+n.
Prints the number of instances registered and how long it took.
"""
import http.client
import json
import sys
import time

port, services, instances = (int(a) for a in sys.argv[1:4])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
start = time.monotonic()
for k in range(services):
    for n in range(1, instances + 1):
        body = json.dumps({"address": f"10.{k // 256 % 256}.{k % 256}.{n}", "port": 8000 + n})
        conn.request("PUT", f"/v1/services/svc{k}/instances/i{n}", body=body,
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        payload = resp.read()
        if resp.status not in (200, 201):
            sys.exit(f"PUT svc{k}/i{n}: HTTP {resp.status}: {payload[:200]!r}")
elapsed = time.monotonic() - start
print(f"registered {services * instances} instances in {elapsed:.2f} s "
      f"({services * instances / elapsed:.0f} writes/s, each acknowledged once DNS serves it)")
