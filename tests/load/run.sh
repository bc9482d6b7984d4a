#!/usr/bin/env bash
# The load run of docs/BENCHMARKS.md, with its figures:
#
#   tests/load/run.sh [--seconds N] [--connections N] [--threads N]
#                     [--mix L:P:S] [--drain N] [--out DIR] [--no-build] [--no-cgi]
#
# Builds the release programs (make -j2 all; --no-build: use what is built),
# then runs tests/http/load.bats, which starts a private PostgreSQL, SMTP sink
# and Apache (tests/lib/apache.sh, apache/local.conf.in) on free loopback
# ports, makes the load accounts, runs wrk with tests/load/mix.lua and checks
# the run (no 5xx, no socket error, every account created exactly once);
# then, unless --no-cgi, tests/load/cgi-cost.bats, which runs login, profile
# and signup directly as CGI programs (no web server) and records each one's
# peak memory and single-request time. Prints the figures; keeps them in DIR
# (default tests/tmp/load.DATE): report.md, summary.json, cgi-cost.json, and
# wrk's own output wrk.txt. Exit status 0 when every check passed.
#
# --seconds: how long requests go out (default 50); then none, and wrk is
# stopped as soon as every request sent has its answer, or by itself --drain
# seconds later (default 30, or less to keep seconds + drain, wrk's -d, at
# most 60: 10 for the default 50). Defaults:
# 32 connections, 2 threads, mix 1:1:1 (login:profile:signup). `make test`
# runs the same test with 15 seconds, `MC_LONG=1 make test` with 50.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

seconds=50 connections=32 threads=2 mix=1:1:1 drain="" out="" build=1 cgi=1
usage() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
	exit 2
}
while [[ $# -gt 0 ]]; do
	case $1 in
	--seconds) seconds=${2:?}; shift ;;
	--connections) connections=${2:?}; shift ;;
	--threads) threads=${2:?}; shift ;;
	--mix) mix=${2:?}; shift ;;
	--drain) drain=${2:?}; shift ;;
	--out) out=${2:?}; shift ;;
	--no-build) build=0 ;;
	--no-cgi) cgi=0 ;;
	-h | --help) usage ;;
	*) echo "run.sh: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
[[ $seconds =~ ^[0-9]+$ ]] || { echo "run.sh: not a number: $seconds" >&2; exit 2; }
if [[ -z $drain ]]; then
	drain=$((60 - seconds < 30 ? 60 - seconds : 30))
	((drain >= 5)) || drain=5
fi
for n in "$connections" "$threads" "$drain"; do
	[[ $n =~ ^[0-9]+$ ]] || { echo "run.sh: not a number: $n" >&2; exit 2; }
done
if ((seconds < 5 || drain < 5 || seconds + drain > 60)); then
	echo "run.sh: want --seconds >= 5, --drain >= 5 and both together <= 60" >&2
	exit 2
fi
[[ $mix =~ ^[0-9]+:[0-9]+:[0-9]+$ ]] || { echo "run.sh: --mix wants L:P:S, e.g. 1:1:1" >&2; exit 2; }

if [[ -z $out ]]; then
	mkdir -p tests/tmp
	out=$root/tests/tmp/load.$(date +%Y%m%d-%H%M%S)
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [[ $build -eq 1 ]]; then
	echo "building (make -j2 all)"
	make -j2 all >"$out/build.log" 2>&1 || { tail -n 30 "$out/build.log" >&2; exit 1; }
fi

# Servers of its own: none of a surrounding test run.
unset MC_HTTP_URL MC_APACHE_PID MC_APACHE_PORT MC_APACHE_DIR MC_APACHE_ENV_FILE \
    MC_APACHE_ERROR_LOG MC_TEST_HARNESS DATABASE_URL MC_SMTP_PORT MC_MAIL_SINK
export MC_LOAD_SECONDS=$seconds MC_LOAD_CONNECTIONS=$connections MC_LOAD_THREADS=$threads \
    MC_LOAD_MIX=$mix MC_LOAD_DRAIN=$drain MC_LOAD_OUT_DIR=$out

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo),"\
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); load average before: $(cut -d ' ' -f 1-3 /proc/loadavg)" |
    tee "$out/machine.txt"
rc=0
bats tests/http/load.bats || rc=1
if [[ $cgi -eq 1 ]]; then
	bats tests/load/cgi-cost.bats || rc=1
fi
echo "load average after: $(cut -d ' ' -f 1-3 /proc/loadavg)" | tee -a "$out/machine.txt"
echo
echo "figures in ${out#"$root"/}:"
cat "$out/report.md" 2>/dev/null || true
[[ -f $out/cgi-cost.md ]] && cat "$out/cgi-cost.md"
exit "$rc"
