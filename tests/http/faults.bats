#!/usr/bin/env bats
# Faults over HTTP through Apache (issue 4): the real test PostgreSQL stopped
# and started again, a database that never answers, every connection slot
# taken, and configuration errors in the live env file. A database that
# cannot be reached: 503 with Retry-After: 5, never 500, within
# DB_CONNECT_TIMEOUT; back, service resumes with nothing done. A
# configuration error: 500 and one line in the error log naming the setting.
# (The same under CGI, with mail faults and pgbouncer: tests/cgi/faults.bats,
# tests/cgi/pgbouncer.bats.)

load helpers
# shellcheck source=tests/lib/faults.sh
source "$MC_ROOT/tests/lib/faults.sh"

UNAVAILABLE='{"detail":"Service temporarily unavailable"}'
INTERNAL='{"detail":"Internal server error"}'
LOGIN_BODY='{"email":"ann@example.test","password":"StrongPass123"}'

teardown() {
	pg_free_slots
	silent_stop
	if [[ -n ${MC_PG_DIR:-} ]] && ! pg_is_up; then
		pg_up
	fi
	if [[ -n ${ENV_MODE:-} ]]; then
		chmod "$ENV_MODE" "$MC_APACHE_ENV_FILE"
	fi
	# FastCGI: no process keeps a connection this test broke.
	http_fcgi_renew
}

# assert_config_500 SETTING: the 500 of a configuration error, and exactly
# one line in the server's error log naming SETTING.
assert_config_500() {
	local n
	assert_status 500 || return 1
	assert_body --raw "$INTERNAL" || return 1
	n=$(grep -c -F -- "$1" <<<"$http_log" || true)
	if [[ $n != 1 ]]; then
		_fail "expected exactly one line naming $1 in the error log, got $n"
		return 1
	fi
}

# docs/CONTRACT.md G-9
@test "with PostgreSQL stopped every endpoint answers 503 with Retry-After, and service resumes when it is back" {
	ann --http
	http_setting DB_CONNECT_TIMEOUT=2
	pg_down
	each_endpoint --http assert_unavailable
	pg_up
	http GET /health
	assert_status 200
	assert_body --raw '{"status":"ok","database":"ok"}'
	refute_header Retry-After
	http GET /user/profile -H "Authorization: Bearer $ANN_TOKEN"
	assert_status 200
	http_account bob@example.test
	[[ $(sql "SELECT count(*) FROM users") == 2 ]]
}

# docs/CONTRACT.md G-9
@test "a database that never answers gives 503 within the connect timeout" {
	ann --http
	silent_start
	http_setting DATABASE_URL="postgresql://mc_test:x@127.0.0.1:$MC_SILENT_PORT/medicalcare_test" DB_CONNECT_TIMEOUT=2
	timed http POST /auth/login "$LOGIN_BODY"
	assert_unavailable login
	assert_within 8 "login"
	timed http GET /health
	assert_unavailable health
	assert_within 8 "health"
	timed http GET /user/profile -H "Authorization: Bearer $ANN_TOKEN"
	assert_unavailable profile
	assert_within 8 "profile"
}

# docs/CONTRACT.md G-9
@test "with every connection slot taken sixteen concurrent logins all get 503 with Retry-After" {
	local i out dir=$BATS_TEST_TMPDIR/burst
	local -a pids=()
	ann --http
	# FastCGI: processes that already hold a connection keep serving (that
	# is the point of keeping it); here every login must need a new one.
	http_fcgi_renew
	pg_fill_slots
	mkdir -p "$dir"
	for ((i = 1; i <= 16; i++)); do
		curl -s --noproxy '*' --max-time 30 -D "$dir/$i.h" -o "$dir/$i.b" \
		    -H 'Content-Type: application/json' --data "$LOGIN_BODY" "$MC_HTTP_URL/auth/login" &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	out=$(for ((i = 1; i <= 16; i++)); do
		printf '%s %s %s\n' "$(head -n 1 "$dir/$i.h" | cut -d' ' -f2)" \
		    "$(grep -i '^Retry-After:' "$dir/$i.h" | tr -d '\r' | cut -d' ' -f2)" "$(cat "$dir/$i.b")"
	done | sort | uniq -c | sed 's/^ *//')
	[[ $out == "16 503 5 $UNAVAILABLE" ]] || _fail "answers (count status retry-after body):"$'\n'"$out"
	pg_free_slots
	http POST /auth/login "$LOGIN_BODY"
	assert_status 200
}

# docs/CONTRACT.md G-9
@test "configuration errors in the live env file give 500 and one log line naming the setting" {
	http_setting -JWT_SECRET_KEY
	http GET /health
	assert_config_500 JWT_SECRET_KEY
	http POST /auth/login "$LOGIN_BODY"
	assert_config_500 JWT_SECRET_KEY
	http_setting JWT_SECRET_KEY=0123456789abcdefghijklmnopqrstu
	http POST /auth/signup '{"full_name":"Bob Jones","email":"bob@example.test","password":"StrongPass123"}'
	assert_config_500 JWT_SECRET_KEY
	[[ $http_log != *0123456789abcdefghijklmnopqrstu* ]]
	http_reset
	http_setting DATABASE_URL="postgresql://mc_test:$MC_PG_PASSWORD@127.0.0.1:99999999/medicalcare_test"
	http POST /auth/login "$LOGIN_BODY"
	assert_config_500 DATABASE_URL
	[[ $http_log != *"$MC_PG_PASSWORD"* ]]
	http GET /health
	assert_config_500 DATABASE_URL
	[[ $(sql "SELECT count(*) FROM users") == 0 ]]
}

# docs/CONTRACT.md G-9
@test "an env file the server cannot read gives 500 and one log line naming it" {
	if [[ $(id -u) -eq 0 && $(mc_apache_run_user) == root ]]; then
		skip "the programs run as root here: mode 000 does not stop them"
	fi
	ENV_MODE=$(stat -c %a "$MC_APACHE_ENV_FILE")
	chmod 000 "$MC_APACHE_ENV_FILE"
	http GET /health
	assert_config_500 MEDICALCARE_ENV_FILE
	http POST /auth/login "$LOGIN_BODY"
	assert_config_500 MEDICALCARE_ENV_FILE
	[[ $http_log == *"Permission denied"* ]]
	chmod "$ENV_MODE" "$MC_APACHE_ENV_FILE"
	http GET /health
	assert_status 200
}

# docs/CONTRACT.md G-9, H-1
@test "a database refusing the configured password gives 500, and health 503 misconfigured without Retry-After" {
	local wrong=Wrong-Secret-7f3a9c before
	ann --http
	before=$(sql "SELECT count(*), (SELECT count(*) FROM audit_events), (SELECT count(*) FROM login_failures) FROM users")
	http_setting DATABASE_URL="postgresql://mc_test:$wrong@127.0.0.1:$MC_PG_PORT/medicalcare_test"
	http POST /auth/login "$LOGIN_BODY"
	assert_config_500 DATABASE_URL
	refute_header Retry-After
	[[ $http_log == *28P01* ]] || _fail "the log line does not carry the SQLSTATE"
	[[ $http_log != *"$wrong"* ]] || _fail "the password reached the error log"
	http GET /user/profile -H "Authorization: Bearer $ANN_TOKEN"
	assert_config_500 DATABASE_URL
	refute_header Retry-After
	http GET /health
	assert_status 503
	assert_body --raw '{"status":"unavailable","database":"misconfigured"}'
	refute_header Retry-After
	assert_header Cache-Control no-store
	[[ $(grep -c -F DATABASE_URL <<<"$http_log") == 1 ]] || _fail "expected one log line naming DATABASE_URL"
	[[ $http_log != *"$wrong"* ]] || _fail "the password reached the error log"
	[[ $(sql "SELECT count(*), (SELECT count(*) FROM audit_events), (SELECT count(*) FROM login_failures) FROM users") == "$before" ]]
	# The right password: everything works again, nothing restarted.
	http_setting DATABASE_URL="$DATABASE_URL"
	http GET /health
	assert_status 200
	assert_body --raw '{"status":"ok","database":"ok"}'
	http POST /auth/login "$LOGIN_BODY"
	assert_status 200
}
