#!/usr/bin/python3
"""measure.py -- one dnsperf run against a running server; appends one JSON line.

Throughput (default): dnsperf as fast as it goes for --duration; records QPS, sent,
answered, lost, response codes (SERVFAIL among them), and the server's CPU seconds
(utime+stime of its whole process tree, all threads) over the run, per answered query.
Latency (--rate Q): dnsperf -Q Q -v, one line per answer, from which p50/p99/p99.9.
Also per thread of the server, its CPU seconds over the run ("server_threads", busiest
first): how the work split over its workers. With --local-port (UDP) dnsperf sends from
fixed ports (-x), so that every server of a run gets the same SO_REUSEPORT split
(reuseport_split.py).

  measure.py --server knot --pid 123 --port 5300 --queries q.txt --workload a \
             --mode pinned --round 1 --out results.jsonl [--transport tcp] [--rate 10000]
"""
import argparse
import json
import signal
import os
import re
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import proc_stats  # noqa: E402


# die of SIGINT (not a KeyboardInterrupt exit 1), so that the calling shell script stops too
signal.signal(signal.SIGINT, signal.SIG_DFL)

def percentile(sorted_values, p):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[i]


def field(text, name):
    m = re.search(rf"^\s*{re.escape(name)}\s+([0-9.]+)", text, re.M)
    return float(m.group(1)) if m else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--server", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--queries", required=True)
    p.add_argument("--workload", required=True)
    p.add_argument("--mode", required=True, help="pinned or unpinned (a label)")
    p.add_argument("--round", type=int, default=1)
    p.add_argument("--out", required=True)
    p.add_argument("--transport", default="udp", choices=["udp", "tcp"])
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--rate", type=int, help="fixed offered rate: a latency run")
    p.add_argument("--cpus", default="", help="taskset list for dnsperf, '' for none")
    p.add_argument("--threads", type=int, default=1, help="dnsperf -T")
    p.add_argument("--clients", type=int, default=4, help="dnsperf -c")
    p.add_argument("--outstanding", type=int, default=200, help="dnsperf -q")
    p.add_argument("--local-port", type=int, help="UDP: dnsperf -x, its sockets' first source "
                   "port (socket k sends from it + k); TCP ignores it (a client's ports linger "
                   "in TIME_WAIT after each run)")
    p.add_argument("--extra", default="{}", help="JSON object merged into the record")
    p.add_argument("--background", help="command run beside dnsperf (e.g. the churn client); its "
                   "last stdout line, JSON, is recorded as \"background\", with its CPU time")
    p.add_argument("--background-cpus", default="", help="taskset list for the background "
                   "command, '' for none (pinned runs: dnsperf's CPU, not the server's)")
    a = p.parse_args()

    cmd = ["dnsperf", "-s", "127.0.0.1", "-p", str(a.port), "-d", a.queries,
           "-l", str(a.duration), "-m", a.transport, "-t", "2",
           "-T", str(a.threads), "-c", str(max(a.clients, a.threads)), "-q", str(a.outstanding)]
    if a.rate:
        cmd += ["-Q", str(a.rate), "-v"]
    if a.local_port and a.transport == "udp":
        cmd += ["-x", str(a.local_port)]
    if a.cpus:
        cmd = ["taskset", "-c", a.cpus] + cmd

    bg = None
    if a.background:
        bg_cmd = shlex.split(a.background)
        if a.background_cpus:
            bg_cmd = ["taskset", "-c", a.background_cpus] + bg_cmd
        bg = subprocess.Popen(bg_cmd, stdout=subprocess.PIPE, text=True)
    cpu0 = proc_stats.cpu_seconds(a.pid)
    threads0 = proc_stats.thread_cpu(a.pid)
    t0 = time.monotonic()
    run = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - t0
    cpu = proc_stats.cpu_seconds(a.pid) - cpu0
    threads = []
    for tid, (name, sec) in proc_stats.thread_cpu(a.pid).items():
        used = sec - threads0.get(tid, (name, 0.0))[1]
        if used >= 0.01:  # one clock tick: threads that did nothing are left out
            threads.append({"tid": tid, "name": name, "cpu_s": round(used, 2)})
    threads.sort(key=lambda t: -t["cpu_s"])
    out = run.stdout
    bg_result = None
    if bg:
        bg_out = bg.stdout.read().strip().splitlines()
        _, status, usage = os.wait4(bg.pid, 0)  # its rusage: the client shares the CPUs too
        bg.returncode = os.waitstatus_to_exitcode(status)
        try:
            bg_result = json.loads(bg_out[-1])
        except (IndexError, ValueError):
            bg_result = {"error": "no JSON from the background command", "exit": bg.returncode}
        bg_result["client_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 3)
        bg_result["client_cpus"] = a.background_cpus or "any"
        bg_result["command"] = " ".join(bg_cmd)
    alive = os.path.exists(f"/proc/{a.pid}")

    rcodes = {}
    m = re.search(r"^\s*Response codes:\s+(.*)$", out, re.M)
    if m:
        for code, n in re.findall(r"([A-Z]+) (\d+) \(", m.group(1)):
            rcodes[code] = int(n)
    completed = field(out, "Queries completed:")
    rec = {
        "server": a.server, "workload": a.workload, "mode": a.mode, "round": a.round,
        "transport": a.transport, "kind": "latency" if a.rate else "throughput",
        "offered_qps": a.rate, "duration_s": a.duration, "wall_s": round(wall, 3),
        "qps": field(out, "Queries per second:"),
        "sent": int(field(out, "Queries sent:") or 0),
        "answered": int(completed or 0),
        "lost": int(field(out, "Queries lost:") or 0),
        "rcodes": rcodes, "servfail": rcodes.get("SERVFAIL", 0),
        "server_cpu_s": round(cpu, 3),
        "cpu_us_per_answer": round(cpu / completed * 1e6, 3) if completed else None,
        "server_rss_kib": proc_stats.rss_kib(a.pid),
        "server_pss_kib": proc_stats.pss_kib(a.pid),
        "server_alive": alive,
        "server_threads": threads,
        "command": " ".join(cmd),
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if a.rate:
        lat = sorted(float(x) for x in re.findall(r"^> [A-Z]+ \S+ \S+ ([0-9.]+)$", out, re.M))
        rec["latency_samples"] = len(lat)
        for name, q in (("p50_ms", 50), ("p99_ms", 99), ("p999_ms", 99.9)):
            v = percentile(lat, q)
            rec[name] = round(v * 1000, 4) if v is not None else None
    if run.returncode != 0 or completed is None:
        rec["error"] = (run.stderr or out)[-500:]
    if bg_result is not None:
        rec["background"] = bg_result
    rec.update(json.loads(a.extra))
    with open(a.out, "a") as f:
        f.write(json.dumps(rec) + "\n")
    brief = {k: rec.get(k) for k in ("server", "workload", "transport", "mode", "round", "kind",
                                      "qps", "lost", "servfail", "cpu_us_per_answer",
                                      "p50_ms", "p99_ms", "background", "error") if rec.get(k) is not None}
    print(json.dumps(brief), flush=True)
    return 0 if "error" not in rec and alive else 1


if __name__ == "__main__":
    sys.exit(main())
