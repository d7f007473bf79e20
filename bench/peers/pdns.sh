#!/usr/bin/env bash
# pdns.sh -- PowerDNS Authoritative (bind backend) for the benchmark; interface in
# common.sh, config pdns.conf.in + pdns.named.conf.in.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
case $1 in
  start)
    dir=$2 port=$3 workers=$4 cpus=$5 zone=$6
    render "$bench_peers/pdns.conf.in" "$dir/pdns.conf" DIR="$dir" PORT="$port" WORKERS="$workers"
    render "$bench_peers/pdns.named.conf.in" "$dir/named.conf" ZONE="$zone"
    launch "$dir" "$cpus" pdns_server --config-dir="$dir"
    wait_ready "$dir" "$port" "$cpus" ;;
  stop) stop_server "$2" ;;
  version) { pdns_server --version 2>&1 || true; } | sed -n 's/.*\(PowerDNS Authoritative Server [^ ]*\).*/\1/p' | sed -n 1p ;;
  *) echo "usage: $0 start DIR PORT WORKERS CPUS ZONE | stop DIR | version" >&2; exit 2 ;;
esac
