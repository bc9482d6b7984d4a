#!/usr/bin/env bats
# Faults (issue 4): the database stopped, hanging or full, the mail server
# down, silent or refusing, and configuration errors. A database that cannot
# be reached gives 503 {"detail":"Service temporarily unavailable"} (health:
# its own 503 body) with Retry-After: 5, never a 500, within
# DB_CONNECT_TIMEOUT; service resumes by itself when the database is back.
# Mail waits in the outbox and is delivered exactly once. A configuration
# error gives 500 and one line on stderr naming the setting.
# (pgbouncer in front of the database: pgbouncer.bats; over HTTP through
# Apache: tests/http/faults.bats.)

load helpers
# shellcheck source=tests/lib/faults.sh
source "$MC_ROOT/tests/lib/faults.sh"

teardown() {
	pg_free_slots
	silent_stop
	if [[ -n ${MC_PG_DIR:-} ]] && ! pg_is_up; then
		pg_up
	fi
}

UNAVAILABLE='{"detail":"Service temporarily unavailable"}'
INTERNAL='{"detail":"Internal server error"}'
NEW_PW=NewStrongPass123

# all_endpoints_at_once FN [VAR=value]...: as each_endpoint (helpers.bash),
# with its requests (one per endpoint) running at the same time; fails if any FN failed.
all_endpoints_at_once() {
	local fn=$1 name i=0 pid failed=0
	local -a pids=()
	shift
	for name in $MC_ENDPOINTS; do
		i=$((i + 1))
		(
			_cgi_seq=$((100000 * i))
			endpoint_request "$name" "$@" && "$fn" "$name"
		) &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || failed=1
	done
	return $failed
}

# assert_config_500 SETTING: the 500 of a configuration error, and exactly one
# line on stderr, naming SETTING.
assert_config_500() {
	assert_status 500 || return 1
	assert_body --raw "$INTERNAL" || return 1
	assert_std_headers || return 1
	if [[ -z $cgi_stderr || $(wc -l <<<"$cgi_stderr") -ne 1 || $cgi_stderr != *"$1"* ]]; then
		_fail "expected exactly one line on stderr naming $1"
		return 1
	fi
}

# ---------------------------------------------------------------------------
# PostgreSQL stopped

# docs/CONTRACT.md G-9
@test "with PostgreSQL stopped every endpoint answers 503 with Retry-After: 5, and all resume when it is back" {
	local before
	ann
	before=$(counts)
	pg_down
	each_endpoint assert_unavailable DB_CONNECT_TIMEOUT=2
	pg_up
	# Back, with nothing done to the programs: each works again.
	[[ $(counts) == "$before" ]]
	cgi GET health.cgi
	assert_status 200
	assert_body --raw '{"status":"ok","database":"ok"}'
	refute_header Retry-After
	cgi POST login.cgi '{"email":"ann@example.test","password":"StrongPass123"}'
	assert_status 200
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $ANN_TOKEN"
	assert_status 200
	assert_json .email ann@example.test
	signed_up bob@example.test
	verify bob@example.test "$code"
	assert_status 200
}

# docs/CONTRACT.md G-9
@test "a database that accepts and never answers gives 503 within DB_CONNECT_TIMEOUT for every endpoint" {
	local url
	ann
	silent_start
	url="postgresql://mc_test:x@127.0.0.1:$MC_SILENT_PORT/medicalcare_test"
	check() {
		assert_unavailable "$1" || return 1
		[[ $cgi_stderr == *"timeout expired"* ]] || _fail "$1: no timeout on stderr"
	}
	timed all_endpoints_at_once check DATABASE_URL="$url" DB_CONNECT_TIMEOUT=2
	# A request per endpoint at once, each of about 2 s; a hung one would take
	# MC_CGI_TIMEOUT (30 s) and fail there.
	assert_within 20 "a request per endpoint at once"
	timed cgi POST login.cgi '{"email":"ann@example.test","password":"StrongPass123"}' \
	    DATABASE_URL="$url" DB_CONNECT_TIMEOUT=2
	assert_unavailable login
	assert_within 6 "one login"
	[[ $elapsed -ge 2 ]] || _fail "login answered in $elapsed s: it did not wait for the server"
}

# ---------------------------------------------------------------------------
# The database refusing connections: every slot taken (max_connections)

# docs/CONTRACT.md G-9
@test "with every PostgreSQL connection slot taken each endpoint answers 503 with Retry-After, never 500" {
	ann
	pg_fill_slots
	each_endpoint assert_unavailable
	[[ $cgi_stderr == *"remaining connection slots are reserved"* || $cgi_stderr == *"too many clients"* ]] ||
	    _fail "stderr does not say why"
	pg_free_slots
	cgi POST login.cgi '{"email":"ann@example.test","password":"StrongPass123"}'
	assert_status 200
}

# docs/CONTRACT.md G-9
@test "a burst of 16 concurrent logins against a full PostgreSQL all get 503 with Retry-After: 5" {
	ann
	pg_fill_slots
	burst 16 POST login.cgi '{"email":"ann@example.test","password":"StrongPass123"}'
	[[ $burst_out == "16 503 5 $UNAVAILABLE" ]] || _fail "answers (count status retry-after body):"$'\n'"$burst_out"
	pg_free_slots
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
}

# docs/CONTRACT.md G-9
@test "16 concurrent logins with two connection slots left each get 200 or 503 with Retry-After, never 500" {
	local ok=0
	ann
	LEAVE=2 pg_fill_slots
	burst 16 POST login.cgi '{"email":"ann@example.test","password":"StrongPass123"}'
	while read -r n status retry body; do
		case "$status $retry" in
		"200 -") [[ $body == *'"token_type":"bearer"'* ]] && ok=$((ok + n)) ;;
		"503 5") [[ $body == "$UNAVAILABLE" ]] && ok=$((ok + n)) ;;
		esac
	done <<<"$burst_out"
	[[ $ok == 16 ]] || _fail "answers (count status retry-after body):"$'\n'"$burst_out"
}

# ---------------------------------------------------------------------------
# Mail server down, silent or refusing

# row ID COLUMNS: the given columns of outbox row ID.
row() {
	sql "SELECT $2 FROM mail_outbox WHERE id = $1"
}

# outbox_says SUMMARY: the last cron run exited 0 and printed SUMMARY.
outbox_says() {
	if [[ $outbox_rc -ne 0 || $outbox_out != "$1" ]]; then
		printf 'expected exit 0 and "%s"; got exit %s\n--- stdout:\n%s\n--- stderr:\n%s\n' \
		    "$1" "$outbox_rc" "$outbox_out" "$outbox_err" >&2
		return 1
	fi
}

# docs/CONTRACT.md D-4
@test "a mail server that accepts and never answers: signup still answers 201 within SMTP_TIMEOUT, the mail waits, and is delivered once later" {
	local otp
	silent_start
	timed cgi POST signup.cgi '{"full_name":"Bob Jones","email":"bob@example.test","password":"StrongPass123"}' \
	    SMTP_PORT="$MC_SILENT_PORT" SMTP_TIMEOUT=2
	assert_status 201
	assert_body --raw '{"message":"OTP sent to your email for verification"}'
	assert_within 10 "signup"
	[[ $(row 1 "kind, recipient, status, attempts, message IS NOT NULL") == "otp|bob@example.test|pending|1|t" ]]
	[[ $(row 1 "last_error") == *imeout* ]]
	silent_stop
	sql "UPDATE mail_outbox SET next_attempt_at = now()"
	run_outbox
	outbox_says "sent 1, retried 0, failed 0, expired 0"
	run_outbox
	outbox_says "sent 0, retried 0, failed 0, expired 0"
	[[ $(mail_count) == 1 && $(mail_count bob@example.test) == 1 ]]
	otp=$(mail_otp bob@example.test)
	verify bob@example.test "$otp"
	assert_status 200
}

# docs/CONTRACT.md D-4
@test "signup and forgot-password during a mail outage that outlasts a cron run: attempts counted, then each mail delivered exactly once" {
	local down otp token
	down=$(free_port)
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	cgi POST signup.cgi '{"full_name":"Bob Jones","email":"bob@example.test","password":"StrongPass123"}' SMTP_PORT="$down"
	assert_status 201
	assert_body --raw '{"message":"OTP sent to your email for verification"}'
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}' SMTP_PORT="$down"
	assert_status 200
	assert_body --raw '{"message":"Password reset link sent to your email"}'
	[[ $(sql "SELECT string_agg(kind || ':' || status || ':' || attempts, ',' ORDER BY id) FROM mail_outbox") == \
	    "otp:pending:1,reset:pending:1" ]]
	# The cron program runs while the server is still down: both stay queued.
	sql "UPDATE mail_outbox SET next_attempt_at = now()"
	run_outbox SMTP_PORT="$down"
	outbox_says "sent 0, retried 2, failed 0, expired 0"
	[[ $(sql "SELECT string_agg(status || ':' || attempts, ',' ORDER BY id) FROM mail_outbox") == "pending:2,pending:2" ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox WHERE message IS NOT NULL AND next_attempt_at > now()") == 2 ]]
	[[ $(mail_count) == 0 ]]
	# The server is back: one run delivers both, later runs nothing more.
	sql "UPDATE mail_outbox SET next_attempt_at = now()"
	run_outbox
	outbox_says "sent 2, retried 0, failed 0, expired 0"
	run_outbox
	outbox_says "sent 0, retried 0, failed 0, expired 0"
	sql "UPDATE mail_outbox SET next_attempt_at = now() - interval '1 hour'"
	run_outbox
	outbox_says "sent 0, retried 0, failed 0, expired 0"
	[[ $(mail_count) == 2 && $(mail_count bob@example.test) == 1 && $(mail_count ann@example.test) == 1 ]]
	[[ $(sql "SELECT string_agg(status || ':' || attempts, ',' ORDER BY id) FROM mail_outbox") == "sent:3,sent:3" ]]
	otp=$(mail_otp bob@example.test)
	verify bob@example.test "$otp"
	assert_status 200
	token=$(mail_reset_token ann@example.test)
	cgi POST reset-password.cgi "$(jobj token "$token" new_password "$NEW_PW" confirm_password "$NEW_PW")"
	assert_status 200
}

# docs/CONTRACT.md D-4, MF-2
@test "mfa/setup during a mail outage answers 200 with the secret, its code waits in the outbox, is delivered exactly once and then turns MFA on" {
	local down id tok secret ec
	down=$(free_port)
	id=$(add_user ann@example.test "Ann Smith" StrongPass123 t)
	tok=$(user_token "$id" ann@example.test)
	mfa_setup "$tok" StrongPass123 SMTP_PORT="$down"
	assert_status 200
	secret=$(json_get .secret)
	[[ $secret =~ ^[A-Z2-7]{32}$ ]]
	[[ $(sql "SELECT string_agg(kind || ':' || recipient || ':' || status || ':' || attempts, ',')
	            FROM mail_outbox") == "mfa_setup:ann@example.test:pending:1" ]]
	[[ $(sql "SELECT pending_sealed IS NOT NULL AND enabled_at IS NULL FROM user_mfa") == t ]]
	# The cron program while the server is still down: it stays queued.
	sql "UPDATE mail_outbox SET next_attempt_at = now()"
	run_outbox SMTP_PORT="$down"
	outbox_says "sent 0, retried 1, failed 0, expired 0"
	[[ $(mail_count) == 0 ]]
	# Back: delivered once, later runs send nothing more.
	sql "UPDATE mail_outbox SET next_attempt_at = now()"
	run_outbox
	outbox_says "sent 1, retried 0, failed 0, expired 0"
	run_outbox
	outbox_says "sent 0, retried 0, failed 0, expired 0"
	[[ $(mail_count) == 1 && $(mail_count ann@example.test) == 1 ]]
	[[ $(row 1 "status, attempts") == "sent|3" ]]
	ec=$(mail_otp ann@example.test)
	cgi POST mfa-enable.cgi "$(jobj code "$(totp "$secret")" email_code "$ec")" HTTP_AUTHORIZATION="Bearer $tok"
	assert_status 200
	[[ $(jq '.recovery_codes | length' <<<"$cgi_body") == 10 ]]
	[[ $(sql "SELECT enabled_at IS NOT NULL AND pending_sealed IS NULL FROM user_mfa") == t ]]
}

# docs/CONTRACT.md D-4, MF-7, MF-11
@test "the notices of mfa/enable and of a recovery code used at mfa/verify during a mail outage: both answer 200, each notice is delivered exactly once later" {
	local down id tok secret mt rc
	down=$(free_port)
	id=$(add_user ann@example.test "Ann Smith" StrongPass123 t)
	tok=$(user_token "$id" ann@example.test)
	mfa_setup "$tok" StrongPass123
	assert_status 200
	secret=$(json_get .secret)
	mail_wait ann@example.test
	cgi POST mfa-enable.cgi "$(jobj code "$(totp "$secret")" email_code "$(mail_otp ann@example.test)")" \
	    HTTP_AUTHORIZATION="Bearer $tok" SMTP_PORT="$down"
	assert_status 200
	[[ $(sql "SELECT enabled_at IS NOT NULL FROM user_mfa") == t ]]
	rc=$(jq -r '.recovery_codes[0]' <<<"$cgi_body")
	cgi POST login.cgi '{"email":"ann@example.test","password":"StrongPass123"}'
	assert_status 200
	mt=$(json_get .mfa_token)
	cgi POST mfa-verify.cgi "$(jobj mfa_token "$mt" code "$rc")" SMTP_PORT="$down"
	assert_status 200
	assert_json .token_type bearer
	[[ $(sql "SELECT string_agg(kind || ':' || status || ':' || attempts, ',' ORDER BY id) FROM mail_outbox") == \
	    "mfa_setup:sent:1,mfa_enabled:pending:1,mfa_recovery_used:pending:1" ]]
	[[ $(mail_count) == 1 ]]
	# The server is back: one run delivers both notices, later runs nothing more.
	sql "UPDATE mail_outbox SET next_attempt_at = now()"
	run_outbox
	outbox_says "sent 2, retried 0, failed 0, expired 0"
	run_outbox
	outbox_says "sent 0, retried 0, failed 0, expired 0"
	[[ $(mail_count) == 3 && $(mail_count ann@example.test) == 3 ]]
	[[ $(sql "SELECT string_agg(kind || ':' || status || ':' || attempts, ',' ORDER BY id) FROM mail_outbox") == \
	    "mfa_setup:sent:1,mfa_enabled:sent:2,mfa_recovery_used:sent:2" ]]
}

# docs/CONTRACT.md D-4
@test "a mail queued during an outage that the server then rejects for good (550) is marked failed and never retried" {
	cgi POST signup.cgi '{"full_name":"Bob Jones","email":"bob@example.test","password":"StrongPass123"}' SMTP_PORT="$(free_port)"
	assert_status 201
	mail_reject_with "550 5.1.1 no such user"
	sql "UPDATE mail_outbox SET next_attempt_at = now()"
	run_outbox
	outbox_says "sent 0, retried 0, failed 1, expired 0"
	[[ $(row 1 "status, attempts, message IS NULL, sent_at IS NULL") == "failed|2|t|t" ]]
	[[ $(row 1 "last_error") == *550* ]]
	# The server would take it now, and the row looks due: still untouched.
	mail_accept
	sql "UPDATE mail_outbox SET next_attempt_at = now() - interval '1 hour'"
	run_outbox
	outbox_says "sent 0, retried 0, failed 0, expired 0"
	[[ $(row 1 "status, attempts") == "failed|2" ]]
	[[ $(mail_count) == 0 ]]
}

# ---------------------------------------------------------------------------
# Configuration errors (more in config.bats: JWT_SECRET_KEY missing or short,
# a missing env file, an unparseable DATABASE_URL)

# docs/CONTRACT.md G-9
@test "an env file that cannot be read (a directory: unreadable even for root) gives 500 and one line naming it" {
	local dir=$BATS_TEST_TMPDIR/env.d
	mkdir -p "$dir"
	cgi GET health.cgi MEDICALCARE_ENV_FILE="$dir"
	assert_config_500 MEDICALCARE_ENV_FILE
	cgi POST signup.cgi '{"full_name":"Bob Jones","email":"bob@example.test","password":"StrongPass123"}' \
	    MEDICALCARE_ENV_FILE="$dir"
	assert_config_500 MEDICALCARE_ENV_FILE
	[[ $(counts) == "0|0|0|0" ]]
}

# docs/CONTRACT.md G-9
@test "an env file of mode 000 gives 500 and one line naming it (as a user the mode binds)" {
	local env
	if [[ $(id -u) -eq 0 ]]; then
		if ! id -u nobody >/dev/null 2>&1 || ! command -v setpriv >/dev/null; then
			skip "root, and no 'nobody' user or setpriv to drop to"
		fi
	fi
	env=$(test_env_file)
	chmod 000 "$env"
	if [[ $(id -u) -eq 0 ]]; then
		# As nobody, with no capabilities: mode 000 really stops the read.
		local out
		out=$(env -i PATH=/usr/bin:/bin MEDICALCARE_ENV_FILE="$env" REQUEST_METHOD=GET \
		    GATEWAY_INTERFACE=CGI/1.1 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    "$CGI_DIR/health.cgi" 2>"$BATS_TEST_TMPDIR/err")
		cgi_status=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' <<<"$out" | tr -d '\r')
		cgi_headers=$(sed '/^\r\?$/q' <<<"$out" | tr -d '\r')
		cgi_body=$(sed '1,/^\r\?$/d' <<<"$out")
		cgi_stderr=$(cat "$BATS_TEST_TMPDIR/err")
	else
		cgi GET health.cgi MEDICALCARE_ENV_FILE="$env"
	fi
	assert_config_500 MEDICALCARE_ENV_FILE
	[[ $cgi_stderr == *"Permission denied"* ]]
}

# docs/CONTRACT.md G-9
@test "a DATABASE_URL that parses but cannot work (port 99999999, port 0, a bad sslmode, an unknown parameter) gives 500 naming it, not 503" {
	local pw url
	pw=$MC_PG_PASSWORD
	for url in "postgresql://mc_test:$pw@127.0.0.1:99999999/medicalcare_test" \
	    "postgresql://mc_test:$pw@127.0.0.1:0/medicalcare_test" \
	    "postgresql://mc_test:$pw@127.0.0.1:$MC_PG_PORT/medicalcare_test?sslmode=sometimes" \
	    "postgresql://mc_test:$pw@127.0.0.1:$MC_PG_PORT/medicalcare_test?colour=blue" \
	    "host=127.0.0.1 port=5432x dbname=medicalcare_test user=mc_test password=$pw"; do
		cgi POST login.cgi '{"email":"ann@example.test","password":"StrongPass123"}' DATABASE_URL="$url"
		assert_config_500 DATABASE_URL
		[[ $cgi_stderr != *"$pw"* ]] || _fail "the password reached stderr"
		cgi GET health.cgi DATABASE_URL="$url"
		assert_config_500 DATABASE_URL
	done
	# Several hosts, each with its port, are fine.
	cgi GET health.cgi DATABASE_URL="postgresql://mc_test:$pw@127.0.0.1:$MC_PG_PORT,127.0.0.1:$MC_PG_PORT/medicalcare_test"
	assert_status 200
}

# docs/CONTRACT.md G-9
@test "DB_PORT out of range or not a number gives 500 naming it, when DATABASE_URL is not set" {
	local env port
	for port in 70000 0 54x32; do
		env=$(test_env_file -DATABASE_URL DB_HOST=127.0.0.1 DB_PORT="$port" DB_NAME=medicalcare_test DB_USER=mc_test)
		cgi GET health.cgi MEDICALCARE_ENV_FILE="$env"
		assert_config_500 DB_PORT
	done
	env=$(test_env_file -DATABASE_URL DB_HOST=127.0.0.1 DB_PORT="$MC_PG_PORT" DB_NAME=medicalcare_test \
	    DB_USER=mc_test DB_PASSWORD="$MC_PG_PASSWORD" DB_SSLMODE=bogus)
	cgi GET health.cgi MEDICALCARE_ENV_FILE="$env"
	assert_config_500 DB_SSLMODE
	env=$(test_env_file -DATABASE_URL DB_HOST=127.0.0.1 DB_PORT="$MC_PG_PORT" DB_NAME=medicalcare_test \
	    DB_USER=mc_test DB_PASSWORD="$MC_PG_PASSWORD" DB_SSLMODE=disable)
	cgi GET health.cgi MEDICALCARE_ENV_FILE="$env"
	assert_status 200
}

# ---------------------------------------------------------------------------
# The database refusing the configured settings: a wrong password, an unknown
# role or database (SQLSTATE class 28, 3D000), or no password where the server
# wants one. A configuration error, not an outage: 500 without Retry-After
# (health: 503 "misconfigured", without Retry-After: waiting does not fix it)
# and one line on stderr naming the settings to fix, never the password.

HEALTH_MISCONFIGURED='{"status":"unavailable","database":"misconfigured"}'
WRONG_PW=Wrong-Secret-7f3a9c

# db_state: the rows a request could have written, table by table (of the
# two-factor tables, what setup, enable and verify change in a row).
db_state() {
	sql "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM otp_codes),
	            (SELECT count(*) FROM reset_tokens), (SELECT count(*) FROM login_failures),
	            (SELECT count(*) FROM mail_outbox), (SELECT count(*) FROM client_limits),
	            (SELECT count(*) FROM audit_events),
	            (SELECT string_agg(id || password_hash, ',' ORDER BY id) FROM users),
	            (SELECT string_agg(concat_ws(':', user_id, encode(pending_sealed, 'hex'),
	                    encode(secret_sealed, 'hex'), pending_attempts, failures, last_step), ','
	                    ORDER BY user_id) FROM user_mfa),
	            (SELECT string_agg(id || ':' || attempts, ',' ORDER BY id) FROM mfa_tokens),
	            (SELECT count(*) FROM mfa_recovery_codes), (SELECT count(*) FROM sessions)"
}

# assert_misconfigured NAME: the answer to a refused configuration, the one
# stderr line naming $WANT_SETTING and carrying $WANT_STATE, without
# $WANT_SECRET (the password tried).
assert_misconfigured() {
	if [[ $1 == health ]]; then
		assert_status 503 || return 1
		assert_body --raw "$HEALTH_MISCONFIGURED" || return 1
		assert_std_headers || return 1
	else
		assert_config_500 "$WANT_SETTING" || return 1
	fi
	refute_header Retry-After || return 1
	if [[ -z $cgi_stderr || $(wc -l <<<"$cgi_stderr") -ne 1 || $cgi_stderr != *"$WANT_SETTING"* ]]; then
		_fail "$1: expected exactly one line on stderr naming $WANT_SETTING"
		return 1
	fi
	if [[ $cgi_stderr != *"$WANT_STATE"* ]]; then
		_fail "$1: the line does not carry the server's SQLSTATE $WANT_STATE"
		return 1
	fi
	if [[ -n ${WANT_SECRET:-} && $cgi_stderr == *"$WANT_SECRET"* ]]; then
		_fail "$1: the password reached stderr"
		return 1
	fi
}

# works_again: with the test env file's own settings, health and login answer 200.
works_again() {
	cgi GET health.cgi
	assert_status 200
	assert_body --raw '{"status":"ok","database":"ok"}'
	cgi POST login.cgi '{"email":"ann@example.test","password":"StrongPass123"}'
	assert_status 200
}

# docs/CONTRACT.md G-9, H-1
@test "a wrong password in DATABASE_URL: every endpoint answers 500 naming DATABASE_URL, health 503 misconfigured, no Retry-After; the right one works again" {
	local before
	ann
	before=$(db_state)
	WANT_SETTING=DATABASE_URL WANT_STATE=28P01 WANT_SECRET=$WRONG_PW
	each_endpoint assert_misconfigured \
	    DATABASE_URL="postgresql://mc_test:$WRONG_PW@127.0.0.1:$MC_PG_PORT/medicalcare_test"
	[[ $(db_state) == "$before" ]] || _fail "the database changed"
	works_again
}

# docs/CONTRACT.md G-9, H-1
@test "an unknown role or database in DATABASE_URL gives 500 naming DATABASE_URL and health 503 misconfigured" {
	local before pw=$MC_PG_PASSWORD
	# Every program names DATABASE_URL for a wrong password (the test
	# before); these failures go through the same code: three endpoints.
	local MC_ENDPOINTS="login health mfa-verify"
	ann
	before=$(db_state)
	WANT_SETTING=DATABASE_URL WANT_STATE=28P01 WANT_SECRET=$pw
	each_endpoint assert_misconfigured \
	    DATABASE_URL="postgresql://mc_nobody:$pw@127.0.0.1:$MC_PG_PORT/medicalcare_test"
	WANT_STATE=3D000
	each_endpoint assert_misconfigured \
	    DATABASE_URL="postgresql://mc_test:$pw@127.0.0.1:$MC_PG_PORT/medicalcare_nosuch"
	[[ $(db_state) == "$before" ]] || _fail "the database changed"
	works_again
}

# docs/CONTRACT.md G-9
@test "with DB_* settings a wrong password, unknown role, unknown database or missing password each name the settings to fix" {
	local before env base pw=$MC_PG_PASSWORD
	ann
	before=$(db_state)
	base=(-DATABASE_URL DB_HOST=127.0.0.1 DB_PORT="$MC_PG_PORT")
	# Wrong password: SCRAM answers 28P01 for a wrong password and for an unknown role alike.
	env=$(test_env_file "${base[@]}" DB_NAME=medicalcare_test DB_USER=mc_test DB_PASSWORD="$WRONG_PW")
	WANT_SETTING="DB_USER and DB_PASSWORD" WANT_STATE=28P01 WANT_SECRET=$WRONG_PW
	each_endpoint assert_misconfigured MEDICALCARE_ENV_FILE="$env"
	# The other failures of the connection go through the same code in every
	# program (the one above proves each program uses it): three endpoints.
	local MC_ENDPOINTS="login health mfa-verify"
	env=$(test_env_file "${base[@]}" DB_NAME=medicalcare_test DB_USER=mc_nobody DB_PASSWORD="$pw")
	WANT_SECRET=$pw
	each_endpoint assert_misconfigured MEDICALCARE_ENV_FILE="$env"
	# Unknown database.
	env=$(test_env_file "${base[@]}" DB_NAME=medicalcare_nosuch DB_USER=mc_test DB_PASSWORD="$pw")
	WANT_SETTING=DB_NAME WANT_STATE=3D000
	each_endpoint assert_misconfigured MEDICALCARE_ENV_FILE="$env"
	# No password, where the server asks for one (libpq: no SQLSTATE, but
	# PQconnectionNeedsPassword()).
	env=$(test_env_file "${base[@]}" -DB_PASSWORD DB_NAME=medicalcare_test DB_USER=mc_test)
	WANT_SETTING=DB_PASSWORD WANT_STATE="no password supplied" WANT_SECRET=""
	cgi POST login.cgi '{"email":"ann@example.test","password":"StrongPass123"}' MEDICALCARE_ENV_FILE="$env"
	assert_misconfigured login
	cgi GET health.cgi MEDICALCARE_ENV_FILE="$env"
	assert_misconfigured health
	[[ $(db_state) == "$before" ]] || _fail "the database changed"
	# The right parts work.
	env=$(test_env_file "${base[@]}" DB_NAME=medicalcare_test DB_USER=mc_test DB_PASSWORD="$pw")
	cgi GET health.cgi MEDICALCARE_ENV_FILE="$env"
	assert_status 200
	cgi POST login.cgi '{"email":"ann@example.test","password":"StrongPass123"}' MEDICALCARE_ENV_FILE="$env"
	assert_status 200
}

# docs/CONTRACT.md G-9, H-1
@test "an unknown role over the Unix socket (28000, trust auth) gives 500 naming DB_USER and health 503 misconfigured" {
	local env
	ann
	[[ -S $MC_PG_DIR/sock/.s.PGSQL.$MC_PG_PORT ]] || skip "no Unix socket of the test PostgreSQL"
	env=$(test_env_file -DATABASE_URL DB_HOST="$MC_PG_DIR/sock" DB_PORT="$MC_PG_PORT" \
	    DB_NAME=medicalcare_test DB_USER=mc_nobody)
	WANT_SETTING="DB_USER and DB_NAME" WANT_STATE=28000 WANT_SECRET=""
	each_endpoint assert_misconfigured MEDICALCARE_ENV_FILE="$env"
	works_again
}

@test "the cron tools name DATABASE_URL in one line when the server refuses it, and exit 1" {
	local url="postgresql://mc_test:$WRONG_PW@127.0.0.1:$MC_PG_PORT/medicalcare_test" tool
	for tool in outbox prune import-users; do
		if [[ $tool == import-users ]]; then
			run_tool "$tool" - DATABASE_URL="$url"
		else
			run_tool "$tool" DATABASE_URL="$url"
		fi
		[[ $tool_rc -eq 1 ]] || _fail "$tool exited $tool_rc"
		if [[ $(wc -l <<<"$tool_err") -ne 1 || $tool_err != *"check DATABASE_URL"* || $tool_err != *28P01* ]]; then
			_fail "$tool: expected one line on stderr naming DATABASE_URL, got:"$'\n'"$tool_err"
		fi
		[[ $tool_err != *"$WRONG_PW"* ]] || _fail "$tool: the password reached stderr"
	done
	run_outbox
	outbox_says "sent 0, retried 0, failed 0, expired 0"
}
