#!/usr/bin/env bats
# POST /user/mfa/setup (cgi-bin/mfa-setup.cgi): the password typed again on
# login's lockout, then a pending two-factor secret shown once and stored
# sealed, and a confirmation code mailed (docs/CONTRACT.md AS-1, AS-4, AS-5,
# MF-1 to MF-3).

load helpers

setup_file() {
	mc_setup_file
	HASH_STRONG=$(printf '%s' StrongPass123 | argon2 mc-mfa-setup-salt -id -t 2 -m 10 -p 1 -e)
	export HASH_STRONG
}

ENABLED='{"detail":"Two-factor sign-in is already enabled"}'
MAIL_LIMIT='{"detail":"Too many verification emails requested. Please try again later."}'

# Two verified accounts with the password StrongPass123: bob (id 1) and ann
# (id 2); ANN is a token of ann's.
two_users() {
	sql "INSERT INTO users (email, full_name, password_hash, is_verified)
	     VALUES ('bob@example.test', 'Bob Other', :'h', true),
	            ('ann@example.test', 'Ann Example', :'h', true)" h="$HASH_STRONG" >/dev/null
	ANN=$(user_token 2 ann@example.test)
}

# ann_mfa prints ann's user_mfa row: the pending secret and code digest (hex),
# whether a secret is on, and the code's tries.
ann_mfa() {
	sql "SELECT encode(pending_sealed, 'hex'), encode(pending_code_hash, 'hex'),
	            secret_sealed IS NULL AND enabled_at IS NULL, pending_attempts
	       FROM user_mfa WHERE user_id = 2"
}

# docs/CONTRACT.md MF-1, MF-2
@test "setup with the right password answers the secret and its URI, stores it only sealed and mails a code" {
	two_users
	mfa_setup "$ANN" StrongPass123
	assert_status 200
	assert_std_headers
	local secret uri raw code
	secret=$(json_get .secret)
	uri=$(json_get .otpauth_uri)
	[[ $secret =~ ^[A-Z2-7]{32}$ ]] || _fail "secret: $secret"
	[[ $uri == "otpauth://totp/MedicalCare:ann@example.test?secret=$secret&issuer=MedicalCare&algorithm=SHA1&digits=6&period=30" ]] ||
		_fail "uri: $uri"
	[[ $(jq -c 'keys' <<<"$cgi_body") == '["otpauth_uri","secret"]' ]]
	[[ $(sql "SELECT length(pending_sealed), length(pending_code_hash), pending_attempts,
	                 pending_expires_at - created_at, secret_sealed IS NULL, enabled_at IS NULL
	            FROM user_mfa WHERE user_id = 2") == '48|32|0|00:10:00|t|t' ]]
	# The 20 bytes of the secret appear nowhere in the row.
	raw=$(python3 -c 'import base64, sys; print(base64.b32decode(sys.argv[1]).hex())' "$secret")
	[[ ${#raw} == 40 ]]
	[[ $(sql "SELECT count(*) FROM user_mfa WHERE position(decode(:'r', 'hex') IN pending_sealed) > 0
	             OR position(decode(:'r', 'hex') IN pending_code_hash) > 0" r="$raw") == 0 ]]
	mail_wait ann@example.test
	code=$(mail_otp ann@example.test)
	[[ $code =~ ^[0-9]{6}$ ]]
	[[ $(mail_header ann@example.test Subject) == 'MedicalCare two-factor confirmation code' ]]
	[[ $(mail_text ann@example.test) == *"It expires in 10 minutes."* ]]
	[[ $(sql "SELECT kind || ':' || user_id FROM mail_outbox") == 'mfa_setup:2' ]]
	[[ $(sql "SELECT event || ':' || user_id FROM audit_events WHERE event = 'mfa_setup'") == 'mfa_setup:2' ]]
	# Neither the secret nor the code is logged.
	[[ $cgi_stderr != *"$secret"* && $cgi_stderr != *"$code"* ]]
	# Bob has nothing.
	[[ $(sql "SELECT count(*) FROM user_mfa WHERE user_id = 1") == 0 ]]
}

# docs/CONTRACT.md MF-3
@test "setup again a minute later replaces the pending secret and the code" {
	two_users
	mfa_setup "$ANN" StrongPass123
	assert_status 200
	local first before
	first=$(json_get .secret)
	before=$(ann_mfa)
	mail_wait ann@example.test
	age_mail ann@example.test 61
	mfa_setup "$ANN" StrongPass123
	assert_status 200
	[[ $(json_get .secret) != "$first" ]]
	local after
	after=$(ann_mfa)
	[[ ${after%%|*} != "${before%%|*}" ]] || _fail "pending secret kept: $after"
	[[ $(cut -d'|' -f2 <<<"$after") != $(cut -d'|' -f2 <<<"$before") ]] || _fail "code kept: $after"
	[[ $(cut -d'|' -f3,4 <<<"$after") == 't|0' ]]
	[[ $(sql "SELECT count(*) FROM user_mfa") == 1 ]]
	mail_wait ann@example.test 2
}

# docs/CONTRACT.md MF-2
@test "a second setup within 60 s gets 429 with Retry-After and changes nothing" {
	two_users
	mfa_setup "$ANN" StrongPass123
	assert_status 200
	local before
	before=$(ann_mfa)
	mail_wait ann@example.test
	mfa_setup "$ANN" StrongPass123
	assert_status 429
	assert_body --raw "$MAIL_LIMIT"
	assert_retry_after 1 60
	[[ $(ann_mfa) == "$before" ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox") == 1 ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_setup'") == 1 ]]
}

# docs/CONTRACT.md MF-2
@test "setup codes are capped apart from the sign-up codes: a recent code mail does not stop a setup" {
	two_users
	sql "INSERT INTO mail_outbox (kind, recipient, user_id, message, status)
	     VALUES ('otp', 'ann@example.test', 2, NULL, 'sent')" >/dev/null
	mfa_setup "$ANN" StrongPass123
	assert_status 200
}

# docs/CONTRACT.md MF-3
@test "setup with two-factor sign-in on gets 409 and changes nothing" {
	two_users
	sql "INSERT INTO user_mfa (user_id, secret_sealed, enabled_at)
	     VALUES (2, decode(repeat('ab', 48), 'hex'), now())" >/dev/null
	local before
	before=$(sql "SELECT user_mfa::text FROM user_mfa")
	mfa_setup "$ANN" StrongPass123
	assert_status 409
	assert_body --raw "$ENABLED"
	[[ $(sql "SELECT user_mfa::text FROM user_mfa") == "$before" ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox") == 0 ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_setup'") == 0 ]]
}

# docs/CONTRACT.md AS-5
@test "setup with a wrong password gets 400 Incorrect password, stores nothing and counts a failed login" {
	two_users
	mfa_setup "$ANN" WrongPass123
	assert_status 400
	assert_body --raw "$INCORRECT"
	[[ $(sql "SELECT count(*) FROM user_mfa") == 0 ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox") == 0 ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'login_failure' AND user_id = 2") == 1 ]]
}

# docs/CONTRACT.md AS-1, AS-4
@test "setup without a Bearer token gets 401, and without a password 422, storing nothing" {
	two_users
	cgi POST mfa-setup.cgi "$(jobj password StrongPass123)"
	assert_status 401
	assert_body --raw '{"detail":"Not authenticated"}'
	cgi POST mfa-setup.cgi '{}' HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 422
	[[ $(json_get '.detail[0].loc | join(".")') == body.password ]]
	[[ $(sql "SELECT count(*) FROM user_mfa") == 0 ]]
}

# docs/CONTRACT.md MF-1
@test "setup without MFA_ENCRYPTION_KEY gets 500, names the setting on stderr and stores nothing" {
	two_users
	local env
	env=$(test_env_file -MFA_ENCRYPTION_KEY)
	mfa_setup "$ANN" StrongPass123 MEDICALCARE_ENV_FILE="$env"
	assert_status 500
	assert_body --raw '{"detail":"Internal server error"}'
	[[ $cgi_stderr == *MFA_ENCRYPTION_KEY* ]] || _fail "stderr: $cgi_stderr"
	[[ $(sql "SELECT count(*) FROM user_mfa") == 0 ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox") == 0 ]]
}
