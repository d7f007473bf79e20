#!/usr/bin/env bash
# srvd.sh -- srvd for the benchmark; interface in common.sh. DATA is a data dir filled
# beforehand (bench/seed_srvd.sh): it is copied into DIR/data, so every start loads the
# same registry from its embedded store, and no run sees another's writes.
# HTTP goes to a free loopback port, written to DIR/http_port. Binary: $SRVD.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
SRVD=${SRVD:-$bench_peers/../../build/srvd}
case $1 in
  start)
    dir=$2 port=$3 workers=$4 cpus=$5 data=$6
    rm -rf "$dir/data" && mkdir -p "$dir/zones"
    if [[ -n $data ]]; then cp -a "$data" "$dir/data"; else mkdir -p "$dir/data"; fi
    http_port=$(/usr/bin/python3 "$bench_peers/../free_port.py")
    echo "$http_port" >"$dir/http_port"
    launch "$dir" "$cpus" "$SRVD" serve --dns "127.0.0.1:$port" --http "127.0.0.1:$http_port" \
      --dns-threads "$workers" --data-dir "$dir/data" --zones "$dir/zones"
    wait_ready "$dir" "$port" "$cpus" ;;
  stop) stop_server "$2" ;;
  version) echo "srvd ${SRVD_VERSION:-$(cd "$bench_peers/../.." && git describe --always --dirty 2>/dev/null || echo unknown)} ($(realpath "$SRVD"))" ;;
  *) echo "usage: $0 start DIR PORT WORKERS CPUS DATADIR | stop DIR | version" >&2; exit 2 ;;
esac
