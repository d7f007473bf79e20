# Read-your-writes: once a PUT/DELETE/status change has its 2xx answer, every DNS query sent
# afterwards sees it. Hundreds of write-then-query rounds in a row, zero misses allowed, with
# one DNS thread and with two (SO_REUSEPORT listeners that must all have caught up).
source "$(dirname "$0")/lib.sh"

for threads in 1 2; do
  start_srvd --dns-threads "$threads"
  note "--dns-threads $threads"
  if command -v ss >/dev/null; then # each DNS loop has its own SO_REUSEPORT UDP socket
    assert_eq "UDP sockets on the DNS port with --dns-threads $threads" "$threads" \
      "$(ss -ulnH "sport = :$DNS_PORT" | wc -l)"
  fi
  $PY "$E2E_DIR/read_your_writes.py" "$HTTP_PORT" "$DNS_PORT" 300 ||
    fail "with --dns-threads $threads: a DNS query after a 2xx write did not see it (misses above)"
  assert_alive "after the read-your-writes rounds"
  stop_srvd
done
