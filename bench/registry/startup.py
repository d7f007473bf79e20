#!/usr/bin/python3
"""startup.py -- how long srvd takes to come up with a filled data dir, and its memory.

Starts `SRVD serve` on the given ports with --data-dir DATA (detached: it keeps running,
its PID in DIR/pid, output in DIR/out.log and DIR/err.log), then times, from the exec:
the `listening dns` and `listening http` lines, and the first DNS answer that holds the
whole registry's last service (--expect NAME COUNT: an SRV query answered with COUNT
records). Prints one JSON line with those times and RSS/PSS 1 s after that answer.
"""
import argparse
import json
import signal
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import proc_stats  # noqa: E402


# die of SIGINT (not a KeyboardInterrupt exit 1), so that the calling shell script stops too
signal.signal(signal.SIGINT, signal.SIG_DFL)

def srv_count(sock, name, qid):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    sock.send(q + b"\0" + struct.pack(">HH", 33, 1))
    try:
        r = sock.recv(65535)
    except OSError:  # timeout, or ECONNREFUSED before the socket is bound
        return -1
    rid, flags, _, an, _, _ = struct.unpack(">HHHHHH", r[:12])
    return an if rid == qid and flags & 0xF == 0 else -1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--srvd", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--dns-port", type=int, required=True)
    p.add_argument("--http-port", type=int, required=True)
    p.add_argument("--expect", nargs=2, metavar=("NAME", "COUNT"), required=True)
    p.add_argument("--timeout", type=float, default=120)
    a = p.parse_args()
    out_path = os.path.join(a.dir, "out.log")
    os.makedirs(os.path.join(a.dir, "zones"), exist_ok=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(0.05)
    sock.connect(("127.0.0.1", a.dns_port))
    with open(out_path, "w") as out, open(os.path.join(a.dir, "err.log"), "w") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen([a.srvd, "serve", "--dns", f"127.0.0.1:{a.dns_port}",
                                 "--http", f"127.0.0.1:{a.http_port}", "--data-dir", a.data,
                                 "--zones", os.path.join(a.dir, "zones")],
                                stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    with open(os.path.join(a.dir, "pid"), "w") as f:
        f.write(f"{proc.pid}\n")
    res = {"pid": proc.pid}
    want = int(a.expect[1])
    qid = 0
    while time.monotonic() - t0 < a.timeout:
        if proc.poll() is not None:
            res["error"] = f"srvd exited with {proc.returncode}"
            break
        with open(out_path) as f:
            text = f.read()
        for kind in ("dns", "http"):
            if f"listening_{kind}_s" not in res and f"listening {kind} " in text:
                res[f"listening_{kind}_s"] = round(time.monotonic() - t0, 4)
        qid = (qid + 1) & 0xFFFF
        if srv_count(sock, a.expect[0], qid) == want:
            res["first_answer_s"] = round(time.monotonic() - t0, 4)
            break
        time.sleep(0.002)
    else:
        res["error"] = f"no answer with {want} records for {a.expect[0]} in {a.timeout} s"
    # DNS may answer before the lines are printed (HTTP starts last): wait for them too
    while "error" not in res and time.monotonic() - t0 < a.timeout and not all(
            f"listening_{k}_s" in res for k in ("dns", "http")):
        with open(out_path) as f:
            text = f.read()
        for kind in ("dns", "http"):
            if f"listening_{kind}_s" not in res and f"listening {kind} " in text:
                res[f"listening_{kind}_s"] = round(time.monotonic() - t0, 4)
        time.sleep(0.001)
    time.sleep(1)
    res["rss_kib"] = proc_stats.rss_kib(proc.pid)
    res["pss_kib"] = proc_stats.pss_kib(proc.pid)
    print(json.dumps(res))
    return 0 if "error" not in res else 1


if __name__ == "__main__":
    sys.exit(main())
