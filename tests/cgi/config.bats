#!/usr/bin/env bats
# Configuration: the environment wins over the env file (MEDICALCARE_ENV_FILE),
# which wins over the defaults; a configuration error answers 500
# {"detail":"Internal server error"} with one line on stderr naming the
# setting; no secret ever reaches stderr.

load helpers

INTERNAL='{"detail":"Internal server error"}'

# assert_one_line TEXT NEEDLE: TEXT is exactly one non-empty line holding NEEDLE.
assert_one_line() {
	if [[ -z $1 || $(wc -l <<<"$1") -ne 1 || $1 != *"$2"* ]]; then
		printf 'expected one line naming %s on stderr, got:\n%s\n' "$2" "$1" >&2
		return 1
	fi
}

# assert_config_error SETTING: the last response is the 500 of a
# configuration error, with one line on stderr naming SETTING.
assert_config_error() {
	assert_status 500 || return 1
	assert_body --raw "$INTERNAL" || return 1
	assert_header Content-Type application/json || return 1
	assert_header Cache-Control no-store || return 1
	assert_one_line "$cgi_stderr" "$1" || {
		cgi_dump
		return 1
	}
}

# The password inside DATABASE_URL.
db_password() {
	local p=${DATABASE_URL#*://}
	p=${p%%@*}
	printf '%s\n' "${p#*:}"
}

LOGIN_BODY='{"email":"ann@example.test","password":"StrongPass123"}'
SIGNUP_BODY='{"full_name":"Ann Smith","email":"ann@example.test","password":"StrongPass123"}'

# docs/CONTRACT.md G-9
@test "a missing JWT_SECRET_KEY gives 500 and one line naming it, in the CGI programs and the cron program" {
	local env
	env=$(test_env_file -JWT_SECRET_KEY)
	cgi GET health.cgi MEDICALCARE_ENV_FILE="$env"
	assert_config_error JWT_SECRET_KEY
	cgi POST login.cgi "$LOGIN_BODY" MEDICALCARE_ENV_FILE="$env"
	assert_config_error JWT_SECRET_KEY
	cgi POST signup.cgi "$SIGNUP_BODY" MEDICALCARE_ENV_FILE="$env"
	assert_config_error JWT_SECRET_KEY
	[[ $(sql "SELECT count(*) FROM users") == 0 && $(sql "SELECT count(*) FROM mail_outbox") == 0 ]]
	[[ $(mail_count) == 0 ]]
	run_outbox MEDICALCARE_ENV_FILE="$env"
	[[ $outbox_rc == 1 ]]
	assert_one_line "$outbox_err" JWT_SECRET_KEY
}

# docs/CONTRACT.md G-9, TK-2
@test "a JWT_SECRET_KEY of 31 bytes gives 500 and one line naming it, without the key" {
	local key=0123456789abcdefghijklmnopqrstu
	[[ ${#key} == 31 ]]
	cgi GET health.cgi JWT_SECRET_KEY="$key"
	assert_config_error JWT_SECRET_KEY
	[[ $cgi_stderr != *"$key"* ]]
	cgi POST signup.cgi "$SIGNUP_BODY" JWT_SECRET_KEY="$key"
	assert_config_error JWT_SECRET_KEY
	[[ $cgi_stderr != *"$key"* ]]
	[[ $(sql "SELECT count(*) FROM users") == 0 ]]
}

# docs/CONTRACT.md TK-2
@test "a JWT_SECRET_KEY of exactly 32 bytes is accepted" {
	local key=0123456789abcdefghijklmnopqrstuv
	[[ ${#key} == 32 ]]
	cgi GET health.cgi JWT_SECRET_KEY="$key"
	assert_status 200
	assert_body --raw '{"status":"ok","database":"ok"}'
}

# docs/CONTRACT.md G-9
@test "MEDICALCARE_ENV_FILE naming a missing file gives 500 and one line naming it" {
	cgi GET health.cgi MEDICALCARE_ENV_FILE="$BATS_TEST_TMPDIR/no-such.env"
	assert_config_error MEDICALCARE_ENV_FILE
	cgi POST login.cgi "$LOGIN_BODY" MEDICALCARE_ENV_FILE="$BATS_TEST_TMPDIR/no-such.env"
	assert_config_error MEDICALCARE_ENV_FILE
	run_outbox MEDICALCARE_ENV_FILE="$BATS_TEST_TMPDIR/no-such.env"
	[[ $outbox_rc == 1 ]]
	assert_one_line "$outbox_err" MEDICALCARE_ENV_FILE
}

# docs/CONTRACT.md G-9
@test "an env file with a malformed line gives 500 and one line naming the file and the line" {
	local env
	env=$(test_env_file)
	printf 'this line is not NAME=value\n' >>"$env"
	cgi GET health.cgi MEDICALCARE_ENV_FILE="$env"
	assert_config_error "$env"
	[[ $cgi_stderr == *"line $(wc -l <"$env")"* ]]
}

# docs/CONTRACT.md G-9
@test "a malformed integer OTP_EXPIRE_MINUTES=abc gives 500 and one line naming it" {
	cgi GET health.cgi OTP_EXPIRE_MINUTES=abc
	assert_config_error OTP_EXPIRE_MINUTES
	cgi POST signup.cgi "$SIGNUP_BODY" OTP_EXPIRE_MINUTES=abc
	assert_config_error OTP_EXPIRE_MINUTES
	[[ $(sql "SELECT count(*) FROM users") == 0 && $(mail_count) == 0 ]]
}

# docs/CONTRACT.md G-9
@test "malformed or out-of-range settings each give 500 and one line naming the setting" {
	local setting
	for setting in OTP_EXPIRE_MINUTES=10abc OTP_EXPIRE_MINUTES=1.5 OTP_EXPIRE_MINUTES=0 \
	    JWT_EXPIRE_MINUTES=-5 RESET_TOKEN_EXPIRE_MINUTES=0x10 SMTP_PORT=70000 \
	    ARGON2_ITERATIONS=two MAIL_TRANSPORT=pigeon SMTP_SECURITY=maybe FRONTEND_URL=ftp://x.test \
	    HASH_CONCURRENCY=0 HASH_CONCURRENCY=1025 HASH_LOCK_FILE=run/hash.lock; do
		cgi POST login.cgi "$LOGIN_BODY" "$setting"
		assert_config_error "${setting%%=*}"
	done
}

@test "a HASH_LOCK_FILE that is a symbolic link is not followed: sign-up and login still work, with one warning naming it" {
	local link=$BATS_TEST_TMPDIR/hash.lock target=$BATS_TEST_TMPDIR/elsewhere
	ln -s "$target" "$link"
	cgi POST signup.cgi "$SIGNUP_BODY" HASH_LOCK_FILE="$link"
	assert_status 201
	[[ $(grep -c "hash lock file $link" <<<"$cgi_stderr") == 1 ]] || _fail "stderr: $cgi_stderr"
	[[ $cgi_stderr == *HASH_CONCURRENCY* ]]
	sql "UPDATE users SET is_verified = true"
	cgi POST login.cgi "$LOGIN_BODY" HASH_LOCK_FILE="$link"
	assert_status 200
	[[ $(grep -c "hash lock file $link" <<<"$cgi_stderr") == 1 ]] || _fail "stderr: $cgi_stderr"
	# Nothing was made through the link.
	[[ ! -e $target && -L $link ]]
}

# docs/CONTRACT.md G-9
@test "an unparseable DATABASE_URL is a configuration error: 500 and one line naming it" {
	cgi GET health.cgi DATABASE_URL='postgresql://%zz'
	assert_config_error DATABASE_URL
	cgi POST login.cgi "$LOGIN_BODY" DATABASE_URL='postgresql://%zz'
	assert_config_error DATABASE_URL
	[[ $cgi_stderr != *%zz* ]]
}

@test "a setting in the environment wins over the env file" {
	local token
	sql "INSERT INTO users (email, full_name, password_hash, is_verified)
	     VALUES ('ann@example.test', 'Ann Smith', '\$argon2id\$v=19\$m=19456,t=2,p=1\$c29tZXNhbHQ\$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', true)"
	grep -qx 'FRONTEND_URL=http://localhost:3000' "$MEDICALCARE_ENV_FILE"
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}' FRONTEND_URL=https://env.example.test
	assert_status 200
	mail_wait ann@example.test
	token=$(mail_reset_token ann@example.test)
	[[ $(mail_text ann@example.test) == *"https://env.example.test/reset-password?token=$token"* ]]
	[[ $(mail_text ann@example.test) != *localhost:3000* ]]
}

@test "the env file is honoured for a setting the environment does not set" {
	local env
	env=$(test_env_file CORS_ORIGINS=http://file-only.example.test)
	cgi GET health.cgi MEDICALCARE_ENV_FILE="$env" HTTP_ORIGIN=http://file-only.example.test
	assert_status 200
	assert_header Access-Control-Allow-Origin http://file-only.example.test
	assert_header_token Vary Origin
	# The file's list replaced the default (FRONTEND_URL) and the other file's list.
	cgi GET health.cgi MEDICALCARE_ENV_FILE="$env" HTTP_ORIGIN=http://localhost:3000
	assert_status 200
	refute_header Access-Control-Allow-Origin
	cgi GET health.cgi MEDICALCARE_ENV_FILE="$env" HTTP_ORIGIN=http://app.example.test
	refute_header Access-Control-Allow-Origin
}

# docs/CONTRACT.md SU-4
@test "OTP_EXPIRE_MINUTES=1 in the env file makes an OTP that lives one minute" {
	local env
	env=$(test_env_file OTP_EXPIRE_MINUTES=1)
	cgi POST signup.cgi "$SIGNUP_BODY" MEDICALCARE_ENV_FILE="$env"
	assert_status 201
	[[ $(sql "SELECT expires_at - created_at = interval '1 minute' FROM otp_codes") == t ]]
	mail_wait ann@example.test
	[[ $(mail_text ann@example.test) == *"1 minute."* ]]
}

# docs/CONTRACT.md D-2
@test "no secret reaches stderr: not the JWT key, the database password, passwords, codes or tokens" {
	local all="" pw otp token jwt port bad
	pw=$(db_password)
	[[ -n $pw && $pw != "$DATABASE_URL" ]]
	port=$(free_port)
	collect() { all+=$cgi_stderr$'\n'; }

	cgi POST signup.cgi "$SIGNUP_BODY"
	assert_status 201
	collect
	otp=$(mail_otp ann@example.test)
	cgi POST verify-otp.cgi '{"email":"ann@example.test","otp":"000000"}'
	collect
	cgi POST verify-otp.cgi "{\"email\":\"ann@example.test\",\"otp\":\"$otp\"}"
	assert_status 200
	jwt=$(json_get .access_token)
	collect
	cgi POST login.cgi '{"email":"ann@example.test","password":"WrongPass999"}'
	assert_status 401
	collect
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $jwt"
	assert_status 200
	collect
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer ${jwt}x"
	assert_status 401
	collect
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	collect
	token=$(mail_reset_token ann@example.test)
	cgi POST reset-password.cgi "{\"token\":\"$token\",\"new_password\":\"NewStrongPass123\",\"confirm_password\":\"NewStrongPass123\"}"
	assert_status 200
	collect
	cgi POST reset-password.cgi "{\"token\":\"$token\",\"new_password\":\"NewStrongPass123\",\"confirm_password\":\"NewStrongPass123\"}"
	assert_status 400
	collect
	# The database unreachable, with the password refused (a configuration
	# error: 500, faults.bats), and a URL libpq cannot parse.
	cgi POST login.cgi "$LOGIN_BODY" DATABASE_URL="postgresql://mc_test:$pw@127.0.0.1:$port/medicalcare_test" DB_CONNECT_TIMEOUT=2
	assert_status 503
	collect
	bad=${DATABASE_URL/:$pw@/:${pw}x@}
	cgi POST login.cgi "$LOGIN_BODY" DATABASE_URL="$bad"
	assert_status 500
	collect
	cgi POST login.cgi "$LOGIN_BODY" DATABASE_URL="postgresql://mc_test:${pw}%zz@127.0.0.1:$port/medicalcare_test"
	collect
	cgi GET health.cgi DATABASE_URL="postgresql://mc_test:$pw@127.0.0.1:$port/medicalcare_test" DB_CONNECT_TIMEOUT=2
	collect
	# The mail server refusing, and the cron program.
	mail_reject_with "451 4.3.0 try later"
	sql "UPDATE mail_outbox SET created_at = created_at - interval '61 seconds'"
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	collect
	sql "UPDATE mail_outbox SET next_attempt_at = now()"
	run_outbox
	all+=$outbox_err$'\n'
	run_outbox DATABASE_URL="postgresql://mc_test:$pw@127.0.0.1:$port/medicalcare_test" DB_CONNECT_TIMEOUT=2
	all+=$outbox_err$'\n'

	local secret
	for secret in "$MC_TEST_JWT_KEY" "$pw" StrongPass123 NewStrongPass123 WrongPass999 "$otp" "$token" "$jwt"; do
		if [[ $all == *"$secret"* ]]; then
			printf 'a secret (%s...) is on stderr:\n%s\n' "${secret:0:4}" "$all" >&2
			false
		fi
	done
	# The logs did say something: the checks above looked at real output.
	[[ $all == *"could not connect"* ]]
}

@test "without MFA_ENCRYPTION_KEY (an upgraded env file) every program and the cron program still work, and say nothing about it" {
	local env
	env=$(test_env_file -MFA_ENCRYPTION_KEY)
	cgi GET health.cgi MEDICALCARE_ENV_FILE="$env"
	assert_status 200
	assert_body --raw '{"status":"ok","database":"ok"}'
	[[ -z $cgi_stderr ]] || _fail "stderr: $cgi_stderr"
	cgi POST signup.cgi "$SIGNUP_BODY" MEDICALCARE_ENV_FILE="$env"
	assert_status 201
	[[ -z $cgi_stderr ]] || _fail "stderr: $cgi_stderr"
	[[ $(sql "SELECT count(*) FROM users WHERE email = 'ann@example.test'") == 1 ]]
	run_outbox MEDICALCARE_ENV_FILE="$env"
	[[ $outbox_rc == 0 ]] || _fail "outbox: $outbox_rc $outbox_err"
	mail_wait ann@example.test
	[[ $(mail_count ann@example.test) == 1 ]]
}

# docs/CONTRACT.md G-9
@test "an MFA_ENCRYPTION_KEY of 31 bytes gives 500 and one line naming it, without the key" {
	local key=mfa-0123456789abcdefghijklmnopq
	[[ ${#key} == 31 ]]
	cgi GET health.cgi MFA_ENCRYPTION_KEY="$key"
	assert_config_error MFA_ENCRYPTION_KEY
	[[ $cgi_stderr == *"MFA_ENCRYPTION_KEY must be at least 32 bytes"* && $cgi_stderr != *"$key"* ]]
	cgi POST signup.cgi "$SIGNUP_BODY" MFA_ENCRYPTION_KEY="$key"
	assert_config_error MFA_ENCRYPTION_KEY
	[[ $(sql "SELECT count(*) FROM users") == 0 ]]
}
