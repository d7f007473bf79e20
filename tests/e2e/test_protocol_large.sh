# A service with 500 instances: over UDP the answer is cut to whole records with TC set, and
# the records kept follow SRV priority and weight (RFC 2782) rather than list order, so across
# queries every instance gets traffic; over TCP (dig +tcp, kdig +tcp) the full set comes back.
source "$(dirname "$0")/lib.sh"
start_srvd

# 500 instances over one keep-alive HTTP connection: p000-p002 at priority 0 (preferred),
# the others at priority 10 with weights 1-5.
$PY - "$HTTP_PORT" <<'PYEOF' || fail "registering 500 instances"
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
for i in range(500):
    prio, weight = (0, 10) if i < 3 else (10, 1 + i % 5)
    body = json.dumps({"address": f"10.7.{i // 250}.{i % 250 + 1}", "port": 8000 + i,
                       "priority": prio, "weight": weight})
    c.request("PUT", f"/v1/services/big/instances/p{i:03d}", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status not in (200, 201):
        sys.exit(f"PUT p{i:03d}: HTTP {r.status}")
PYEOF

# --- UDP at 512 bytes (no EDNS) and at 1232: TC, whole records, preferred group first.
for mode in +noedns +bufsize=1232; do
  out=$(q +ignore $mode +noall +comments +answer _big._tcp.svc.internal SRV)
  [[ $out == *"flags: qr aa tc;"* ]] || fail "500 SRV over UDP ($mode): expected flags 'qr aa tc', saw: $(head -5 <<<"$out")"
  declared=$(sed -n 's/.*ANSWER: \([0-9]*\),.*/\1/p' <<<"$out")
  records=$(grep -c 'IN[[:space:]]*SRV' <<<"$out")
  assert_eq "SRV records in the cut answer ($mode) = ANSWER count (whole records)" "$declared" "$records"
  ((records >= 10)) || fail "500 SRV over UDP ($mode): expected as many records as fit, got $records"
  assert_eq "the priority-0 instances lead the cut answer ($mode)" "0 0 0" \
    "$(grep 'IN[[:space:]]*SRV' <<<"$out" | head -3 | awk '{ print $5 }' | tr '\n' ' ' | sed 's/ $//')"
done

# --- across 100 UDP queries the kept records change: far more distinct instances are seen
# than one answer holds (a cut in list or rotation order would show about 110), and the
# priority-0 group is in every answer.
args=()
for i in $(seq 100); do args+=(_big._tcp.svc.internal SRV); done
q +ignore +noedns +noall +answer "${args[@]}" >"$WORK/udp-answers"
assert_eq "priority-0 records over 100 answers" 300 "$(awk '$5 == 0' "$WORK/udp-answers" | wc -l)"
distinct=$(awk '{ print $8 }' "$WORK/udp-answers" | sort -u | wc -l)
((distinct >= 250)) || fail "100 cut UDP answers: expected at least 250 distinct instances, saw $distinct"
# Heavier weights are kept more often: weight-5 instances appear more than weight-1 ones.
counts=$(awk '$5 == 10 { n[$6]++ } END { print n[1] + 0, n[5] + 0 }' "$WORK/udp-answers")
read -r w1 w5 <<<"$counts"
((w5 > 2 * w1)) || fail "kept records by weight: expected weight 5 well above weight 1, got w1=$w1 w5=$w5"

# --- TCP: all 500 records with their glue, no TC; the same with kdig.
out=$(q +tcp +noall +comments +answer +additional _big._tcp.svc.internal SRV)
[[ $out == *"flags: qr aa;"* ]] || fail "500 SRV over TCP: expected flags 'qr aa', saw: $(head -5 <<<"$out")"
assert_eq "SRV records over TCP" 500 "$(grep -c 'IN[[:space:]]*SRV' <<<"$out")"
assert_eq "glue over TCP" 500 "$(grep -c 'IN[[:space:]]*A[[:space:]]' <<<"$out")"
assert_eq "distinct targets over TCP" 500 "$(grep 'IN[[:space:]]*SRV' <<<"$out" | awk '{ print $8 }' | sort -u | wc -l)"
assert_eq "SRV records with kdig over TCP" 500 \
  "$(kdig +tcp +norec +time=5 @127.0.0.1 -p "$DNS_PORT" +noall +answer _big._tcp.svc.internal SRV | grep -c 'IN[[:space:]]*SRV')"
# dig's own fallback: the UDP answer is truncated, dig retries over TCP and gets it all.
assert_eq "SRV records after dig's TC retry" 500 "$(answers _big._tcp.svc.internal SRV | wc -l)"
# A/AAAA of the service: 500 addresses over TCP, cut whole over UDP.
assert_eq "A records over TCP" 500 "$(answers big.svc.internal A +tcp | wc -l)"
out=$(q +ignore +noedns +noall +comments big.svc.internal A)
[[ $out == *"flags: qr aa tc;"* ]] || fail "500 A records over UDP: expected TC, saw: $(head -5 <<<"$out")"

stop_srvd
