#!/usr/bin/env bats
# POST /user/mfa/recovery-codes (cgi-bin/mfa-recovery-codes.cgi): the password
# typed again and a code (TOTP or recovery) replace the recovery codes with a
# new set; the order of the checks; wrong codes counted on the second-factor
# counter (docs/CONTRACT.md MF-6, MF-12, MF-14). TOTP codes are computed here
# (totp in helpers.bash).

load helpers

setup_file() {
	mc_setup_file
	HASH_STRONG=$(printf '%s' StrongPass123 | argon2 mc-mfa-recovery-salt -id -t 2 -m 10 -p 1 -e)
	export HASH_STRONG
}


# Two verified accounts with the password StrongPass123: bob (id 1) without
# two-factor sign-in and ann (id 2) with it (MFA_SECRET, RECOVERY as mfa_on);
# ANN and BOB are tokens of theirs.
two_users() {
	sql "INSERT INTO users (email, full_name, password_hash, is_verified)
	     VALUES ('bob@example.test', 'Bob Other', :'h', true),
	            ('ann@example.test', 'Ann Example', :'h', true)" h="$HASH_STRONG" >/dev/null
	mfa_on 2 ann@example.test StrongPass123
	ANN=$(user_token 2 ann@example.test)
	BOB=$(user_token 1 bob@example.test)
}

# renew TOKEN BODY
renew() {
	cgi POST mfa-recovery-codes.cgi "$2" HTTP_AUTHORIZATION="Bearer $1"
}

# ann_codes prints the digests of ann's recovery codes, used or not, in order.
ann_codes() {
	sql "SELECT string_agg(encode(code_hash, 'hex') || ':' || (used_at IS NOT NULL), ',' ORDER BY code_hash)
	     FROM mfa_recovery_codes WHERE user_id = 2"
}

# docs/CONTRACT.md MF-12, MF-14
@test "recovery-codes with the password and a right TOTP code answers 10 new codes, kills the old ones and mails the owner" {
	two_users
	local before
	before=$(ann_codes)
	renew "$ANN" "$(jobj password StrongPass123 code "$(totp "$MFA_SECRET")")"
	assert_status 200
	assert_std_headers
	[[ $(jq -c 'keys' <<<"$cgi_body") == '["recovery_codes"]' ]]
	[[ $(jq -r '.recovery_codes | unique | length' <<<"$cgi_body") == 10 ]]
	[[ $(jq -r '.recovery_codes[] | select(test("^[a-z2-7]{5}-[a-z2-7]{5}$") | not)' <<<"$cgi_body") == "" ]]
	local fresh c
	fresh=$(jq -r '.recovery_codes[]' <<<"$cgi_body")
	# Ten new rows, none of the old ones; the code's step is recorded.
	[[ $(sql "SELECT count(*), count(*) FILTER (WHERE used_at IS NULL) FROM mfa_recovery_codes WHERE user_id = 2") == '10|10' ]]
	[[ $(sql "SELECT count(*) FROM mfa_recovery_codes WHERE encode(code_hash, 'hex') = ANY (string_to_array(:'b', ','))" \
	    b="$(sed 's/:[a-z]*//g' <<<"$before")") == 0 ]]
	[[ $(sql "SELECT abs(last_step - floor(extract(epoch FROM now()) / 30)) <= 1 FROM user_mfa WHERE user_id = 2") == t ]]
	for c in $fresh; do
		[[ $cgi_stderr != *"$c"* ]]
	done
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_recovery_codes' AND user_id = 2 AND detail IS NULL") == 1 ]]
	mail_wait ann@example.test 3
	[[ $(mail_header ann@example.test Subject) == 'New recovery codes for your MedicalCare account' ]]
	[[ $(mail_text ann@example.test) == *"the earlier codes no longer work"* ]]
	[[ $(mail_text ann@example.test) != *"recovery codes was used"* ]]
	[[ $(sql "SELECT string_agg(kind, ',' ORDER BY id) FROM mail_outbox") == 'mfa_setup,mfa_enabled,mfa_recovery_codes' ]]
	# An old code no longer signs in; a new one does.
	cgi POST login.cgi "$(jobj email ann@example.test password StrongPass123)"
	local mt
	mt=$(json_get .mfa_token)
	cgi POST mfa-verify.cgi "$(jobj mfa_token "$mt" code "$(head -n 1 <<<"$RECOVERY")")"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	cgi POST mfa-verify.cgi "$(jobj mfa_token "$mt" code "$(head -n 1 <<<"$fresh")")"
	assert_status 200
}

# docs/CONTRACT.md MF-12, MF-14, MF-10
@test "a recovery code in place of the TOTP code makes a new set once; its use is recorded and the new set's notice, the one mail, says so" {
	two_users
	local rc
	rc=$(sed -n 3p <<<"$RECOVERY")
	renew "$ANN" "$(jobj password StrongPass123 code "${rc^^}")"
	assert_status 200
	[[ $(jq -r '.recovery_codes | length' <<<"$cgi_body") == 10 ]]
	[[ $(sql "SELECT count(*) FILTER (WHERE used_at IS NULL), count(*) FROM mfa_recovery_codes WHERE user_id = 2") == '10|10' ]]
	[[ $(sql "SELECT detail FROM audit_events WHERE event = 'mfa_recovery_used' AND user_id = 2") == mfa_recovery_codes ]]
	[[ $(sql "SELECT detail FROM audit_events WHERE event = 'mfa_recovery_codes' AND user_id = 2") == 'recovery code' ]]
	[[ $(sql "SELECT last_step FROM user_mfa WHERE user_id = 2") == -1 ]]
	mail_wait ann@example.test 3
	[[ $(sql "SELECT string_agg(kind, ',' ORDER BY id) FROM mail_outbox") == 'mfa_setup,mfa_enabled,mfa_recovery_codes' ]]
	[[ $(mail_text ann@example.test) == *"One of your recovery codes was used to confirm this. Recovery codes left: 10."* ]]
	# The code was of the old set: it is gone with it.
	renew "$ANN" "$(jobj password StrongPass123 code "$rc")"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
}

# docs/CONTRACT.md MF-14
@test "with two-factor sign-in off recovery-codes gets 400 not enabled before the password is looked at" {
	insert_verified bob@example.test "Bob Other"
	BOB=$(user_token 1 bob@example.test)
	renew "$BOB" "$(jobj password wrong code 123456)"
	assert_status 400
	assert_body --raw "$NOT_ENABLED"
	renew "$BOB" "$(jobj password StrongPass123 code 123456)"
	assert_status 400
	assert_body --raw "$NOT_ENABLED"
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE user_id = 1") == 0 ]]
	[[ $(sql "SELECT count(*) FROM mfa_recovery_codes WHERE user_id = 1") == 0 ]]
}

# docs/CONTRACT.md MF-14, MF-6
@test "a missing, wrong or non-string code gets 400 Invalid code, counted on the second-factor counter, and keeps the codes" {
	two_users
	local before
	before=$(ann_codes)
	renew "$ANN" "$(jobj password StrongPass123 code "$(other_code "$(totp "$MFA_SECRET")")")"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	renew "$ANN" "$(jobj password StrongPass123)"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	renew "$ANN" '{"password":"StrongPass123","code":123456}'
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	renew "$ANN" "$(jobj password StrongPass123 code aaaaa-bbbbb)"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	[[ $(sql "SELECT failures FROM user_mfa WHERE user_id = 2") == 4 ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_failure' AND detail = 'code'") == 4 ]]
	[[ $(ann_codes) == "$before" ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_recovery_codes'") == 0 ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox") == 2 ]]
}

# docs/CONTRACT.md MF-14, MF-6
@test "the 10th wrong code locks and mails the owner; then 429 comes before the password, the right code too" {
	two_users
	sql "UPDATE user_mfa SET failures = 9 WHERE user_id = 2" >/dev/null
	renew "$ANN" "$(jobj password StrongPass123 code "$(other_code "$(totp "$MFA_SECRET")")")"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	[[ $(sql "SELECT failures, locks, locked_until > now() + interval '14 minutes' FROM user_mfa WHERE user_id = 2") == '0|1|t' ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox WHERE kind = 'mfa_locked'") == 1 ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_lockout'") == 1 ]]
	renew "$ANN" "$(jobj password StrongPass123 code "$(totp "$MFA_SECRET")")"
	assert_status 429
	assert_body --raw "$CODE_LIMIT"
	assert_retry_after 800 900
	renew "$ANN" "$(jobj password wrong code "$(totp "$MFA_SECRET")")"
	assert_status 429
	assert_body --raw "$CODE_LIMIT"
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
	[[ $(sql "SELECT last_step FROM user_mfa WHERE user_id = 2") == -1 ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_recovery_codes'") == 0 ]]
}

# docs/CONTRACT.md MF-14, AS-5
@test "a wrong password gets 400 Incorrect password, counted as a failed login, and the code is not looked at" {
	two_users
	renew "$ANN" "$(jobj password WrongPass123 code "$(totp "$MFA_SECRET")")"
	assert_status 400
	assert_body --raw "$INCORRECT"
	[[ $(sql "SELECT failures FROM login_failures WHERE email = 'ann@example.test'") == 1 ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'login_failure' AND detail = 're-authentication'") == 1 ]]
	[[ $(sql "SELECT failures, last_step FROM user_mfa WHERE user_id = 2") == '0|-1' ]]
}

# docs/CONTRACT.md MF-12, AS-4
@test "recovery-codes without a password, or one that is not a string, gets 422 and counts nothing" {
	two_users
	renew "$ANN" "$(jobj code "$(totp "$MFA_SECRET")")"
	assert_status 422
	assert_body --raw '{"detail":[{"loc":["body","password"],"msg":"Field required","type":"missing"}]}'
	renew "$ANN" "{\"password\":1,\"code\":\"$(totp "$MFA_SECRET")\"}"
	assert_status 422
	[[ $(sql "SELECT failures, last_step FROM user_mfa WHERE user_id = 2") == '0|-1' ]]
}
