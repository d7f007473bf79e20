#!/usr/bin/python3
"""churn.py -- changes registrations at a steady rate over HTTP, for workload (d).

Cycles over the generator's services svc0..svc<N-1>: each step either re-registers
i1 of the service on another port (8080 <-> 8081: its SRV changes) or adds/removes an
extra instance x1 (the service's SRV and A sets change), alternately. Paced to --rate
writes/s over --connections kept-alive connections, for --duration seconds, then prints
one JSON line: writes done, achieved rate, non-2xx count, write latency p50/p99.
Names in the generator's query files stay valid throughout (no NXDOMAIN appears).
"""
import argparse
import http.client
import json
import signal
import threading
import time


# die of SIGINT (not a KeyboardInterrupt exit 1), so that the calling shell script stops too
signal.signal(signal.SIGINT, signal.SIG_DFL)

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--http", required=True, help="HOST:PORT of srvd's API")
    p.add_argument("--services", type=int, default=1000)
    p.add_argument("--rate", type=float, default=1000)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--connections", type=int, default=32)
    a = p.parse_args()
    host, port = a.http.rsplit(":", 1)
    lock = threading.Lock()
    state = {"next": 0, "done": 0, "errors": 0, "lat": []}
    start = time.monotonic()
    end = start + a.duration

    def worker():
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        lat = []
        while True:
            with lock:
                i = state["next"]
                state["next"] += 1
            due = start + i / a.rate
            if due >= end:
                break
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            k = (i // 2) % a.services
            cycle = i // (2 * a.services)
            if i % 2 == 0:
                method, path = "PUT", f"/v1/services/svc{k}/instances/i1"
                body = json.dumps({"address": f"10.{k // 256 % 256}.{k % 256}.1",
                                   "port": 8081 if cycle % 2 == 0 else 8080})
            elif cycle % 2 == 0:
                method, path = "PUT", f"/v1/services/svc{k}/instances/x1"
                body = json.dumps({"address": f"10.{k // 256 % 256}.{k % 256}.250", "port": 8080})
            else:
                method, path, body = "DELETE", f"/v1/services/svc{k}/instances/x1", None
            t0 = time.monotonic()
            try:
                conn.request(method, path, body=body,
                             headers={"Content-Type": "application/json"} if body else {})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status // 100 == 2 or (method == "DELETE" and resp.status == 404)
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
            lat.append(time.monotonic() - t0)
            with lock:
                state["done"] += 1
                state["errors"] += 0 if ok else 1
        with lock:
            state["lat"].extend(lat)

    threads = [threading.Thread(target=worker) for _ in range(a.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    lat = sorted(state["lat"])
    pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 3) if lat else None
    print(json.dumps({"writes": state["done"], "errors": state["errors"],
                      "writes_per_s": round(state["done"] / elapsed, 1),
                      "write_p50_ms": pick(0.50), "write_p99_ms": pick(0.99)}))


if __name__ == "__main__":
    main()
