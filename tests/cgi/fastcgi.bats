#!/usr/bin/env bats
# The programs as FastCGI processes (common/app.c, db.h's kept connection,
# reload.h), one process at a time, without a web server: spawn-fcgi gives
# the program a listening socket on fd 0 and cgi-fcgi (MC_CGI_VIA, see cgi in
# helpers.bash) sends each request to it. The web servers in front of them
# are tested in tests/http.

load helpers
# shellcheck source=tests/lib/pgbouncer.sh
source "$MC_ROOT/tests/lib/pgbouncer.sh"

setup_file() { mc_setup_file; }
teardown_file() { mc_teardown_file; }
setup() {
	reset_state
	_fcgi_pids=()
	export MC_CGI_VIA=$BATS_TEST_TMPDIR
}
teardown() {
	release_gate
	fcgi_stop_all
	pgbouncer_stop
}

# The number of connections the programs hold (application_name medicalcare).
backends() {
	sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'medicalcare'"
}

@test "one process answers many requests on one kept database connection" {
	add_user ann@example.test "Ann Example" StrongPass123 >/dev/null
	fcgi_start login.cgi
	fcgi_start profile.cgi
	tok=$(login_token ann@example.test)
	local i
	for ((i = 0; i < 25; i++)); do
		cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $tok"
		assert_status 200
		assert_json .email ann@example.test
		assert_json .full_name "Ann Example"
	done
	# Both processes still up, one connection each, no transaction left open.
	kill -0 "${_fcgi_pids[0]}" && kill -0 "${_fcgi_pids[1]}"
	[[ $(backends) == 2 ]]
	[[ $(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'medicalcare'
	           AND state <> 'idle'") == 0 ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'login_success'") == 1 ]]
}

@test "nothing of one request reaches the next" {
	fcgi_start login.cgi
	# An allowed origin, then none: the second answer has no CORS header.
	cgi OPTIONS login.cgi HTTP_ORIGIN=http://localhost:3000 HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST
	assert_status 204
	assert_header Access-Control-Allow-Origin http://localhost:3000
	cgi POST login.cgi '{"email": "x@example.test"}'
	assert_status 422
	refute_header Access-Control-Allow-Origin
	# A body, then a short one: the second is a 400, not the first one's body again.
	cgi POST login.cgi '{"email":"nobody@example.test","password":"WrongPass123"}'
	assert_status 401
	cgi POST login.cgi '{"email":"nobody@example.test","password":"WrongPass123"}' CONTENT_LENGTH=80
	assert_status 400
	assert_body '{"detail":"Invalid JSON body"}'
	# A 413 left unread, then an ordinary request.
	cgi POST login.cgi '{}' CONTENT_LENGTH=999999
	assert_status 413
	cgi POST login.cgi '{"email":"nobody@example.test","password":"WrongPass123"}'
	assert_status 401
	assert_body '{"detail":"Invalid email or password"}'
	[[ $(sql "SELECT count(*) FROM login_failures") -ge 1 ]]
}

@test "a changed env file is read again without a restart" {
	# LOG_LEVEL=info: reading the settings again is a routine event.
	fcgi_start profile.cgi LOG_LEVEL=info
	cgi GET profile.cgi HTTP_ORIGIN=http://new.example.test
	assert_status 401
	refute_header Access-Control-Allow-Origin
	# Rewritten in place, as an editor or deployment would.
	sed -i 's|^CORS_ORIGINS=.*|CORS_ORIGINS=http://new.example.test|' "$MEDICALCARE_ENV_FILE"
	local i ok=0
	for ((i = 0; i < 40; i++)); do
		cgi GET profile.cgi HTTP_ORIGIN=http://new.example.test
		if cgi_header Access-Control-Allow-Origin >/dev/null 2>&1; then
			ok=1
			break
		fi
		sleep 0.1
	done
	[[ $ok == 1 ]]
	assert_header Access-Control-Allow-Origin http://new.example.test
	# Within about a second (the file is looked at once a second), same process.
	[[ $i -le 20 ]]
	kill -0 "$fcgi_pid"
	cgi GET profile.cgi HTTP_ORIGIN=http://localhost:3000
	refute_header Access-Control-Allow-Origin
	grep -q "the env file changed" "$BATS_TEST_TMPDIR/profile.log"
}

@test "a changed env file is read again without a word in the error log at the default LOG_LEVEL" {
	local was
	was=$(grep '^CORS_ORIGINS=' "$MEDICALCARE_ENV_FILE")
	fcgi_start profile.cgi
	cgi GET profile.cgi
	assert_status 401
	sed -i 's|^CORS_ORIGINS=.*|CORS_ORIGINS=http://other.example.test|' "$MEDICALCARE_ENV_FILE"
	sleep 1.1
	cgi GET profile.cgi HTTP_ORIGIN=http://other.example.test
	sed -i "s|^CORS_ORIGINS=.*|$was|" "$MEDICALCARE_ENV_FILE"
	assert_header Access-Control-Allow-Origin http://other.example.test
	kill -0 "$fcgi_pid"
	[[ ! -s $BATS_TEST_TMPDIR/profile.log ]] || _fail "$(cat "$BATS_TEST_TMPDIR/profile.log")"
}

@test "a broken env file gives 500s until it is fixed, then the process serves again" {
	fcgi_start profile.cgi
	cp -- "$MEDICALCARE_ENV_FILE" "$BATS_TEST_TMPDIR/good.env"
	echo "JWT_SECRET_KEY=short" >>"$MEDICALCARE_ENV_FILE"
	sleep 1.1
	cgi GET profile.cgi
	assert_status 500
	assert_body '{"detail":"Internal server error"}'
	grep -q "configuration error: JWT_SECRET_KEY" "$BATS_TEST_TMPDIR/profile.log"
	cp -- "$BATS_TEST_TMPDIR/good.env" "$MEDICALCARE_ENV_FILE"
	sleep 1.1
	cgi GET profile.cgi
	assert_status 401
	assert_body '{"detail":"Not authenticated"}'
}

@test "PostgreSQL restarted: the kept connection is replaced and the next request succeeds" {
	add_user bob@example.test "Bob Example" StrongPass123 >/dev/null
	fcgi_start login.cgi
	fcgi_start profile.cgi
	tok=$(login_token bob@example.test)
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $tok"
	assert_status 200
	pg_down
	pg_up
	# The idle connection's end was announced by the server: replaced before use.
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $tok"
	assert_status 200
	assert_json .email bob@example.test
	cgi POST login.cgi "$(jobj email bob@example.test password StrongPass123)"
	assert_status 200
	grep -q "database connection lost; connecting again" "$BATS_TEST_TMPDIR/profile.log"
}

@test "PostgreSQL down: 503 with Retry-After, and the first request after it is back succeeds" {
	add_user cy@example.test "Cy Example" StrongPass123 >/dev/null
	fcgi_start login.cgi DB_CONNECT_TIMEOUT=2
	tok=$(login_token cy@example.test)
	pg_down
	cgi POST login.cgi "$(jobj email cy@example.test password StrongPass123)"
	assert_status 503
	assert_body '{"detail":"Service temporarily unavailable"}'
	assert_retry_after 5 5
	pg_up
	cgi POST login.cgi "$(jobj email cy@example.test password StrongPass123)"
	assert_status 200
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'login_success'") == 2 ]]
}

@test "a process exits by itself after FCGI_MAX_REQUESTS requests" {
	fcgi_start health.cgi FCGI_MAX_REQUESTS=3
	local i
	for ((i = 0; i < 3; i++)); do
		cgi GET health.cgi
		assert_status 200
	done
	fcgi_exit "$fcgi_pid" 5
	[[ $fcgi_rc == 0 ]]
	[[ ! -s $BATS_TEST_TMPDIR/health.log ]] || ! grep -q error "$BATS_TEST_TMPDIR/health.log"
}

@test "SIGTERM: an idle process exits at once; a busy one answers its request first" {
	fcgi_start health.cgi
	cgi GET health.cgi # up, its handlers in place
	assert_status 200
	kill -TERM "$fcgi_pid"
	fcgi_exit "$fcgi_pid" 2
	[[ $fcgi_rc == 0 ]]

	# forgot-password holds every answer to 100 ms: TERM arrives while it waits.
	insert_verified dee@example.test "Dee Example"
	fcgi_start forgot-password.cgi
	local pid=$fcgi_pid
	cgi POST forgot-password.cgi '{"email":"nobody@example.test"}'
	assert_status 200
	(
		cgi POST forgot-password.cgi '{"email":"nobody@example.test"}'
		printf '%s %s\n' "$cgi_status" "$cgi_body" >"$BATS_TEST_TMPDIR/answer"
	) &
	local bg=$!
	sleep 0.04
	kill -TERM "$pid"
	wait "$bg"
	fcgi_exit "$pid" 5
	[[ $fcgi_rc == 0 ]]
	[[ $(<"$BATS_TEST_TMPDIR/answer") == '200 {"message":"Password reset link sent to your email"}' ]]
}

@test "mail goes out after the answer, once" {
	fcgi_start signup.cgi
	fcgi_start verify-otp.cgi
	cgi POST signup.cgi "$(jobj full_name "Eve Example" email eve@example.test password StrongPass123)"
	assert_status 201
	mail_wait eve@example.test 1
	code=$(mail_otp eve@example.test)
	[[ $(sql "SELECT status FROM mail_outbox") == sent ]]
	verify eve@example.test "$code"
	assert_status 200
	[[ $(sql "SELECT is_verified FROM users WHERE email = 'eve@example.test'") == t ]]
	sleep 0.3
	[[ $(mail_count eve@example.test) == 1 ]]
}

@test "behind a pooler in transaction mode, a lost prepared statement costs at most one 503" {
	# Two server connections from the start, used in turn: a statement
	# prepared on one is unknown to the other (SQLSTATE 26000).
	pgbouncer_start min_pool_size=2 default_pool_size=2 server_round_robin=1
	MEDICALCARE_ENV_FILE=$(test_env_file DATABASE_URL="$MC_PGB_URL")
	export MEDICALCARE_ENV_FILE
	add_user fay@example.test "Fay Example" StrongPass123 >/dev/null
	fcgi_start login.cgi
	fcgi_start profile.cgi
	local i n503=0
	for ((i = 0; i < 6; i++)); do
		cgi POST login.cgi "$(jobj email fay@example.test password StrongPass123)"
		if [[ $cgi_status == 503 ]]; then
			n503=$((n503 + 1))
			continue
		fi
		assert_status 200
		tok=$(json_get .access_token)
	done
	for ((i = 0; i < 6; i++)); do
		cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $tok"
		assert_status 200
		assert_json .email fay@example.test
	done
	[[ $n503 -le 1 ]]
	grep -q "lost a prepared statement" "$BATS_TEST_TMPDIR/login.log" \
	    "$BATS_TEST_TMPDIR/profile.log"
}

@test "DB_PREPARE=off behind the same pooler: every request succeeds" {
	pgbouncer_start min_pool_size=2 default_pool_size=2 server_round_robin=1
	MEDICALCARE_ENV_FILE=$(test_env_file DATABASE_URL="$MC_PGB_URL" DB_PREPARE=off)
	export MEDICALCARE_ENV_FILE
	add_user gus@example.test "Gus Example" StrongPass123 >/dev/null
	fcgi_start login.cgi
	local i
	for ((i = 0; i < 6; i++)); do
		cgi POST login.cgi "$(jobj email gus@example.test password StrongPass123)"
		assert_status 200
	done
	! grep -q "prepared statement" "$BATS_TEST_TMPDIR/login.log"
}

# attempts_are N: login_attempts holds N rows now (asked again at each call,
# for wait_for).
attempts_are() {
	[[ $(sql "SELECT count(*) FROM login_attempts") == "$1" ]]
}

@test "a FastCGI process's login waits at the hash gate the other processes share, then answers, and so does its next one" {
	local body='{"email":"ann@example.test","password":"StrongPass123"}' d=$BATS_TEST_TMPDIR/bg
	insert_user ann@example.test "Ann Example" \
	    "$(printf '%s' StrongPass123 | argon2 mc-fcgi-salt-0001 -id -t 1 -m 10 -p 1 -e)" >/dev/null
	fcgi_start login.cgi HASH_CONCURRENCY=1
	hold_gate 1
	mkdir -p "$d"
	(
		BATS_TEST_TMPDIR=$d
		cgi POST login.cgi "$body" || exit 1
		printf '%s\n' "$cgi_status" >"$d/status"
	) &
	local bg=$!
	# Its check is reserved and it stands at the gate, unanswered.
	wait_for "the reserved check" attempts_are 1
	[[ ! -e $d/status ]]
	release_gate
	wait "$bg"
	[[ $(cat "$d/status") == 200 ]]
	cgi POST login.cgi "$body"
	assert_status 200
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'login_success'") == 2 ]]
	[[ $(sql "SELECT count(*) FROM login_attempts") == 0 ]]
}

@test "a FastCGI process gives the 19 MiB of each password hash back once it has answered" {
	case $CGI_DIR in
	*/build/san/*) skip "ASan's allocator keeps freed blocks in its quarantine" ;;
	esac
	add_user ann@example.test "Ann Example" StrongPass123 >/dev/null
	fcgi_start login.cgi
	local i rss hwm
	# Each login hashes once at the default cost (19,456 KiB). glibc's
	# default would serve the second block from the heap and keep it.
	for ((i = 0; i < 3; i++)); do
		cgi POST login.cgi "$(jobj email ann@example.test password StrongPass123)"
		assert_status 200
	done
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$fcgi_pid/status")
	hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$fcgi_pid/status")
	echo "VmRSS $rss KiB, VmHWM $hwm KiB" >&3
	# The peak held one block; what stays is well below it.
	((hwm - rss > 15000))
	((rss < 16384))
}
