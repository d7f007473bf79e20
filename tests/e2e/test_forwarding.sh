# Forwarding (--upstream): names outside every zone go to the upstream over UDP (and over TCP
# when its UDP answer is cut and the client came over TCP); the answer comes back with the
# client's ID, RA set and the question as asked; an upstream that never answers gives
# SERVFAIL, the next upstream is tried on a timeout, and without --upstream it is REFUSED.
# The upstream is a second srvd serving a static zone on loopback.
source "$(dirname "$0")/lib.sh"

UP_PID='' SILENT_PID=''
trap 'rc=$?; set +e; kill $UP_PID $SILENT_PID 2>/dev/null || true; (exit $rc); _cleanup' EXIT

# --- the upstream: srvd with a zone example.test, one RRset too big for UDP
mkdir -p "$WORK/up-zones"
{
  echo '$ORIGIN example.test.'
  echo '$TTL 300'
  echo '@   IN SOA ns hostmaster 1 3600 600 86400 60'
  echo '    IN NS  ns'
  echo 'ns  IN A   192.0.2.53'
  echo 'www IN A   192.0.2.10'
  for i in $(seq 1 60); do echo "big IN TXT \"record $i of a set that only fits over TCP\""; done
} >"$WORK/up-zones/example.test.zone"
: >"$WORK/up.out" # created here: the background job opens it only when it gets to run
: >"$WORK/silent.out"
"$SRVD" serve --dns 127.0.0.1:0 --http 127.0.0.1:0 --zones "$WORK/up-zones" >"$WORK/up.out" 2>"$WORK/up.err" &
UP_PID=$!
for ((i = 0; i < 100; i++)); do
  UP_PORT=$(sed -n 's/^listening dns 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$WORK/up.out")
  [[ -n $UP_PORT ]] && break
  sleep 0.1
done
[[ -n $UP_PORT ]] || fail "the upstream srvd did not start: $(cat "$WORK/up.err")"

# --- an upstream that never answers: a bound UDP socket that reads and ignores
$PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
while True:
    s.recv(65535)' >"$WORK/silent.out" &
SILENT_PID=$!
for ((i = 0; i < 100; i++)); do
  SILENT_PORT=$(cat "$WORK/silent.out")
  [[ -n $SILENT_PORT ]] && break
  sleep 0.1
done
[[ -n $SILENT_PORT ]] || fail "the silent upstream did not start"

# fq [dig args...]: a query with recursion desired, as a stub resolver sends it.
fq() { dig +time=5 +tries=1 @127.0.0.1 -p "$DNS_PORT" "$@"; }
status() { sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
hflags() { sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p'; }

# --- without --upstream: REFUSED (the upstream itself has none)
assert_eq "outside every zone without --upstream" "REFUSED" \
  "$(dig +time=3 +tries=1 @127.0.0.1 -p "$UP_PORT" +noall +comments www.example.org A | status)"

start_srvd --upstream "127.0.0.1:$UP_PORT"

# --- UDP
out=$(fq +noall +comments +question +answer WwW.Example.TEST A)
assert_eq "forwarded over UDP: status" "NOERROR" "$(status <<<"$out")"
[[ " $(hflags <<<"$out") " == *" ra "* ]] || fail "forwarded over UDP: expected RA set, flags: $(hflags <<<"$out")"
assert_eq "forwarded over UDP: answer" "192.0.2.10" "$(grep -v '^;' <<<"$out" | awk 'NF { print $5 }')"
assert_eq "forwarded over UDP: the question as asked" ";WwW.Example.TEST. IN A" \
  "$(grep '^;WwW' <<<"$out" | awk '{ print $1, $2, $3 }')"
assert_eq "forwarded NXDOMAIN" "NXDOMAIN" "$(fq +noall +comments nosuch.example.test A | status)"

# --- TCP, and the TCP retry upstream when the UDP answer is truncated
out=$(fq +tcp +noall +comments +answer www.example.test A)
assert_eq "forwarded over TCP: status" "NOERROR" "$(status <<<"$out")"
[[ " $(hflags <<<"$out") " == *" ra "* ]] || fail "forwarded over TCP: expected RA set, flags: $(hflags <<<"$out")"
assert_eq "forwarded over TCP: answer" "192.0.2.10" "$(grep -v '^;' <<<"$out" | awk 'NF { print $5 }')"
out=$(fq +tcp +noall +comments +answer big.example.test TXT)
assert_eq "big RRset over TCP: records" "60" "$(grep -c 'IN.TXT' <<<"$out")"
[[ " $(hflags <<<"$out") " != *" tc "* ]] || fail "big RRset over TCP: expected TC clear"
out=$(fq +ignore +noedns +noall +comments big.example.test TXT)
[[ " $(hflags <<<"$out") " == *" tc "* ]] || fail "big RRset over UDP: expected TC relayed, flags: $(hflags <<<"$out")"

# --- our own zone is still ours: AA, no RA
assert_eq "registry apex flags with --upstream" "qr aa rd" "$(fq +noall +comments svc.internal SOA | hflags)"
stop_srvd

# --- an upstream that never answers: SERVFAIL over UDP and TCP, not silence
start_srvd --upstream "127.0.0.1:$SILENT_PORT"
for t in +notcp +tcp; do
  out=$(fq "$t" +noall +comments www.example.test A) || fail "silent upstream ($t): dig got no answer: $out"
  assert_eq "silent upstream ($t): status" "SERVFAIL" "$(status <<<"$out")"
  [[ " $(hflags <<<"$out") " == *" ra "* ]] || fail "silent upstream ($t): expected RA set"
done
stop_srvd

# --- the next upstream is tried when the first one times out
start_srvd --upstream "127.0.0.1:$SILENT_PORT,127.0.0.1:$UP_PORT"
out=$(fq +noall +comments +answer www.example.test A)
assert_eq "second upstream: status" "NOERROR" "$(status <<<"$out")"
assert_eq "second upstream: answer" "192.0.2.10" "$(grep -v '^;' <<<"$out" | awk 'NF { print $5 }')"
stop_srvd
