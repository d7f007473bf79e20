#!/usr/bin/python3
"""summarize.py RESULTS_DIR [--write] -- medians and srvd/peer ratios of one run.sh run.

Prints, per workload / transport / mode and server: median QPS, median server CPU per
answered query (us), p50/p99 latency at the fixed offered rate, lost queries and SERVFAILs
summed over the rounds, and srvd/peer ratios (the median of the per-round ratios).
With --write also appends the same as a Markdown section to bench/RESULTS.md (with the
command, the machine and the peers' versions), draws bench/chart.svg (and a copy in
RESULTS_DIR) and redraws bench/README.md's headline (refresh_headline: this run beside the
newest written registry.sh run). Stdlib only.
"""
import json
import os
import statistics
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = ["srvd", "knot", "nsd", "pdns"]
COLORS = {"srvd": "#d62728", "knot": "#1f77b4", "nsd": "#2ca02c", "pdns": "#ff7f0e"}
WL_NAME = {"a": "(a) 1,000x3 UDP", "b": "(b) 1,000x3 TCP", "c": "(c) 10,000x10 UDP",
           "d": "(d) (a) + 1,000 changes/s"}


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, digits=1):
    if x is None:
        return "–"
    if isinstance(x, float) and abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}" if isinstance(x, float) else f"{x:,}"


def load(d):
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    recs = []
    try:
        with open(os.path.join(d, "results.jsonl")) as f:
            for line in f:
                if line.strip():
                    recs.append(json.loads(line))
    except FileNotFoundError:  # nothing measured (ROUNDS=0: the answer check only)
        pass
    return meta, recs


def summarize(recs):
    """rows[(workload, mode)][server] = dict of medians; plus per-round values for ratios"""
    by = defaultdict(lambda: defaultdict(lambda: defaultdict(list, write_us=defaultdict(list))))
    for r in recs:
        key = (r["workload"], r["mode"])
        s = by[key][r["server"]]
        if r["kind"] == "throughput":
            s["qps"].append((r["round"], r.get("qps")))
            s["cpu"].append((r["round"], r.get("cpu_us_per_answer")))
            s["lost"].append(r.get("lost", 0))
            s["servfail"].append(r.get("servfail", 0))
            s["rss"].append(r.get("server_pss_kib", r.get("server_rss_kib")))
            s["transport"] = r["transport"]
            if "error" in r or not r.get("server_alive", True):
                s["failed"].append(r["round"])
            if r.get("background"):
                b = r["background"]
                s["churn"].append(b.get("writes_per_s"))
                s["churn_errors"].append(b.get("errors", 0))
                s["churn_client"] = b.get("client", "churn.py")  # records before churn.cpp: Python
                s["churn_cpus"] = b.get("client_cpus", "1" if r["mode"] == "pinned" else "any")
                if b.get("client_cpu_s") is not None:
                    s["churn_cpu"].append(b["client_cpu_s"] / r["duration_s"])
                # what each write cost the threads beside DNS (named threads: srvd's control
                # loop keeps the binary's name, the SQLite writer is srvd-sqlite)
                for t in r.get("server_threads", []):
                    if t["name"] != "srvd-dns" and b.get("writes"):
                        s["write_us"][t["name"]].append(t["cpu_s"] * 1e6 / b["writes"])
        else:
            s["p50"].append((r["round"], r.get("p50_ms")))
            s["p99"].append((r["round"], r.get("p99_ms")))
            s["lat_lost"].append(r.get("lost", 0))
    rows = {}
    for key, servers in by.items():
        rows[key] = {}
        for name, s in servers.items():
            rows[key][name] = {
                "transport": s.get("transport", "udp"),
                "qps": med(v for _, v in s["qps"]), "cpu": med(v for _, v in s["cpu"]),
                "p50": med(v for _, v in s["p50"]), "p99": med(v for _, v in s["p99"]),
                "lost": sum(s["lost"]) + sum(s["lat_lost"]), "servfail": sum(s["servfail"]),
                "rss_mib": (med(s["rss"]) or 0) / 1024, "rounds": len(s["qps"]),
                "failed": s["failed"], "churn": med(s["churn"]),
                "churn_errors": sum(s["churn_errors"]), "churn_cpu": med(s["churn_cpu"]),
                "churn_client": s.get("churn_client"), "churn_cpus": s.get("churn_cpus"),
                "write_us": {n: med(v) for n, v in s["write_us"].items()},
                "_round": {m: dict(s[m]) for m in ("qps", "cpu", "p99")},
            }
    return rows


def ratio(srvd, peer, metric):
    """median over the rounds both ran of srvd/peer"""
    a, b = srvd["_round"][metric], peer["_round"][metric]
    rs = [a[r] / b[r] for r in a if r in b and a[r] is not None and b[r]]
    return med(rs)


def table(rows):
    lines = []
    for (wl, mode) in sorted(rows):
        servers = rows[(wl, mode)]
        names = [n for n in ORDER if n in servers] + sorted(set(servers) - set(ORDER))
        lines.append(f"\n**{WL_NAME.get(wl, wl)}, {mode}**\n")
        lines.append("| server | QPS | CPU µs/answer | p50 ms @rate | p99 ms @rate | lost | SERVFAIL "
                     "| PSS MiB | srvd/peer QPS | srvd/peer CPU | srvd/peer p99 |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        srvd = servers.get("srvd")
        for n in names:
            s = servers[n]
            rq = rc = rp = None
            if srvd and n != "srvd":
                rq, rc, rp = ratio(srvd, s, "qps"), ratio(srvd, s, "cpu"), ratio(srvd, s, "p99")
            note = f" (failed in round {s['failed']})" if s["failed"] else ""
            lines.append(f"| {n}{note} | {fmt(s['qps'], 0)} | {fmt(s['cpu'], 2)} | {fmt(s['p50'], 3)} "
                         f"| {fmt(s['p99'], 3)} | {s['lost']:,} | {s['servfail']:,} | {fmt(s['rss_mib'], 1)} "
                         f"| {fmt(rq, 2)} | {fmt(rc, 2)} | {fmt(rp, 2)} |")
        if wl == "d" and srvd:
            a = rows.get(("a", mode), {}).get("srvd")
            keep = srvd["qps"] / a["qps"] if a and a["qps"] and srvd["qps"] else None
            lines.append(f"\nsrvd under churn: {fmt(srvd['churn'], 0)} writes/s achieved "
                         f"({srvd['churn_errors']} failed writes); QPS kept vs (a): "
                         f"{fmt(keep * 100 if keep else None, 1)}% (target ≥ 90%, 0 SERVFAIL, 0 lost). "
                         f"The churn client ({srvd['churn_client']}) itself used "
                         f"{fmt(srvd['churn_cpu'] * 100 if srvd['churn_cpu'] else None, 1)}% of a core"
                         + (f", on CPU {srvd['churn_cpus']} beside dnsperf" if srvd['churn_cpus'] not in (None, 'any')
                            else ", unpinned") + ".")
            if srvd["write_us"]:
                lines.append("CPU per write beside the DNS threads: " + ", ".join(
                    f"{n} {fmt(v, 0)} µs" for n, v in sorted(srvd["write_us"].items())) + ".")
    return "\n".join(lines)


def nice(v):
    """the smallest 1/2/2.5/5 x 10^k at or above v, for round axis ticks"""
    k = 10 ** (len(str(int(v))) - 1) if v >= 1 else 0.1
    for m in (1, 2, 2.5, 4, 5, 8, 10):
        if m * k >= v:
            return m * k
    return v


def svg_chart(rows, title):
    """two panels of grouped bars: median QPS, and median CPU µs per answer"""
    groups = sorted(rows)
    servers = [n for n in ORDER if any(n in rows[g] for g in groups)]
    bw, gap, left, panel_h, top = 14, 18, 70, 220, 60
    gw = bw * len(servers) + gap
    width = max(left + gw * len(groups) + 20, 600)
    height = top + 2 * (panel_h + 70) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">{title}</text>']
    for i, n in enumerate(servers):
        out.append(f'<rect x="{left + i * 70}" y="32" width="10" height="10" fill="{COLORS.get(n, "#888")}"/>'
                   f'<text x="{left + 14 + i * 70}" y="41">{n}</text>')
    for p, (metric, label) in enumerate((("qps", "QPS (median)"), ("cpu", "server CPU µs per answer (median)"))):
        y0 = top + 20 + p * (panel_h + 70)
        vals = [rows[g][n][metric] for g in groups for n in servers if n in rows[g] and rows[g][n][metric]]
        vmax = nice(max(vals)) if vals else 1
        out.append(f'<text x="{left}" y="{y0 - 6}" font-weight="bold">{label}</text>')
        out.append(f'<line x1="{left}" y1="{y0 + panel_h}" x2="{width - 10}" y2="{y0 + panel_h}" stroke="#333"/>')
        for t in range(5):
            v = vmax * t / 4
            y = y0 + panel_h - panel_h * t / 4
            out.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#ddd"/>'
                       f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:,.0f}</text>'
                       if metric == "qps" else
                       f'<line x1="{left - 4}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#ddd"/>'
                       f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.1f}</text>')
        for gi, g in enumerate(groups):
            x0 = left + gi * gw + gap / 2
            for si, n in enumerate(servers):
                v = rows[g].get(n, {}).get(metric)
                if not v:
                    continue
                h = panel_h * v / vmax
                out.append(f'<rect x="{x0 + si * bw:.1f}" y="{y0 + panel_h - h:.1f}" width="{bw - 2}" '
                           f'height="{h:.1f}" fill="{COLORS.get(n, "#888")}"><title>{n} {g[0]} {g[1]}: '
                           f'{v:,.2f}</title></rect>')
            out.append(f'<text x="{x0 + gw / 2 - gap / 2:.1f}" y="{y0 + panel_h + 14}" text-anchor="middle">'
                       f'({g[0]}) {"TCP" if g[0] == "b" else "UDP"}</text>'
                       f'<text x="{x0 + gw / 2 - gap / 2:.1f}" y="{y0 + panel_h + 27}" text-anchor="middle">{g[1]}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def headline(rows, meta):
    """README.md's DNS headline: the command, the machine, the versions, and per workload and
    mode each server's medians (QPS, CPU per answer, p99 at the fixed rate) and srvd's ratios"""
    servers = [n for n in ORDER if any(n in r for r in rows.values())]
    peers = [n for n in servers if n != "srvd"]
    versions = "; ".join(f"{k}: {v}" for k, v in meta.get("versions", {}).items())
    lines = [f"DNS: `{meta['command']}` of {meta['start']} on {meta['nproc']} CPUs ({meta['cpu']}, kernel "
             f"{meta['kernel']}), medians of {meta['rounds']} round(s); srvd build type "
             f"{meta.get('srvd_build_type')}; details in [RESULTS.md](RESULTS.md).", "",
             f"Versions: {versions}.", "",
             f"Each cell: QPS / server CPU µs per answer / p99 ms at {meta['rate']:,} qps offered "
             "(a, b). Ratios: srvd ÷ peer, medians of the per-round ratios (QPS: higher is better "
             "for srvd; CPU: lower).", "",
             "| workload | mode | " + " | ".join(servers) + (" | srvd ÷ peer: QPS, CPU |" if peers and "srvd" in servers else " |"),
             "| --- | --- | " + " | ".join("---:" for _ in servers) + (" | --- |" if peers and "srvd" in servers else " |")]
    for (wl, mode) in sorted(rows):
        cells = []
        for n in servers:
            r = rows[(wl, mode)].get(n)
            cells.append(f"{fmt(r['qps'], 0)} / {fmt(r['cpu'], 2)} / {fmt(r['p99'], 3)}" if r else "–")
        line = f"| {WL_NAME.get(wl, wl)} | {mode} | " + " | ".join(cells) + " |"
        srvd = rows[(wl, mode)].get("srvd")
        if peers and "srvd" in servers:
            ratios = [f"{n} {fmt(ratio(srvd, rows[(wl, mode)][n], 'qps'), 2)}, {fmt(ratio(srvd, rows[(wl, mode)][n], 'cpu'), 2)}"
                      for n in peers if srvd and n in rows[(wl, mode)]]
            line += f" {'; '.join(ratios) or '–'} |"
        lines.append(line)
    if ("d", "pinned") in rows or ("d", "unpinned") in rows:
        keep = []
        for mode in ("pinned", "unpinned"):
            d, a = rows.get(("d", mode), {}).get("srvd"), rows.get(("a", mode), {}).get("srvd")
            if d and a and d["qps"] and a["qps"]:
                cpu = d["churn_cpu"] * 100 if d["churn_cpu"] is not None else None
                keep.append(f"{mode} {d['qps'] / a['qps'] * 100:.1f}% ({d['lost']} lost, {d['servfail']} SERVFAIL, "
                            f"{fmt(d['churn'], 0)} writes/s; the client {fmt(cpu, 1)}% of a core"
                            f"{' on CPU ' + d['churn_cpus'] if d['churn_cpus'] not in (None, 'any') else ''})")
        if keep:
            lines += ["", f"(d): srvd keeps of its (a) QPS under churn: {'; '.join(keep)}."]
    lines += ["", "![srvd beside Knot, NSD and PowerDNS: QPS and CPU per answer](chart.svg)"]
    return "\n".join(lines)


def latest_written(registry):
    """the newest bench/results/ run that was written (--write leaves a summary.md there)"""
    base = os.path.join(HERE, "results")
    try:
        names = sorted(os.listdir(base), reverse=True)
    except OSError:
        return None
    for n in names:
        if n.endswith("-registry") == registry and os.path.exists(os.path.join(base, n, "summary.md")):
            return os.path.join(base, n)
    return None


def refresh_headline(dns_dir=None, registry_dir=None):
    """README.md's headline from the newest written run.sh and registry.sh runs (or the given
    ones): generated, never edited by hand"""
    dns_dir = dns_dir or latest_written(False)
    registry_dir = registry_dir or latest_written(True)
    parts = []
    if dns_dir:
        meta, recs = load(dns_dir)
        parts.append(headline(summarize(recs), meta))
    if registry_dir:
        sys.path.insert(0, HERE)
        import summarize_registry  # noqa: E402 (a sibling script)
        parts.append(summarize_registry.headline(registry_dir))
    if parts:
        update_readme("\n\n".join(parts))


def update_readme(text):
    """the headline between the markers of bench/README.md and of the project's README.md
    (issue 6 §5), whose links point into bench/"""
    start, end = "<!-- headline:start -->", "<!-- headline:end -->"
    top = text.replace("](chart.svg)", "](bench/chart.svg)").replace("](RESULTS.md)", "](bench/RESULTS.md)")
    for path, body in ((os.path.join(HERE, "README.md"), text),
                       (os.path.join(HERE, os.pardir, "README.md"), top)):
        try:
            with open(path) as f:
                readme = f.read()
        except OSError:
            continue
        if start in readme and end in readme:
            head, rest = readme.split(start, 1)
            _, tail = rest.split(end, 1)
            with open(path, "w") as f:
                f.write(f"{head}{start}\n{body}\n{end}{tail}")


def check_line(d):
    """what check_same_answers.py found before the run (check.jsonl)"""
    try:
        with open(os.path.join(d, "check.jsonl")) as f:
            checks = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        return "not checked (one server, or a run before check_same_answers.py)"
    out = []
    for c in checks:
        peers = ", ".join(f"{n}" + (f" (+ apex NS and its address on {p['apex_ns_extra_answers']} positive answers)"
                                    if p.get("apex_ns_extra_answers") else "") for n, p in c["peers"].items())
        out.append(f"{c.get('label') or 'data'}: {c['questions']:,} distinct questions "
                   f"({', '.join(f'{n} {t}' for t, n in c['types'].items())}) answered alike by "
                   f"{c['reference']} and {peers}" if c["same"] else f"{c.get('label')}: DIFFERENT")
    return "; ".join(out)


def split_line(meta, recs):
    """the SO_REUSEPORT split of the unpinned UDP runs: dnsperf's sockets per worker (the same
    for every server: reuseport_split.py) and, per server, its busiest threads' shares of its
    CPU in (a) unpinned throughput, medians over the rounds (NSD shares one socket: no split)"""
    if "reuseport_split" not in meta:
        return "not fixed (a run before reuseport_split.py: each dnsperf process drew its own)"
    workers = meta["nproc"]
    shares = defaultdict(list)
    for r in recs:
        if (r["workload"], r["mode"], r["kind"]) != ("a", "unpinned", "throughput"):
            continue
        cpu = [t["cpu_s"] for t in r.get("server_threads", [])]
        if sum(cpu) > 0:
            shares[r["server"]].append([100 * c / sum(cpu) for c in cpu[:workers]])
    per = [f"{s} " + "/".join(f"{med(col):.0f}" for col in zip(*shares[s]))
           for s in ORDER if shares.get(s)]
    return (f"server port {meta['server_port']}, dnsperf -x {meta['dnsperf_local_port']}: dnsperf's UDP "
            f"sockets per worker {meta['reuseport_split']}; busiest threads' % of the server's CPU "
            f"in (a) unpinned: {', '.join(per) or '–'}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    d = sys.argv[1].rstrip("/")
    write = "--write" in sys.argv[2:]
    meta, recs = load(d)
    rows = summarize(recs)
    versions = ", ".join(f"{k}: {v}" for k, v in meta.get("versions", {}).items())
    seeds = []
    for name in ("seed-small.json", "seed-big.json"):
        try:
            with open(os.path.join(d, name)) as f:
                s = json.load(f)
            seeds.append(f"{s['registered']:,} instances registered over HTTP in {s['seconds']} s "
                         f"({s['per_second']:,.0f}/s)")
        except (OSError, ValueError, KeyError):
            pass
    md = [f"\n## {meta['start']} — `{meta['command']}`\n",
          f"- machine: {meta['nproc']} CPUs, {meta['cpu']}, kernel {meta['kernel']}; load average "
          f"before: {meta['loadavg_before']}; servers and dnsperf share it (pinned: server on CPU 0 "
          f"with one worker, dnsperf and (d)'s churn client on CPU 1; unpinned: {meta['nproc']} workers, dnsperf -T {meta['nproc']})",
          f"- versions: {versions}; srvd build type {meta.get('srvd_build_type')}",
          f"- {meta['rounds']} round(s), servers alternating; {meta['duration_s']} s per throughput run, "
          f"{meta['latency_duration_s']} s per latency run at {meta['rate']:,} qps offered; "
          f"(d) churn {meta['churn_rate']:,} writes/s",
          f"- same answers: {check_line(d)}",
          f"- unpinned UDP split: {split_line(meta, recs)}",
          f"- srvd seeding: {'; '.join(seeds) or '–'}",
          f"- raw records: `bench/results/{os.path.basename(d)}/results.jsonl`; medians over rounds, "
          f"ratios are medians of per-round srvd/peer ratios (CPU and p99: lower is better for srvd)",
          table(rows), "\n![chart](chart.svg)\n"]
    text = "\n".join(md)
    print(text)
    if write:
        svg = svg_chart(rows, f"srvd vs peers — {meta['start']} ({meta['command']})")
        for path in (os.path.join(HERE, "chart.svg"), os.path.join(d, "chart.svg")):
            with open(path, "w") as f:
                f.write(svg)
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write(text)
        with open(os.path.join(d, "summary.md"), "w") as f:
            f.write(text)
        refresh_headline(dns_dir=d)
        print(f"\nappended to {os.path.join(HERE, 'RESULTS.md')}; chart in {os.path.join(HERE, 'chart.svg')}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
