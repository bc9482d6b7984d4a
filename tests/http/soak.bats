#!/usr/bin/env bats
# Soak: 20,000 mixed requests through Apache to ONE FastCGI process of each
# program (apache/fcgi.sh with FCGI_PROCESSES=1, FCGI_MAX_REQUESTS high
# enough that none is replaced), in 8 phases of 2,500 (wrk,
# tests/load/soak.lua: every program, successes and failures, each answer's
# status known in advance). After each phase the resident memory (VmRSS) of
# every process is read. The processes must be the same ones at the end,
# every answer the expected one (no 5xx, no socket error), and each
# process's memory flat: after the last phase it may exceed what it was
# after the first quarter (5,000 requests) by less than RSS_BOUND_KIB (40).
# A leak of one 32-byte allocation per request breaks that for every program
# but resend-otp and forgot-password (75 requests each between the quarter
# and the end: their answers take 100 ms) and the two-factor ones (150 to
# 300: valgrind.bats and the sanitizer's fcgi-soak.bats check those for
# leaks; here they are checked for staying up): tried with one in the FastCGI
# loop, they grew by 56 KiB (openapi.cgi, 1,200 requests) to 280 KiB
# (profile.cgi, 4,800). Without it they grow by 0 to 4 KiB, but health.cgi
# (a new database connection per request, by design) by up to about 20 KiB
# until some 1,600 requests, then no more.
#
# Own Apache (tests/lib/apache.sh --fastcgi), whatever the suite runs; the
# suite's PostgreSQL and SMTP sink, or its own. Cheap password hashes (the
# subject is memory, not Argon2). About a minute.

load helpers

PHASES=8
PER_PHASE=2500
RSS_BOUND_KIB=40
PROGRAMS=(health openapi profile login signup verify-otp reset-password resend-otp forgot-password
	mfa-setup mfa-enable mfa-verify)

setup_file() {
	mc_setup_file || return 1
	unset MC_HTTP_URL MC_APACHE_PID MC_APACHE_PORT MC_APACHE_DIR MC_APACHE_ENV_FILE \
	    MC_APACHE_ERROR_LOG MC_APACHE_SERVE
	local env
	env=$(test_env_file ARGON2_MEMORY_KIB=64 ARGON2_ITERATIONS=1 FCGI_MAX_REQUESTS=1000000 \
	    -HASH_LOCK_FILE) || return 1
	if ! MC_FCGI_PROCESSES=1 apache_start --fastcgi --env-file "$env"; then
		mc_teardown_file
		return 1
	fi
	export MEDICALCARE_ENV_FILE=$MC_APACHE_ENV_FILE
}

teardown_file() {
	apache_stop
	mc_teardown_file
}

setup() {
	reset_state
}

teardown() {
	if [[ -n ${wrk_pid:-} ]]; then
		kill -KILL "$wrk_pid" 2>/dev/null || true
		wait "$wrk_pid" 2>/dev/null || true
	fi
}

# rss PID: VmRSS of process PID in KiB.
rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

@test "20,000 mixed requests through one FastCGI process of each program: same processes, expected answers, flat memory" {
	local p i q dir=$BATS_TEST_TMPDIR
	local -a pids
	local -A pid=() at=()
	for p in "${PROGRAMS[@]}"; do
		mapfile -t pids < <(fcgi_pids "$p")
		if [[ ${#pids[@]} -ne 1 ]]; then
			echo "$p: ${#pids[@]} processes, want 1 (${pids[*]})" >&2
			false
		fi
		pid[$p]=${pids[0]}
	done
	/usr/bin/python3 "$MC_ROOT/tests/load/bench_accounts.py" --url "$MC_HTTP_URL" \
	    --mail-dir "$MC_MAIL_SINK" --count 8 --prefix soak --out "$dir/accounts"

	for ((i = 1; i <= PHASES; i++)); do
		q=$dir/phase$i
		mkdir -p "$q"
		SOAK_OUT=$q SOAK_QUOTA=$((PER_PHASE / 2)) SOAK_ACCOUNTS=$dir/accounts SOAK_TAG=p$i \
		    SOAK_OFFSET=$(((i - 1) * PER_PHASE / 2)) \
		    wrk -t 2 -c 16 -d 120s --timeout 30s -s "$MC_ROOT/tests/load/soak.lua" "$MC_HTTP_URL" \
		    >"$q/wrk.txt" 2>&1 3>&- &
		wrk_pid=$!
		while kill -0 "$wrk_pid" 2>/dev/null; do
			if [[ $(find "$q" -name 'quiet.*' | wc -l) -ge 2 ]]; then
				kill -INT "$wrk_pid"
				break
			fi
			sleep 0.2
		done
		wait "$wrk_pid" || { cat "$q/wrk.txt" >&2; false; }
		wrk_pid=""
		# Every answer the expected one, none lost.
		if ! jq -e --argjson n "$PER_PHASE" '.requests == $n and .socket_errors == 0
		    and .statuses == .expected' "$q/soak.json" >/dev/null; then
			echo "phase $i:" >&2
			cat "$q/soak.json" "$q/wrk.txt" >&2
			false
		fi
		for p in "${PROGRAMS[@]}"; do
			# Still the same single process.
			[[ $(fcgi_pids "$p") == "${pid[$p]}" ]] || {
				echo "$p: process ${pid[$p]} replaced by $(fcgi_pids "$p" | tr '\n' ' ')" >&2
				false
			}
			at[$p.$i]=$(rss "${pid[$p]}")
		done
	done

	# The memory of each process after each phase, then the check.
	local line bad=0 grew
	for p in "${PROGRAMS[@]}"; do
		line=$(printf '%-16s' "$p")
		for ((i = 1; i <= PHASES; i++)); do
			line+=$(printf ' %6d' "${at[$p.$i]}")
		done
		grew=$((at[$p.$PHASES] - at[$p.2]))
		line+="  KiB; end - quarter: $grew KiB"
		echo "# $line" >&3
		if ((grew >= RSS_BOUND_KIB)); then
			echo "$p: VmRSS grew by $grew KiB from 5,000 to 20,000 requests (bound $RSS_BOUND_KIB)" >&2
			bad=1
		fi
	done
	[[ $bad == 0 ]]
	# Nothing in the error log about a program that crashed or printed nothing.
	! grep -E 'End of script output|malformed header|segfault|exit signal' "$MC_APACHE_ERROR_LOG" >&2
}
