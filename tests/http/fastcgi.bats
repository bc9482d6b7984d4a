#!/usr/bin/env bats
# The programs as FastCGI processes (apache/fcgi.sh: spawn-fcgi + multiwatch,
# one socket per program, behind mod_proxy_fcgi), under load and faults:
#   - every program has its FCGI_PROCESSES processes;
#   - PostgreSQL restarted under load: no 5xx but 503, and after the restart
#     at most one 503 per process (the request that finds its kept
#     connection broken), then the next request succeeds;
#   - a process killed (SIGKILL) under signup load: every request answered
#     once (rows made = 201s, plus at most the killed process's in-flight
#     request, which failed), another process takes its place;
#   - a process stopped (SIGTERM) under load: no request fails;
#   - a changed env file is picked up without a restart;
#   - FCGI_MAX_REQUESTS: a process exits after that many and is replaced,
#     no request fails.
# Load comes from tests/http/load_loop.py: a few seconds, bounded, to
# 127.0.0.1 only. In CGI mode (MC_SERVE_MODE=cgi) there is nothing to test.

# shellcheck disable=SC2154  # http_status, http_body... are set by http (helpers.bash)
load helpers

PROCESSES=${MC_FCGI_PROCESSES:-3}

setup_file() {
	if [[ ${MC_APACHE_SERVE:-${MC_SERVE_MODE:-fastcgi}} != fastcgi ]]; then
		skip "the server runs the programs as CGI (MC_SERVE_MODE=cgi)"
	fi
	http_setup_file
}

# No test leaves a process with a connection it broke (PostgreSQL
# restarted) to the next test or file.
teardown() {
	launcher_cleanup
	http_fcgi_renew
}

# load KIND SECONDS [options of load_loop.py]: runs the loop in the
# background into $BATS_TEST_TMPDIR/load.jsonl; LOAD_PID is its pid.
load_start() {
	local kind=$1 secs=$2
	shift 2
	"$MC_PYTHON" "$BATS_TEST_DIRNAME/load_loop.py" "$MC_HTTP_URL" "$kind" --seconds "$secs" \
	    --workers 4 --max 20000 "$@" >"$BATS_TEST_TMPDIR/load.jsonl" 3>&- &
	LOAD_PID=$!
}

# statuses [jq filter on a record]: "count status" lines of the answers.
statuses() {
	jq -r "select(${1:-true}) | .status" "$BATS_TEST_TMPDIR/load.jsonl" | sort | uniq -c |
	    sed 's/^ *//'
}

# wait_processes PROGRAM N: until PROGRAM has N processes (5 s at most).
wait_processes() {
	local i n
	for ((i = 0; i < 50; i++)); do
		n=$(fcgi_pids "$1" | wc -l)
		[[ $n -eq $2 ]] && return 0
		sleep 0.1
	done
	echo "$1 has $n processes, not $2, after 5 s" >&2
	"$MC_ROOT/apache/fcgi.sh" status --run-dir "$MC_APACHE_DIR" >&2 || true
	return 1
}

# A verified account and its token, for profile: TOKEN.
account() {
	http_account "$1" >/dev/null
	TOKEN=$http_token
}

# programs: the name of every program in cgi-bin/, one a line.
programs() {
	local f
	for f in "$MC_ROOT"/cgi-bin/*.c; do
		f=${f##*/}
		echo "${f%.c}"
	done
}

@test "every program has its FastCGI processes and the launcher says so" {
	local p out
	for p in $(programs); do
		[[ $(fcgi_pids "$p" | wc -l) -eq $PROCESSES ]] || _fail "$p: $(fcgi_pids "$p" | wc -l) processes"
	done
	out=$("$MC_ROOT/apache/fcgi.sh" status --run-dir "$MC_APACHE_DIR")
	[[ $(grep -c " $PROCESSES/$PROCESSES " <<<"$out") -eq $(programs | wc -l) ]] || _fail "status: $out"
	# Processes run as the server's user, not root.
	p=$(fcgi_pids profile | head -n 1)
	[[ $(ps -o user= -p "$p") == "$(mc_apache_run_user)" ]]
}

@test "PostgreSQL restarted under load gives at most one 503 per FastCGI process, then service" {
	local down up before after others
	account ann@example.test
	# Every profile process holds a connection before the restart.
	load_start profile 5 --token "$TOKEN"
	sleep 1.5
	down=$(date +%s.%N)
	pg_down
	pg_up
	up=$(date +%s.%N)
	wait "$LOAD_PID"
	before=$(statuses ".start < $down - 0.5")
	after=$(statuses ".start > $up")
	others=$(jq -r 'select(.status != 200 and .status != 503) | .status' "$BATS_TEST_TMPDIR/load.jsonl" |
	    sort | uniq -c)
	[[ -z $others ]] || _fail "answers other than 200 and 503: $others"
	# Requests after PostgreSQL was back: 503 only for a process that found
	# its kept connection broken, once.
	local n503
	n503=$(jq -r "select(.start > $up and .status == 503) | 1" "$BATS_TEST_TMPDIR/load.jsonl" | wc -l)
	((n503 <= PROCESSES)) || _fail "$n503 503s after the restart (at most $PROCESSES): $after"
	[[ $(jq -r "select(.start > $up and .status == 200) | 1" "$BATS_TEST_TMPDIR/load.jsonl" | wc -l) -gt 0 ]] ||
		_fail "no 200 after the restart: $after"
	[[ $before == *" 200" && $before != *503* ]] || _fail "before the restart: $before"
	# The next request succeeds, on every process.
	for _ in 1 2 3 4 5 6 7 8; do
		http GET /user/profile -H "Authorization: Bearer $TOKEN"
		assert_status 200
	done
}

@test "a FastCGI signup process killed under load loses no request and is replaced" {
	local victim n201 rows failed fail_statuses
	load_start signup 4 --prefix kill
	sleep 1.5
	victim=$(fcgi_pids signup | head -n 1)
	[[ -n $victim ]]
	kill -KILL "$victim"
	wait "$LOAD_PID"
	n201=$(jq -r 'select(.status == 201) | .email' "$BATS_TEST_TMPDIR/load.jsonl" | wc -l)
	failed=$(jq -r 'select(.status != 201) | .email' "$BATS_TEST_TMPDIR/load.jsonl" | wc -l)
	fail_statuses=$(statuses '.status != 201')
	rows=$(sql "SELECT count(*) FROM users WHERE email LIKE 'kill-%'")
	((n201 > 10)) || _fail "only $n201 signups answered 201"
	# At most the killed process's request in hand failed, with a 503.
	((failed <= 1)) || _fail "$failed requests failed: $fail_statuses"
	[[ $failed -eq 0 || $fail_statuses == "1 503" ]] || _fail "the failed request: $fail_statuses"
	# Each 201 made its row; a failed one made at most one (killed after
	# its commit). No request was answered twice (one record per request).
	((rows >= n201 && rows <= n201 + failed)) || _fail "$rows rows for $n201 answers 201 and $failed failed"
	[[ $(sql "SELECT count(*) FROM users WHERE email IN ($(jq -r 'select(.status == 201) | "'"'"'\(.email)'"'"'"' \
	    "$BATS_TEST_TMPDIR/load.jsonl" | paste -sd,))") == "$n201" ]]
	# Another process took its place.
	wait_processes signup "$PROCESSES"
	! fcgi_pids signup | grep -qx "$victim"
	http POST /auth/signup "$(jobj full_name "After Kill" email after-kill@example.test password StrongPass123)"
	assert_status 201
}

@test "a FastCGI process stopped with SIGTERM under load finishes its request and none fails" {
	local victim n201 rows
	load_start signup 4 --prefix term
	sleep 1.5
	victim=$(fcgi_pids signup | head -n 1)
	kill -TERM "$victim"
	wait "$LOAD_PID"
	n201=$(jq -r 'select(.status == 201) | 1' "$BATS_TEST_TMPDIR/load.jsonl" | wc -l)
	rows=$(sql "SELECT count(*) FROM users WHERE email LIKE 'term-%'")
	[[ -z $(statuses '.status != 201') ]] || _fail "failed: $(statuses '.status != 201')"
	((n201 > 10)) || _fail "only $n201 signups"
	[[ $rows == "$n201" ]] || _fail "$rows rows for $n201 answers 201"
	wait_processes signup "$PROCESSES"
	! fcgi_pids signup | grep -qx "$victim"
}

@test "the FastCGI processes pick up a changed env file without a restart" {
	local pids_before i ok=0 origin=http://new-origin.example.test
	pids_before=$(fcgi_pids health | sort)
	http GET /health -H "Origin: $origin"
	assert_status 200
	refute_header Access-Control-Allow-Origin
	# Without http_setting's wait: the change must show within 2 s.
	grep -v '^CORS_ORIGINS=' "$BATS_FILE_TMPDIR/http.env.orig" >"$BATS_TEST_TMPDIR/new.env"
	echo "CORS_ORIGINS=$MC_TEST_CORS_ORIGINS,$origin" >>"$BATS_TEST_TMPDIR/new.env"
	cat -- "$BATS_TEST_TMPDIR/new.env" >"$MC_APACHE_ENV_FILE"
	for ((i = 0; i < 20; i++)); do
		sleep 0.1
		http GET /health -H "Origin: $origin"
		if [[ $(http_header Access-Control-Allow-Origin) == "$origin" ]]; then
			ok=1
			break
		fi
	done
	[[ $ok -eq 1 ]] || _fail "no Access-Control-Allow-Origin: $origin within 2 s"
	sleep 1.1
	# Every process has it now (requests go to any of them).
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		http GET /health -H "Origin: $origin"
		assert_header Access-Control-Allow-Origin "$origin"
	done
	# Nothing was restarted.
	[[ $(fcgi_pids health | sort) == "$pids_before" ]]
}

@test "FCGI_MAX_REQUESTS ends a process that is replaced, and no request fails" {
	local pids_before i gone=0 p
	http_setting FCGI_MAX_REQUESTS=5
	pids_before=$(fcgi_pids health | sort)
	[[ $(wc -l <<<"$pids_before") -eq $PROCESSES ]]
	for ((i = 0; i < 8 * PROCESSES; i++)); do
		http GET /health
		assert_status 200
	done
	wait_processes health "$PROCESSES"
	for p in $pids_before; do
		fcgi_pids health | grep -qx "$p" || gone=$((gone + 1))
	done
	((gone >= 1)) || _fail "no process of health exited after 5 requests"
	http_reset
}

# ---------------------------------------------------------------------------
# The launcher itself (apache/fcgi.sh), on programs of a folder of its own

# launcher_dir: a folder the programs' user can reach, with cgi-bin/ holding
# hard links to the built programs; LDIR.
launcher_dir() {
	LDIR=$(mktemp -d /tmp/mc-fcgi-test.XXXXXX)
	chmod 755 "$LDIR"
	mkdir -m 755 "$LDIR/cgi-bin"
	cp -al -- "$MC_ROOT"/cgi-bin/*.cgi "$LDIR/cgi-bin/" 2>/dev/null ||
		cp -a -- "$MC_ROOT"/cgi-bin/*.cgi "$LDIR/cgi-bin/"
}

launcher() { # COMMAND [options]
	local cmd=$1
	shift
	"$MC_ROOT/apache/fcgi.sh" "$cmd" --run-dir "$LDIR/run" --cgi-dir "$LDIR/cgi-bin" \
	    --env-file "$MC_APACHE_ENV_FILE" "$@"
}

launcher_cleanup() {
	[[ -n ${LDIR:-} && -d $LDIR && $LDIR == /tmp/mc-fcgi-test.* ]] || return 0
	launcher stop --grace 5 || true
	rm -rf -- "$LDIR"
	LDIR=""
}

# wait_launcher_status: until every program has all its processes (15 s).
wait_launcher_status() {
	local i
	for ((i = 0; i < 150; i++)); do
		launcher status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	launcher status >&2 || true
	return 1
}

@test "the FastCGI launcher keeps the database processes within DB_MAX_CONNECTIONS and says so" {
	# Every program but openapi.cgi uses the database.
	local all db
	all=$(programs | wc -l)
	db=$((all - 1))
	run "$MC_ROOT/apache/fcgi.sh" plan --run-dir /tmp/none --processes 4 --db-max $((2 * db + 1))
	[[ $status -eq 0 ]] || _fail "$output"
	[[ $output == *"FCGI_PROCESSES=4 x $db programs using the database = $((4 * db)) connections > DB_MAX_CONNECTIONS=$((2 * db + 1)): 2 processes each"* ]] ||
		_fail "$output"
	[[ $(grep -c -E '^[a-z-]+\.cgi +2 ' <<<"$output") -eq $db ]] || _fail "$output"
	grep -q -E '^openapi\.cgi +4 ' <<<"$output" || _fail "$output"
	run "$MC_ROOT/apache/fcgi.sh" plan --run-dir /tmp/none --processes 4 --db-max $((4 * db))
	[[ $output != *DB_MAX_CONNECTIONS* && $(grep -c -E '\.cgi +4 ' <<<"$output") -eq $all ]] || _fail "$output"
	run "$MC_ROOT/apache/fcgi.sh" plan --run-dir /tmp/none --db-max 10
	[[ $status -ne 0 && $output == *"fewer than the $db programs"* ]] || _fail "$output"
}

@test "the FastCGI launcher outlives a program left without processes and gives it processes again" {
	local mw i
	launcher_dir
	launcher start --processes 2 --log "$LDIR/launcher.log" || _fail "$(cat "$LDIR/launcher.log")"
	# health's multiwatch held still and its processes gone: the launcher's
	# next looks find none at all (it once died of that, silently: pgrep
	# finding nothing under set -e and pipefail).
	mw=$(<"$LDIR/run/fcgi/health.pid")
	kill -STOP "$mw"
	kill -TERM $(pgrep -P "$mw")
	for ((i = 0; i < 200; i++)); do
		grep -q 'health.cgi: 0 of 2 processes' "$LDIR/launcher.log" && break
		kill -0 "$(<"$LDIR/run/fcgi.pid")" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$(<"$LDIR/run/fcgi.pid")" 2>/dev/null ||
		_fail "the launcher is gone: $(cat "$LDIR/launcher.log")"
	grep -q 'health.cgi: 0 of 2 processes' "$LDIR/launcher.log" ||
		_fail "the launcher did not say so: $(cat "$LDIR/launcher.log")"
	kill -CONT "$mw" 2>/dev/null || true
	wait_launcher_status || _fail "$(cat "$LDIR/launcher.log")"
	launcher stop --grace 5
	[[ -z $(pgrep -f "$LDIR/cgi-bin/" || true) ]] || _fail "processes left behind"
}

@test "the FastCGI launcher starts again a program whose supervisor ended or whose processes could not start" {
	local mw
	launcher_dir
	launcher start --processes 2 --log "$LDIR/launcher.log" || _fail "$(cat "$LDIR/launcher.log")"
	# The supervisor of health killed: the launcher starts it again.
	mw=$(<"$LDIR/run/fcgi/health.pid")
	kill -KILL "$mw"
	wait_launcher_status || _fail "$(cat "$LDIR/launcher.log")"
	[[ $(<"$LDIR/run/fcgi/health.pid") != "$mw" ]]
	grep -q 'health.cgi: its multiwatch ended' "$LDIR/launcher.log"
	# A program that dies as it starts: multiwatch gives up on it after four
	# quick deaths, the launcher notices and starts it again (after a pause),
	# so once it can start, it has its processes again.
	mv "$LDIR/cgi-bin/profile.cgi" "$LDIR/profile.cgi"
	printf '#!/bin/sh\nexit 1\n' >"$LDIR/cgi-bin/profile.cgi"
	chmod 755 "$LDIR/cgi-bin/profile.cgi"
	kill -TERM $(pgrep -P "$(<"$LDIR/run/fcgi/profile.pid")")
	for ((i = 0; i < 100; i++)); do
		grep -q 'profile.cgi: .*multiwatch' "$LDIR/launcher.log" && break
		sleep 0.1
	done
	grep -q 'profile.cgi: .*multiwatch' "$LDIR/launcher.log" ||
		_fail "the launcher did not notice: $(cat "$LDIR/launcher.log")"
	mv -f "$LDIR/profile.cgi" "$LDIR/cgi-bin/profile.cgi"
	wait_launcher_status || _fail "$(cat "$LDIR/launcher.log")"
	launcher stop --grace 5
	[[ -z $(pgrep -f "$LDIR/cgi-bin/" || true) ]] || _fail "processes left behind"
}
