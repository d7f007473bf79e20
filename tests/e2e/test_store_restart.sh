# The embedded store (issue 5 §1-4): after SIGTERM and after SIGKILL, a restart on the same
# --data-dir brings back every acknowledged registration with its settings and operator status
# (maintenance stays out of DNS), nothing deleted comes back, a TTL instance gets a fresh TTL
# window (served at once although srvd was down for longer than its TTL, critical one TTL
# later), a checked instance is checked again; the change index does not go back. A missing
# data dir starts empty; random bytes, a damaged database and one from a newer version are
# refused with a message naming the file, which is left byte for byte as it was.
source "$(dirname "$0")/lib.sh"
DATA=$WORK/data
DB=$DATA/registry.db

# A check target answering GET with the status in $WORK/backend.status.
echo 200 >"$WORK/backend.status"
$PY "$E2E_DIR/clients/status_http_server.py" "$WORK" backend &
BACKEND_PID=$!
trap 'rc=$?; set +e; kill "$BACKEND_PID" 2>/dev/null; wait "$BACKEND_PID" 2>/dev/null; (exit $rc); _cleanup' EXIT
for ((i = 0; i < 100; i++)); do
  [[ -f $WORK/backend.port ]] && break
  sleep 0.05
done
BACKEND_PORT=$(cat "$WORK/backend.port")

now_ms() { date +%s%3N; }
a_of() { answers "$1.web.svc.internal" A; } # ID: its A answer
a_is() { [[ $(a_of "$1") == "$2" ]]; }         # ID EXPECTED ("" for no answer)
# srv: the SRV answer without beat, which has its own checks (a loaded machine may take its
# TTL of 3 s to get from a restart to a later assertion).
srv() { answers _web._tcp.svc.internal SRV | grep -v ' beat\.web\.' || true; }
status_of() { # ID: its status over HTTP
  http GET /v1/services/web
  json "[i[\"status\"] for i in d[\"instances\"] if i[\"id\"] == \"$1\"][0]"
}
# settings: every instance's settings as GET /v1/services shows them, without what a restart may
# rightly change (health of TTL/checked instances, check results, heartbeat and update times).
settings() {
  http GET /v1/services
  [[ $HTTP_STATUS == 200 ]] || fail "GET /v1/services: $HTTP_STATUS $HTTP_BODY"
  json '
sorted([
    {k: v for k, v in i.items()
     if k in ("service", "id", "address", "port", "protocol", "priority", "weight", "tags", "meta",
              "ttl", "deregister_after", "check", "source", "registered_at")
        or (k in ("status", "status_reason") and "ttl" not in i and "check" not in i)}
    for s in d["services"] for i in s["instances"]], key=lambda i: (i["service"], i["id"]))'
}
index() { http GET /v1/services && echo "$HTTP_INDEX"; }

# --- A registry with one of each kind.
start_srvd
register web plain '{"address":"127.0.3.1","port":8081,"priority":2,"weight":7,"tags":["a","b"],"meta":{"v":"1","team":"x y"}}'
register web maint '{"address":"127.0.3.2","port":8082}'
expect_http 200 PUT /v1/services/web/instances/maint/status '{"status":"maintenance","reason":"deploy"}'
register web beat '{"address":"127.0.3.3","port":8083,"ttl":"3s","deregister_after":"1m"}'
register web chk "{\"address\":\"127.0.3.4\",\"port\":8084,\"check\":{\"http\":\"http://127.0.0.1:$BACKEND_PORT/health\",\"interval\":\"1s\",\"timeout\":\"500ms\",\"fall\":1}}"
register web moved '{"address":"127.0.3.5","port":8085}'
register web moved '{"address":"127.0.3.6","port":9086}'
register web gone '{"address":"127.0.3.7","port":8087}'
expect_http 200 DELETE /v1/services/web/instances/gone
register dns u1 '{"address":"::1","port":5353,"protocol":"udp"}'
until_ok 3 "chk served before the restart" a_is chk 127.0.3.4
expect_http 200 PUT /v1/services/web/instances/beat/heartbeat
before=$(settings)
index_before=$(index)
srv_before=$(srv)
assert_eq "SRV before the restart" "1 1 8084 chk.web.svc.internal.
1 1 9086 moved.web.svc.internal.
2 7 8081 plain.web.svc.internal." "$srv_before"

# --- SIGTERM, down for longer than beat's TTL, restart on the same data dir.
stop_srvd
[[ -f $DB ]] || fail "no $DB after a clean stop; data dir holds: $(ls -A "$DATA")"
sleep 3.5
start_srvd
restarted=$(now_ms)
assert_eq "beat served at once after a restart although its TTL ran out while srvd was down" \
  127.0.3.3 "$(a_of beat)"
assert_eq "settings after SIGTERM and restart" "$before" "$(settings)"
assert_eq "maint still in maintenance" maintenance "$(status_of maint)"
http GET /v1/services/web
assert_eq "maint's reason kept" deploy "$(json '[i["status_reason"] for i in d["instances"] if i["id"] == "maint"][0]')"
assert_eq "maint still out of DNS" NXDOMAIN "$(rcode maint.web.svc.internal A)"
assert_eq "the deleted instance stays deleted" NXDOMAIN "$(rcode gone.web.svc.internal A)"
assert_eq "moved has its last port" 127.0.3.6 "$(a_of moved)"
assert_eq "udp instance" "1 1 5353 u1.dns.svc.internal." "$(answers _dns._udp.svc.internal SRV)"
index_after=$(index)
((index_after >= index_before)) || fail "the change index went back from $index_before to $index_after across a restart"
until_ok 3 "chk served again after the restart" a_is chk 127.0.3.4
assert_eq "SRV after the restart" "$srv_before" "$(srv)"

# The TTL window starts afresh: beat stays served for most of its 3 s, then goes critical.
until_ok 10 "beat out of DNS without heartbeats after the restart" a_is beat ""
gone=$(($(now_ms) - restarted))
# The window opened before start_srvd saw the "listening" lines, so allow some of it gone.
((gone >= 2000)) || fail "beat left DNS $gone ms after the restart: sooner than its 3 s TTL"
assert_eq "beat critical after its fresh window" critical "$(status_of beat)"
note "beat left DNS $gone ms after the restart (TTL 3 s)"
expect_http 200 PUT /v1/services/web/instances/beat/heartbeat
assert_eq "beat back with a heartbeat" 127.0.3.3 "$(a_of beat)"

# Checks resumed: chk follows its backend.
echo 503 >"$WORK/backend.status"
until_ok 4 "chk out of DNS when its backend fails after the restart" a_is chk ""
echo 200 >"$WORK/backend.status"
until_ok 4 "chk back when its backend recovers" a_is chk 127.0.3.4

# --- SIGKILL straight after acknowledged writes: each of them survives.
register web k1 '{"address":"127.0.3.11","port":8111,"meta":{"after":"kill"}}'
expect_http 200 PUT /v1/services/web/instances/plain/status '{"status":"maintenance"}'
expect_http 200 DELETE /v1/services/web/instances/moved
register dns u1 '{"address":"::2","port":5354,"protocol":"udp"}'
expect_http 200 PUT /v1/services/web/instances/beat/heartbeat
before=$(settings)
index_before=$HTTP_INDEX
kill -KILL "$SRVD_PID"
wait "$SRVD_PID" 2>/dev/null || true
SRVD_PID=
sleep 3.5
start_srvd
restarted=$(now_ms)
assert_eq "beat served at once after SIGKILL and restart" 127.0.3.3 "$(a_of beat)"
assert_eq "settings after SIGKILL and restart" "$before" "$(settings)"
assert_eq "plain in maintenance after SIGKILL" maintenance "$(status_of plain)"
until_ok 3 "chk served again after SIGKILL and restart" a_is chk 127.0.3.4
assert_eq "SRV after SIGKILL" "1 1 8084 chk.web.svc.internal.
1 1 8111 k1.web.svc.internal." "$(srv)"
assert_eq "moved deleted before SIGKILL stays deleted" NXDOMAIN "$(rcode moved.web.svc.internal A)"
assert_eq "u1 updated before SIGKILL" "1 1 5354 u1.dns.svc.internal." "$(answers _dns._udp.svc.internal SRV)"
index_after=$(index)
((index_after >= index_before)) || fail "the change index went back from $index_before to $index_after across SIGKILL"
register web k2 '{"address":"127.0.3.12","port":8112}'
((HTTP_INDEX > index_after)) || fail "a write after the restart got index $HTTP_INDEX, not above $index_after"
stop_srvd

# --- A data dir that does not exist: created, registry empty.
start_srvd --data-dir "$WORK/fresh/sub"
http GET /v1/services
assert_eq "registry from a missing data dir" '[]' "$(json '[i for s in d["services"] for i in s["instances"]]')"
register web f1 '{"address":"127.0.3.21","port":8121}'
stop_srvd
[[ -f $WORK/fresh/sub/registry.db ]] || fail "no registry.db in the data dir srvd created: $(ls -A "$WORK/fresh/sub" 2>&1)"

# refused DIR WHAT MESSAGE-REGEX: srvd must exit non-zero within 10 s without listening, with a
# message on stderr naming DIR/registry.db and matching MESSAGE-REGEX, and leave the file as it was.
refused() {
  local dir=$1 what=$2 re=$3 rc=0
  cp "$dir/registry.db" "$WORK/refused.copy"
  timeout 10 "$SRVD" serve --dns 127.0.0.1:0 --http 127.0.0.1:0 --data-dir "$dir" >"$WORK/refused.out" 2>"$WORK/refused.err" || rc=$?
  ((rc != 0)) || fail "$what: srvd started (exit 0); stdout: $(cat "$WORK/refused.out")"
  ((rc != 124)) || fail "$what: srvd still running after 10 s; stdout: $(cat "$WORK/refused.out")"
  grep -q '^listening' "$WORK/refused.out" && fail "$what: srvd listened before refusing: $(cat "$WORK/refused.out")"
  grep -qF "$dir/registry.db" "$WORK/refused.err" || fail "$what: stderr does not name $dir/registry.db: $(cat "$WORK/refused.err")"
  grep -qiE "$re" "$WORK/refused.err" || fail "$what: stderr does not say /$re/: $(cat "$WORK/refused.err")"
  cmp -s "$dir/registry.db" "$WORK/refused.copy" || fail "$what: srvd changed $dir/registry.db"
  note "$what: exit $rc: $(head -c 300 "$WORK/refused.err")"
}

# --- Random bytes.
mkdir -p "$WORK/garbage"
head -c 20000 /dev/urandom >"$WORK/garbage/registry.db"
refused "$WORK/garbage" "random bytes" '.'

# --- A valid database, damaged: every page after the first overwritten.
mkdir -p "$WORK/damaged"
cp "$WORK/fresh/sub/registry.db" "$WORK/damaged/registry.db"
sqlite3 "$WORK/damaged/registry.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
pages=$(sqlite3 "$WORK/damaged/registry.db" 'PRAGMA page_count;')
size=$(sqlite3 "$WORK/damaged/registry.db" 'PRAGMA page_size;')
((pages >= 2)) || fail "expected a database of 2 pages or more, got $pages"
rm -f "$WORK/damaged/registry.db-wal" "$WORK/damaged/registry.db-shm"
head -c $(((pages - 1) * size)) /dev/urandom | dd of="$WORK/damaged/registry.db" bs="$size" seek=1 conv=notrunc status=none
refused "$WORK/damaged" "a damaged database" 'corrupt|malformed|damaged|integrity|not a database'

# --- A sound SQLite file whose stored instance is cut in half (a bad document, not a bad page):
# found whatever the schema calls it, as the text holding "address".
mkdir -p "$WORK/baddoc"
cp "$WORK/fresh/sub/registry.db" "$WORK/baddoc/registry.db"
$PY - "$WORK/baddoc/registry.db" <<'PY' || fail "found no stored instance document to damage"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
done = 0
for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
    for col in [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]:
        done += db.execute(f'UPDATE "{table}" SET "{col}" = substr("{col}", 1, length("{col}") / 2) '
                           f'WHERE typeof("{col}") = \'text\' AND "{col}" LIKE \'%"address"%\'').rowcount
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
sys.exit(0 if done else 1)
PY
refused "$WORK/baddoc" "a stored instance cut in half" '.'

# --- From a newer srvd: user_version 99. The data dir's own database, after the runs above.
sqlite3 "$DB" 'PRAGMA user_version=99;'
refused "$DATA" "a database from a newer version" 'newer'
sqlite3 "$DB" 'PRAGMA user_version;' | grep -qx 99 || fail "user_version changed"
