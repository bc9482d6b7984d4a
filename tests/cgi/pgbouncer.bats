#!/usr/bin/env bats
# The programs through a real pgbouncer in transaction pooling mode (as
# DEPLOYMENT_GUIDE.md recommends for CGI): the whole account flow, concurrent
# requests through a small pool, and pgbouncer's own limits and outages
# answered with 503 and Retry-After: 5, never 500. Each test starts its own
# pgbouncer (tests/lib/pgbouncer.sh) in front of the test PostgreSQL, with the
# programs' DATABASE_URL pointing at it; sql and reset_state still go
# straight to PostgreSQL.

load helpers
# shellcheck source=tests/lib/pgbouncer.sh
source "$MC_ROOT/tests/lib/pgbouncer.sh"
# shellcheck source=tests/lib/faults.sh
source "$MC_ROOT/tests/lib/faults.sh"

UNAVAILABLE='{"detail":"Service temporarily unavailable"}'
LOGIN_BODY='{"email":"ann@example.test","password":"StrongPass123"}'

teardown() {
	local pid
	for pid in ${HOLDERS:-}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	pgbouncer_stop
	if [[ -n ${MC_PG_DIR:-} ]] && ! pg_is_up; then
		pg_up
	fi
}

# via_pgbouncer [name=value]...: starts this test's pgbouncer with those
# settings and points the programs (cgi, run_outbox) at it.
via_pgbouncer() {
	# query_wait_timeout as DEPLOYMENT_GUIDE.md advises, shorter: a client
	# waiting for a server connection gives up (503) instead of hanging.
	pgbouncer_start query_wait_timeout=3 "$@" || return 1
	MEDICALCARE_ENV_FILE=$(test_env_file DATABASE_URL="$MC_PGB_URL" DB_CONNECT_TIMEOUT=2) || return 1
	export MEDICALCARE_ENV_FILE
}

# hold SECONDS [SQL]: a client session through pgbouncer that runs SQL
# (default: sleeps SECONDS) in the background; its pid joins HOLDERS.
hold() {
	local sql=${2:-"SELECT pg_sleep($1)"}
	timeout $(($1 + 10)) "$MC_PG_BINDIR/psql" -X -q -d "$MC_PGB_URL" -c "$sql" \
	    </dev/null >/dev/null 2>&1 3>&- &
	HOLDERS+=" $!"
}

# xact_count: pgbouncer's total_xact_count for database medicalcare_test.
xact_count() {
	pgbouncer_admin "SHOW STATS" | awk -F'|' '$1 == "medicalcare_test" { print $2 }'
}

# sessions SQL_PATTERN: how many server sessions run a query LIKE the pattern.
sessions() {
	sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE :'p' AND pid <> pg_backend_pid()" p="$1"
}

@test "the whole account flow works through pgbouncer in transaction mode" {
	local token old_jwt jwt xacts
	via_pgbouncer
	signed_up bob@example.test
	verify bob@example.test "$code"
	assert_status 200
	old_jwt=$(json_get .access_token)
	cgi POST login.cgi '{"email":"bob@example.test","password":"StrongPass123"}'
	assert_status 200
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $old_jwt"
	assert_status 200
	assert_body "{\"id\":$uid,\"full_name\":\"Ada Lovelace\",\"email\":\"bob@example.test\",\"is_verified\":true}"
	cgi POST forgot-password.cgi '{"email":"bob@example.test"}'
	assert_status 200
	mail_wait bob@example.test 2
	token=$(mail_reset_token bob@example.test)
	cgi POST reset-password.cgi "$(jobj token "$token" new_password NewStrongPass123 confirm_password NewStrongPass123)"
	assert_status 200
	cgi POST login.cgi '{"email":"bob@example.test","password":"StrongPass123"}'
	assert_status 401
	cgi POST login.cgi '{"email":"bob@example.test","password":"NewStrongPass123"}'
	assert_status 200
	jwt=$(json_get .access_token)
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $old_jwt"
	assert_status 401
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $jwt"
	assert_status 200
	cgi GET health.cgi
	assert_status 200
	# The mail queued while the mail server was down goes out through it too.
	sql "UPDATE mail_outbox SET created_at = created_at - interval '2 minutes' WHERE status = 'sent'"
	cgi POST forgot-password.cgi '{"email":"bob@example.test"}' SMTP_PORT="$(free_port)"
	assert_status 200
	sql "UPDATE mail_outbox SET next_attempt_at = now() WHERE status = 'pending'"
	run_outbox
	[[ $outbox_rc == 0 && $outbox_out == "sent 1, retried 0, failed 0, expired 0" ]]
	# All of it went through pgbouncer, which logged no pooler error.
	xacts=$(xact_count)
	[[ $xacts -ge 20 ]] || _fail "pgbouncer counted $xacts transactions"
	! grep -q 'pooler error' "$MC_PGB_DIR/pgbouncer.log"
}

# docs/CONTRACT.md SU-3
@test "16 concurrent logins and 8 concurrent signups of one email through a pool of 2 server connections" {
	local servers
	via_pgbouncer default_pool_size=2 query_wait_timeout=60
	ann --no-token
	burst 16 POST login.cgi "$LOGIN_BODY"
	[[ $(burst_count 200 -) == 16 ]] || _fail "answers:"$'\n'"$burst_out"
	# The transaction-scoped advisory lock still makes one account of many
	# signups of one email, with the transactions spread over the pool.
	burst 8 POST signup.cgi '{"full_name":"Same One","email":"same@example.test","password":"StrongPass123"}'
	[[ $(grep -c '^1 201 ' <<<"$burst_out") == 1 && $(burst_count 409 -) == 7 ]] ||
	    _fail "answers:"$'\n'"$burst_out"
	[[ $(sql "SELECT count(*) FROM users WHERE email = 'same@example.test'") == 1 ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox WHERE recipient = 'same@example.test'") == 1 ]]
	# Never more than two server connections for all of that.
	servers=$(sql "SELECT count(*) FROM pg_stat_activity WHERE usename = 'mc_test' AND pid <> pg_backend_pid()")
	[[ $servers -le 2 ]] || _fail "$servers server connections"
	! grep -q 'pooler error' "$MC_PGB_DIR/pgbouncer.log"
}

# docs/CONTRACT.md G-9
@test "pgbouncer's max_client_conn reached: 503 with Retry-After, then service resumes" {
	via_pgbouncer max_client_conn=2
	ann --no-token
	hold 20
	hold 20
	# (pgbouncer's admin console would take a client slot too: asked PostgreSQL.)
	for _ in {1..50}; do
		[[ $(sessions '%pg_sleep(20)%') == 2 ]] && break
		sleep 0.1
	done
	[[ $(sessions '%pg_sleep(20)%') == 2 ]]
	cgi POST login.cgi "$LOGIN_BODY"
	assert_unavailable
	[[ $cgi_stderr == *"max_client_conn"* ]]
	cgi GET health.cgi
	assert_unavailable health
	burst 8 POST login.cgi "$LOGIN_BODY"
	[[ $burst_out == "8 503 5 $UNAVAILABLE" ]] || _fail "answers:"$'\n'"$burst_out"
	teardown_holders
	cgi POST login.cgi "$LOGIN_BODY"
	assert_status 200
}

# docs/CONTRACT.md G-9
@test "pgbouncer's server pool exhausted: 503 with Retry-After after query_wait_timeout, then service resumes" {
	via_pgbouncer default_pool_size=1 query_wait_timeout=2
	ann --no-token
	# One transaction keeps the only server connection busy.
	hold 15 "BEGIN; SELECT pg_sleep(15); COMMIT;"
	for _ in {1..50}; do
		[[ $(sessions '%pg_sleep(15)%') == 1 ]] && break
		sleep 0.1
	done
	[[ $(sessions '%pg_sleep(15)%') == 1 ]]
	timed cgi POST login.cgi "$LOGIN_BODY"
	assert_unavailable
	# pgbouncer gave up on it (libpq may see only the connection closing).
	grep -q 'pooler error: query_wait_timeout' "$MC_PGB_DIR/pgbouncer.log" ||
	    _fail "pgbouncer logged no query_wait_timeout"
	assert_within 10 "login"
	cgi GET health.cgi
	assert_unavailable health
	teardown_holders
	cgi POST login.cgi "$LOGIN_BODY"
	assert_status 200
}

# docs/CONTRACT.md G-9
@test "pgbouncer stopped: every endpoint answers 503 with Retry-After; started again, service resumes" {
	local before
	via_pgbouncer
	ann
	before=$(counts)
	pgbouncer_pause
	each_endpoint assert_unavailable
	[[ $(counts) == "$before" ]]
	pgbouncer_resume
	cgi POST login.cgi "$LOGIN_BODY"
	assert_status 200
	cgi GET health.cgi
	assert_status 200
}

# docs/CONTRACT.md G-9
@test "PostgreSQL stopped behind pgbouncer: 503 with Retry-After; back, service resumes with nothing done" {
	local i
	via_pgbouncer
	ann --no-token
	pg_down
	cgi POST login.cgi "$LOGIN_BODY"
	assert_unavailable
	cgi GET health.cgi
	assert_unavailable health
	pg_up
	# pgbouncer retries the server every second (server_login_retry = 1).
	for ((i = 0; i < 30; i++)); do
		cgi GET health.cgi
		[[ $cgi_status == 200 ]] && break
		assert_unavailable health
		sleep 0.5
	done
	assert_status 200
	cgi POST login.cgi "$LOGIN_BODY"
	assert_status 200
}

@test "the programs use nothing that transaction pooling breaks: no session settings, prepared statements outside db.c, session locks, LISTEN or temporary tables" {
	local hits
	local temps drops
	# common/libpq.c only forwards each libpq function the project calls (libpq.h).
	hits=$(grep -n --exclude=libpq.c -E 'pg_advisory_lock|pg_try_advisory_lock\(|\bLISTEN\b|\bSET (SESSION|search_path|statement_timeout|lock_timeout|ROLE)\b|set_config|WITH HOLD' \
	    "$MC_ROOT"/common/*.c "$MC_ROOT"/cgi-bin/*.c "$MC_ROOT"/tools/*.c || true)
	[[ -z $hits ]] || _fail "session state under transaction pooling:"$'\n'"$hits"
	# Prepared statements only in db.c, on a FastCGI process's kept
	# connection (DB_PREPARE, which falls back when a pooler loses one:
	# fastcgi.bats), never in a CGI run.
	hits=$(grep -n --exclude=libpq.c --exclude=db.c -E 'PQprepare|PQsendPrepare|PQexecPrepared' \
	    "$MC_ROOT"/common/*.c "$MC_ROOT"/cgi-bin/*.c "$MC_ROOT"/tools/*.c || true)
	[[ -z $hits ]] || _fail "prepared statements outside db.c:"$'\n'"$hits"
	grep -q 'db != db_kept || db == NULL || !db_prepare_on' "$MC_ROOT/common/db.c"
	# A temporary table lives only inside its transaction (the CSV import's).
	# The statements' text: common/sql_*.c, split by flow.
	temps=$(cat "$MC_ROOT"/common/sql_*.c | grep -c -E 'CREATE TEMP(ORARY)? TABLE' || true)
	drops=$(cat "$MC_ROOT"/common/sql_*.c | grep -c 'ON COMMIT DROP' || true)
	[[ $temps -ge 1 && $temps == "$drops" ]] || _fail "$temps temporary tables, $drops of them ON COMMIT DROP"
	# The one lock the programs take ends with its transaction.
	grep -q 'pg_advisory_xact_lock' "$MC_ROOT"/common/sql_*.c
}

# Ends the holder sessions of this test now.
teardown_holders() {
	local pid
	for pid in ${HOLDERS:-}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	HOLDERS=""
	# Until pgbouncer has let go of them.
	for _ in {1..50}; do
		[[ $(pgbouncer_admin "SHOW LISTS" 2>/dev/null | awk -F'|' '$1 == "used_clients" { print $2 }') -le 1 ]] && break
		sleep 0.1
	done
}
