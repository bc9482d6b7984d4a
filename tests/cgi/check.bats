#!/usr/bin/env bats
# Settings and operations hygiene: bin/medicalcare-check (tools/check.c) says
# what would break production (a missing, weak or reused key among them), one
# line per finding, and exits 1 then; the
# programs warn about names in the env file that are not settings (naming
# the line and the closest setting); routine events reach the error log only
# with LOG_LEVEL=info; the cron tools stamp every line with the time; mail
# written to files (MAIL_TRANSPORT=file) is said in the error log once a day.

load helpers

ISO_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z '

# run_check [ARG]... [VAR=value]...: bin/medicalcare-check as run_tool runs
# the cron tools; sets check_out, check_err, check_rc.
run_check() {
	local rc=0
	run_tool check "$@" || rc=$?
	check_out=$tool_out check_err=$tool_err check_rc=$tool_rc
	return "$rc"
}

# assert_check RC EXPECTED: the last check exited RC and printed exactly EXPECTED.
assert_check() {
	if [[ $check_rc != "$1" || $check_out != "$2" ]]; then
		printf 'expected exit %s and:\n%s\n--- got exit %s:\n%s\n--- stderr:\n%s\n' \
		    "$1" "$2" "$check_rc" "$check_out" "$check_err" >&2
		return 1
	fi
}

# prod_env [VAR=value]...: a test env file as production would have it
# (https origins, mode 0600), with VAR=value set; prints its path.
prod_env() {
	local f
	f=$(test_env_file FRONTEND_URL=https://app.medicalcare.test \
	    CORS_ORIGINS=https://app.medicalcare.test "$@") || return 1
	chmod 600 "$f"
	printf '%s\n' "$f"
}

SMTP_NOTE='note: SMTP_SERVER is 127.0.0.1: a mail server must listen there; else set SMTP_SERVER to your provider'\''s and try bin/medicalcare-outbox --test-to you@example.com'

@test "check of a production env file with nothing wrong prints no problem and exits 0" {
	local env
	env=$(prod_env)
	run_check --sql-dir "$MC_ROOT/sql" MEDICALCARE_ENV_FILE="$env"
	assert_check 0 "$SMTP_NOTE"$'\n'"medicalcare-check: $env: 0 problems, 1 note"
	[[ -z $check_err ]] || _fail "stderr: $check_err"
}

@test "check reports mail written to files, http origins, a weak key, an open env file and misspelt names, each with what to do, and exits 1" {
	local env=$BATS_TEST_TMPDIR/typos.env
	cat >"$env" <<-EOF
		# line 1
		JWT_SECRET_KEY=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
		DATABASE_URL=$DATABASE_URL
		MAIL_TRANSPORT=file
		MAIL_DIR=$BATS_TEST_TMPDIR/mail
		SMTP_SERVR=smtp.medicalcare.test
		smtp_port=25
		MEDICALCARE_ENV_FILE=/elsewhere
		FROBNICATE=1
		CORS_ORIGINS=http://a.medicalcare.test,https://b.medicalcare.test
	EOF
	chmod 644 "$env"
	run_check --no-database MEDICALCARE_ENV_FILE="$env"
	assert_check 1 "problem: $env is readable or writable by every user (mode 0644) and holds JWT_SECRET_KEY: chmod 0640 it (group of the web server's user) or 0600
problem: $env line 6: SMTP_SERVR is not a setting, so it is ignored: did you mean SMTP_SERVER?
problem: $env line 7: smtp_port is not a setting, so it is ignored: did you mean SMTP_PORT?
problem: $env line 8: MEDICALCARE_ENV_FILE has no effect in an env file: remove the line and set it in the environment of the programs and tools
problem: $env line 9: FROBNICATE is not a setting, so it is ignored: remove it or fix its name (env.sample lists every setting)
problem: JWT_SECRET_KEY has only 1 different character, so it can be guessed: set a random one (openssl rand -base64 48); this logs everyone out
problem: MFA_ENCRYPTION_KEY is not set: two-factor sign-in answers 500 until it is; set a random one (openssl rand -base64 48), the same on every server of the install
problem: MAIL_TRANSPORT is file: mail is written to $BATS_TEST_TMPDIR/mail and never sent (sign-up answers 201 and no code reaches anyone); set MAIL_TRANSPORT=smtp, SMTP_SERVER, SMTP_PORT, SMTP_EMAIL and SMTP_PASSWORD, then try bin/medicalcare-outbox --test-to you@example.com
problem: FRONTEND_URL is http://localhost:3000: reset links would go out over plain http; set it to the frontend's https:// origin
problem: CORS_ORIGINS allows http://a.medicalcare.test, which is not https: list only the frontend's https:// origins
medicalcare-check: $env: 10 problems, 0 notes"
	# --local: what only matters in production becomes a note.
	chmod 600 "$env"
	sed -i -e '/^SMTP_SERVR=/d' -e '/^smtp_port=/d' -e '/^MEDICALCARE_ENV_FILE=/d' -e '/^FROBNICATE=/d' \
	    -e 's/^JWT_SECRET_KEY=.*/JWT_SECRET_KEY='"$MC_TEST_JWT_KEY"'/' "$env"
	run_check --local --no-database MEDICALCARE_ENV_FILE="$env"
	[[ $check_rc == 0 && $check_out == *"note: MAIL_TRANSPORT is file:"* &&
	    $check_out == *"note: MFA_ENCRYPTION_KEY is not set:"* &&
	    $check_out == *"medicalcare-check: $env: 0 problems, 4 notes" ]] ||
	    _fail "--local: $check_rc $check_out"
}

@test "check reports a weak MFA_ENCRYPTION_KEY, and one that is JWT_SECRET_KEY again, each with what to do" {
	local env
	env=$(prod_env MFA_ENCRYPTION_KEY=abababababababababababababababababababab)
	run_check --no-database MEDICALCARE_ENV_FILE="$env"
	assert_check 1 "problem: MFA_ENCRYPTION_KEY has only 2 different characters, so it can be guessed: set a random one (openssl rand -base64 48); the two-factor secrets sealed under it stop working
$SMTP_NOTE
medicalcare-check: $env: 1 problem, 1 note"
	env=$(prod_env MFA_ENCRYPTION_KEY="$MC_TEST_JWT_KEY")
	run_check --no-database MEDICALCARE_ENV_FILE="$env"
	assert_check 1 "problem: MFA_ENCRYPTION_KEY is the same as JWT_SECRET_KEY: set a key of its own (openssl rand -base64 48), so that rotating JWT_SECRET_KEY never reaches the two-factor secrets; those sealed under it stop working
$SMTP_NOTE
medicalcare-check: $env: 1 problem, 1 note"
}

@test "check of the production template as copied reports what to fill in" {
	local env=$BATS_TEST_TMPDIR/sample.env
	cp "$MC_ROOT/env.sample" "$env"
	chmod 600 "$env"
	run_check --no-database MEDICALCARE_ENV_FILE="$env"
	assert_check 1 "problem: JWT_SECRET_KEY is not set: fix it in $env; every request answers 500 until then
medicalcare-check: $env: 1 problem, 0 notes"
	sed -i "s|^JWT_SECRET_KEY=.*|JWT_SECRET_KEY=$MC_TEST_JWT_KEY|" "$env"
	run_check --no-database MEDICALCARE_ENV_FILE="$env"
	assert_check 1 "problem: MFA_ENCRYPTION_KEY is not set: two-factor sign-in answers 500 until it is; set a random one (openssl rand -base64 48), the same on every server of the install
problem: SMTP_SERVER is env.sample's example smtp.example.com: set your mail provider's server, SMTP_EMAIL and SMTP_PASSWORD
problem: FRONTEND_URL is env.sample's example https://app.example.com: set the frontend's origin
medicalcare-check: $env: 3 problems, 0 notes"
	sed -i "s|^MFA_ENCRYPTION_KEY=.*|MFA_ENCRYPTION_KEY=$MC_TEST_MFA_KEY|" "$env"
	run_check --no-database MEDICALCARE_ENV_FILE="$env"
	assert_check 1 "problem: SMTP_SERVER is env.sample's example smtp.example.com: set your mail provider's server, SMTP_EMAIL and SMTP_PASSWORD
problem: FRONTEND_URL is env.sample's example https://app.example.com: set the frontend's origin
medicalcare-check: $env: 2 problems, 0 notes"
}

@test "check reports a database that cannot be reached and migrations not applied" {
	local env sqldir=$BATS_TEST_TMPDIR/sql
	env=$(prod_env DATABASE_URL="postgresql://nobody@127.0.0.1:$(free_port)/none")
	run_check --sql-dir "$MC_ROOT/sql" MEDICALCARE_ENV_FILE="$env"
	assert_check 1 "$SMTP_NOTE
problem: the database cannot be reached or refuses the settings (the line above says why): fix DATABASE_URL (or DB_*) in $env, or start PostgreSQL
medicalcare-check: $env: 1 problem, 1 note"
	[[ $check_err == *"could not connect to database"* ]] || _fail "stderr: $check_err"
	# One migration more than the database has.
	mkdir "$sqldir"
	cp "$MC_ROOT"/sql/[0-9][0-9][0-9]_*.sql "$sqldir/"
	: >"$sqldir/999_future.sql"
	env=$(prod_env)
	run_check --sql-dir "$sqldir" MEDICALCARE_ENV_FILE="$env"
	assert_check 1 "$SMTP_NOTE
problem: 1 migration not applied (999_future.sql): run MEDICALCARE_ENV_FILE=$env sql/migrate.sh before the programs of this release serve
medicalcare-check: $env: 1 problem, 1 note"
}

@test "a program warns about each name in the env file that is not a setting, naming the line and the closest setting, and still answers" {
	local env
	env=$(test_env_file SMTP_SERVR=smtp.medicalcare.test)
	cgi GET health.cgi MEDICALCARE_ENV_FILE="$env"
	assert_status 200
	assert_body --raw '{"status":"ok","database":"ok"}'
	line=$(grep -n '^SMTP_SERVR=' "$env" | cut -d: -f1)
	[[ $cgi_stderr == "medicalcare health: warning: env file $env line $line: SMTP_SERVR is not a setting (did you mean SMTP_SERVER?): ignored" ]] ||
	    _fail "stderr"
	# Without the typo: nothing.
	cgi GET health.cgi
	assert_status 200
	[[ -z $cgi_stderr ]] || _fail "stderr without a typo"
}

@test "routine events reach the error log only with LOG_LEVEL=info, and stay in the audit trail" {
	cgi POST signup.cgi '{"full_name":"Ada Lovelace","email":"ada@example.test","password":"StrongPass123"}'
	assert_status 201
	[[ -z $cgi_stderr ]] || _fail "a routine sign-up wrote to the error log"
	[[ $(sql "SELECT event FROM audit_events") == signup ]] || _fail "no audit event"
	cgi POST signup.cgi '{"full_name":"Bob Jones","email":"bob@example.test","password":"StrongPass123"}' \
	    LOG_LEVEL=info
	assert_status 201
	# The account, then (after the answer) its mail.
	[[ $cgi_stderr == "medicalcare signup: account 2 created, verification code queued"* ]] ||
	    _fail "LOG_LEVEL=info"
	cgi POST signup.cgi '{"full_name":"Cy Jones","email":"cy@example.test","password":"StrongPass123"}' \
	    LOG_LEVEL=loud
	assert_status 500
	[[ $cgi_stderr == *"LOG_LEVEL"* ]] || _fail "a bad LOG_LEVEL is not named"
}

@test "every line the cron tools write starts with the time, ISO 8601 UTC" {
	local line
	run_tool outbox
	[[ $tool_rc == 0 && $tool_out_raw =~ ${ISO_RE}sent\ 0,\ retried\ 0,\ failed\ 0,\ expired\ 0$ ]] ||
	    _fail "outbox: $tool_rc $tool_out_raw"
	run_tool prune
	[[ $tool_rc == 0 && $(wc -l <<<"$tool_out_raw") -eq 13 ]] || _fail "prune: $tool_out_raw"
	while IFS= read -r line; do
		[[ $line =~ $ISO_RE[a-z_]+\ 0$ ]] || _fail "prune line: $line"
	done <<<"$tool_out_raw"
	run_tool outbox DATABASE_URL="postgresql://nobody@127.0.0.1:$(free_port)/none"
	[[ $tool_rc == 1 && -n $tool_err_raw ]] || _fail "outbox, database down: $tool_rc"
	while IFS= read -r line; do
		[[ $line =~ ${ISO_RE}medicalcare\ outbox:\ error: ]] || _fail "outbox stderr line: $line"
	done <<<"$tool_err_raw"
	tool_stdin=/dev/null run_tool import-users /nonexistent.csv
	[[ $tool_rc != 0 && $tool_out_raw =~ ${ISO_RE}nothing\ imported ]] || _fail "import-users: $tool_out_raw"
}

@test "mail written to files is said in the error log once a day" {
	local dir=$BATS_TEST_TMPDIR/mail
	mkdir "$dir"
	cgi POST signup.cgi '{"full_name":"Ada Lovelace","email":"ada@example.test","password":"StrongPass123"}' \
	    "$(printf 'SMTP_PORT=%s' "$(free_port)")"
	assert_status 201
	cgi POST signup.cgi '{"full_name":"Bob Jones","email":"bob@example.test","password":"StrongPass123"}' \
	    "$(printf 'SMTP_PORT=%s' "$(free_port)")"
	assert_status 201
	sql "UPDATE mail_outbox SET next_attempt_at = now(), locked_until = NULL" >/dev/null
	run_tool outbox --max 1 MAIL_TRANSPORT=file MAIL_DIR="$dir"
	[[ $tool_rc == 0 && $tool_out == "sent 1, retried 0, failed 0, expired 0" ]] || _fail "first: $tool_out"
	[[ $tool_err == "medicalcare outbox: warning: MAIL_TRANSPORT is file: mail is written to $dir and not sent to anyone; set MAIL_TRANSPORT=smtp in production (medicalcare-check lists what else to fix)" ]] ||
	    _fail "first stderr: $tool_err"
	run_tool outbox MAIL_TRANSPORT=file MAIL_DIR="$dir"
	[[ $tool_rc == 0 && $tool_out == "sent 1, retried 0, failed 0, expired 0" && -z $tool_err ]] ||
	    _fail "second: $tool_out / $tool_err"
	[[ $(find "$dir" -name '*.eml' | wc -l) -eq 2 ]] || _fail "mail files"
}
