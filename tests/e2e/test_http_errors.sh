# Every kind of bad HTTP input gets a JSON {"error": "..."} with the fitting status, changes
# nothing in the registry (same GET /v1/services, same X-Srvd-Index) and leaves srvd running.
source "$(dirname "$0")/lib.sh"
start_srvd

register web a1 '{"address":"127.0.0.10","port":8080,"tags":["t"],"meta":{"k":"v"}}'
expect_http 200 GET /v1/services
before_body=$HTTP_BODY
before_index=$HTTP_INDEX
before_dns=$(answers _web._tcp.svc.internal SRV)
checked=0
extra_curl_args=() # more curl flags for the bad request, e.g. a header

# bad STATUS METHOD PATH [BODY]: sends the request, then GET /v1/services (one curl, so a
# test of ~120 cases stays quick), and checks the error and that nothing changed.
bad() {
  local want=$1 method=$2 path=$3 what="$2 $3${4+ with body '${4:0:80}'}"
  local args=(-sS -X "$method" -o "$WORK/bad.body" -D "$WORK/bad.headers" -w '%{http_code}\n')
  (($# > 3)) && args+=(-H 'Content-Type: application/json' --data-binary "$4")
  args+=("${extra_curl_args[@]}")
  local codes
  codes=$(curl "${args[@]}" "http://127.0.0.1:$HTTP_PORT$path" \
    --next -sS -o "$WORK/after.body" -D "$WORK/after.headers" -w '%{http_code}\n' \
    "http://127.0.0.1:$HTTP_PORT/v1/services") || fail "$what: no HTTP response (is srvd alive?)"
  local status=${codes%%$'\n'*} body index after after_index
  body=$(cat "$WORK/bad.body")
  index=$(tr -d '\r' <"$WORK/bad.headers" | sed -n 's/^[Xx]-[Ss]rvd-[Ii]ndex: *//p')
  [[ $status == "$want" ]] || fail "$what: expected HTTP $want, got $status: $body"
  [[ $body =~ ^\{[[:space:]]*\"error\"[[:space:]]*:[[:space:]]*\"[^\"] ]] ||
    fail "$what: expected a JSON body {\"error\": \"...\"}, got: $body"
  grep -qi '^content-type: *application/json' "$WORK/bad.headers" ||
    fail "$what: expected Content-Type application/json, headers: $(cat "$WORK/bad.headers")"
  [[ $index == "$before_index" ]] || fail "$what: expected X-Srvd-Index to stay $before_index, got '$index'"
  after=$(cat "$WORK/after.body")
  after_index=$(tr -d '\r' <"$WORK/after.headers" | sed -n 's/^[Xx]-[Ss]rvd-[Ii]ndex: *//p')
  [[ ${codes#*$'\n'} == 200 && $after == "$before_body" && $after_index == "$before_index" ]] ||
    fail "$what changed the registry: GET /v1/services was
$before_body (index $before_index), now
$after (index $after_index)"
  checked=$((checked + 1))
}

I=/v1/services/web/instances/a1
N=/v1/services/web/instances/new1
ok='"address":"127.0.0.10","port":8080'
for path in "$I" "$N"; do
  # Not JSON, or not an object.
  bad 400 PUT "$path" '{"address":'
  bad 400 PUT "$path" 'address=127.0.0.10&port=8080'
  bad 400 PUT "$path" ''
  bad 400 PUT "$path" '[]'
  bad 400 PUT "$path" '"127.0.0.10"'
  bad 400 PUT "$path" 'null'
  bad 400 PUT "$path" "{$ok} trailing"
  # Missing required fields.
  bad 400 PUT "$path" '{}'
  bad 400 PUT "$path" '{"port":8080}'
  bad 400 PUT "$path" '{"address":"127.0.0.10"}'
  # Wrong types.
  bad 400 PUT "$path" '{"address":2130706442,"port":8080}'
  bad 400 PUT "$path" '{"address":"127.0.0.10","port":"8080"}'
  bad 400 PUT "$path" '{"address":"127.0.0.10","port":8080.5}'
  bad 400 PUT "$path" '{"address":"127.0.0.10","port":true}'
  bad 400 PUT "$path" '{"address":"127.0.0.10","port":null}'
  bad 400 PUT "$path" "{$ok,\"protocol\":\"sctp\"}"
  bad 400 PUT "$path" "{$ok,\"protocol\":6}"
  bad 400 PUT "$path" "{$ok,\"priority\":\"1\"}"
  bad 400 PUT "$path" "{$ok,\"priority\":-1}"
  bad 400 PUT "$path" "{$ok,\"weight\":65536}"
  bad 400 PUT "$path" "{$ok,\"tags\":\"blue\"}"
  bad 400 PUT "$path" "{$ok,\"tags\":[1]}"
  bad 400 PUT "$path" "{$ok,\"meta\":[]}"
  bad 400 PUT "$path" "{$ok,\"meta\":{\"k\":1}}"
  # Unknown field (a typo must not be silently ignored).
  bad 400 PUT "$path" '{"addr":"127.0.0.10","port":8080}'
  bad 400 PUT "$path" "{$ok,\"prot\":\"udp\"}"
  # Bad addresses.
  for a in 300.1.1.1 localhost 127.0.0.1:80 '[::1]' '' ' 127.0.0.10' 1.2.3 ::g 'fe80::1%eth0'; do
    bad 400 PUT "$path" "{\"address\":\"$a\",\"port\":8080}"
  done
  # Ports out of range.
  for p in 0 65536 70000 -1; do
    bad 400 PUT "$path" "{\"address\":\"127.0.0.10\",\"port\":$p}"
  done
done

# Service names and ids must be DNS labels (letters, digits, hyphen; 1-63; no edge hyphen).
long=$(printf 'a%.0s' {1..64})
for label in bad_name -web web- "$long" 'a.b' 'we%20b' 'w%C3%A9b'; do
  bad 400 PUT "/v1/services/$label/instances/a1" "{$ok}"
  bad 400 PUT "/v1/services/web/instances/$label" "{$ok}"
done
# 63 characters is fine (checked below, after the error cases).

# Status changes: bad JSON or unknown status is 400; an unknown instance is 404.
bad 400 PUT "$I/status" '{"status":'
bad 400 PUT "$I/status" '{"status":"sleeping"}'
bad 400 PUT "$I/status" '{"status":1}'
bad 400 PUT "$I/status" '{}'
bad 400 PUT "$I/status" '{"status":"maintenance","colour":"red"}'
bad 404 PUT /v1/services/web/instances/zz/status '{"status":"maintenance"}'
bad 404 PUT /v1/services/nosuch/instances/a1/status '{"status":"maintenance"}'

# Unknown things and routes: 404.
bad 404 DELETE /v1/services/web/instances/zz
bad 404 DELETE /v1/services/nosuch/instances/a1
bad 404 GET /v1/services/nosuch
bad 404 GET /nosuch
bad 404 GET /v2/services
bad 404 GET /v1/services/web/instances/a1/nosuch
bad 404 PUT /v1/services/web/instances/a1/nosuch "{$ok}"
bad 404 PUT /v1 "{$ok}"

# Known routes, wrong method: 405.
bad 405 POST /v1/services "{$ok}"
bad 405 DELETE /v1/services
bad 405 PUT /v1/services/web "{$ok}"
bad 405 POST /v1/services/web/instances/a1 "{$ok}"
bad 405 PATCH /v1/services/web/instances/a1 "{$ok}"
bad 405 GET /v1/services/web/instances/a1/status
bad 405 DELETE /v1/services/web/instances/a1/status
bad 405 POST /healthz

# A body over 64 KiB: 413, whether or not it is valid JSON.
$PY -c 'import json; print(json.dumps({"address": "127.0.0.10", "port": 8080, "meta": {"pad": "x" * 70000}}))' >"$WORK/big.json"
bad 413 PUT "$I" @"$WORK/big.json"
bad 413 PUT "$N" @"$WORK/big.json"
head -c 100000 /dev/zero | tr '\0' 'x' >"$WORK/big.txt"
bad 413 PUT "$N" @"$WORK/big.txt"
extra_curl_args=(-H 'Transfer-Encoding: chunked')
bad 413 PUT "$N" @"$WORK/big.json"
extra_curl_args=(-H 'Expect: 100-continue')
bad 413 PUT "$N" @"$WORK/big.json"
extra_curl_args=()

# Requests that are not HTTP at all: 400 (or the connection closed), and srvd carries on.
$PY - "$HTTP_PORT" <<'EOF' || fail "malformed HTTP requests (see above)"
import socket, sys
port = int(sys.argv[1])
for raw in [b"GARBAGE\r\n\r\n", b"\x00\x01\x02\x03\r\n\r\n", b"PUT /v1/services/web/instances/a1 HTTP/1.1\r\nContent-Length: zz\r\n\r\n",
            b"GET / HTTP/9.9\r\n\r\n", b"PUT /v1/services/web/instances/a1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{\"a\""]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(raw)
        if raw.endswith(b'{"a"'):
            s.shutdown(socket.SHUT_WR)  # body cut short, then the client goes away
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        if data and not (data.startswith(b"HTTP/1.1 4") or data.startswith(b"HTTP/1.1 505 ")):
            sys.exit(f"{raw!r}: expected a 4xx (or 505) status line or a closed connection, got {data[:100]!r}")
# A Content-Length far over the limit is refused at once, without waiting for the body.
with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
    s.sendall(b"PUT /v1/services/web/instances/a1 HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
    try:
        data = s.recv(65536)
    except socket.timeout:
        sys.exit("Content-Length: 100000000 with no body: expected 413 at once, got nothing in 5 s")
    if not data.startswith(b"HTTP/1.1 413 "):
        sys.exit(f"Content-Length: 100000000: expected 413, got {data[:100]!r}")
EOF
expect_http 200 GET /v1/services
[[ $HTTP_BODY == "$before_body" && $HTTP_INDEX == "$before_index" ]] ||
  fail "malformed HTTP requests changed the registry: now $HTTP_BODY (index $HTTP_INDEX)"
assert_eq "SRV answer after all the bad requests" "$before_dns" "$(answers _web._tcp.svc.internal SRV)"
assert_alive "after $checked bad requests"
note "$checked bad requests rejected, registry unchanged"

# The limits themselves are fine: a 63-character label, port 1 and 65535, weight 65535.
l63=$(printf 'b%.0s' {1..63})
register "$l63" "$l63" '{"address":"127.0.0.10","port":1,"weight":65535,"priority":0}'
register web p65535 '{"address":"::1","port":65535}'

stop_srvd
