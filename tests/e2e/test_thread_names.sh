# srvd names its threads, so that `top -H`, `ps -L`, perf and /proc/PID/task/*/comm tell the
# DNS loops and the store's writer apart from the control loop (which keeps the binary's name).
source "$(dirname "$0")/lib.sh"
start_srvd --dns-threads 2
# ps -L lists every thread's name: sorted, counted (the control loop is "srvd")
names=$(ps -L -o comm= -p "$SRVD_PID" | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
assert_eq "threads by name" "srvd=1 srvd-dns=2 srvd-sqlite=1 " "$names"
stop_srvd
