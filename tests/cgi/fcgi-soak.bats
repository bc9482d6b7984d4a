#!/usr/bin/env bats
# A short soak of the FastCGI processes: one process of each program
# (spawn-fcgi, no web server; cgi-fcgi sends each request), 34 rounds of
# mixed requests (fcgi_soak_round: 714 requests, every answer checked), and
# then every process ends by itself, having served exactly its
# FCGI_MAX_REQUESTS, through the normal exit path. tests/run.sh runs this
# file on the ASan + LSan + UBSan build (build/san/cgi-bin), and on the
# release build only when the sanitizer phase is skipped (RUN_SAN=0).
# There LeakSanitizer checks each process at that exit for memory of any
# request left unfreed: its stderr must hold no report and its exit status
# must be 0. (An idle process that gets SIGTERM leaves with
# _exit, which LeakSanitizer does not see: hence FCGI_MAX_REQUESTS here.)
# tests/cgi/valgrind.bats runs a few rounds under valgrind, and
# tests/http/soak.bats 20,000 requests through Apache for flat memory.

load helpers

ROUNDS=${SOAK_ROUNDS:-34}

setup_file() {
	mc_setup_file
	# Cheap hashes: the subject is the processes' memory, not Argon2's cost.
	MEDICALCARE_ENV_FILE=$(test_env_file ARGON2_MEMORY_KIB=64 ARGON2_ITERATIONS=1) || return 1
	export MEDICALCARE_ENV_FILE
}
setup() {
	reset_state
	_fcgi_pids=()
	export MC_CGI_VIA=$BATS_TEST_TMPDIR
}
teardown() {
	local f
	# A failed test shows what the processes logged.
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		for f in "$BATS_TEST_TMPDIR"/*.log; do
			[[ -s $f ]] && { echo "--- ${f##*/}:"; tail -n 40 -- "$f"; } >&2
		done
	fi
	fcgi_stop_all
}

@test "714 mixed requests through one FastCGI process of each program, each exits clean after its last" {
	local p r
	local -A pid=()
	for p in "${!FCGI_SOAK_REQUESTS[@]}"; do
		fcgi_start "$p" FCGI_MAX_REQUESTS=$((ROUNDS * FCGI_SOAK_REQUESTS[$p]))
		pid[$p]=$fcgi_pid
	done
	for ((r = 1; r <= ROUNDS; r++)); do
		fcgi_soak_round "r$r"
	done
	# Each process has had its FCGI_MAX_REQUESTS and leaves on its own.
	for p in "${!pid[@]}"; do
		fcgi_exit "${pid[$p]}" 20
		if [[ $fcgi_rc != 0 ]] || _san_report "$(<"$BATS_TEST_TMPDIR/${p%.cgi}.log")"; then
			echo "$p exited with $fcgi_rc; its stderr:" >&2
			cat -- "$BATS_TEST_TMPDIR/${p%.cgi}.log" >&2
			false
		fi
	done
	# Every round's account was made, verified and got its new password once.
	[[ $(sql "SELECT count(*) FROM users WHERE email LIKE 'soak-r%' AND is_verified") == "$ROUNDS" ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'reset_completed'") == "$ROUNDS" ]]
}
