#!/usr/bin/env bats
# POST /auth/forgot-password (cgi-bin/forgot-password.cgi): one answer for
# every address, a reset link by mail to existing accounts, the token stored
# only as its SHA-256, one reset mail per address per 60 s.

load helpers

OK_BODY='{"message":"Password reset link sent to your email"}'

# sha256_hex TEXT prints the SHA-256 of TEXT's bytes, lower-case hex.
sha256_hex() {
	printf '%s' "$1" | sha256sum | cut -d' ' -f1
}

# assert_reset_mail ADDRESS: the newest mail to ADDRESS holds exactly
# http://localhost:3000/reset-password?token=<43 base64url characters>, set
# as the global reset_token.
assert_reset_mail() {
	local text
	reset_token=$(mail_reset_token "$1") || return 1
	if [[ ! $reset_token =~ ^[A-Za-z0-9_-]{43}$ ]]; then
		echo "reset token is not 43 base64url characters: '$reset_token'" >&2
		return 1
	fi
	text=$(mail_text "$1") || return 1
	if ! grep -qE "(^|[[:space:]])http://localhost:3000/reset-password\?token=$reset_token([[:space:]]|\$)" <<<"$text"; then
		echo "no exact link http://localhost:3000/reset-password?token=$reset_token in:" >&2
		printf '%s\n' "$text" >&2
		return 1
	fi
}

# assert_nothing_stored: no reset token, no outbox row, no mail.
assert_nothing_stored() {
	[[ $(sql "SELECT count(*) FROM reset_tokens") == 0 ]] || {
		echo "reset_tokens: $(sql 'SELECT count(*) FROM reset_tokens') rows, expected 0" >&2
		return 1
	}
	[[ $(sql "SELECT count(*) FROM mail_outbox") == 0 ]] || {
		echo "mail_outbox: $(sql 'SELECT count(*) FROM mail_outbox') rows, expected 0" >&2
		return 1
	}
	[[ $(mail_count) == 0 ]] || {
		echo "the sink holds $(mail_count) mails, expected 0" >&2
		return 1
	}
}

# docs/CONTRACT.md PW-1
@test "forgot-password for a verified account gives 200 and mails it a link to FRONTEND_URL/reset-password" {
	add_user ann@example.test "Ann Smith" StrongPass123 t
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	assert_status 200
	assert_body --raw "$OK_BODY"
	assert_std_headers
	mail_wait ann@example.test
	[[ $(mail_count) == 1 ]]
	[[ $(mail_header ann@example.test To) == *"ann@example.test"* ]]
	assert_reset_mail ann@example.test
	[[ $(sql "SELECT count(*) FROM reset_tokens WHERE user_id = 1") == 1 ]]
}

# docs/CONTRACT.md PW-1
@test "forgot-password for an unverified account gives the same 200 and mails it a reset link too" {
	add_user una@example.test "Una Verified" StrongPass123 f
	cgi POST forgot-password.cgi '{"email":"una@example.test"}'
	assert_status 200
	assert_body --raw "$OK_BODY"
	mail_wait una@example.test
	[[ $(mail_count) == 1 ]]
	assert_reset_mail una@example.test
	[[ $(sql "SELECT count(*) FROM reset_tokens WHERE user_id = 1") == 1 ]]
	# Asking for a link does not verify the account; using it does (reset-password.bats).
	[[ $(sql "SELECT is_verified FROM users WHERE id = 1") == f ]]
	# Whoever signed up chose that name, maybe not the owner: the mail greets no one.
	[[ $(mail_text una@example.test) == "Hello,"[[:space:]]* ]]
	[[ $(mail_text una@example.test) != *Una* ]]
}

# docs/CONTRACT.md PW-1
@test "a verified account's reset mail greets it by name" {
	add_user ann@example.test "Ann Smith" StrongPass123 t
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	mail_wait ann@example.test
	[[ $(mail_text ann@example.test) == "Hello Ann Smith,"* ]]
}

# docs/CONTRACT.md PW-1, PW-2
@test "at most 5 reset mails a day to one address: the 6th request answers the same 200 and sends nothing" {
	local i
	add_user ann@example.test "Ann Smith" StrongPass123 t
	for i in 1 2 3 4 5; do
		cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
		assert_status 200
		mail_wait ann@example.test "$i"
		age_mail ann@example.test 61
	done
	sql "UPDATE mail_outbox SET created_at = created_at - interval '23 hours'
	      WHERE id = (SELECT min(id) FROM mail_outbox)" >/dev/null
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	assert_status 200
	assert_body --raw "$OK_BODY"
	refute_header Retry-After
	sleep 0.3 # no mail may come late either
	[[ $(mail_count) == 5 ]]
	[[ $(sql "SELECT count(*) FROM reset_tokens") == 5 ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox") == 5 ]]
	# Once the oldest is more than 24 hours old, one more goes out.
	sql "UPDATE mail_outbox SET created_at = created_at - interval '1 hour 1 minute'
	      WHERE id = (SELECT min(id) FROM mail_outbox)" >/dev/null
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	assert_status 200
	mail_wait ann@example.test 6
}

# docs/CONTRACT.md PW-1
@test "forgot-password for an unknown email gives the same 200, sends no mail and stores no token" {
	add_user ann@example.test "Ann Smith" StrongPass123 t
	cgi POST forgot-password.cgi '{"email":"nobody@example.test"}'
	assert_status 200
	assert_body --raw "$OK_BODY"
	assert_header Content-Type application/json
	sleep 0.3 # no mail may come late either
	assert_nothing_stored
}

# docs/CONTRACT.md PW-1
@test "forgot-password answers a verified, an unverified and an unknown email with byte-identical responses" {
	local a b c
	add_user ann@example.test "Ann Smith" StrongPass123 t
	add_user una@example.test "Una Verified" StrongPass123 f
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	a=$(cat "$cgi_out_file")
	cgi POST forgot-password.cgi '{"email":"una@example.test"}'
	b=$(cat "$cgi_out_file")
	cgi POST forgot-password.cgi '{"email":"nobody@example.test"}'
	c=$(cat "$cgi_out_file")
	[[ $a == "$b" && $b == "$c" ]] || {
		printf 'verified:\n%s\nunverified:\n%s\nunknown:\n%s\n' "$a" "$b" "$c" >&2
		false
	}
	mail_wait ann@example.test
	mail_wait una@example.test
	[[ $(mail_count) == 2 ]]
	[[ $(mail_count nobody@example.test) == 0 ]]
}

# docs/CONTRACT.md PW-1, IN-1
@test "forgot-password trims and lower-cases the email before looking the account up" {
	add_user ann@example.test "Ann Smith" StrongPass123 t
	cgi POST forgot-password.cgi '{"email":"  Ann@Example.TEST  "}'
	assert_status 200
	assert_body --raw "$OK_BODY"
	mail_wait ann@example.test
	[[ $(mail_count) == 1 ]]
	assert_reset_mail ann@example.test
	[[ $(sql "SELECT recipient FROM mail_outbox") == ann@example.test ]]
}

# docs/CONTRACT.md PW-3
@test "the reset token is stored only as its SHA-256, never as the token" {
	local want
	add_user ann@example.test "Ann Smith" StrongPass123 t
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	assert_status 200
	mail_wait ann@example.test
	assert_reset_mail ann@example.test
	want=$(sha256_hex "$reset_token")
	[[ $(sql "SELECT encode(token_hash, 'hex') FROM reset_tokens") == "$want" ]]
	[[ $(sql "SELECT user_id, used_at IS NULL FROM reset_tokens") == "1|t" ]]
	# Neither the token's text nor its bytes sit in any table.
	local dump hex
	dump=$(sql "SELECT string_agg(format('SELECT row_to_json(x)::text FROM %I x', tablename), ' UNION ALL ')
	            FROM pg_tables WHERE schemaname = current_schema()")
	dump=$(sql "$dump")
	hex=$(printf '%s' "$reset_token" | od -An -tx1 | tr -d ' \n')
	[[ $dump != *"$reset_token"* ]]
	[[ ${dump,,} != *"$hex"* ]]
}

# docs/CONTRACT.md PW-3
@test "a reset token expires 15 minutes after it was made" {
	add_user ann@example.test "Ann Smith" StrongPass123 t
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	assert_status 200
	[[ $(sql "SELECT expires_at - created_at = interval '15 minutes' FROM reset_tokens") == t ]]
	mail_wait ann@example.test
	[[ $(mail_text ann@example.test) == *"15 minutes"* ]]
}

# docs/CONTRACT.md PW-3
@test "RESET_TOKEN_EXPIRE_MINUTES sets how long a reset token lives" {
	add_user ann@example.test "Ann Smith" StrongPass123 t
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}' RESET_TOKEN_EXPIRE_MINUTES=30
	assert_status 200
	[[ $(sql "SELECT expires_at - created_at = interval '30 minutes' FROM reset_tokens") == t ]]
	mail_wait ann@example.test
	[[ $(mail_text ann@example.test) == *"30 minutes"* ]]
}

# docs/CONTRACT.md PW-2
@test "a second forgot-password within 60 s still gives 200 but sends no mail and makes no token" {
	add_user ann@example.test "Ann Smith" StrongPass123 t
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	assert_status 200
	mail_wait ann@example.test
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	assert_status 200
	assert_body --raw "$OK_BODY"
	refute_header Retry-After
	sleep 0.3 # no mail may come late either
	[[ $(mail_count) == 1 ]]
	[[ $(sql "SELECT count(*) FROM reset_tokens") == 1 ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox") == 1 ]]
}

# docs/CONTRACT.md PW-2
@test "a forgot-password 50 s after the last reset mail still sends nothing" {
	add_user ann@example.test "Ann Smith" StrongPass123 t
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	mail_wait ann@example.test
	sql "UPDATE mail_outbox SET created_at = created_at - interval '50 seconds'"
	sql "UPDATE reset_tokens SET created_at = created_at - interval '50 seconds'"
	cgi POST forgot-password.cgi '{"email":"ANN@example.test"}'
	assert_status 200
	assert_body --raw "$OK_BODY"
	sleep 0.3
	[[ $(mail_count) == 1 ]]
	[[ $(sql "SELECT count(*) FROM reset_tokens") == 1 ]]
}

# docs/CONTRACT.md PW-2
@test "after the 60 s cooldown a new forgot-password mails a second, different token" {
	local first
	add_user ann@example.test "Ann Smith" StrongPass123 t
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	mail_wait ann@example.test
	assert_reset_mail ann@example.test
	first=$reset_token
	sql "UPDATE mail_outbox SET created_at = created_at - interval '61 seconds'"
	sql "UPDATE reset_tokens SET created_at = created_at - interval '61 seconds'"
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	assert_status 200
	assert_body --raw "$OK_BODY"
	mail_wait ann@example.test 2
	[[ $(mail_count) == 2 ]]
	assert_reset_mail ann@example.test
	[[ $reset_token != "$first" ]]
	[[ $(sql "SELECT count(*) FROM reset_tokens WHERE user_id = 1") == 2 ]]
	[[ $(sql "SELECT encode(token_hash, 'hex') FROM reset_tokens ORDER BY id DESC LIMIT 1") == "$(sha256_hex "$reset_token")" ]]
}

# docs/CONTRACT.md PW-2
@test "the reset cooldown of one address does not hold back another address" {
	add_user ann@example.test "Ann Smith" StrongPass123 t
	add_user bob@example.test "Bob Jones" StrongPass123 t
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	assert_status 200
	cgi POST forgot-password.cgi '{"email":"bob@example.test"}'
	assert_status 200
	mail_wait ann@example.test
	mail_wait bob@example.test
	assert_reset_mail bob@example.test
	[[ $(mail_count) == 2 ]]
}

# docs/CONTRACT.md PW-2
@test "an OTP mail just sent does not hold back a reset mail to the same address" {
	cgi POST signup.cgi '{"full_name":"Una Verified","email":"una@example.test","password":"StrongPass123"}'
	assert_status 201
	mail_wait una@example.test
	cgi POST forgot-password.cgi '{"email":"una@example.test"}'
	assert_status 200
	assert_body --raw "$OK_BODY"
	mail_wait una@example.test 2
	assert_reset_mail una@example.test
	[[ $(sql "SELECT count(*) FROM reset_tokens") == 1 ]]
}

# docs/CONTRACT.md IN-1
@test "forgot-password with an invalid email gives 422 and stores nothing" {
	cgi POST forgot-password.cgi '{"email":"not-an-email"}'
	assert_status 422
	assert_body --raw '{"detail":[{"loc":["body","email"],"msg":"value is not a valid email address: An email address must have an @-sign.","type":"value_error"}]}'
	assert_header Content-Type application/json
	assert_nothing_stored
}

# docs/CONTRACT.md G-2
@test "forgot-password without an email gives 422 Field required" {
	cgi POST forgot-password.cgi '{}'
	assert_status 422
	assert_body --raw '{"detail":[{"loc":["body","email"],"msg":"Field required","type":"missing"}]}'
	assert_nothing_stored
}

# docs/CONTRACT.md G-9
@test "forgot-password with the database unreachable gives 503 and sends no mail" {
	add_user ann@example.test "Ann Smith" StrongPass123 t
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}' $(db_down)
	assert_status 503
	assert_body --raw '{"detail":"Service temporarily unavailable"}'
	assert_header Content-Type application/json
	assert_header Cache-Control no-store
	assert_nothing_stored
}
