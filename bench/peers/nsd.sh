#!/usr/bin/env bash
# nsd.sh -- NSD for the benchmark; interface in common.sh, config nsd.conf.in.
# NSD forks its server processes and xfrd: CPU and RSS are summed over the process tree.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
case $1 in
  start)
    dir=$2 port=$3 workers=$4 cpus=$5 zone=$6
    render "$bench_peers/nsd.conf.in" "$dir/nsd.conf" DIR="$dir" PORT="$port" WORKERS="$workers" ZONE="$zone"
    launch "$dir" "$cpus" nsd -d -c "$dir/nsd.conf"
    wait_ready "$dir" "$port" "$cpus" ;;
  stop) stop_server "$2" ;;
  version) nsd -v 2>&1 | sed -n 1p ;;
  *) echo "usage: $0 start DIR PORT WORKERS CPUS ZONE | stop DIR | version" >&2; exit 2 ;;
esac
