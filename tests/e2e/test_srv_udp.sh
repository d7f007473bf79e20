# Instances registered with "protocol": "udp" are under _<service>._udp and not under
# _<service>._tcp, and the other way round.
source "$(dirname "$0")/lib.sh"
start_srvd

register dnsd u1 '{"address":"127.0.0.20","port":5353,"protocol":"udp","priority":5,"weight":50}'
assert_eq "protocol in the PUT answer" udp "$(json 'd["instance"]["protocol"]')"
register dnsd t1 '{"address":"127.0.0.21","port":5354,"protocol":"tcp"}'

full _dnsd._udp.svc.internal SRV | check_golden srv_dnsd_udp
assert_eq "_dnsd._udp SRV" "5 50 5353 u1.dnsd.svc.internal." "$(answers _dnsd._udp.svc.internal SRV)"
assert_eq "_dnsd._tcp SRV" "1 1 5354 t1.dnsd.svc.internal." "$(answers _dnsd._tcp.svc.internal SRV)"
# The service's A record covers both.
assert_eq "dnsd A" "127.0.0.20
127.0.0.21" "$(answers dnsd.svc.internal A)"

# Switching protocol moves the instance.
register dnsd t1 '{"address":"127.0.0.21","port":5354,"protocol":"udp"}'
assert_eq "_dnsd._udp SRV after t1 moved to udp" "1 1 5354 t1.dnsd.svc.internal.
5 50 5353 u1.dnsd.svc.internal." "$(answers _dnsd._udp.svc.internal SRV)"
assert_eq "_dnsd._tcp SRV after t1 moved to udp" "" "$(answers _dnsd._tcp.svc.internal SRV)"
st=$(rcode _dnsd._tcp.svc.internal SRV)
[[ $st == NOERROR || $st == NXDOMAIN ]] || fail "_dnsd._tcp SRV with no tcp instance left: expected NOERROR (NODATA) or NXDOMAIN, got $st"

stop_srvd
