#!/usr/bin/python3
"""summarize_registry.py RESULTS_DIR [--write] -- registry.sh's results as Markdown, beside
issue 6's targets; with --write appended to bench/RESULTS.md. Stdlib only."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    d = sys.argv[1].rstrip("/")
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    t = {}
    with open(os.path.join(d, "results.jsonl")) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                t[r["test"]] = r
    g = lambda test, key, default="–": t.get(test, {}).get(key, default)
    mib = lambda kib: f"{kib / 1024:.1f}" if isinstance(kib, (int, float)) else "–"
    rows = [
        (f"registrations/s over HTTP, durable (wrk, {g('register', 'connections')} conns)", f"{g('register', 'per_second')}",
         f"p50 {g('register', 'p50_ms')} ms, p99 {g('register', 'p99_ms')} ms, non-2xx {g('register', 'non_2xx')}, "
         f"server CPU {g('register', 'server_cpu_us_per_write')} µs/write",
         "≥ 20,000/s"),
        ("registration 2xx → DNS shows it", f"p50 {g('visibility', 'visible_p50_ms')} ms / p99 {g('visibility', 'visible_p99_ms')} ms",
         f"misses {g('visibility', 'misses')}, never visible {g('visibility', 'never_visible')}, "
         f"write p50 {g('visibility', 'write_p50_ms')} ms", "0 misses"),
        ("heartbeats/s (wrk, 16 conns)", f"{g('heartbeat', 'per_second')}",
         f"p99 {g('heartbeat', 'p99_ms')} ms, non-2xx {g('heartbeat', 'non_2xx')}", "–"),
        (f"{g('checks', 'checks')} HTTP checks at 1 s: CPU", f"{g('checks', 'core_fraction')} cores",
         f"target srvd {g('checks', 'target_core_fraction')} cores; svc0 healthy {g('checks', 'svc0_healthy_of_10')}/10",
         "≤ 0.25 core at 10,000"),
        (f"start-up with {g('startup', 'instances')} instances", f"{g('startup', 'first_answer_s')} s to a complete answer",
         f"`listening dns` at {g('startup', 'listening_dns_s')} s", "≤ 1 s"),
        (f"memory with {g('memory', 'instances')} instances", f"RSS {mib(g('memory', 'rss_kib'))} MiB",
         f"PSS {mib(g('memory', 'pss_kib'))} MiB; just after start-up RSS {mib(g('startup', 'rss_kib'))} MiB", "≤ 150 MiB"),
        (f"one change at {g('change_at_scale', 'instances')} instances", f"write p50 {g('change_at_scale', 'write_p50_ms')} ms / p99 {g('change_at_scale', 'write_p99_ms')} ms",
         f"visible p99 {g('change_at_scale', 'visible_p99_ms')} ms, misses {g('change_at_scale', 'misses')}", "publish ≤ 1 ms"),
        (f"DNS during those changes at {g('change_at_scale', 'dns_offered_qps')} qps", f"p99 {g('change_at_scale', 'dns_p99_ms')} ms",
         f"p50 {g('change_at_scale', 'dns_p50_ms')} ms, p99.9 {g('change_at_scale', 'dns_p999_ms')} ms, lost {g('change_at_scale', 'dns_lost')}, "
         f"SERVFAIL {g('change_at_scale', 'dns_servfail')}", "no stall"),
    ]
    seed = t.get("seed")
    md = [f"\n## {meta['start']} — `{meta['command']}` (registry, srvd only)\n",
          f"- machine: {meta['nproc']} CPUs, {meta['cpu']}, kernel {meta['kernel']}; load average before: "
          f"{meta['loadavg_before']}; {meta['srvd']}, build type {meta['srvd_build_type']}; wrk runs {meta['duration_s']} s",
          f"- raw records: `bench/results/{os.path.basename(d)}/results.jsonl`"
          + (f"; seeding the scale data dir over HTTP (Python, 8 conns): {seed['registered']:,} in {seed['seconds']} s"
             if seed else ""),
          "", "| measure | result | details | issue 6 target |", "| --- | --- | --- | --- |"]
    md += [f"| {a} | {b} | {c} | {e} |" for a, b, c, e in rows]
    text = "\n".join(md) + "\n"
    print(text)
    if "--write" in sys.argv[2:]:
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write(text)
        with open(os.path.join(d, "summary.md"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
