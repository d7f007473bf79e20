# Crash safety of the embedded store (issue 5 §3): clients register, deregister and re-register
# instances under load (clients/crash_client.py: 4 threads, each write's version in port,
# address and meta at once) while the test kills srvd with SIGKILL at random moments; after each
# restart on the same data dir every acknowledged write is there (unless a later write to the
# same key was in flight), nothing unacknowledged is half-done, nothing never written appears,
# and DNS serves what the API lists. Then a clean SIGTERM exit with the same verdict.
source "$(dirname "$0")/lib.sh"
CLIENT=$E2E_DIR/clients/crash_client.py
LOG=$WORK/ops.log
ROUNDS=${CRASH_ROUNDS:-6}
CLIENT_PID=
trap 'rc=$?; set +e; [[ -n $CLIENT_PID ]] && kill "$CLIENT_PID" 2>/dev/null && wait "$CLIENT_PID" 2>/dev/null; (exit $rc); _cleanup' EXIT
: >"$LOG"
started=$SECONDS

verdict() { # WHEN
  $PY "$CLIENT" check "$HTTP_PORT" "$DNS_PORT" "$LOG" >"$WORK/check.out" 2>&1 ||
    fail "$1: $(cat "$WORK/check.out")"
  note "$1: $(head -n 1 "$WORK/check.out")"
}

for ((round = 1; round <= ROUNDS; round++)); do
  start_srvd
  ((round == 1)) || verdict "after SIGKILL $((round - 1)) and restart"
  $PY "$CLIENT" run "$HTTP_PORT" "$LOG" "$round" 4 4 &
  CLIENT_PID=$!
  # 0.3 to 1.5 s of load, then SIGKILL without warning.
  sleep "$($PY -c 'import random; print(round(random.uniform(0.3, 1.5), 2))')"
  kill -0 "$CLIENT_PID" 2>/dev/null || fail "round $round: the client stopped before srvd was killed: $(tail -n 3 "$LOG")"
  kill -KILL "$SRVD_PID"
  wait "$SRVD_PID" 2>/dev/null || true
  SRVD_PID=
  wait "$CLIENT_PID" || fail "round $round: crash_client.py run failed"
  CLIENT_PID=
done

start_srvd
verdict "after SIGKILL $ROUNDS and restart"
# Enough happened for the verdict to mean something.
acked=$(grep -c '"phase": "end", "status": 2' "$LOG" || true)
((acked >= 100)) || fail "only $acked writes were acknowledged over $ROUNDS rounds; the test proves little"
stop_srvd
start_srvd
verdict "after a clean stop and restart"
stop_srvd
note "$acked acknowledged writes, $ROUNDS kills, $((SECONDS - started)) s"
