# zonemaster-cli (Debian; the .SE/AFNIC zone checker) tests srvd's zone svc.internal as an
# undelegated zone (--ns ns.svc.internal/127.0.0.1), inside a network namespace since it only
# speaks to port 53: every finding at WARNING or above fails the test unless
# zonemaster_allowed.txt lists it with the reason the set-up causes it. Needs root (network
# namespaces); skipped (77) otherwise.
source "$(dirname "$0")/netns.sh"

# Inside the namespace: srvd on port 53, so its NS ns.svc.internal has the A record 127.0.0.1.
source "$(dirname "$0")/lib.sh"
ZONEMASTER=$(command -v zonemaster-cli) || fail "zonemaster-cli not found (Debian package zonemaster-cli; run scripts/setup.sh)"
start_srvd --dns 127.0.0.1:53
assert_eq "srvd's DNS port" 53 "$DNS_PORT"

# A zone with content, as in use: SRV, A, AAAA and TXT below the apex.
register payment p1 '{"address":"127.0.0.11","port":8080,"meta":{"version":"1.2"}}'
register payment p2 '{"address":"fd00::12","port":8081}'
register ledger l1 '{"address":"127.0.0.21","port":9000,"protocol":"udp"}'
serial=$HTTP_INDEX

# INFO and above: the INFO lines show that zonemaster did reach srvd and what it saw.
# (--no-ipv6: srvd listens on 127.0.0.1 only. The run takes about one second: the root
# servers it tries for the parent zone are unreachable at once from the namespace.)
"$ZONEMASTER" --ns ns.svc.internal/127.0.0.1 --no-ipv6 --json --level INFO --no-progress \
  svc.internal >"$WORK/zonemaster.json" 2>"$WORK/zonemaster.err" ||
  fail "zonemaster-cli exited $?: $(cat "$WORK/zonemaster.err")"

# Prints "unexpected LEVEL TESTCASE TAG args" per finding at WARNING or above that the
# allow-list does not cover, and "missing TAG" per INFO message expected of a working server.
$PY - "$WORK/zonemaster.json" "$E2E_DIR/zonemaster_allowed.txt" "$serial" >"$WORK/verdict" <<'EOF' ||
import json, sys
results = json.load(open(sys.argv[1]))
allowed = set()
for line in open(sys.argv[2]):
    if line.strip() and not line.startswith("#"):
        testcase, tag = line.split()[:2]
        allowed.add((testcase, tag))
for r in results:
    if r["level"] in ("WARNING", "ERROR", "CRITICAL") and (r["testcase"], r["tag"]) not in allowed:
        print("unexpected", r["level"], r["testcase"], r["tag"], json.dumps(r.get("args", {}), sort_keys=True))
seen = {(r["tag"], json.dumps(r.get("args", {}), sort_keys=True)) for r in results}
tags = {tag for tag, _ in seen}
# Proof that zonemaster spoke to srvd, over UDP and TCP (CONNECTIVITY01/02 report only
# failures), and found it authoritative, with EDNS0, keeping the query's case.
for tag in ("ARE_AUTHORITATIVE", "EDNS0_SUPPORT", "CASE_QUERIES_RESULTS_OK", "ONE_SOA_SERIAL", "NO_RECURSOR"):
    if tag not in tags:
        print("missing", tag)
if ("ONE_SOA_SERIAL", json.dumps({"serial": sys.argv[3]})) not in seen:
    print("missing ONE_SOA_SERIAL with serial", sys.argv[3], "(the X-Srvd-Index of the last write)")
EOF
  fail "could not read zonemaster's output: $(head -c 2000 "$WORK/zonemaster.json")"

if [[ -s $WORK/verdict ]]; then
  fail "zonemaster findings not in zonemaster_allowed.txt, or expected INFO messages missing (full output kept in $WORK/zonemaster.json):
$(cat "$WORK/verdict")"
fi
note "zonemaster: $($PY -c 'import collections, json, sys
c = collections.Counter(r["level"] for r in json.load(open(sys.argv[1])))
print(", ".join(f"{n} {l}" for l, n in sorted(c.items())))' "$WORK/zonemaster.json"), none outside the allow-list"

stop_srvd
