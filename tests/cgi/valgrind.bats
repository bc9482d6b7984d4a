#!/usr/bin/env bats
# Every program under valgrind's memcheck: each cgi-bin/*.cgi with a request
# that succeeds and one that fails, one CORS preflight, and each
# bin/medicalcare-* tool, on the release build (-O2 -g); then one FastCGI
# process of each program under memcheck through 4 rounds of mixed requests
# (fcgi_soak_round), each leaving after its last. A run passes when
# memcheck reports no error (invalid read or write, use of uninitialised
# memory, bad free, fd misuse) and no leak of any kind: definite, indirect,
# possible, and also still reachable (--errors-for-leak-kinds=all), except
# what tests/valgrind.supp lists, each entry with the library and the reason.
# A program in cgi-bin/ or tools/ without a case here fails the first test.
#
# Skipped for the sanitizer build (CGI_DIR under build/san: valgrind cannot run
# ASan programs, and ASan/LSan check those already); fails when valgrind is
# missing (./setup.sh installs it). Argon2 runs at a cheap cost
# (ARGON2_MEMORY_KIB=64, ARGON2_ITERATIONS=1) so that valgrind stays quick.

load helpers

# The programs with a case below: cgi-bin/<name>.c -> <name>.cgi,
# tools/<name>.c -> medicalcare-<name>.
COVERED=(
	forgot-password.cgi health.cgi login.cgi openapi.cgi profile.cgi resend-otp.cgi
	reset-password.cgi signup.cgi verify-otp.cgi refresh.cgi logout.cgi sessions.cgi
	change-password.cgi delete-account.cgi mfa-setup.cgi mfa-enable.cgi mfa-verify.cgi
	medicalcare-outbox medicalcare-prune medicalcare-import-users medicalcare-check
	mfa-recovery-codes.cgi mfa-disable.cgi
)

PW=StrongPass123

setup_file() {
	case $CGI_DIR in
	*/build/san | */build/san/*)
		# setup() skips each test: bats 1.8 cannot skip from setup_file.
		export VG_SKIP="valgrind cannot run ASan programs (the release build's run covers them)"
		return 0
		;;
	esac
	unset VG_SKIP
	if ! command -v valgrind >/dev/null; then
		echo "valgrind is not installed: run ./setup.sh" >&2
		return 1
	fi
	mc_setup_file
	MEDICALCARE_ENV_FILE=$(test_env_file ARGON2_MEMORY_KIB=64 ARGON2_ITERATIONS=1) || return 1
	export MEDICALCARE_ENV_FILE
}

setup() {
	if [[ -n ${VG_SKIP:-} ]]; then
		skip "$VG_SKIP"
	fi
	reset_state
	_fcgi_pids=()
}

teardown() {
	fcgi_stop_all
}

# The memcheck command and options of every run here (log into DIR).
vg_command() { # DIR
	printf '%s' "valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all" \
	    " --track-fds=yes --error-exitcode=99 --suppressions=$MC_ROOT/tests/valgrind.supp" \
	    " --num-callers=30 --log-file=$1/vg.%p.log"
}

# vg COMMAND [ARG]...   runs a helper (cgi, run_outbox, run_tool) with its
# program under memcheck, then fails if memcheck reported anything (the
# report is printed). The command's own result is returned otherwise.
vg() {
	local rc=0
	local MC_CGI_WRAP
	MC_CGI_WRAP=$(vg_command "$BATS_TEST_TMPDIR")
	rm -f -- "$BATS_TEST_TMPDIR"/vg.*.log
	"$@" || rc=$?
	vg_logs_clean "$*" || return 1
	return "$rc"
}

# vg_logs_clean WHAT: every memcheck log in $BATS_TEST_TMPDIR (at least one)
# reports no error and no descriptor left open; else prints them and fails.
vg_logs_clean() {
	local log
	for log in "$BATS_TEST_TMPDIR"/vg.*.log; do
		if [[ ! -f $log ]]; then
			echo "vg: $1: valgrind wrote no log" >&2
			return 1
		fi
		if ! grep -q 'ERROR SUMMARY: 0 errors from 0 contexts' "$log" ||
		    [[ -n $(vg_fds "$log") ]]; then
			echo "vg: $1: memcheck found problems:" >&2
			cat -- "$log" >&2
			return 1
		fi
	done
}

# vg_fds LOG: the descriptors the program left open at exit that it did not
# inherit (valgrind --track-fds lists each "Open ..." entry, then where it was
# opened or "<inherited from parent>"); prints nothing when there are none.
vg_fds() {
	awk '/ Open (file descriptor|AF_[A-Z0-9]+ socket)/ { entry = $0; next }
	     entry != "" && /<inherited from parent>/ { entry = ""; next }
	     entry != "" && /==[0-9]+== +(at|by) / { print entry; entry = ""; next }' "$1"
}

# run_tool (tests/cgi/helpers.bash) runs a tool through MC_CGI_WRAP.

# assert_tool_rc RC: the last run_tool exited RC; else prints its output.
assert_tool_rc() {
	if [[ $tool_rc -ne $1 ]]; then
		printf 'expected exit %s, got %s\n--- stdout:\n%s\n--- stderr:\n%s\n' \
		    "$1" "$tool_rc" "$tool_out" "$tool_err" >&2
		return 1
	fi
}

# A PHC hash of PASSWORD at the cheap cost of this file's env file.
cheap_hash() {
	local salt
	printf -v salt '%08x%08x' "$SRANDOM" "$SRANDOM"
	printf '%s' "$1" | argon2 "$salt" -id -t 1 -k 64 -p 1 -e
}

# cheap_user EMAIL NAME PASSWORD [t|f]: an account, without a program run; prints the id.
cheap_user() {
	insert_user "$1" "$2" "$(cheap_hash "$3")" "${4:-t}"
}

@test "every program in cgi-bin/ and tools/ has a valgrind case in this file" {
	local f name missing=()
	for f in "$MC_ROOT"/cgi-bin/*.c "$MC_ROOT"/tools/*.c; do
		[[ -e $f ]] || continue
		name=${f##*/}
		name=${name%.c}
		if [[ $f == */cgi-bin/* ]]; then
			name=$name.cgi
		else
			name=medicalcare-$name
		fi
		[[ " ${COVERED[*]} " == *" $name "* ]] || missing+=("$name")
	done
	if [[ ${#missing[@]} -gt 0 ]]; then
		echo "no valgrind case in tests/cgi/valgrind.bats for: ${missing[*]}" >&2
		return 1
	fi
}

@test "under valgrind health.cgi answers 200 with the database up and 405 for POST" {
	vg cgi GET health.cgi
	assert_status 200
	assert_body '{"status":"ok","database":"ok"}'
	vg cgi POST health.cgi '{}'
	assert_status 405
}

@test "under valgrind, with a database refusing the password, health.cgi answers 503 misconfigured and login.cgi 500" {
	local url="postgresql://mc_test:Wrong-Secret-7f3a9c@127.0.0.1:$MC_PG_PORT/medicalcare_test"
	vg cgi GET health.cgi DATABASE_URL="$url"
	assert_status 503
	assert_body '{"status":"unavailable","database":"misconfigured"}'
	vg cgi POST login.cgi "{\"email\":\"ann@example.test\",\"password\":\"$PW\"}" DATABASE_URL="$url"
	assert_status 500
}

@test "under valgrind openapi.cgi answers 200 for GET and 405 for POST" {
	vg cgi GET openapi.cgi
	assert_status 200
	[[ $(json_get .openapi) == 3.* ]]
	vg cgi POST openapi.cgi '{}'
	assert_status 405
}

@test "under valgrind signup.cgi answers 201 and sends its mail, then 422" {
	vg cgi POST signup.cgi '{"full_name":"Ann Smith","email":"ann@example.test","password":"StrongPass123"}'
	assert_status 201
	assert_body --raw '{"message":"OTP sent to your email for verification"}'
	mail_wait ann@example.test
	[[ $(sql "SELECT email, is_verified FROM users") == "ann@example.test|f" ]]
	vg cgi POST signup.cgi '{"full_name":"Ann Smith","email":"ann","password":"weak"}'
	assert_status 422
	[[ $(sql "SELECT count(*) FROM users") == 1 ]]
}

@test "under valgrind a CORS preflight (OPTIONS) gets 204 with the preflight headers" {
	vg cgi OPTIONS signup.cgi HTTP_ORIGIN=http://localhost:3000 \
	    HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST
	assert_status 204
	assert_header Access-Control-Allow-Origin http://localhost:3000
	assert_header Access-Control-Allow-Methods "POST, OPTIONS"
}

@test "under valgrind verify-otp.cgi answers 400 for a wrong code, then 200 with a token" {
	local wrong=000000
	signed_up ann@example.test "Ann Smith" "$PW"
	[[ $code != "$wrong" ]] || wrong=111111
	vg verify ann@example.test "$wrong"
	assert_status 400
	assert_body --raw '{"detail":"Invalid or expired OTP"}'
	vg verify ann@example.test "$code"
	assert_status 200
	assert_json .token_type bearer
	[[ $(sql "SELECT is_verified FROM users") == t ]]
}

@test "under valgrind resend-otp.cgi answers 200 with a new mail, then 422" {
	signed_up ann@example.test "Ann Smith" "$PW"
	age_mail ann@example.test
	vg cgi POST resend-otp.cgi '{"email":"ann@example.test"}'
	assert_status 200
	assert_body --raw '{"message":"If the account exists and is not verified, a new OTP has been sent"}'
	mail_wait ann@example.test 2
	vg cgi POST resend-otp.cgi '{"email":1}'
	assert_status 422
}

@test "under valgrind login.cgi answers 200 with a token and 401 for a wrong password" {
	cheap_user ann@example.test "Ann Smith" "$PW" >/dev/null
	vg cgi POST login.cgi '{"email":"ann@example.test","password":"StrongPass123"}'
	assert_status 200
	assert_json .token_type bearer
	vg cgi POST login.cgi '{"email":"ann@example.test","password":"WrongPass123"}'
	assert_status 401
	assert_body --raw '{"detail":"Invalid email or password"}'
}

@test "under valgrind profile.cgi answers 200 with a valid token and 401 without one" {
	local id now tok
	id=$(cheap_user ann@example.test "Ann Smith" "$PW")
	now=$(date +%s)
	tok=$(make_jwt "{\"sub\":\"$id\",\"email\":\"ann@example.test\",\"iat\":$now,\"exp\":$((now + 600))}")
	vg cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $tok" LEGACY_TOKENS_UNTIL=4102444800
	assert_status 200
	assert_body --raw "{\"id\":$id,\"full_name\":\"Ann Smith\",\"email\":\"ann@example.test\",\"is_verified\":true}"
	vg cgi GET profile.cgi
	assert_status 401
	assert_body --raw '{"detail":"Not authenticated"}'
}

# docs/CONTRACT.md SE-6, SE-7, SE-8, SE-10, SE-11
@test "under valgrind refresh.cgi, sessions.cgi and logout.cgi rotate, reuse, list, revoke and log out" {
	local at rt rt2 sid
	cheap_user ann@example.test "Ann Smith" "$PW" >/dev/null
	cgi POST login.cgi "$(jobj email ann@example.test password "$PW")"
	assert_status 200
	at=$(json_get .access_token) rt=$(json_get .refresh_token)
	vg cgi POST refresh.cgi "$(jobj refresh_token "$rt")"
	assert_status 200
	at=$(json_get .access_token) rt2=$(json_get .refresh_token)
	vg cgi POST refresh.cgi "$(jobj refresh_token "$rt")"
	assert_status 200
	[[ $(json_get .refresh_token) == "$rt2" ]]
	vg cgi POST refresh.cgi '{"refresh_token": 1}'
	assert_status 422
	vg cgi GET sessions.cgi HTTP_AUTHORIZATION="Bearer $at" REQUEST_URI=/user/sessions
	assert_status 200
	sid=$(json_get '.sessions[0].id')
	vg cgi DELETE sessions.cgi HTTP_AUTHORIZATION="Bearer $at" REQUEST_URI=/user/sessions/nope
	assert_status 404
	cgi POST login.cgi "$(jobj email ann@example.test password "$PW")"
	vg cgi DELETE sessions.cgi HTTP_AUTHORIZATION="Bearer $(json_get .access_token)" \
	    REQUEST_URI="/user/sessions/$sid"
	assert_status 200
	vg cgi POST logout.cgi "$(jobj refresh_token "$rt2")"
	assert_status 200
	vg cgi POST logout.cgi '{"everywhere": true}' HTTP_AUTHORIZATION="Bearer $at"
	assert_status 200
	vg cgi POST logout.cgi
	assert_status 401
}

# docs/CONTRACT.md AS-2, AS-3, AS-4, AS-5, AS-6, AS-7
@test "under valgrind PATCH profile.cgi, change-password.cgi and delete-account.cgi rename, change the password and delete" {
	local id at
	id=$(cheap_user ann@example.test "Ann Smith" "$PW")
	cgi POST login.cgi "$(jobj email ann@example.test password "$PW")"
	assert_status 200
	at=$(json_get .access_token)
	vg cgi PATCH profile.cgi '{"full_name": "Ann Jones"}' HTTP_AUTHORIZATION="Bearer $at"
	assert_status 200
	assert_body --raw "{\"id\":$id,\"full_name\":\"Ann Jones\",\"email\":\"ann@example.test\",\"is_verified\":true}"
	vg cgi POST change-password.cgi \
	    "$(jobj current_password wrong new_password NewStrongPass456 confirm_password NewStrongPass456)" \
	    HTTP_AUTHORIZATION="Bearer $at"
	assert_status 400
	assert_body --raw '{"detail":"Incorrect password"}'
	vg cgi POST change-password.cgi \
	    "$(jobj current_password "$PW" new_password NewStrongPass456 confirm_password NewStrongPass456)" \
	    HTTP_AUTHORIZATION="Bearer $at"
	assert_status 200
	at=$(json_get .access_token)
	vg cgi POST delete-account.cgi '{"password": 1}' HTTP_AUTHORIZATION="Bearer $at"
	assert_status 422
	vg cgi POST delete-account.cgi "$(jobj password NewStrongPass456)" HTTP_AUTHORIZATION="Bearer $at"
	assert_status 200
	assert_body --raw '{"message":"Account deleted"}'
	[[ $(sql "SELECT count(*) FROM users WHERE id = :'i'" i="$id") == 0 ]]
}

# docs/CONTRACT.md MF-1, MF-4, MF-6, MF-10, MF-12, MF-13
@test "under valgrind the two-factor programs set up, refuse a wrong code, turn on, verify a sign-in, make new recovery codes and turn off" {
	local id tok secret ec mt rc fresh
	id=$(cheap_user ann@example.test "Ann Smith" "$PW")
	tok=$(user_token "$id" ann@example.test)
	vg mfa_setup "$tok" "$PW"
	assert_status 200
	secret=$(json_get .secret)
	mail_wait ann@example.test
	ec=$(mail_otp ann@example.test)
	vg cgi POST mfa-enable.cgi "$(jobj code "$(other_code "$(totp "$secret")")" email_code "$ec")" \
	    HTTP_AUTHORIZATION="Bearer $tok"
	assert_status 400
	assert_body --raw '{"detail":"Invalid code"}'
	vg cgi POST mfa-enable.cgi "$(jobj code "$(totp "$secret")" email_code "$ec")" \
	    HTTP_AUTHORIZATION="Bearer $tok"
	assert_status 200
	[[ $(jq '.recovery_codes | length' <<<"$cgi_body") == 10 ]]
	rc=$(jq -r '.recovery_codes[0]' <<<"$cgi_body")
	# The next step's code (one step of drift), as enable used this one.
	cgi POST login.cgi "$(jobj email ann@example.test password "$PW")"
	assert_status 200
	mt=$(json_get .mfa_token)
	vg cgi POST mfa-verify.cgi "$(jobj mfa_token "$mt" code "$(totp "$secret" 1)")"
	assert_status 200
	assert_json .token_type bearer
	# A recovery code of enable's set in place of the code.
	vg cgi POST mfa-recovery-codes.cgi "$(jobj password "$PW" code "$rc")" HTTP_AUTHORIZATION="Bearer $tok"
	assert_status 200
	fresh=$(jq -r '.recovery_codes[0]' <<<"$cgi_body")
	vg cgi POST mfa-disable.cgi "$(jobj password "$PW" code "$fresh")" HTTP_AUTHORIZATION="Bearer $tok"
	assert_status 200
	assert_body --raw '{"message":"Two-factor sign-in disabled"}'
	[[ $(sql "SELECT enabled_at IS NULL FROM user_mfa WHERE user_id = :'i'" i="$id") == t ]]
}

@test "under valgrind forgot-password.cgi answers 200 with a reset mail, then 422" {
	cheap_user ann@example.test "Ann Smith" "$PW" >/dev/null
	vg cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	assert_status 200
	assert_body --raw '{"message":"Password reset link sent to your email"}'
	mail_wait ann@example.test
	vg cgi POST forgot-password.cgi '{}'
	assert_status 422
}

@test "under valgrind reset-password.cgi answers 200 for a valid token and 400 for an unknown one" {
	local id
	id=$(cheap_user ann@example.test "Ann Smith" "$PW")
	make_token "$id"
	vg cgi POST reset-password.cgi "{\"token\":\"$token\",\"new_password\":\"Brand-New-Secret-42\",\"confirm_password\":\"Brand-New-Secret-42\"}"
	assert_status 200
	assert_body --raw '{"message":"Password reset successfully. Please log in again."}'
	vg cgi POST reset-password.cgi "{\"token\":\"$token\",\"new_password\":\"Brand-New-Secret-42\",\"confirm_password\":\"Brand-New-Secret-42\"}"
	assert_status 400
	assert_body --raw '{"detail":"Invalid or expired reset token"}'
}

@test "under valgrind medicalcare-outbox delivers a pending mail" {
	cgi POST signup.cgi '{"full_name":"Ann Smith","email":"ann@example.test","password":"StrongPass123"}' \
	    "SMTP_PORT=$(free_port)"
	assert_status 201
	[[ $(sql "SELECT status FROM mail_outbox") == pending ]]
	sql "UPDATE mail_outbox SET next_attempt_at = now()" >/dev/null
	vg run_outbox
	[[ $outbox_rc -eq 0 && $outbox_out == "sent 1, retried 0, failed 0, expired 0" ]]
	[[ $(mail_count ann@example.test) == 1 ]]
	[[ $(sql "SELECT status FROM mail_outbox") == sent ]]
}

@test "under valgrind medicalcare-outbox expires, leaves mail of another key and gives back an unreadable one, and its --key-id prints the key id" {
	local other e
	other=$(test_env_file JWT_SECRET_KEY=mc-other-install-secret-9876543210-zyxwvutsrqpon)
	for e in ann bob carl; do
		cgi POST signup.cgi "{\"full_name\":\"Ann Smith\",\"email\":\"$e@example.test\",\"password\":\"StrongPass123\"}" \
		    "SMTP_PORT=$(free_port)" MEDICALCARE_ENV_FILE="$other"
		assert_status 201
	done
	# All sealed under another key: ann's expired, bob's waits for its key,
	# carl's looks older than key ids, so it is claimed and cannot be unsealed.
	sql "UPDATE mail_outbox SET next_attempt_at = now();
	     UPDATE mail_outbox SET expires_at = now() - interval '1 second' WHERE id = 1;
	     UPDATE mail_outbox SET key_id = NULL WHERE id = 3" >/dev/null
	# LOG_LEVEL=info: the expiry is a routine line, the other two warnings.
	vg run_outbox LOG_LEVEL=info
	[[ $outbox_rc -eq 0 && $outbox_out == "sent 0, retried 0, failed 0, expired 1" ]]
	[[ $(sql "SELECT string_agg(status, ',' ORDER BY id) FROM mail_outbox") == expired,pending,pending ]]
	[[ $(wc -l <<<"$outbox_err") == 3 ]]
	vg run_outbox --key-id
	[[ $outbox_rc -eq 0 && $outbox_out =~ ^[0-9a-f]{16}$ ]]
}

@test "under valgrind medicalcare-outbox exits 1 with the database down" {
	vg run_outbox "DATABASE_URL=$(db_down_url)"
	[[ $outbox_rc -eq 1 ]]
}

@test "under valgrind medicalcare-prune prunes the test database" {
	vg run_tool prune
	assert_tool_rc 0
}

@test "under valgrind medicalcare-import-users imports a CSV file and refuses a missing one" {
	local csv=$BATS_TEST_TMPDIR/users.csv hash
	hash=$(cheap_hash "$PW")
	printf 'email,full_name,password_hash,is_verified\nann@example.test,Ann Smith,"%s",true\n' \
	    "$hash" >"$csv"
	vg run_tool import-users "$csv"
	assert_tool_rc 0
	[[ $tool_out == "imported 1, skipped 0" ]]
	[[ $(sql "SELECT email, full_name, is_verified FROM users") == "ann@example.test|Ann Smith|t" ]]
	vg run_tool import-users "$BATS_TEST_TMPDIR/no-such-file.csv"
	assert_tool_rc 1
}

@test "under valgrind medicalcare-check runs with the database and migrations, and with a typo and the database down" {
	local env=$BATS_TEST_TMPDIR/check.env
	cp -- "$MEDICALCARE_ENV_FILE" "$env"
	chmod 600 "$env"
	vg run_tool check --sql-dir "$MC_ROOT/sql" MEDICALCARE_ENV_FILE="$env"
	assert_tool_rc 1 # http://localhost:3000
	printf 'SMTP_SERVR=x\n' >>"$env"
	vg run_tool check --sql-dir "$MC_ROOT/sql" MEDICALCARE_ENV_FILE="$env" "DATABASE_URL=$(db_down_url)"
	assert_tool_rc 1
	[[ $tool_out == *"SMTP_SERVR is not a setting"* && $tool_out == *"cannot be reached"* ]]
}

@test "under valgrind one FastCGI process of each program serves 4 rounds of mixed requests and exits clean" {
	local p r rounds=4
	local -A pid=()
	export MC_CGI_VIA=$BATS_TEST_TMPDIR
	rm -f -- "$BATS_TEST_TMPDIR"/vg.*.log
	# Each process under memcheck leaves through its normal exit after its
	# last request (FCGI_MAX_REQUESTS): memcheck then checks for leaks.
	for p in "${!FCGI_SOAK_REQUESTS[@]}"; do
		MC_FCGI_WRAP=$(vg_command "$BATS_TEST_TMPDIR") \
		    fcgi_start "$p" FCGI_MAX_REQUESTS=$((rounds * FCGI_SOAK_REQUESTS[$p]))
		pid[$p]=$fcgi_pid
	done
	for ((r = 1; r <= rounds; r++)); do
		fcgi_soak_round "vg$r"
	done
	for p in "${!pid[@]}"; do
		fcgi_exit "${pid[$p]}" 60
		if [[ $fcgi_rc != 0 ]]; then
			echo "$p (under valgrind) exited with $fcgi_rc:" >&2
			cat -- "$BATS_TEST_TMPDIR/${p%.cgi}.log" "$BATS_TEST_TMPDIR"/vg."${pid[$p]}".log >&2
			false
		fi
	done
	[[ $(find "$BATS_TEST_TMPDIR" -name 'vg.*.log' | wc -l) == "${#pid[@]}" ]]
	vg_logs_clean "FastCGI soak"
}

