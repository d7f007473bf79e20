# `srvd serve --services FILE`: the file's instances are registered at start (source "file")
# and again on SIGHUP, idempotently: changed entries updated, removed ones deregistered, new
# ones added, unchanged ones keep their state, HTTP registrations untouched. A bad file is
# refused as a whole with a message naming the entry; at start it is fatal.
source "$(dirname "$0")/lib.sh"
FILE=$WORK/services.json

cat >"$FILE" <<'EOF'
{"services": [
  {"name": "web", "instances": [
    {"id": "w1", "address": "127.0.0.11", "port": 8001},
    {"id": "w2", "address": "127.0.0.12", "port": 8002, "tags": ["blue"], "meta": {"v": "1"}},
    {"id": "w3", "address": "127.0.0.13", "port": 8003, "priority": 5, "weight": 7}
  ]}
]}
EOF
start_srvd --services "$FILE"

srv() { answers _web._tcp.svc.internal SRV; }
# state: the registry as the API shows it, one "id source status port" per instance.
state() {
  expect_http 200 GET /v1/services/web
  json '"\n".join(" ".join([i["id"], i["source"], i["status"], str(i["port"])]) for i in d["instances"])'
}
# hup_and_wait N: sends SIGHUP and waits (5 s at most) for the Nth services-file report.
hup_and_wait() {
  kill -HUP "$SRVD_PID"
  local i
  for ((i = 0; i < 50; i++)); do
    (($(grep -c "srvd: services file .*$FILE" "$WORK/srvd.err") >= $1)) && return
    sleep 0.1
  done
  fail "no services-file report number $1 on srvd's stderr within 5 s after SIGHUP"
}

# --- at start: all three in DNS, listed with source "file".
assert_eq "SRV at start" "1 1 8001 w1.web.svc.internal.
1 1 8002 w2.web.svc.internal.
5 7 8003 w3.web.svc.internal." "$(srv)"
assert_eq "API at start" "w1 file healthy 8001
w2 file healthy 8002
w3 file healthy 8003" "$(state)"
expect_http 200 GET /v1/services/web
assert_eq "w2's fields from the file" '[["blue"], {"v": "1"}]' \
  "$(json '[[i["tags"], i["meta"]] for i in d["instances"] if i["id"] == "w2"][0]')"

# --- an instance registered over HTTP, and one the file will take over.
register web h1 '{"address":"127.0.0.21","port":8101}'
register web w4 '{"address":"127.0.0.14","port":8004}'
expect_http 200 GET /v1/services/web
h1_before=$(json '[i for i in d["instances"] if i["id"] == "h1"][0]')
# The unchanged w1 goes into maintenance: a reload must leave that alone.
expect_http 200 PUT /v1/services/web/instances/w1/status '{"status":"maintenance","reason":"disk"}'
expect_http 200 GET /v1/services/web
w1_before=$(json '[i for i in d["instances"] if i["id"] == "w1"][0]')

# --- edit: w1 unchanged, w2 changed, w3 removed, w4 added (taking over the HTTP one), and
# w5 with an active TCP check on srvd's own HTTP port (passes at once).
cat >"$FILE" <<EOF
{"services": [
  {"name": "web", "instances": [
    {"id": "w1", "address": "127.0.0.11", "port": 8001},
    {"id": "w2", "address": "127.0.0.12", "port": 8202, "tags": ["green"], "meta": {"v": "1"}},
    {"id": "w4", "address": "127.0.0.14", "port": 8004},
    {"id": "w5", "address": "127.0.0.15", "port": 8005,
     "check": {"tcp": "127.0.0.1:$HTTP_PORT", "interval": "1s"}}
  ]}
]}
EOF
hup_and_wait 2
grep -q "services file $FILE: 4 instances (1 added, 2 updated, 1 removed, 1 unchanged)" "$WORK/srvd.err" ||
  fail "expected the reload's summary on stderr, got: $(grep 'services file' "$WORK/srvd.err")"
for ((i = 0; i < 50; i++)); do # w5 waits for its first check
  [[ $(state) == *"w5 file healthy"* ]] && break
  sleep 0.1
done
assert_eq "API after the reload" "h1 api healthy 8101
w1 file maintenance 8001
w2 file healthy 8202
w4 file healthy 8004
w5 file healthy 8005" "$(state)"
assert_eq "SRV after the reload" "1 1 8004 w4.web.svc.internal.
1 1 8005 w5.web.svc.internal.
1 1 8101 h1.web.svc.internal.
1 1 8202 w2.web.svc.internal." "$(srv)"
expect_http 200 GET /v1/services/web
assert_eq "the HTTP instance untouched" "$h1_before" "$(json '[i for i in d["instances"] if i["id"] == "h1"][0]')"
assert_eq "the unchanged entry keeps its state (maintenance, reason, index)" "$w1_before" \
  "$(json '[i for i in d["instances"] if i["id"] == "w1"][0]')"
assert_eq "w2 updated" '["green"]' "$(json '[i["tags"] for i in d["instances"] if i["id"] == "w2"][0]')"
assert_eq "w5's check from the file" "127.0.0.1:$HTTP_PORT" \
  "$(json '[i["check"]["tcp"] for i in d["instances"] if i["id"] == "w5"][0]')"

# --- the same file again: nothing changes, not even the index.
expect_http 200 GET /v1/services/web
index_before=$HTTP_INDEX
body_before=$(state)
hup_and_wait 3
grep -q "services file $FILE: 4 instances (0 added, 0 updated, 0 removed, 4 unchanged)" "$WORK/srvd.err" ||
  fail "expected an unchanged reload, got: $(grep 'services file' "$WORK/srvd.err" | tail -n 1)"
assert_eq "same file: registry" "$body_before" "$(state)"
expect_http 200 GET /v1/services/web
assert_eq "same file: X-Srvd-Index" "$index_before" "$HTTP_INDEX"

# --- bad files: refused as a whole with the entry named; nothing changes. Each bad file
# also changes a good entry first (w2's port), which must not be applied either.
n=3
bad_file() { # CONTENT EXPECTED-MESSAGE
  printf '%s\n' "$1" >"$FILE"
  n=$((n + 1))
  hup_and_wait "$n"
  grep -qF "srvd: $FILE: $2" "$WORK/srvd.err" ||
    fail "bad file: expected 'srvd: $FILE: $2' on stderr, got: $(tail -n 3 "$WORK/srvd.err")"
  grep -q "services file $FILE not reloaded" "$WORK/srvd.err" || fail "bad file: expected 'not reloaded'"
  assert_eq "bad file ($2): registry" "$body_before" "$(state)"
  expect_http 200 GET /v1/services/web
  assert_eq "bad file ($2): X-Srvd-Index" "$index_before" "$HTTP_INDEX"
  assert_alive "after a bad services file"
}
good='{"id": "w1", "address": "127.0.0.11", "port": 8001}, {"id": "w2", "address": "127.0.0.12", "port": 9999}'
bad_file "{\"services\": [{\"name\": \"web\", \"instances\": [$good, {\"id\": \"w4\", \"address\": \"127.0.0.14\", \"port\": 0}]}]}" \
  'services[0].instances[2] (web/w4): field "port" must be an integer from 1 to 65535'
bad_file "{\"services\": [{\"name\": \"web\", \"instances\": [$good, {\"id\": \"W1\", \"address\": \"127.0.0.14\", \"port\": 1}]}]}" \
  'services[0].instances[2] (web/W1): duplicate of services[0].instances[0]'
bad_file "{\"services\": [{\"name\": \"web\", \"instances\": [$good]}, {\"name\": \"bad_name\", \"instances\": [{\"id\": \"x\", \"address\": \"127.0.0.1\", \"port\": 1}]}]}" \
  "services[1].instances[0] (bad_name/x): invalid service name 'bad_name'"
bad_file "{\"services\": [{\"name\": \"web\", \"instances\": [$good, {\"id\": \"w6\", \"address\": \"127.0.0.16\", \"port\": 1, \"check\": {\"tcp\": \"127.0.0.1:1\", \"interval\": \"often\"}}]}]}" \
  'services[0].instances[2] (web/w6): field "check.interval" must be a duration'
bad_file "{\"services\": [{\"name\": \"web\", \"instances\": [$good, {\"id\": \"w6\", \"adress\": \"127.0.0.16\", \"port\": 1}]}]}" \
  'services[0].instances[2] (web/w6): unknown field "adress"'
bad_file "{\"services\": [{\"name\": \"web\", \"instances\": [$good]]}" 'invalid JSON: '
bad_file '{"instances": []}' 'expected an object {"services": [...]}'
rm "$FILE"
n=$((n + 1))
hup_and_wait "$n"
grep -qF "srvd: $FILE: cannot read: No such file or directory" "$WORK/srvd.err" || fail "missing file: expected 'cannot read'"
assert_eq "missing file: registry" "$body_before" "$(state)"
stop_srvd

# --- a bad file at start is fatal: exit 1 with the message, nothing served.
printf '%s\n' "{\"services\": [{\"name\": \"web\", \"instances\": [{\"id\": \"w1\", \"address\": \"300.1.1.1\", \"port\": 1}]}]}" >"$FILE"
rc=0
timeout 10 "$SRVD" serve --dns 127.0.0.1:0 --http 127.0.0.1:0 --services "$FILE" >"$WORK/bad.out" 2>"$WORK/bad.err" || rc=$?
assert_eq "bad file at start: exit status" 1 "$rc"
grep -qF "srvd: $FILE: services[0].instances[0] (web/w1): field \"address\"" "$WORK/bad.err" ||
  fail "bad file at start: expected the entry named on stderr, got: $(cat "$WORK/bad.err")"
[[ ! -s $WORK/bad.out ]] || fail "bad file at start: expected no 'listening' lines, got: $(cat "$WORK/bad.out")"
rm "$FILE"
rc=0
timeout 10 "$SRVD" serve --dns 127.0.0.1:0 --http 127.0.0.1:0 --services "$FILE" >"$WORK/bad.out" 2>"$WORK/bad.err" || rc=$?
assert_eq "missing file at start: exit status" 1 "$rc"
note "ok"
