# lib.sh -- shared helpers for the end-to-end tests: run srvd on free ports, call its HTTP
# API with curl, query it with dig, compare with goldens. Sourced by every test_*.sh.
set -euo pipefail

: "${SRVD:?set SRVD to the srvd binary (ctest does this)}"
SRVD_SOURCE=${SRVD_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
E2E_DIR=$SRVD_SOURCE/tests/e2e
GOLDEN_DIR=$E2E_DIR/golden
PY=/usr/bin/python3 # Debian's, which has dnspython
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/srvd-e2e.$TEST_NAME.XXXXXX")
SRVD_PID=

fail() {
  echo "FAIL [$TEST_NAME]: $*" >&2
  exit 1
}
note() { echo "# $*"; }

_cleanup() {
  local rc=$?
  if [[ -n $SRVD_PID ]] && kill -0 "$SRVD_PID" 2>/dev/null; then
    kill -TERM "$SRVD_PID" 2>/dev/null || true
    wait "$SRVD_PID" 2>/dev/null || true
  fi
  if ((rc != 0)); then
    echo "--- srvd stderr (last 30 lines), work dir kept: $WORK" >&2
    tail -n 30 "$WORK/srvd.err" >&2 2>/dev/null || true
  else
    rm -rf "$WORK"
  fi
}
trap _cleanup EXIT

# start_srvd [extra flags...]: starts `srvd serve` on free loopback ports in the background,
# with --data-dir $WORK/data unless the flags give --data-dir or --etcd, and waits (10 s at most) for both "listening" lines; sets DNS_PORT and HTTP_PORT.
# SRVD_WRAPPER runs it under a tool, e.g. "valgrind -q --error-exitcode=99" (then stop_srvd
# fails on any error the tool reports, and start-up may take 60 s).
start_srvd() {
  # Created here: the background job opens its redirections only when it gets to run.
  : >"$WORK/srvd.out"
  : >"$WORK/srvd.err"
  # shellcheck disable=SC2086 # SRVD_WRAPPER is a command line
  # Each test keeps its registry in its own work dir unless it names a store itself.
  local store=(--data-dir "$WORK/data")
  [[ " $* " == *" --data-dir "* || " $* " == *" --etcd "* ]] && store=()
  ${SRVD_WRAPPER:-} "$SRVD" serve --dns 127.0.0.1:0 --http 127.0.0.1:0 "${store[@]}" "$@" >"$WORK/srvd.out" 2>"$WORK/srvd.err" &
  SRVD_PID=$!
  DNS_PORT='' HTTP_PORT=''
  local i tries=100
  [[ -n ${SRVD_WRAPPER:-} ]] && tries=600
  for ((i = 0; i < tries; i++)); do
    DNS_PORT=$(sed -n 's/^listening dns 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$WORK/srvd.out")
    HTTP_PORT=$(sed -n 's/^listening http 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$WORK/srvd.out")
    [[ -n $DNS_PORT && -n $HTTP_PORT ]] && break
    kill -0 "$SRVD_PID" 2>/dev/null || fail "srvd exited before listening; stdout: $(cat "$WORK/srvd.out")"
    sleep 0.1
  done
  [[ -n $DNS_PORT && -n $HTTP_PORT ]] ||
    fail "expected 'listening dns 127.0.0.1:PORT' and 'listening http 127.0.0.1:PORT' on stdout within $((tries / 10)) s, saw: $(cat "$WORK/srvd.out")"
  export DNS_PORT HTTP_PORT
}

# stop_srvd: SIGTERM, then expects exit status 0 within 10 s (60 s under SRVD_WRAPPER).
stop_srvd() {
  kill -TERM "$SRVD_PID"
  local i rc=0 tries=100
  [[ -n ${SRVD_WRAPPER:-} ]] && tries=600
  for ((i = 0; i < tries; i++)); do
    kill -0 "$SRVD_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$SRVD_PID" 2>/dev/null && fail "srvd still running $((tries / 10)) s after SIGTERM"
  wait "$SRVD_PID" || rc=$?
  SRVD_PID=
  ((rc == 0)) || fail "expected srvd to exit 0 on SIGTERM, it exited $rc; stderr: $(tail -n 20 "$WORK/srvd.err")"
}

assert_alive() {
  kill -0 "$SRVD_PID" 2>/dev/null || fail "srvd is no longer running ($*)"
  curl -sf -o /dev/null "http://127.0.0.1:$HTTP_PORT/healthz" || fail "GET /healthz failed ($*)"
}

# http METHOD PATH [BODY]: sets HTTP_STATUS, HTTP_BODY and HTTP_INDEX (the X-Srvd-Index header).
# A BODY of @FILE sends that file.
http() {
  local method=$1 path=$2
  shift 2
  local args=(-sS -X "$method" -o "$WORK/http.body" -D "$WORK/http.headers" -w '%{http_code}')
  (($#)) && args+=(-H 'Content-Type: application/json' --data-binary "$1")
  HTTP_STATUS=$(curl "${args[@]}" "http://127.0.0.1:$HTTP_PORT$path") ||
    fail "curl $method $path: no HTTP response (is srvd alive?)"
  HTTP_BODY=$(cat "$WORK/http.body")
  HTTP_INDEX=$(tr -d '\r' <"$WORK/http.headers" | sed -n 's/^[Xx]-[Ss]rvd-[Ii]ndex: *//p')
}

# expect_http STATUS METHOD PATH [BODY]: like http, and fails unless the status is STATUS
# and the response carries X-Srvd-Index.
expect_http() {
  local want=$1
  shift
  http "$@"
  [[ $HTTP_STATUS == "$want" ]] || fail "$1 $2: expected HTTP $want, got $HTTP_STATUS: $HTTP_BODY"
  [[ $HTTP_INDEX =~ ^[0-9]+$ ]] || fail "$1 $2: expected an X-Srvd-Index header, headers were: $(cat "$WORK/http.headers")"
}

# register SERVICE ID JSON: PUT an instance, expecting 201 or 200.
register() {
  http PUT "/v1/services/$1/instances/$2" "$3"
  [[ $HTTP_STATUS == 201 || $HTTP_STATUS == 200 ]] ||
    fail "registering $1/$2: expected 201/200, got $HTTP_STATUS: $HTTP_BODY"
}

# json EXPR [JSON]: evaluates a Python expression on the parsed JSON (default $HTTP_BODY),
# bound to `d`; prints strings bare and everything else as JSON.
json() {
  local doc=${2-$HTTP_BODY}
  $PY -c '
import json, sys
d = json.loads(sys.stdin.read())
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))' "$1" <<<"$doc" ||
    fail "cannot evaluate $1 on: $doc"
}

# until_ok SECONDS WHAT COMMAND...: retries COMMAND every 0.05 s; fails after SECONDS.
until_ok() {
  local secs=$1 what=$2 i
  shift 2
  for ((i = 0; i < secs * 20; i++)); do
    "$@" && return 0
    sleep 0.05
  done
  fail "$what: not so after $secs s"
}

assert_eq() { # WHAT EXPECTED ACTUAL
  [[ $2 == "$3" ]] || fail "$1: expected '$2', got '$3'"
}

# q [dig args...]: a dig query to srvd (no recursion wanted; one retry, as resolvers do), full
# default output.
q() { dig +norec +time=3 +tries=2 @127.0.0.1 -p "$DNS_PORT" "$@"; }

# full [dig args...]: the response with every section, as a user of dig reads it.
full() { q +noall +comments +answer +authority +additional "$@"; }

# flags [dig args...]: the header flags dig shows, e.g. "qr aa".
flags() { q +noall +comments "$@" | sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p'; }

# answers NAME TYPE [dig args...]: the answer section's RDATA, one per line, sorted.
answers() {
  local name=$1 type=$2
  shift 2
  q +noall +answer "$name" "$type" "$@" | awk '{ $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' | sort
}

# rcode NAME TYPE [dig args...]: the response's status (NOERROR, NXDOMAIN, ...).
rcode() {
  q +noall +comments "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'
}

# normalize: makes dig/drill output comparable: drops the message id and the timing and
# server lines, and sorts the records within each section (SRV and A order is not fixed).
normalize() {
  $PY -c '
import re, sys
out, run = [], []
for line in sys.stdin.read().splitlines():
    line = re.sub(r"id: [0-9]+", "id: ID", line)
    if re.match(r";; (Query time|SERVER|WHEN|MSG SIZE)", line):
        continue
    if line == "" or line.startswith(";"):
        out += sorted(run) + [line]
        run = []
    else:
        run.append(line)
print("\n".join(out + sorted(run)))'
}

# check_golden NAME: compares normalized stdin with golden/NAME.txt. UPDATE_GOLDEN=1 rewrites
# the golden instead (review the diff before committing it).
check_golden() {
  local golden=$GOLDEN_DIR/$1.txt
  normalize >"$WORK/$1.actual"
  if [[ ${UPDATE_GOLDEN:-} == 1 ]]; then
    cp "$WORK/$1.actual" "$golden"
    return
  fi
  [[ -f $golden ]] || fail "no golden file $golden (run with UPDATE_GOLDEN=1 to create it); output was:
$(cat "$WORK/$1.actual")"
  diff -u "$golden" "$WORK/$1.actual" >"$WORK/$1.diff" ||
    fail "answer differs from golden/$1.txt (- expected, + seen):
$(cat "$WORK/$1.diff")"
}
