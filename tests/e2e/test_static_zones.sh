# Static zones (--zones DIR): a good master file is served beside the registry, a bad one is
# reported with file and line and skipped, records inside the registry's domain are added to
# it, and SIGHUP reloads the files while queries keep being answered.
source "$(dirname "$0")/lib.sh"

ZONES=$WORK/zones
mkdir -p "$ZONES"
write_example() { # SERIAL ADDRESS
  cat >"$ZONES/example.test.zone" <<EOF
\$ORIGIN example.test.
\$TTL 300
@      IN SOA ns1 hostmaster $1 3600 600 86400 60
       IN NS  ns1
ns1    IN A   192.0.2.53
www    IN A   $2
alias  IN CNAME www
EOF
}
write_example 1 192.0.2.10
cat >"$ZONES/broken.zone" <<'EOF'
$ORIGIN broken.test.
@   IN SOA ns hostmaster 1 3600 600 86400 60
www IN A 192.0.2.300
EOF
cat >"$ZONES/extras.zone" <<'EOF'
www.svc.internal. 60 IN A 10.1.1.1
EOF

# --- an explicitly given directory that does not exist is fatal at start
if "$SRVD" serve --dns 127.0.0.1:0 --http 127.0.0.1:0 --zones "$WORK/nosuch" >"$WORK/missing.out" 2>"$WORK/missing.err"; then
  fail "expected srvd to refuse to start with --zones pointing nowhere"
fi
grep -q "nosuch: no such directory" "$WORK/missing.err" ||
  fail "expected the missing --zones directory named on stderr, got: $(cat "$WORK/missing.err")"

start_srvd --zones "$ZONES"

# --- the bad file is named with its line and ldns's reason; srvd keeps serving
grep -q "broken.zone:3: .*rdata" "$WORK/srvd.err" ||
  fail "expected 'broken.zone:3:' and the ldns error on stderr, got: $(cat "$WORK/srvd.err")"
assert_eq "a name from the bad file" "REFUSED" "$(rcode www.broken.test A)"

# --- the good file, as dig sees it
assert_eq "www.example.test A" "192.0.2.10" "$(answers www.example.test A)"
assert_eq "flags of a static answer" "qr aa" "$(flags www.example.test A)"
assert_eq "zone apex NS" "ns1.example.test." "$(answers example.test NS)"
assert_eq "zone apex SOA serial" "1" "$(answers example.test SOA | awk '{ print $3 }')"
assert_eq "CNAME" "www.example.test." "$(answers alias.example.test A)"
assert_eq "unknown name in the zone" "NXDOMAIN" "$(rcode nosuch.example.test A)"
assert_eq "NXDOMAIN carries the zone's SOA" "example.test. SOA" \
  "$(q +noall +authority nosuch.example.test A | awk '{ print $1, $4 }')"

# --- the registry still answers, and the extras file adds to its domain
register web a1 '{"address":"127.0.0.10","port":8080}'
assert_eq "registry A" "127.0.0.10" "$(answers web.svc.internal A)"
assert_eq "static record in the registry's domain" "10.1.1.1" "$(answers www.svc.internal A)"
assert_eq "registry apex NS unchanged" "ns.svc.internal." "$(answers svc.internal NS)"

# --- SIGHUP reloads, and a query loop running meanwhile sees no failure
: >"$WORK/loop.log"
(
  while [[ ! -e $WORK/loop.stop ]]; do
    out=$(dig +norec +time=2 +tries=1 +short @127.0.0.1 -p "$DNS_PORT" www.example.test A 2>&1) || out="dig failed: $out"
    echo "${out:-EMPTY}" >>"$WORK/loop.log"
  done
) &
LOOP_PID=$!
sleep 0.5
write_example 2 192.0.2.11
kill -HUP "$SRVD_PID"
for ((i = 0; i < 50; i++)); do
  [[ $(answers www.example.test A) == 192.0.2.11 ]] && break
  sleep 0.1
done
sleep 0.5
touch "$WORK/loop.stop"
wait "$LOOP_PID"
assert_eq "www.example.test A after SIGHUP" "192.0.2.11" "$(answers www.example.test A)"
assert_eq "zone SOA serial after SIGHUP" "2" "$(answers example.test SOA | awk '{ print $3 }')"
bad=$(grep -cvE '^192\.0\.2\.1[01]$' "$WORK/loop.log" || true)
total=$(wc -l <"$WORK/loop.log")
((total >= 5)) || fail "expected the query loop to run during the reload, it made $total queries"
((bad == 0)) || fail "expected every query during the reload to be answered, $bad of $total were not: $(grep -vE '^192\.0\.2\.1[01]$' "$WORK/loop.log" | head -3)"
grep -q '^192\.0\.2\.11$' "$WORK/loop.log" || fail "expected the loop to see the new address"
assert_eq "registry A after SIGHUP" "127.0.0.10" "$(answers web.svc.internal A)"
note "$total queries during the reload, all answered"

# --- fixing the bad file and reloading serves it; removing a file drops its zone
cat >"$ZONES/broken.zone" <<'EOF'
$ORIGIN broken.test.
@   IN SOA ns hostmaster 1 3600 600 86400 60
www IN A 192.0.2.30
EOF
rm "$ZONES/extras.zone"
kill -HUP "$SRVD_PID"
for ((i = 0; i < 50; i++)); do
  [[ $(answers www.broken.test A) == 192.0.2.30 ]] && break
  sleep 0.1
done
assert_eq "the fixed file after SIGHUP" "192.0.2.30" "$(answers www.broken.test A)"
assert_eq "a removed file's record after SIGHUP" "NXDOMAIN" "$(rcode www.svc.internal A)"
assert_alive "after two reloads"
stop_srvd
