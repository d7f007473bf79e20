# HTTP/1.1 keep-alive: curl sends several requests (reads, writes, and errors) over one
# connection, and every one gets its own complete answer.
source "$(dirname "$0")/lib.sh"
start_srvd

base=http://127.0.0.1:$HTTP_PORT
body='{"address":"127.0.0.10","port":8080}'
# One curl process, one connection pool; --next starts a request with its own options.
curl -sv -o "$WORK/out1" -w '%{http_code}\n' "$base/healthz" \
  --next -sv -o "$WORK/out2" -w '%{http_code}\n' -X PUT -H 'Content-Type: application/json' --data-binary "$body" "$base/v1/services/web/instances/a1" \
  --next -sv -o "$WORK/out3" -w '%{http_code}\n' -X PUT -H 'Content-Type: application/json' --data-binary "$body" "$base/v1/services/web/instances/a1" \
  --next -sv -o "$WORK/out4" -w '%{http_code}\n' -X PUT -H 'Content-Type: application/json' --data-binary '{"address":' "$base/v1/services/web/instances/a1" \
  --next -sv -o "$WORK/out5" -w '%{http_code}\n' "$base/v1/services/nosuch" \
  --next -sv -o "$WORK/out6" -w '%{http_code}\n' "$base/v1/services/web" \
  --next -sv -o "$WORK/out7" -w '%{http_code}\n' -X DELETE "$base/v1/services/web/instances/a1" \
  --next -sv -o "$WORK/out8" -w '%{http_code}\n' "$base/v1/services" \
  >"$WORK/codes" 2>"$WORK/verbose" || fail "curl failed: $(tail -5 "$WORK/verbose")"

assert_eq "statuses of the 8 requests" "200 201 200 400 404 200 200 200" "$(tr '\n' ' ' <"$WORK/codes" | sed 's/ $//')"
reused=$(grep -c 'Re-using existing connection' "$WORK/verbose" || true)
connects=$(grep -c '^\* Connected to' "$WORK/verbose" || true)
[[ $reused == 7 && $connects == 1 ]] ||
  fail "expected 1 connection reused for all 8 requests ('Re-using existing connection' 7 times), saw $connects connects and $reused reuses:
$(grep -E '^\* |^< HTTP|^< [Cc]onnection' "$WORK/verbose")"
grep -qi '^< connection: close' "$WORK/verbose" && fail "expected no 'Connection: close' on keep-alive requests"
assert_eq "body of the 6th request (GET after PUTs on the same connection)" '["a1"]' \
  "$(json '[i["id"] for i in d["instances"]]' "$(cat "$WORK/out6")")"
assert_eq "body of the 8th request (GET after DELETE)" '[]' "$(json 'd["services"]' "$(cat "$WORK/out8")")"

# Two requests in one write (HTTP pipelining): two answers, in order.
$PY - "$HTTP_PORT" <<'EOF' || fail "pipelined HTTP requests (see above)"
import re, socket, sys
port = int(sys.argv[1])
req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
two = req + b"GET /v1/services/nosuch HTTP/1.1\r\nHost: x\r\n\r\n"
with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
    s.sendall(two)
    data, codes = b"", []
    while len(codes) < 2:
        m = re.match(rb"HTTP/1\.1 (\d{3}) .*?\r\n\r\n", data, re.S)
        if m:
            n = re.search(rb"(?i)\r\ncontent-length: *(\d+)", m.group(0))
            if not n:
                sys.exit(f"expected a Content-Length in {m.group(0)!r}")
            end = m.end() + int(n.group(1))
            if len(data) >= end:
                codes.append(m.group(1).decode())
                data = data[end:]
                continue
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    if codes != ["200", "404"]:
        sys.exit(f"expected statuses [200, 404] for two pipelined requests, got {codes}; rest: {data[:300]!r}")
EOF

# Asked to close, the server closes after answering.
curl -sv -o /dev/null -o /dev/null -H 'Connection: close' "$base/healthz" "$base/healthz" 2>"$WORK/verbose2" ||
  fail "curl with Connection: close failed"
assert_eq "connections made when each request asks to close" 2 "$(grep -c '^\* Connected to' "$WORK/verbose2")"
assert_alive "after keep-alive requests"

stop_srvd
