# The etcd store on a three-member etcd cluster on loopback with three srvd replicas, each given
# every member's client URL (issue 5 §10): a write through one replica resolves through the
# others; with one member killed writes still succeed through every replica and show everywhere;
# with quorum lost and then every member killed, every replica answers DNS from its last state,
# writes are 503 and /healthz is degraded; with the members back, /healthz is ok, writes work
# and every replica resyncs without a restart.
source "$(dirname "$0")/etcd.sh"

etcd_cluster 3
# Each replica lists the members starting at a different one, so killing one member takes away
# some replica's first choice whichever member a client starts with.
start_replica R1 --etcd "${ETCD_URL[1]},${ETCD_URL[2]},${ETCD_URL[3]}"
start_replica R2 --etcd "${ETCD_URL[2]},${ETCD_URL[3]},${ETCD_URL[1]}"
start_replica R3 --etcd "${ETCD_URL[3]},${ETCD_URL[1]},${ETCD_URL[2]}"
ALL=(R1 R2 R3)

# in_dns_everywhere QNAME ADDRESS SECONDS: every replica answers QNAME A with ADDRESS ("" = none).
in_dns_everywhere() {
  local r
  for r in "${ALL[@]}"; do
    until_ok "$3" "$1 A is '$2' on $r" a_is "$r" "$1" "$2"
  done
}
srv_everywhere() { # WHAT EXPECTED: every replica's SRV answer for _web._tcp is EXPECTED
  local r
  for r in "${ALL[@]}"; do assert_eq "$1: SRV _web._tcp on $r" "$2" "$(srv_on "$r" _web._tcp.svc.internal)"; done
}

for r in "${ALL[@]}"; do assert_eq "$r healthz" "200 ok" "$(healthz "$r")"; done

# --- All members up: through R1, resolved through R2 and R3 within 100 ms of the 2xx.
read -r status own ms2 ms3 <<<"$(echo 'PUT /v1/services/web/instances/a1 {"address":"127.0.2.1","port":8081}' |
  propagation R1 a1.web.svc.internal 127.0.2.1 R2 R3)"
assert_eq "PUT a1 through R1" 201 "$status"
assert_eq "a1 in R1's DNS after its 2xx" yes "$own"
note "a1 through R1: in R2's DNS after $ms2 ms, R3's after $ms3 ms"
[[ $ms2 != never && $ms3 != never ]] || fail "a1 did not reach every replica's DNS within 3 s: R2 $ms2, R3 $ms3"
# One trial, so 300 ms allowed for a loaded machine (the contract is 100 ms; test_etcd_single
# holds it to that over five writes).
((ms2 <= 300 && ms3 <= 300)) || fail "a1 took $ms2 / $ms3 ms to reach R2 / R3 (100 ms expected)"
on R2 register web a2 '{"address":"127.0.2.2","port":8082}'
on R3 register web a3 '{"address":"127.0.2.3","port":8083}'
in_dns_everywhere a2.web.svc.internal 127.0.2.2 2
in_dns_everywhere a3.web.svc.internal 127.0.2.3 2
srv_everywhere "all members up" "1 1 8081 a1.web.svc.internal.
1 1 8082 a2.web.svc.internal.
1 1 8083 a3.web.svc.internal."

# --- One member killed (R1's first choice). Once the two left have a leader (etcd's own
# election, up to ~2 s if the killed one led), writes through every replica succeed.
etcd_kill 1
etcd_wait 2 3
sleep 0.5
for r in "${ALL[@]}"; do
  n=${r#R}
  t=$(now_ms)
  on "$r" http PUT "/v1/services/web/instances/b$n" "{\"address\":\"127.0.2.1$n\",\"port\":809$n}"
  took=$(($(now_ms) - t))
  [[ $HTTP_STATUS == 201 ]] || fail "PUT b$n through $r with member e1 killed: expected 201, got $HTTP_STATUS: $HTTP_BODY"
  note "PUT b$n through $r with e1 killed: $took ms"
done
for n in 1 2 3; do in_dns_everywhere "b$n.web.svc.internal" "127.0.2.1$n" 5; done
on R2 expect_http 200 DELETE /v1/services/web/instances/a3
in_dns_everywhere a3.web.svc.internal "" 5
for r in "${ALL[@]}"; do assert_eq "$r healthz with one member down" "200 ok" "$(healthz "$r")"; done
last=$(srv_on R1 _web._tcp.svc.internal)
srv_everywhere "one member down" "$last"

# --- Quorum lost (a second member killed; one left, without a leader): writes fail fast with
# 503, DNS answers from the last state.
etcd_kill 2
for r in "${ALL[@]}"; do
  t=$(now_ms)
  on "$r" http PUT "/v1/services/web/instances/q${r#R}" "{\"address\":\"127.0.2.9${r#R}\",\"port\":810${r#R}}"
  took=$(($(now_ms) - t))
  assert_eq "PUT q${r#R} through $r without quorum" 503 "$HTTP_STATUS"
  ((took < 3000)) || fail "PUT through $r took $took ms to fail without quorum (fast expected)"
  note "PUT through $r without quorum: 503 in $took ms: $HTTP_BODY"
done
# A write refused with 503 must not be served: the replica that took it must not keep it
# applied locally (etcd never committed it).
serving=
for r in "${ALL[@]}"; do
  for n in 1 2 3; do
    [[ -z $(a_on "$r" "q$n.web.svc.internal") ]] || serving+=" q$n@$r"
  done
done
[[ -z $serving ]] || fail "instances refused with 503 without quorum (qN through RN) are served:$serving"
srv_everywhere "no quorum" "$last"

# --- Every member killed: DNS from the last state, writes 503 in under 2 s, healthz degraded.
etcd_kill 3
for r in "${ALL[@]}"; do
  until_ok 5 "$r's /healthz degraded with every member down" healthz_is "$r" "200 degraded"
  t=$(now_ms)
  on "$r" http PUT /v1/services/web/instances/x2 '{"address":"127.0.2.98","port":8098}'
  took=$(($(now_ms) - t))
  assert_eq "PUT through $r with every member down" 503 "$HTTP_STATUS"
  json 'd["error"]' | grep -q . || fail "503 without an error message: $HTTP_BODY"
  ((took < 2000)) || fail "PUT through $r took $took ms to fail with every member down (< 2 s expected)"
done
sleep 1
srv_everywhere "every member down" "$last"
for r in "${ALL[@]}"; do
  assert_eq "A answer of b1 on $r with every member down" 127.0.2.11 "$(a_on "$r" b1.web.svc.internal)"
done

# --- Every member back: healthz ok, writes through each replica work and reach all of them,
# a change made directly in etcd reaches all of them.
for i in 1 2 3; do etcd_start "$i"; done
etcd_wait 1 2 3
for r in "${ALL[@]}"; do
  until_ok 10 "$r's /healthz ok with the members back" healthz_is "$r" "200 ok"
done
ectl put /srvd/services/web/w1 '{"id":"w1","name":"web","address":"127.0.2.50","port":8050,"metadata":{},"status":"UP"}' >/dev/null
ectl del /srvd/services/web/a1 >/dev/null
in_dns_everywhere w1.web.svc.internal 127.0.2.50 5
in_dns_everywhere a1.web.svc.internal "" 5
for r in "${ALL[@]}"; do
  n=${r#R}
  on "$r" register web "c$n" "{\"address\":\"127.0.2.3$n\",\"port\":807$n}"
  assert_eq "c$n in $r's DNS after its 2xx" "127.0.2.3$n" "$(a_on "$r" "c$n.web.svc.internal")"
done
for n in 1 2 3; do in_dns_everywhere "c$n.web.svc.internal" "127.0.2.3$n" 2; done
# A put refused for want of quorum may still commit once quorum returns: etcd cannot take
# back a proposal a member accepted (the 503 says so). Whatever etcd holds in the end, every
# replica must serve exactly that.
committed=
for n in 1 2 3; do
  want=
  [[ -n $(ectl get "/srvd/services/web/q$n" --print-value-only) ]] && want=127.0.2.9$n &&
    committed+=$'\n'"1 1 810$n q$n.web.svc.internal."
  in_dns_everywhere "q$n.web.svc.internal" "$want" 2
done
in_dns_everywhere x2.web.svc.internal "" 1
srv_everywhere "members back" "$(sort <<<"1 1 8050 w1.web.svc.internal.
1 1 8071 c1.web.svc.internal.
1 1 8072 c2.web.svc.internal.
1 1 8073 c3.web.svc.internal.
1 1 8082 a2.web.svc.internal.
1 1 8091 b1.web.svc.internal.
1 1 8092 b2.web.svc.internal.
1 1 8093 b3.web.svc.internal.$committed")"

for r in "${ALL[@]}"; do stop_replica "$r"; done
