#!/usr/bin/env bash
# knot.sh -- Knot DNS (knotd) for the benchmark; interface in common.sh, config knot.conf.in.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
case $1 in
  start)
    dir=$2 port=$3 workers=$4 cpus=$5 zone=$6
    mkdir -p "$dir/db"
    render "$bench_peers/knot.conf.in" "$dir/knot.conf" DIR="$dir" PORT="$port" WORKERS="$workers" ZONE="$zone"
    launch "$dir" "$cpus" knotd -c "$dir/knot.conf"
    wait_ready "$dir" "$port" "$cpus" ;;
  stop) stop_server "$2" ;;
  version) knotd -V | sed -n 1p ;;
  *) echo "usage: $0 start DIR PORT WORKERS CPUS ZONE | stop DIR | version" >&2; exit 2 ;;
esac
