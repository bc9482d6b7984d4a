#!/usr/bin/env bats
# POST /user/mfa/disable (cgi-bin/mfa-disable.cgi): the password typed again
# and a code (TOTP or recovery) turn two-factor sign-in off: the secret, the
# recovery codes and the pending mfa_tokens go, login answers tokens again;
# the order of the checks; wrong codes counted (docs/CONTRACT.md MF-6,
# MF-13, MF-14). TOTP codes are computed here (totp in helpers.bash).

load helpers

setup_file() {
	mc_setup_file
	HASH_STRONG=$(printf '%s' StrongPass123 | argon2 mc-mfa-disable-salt -id -t 2 -m 10 -p 1 -e)
	export HASH_STRONG
}


# Two verified accounts with the password StrongPass123: bob (id 1) and ann
# (id 2) with two-factor sign-in on (MFA_SECRET and RECOVERY as mfa_on); ANN
# is a token of ann's.
two_users() {
	sql "INSERT INTO users (email, full_name, password_hash, is_verified)
	     VALUES ('bob@example.test', 'Bob Other', :'h', true),
	            ('ann@example.test', 'Ann Example', :'h', true)" h="$HASH_STRONG" >/dev/null
	mfa_on 2 ann@example.test StrongPass123
	ANN=$(user_token 2 ann@example.test)
}

# disable TOKEN BODY
disable() {
	cgi POST mfa-disable.cgi "$2" HTTP_AUTHORIZATION="Bearer $1"
}

# login_ann: ann's login with the right password.
login_ann() {
	cgi POST login.cgi "$(jobj email ann@example.test password StrongPass123)"
	assert_status 200
}

# ann_mfa prints ann's enabled (t/f), secret stored (t/f), recovery codes and mfa_tokens.
ann_mfa() {
	sql "SELECT (SELECT enabled_at IS NOT NULL FROM user_mfa WHERE user_id = 2),
	            (SELECT secret_sealed IS NOT NULL FROM user_mfa WHERE user_id = 2),
	            (SELECT count(*) FROM mfa_recovery_codes WHERE user_id = 2),
	            (SELECT count(*) FROM mfa_tokens WHERE user_id = 2)"
}

# docs/CONTRACT.md MF-13, MF-14, LI-1
@test "disable with the password and a right TOTP code turns two-factor sign-in off, deletes what it had and mails the owner; login answers tokens again" {
	two_users
	local mt
	# bob's second factor, as rows: the disable of ann's must not touch them.
	sql "INSERT INTO user_mfa (user_id, secret_sealed, enabled_at) VALUES (1, decode(repeat('ab', 48), 'hex'), now());
	     INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES (1, sha256('r1'));
	     INSERT INTO mfa_tokens (user_id, token_hash, expires_at) VALUES (1, sha256('m'), now() + interval '5 minutes')" >/dev/null
	login_ann
	mt=$(json_get .mfa_token)
	[[ $(ann_mfa) == 't|t|10|1' ]]
	disable "$ANN" "$(jobj password StrongPass123 code "$(totp "$MFA_SECRET")")"
	assert_status 200
	assert_std_headers
	assert_body --raw '{"message":"Two-factor sign-in disabled"}'
	# The secret, the codes and the waiting sign-in are gone; the step accepted stays.
	[[ $(ann_mfa) == 'f|f|0|0' ]]
	[[ $(sql "SELECT pending_sealed IS NULL, failures, locks,
	                 abs(last_step - floor(extract(epoch FROM now()) / 30)) <= 1
	            FROM user_mfa WHERE user_id = 2") == 't|0|0|t' ]]
	# bob's second factor is untouched.
	[[ $(sql "SELECT enabled_at IS NOT NULL FROM user_mfa WHERE user_id = 1") == t ]]
	[[ $(sql "SELECT count(*) FROM mfa_recovery_codes WHERE user_id = 1") == 1 ]]
	[[ $(sql "SELECT count(*) FROM mfa_tokens WHERE user_id = 1") == 1 ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_disabled' AND user_id = 2 AND detail IS NULL") == 1 ]]
	mail_wait ann@example.test 3
	[[ $(mail_header ann@example.test Subject) == 'Two-factor sign-in is off for your MedicalCare account' ]]
	[[ $(mail_text ann@example.test) == *"your recovery codes no longer work"* ]]
	[[ $(sql "SELECT string_agg(kind, ',' ORDER BY id) FROM mail_outbox WHERE recipient = 'ann@example.test'") == 'mfa_setup,mfa_enabled,mfa_disabled' ]]
	# The mfa_token of before is dead; login answers the token answer.
	cgi POST mfa-verify.cgi "$(jobj mfa_token "$mt" code "$(totp "$MFA_SECRET" 1)")"
	assert_status 401
	assert_body --raw "$BAD_MFA_TOKEN"
	login_ann
	[[ $(jq -c 'keys' <<<"$cgi_body") == '["access_token","expires_in","refresh_token","token_type"]' ]]
	# Off now: a second disable is 400.
	disable "$ANN" "$(jobj password StrongPass123 code "$(totp "$MFA_SECRET" 1)")"
	assert_status 400
	assert_body --raw "$NOT_ENABLED"
}

# docs/CONTRACT.md MF-13, MF-14, MF-10
@test "a recovery code disables two-factor sign-in too; its use is recorded and the disable notice, the one mail, says so" {
	two_users
	disable "$ANN" "$(jobj password StrongPass123 code "$(sed -n 5p <<<"$RECOVERY")")"
	assert_status 200
	assert_body --raw '{"message":"Two-factor sign-in disabled"}'
	[[ $(ann_mfa) == 'f|f|0|0' ]]
	[[ $(sql "SELECT detail FROM audit_events WHERE event = 'mfa_recovery_used' AND user_id = 2") == mfa_disabled ]]
	[[ $(sql "SELECT detail FROM audit_events WHERE event = 'mfa_disabled' AND user_id = 2") == 'recovery code' ]]
	mail_wait ann@example.test 3
	[[ $(sql "SELECT string_agg(kind, ',' ORDER BY id) FROM mail_outbox WHERE recipient = 'ann@example.test'") == 'mfa_setup,mfa_enabled,mfa_disabled' ]]
	[[ $(mail_text ann@example.test) == *"One of your recovery codes was used to confirm this. Recovery codes left: 0."* ]]
}

# docs/CONTRACT.md MF-14
@test "disable of an account that never set up two-factor sign-in gets 400 not enabled before the password is looked at" {
	add_user cal@example.test "Cal Third" StrongPass123 t >/dev/null
	local tok
	tok=$(user_token 1 cal@example.test)
	disable "$tok" "$(jobj password wrong code 123456)"
	assert_status 400
	assert_body --raw "$NOT_ENABLED"
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
	[[ $(sql "SELECT count(*) FROM user_mfa") == 0 ]]
}

# docs/CONTRACT.md MF-14, MF-6
@test "a missing or wrong code gets 400 Invalid code, counted, and two-factor sign-in stays on" {
	two_users
	disable "$ANN" "$(jobj password StrongPass123)"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	disable "$ANN" "$(jobj password StrongPass123 code "$(other_code "$(totp "$MFA_SECRET")")")"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	[[ $(sql "SELECT failures FROM user_mfa WHERE user_id = 2") == 2 ]]
	[[ $(ann_mfa) == 't|t|10|0' ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_disabled'") == 0 ]]
}

# docs/CONTRACT.md MF-14, MF-6
@test "while the second-factor lock holds disable gets 429 before the password is checked and stays on" {
	two_users
	sql "UPDATE user_mfa SET locked_until = now() + interval '10 minutes', locks = 1 WHERE user_id = 2" >/dev/null
	disable "$ANN" "$(jobj password WrongPass123 code "$(totp "$MFA_SECRET")")"
	assert_status 429
	assert_body --raw "$CODE_LIMIT"
	assert_retry_after 500 600
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
	disable "$ANN" "$(jobj password StrongPass123 code "$(totp "$MFA_SECRET")")"
	assert_status 429
	[[ $(ann_mfa) == 't|t|10|0' ]]
	[[ $(sql "SELECT last_step FROM user_mfa WHERE user_id = 2") == -1 ]]
}

# docs/CONTRACT.md MF-14, AS-5
@test "a wrong password gets 400 Incorrect password, counted as a failed login, and two-factor sign-in stays on" {
	two_users
	disable "$ANN" "$(jobj password WrongPass123 code "$(totp "$MFA_SECRET")")"
	assert_status 400
	assert_body --raw "$INCORRECT"
	[[ $(sql "SELECT failures FROM login_failures WHERE email = 'ann@example.test'") == 1 ]]
	[[ $(sql "SELECT failures, last_step FROM user_mfa WHERE user_id = 2") == '0|-1' ]]
	[[ $(ann_mfa) == 't|t|10|0' ]]
}

# docs/CONTRACT.md MF-13, AS-4
@test "disable without a password gets 422 and changes nothing" {
	two_users
	disable "$ANN" "$(jobj code "$(totp "$MFA_SECRET")")"
	assert_status 422
	assert_body --raw "$(err422 "$(ferr password 'Field required' missing)")"
	[[ $(ann_mfa) == 't|t|10|0' ]]
}
