#!/usr/bin/python3
"""check_same_answers.py -- do the peers serve exactly what srvd serves? (issue 6 §1)

Asks a sample of a query file of the reference server (srvd, seeded over HTTP) and of each
peer (loaded from gen_data.py's zone file) with dig, and compares, per question: the
response code, the AA flag, and the answer, authority and additional sections as sets of
records (owner, TTL, class, type, RDATA; order aside: srvd rotates its answers). Any
difference is printed, first few in full, and the exit status is 1, so run.sh stops before
it measures servers that answer different things.

  check_same_answers.py --queries queries-a.txt --reference srvd=5300 --peer knot=5301 \
                        [--peer nsd=5302 ...] [--apex-ns-extra nsd] [--sample 2000] \
                        [--label small] [--out check.jsonl]

NSD (4.6) adds the apex NS RRset to the authority section of every positive answer and the
NS's address to the additional section: a policy, not data, and one it cannot be talked out
of without losing the SRV targets' addresses too (`minimal-responses: yes` drops both).
--apex-ns-extra NAME lets peer NAME have exactly those two extra records (and nothing else
different), and says so; NSD's answers are then larger than the others', its work a little
more.

dig runs once per server, in batch mode (-f), over UDP with EDNS (1232 bytes), so that
large answers are compared whole. Stdlib only.
"""
import argparse
import json
import random
import re
import subprocess
import sys
import tempfile

SECTIONS = ("ANSWER", "AUTHORITY", "ADDITIONAL")


def ask(port, questions, host="127.0.0.1"):
    """{question: {"status", "aa", "ANSWER": set, ...}} for each question dig got an answer to"""
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as batch:
        batch.write("".join(f"{name} {qtype}\n" for name, qtype in questions))
        batch.flush()
        run = subprocess.run(["dig", f"@{host}", "-p", str(port), "+norec", "+nocookie",
                              "+time=2", "+tries=2", "+nostats", "-f", batch.name],
                             capture_output=True, text=True, check=False)
    out, cur, section = {}, None, None
    for line in run.stdout.splitlines():
        m = re.match(r";; ->>HEADER<<- opcode: \w+, status: (\w+)", line)
        if m:
            cur = {"status": m.group(1), "aa": False, **{s: set() for s in SECTIONS}}
            section = None
            continue
        if cur is None:
            continue
        if line.startswith(";; flags:"):
            cur["aa"] = " aa" in line.split(";")[2]
        elif line.startswith(";; ") and line.rstrip().endswith("SECTION:"):
            section = line[3:].split()[0]
        elif section == "QUESTION" and line.startswith(";") and not line.startswith(";;") \
                and line.strip() != ";":
            # ";;" lines here are dig's own (";; communications error ...", a timeout after an
            # answer with no other section): that question is then simply not answered.
            name, _cls, qtype = line[1:].split()[:3]
            out[(name.lower(), qtype.upper())] = cur
        elif section in SECTIONS and line.strip() and not line.startswith(";"):
            owner, ttl, cls, rtype, *rdata = line.split()
            cur[section].add(" ".join([owner.lower(), ttl, cls, rtype, *rdata]).lower())
    return out


def without_apex_ns(g, ref):
    """g less the apex NS RRset in authority and the NS's addresses in additional; and
    whether there were any. The apex and the NS name come from the reference's SOA."""
    auth = {r for r in g["AUTHORITY"] if r.split()[3] == "ns"}
    if not auth:
        return g, 0
    ns_names = {r.split()[4] for r in auth}
    addl = {r for r in g["ADDITIONAL"] if r.split()[0] in ns_names and r.split()[3] in ("a", "aaaa")}
    return {**g, "AUTHORITY": g["AUTHORITY"] - auth, "ADDITIONAL": g["ADDITIONAL"] - addl}, 1


def describe(r):
    if r is None:
        return "  (no answer)"
    lines = [f"  status {r['status']}, aa {r['aa']}"]
    for s in SECTIONS:
        lines += [f"  {s[:4].lower()} {rec}" for rec in sorted(r[s])]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--queries", required=True, help="dnsperf query file (NAME TYPE per line)")
    p.add_argument("--reference", required=True, help="NAME=PORT of srvd")
    p.add_argument("--peer", action="append", default=[], help="NAME=PORT, repeatable")
    p.add_argument("--sample", type=int, default=2000, help="distinct questions asked")
    p.add_argument("--apex-ns-extra", action="append", default=[], metavar="NAME",
                   help="peer NAME may add the apex NS (authority) and its address "
                        "(additional) to positive answers; repeatable")
    p.add_argument("--out", help="append a JSON line with the outcome here")
    p.add_argument("--label", default="", help="recorded with the outcome (e.g. the data set)")
    a = p.parse_args()

    with open(a.queries) as f:
        lines = [tuple(line.split()[:2]) for line in f if line.strip()]
    # distinct questions in the file's mix: lines in a seeded random order, repeats skipped
    random.Random(11).shuffle(lines)
    questions = list(dict.fromkeys(lines))[:a.sample]
    # every query type of the file is in the sample, whatever its size
    for qtype in sorted({q[1] for q in lines} - {q[1] for q in questions}):
        questions.append(next(q for q in lines if q[1] == qtype))
    keys = [(n.lower(), t.upper()) for n, t in questions]
    ref_name, ref_port = a.reference.split("=")
    ref = ask(int(ref_port), questions)
    failed = False
    outcome = {"label": a.label, "questions": len(keys), "reference": ref_name,
               "types": {t: sum(1 for _, q in keys if q == t) for t in sorted({q for _, q in keys})},
               "peers": {}}
    unanswered = [k for k in keys if k not in ref]
    if unanswered:
        print(f"check_same_answers: {ref_name} did not answer {len(unanswered)} of {len(keys)} "
              f"questions, e.g. {' '.join(unanswered[0])}", file=sys.stderr)
        failed = True
    for spec in a.peer:
        name, port = spec.split("=")
        got = ask(int(port), questions)

        def differ(k, r, g):
            """whether answers r and g to k differ, and whether g had the apex NS extras"""
            extra = 0
            if r is not None and g is not None and name in a.apex_ns_extra and r["ANSWER"] \
                    and not r["AUTHORITY"]:
                g, extra = without_apex_ns(g, ref)
            return (r is None or g is None or r["status"] != g["status"] or r["aa"] != g["aa"]
                    or any(r[s] != g[s] for s in SECTIONS)), extra

        diffs, extras = [], 0
        for k in keys:
            d, n = differ(k, ref.get(k), got.get(k))
            extras += n
            if d:
                diffs.append(k)
        # Asked again, of both: a difference that does not repeat was a lost or mangled
        # datagram while every server shares the machine (seen once each from Knot and
        # PowerDNS: an empty, non-authoritative answer), not a difference in what they serve.
        retried = len(diffs)
        if diffs:
            again = [questions[keys.index(k)] for k in diffs]
            ref_again, got_again = ask(int(ref_port), again), ask(int(port), again)
            diffs = [k for k in diffs if differ(k, ref_again.get(k), got_again.get(k))[0]]
            ref.update({k: ref_again[k] for k in diffs if k in ref_again})
            got.update({k: got_again[k] for k in diffs if k in got_again})
        outcome["peers"][name] = {"differ": len(diffs), "asked_again": retried,
                                  "apex_ns_extra_answers": extras}
        if diffs:
            failed = True
            print(f"check_same_answers: {name} differs from {ref_name} on {len(diffs)} of "
                  f"{len(keys)} questions; the first ones:", file=sys.stderr)
            for k in diffs[:3]:
                print(f"{' '.join(k)}\n {ref_name}:\n{describe(ref.get(k))}\n {name}:\n"
                      f"{describe(got.get(k))}", file=sys.stderr)
        else:
            print(f"check_same_answers: {name} answers as {ref_name} does on all {len(keys)} "
                  f"questions ({', '.join(f'{n} {t}' for t, n in outcome['types'].items())})"
                  + (f", but for the apex NS and its address added to {extras} positive answers"
                     if extras else ""), file=sys.stderr)
    outcome["same"] = not failed
    if a.out:
        with open(a.out, "a") as f:
            f.write(json.dumps(outcome) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
