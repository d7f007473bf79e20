#!/usr/bin/python3
"""summarize_registry.py RESULTS_DIR [--write] -- registry.sh's results as Markdown, beside
issue 6's targets; with --write appended to bench/RESULTS.md, and bench/README.md's headline
redrawn (summarize.py's refresh_headline: the newest written DNS run and this). Stdlib only."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load(d):
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    t = {}
    with open(os.path.join(d, "results.jsonl")) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                t[r["test"]] = r
    return meta, t


def num(v, digits=0):
    return f"{v:,.{digits}f}" if isinstance(v, (int, float)) else "–"


def headline(d):
    """the registry's few numbers for README.md's headline, beside issue 6's targets"""
    meta, t = load(d)
    g = lambda test, key: t.get(test, {}).get(key)
    rss = g("memory", "rss_kib")
    rows = [
        (f"registrations/s over HTTP, durable (wrk, {num(g('register', 'connections'))} conns)", num(g("register", "per_second")), "≥ 20,000"),
        ("registration 2xx → visible in DNS, p99", f"{num(g('visibility', 'visible_p99_ms'), 3)} ms "
         f"({num(g('visibility', 'misses'))} misses)", "0 misses"),
        (f"{num(g('checks', 'checks'))} HTTP checks at 1 s", f"{num(g('checks', 'core_fraction'), 3)} of a core",
         "≤ 0.25 at 10,000"),
        (f"start-up with {num(g('startup', 'instances'))} instances", f"{num(g('startup', 'first_answer_s'), 2)} s",
         "≤ 1 s"),
        (f"RSS with {num(g('memory', 'instances'))} instances", f"{num(rss / 1024 if rss else None, 1)} MiB",
         "≤ 150 MiB"),
        (f"one change at {num(g('change_at_scale', 'instances'))} instances: publish mean / write p99 / visible p99",
         f"{num(g('change_at_scale', 'publish_mean_ms'), 3)} / {num(g('change_at_scale', 'write_p99_ms'), 2)} / "
         f"{num(g('change_at_scale', 'visible_p99_ms'), 2)} ms",
         "publish ≤ 1 ms"),
        ("DNS p99 meanwhile at "
         f"{num(g('change_at_scale', 'dns_offered_qps'))} qps", f"{num(g('change_at_scale', 'dns_p99_ms'), 2)} ms "
         f"({num(g('change_at_scale', 'dns_lost'))} lost)", "no stall"),
    ]
    lines = [f"Registry (srvd only): `{meta['command']}` of {meta['start']} ({meta['nproc']} CPUs, "
             f"{meta['cpu']}; {meta['srvd']}, {meta['srvd_build_type']}):", "",
             "| measure | srvd | issue 6 target |", "| --- | ---: | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main():
    d = sys.argv[1].rstrip("/")
    meta, t = load(d)
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
        (f"one change at {g('change_at_scale', 'instances')} instances", f"publish mean {g('change_at_scale', 'publish_mean_ms')} ms "
         f"({g('change_at_scale', 'publishes')} publishes, srvd's /metrics)",
         f"write p50 {g('change_at_scale', 'write_p50_ms')} ms / p99 {g('change_at_scale', 'write_p99_ms')} ms, "
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
        sys.path.insert(0, HERE)
        import summarize  # noqa: E402 (a sibling script)
        summarize.refresh_headline(registry_dir=d)


if __name__ == "__main__":
    main()
