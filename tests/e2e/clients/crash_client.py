"""crash_client.py -- load and verdict for the embedded store's crash test (test_store_crash.sh).

  crash_client.py run HTTP_PORT LOG ROUND [THREADS] [KEYS_PER_THREAD]
      THREADS threads (default 4) each own KEYS_PER_THREAD keys (default 4, ids k<thread>-<n>
      in service "crash") and, until srvd stops answering, PUT or DELETE one of their keys at
      a time over a keep-alive connection. A PUT writes version V (unique in the whole test:
      ROUND * 1000000 + thread * 100000 + sequence) into three fields at once -- the port, the
      address and meta "v" -- so an instance that mixes two writes is detectable. Each op is
      logged to LOG (appended, flushed) before it is sent ("start") and once its answer is in
      ("end", with the HTTP status); an op without an "end", or whose connection failed, was in
      flight. The thread stops at its first failed connection (srvd was killed).
  crash_client.py check HTTP_PORT DNS_PORT LOG
      After a restart: reads every op of every round from LOG and compares with GET
      /v1/services/crash and the SRV answer of _crash._tcp.svc.internal (over TCP). For each
      key, the ops on it are sequential (one thread owns it), so with L its last answered op,
      the instance must be as L left it, or as one of the ops after L (all in flight, unanswered)
      would have left it. Every instance must be one some op wrote, with port, address and meta
      agreeing. Prints a summary; exits 1 with every violation listed.
"""
import http.client
import json
import random
import sys
import threading
import time

SERVICE = "crash"


def port_of(v):
    return 1024 + v % 64000


def address_of(v):
    return f"10.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}"


def key_ids(threads, per_thread):
    return [f"k{t}-{n}" for t in range(threads) for n in range(per_thread)]


def run(http_port, log_path, rnd, threads, per_thread):
    lock = threading.Lock()
    log = open(log_path, "a")

    def write(rec):
        with lock:
            log.write(json.dumps(rec) + "\n")
            log.flush()

    def worker(t):
        rng = random.Random(rnd * 1000 + t)
        conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        seq = 0
        deadline = time.monotonic() + 30  # never outlive a test that forgot to kill srvd
        while time.monotonic() < deadline:
            seq += 1
            key = f"k{t}-{rng.randrange(per_thread)}"
            op_id = f"{rnd}/{t}/{seq}"
            if rng.random() < 0.7:
                v = rnd * 1000000 + t * 100000 + seq
                method, body = "PUT", json.dumps(
                    {"address": address_of(v), "port": port_of(v), "meta": {"v": str(v)}})
            else:
                v, method, body = None, "DELETE", None
            write({"op": op_id, "phase": "start", "key": key, "method": method, "v": v})
            try:
                conn.request(method, f"/v1/services/{SERVICE}/instances/{key}", body=body,
                             headers={"Content-Type": "application/json"} if body else {})
                resp = conn.getresponse()
                resp.read()
            except (OSError, http.client.HTTPException) as e:
                write({"op": op_id, "phase": "end", "status": None, "error": repr(e)})
                return
            write({"op": op_id, "phase": "end", "status": resp.status})

    ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()


def get_json(http_port, path):
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    return resp.status, json.loads(body) if body else None


def check(http_port, dns_port, log_path):
    import dns.message
    import dns.query
    import dns.rdatatype

    starts, ends = {}, {}
    order = []
    with open(log_path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            if rec["phase"] == "start":
                starts[rec["op"]] = rec
                order.append(rec["op"])
            else:
                ends[rec["op"]] = rec
    by_key = {}
    answered = inflight = refused = 0
    for op_id in order:  # per key, the log order is the order the owning thread ran them
        s = starts[op_id]
        e = ends.get(op_id)
        status = e["status"] if e else None
        if s["method"] == "PUT":
            effect = ("present", s["v"])
        else:
            effect = ("absent", None)
        if status is not None and (200 <= status < 300 or (s["method"] == "DELETE" and status == 404)):
            kind = "acked"
            answered += 1
        elif status is None:
            kind = "inflight"
            inflight += 1
        elif 400 <= status < 500:
            kind = "refused"  # a definite no: changes nothing
            refused += 1
        else:
            kind = "inflight"  # 5xx: the store may or may not have it; allow either
            inflight += 1
        by_key.setdefault(s["key"], []).append((kind, effect, op_id, status))

    problems = []
    status, doc = get_json(http_port, f"/v1/services/{SERVICE}")
    if status == 404:
        instances = []
    elif status == 200:
        instances = doc["instances"]
    else:
        print(f"GET /v1/services/{SERVICE}: HTTP {status}: {doc}")
        return 1
    seen = {}
    for inst in instances:
        iid = inst["id"]
        v = inst.get("meta", {}).get("v")
        try:
            v = int(v)
        except (TypeError, ValueError):
            problems.append(f"{iid}: meta v is {v!r}, not a version: {inst}")
            continue
        if inst["port"] != port_of(v) or inst["address"] != address_of(v):
            problems.append(f"{iid}: half-applied write: meta v={v} but port {inst['port']} "
                            f"(expected {port_of(v)}), address {inst['address']} (expected {address_of(v)})")
        seen[iid] = v
    for iid, v in seen.items():
        written = [eff[1] for kind, eff, _, _ in by_key.get(iid, []) if eff[0] == "present"]
        if v not in written:
            problems.append(f"{iid}: version {v} was never written to this key (ops: {by_key.get(iid, [])[-5:]})")
    for key, ops in by_key.items():
        last_acked = max((n for n, op in enumerate(ops) if op[0] == "acked"), default=-1)
        allowed = [ops[last_acked][1]] if last_acked >= 0 else [("absent", None)]
        allowed += [op[1] for op in ops[last_acked + 1:] if op[0] == "inflight"]
        actual = ("present", seen[key]) if key in seen else ("absent", None)
        if actual not in allowed:
            tail = ops[max(0, last_acked - 1):]
            problems.append(f"{key}: is {actual}, allowed {allowed}; last ops: {tail}")

    # DNS serves what the API says: every instance of "crash" is healthy, so SRV = all of them.
    q = dns.message.make_query(f"_{SERVICE}._tcp.svc.internal", "SRV")
    r = dns.query.tcp(q, "127.0.0.1", port=dns_port, timeout=5)
    srv = sorted((rd.port, rd.target.to_text().split(".")[0])
                 for rr in r.answer if rr.rdtype == dns.rdatatype.SRV for rd in rr)
    api = sorted((port_of(v), iid) for iid, v in seen.items())
    if srv != api:
        problems.append(f"SRV answer {srv} differs from the API's instances {api}")

    print(f"ops: {answered} answered, {inflight} in flight or failed, {refused} refused; "
          f"{len(seen)} instances present")
    for p in problems:
        print("VIOLATION:", p)
    return 1 if problems else 0


def main():
    mode = sys.argv[1]
    if mode == "run":
        http_port, log_path, rnd = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
        threads = int(sys.argv[5]) if len(sys.argv) > 5 else 4
        per_thread = int(sys.argv[6]) if len(sys.argv) > 6 else 4
        run(http_port, log_path, rnd, threads, per_thread)
        return 0
    if mode == "check":
        return check(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
