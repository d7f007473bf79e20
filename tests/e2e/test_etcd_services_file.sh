# `--services FILE` with `--etcd` when etcd cannot be reached: srvd starts and serves DNS, the
# store refuses the file's instances (reported on stderr), and once etcd is up they are applied
# again by themselves -- in this replica's DNS and in etcd, so another replica serves them too,
# with no SIGHUP. The same for a SIGHUP while etcd is down.
source "$(dirname "$0")/etcd.sh"
FILE=$WORK/services.json

write_file() { # ID...: one instance of service "web" per id, fN at 127.0.2.N:900N
  local id sep='' entries=''
  for id in "$@"; do
    entries+="$sep{\"id\": \"$id\", \"address\": \"127.0.2.${id#f}\", \"port\": 900${id#f}}"
    sep=', '
  done
  echo "{\"services\": [{\"name\": \"web\", \"instances\": [$entries]}]}" >"$FILE"
}
refusals() { grep -c "services file $FILE: not kept by the store" "$WORK/A.err" || true; }
in_etcd() { [[ -n $(ectl get "/srvd/services/web/$1" --print-value-only) ]]; }

etcd_plan 1 # nothing listens on its port yet
write_file f1 f2
start_replica A --etcd "$ETCD_ENDPOINTS" --services "$FILE"
until_ok 10 "A reports that the store refused the services file" test "$(refusals)" -ge 1
assert_eq "f1 in A's DNS while etcd is down" "" "$(a_on A f1.web.svc.internal)"

etcd_start 1
etcd_wait 1
until_ok 30 "f1 in A's DNS after etcd came up" a_is A f1.web.svc.internal 127.0.2.1
until_ok 5 "f2 in A's DNS" a_is A f2.web.svc.internal 127.0.2.2
until_ok 5 "f1 in etcd" in_etcd f1
start_replica B --etcd "$ETCD_ENDPOINTS"
until_ok 5 "f2 in B's DNS (from etcd)" a_is B f2.web.svc.internal 127.0.2.2

# --- SIGHUP while etcd is down: the new entry is refused, and applied once etcd is back.
etcd_kill 1
write_file f1 f2 f3
before=$(refusals)
kill -HUP "$A_PID"
until_ok 15 "A reports that the store refused the reloaded file" test "$(refusals)" -gt "$before"
assert_eq "f3 in A's DNS while etcd is down" "" "$(a_on A f3.web.svc.internal)"
assert_eq "f1 in A's DNS while etcd is down (its last state)" 127.0.2.1 "$(a_on A f1.web.svc.internal)"
etcd_start 1
etcd_wait 1
until_ok 30 "f3 in A's DNS after etcd came back" a_is A f3.web.svc.internal 127.0.2.3
until_ok 5 "f3 in B's DNS" a_is B f3.web.svc.internal 127.0.2.3
until_ok 5 "f3 in etcd" in_etcd f3
stop_replica A
stop_replica B
note "ok"
