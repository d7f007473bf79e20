#!/usr/bin/env bash
# setup-bench.sh -- installs what scripts/setup.sh does plus the Debian packages the benchmark
# suite (bench/) needs: the peer DNS servers it measures srvd against (Knot DNS, NSD,
# PowerDNS with its bind backend), the load generators (dnsperf/resperf, wrk) and perf for
# profiling. The suite starts every server itself on free loopback ports.
set -euo pipefail
exec "$(dirname "$0")/setup.sh" knot nsd pdns-server pdns-backend-bind dnsperf wrk linux-perf
