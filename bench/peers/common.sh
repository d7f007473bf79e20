# shellcheck shell=bash
# common.sh -- sourced by the launchers in this folder; one interface for every server:
#   NAME.sh start DIR PORT WORKERS CPUS DATA   start it in the foreground of a background job,
#                                              wait until it answers the apex SOA on PORT,
#                                              print its PID (also in DIR/pid)
#   NAME.sh stop DIR                           TERM it (KILL after 10 s) and wait
#   NAME.sh version                            one line
# DIR is a fresh directory owned by this run (config, logs, state); CPUS is a taskset
# list ("0") or "" for unpinned; DATA is the zone file (peers) or a data dir (srvd).
set -euo pipefail
bench_peers=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# fill TEMPLATE's @KEY@ placeholders from KEY=VALUE arguments into OUT
render() {
  local template=$1 out=$2; shift 2
  local sed_args=()
  for kv in "$@"; do sed_args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
  sed "${sed_args[@]}" "$template" >"$out"
}

# launch DIR CPUS CMD...: background job, pinned with taskset when CPUS is set
launch() {
  local dir=$1 cpus=$2; shift 2
  if [[ -n $cpus ]]; then
    setsid taskset -c "$cpus" "$@" >"$dir/out.log" 2>"$dir/err.log" </dev/null &
  else
    setsid "$@" >"$dir/out.log" 2>"$dir/err.log" </dev/null &
  fi
  echo $! >"$dir/pid"
}

# wait_ready DIR PORT CPUS: until the apex SOA answers (60 s), then re-pin every thread
# (some servers set their workers' affinity themselves), then print the PID
wait_ready() {
  local dir=$1 port=$2 cpus=$3 pid
  pid=$(cat "$dir/pid")
  for ((i = 0; i < 600; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "server exited during start-up: $(tail -n 5 "$dir/err.log" "$dir/out.log" 2>/dev/null)" >&2
      return 1
    fi
    if dig +short +norec +time=1 +tries=1 @127.0.0.1 -p "$port" svc.internal. SOA 2>/dev/null | grep -q hostmaster; then
      [[ -n $cpus ]] && /usr/bin/python3 "$bench_peers/../proc_stats.py" pin "$pid" "$cpus"
      echo "$pid"
      return 0
    fi
    sleep 0.1
  done
  echo "server did not answer on port $port within 60 s: $(tail -n 5 "$dir/err.log")" >&2
  return 1
}

stop_server() {
  local dir=$1 pid
  [[ -f $dir/pid ]] || return 0
  pid=$(cat "$dir/pid")
  kill -TERM "$pid" 2>/dev/null || { rm -f "$dir/pid"; return 0; }
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$dir/pid"; return 0; }
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/pid"
}
