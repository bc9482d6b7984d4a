#!/usr/bin/env bats
# POST /user/mfa/enable (cgi-bin/mfa-enable.cgi): a code of the authenticator
# and the code setup mailed turn two-factor sign-in on; the second-factor
# counter and its lock; recovery codes; other sessions ended
# (docs/CONTRACT.md AS-1, MF-4 to MF-7). TOTP codes are computed here (totp).

load helpers

setup_file() {
	mc_setup_file
	HASH_STRONG=$(printf '%s' StrongPass123 | argon2 mc-mfa-enable-salt -id -t 2 -m 10 -p 1 -e)
	export HASH_STRONG
}

ENABLED='{"detail":"Two-factor sign-in is already enabled"}'

# Two verified accounts with the password StrongPass123: bob (id 1) and ann
# (id 2); ANN is a token of ann's, in a session of its own.
two_users() {
	sql "INSERT INTO users (email, full_name, password_hash, is_verified)
	     VALUES ('bob@example.test', 'Bob Other', :'h', true),
	            ('ann@example.test', 'Ann Example', :'h', true)" h="$HASH_STRONG" >/dev/null
	ANN=$(user_token 2 ann@example.test)
}

# set_up: ann's setup; SECRET is the secret it showed, EMAIL_CODE the code it mailed.
set_up() {
	mfa_setup "$ANN" StrongPass123
	assert_status 200
	SECRET=$(json_get .secret)
	mail_wait ann@example.test
	EMAIL_CODE=$(mail_otp ann@example.test)
}

# enable CODE EMAIL_CODE [TOKEN]
enable() {
	cgi POST mfa-enable.cgi "$(jobj code "$1" email_code "$2")" HTTP_AUTHORIZATION="Bearer ${3:-$ANN}"
}

# ann_state prints ann's enabled (t/f), failures, locks, and pending tries.
ann_state() {
	sql "SELECT enabled_at IS NOT NULL, failures, locks, pending_attempts FROM user_mfa WHERE user_id = 2"
}

# docs/CONTRACT.md MF-6, MF-7
@test "enable with a right code and the emailed code turns two-factor sign-in on and answers 10 recovery codes" {
	two_users
	set_up
	local pending
	pending=$(sql "SELECT encode(pending_sealed, 'hex') FROM user_mfa WHERE user_id = 2")
	sql "UPDATE user_mfa SET failures = 3 WHERE user_id = 2" >/dev/null
	enable "$(totp "$SECRET")" "$EMAIL_CODE"
	assert_status 200
	assert_std_headers
	[[ $(jq -r '.recovery_codes | length' <<<"$cgi_body") == 10 ]]
	[[ $(jq -r '.recovery_codes | unique | length' <<<"$cgi_body") == 10 ]]
	[[ $(jq -r '.recovery_codes[] | select(test("^[a-z2-7]{5}-[a-z2-7]{5}$") | not)' <<<"$cgi_body") == "" ]]
	[[ $(jq -c 'keys' <<<"$cgi_body") == '["recovery_codes"]' ]]
	# The pending secret is the secret; the counter is cleared; the step is recorded.
	[[ $(sql "SELECT encode(secret_sealed, 'hex') = :'p', pending_sealed IS NULL, pending_code_hash IS NULL,
	                 failures, locks, abs(last_step - floor(extract(epoch FROM now()) / 30)) <= 1
	            FROM user_mfa WHERE user_id = 2" p="$pending") == 't|t|t|0|0|t' ]]
	# The recovery codes are stored as 10 keyed hashes, none a plain digest of a code.
	[[ $(sql "SELECT count(*), count(*) FILTER (WHERE length(code_hash) = 32) FROM mfa_recovery_codes WHERE user_id = 2") == '10|10' ]]
	local c
	for c in $(jq -r '.recovery_codes[]' <<<"$cgi_body"); do
		[[ $(sql "SELECT count(*) FROM mfa_recovery_codes
		           WHERE code_hash IN (sha256(convert_to(:'c', 'UTF8')), sha256(convert_to(replace(:'c', '-', ''), 'UTF8')))" c="$c") == 0 ]]
		[[ $cgi_stderr != *"$c"* ]]
	done
	mail_wait ann@example.test 2
	[[ $(mail_header ann@example.test Subject) == 'Two-factor sign-in is on for your MedicalCare account' ]]
	[[ $(sql "SELECT string_agg(kind, ',' ORDER BY id) FROM mail_outbox") == 'mfa_setup,mfa_enabled' ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_enabled' AND user_id = 2") == 1 ]]
	# On now: enable again gives 409.
	enable "$(totp "$SECRET")" "$EMAIL_CODE"
	assert_status 409
	assert_body --raw "$ENABLED"
}

# docs/CONTRACT.md MF-7
@test "enable ends every other session of the account and keeps the caller's and other accounts'" {
	two_users
	local other_ann bob
	other_ann=$(user_token 2 ann@example.test)
	bob=$(user_token 1 bob@example.test)
	set_up
	enable "$(totp "$SECRET")" "$EMAIL_CODE"
	assert_status 200
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $other_ann"
	assert_status 401
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 200
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $bob"
	assert_status 200
	[[ $(sql "SELECT count(*) FILTER (WHERE revoked_at IS NULL), count(*) FROM sessions WHERE user_id = 2") == '1|2' ]]
}

# docs/CONTRACT.md MF-4, MF-5
@test "a wrong emailed code gets 400 Invalid code and spends one of its 5 tries only; after the 5th the right one fails too" {
	two_users
	set_up
	local i
	for i in 1 2 3 4 5; do
		enable "$(totp "$SECRET")" "$(other_code "$EMAIL_CODE")"
		assert_status 400
		assert_body --raw "$INVALID_CODE"
	done
	[[ $(ann_state) == 'f|0|0|5' ]]
	enable "$(totp "$SECRET")" "$EMAIL_CODE"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	[[ $(ann_state) == 'f|0|0|5' ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_failure' AND detail = 'email code'") == 6 ]]
	[[ $(sql "SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL") == 0 ]]
}

# docs/CONTRACT.md MF-4, MF-6
@test "a wrong code, or one that is not six digits, gets 400 Invalid code and counts on the second-factor counter" {
	two_users
	set_up
	enable "$(other_code "$(totp "$SECRET")")" "$EMAIL_CODE"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	enable "12345x" "$EMAIL_CODE"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	[[ $(ann_state) == 'f|2|0|0' ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_failure' AND detail = 'code'") == 2 ]]
	[[ $(sql "SELECT count(*) FROM mfa_recovery_codes") == 0 ]]
}

# docs/CONTRACT.md MF-6
@test "the 10th wrong code still gets 400, then 429 before any check for 15 minutes, the owner mailed once; the next lock is twice as long" {
	two_users
	set_up
	sql "UPDATE user_mfa SET failures = 9 WHERE user_id = 2" >/dev/null
	enable "$(other_code "$(totp "$SECRET")")" "$EMAIL_CODE"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	[[ $(ann_state) == 'f|0|1|0' ]]
	enable "$(totp "$SECRET")" "$EMAIL_CODE"
	assert_status 429
	assert_body --raw "$CODE_LIMIT"
	assert_retry_after 890 900
	enable "$(totp "$SECRET")" "$(other_code "$EMAIL_CODE")"
	assert_status 429
	[[ $(ann_state) == 'f|0|1|0' ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox WHERE kind = 'mfa_locked'") == 1 ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_lockout' AND user_id = 2") == 1 ]]
	# The lock over, 10 more wrong codes lock for 30 minutes.
	sql "UPDATE user_mfa SET locked_until = now() - interval '1 second', failures = 9 WHERE user_id = 2" >/dev/null
	enable "$(other_code "$(totp "$SECRET")")" "$EMAIL_CODE"
	assert_status 400
	[[ $(sql "SELECT locks, locked_until - now() BETWEEN interval '29 minutes' AND interval '30 minutes'
	            FROM user_mfa WHERE user_id = 2") == '2|t' ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox WHERE kind = 'mfa_locked'") == 2 ]]
	# Never longer than 24 hours.
	sql "UPDATE user_mfa SET locked_until = NULL, failures = 9, locks = 12 WHERE user_id = 2" >/dev/null
	enable "$(other_code "$(totp "$SECRET")")" "$EMAIL_CODE"
	assert_status 400
	[[ $(sql "SELECT locked_until - now() BETWEEN interval '23 hours 59 minutes' AND interval '24 hours'
	            FROM user_mfa WHERE user_id = 2") == t ]]
}

# docs/CONTRACT.md MF-6
@test "a code of a step not later than the last accepted one is refused: a code never works twice" {
	two_users
	set_up
	sql "UPDATE user_mfa SET last_step = floor(extract(epoch FROM now()) / 30)::bigint + 1 WHERE user_id = 2" >/dev/null
	enable "$(totp "$SECRET")" "$EMAIL_CODE"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	[[ $(ann_state) == 'f|1|0|0' ]]
}

# docs/CONTRACT.md MF-4
@test "enable without a setup gets 400 Invalid code and stores nothing" {
	two_users
	enable 123456 654321
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	[[ $(sql "SELECT count(*) FROM user_mfa") == 0 ]]
}

# docs/CONTRACT.md AS-1, MF-4
@test "enable without a Bearer token gets 401, and without a field or with a number 422" {
	two_users
	cgi POST mfa-enable.cgi "$(jobj code 123456 email_code 123456)"
	assert_status 401
	assert_body --raw '{"detail":"Not authenticated"}'
	cgi POST mfa-enable.cgi '{"code":"123456"}' HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 422
	[[ $(json_get '[.detail[].loc | join(".")] | join(",")') == body.email_code ]]
	cgi POST mfa-enable.cgi '{"code":123456,"email_code":"123456"}' HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 422
	[[ $(json_get '[.detail[].loc | join(".")] | join(",")') == body.code ]]
}
