# Answers that do not fit a UDP response: an SRV RRset too big sets TC, and the resolver's
# retry over TCP gets all of it with its glue; glue that does not fit is left out without TC.
source "$(dirname "$0")/lib.sh"
start_srvd

pad=instance-with-a-long-name # 40 SRV records of ~70 bytes: over 1232 bytes
for i in $(seq -w 1 40); do
  register big "$pad-$i" "{\"address\":\"127.0.1.$((10#$i))\",\"port\":$((8000 + 10#$i))}"
done

header() { q +noall +comments "$@" | grep -E '^;; (flags|->>HEADER)'; }
for mode in "+noedns" "+bufsize=512" "+bufsize=1232"; do
  out=$(header +ignore $mode _big._tcp.svc.internal SRV)
  [[ $out == *"flags: qr aa tc;"* ]] || fail "40 SRV records over UDP ($mode): expected flags 'qr aa tc', saw: $out"
done
# dig retries over TCP by itself when it sees TC, like any resolver.
assert_eq "SRV records after the automatic TCP retry" 40 "$(answers _big._tcp.svc.internal SRV | wc -l)"
assert_eq "SRV records over TCP" 40 "$(answers _big._tcp.svc.internal SRV +tcp | wc -l)"
assert_eq "glue records over TCP" 40 "$(q +tcp +noall +additional _big._tcp.svc.internal SRV | grep -c 'IN[[:space:]]A')"
assert_eq "flags over TCP" "qr aa" "$(flags +tcp _big._tcp.svc.internal SRV)"
assert_eq "A records of big (40 addresses, about 700 bytes) over UDP" 40 "$(answers big.svc.internal A +ignore | wc -l)"

# 7 SRV records fit in 512 bytes but their glue does not all fit: no TC, glue cut.
for i in 1 2 3 4 5 6 7; do
  register mid "name-of-twenty-char$i" "{\"address\":\"127.0.2.$i\",\"port\":900$i}"
done
out=$(header +ignore +noedns _mid._tcp.svc.internal SRV)
[[ $out == *"flags: qr aa;"* && $out == *"ANSWER: 7,"* ]] ||
  fail "7 SRV records over UDP without EDNS: expected flags 'qr aa' (no tc) and ANSWER: 7, saw: $out"
assert_eq "glue over TCP" 7 "$(q +tcp +noall +additional _mid._tcp.svc.internal SRV | grep -c 'IN[[:space:]]A')"

stop_srvd
