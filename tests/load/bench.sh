#!/usr/bin/env bash
# `make bench`: requests per second, latency, CPU and memory of this
# project's programs behind Apache, in FastCGI and CGI mode, and optionally
# of another server of the same API (the FastAPI version) in the same
# sitting, interleaved run by run. Not a test: nothing is asserted.
#
#   tests/load/bench.sh [--seconds N] [--runs N] [--connections N]
#                       [--threads N] [--modes LIST] [--scenarios LIST]
#                       [--accounts N] [--timeout N] [--fcgi-processes N]
#                       [--until-answered] [--db-socket] [--out DIR] [--no-build]
#
# Scenarios (tests/load/bench.lua), each run with
# `wrk -t THREADS -c CONNECTIONS -d SECONDS --timeout TIMEOUTs`:
#   profile401  GET /user/profile without a token (401)
#   profile     GET /user/profile with a token (200)
#   login       POST /auth/login (200)
#   signup      POST /auth/signup, a new address each request (201)
#   mixed       signup-heavy: signup, signup, login, profile in turn
# Defaults: 10 seconds, 3 runs of each, 16 connections, 2 threads, modes
# fastcgi,cgi (the modes tests/lib/apache.sh offers), every scenario, 16
# accounts, timeout 30 s, FastCGI processes per program as an install has
# them by default (FCGI_PROCESSES=0: one per core; the tests' servers have
# 4). BENCH_SECONDS and BENCH_RUNS set the first two too
# (make bench BENCH_SECONDS=5). --until-answered (for the smoke test,
# tests/http/bench.bats): a wrk thread that has had no answer when the
# seconds are up goes on until it has one, and wrk is stopped once every
# request sent has its answer (60 s at most), so every run has answers
# however busy the machine; its req/s then count that tail too.
#
# Starts its own PostgreSQL (tests/lib/pg.sh, set to the durability of a
# stock Debian cluster: fsync, synchronous_commit and full_page_writes on,
# shared_buffers 128MB), SMTP sink (tests/lib/common.sh) and one Apache per
# mode (tests/lib/apache.sh) on free loopback ports, and stops them all at
# the end, on failure and on Ctrl-C. Password hashing at the service's
# defaults; the per-address limits (CLIENT_LIMIT_*) raised, since every
# request comes from 127.0.0.1. Accounts: --accounts verified accounts made
# through the HTTP API (tests/load/bench_accounts.py: signup, the code from
# the captured mail, verify-otp, which gives the token).
#
# --db-socket: the programs reach PostgreSQL over its Unix socket without a
# password (`trust` here, as `peer` would be in production: DEPLOYMENT_GUIDE.md,
# "Plain CGI and the database's login") instead of over TCP with
# SCRAM-SHA-256; the report names which. What a plain CGI request that
# reaches the database costs depends mostly on that (docs/BENCHMARKS.md).
#
# Another server: BENCH_PEER_URL (e.g. http://127.0.0.1:8101) adds it as a
# third target, run after or before ours in turn, and prints the ratios
# (ours / peer req/s, peer / ours p99). Its accounts are made the same way,
# reading the codes from BENCH_PEER_MAIL_DIR (the folder its SMTP sink
# writes .eml files into; required with BENCH_PEER_URL). BENCH_PEER_NAME
# names it (default "FastAPI"). Its processes are the ones listening on the
# URL's port and their descendants (BENCH_PEER_PID: a space-separated list
# instead); its PostgreSQL is the server its processes are connected to over
# TCP (BENCH_PEER_PG_PID: the postmaster's pid instead).
#
# Per run: wrk's figures (requests, req/s, latency p50/p90/p99, socket
# errors, statuses, unexpected answers), the CPU time of the server's
# processes (Apache, the FastCGI processes, CGI programs) and of PostgreSQL
# (postmaster, backends) apart, the peak resident memory of each, as RSS and
# as PSS (tests/load/bench_sample.py, sampling /proc every 0.1 s during the
# run),
# wrk's own CPU (/usr/bin/time), and the machine's CPU use and steal
# (/proc/stat) and load average. Prints and keeps in DIR (default
# tests/tmp/bench.DATE): report.md (median and range of 3 runs, ratios
# first), summary.json, runs/*.json (each run), machine.txt, the servers'
# logs. Exit status 0 when every run completed (whatever its figures), 1
# otherwise, 2 for bad arguments.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
# shellcheck source=tests/lib/pg.sh
source tests/lib/pg.sh
# shellcheck source=tests/lib/apache.sh
source tests/lib/apache.sh

seconds=${BENCH_SECONDS:-10} runs=${BENCH_RUNS:-3} connections=16 threads=2 accounts=16
wrk_timeout=30 out="" build=1 modes="" until_answered=0 fcgi_processes=0 db_socket=0 scenarios=profile401,profile,login,signup,mixed
usage() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
	exit 2
}
while [[ $# -gt 0 ]]; do
	case $1 in
	--seconds) seconds=${2:?}; shift ;;
	--runs) runs=${2:?}; shift ;;
	--connections) connections=${2:?}; shift ;;
	--threads) threads=${2:?}; shift ;;
	--modes) modes=${2:?}; shift ;;
	--scenarios) scenarios=${2:?}; shift ;;
	--accounts) accounts=${2:?}; shift ;;
	--timeout) wrk_timeout=${2:?}; shift ;;
	--fcgi-processes) fcgi_processes=${2:?}; shift ;;
	--out) out=${2:?}; shift ;;
	--no-build) build=0 ;;
	--until-answered) until_answered=1 ;;
	--db-socket) db_socket=1 ;;
	-h | --help) usage ;;
	*) echo "bench.sh: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
for n in "$seconds" "$runs" "$connections" "$threads" "$accounts" "$wrk_timeout"; do
	if [[ ! $n =~ ^[1-9][0-9]*$ ]]; then
		echo "bench.sh: not a positive number: $n" >&2
		exit 2
	fi
done
if [[ ! $fcgi_processes =~ ^[0-9]+$ ]]; then
	echo "bench.sh: --fcgi-processes wants a number (0: one per core)" >&2
	exit 2
fi
if ((seconds > 600 || runs > 20)); then
	echo "bench.sh: at most 600 seconds and 20 runs" >&2
	exit 2
fi

# The modes this tree's tests/lib/apache.sh can start.
available_modes=cgi
if grep -q -e '--fastcgi' tests/lib/apache.sh; then
	available_modes=fastcgi,cgi
fi
: "${modes:=$available_modes}"
IFS=, read -r -a mode_list <<<"$modes"
IFS=, read -r -a scenario_list <<<"$scenarios"
for m in "${mode_list[@]}"; do
	if [[ ,$available_modes, != *",$m,"* ]]; then
		echo "bench.sh: mode '$m' is not one tests/lib/apache.sh offers ($available_modes)" >&2
		exit 2
	fi
done
for s in "${scenario_list[@]}"; do
	case $s in profile401 | profile | login | signup | mixed) ;;
	*) echo "bench.sh: unknown scenario '$s'" >&2; exit 2 ;;
	esac
done

peer_url=${BENCH_PEER_URL:-} peer_name=${BENCH_PEER_NAME:-FastAPI}
if [[ -n $peer_url ]]; then
	peer_url=${peer_url%/}
	if [[ ! $peer_url =~ ^http://[^/]+:([0-9]+)$ ]]; then
		echo "bench.sh: BENCH_PEER_URL must be http://HOST:PORT" >&2
		exit 2
	fi
	peer_port=${BASH_REMATCH[1]}
	if [[ -z ${BENCH_PEER_MAIL_DIR:-} || ! -d $BENCH_PEER_MAIL_DIR ]]; then
		echo "bench.sh: BENCH_PEER_URL needs BENCH_PEER_MAIL_DIR, the folder of its mail (.eml)" >&2
		exit 2
	fi
fi

stamp=$(date +%Y%m%d-%H%M%S)
if [[ -z $out ]]; then
	mkdir -p tests/tmp
	out=$root/tests/tmp/bench.$stamp
fi
mkdir -p "$out/runs"
out=$(cd "$out" && pwd)

# ---------------------------------------------------------------------------
# Servers, stopped on any exit.

# Per target: its URL, its processes (roots for the sampler), its
# PostgreSQL's postmaster and, for ours, the Apache variables to stop it.
declare -A url=() roots=() exe_dirs=() pgpid=() apache_vars=()
targets=()
sampler=""
wrk_pid=""

cleanup() {
	local rc=$? m
	trap - EXIT INT TERM
	set +e
	if [[ -n $wrk_pid ]]; then
		kill -TERM "$wrk_pid" 2>/dev/null || true
	fi
	if [[ -n $sampler ]]; then
		kill -TERM "$sampler" 2>/dev/null || true
	fi
	for m in "${!apache_vars[@]}"; do
		eval "${apache_vars[$m]}"
		cp -- "$MC_APACHE_DIR/error.log" "$out/apache-$m.error.log" 2>/dev/null || true
		apache_stop
	done
	sink_stop
	pg_stop
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "bench.sh: interrupted" >&2; exit 130' INT
trap 'echo "bench.sh: terminated" >&2; exit 143' TERM

say() {
	printf '%s\n' "$*" | tee -a "$out/log.txt"
}

machine_line() {
	echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)," \
	    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
}

# The first line of /proc/stat ("cpu user nice system idle iowait irq
# softirq steal ..."), the load average, the time.
cpu_state() {
	printf '%s|%s|%s\n' "$(head -n 1 /proc/stat)" "$(cut -d ' ' -f 1-3 /proc/loadavg)" "$(date +%s.%N)"
}

if [[ $build -eq 1 ]]; then
	say "building (make -j2 all)"
	make -j2 all >"$out/build.log" 2>&1 || { tail -n 30 "$out/build.log" >&2; exit 1; }
fi

# Servers of its own: none of a surrounding test run.
unset MC_HTTP_URL MC_APACHE_PID MC_APACHE_PORT MC_APACHE_DIR MC_APACHE_ENV_FILE \
    MC_APACHE_ERROR_LOG MC_TEST_HARNESS DATABASE_URL MC_SMTP_PORT MC_MAIL_SINK MC_KEEP_LOGS_DIR \
    MC_PG_DIR MC_PG_PORT MC_PG_BINDIR MC_PG_OSUSER MC_PG_PASSWORD PGHOST PGPORT PGUSER \
    PGPASSWORD PGDATABASE MC_SINK_PID MC_SINK_BASE

say "machine: $(machine_line)"
printf '%s\n' "$(cpu_state)" >"$out/state.before"

# The time of one password hash at the service's default cost (Argon2id
# m=19456 KiB, t=2, p=1; the bench's env file sets no ARGON2_*), by the
# argon2 CLI, median of 9: the login target is a share of cores / this.
hash_ms=$(for ((i = 0; i < 9; i++)); do
	printf 'StrongPass123' | argon2 benchsalt0123 -id -t 2 -k 19456 -p 1 |
	    awk '/seconds/ { printf "%.1f\n", $1 * 1000 }'
done | sort -n | sed -n 5p)
say "one Argon2id hash (m=19456 KiB, t=2, p=1, argon2 CLI, median of 9): ${hash_ms} ms"

say "starting PostgreSQL and the SMTP sink"
pg_start
# As durable as a stock Debian cluster (pg.sh tunes its clusters for speed).
pg_admin_psql -d postgres >/dev/null <<-'EOF'
	ALTER SYSTEM SET fsync = on;
	ALTER SYSTEM SET synchronous_commit = on;
	ALTER SYSTEM SET full_page_writes = on;
	ALTER SYSTEM SET shared_buffers = '128MB';
EOF
pg_down
pg_up
# shellcheck disable=SC2119  # no argument: mail in a directory of its own, removed at the end
sink_start
our_pg=$(head -n 1 "$MC_PG_DIR/data/postmaster.pid")
# The servers it starts (for the smoke test: gone at the end).
printf '%s\n' "$our_pg" "$MC_SINK_PID" >"$out/pids"

db_url=$DATABASE_URL db_how="TCP, SCRAM-SHA-256"
if ((db_socket)); then
	# The programs run as another user than the cluster's: let them reach
	# the socket (the cluster is private to this run).
	pg__as chmod 711 "$MC_PG_DIR" "$MC_PG_DIR/sock"
	pg__as chmod 777 "$MC_PG_DIR/sock/.s.PGSQL.$MC_PG_PORT"
	db_url="postgresql://mc_test@/medicalcare_test?host=$MC_PG_DIR/sock&port=$MC_PG_PORT"
	db_how="Unix socket, no password (trust)"
fi

jwt_key=$(openssl rand -hex 32)
env_file=$out/bench.env
cat >"$env_file" <<-EOF
	# Written by tests/load/bench.sh for one sitting.
	JWT_SECRET_KEY=$jwt_key
	FRONTEND_URL=http://localhost:3000
	MAIL_TRANSPORT=smtp
	SMTP_SERVER=127.0.0.1
	SMTP_PORT=$MC_SMTP_PORT
	SMTP_SECURITY=none
	SMTP_FROM=no-reply@medicalcare.test
	DATABASE_URL=$db_url
	# Every request comes from 127.0.0.1: the per-address limits would
	# answer 429 after a few requests. Still counted on every request.
	CLIENT_LIMIT_LOGIN=1000000
	CLIENT_LIMIT_SIGNUP=1000000
	CLIENT_LIMIT_VERIFY_OTP=1000000
	CLIENT_LIMIT_RESEND_OTP=1000000
	CLIENT_LIMIT_FORGOT_PASSWORD=1000000
EOF
chmod 600 "$env_file"

# Starts Apache in mode $1 and records it as target $1.
start_ours() { # MODE
	local m=$1 v saved=""
	local -a opt=()
	if [[ $available_modes == *fastcgi* ]]; then
		opt=("--$m")
	fi
	say "starting Apache ($m)"
	MC_FCGI_PROCESSES=$fcgi_processes apache_start --env-file "$env_file" "${opt[@]}"
	for v in "${_mc_apache_vars[@]}"; do
		saved+="export $v=$(printf '%q' "${!v:-}"); "
	done
	apache_vars[$m]=$saved
	url[$m]=$MC_HTTP_URL
	roots[$m]=$MC_APACHE_PID
	printf '%s\n' "$MC_APACHE_PID" >>"$out/pids"
	exe_dirs[$m]=""
	if [[ $m == fastcgi ]]; then
		# The FastCGI processes are not Apache's: they descend from the
		# launcher (apache/fcgi.sh: multiwatch per program, then the
		# programs), whose pid is in the run folder. Without it, any
		# process running a program of cgi-bin/ counts.
		if [[ -s $MC_APACHE_DIR/fcgi.pid ]]; then
			roots[$m]+=" $(<"$MC_APACHE_DIR/fcgi.pid")"
			printf '%s\n' "$(<"$MC_APACHE_DIR/fcgi.pid")" >>"$out/pids"
		else
			exe_dirs[$m]=$root/cgi-bin
		fi
	fi
	pgpid[$m]=$our_pg
	targets+=("$m")
	for v in "${_mc_apache_vars[@]}"; do
		unset "$v"
	done
}
for m in "${mode_list[@]}"; do
	start_ours "$m"
done

# The peer's processes: those listening on its port, as roots (the ones
# whose parent is not one of them), and its PostgreSQL: the postgres
# process listening on a port its processes are connected to.
listeners() { # PORT
	ss -Hltnp "( sport = :$1 )" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u
}
descendants() { # PID...
	ps -e -o pid=,ppid= | awk -v r=" $* " '
		{ parent[$1] = $2 }
		END {
			n = split(r, q, " ")
			for (i = 1; i <= n; i++) keep[q[i]] = 1
			do {
				changed = 0
				for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 }
			} while (changed)
			for (p in keep) print p
		}'
}
if [[ -n $peer_url ]]; then
	if [[ -n ${BENCH_PEER_PID:-} ]]; then
		peer_roots=$BENCH_PEER_PID
	else
		mapfile -t ls_pids < <(listeners "$peer_port")
		if [[ ${#ls_pids[@]} -eq 0 ]]; then
			echo "bench.sh: nothing listens on port $peer_port of $peer_url" >&2
			exit 1
		fi
		peer_roots=""
		for p in "${ls_pids[@]}"; do
			pp=$(ps -o ppid= -p "$p" | tr -d ' ')
			[[ " ${ls_pids[*]} " == *" $pp "* ]] || peer_roots+="$p "
		done
	fi
	peer_pg=${BENCH_PEER_PG_PID:-}
	if [[ -z $peer_pg ]]; then
		# shellcheck disable=SC2086  # a list of pids
		mapfile -t tree < <(descendants $peer_roots)
		for port in $(ss -Htnp state established | awk -v pids=" ${tree[*]} " '
			{ if (match($0, /pid=[0-9]+/) && index(pids, " " substr($0, RSTART + 4, RLENGTH - 4) " ")) {
				n = split($4, a, ":"); print a[n] } }' | sort -u); do
			for p in $(listeners "$port"); do
				if [[ $(ps -o comm= -p "$p") == postgres ]]; then
					peer_pg=$p
				fi
			done
		done
	fi
	url[peer]=$peer_url
	roots[peer]=$peer_roots
	exe_dirs[peer]=""
	pgpid[peer]=$peer_pg
	targets+=(peer)
	say "peer ($peer_name): $peer_url, processes ${peer_roots% } and descendants," \
	    "PostgreSQL ${peer_pg:-not found (its CPU is not counted)}"
fi

# ---------------------------------------------------------------------------
# Accounts: made once on our database (both modes share it) and once on the peer's.

say "making $accounts verified accounts per database through the API"
first=${mode_list[0]}
prefix=bench-$stamp-$$
/usr/bin/python3 tests/load/bench_accounts.py --url "${url[$first]}" --mail-dir "$MC_MAIL_SINK" \
    --count "$accounts" --prefix "$prefix" --out "$out/accounts.ours"
for m in "${mode_list[@]}"; do
	ln -sf accounts.ours "$out/accounts.$m"
done
if [[ -n $peer_url ]]; then
	/usr/bin/python3 tests/load/bench_accounts.py --url "$peer_url" --mail-dir "$BENCH_PEER_MAIL_DIR" \
	    --count "$accounts" --prefix "$prefix" --out "$out/accounts.peer"
fi

# ---------------------------------------------------------------------------
# The runs.

label() { # TARGET
	case $1 in
	fastcgi) echo FastCGI ;;
	cgi) echo CGI ;;
	peer) echo "$peer_name" ;;
	esac
}

run_one() { # TARGET SCENARIO RUN
	local t=$1 sc=$2 r=$3 base wrk_rc=0 p
	local -a sargs=(--out "$out/runs/$sc.$t.$r.sample.json")
	base=$out/runs/$sc.$t.$r
	for p in ${roots[$t]}; do
		sargs+=(--pid "$p")
	done
	[[ -n ${exe_dirs[$t]} ]] && sargs+=(--exe-dir "${exe_dirs[$t]}")
	[[ -n ${pgpid[$t]} ]] && sargs+=(--pg-pid "${pgpid[$t]}")
	/usr/bin/python3 tests/load/bench_sample.py "${sargs[@]}" </dev/null &
	sampler=$!
	for ((p = 0; p < 100; p++)); do
		[[ -e $base.sample.json.ready ]] && break
		sleep 0.05
	done
	local idle_at=0 duration=$seconds
	if [[ $until_answered -eq 1 ]]; then
		mkdir -p "$base.quiet"
		idle_at=$(($(date +%s) + seconds))
		duration=$((seconds + 60))
	fi
	cpu_state >"$base.before"
	BENCH_SCENARIO=$sc BENCH_OUT=$base.wrk.json BENCH_ACCOUNTS=$out/accounts.$t \
	    BENCH_TAG=$prefix-$t-$sc-$r BENCH_IDLE_AT=$idle_at BENCH_QUIET_DIR=$base.quiet \
	    timeout -k 5 $((duration + wrk_timeout + 30)) /usr/bin/time -o "$base.time" -f '%e %U %S %M' \
	    wrk -t "$threads" -c "$connections" -d "${duration}s" --timeout "${wrk_timeout}s" \
	    -s tests/load/bench.lua "${url[$t]}" >"$base.wrk.txt" 2>&1 </dev/null &
	wrk_pid=$!
	if [[ $until_answered -eq 1 ]]; then
		# Once every thread is quiet: SIGINT to timeout, which passes it
		# on to its process group (wrk stops and reports; time ignores it).
		while kill -0 "$wrk_pid" 2>/dev/null; do
			if [[ $(find "$base.quiet" -name 'quiet.*' | wc -l) -ge $threads ]]; then
				kill -INT "$wrk_pid" 2>/dev/null || true
				break
			fi
			sleep 0.1
		done
	fi
	wait "$wrk_pid" || wrk_rc=$?
	rm -rf -- "$base.quiet"
	wrk_pid=""
	cpu_state >"$base.after"
	kill -TERM "$sampler"
	wait "$sampler" || true
	sampler=""
	if [[ $wrk_rc -ne 0 || ! -s $base.wrk.json ]]; then
		say "run $r $sc $(label "$t"): wrk failed ($wrk_rc):"
		cat "$base.wrk.txt" >&2
		return 1
	fi
	jq -n --arg target "$t" --arg lab "$(label "$t")" --arg scenario "$sc" --argjson run "$r" \
	    --slurpfile wrk "$base.wrk.json" --slurpfile sample "$base.sample.json" \
	    --arg time "$(tail -n 1 "$base.time")" --arg before "$(cat "$base.before")" \
	    --arg after "$(cat "$base.after")" \
	    '{target: $target, label: $lab, scenario: $scenario, run: $run, wrk: $wrk[0],
	      sample: $sample[0], wrk_time: $time, before: $before, after: $after}' >"$base.json" ||
		return 1
	rm -f -- "$base.before" "$base.after" "$base.time" "$base.wrk.json" "$base.sample.json"*
	say "$(jq -r '"run \(.run) \(.scenario) \(.label): \(.wrk.requests) requests, \(.wrk.requests_per_s) req/s,"
	    + " p99 \(.wrk.latency_us.p99 / 1000) ms, unexpected \(.wrk.unexpected),"
	    + " socket errors \([.wrk.socket_errors[]] | add)"' "$base.json")"
}

jq -n --arg stamp "$stamp" --arg machine "$(machine_line)" --argjson seconds "$seconds" \
    --argjson runs "$runs" --argjson c "$connections" --argjson t "$threads" \
    --argjson timeout "$wrk_timeout" --argjson accounts "$accounts" --arg peer "$peer_url" \
    --argjson until "$until_answered" --argjson fp "$fcgi_processes" --argjson cores "$(nproc)" \
    --argjson hash_ms "${hash_ms:-0}" \
    --arg peer_name "$peer_name" --arg db_how "$db_how" --arg commit "$(git rev-parse --short HEAD 2>/dev/null || echo '?')" \
    --arg dirty "$(git status --porcelain 2>/dev/null | grep -q . && echo yes || echo no)" \
    --arg apache "$("$(mc_apache_bin)" -v | sed -n 's/^Server version: //p')" \
    --arg pg "$("$MC_PG_BINDIR/postgres" --version)" --arg wrk "$(wrk -v 2>&1 | head -n 1)" \
    --arg targets "${targets[*]}" --arg scenarios "${scenario_list[*]}" \
    '{stamp: $stamp, machine: $machine, seconds: $seconds, runs: $runs, connections: $c,
      threads: $t, timeout: $timeout, until_answered: ($until == 1), accounts: $accounts,
      fcgi_processes: (if $fp == 0 then $cores else $fp end), cores: $cores, hash_ms: $hash_ms, peer_url: $peer, peer_name: $peer_name, database: $db_how,
      commit: $commit, dirty: $dirty, apache: $apache, postgres: $pg, wrk: $wrk,
      targets: ($targets | split(" ")), scenarios: ($scenarios | split(" "))}' >"$out/meta.json"

say "wrk -t $threads -c $connections -d ${seconds}s --timeout ${wrk_timeout}s, $runs runs of" \
    "${scenario_list[*]} against ${targets[*]}"
failed=0
for ((r = 1; r <= runs; r++)); do
	for sc in "${scenario_list[@]}"; do
		# Each round starts with another target, so none always runs first.
		n=${#targets[@]}
		for ((i = 0; i < n; i++)); do
			t=${targets[$(((i + r - 1) % n))]}
			run_one "$t" "$sc" "$r" || failed=1
			sleep 1
		done
	done
done
printf '%s\n' "$(cpu_state)" >"$out/state.after"

/usr/bin/python3 tests/load/bench_report.py "$out" | tee "$out/report.txt"
say "figures in ${out#"$root"/}"
exit "$failed"
