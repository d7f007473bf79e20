# The embedded store on a full disk (issue 5 §1, "nothing acknowledged is lost"; DESIGN "an
# error changes nothing"): a write that cannot be made durable gets a 5xx with a JSON error, is
# neither served in DNS nor listed, and is not there after a restart; with space again, writes
# succeed and every acknowledged one survives SIGKILL. A services file refused on the full disk
# is applied again by itself once there is room. The data dir is a 2 MiB tmpfs, so this
# needs root (mount); it exits 77 otherwise.
source "$(dirname "$0")/lib.sh"

skip() {
  echo "SKIP [$TEST_NAME]: $*" >&2
  trap - EXIT
  rm -rf "$WORK"
  exit 77
}
[[ $(id -u) == 0 ]] || skip "needs root to mount a small tmpfs as the data dir"
SMALL=$WORK/small
mkdir -p "$SMALL"
mount -t tmpfs -o size=2m tmpfs "$SMALL" 2>/dev/null || skip "cannot mount a tmpfs here"
_unmount() {
  local rc=$?
  set +e
  if [[ -n $SRVD_PID ]]; then
    kill -TERM "$SRVD_PID" 2>/dev/null
    wait "$SRVD_PID" 2>/dev/null
    SRVD_PID=
  fi
  umount "$SMALL" 2>/dev/null || umount -l "$SMALL"
  (exit "$rc")
  _cleanup
}
trap _unmount EXIT

# body ADDRESS N: an instance document with N meta entries and N tags of 240 bytes each (each
# must fit in a TXT string; 64 at most): about N * 0.5 KB.
body() {
  $PY -c 'import json, sys
n = int(sys.argv[2])
print(json.dumps({"address": sys.argv[1], "port": 8080,
                  "meta": {f"k{i}": "x" * 236 for i in range(n)},
                  "tags": [f"t{i}-" + "y" * 230 for i in range(n)]}))' "$1" "$2"
}
listed() { # IDS: the ids GET /v1/services/web lists, sorted, one line
  http GET /v1/services/web
  json 'sorted(i["id"] for i in d["instances"])'
}
sigkill_restart() {
  kill -KILL "$SRVD_PID"
  wait "$SRVD_PID" 2>/dev/null || true
  SRVD_PID=
  start_srvd --data-dir "$SMALL/data"
}

start_srvd --data-dir "$SMALL/data"
register web ok1 '{"address":"127.0.4.1","port":8080}'
register web big1 "$(body 127.0.4.2 8)"

# --- Fill the file system, then a write needing more room than the WAL already holds.
note "data dir before filling: $(ls -l "$SMALL/data" | tail -n +2 | awk '{ printf "%s %s, ", $9, $5 }')"
dd if=/dev/zero of="$SMALL/fill" bs=64k 2>/dev/null || true
note "free on the data dir's file system: $(df -k --output=avail "$SMALL" | tail -n 1 | tr -d ' ') KiB"
http PUT /v1/services/web/instances/big2 "$(body 127.0.4.3 64)"
[[ $HTTP_STATUS == 5* ]] || fail "PUT big2 on a full disk: expected a 5xx, got $HTTP_STATUS: $HTTP_BODY"
json 'd["error"]' | grep -q . || fail "PUT big2 on a full disk: no JSON error: $HTTP_BODY"
note "PUT on a full disk: $HTTP_STATUS $HTTP_BODY"
assert_eq "big2 (refused on a full disk) in DNS" "" "$(answers big2.web.svc.internal A)"
assert_eq "instances listed after the refused write" '["big1", "ok1"]' "$(listed)"
assert_eq "ok1 still served on a full disk" 127.0.4.1 "$(answers ok1.web.svc.internal A)"

# --- Space again: the refused write did not happen; new writes work and survive SIGKILL.
rm -f "$SMALL/fill"
sigkill_restart
assert_eq "instances after freeing space and a restart" '["big1", "ok1"]' "$(listed)"
register web big2 "$(body 127.0.4.3 64)"
expect_http 200 DELETE /v1/services/web/instances/ok1
assert_eq "big2 served once there is space" 127.0.4.3 "$(answers big2.web.svc.internal A)"
sigkill_restart
assert_eq "instances after SIGKILL" '["big1", "big2"]' "$(listed)"
http GET /v1/services/web
assert_eq "big2's meta and tags kept whole" "[64, 64]" "$(json '[[len(i["meta"]), len(i["tags"])] for i in d["instances"] if i["id"] == "big2"][0]')"
stop_srvd

# --- A services file the full disk refuses (on SIGHUP) is applied again by itself once there
# is room, and is then durable.
FILE=$WORK/services.json
echo '{"services": [{"name": "file", "instances": [{"id": "s1", "address": "127.0.4.5", "port": 8080}]}]}' >"$FILE"
start_srvd --data-dir "$SMALL/data" --services "$FILE"
assert_eq "s1 from the services file" 127.0.4.5 "$(answers s1.file.svc.internal A)"
dd if=/dev/zero of="$SMALL/fill" bs=64k 2>/dev/null || true
$PY -c 'import json, sys
big = json.loads(sys.argv[1])
big.update(id="s2")
print(json.dumps({"services": [{"name": "file", "instances": [
    {"id": "s1", "address": "127.0.4.5", "port": 8080}, big]}]}))' "$(body 127.0.4.6 64)" >"$FILE"
kill -HUP "$SRVD_PID"
refused() { grep -q "services file $FILE: not kept by the store" "$WORK/srvd.err"; }
until_ok 5 "srvd reports that the store refused the reloaded services file" refused
assert_eq "s2 (refused on a full disk) in DNS" "" "$(answers s2.file.svc.internal A)"
rm -f "$SMALL/fill"
s2_served() { [[ $(answers s2.file.svc.internal A) == 127.0.4.6 ]]; }
until_ok 10 "s2 served once there is room, with no SIGHUP" s2_served
sigkill_restart
assert_eq "s2 after SIGKILL" 127.0.4.6 "$(answers s2.file.svc.internal A)"
stop_srvd
