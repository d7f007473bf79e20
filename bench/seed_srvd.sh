#!/usr/bin/env bash
# seed_srvd.sh DATADIR SERVICES INSTANCES -- fills an srvd data dir with the generator's
# registry: starts srvd on free loopback ports with --data-dir DATADIR, registers over
# HTTP (gen_data.py --register), stops it cleanly. peers/srvd.sh copies DATADIR for each
# start. Prints the generator's JSON line (instances, seconds, per second).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
datadir=$1 services=$2 instances=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/srvd-seed.XXXXXX")
trap '"$here/peers/srvd.sh" stop "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
"$here/peers/srvd.sh" start "$work" "$(/usr/bin/python3 "$here/free_port.py")" 2 "" "" >/dev/null
/usr/bin/python3 "$here/gen_data.py" --services "$services" --instances "$instances" \
  --register "127.0.0.1:$(cat "$work/http_port")" --workers 8
"$here/peers/srvd.sh" stop "$work"
rm -rf "$datadir" && cp -a "$work/data" "$datadir"
