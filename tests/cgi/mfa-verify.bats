#!/usr/bin/env bats
# POST /auth/mfa/verify (cgi-bin/mfa-verify.cgi): the second step of a sign-in
# with two-factor sign-in on: the mfa_token login answered and a TOTP or
# recovery code make a session (docs/CONTRACT.md MF-8 to MF-11). TOTP codes
# are computed here (totp in helpers.bash).

load helpers

setup_file() {
	mc_setup_file
	HASH_STRONG=$(printf '%s' StrongPass123 | argon2 mc-mfa-verify-salt -id -t 2 -m 10 -p 1 -e)
	export HASH_STRONG
}

LOGIN_LIMIT='{"detail":"Too many failed login attempts. Please try again later."}'

# ann (id 2, verified, password StrongPass123) with two-factor sign-in on;
# bob (id 1) without. MFA_SECRET and RECOVERY as mfa_on.
ann_mfa() {
	sql "INSERT INTO users (email, full_name, password_hash, is_verified)
	     VALUES ('bob@example.test', 'Bob Other', :'h', true),
	            ('ann@example.test', 'Ann Example', :'h', true)" h="$HASH_STRONG" >/dev/null
	mfa_on 2 ann@example.test StrongPass123
}

# login_mfa: ann's login with the right password; MFA_TOKEN is the mfa_token it answered.
login_mfa() {
	cgi POST login.cgi "$(jobj email ann@example.test password StrongPass123)"
	assert_status 200
	MFA_TOKEN=$(json_get .mfa_token)
}

# verify TOKEN CODE
verify() {
	cgi POST mfa-verify.cgi "$(jobj mfa_token "$1" code "$2")"
}

# ann_live_sessions: ann's sessions not ended.
ann_live_sessions() {
	sql "SELECT count(*) FROM sessions WHERE user_id = 2 AND revoked_at IS NULL"
}

# docs/CONTRACT.md MF-10, MF-11, SE-1, SE-2
@test "verify with the login's mfa_token and a right TOTP code answers the token answer of a new session and uses the token up" {
	ann_mfa
	sql "UPDATE user_mfa SET failures = 4 WHERE user_id = 2" >/dev/null
	local before
	before=$(ann_live_sessions)
	login_mfa
	verify "$MFA_TOKEN" "$(totp "$MFA_SECRET")"
	assert_status 200
	assert_std_headers
	[[ $(jq -c 'keys' <<<"$cgi_body") == '["access_token","expires_in","refresh_token","token_type"]' ]]
	assert_jq '.token_type == "bearer" and .expires_in == 3600'
	local tok rt
	tok=$(json_get .access_token)
	rt=$(json_get .refresh_token)
	[[ $(ann_live_sessions) == $((before + 1)) ]]
	[[ $(sql "SELECT count(*) FROM refresh_tokens WHERE user_id = 2
	          AND token_hash = sha256(convert_to(:'t', 'UTF8'))" t="$rt") == 1 ]]
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $tok"
	assert_status 200
	assert_jq '.email == "ann@example.test"'
	# The token is gone, the step recorded, the counter cleared, the event written.
	[[ $(sql "SELECT count(*) FROM mfa_tokens") == 0 ]]
	[[ $(sql "SELECT failures, abs(last_step - floor(extract(epoch FROM now()) / 30)) <= 1
	          FROM user_mfa WHERE user_id = 2") == '0|t' ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_verified' AND user_id = 2") == 1 ]]
	[[ $cgi_stderr != *"$MFA_TOKEN"* ]]
	# Used once: the same token again is 401.
	verify "$MFA_TOKEN" "$(totp "$MFA_SECRET")"
	assert_status 401
	assert_body --raw "$BAD_MFA_TOKEN"
}

# docs/CONTRACT.md MF-9
@test "an unknown, malformed or expired mfa_token gets 401 Invalid or expired MFA token and counts nothing" {
	ann_mfa
	login_mfa
	verify "$(printf 'A%.0s' {1..43})" "$(totp "$MFA_SECRET")"
	assert_status 401
	assert_body --raw "$BAD_MFA_TOKEN"
	verify short "$(totp "$MFA_SECRET")"
	assert_status 401
	assert_body --raw "$BAD_MFA_TOKEN"
	sql "UPDATE mfa_tokens SET expires_at = now() - interval '1 second'" >/dev/null
	verify "$MFA_TOKEN" "$(totp "$MFA_SECRET")"
	assert_status 401
	assert_body --raw "$BAD_MFA_TOKEN"
	[[ $(sql "SELECT attempts FROM mfa_tokens") == 0 ]]
	[[ $(sql "SELECT failures, last_step FROM user_mfa WHERE user_id = 2") == '0|-1' ]]
	[[ $(sql "SELECT count(*) FROM sessions WHERE user_id = 2") == 1 ]]
}

# docs/CONTRACT.md MF-9, MF-10, MF-6
@test "a wrong code gets 400 Invalid code, spends one of the token's 5 tries and counts on the second-factor counter; after 5 the right code gets 401" {
	ann_mfa
	login_mfa
	local i
	for i in 1 2 3 4 5; do
		verify "$MFA_TOKEN" "$(other_code "$(totp "$MFA_SECRET")")"
		assert_status 400
		assert_body --raw "$INVALID_CODE"
	done
	[[ $(sql "SELECT attempts FROM mfa_tokens") == 5 ]]
	[[ $(sql "SELECT failures FROM user_mfa WHERE user_id = 2") == 5 ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_failure' AND detail = 'code'") == 5 ]]
	verify "$MFA_TOKEN" "$(totp "$MFA_SECRET")"
	assert_status 401
	assert_body --raw "$BAD_MFA_TOKEN"
	[[ $(sql "SELECT count(*) FROM sessions WHERE user_id = 2") == 1 ]]
}

# verify_step TOKEN STEPS: verify with the code of the 30 s step of now plus
# STEPS, computed and sent at least 3 s before the step ends (so that the
# program's now is the same step).
verify_step() {
	local s
	s=$(($(date +%s) % 30))
	if ((s >= 27)); then
		sleep $((30 - s))
	fi
	verify "$1" "$(totp "$MFA_SECRET" "$2")"
}

# docs/CONTRACT.md MF-10
@test "a code of the step before or after now is accepted, one two steps away is not" {
	ann_mfa
	login_mfa
	verify_step "$MFA_TOKEN" -2
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	verify_step "$MFA_TOKEN" 2
	assert_status 400
	verify_step "$MFA_TOKEN" -1
	assert_status 200
	login_mfa
	verify_step "$MFA_TOKEN" 1
	assert_status 200
	# The two wrong codes were counted; a right one set the counter back to 0.
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_failure' AND user_id = 2") == 2 ]]
	[[ $(sql "SELECT failures FROM user_mfa WHERE user_id = 2") == 0 ]]
}

# docs/CONTRACT.md MF-10, MF-6
@test "a code accepted once gets 400 with the next login's token: its step is not later than the last accepted one" {
	ann_mfa
	local code
	code=$(totp "$MFA_SECRET")
	login_mfa
	verify "$MFA_TOKEN" "$code"
	assert_status 200
	login_mfa
	verify "$MFA_TOKEN" "$code"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	[[ $(sql "SELECT failures FROM user_mfa WHERE user_id = 2") == 1 ]]
}

# docs/CONTRACT.md MF-10
@test "two verifications with one code at once, each with a token of its own: exactly one gets 200, the other 400" {
	ann_mfa
	local t1 t2 code d=$BATS_TEST_TMPDIR/race i
	login_mfa
	t1=$MFA_TOKEN
	login_mfa
	t2=$MFA_TOKEN
	code=$(totp "$MFA_SECRET")
	local -a pids=()
	for i in 1 2; do
		mkdir -p "$d/$i"
		(
			BATS_TEST_TMPDIR=$d/$i
			tok=$t1
			[[ $i == 2 ]] && tok=$t2
			while [[ ! -e $d/go ]]; do sleep 0.01; done
			verify "$tok" "$code" || exit 1
			printf '%s\n' "$cgi_status" >"$d/$i/status"
		) &
		pids+=($!)
	done
	touch "$d/go"
	for i in "${pids[@]}"; do
		wait "$i"
	done
	[[ $(cat "$d"/*/status | sort | paste -s -d ' ') == '200 400' ]] || _fail "statuses: $(cat "$d"/*/status)"
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_verified'") == 1 ]]
	[[ $(sql "SELECT count(*) FROM mfa_tokens") == 1 ]]
}

# docs/CONTRACT.md MF-10, MF-11
@test "a recovery code signs in once, typed in any case with spaces, and mails how many are left; used again it gets 400" {
	ann_mfa
	local rc typed
	rc=$(head -n 1 <<<"$RECOVERY")
	typed="${rc^^}"
	typed="${typed/-/ }"
	login_mfa
	verify "$MFA_TOKEN" "$typed"
	assert_status 200
	assert_jq '.token_type == "bearer"'
	[[ $(sql "SELECT count(*) FILTER (WHERE used_at IS NOT NULL), count(*) FROM mfa_recovery_codes WHERE user_id = 2") == '1|10' ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_recovery_used' AND user_id = 2") == 1 ]]
	[[ $(sql "SELECT detail FROM audit_events WHERE event = 'mfa_verified'") == 'recovery code' ]]
	[[ $(sql "SELECT last_step FROM user_mfa WHERE user_id = 2") == -1 ]]
	mail_wait ann@example.test 3
	[[ $(mail_header ann@example.test Subject) == 'A recovery code was used for your MedicalCare account' ]]
	[[ $(mail_text ann@example.test) == *"Recovery codes left: 9."* ]]
	[[ $cgi_stderr != *"$rc"* ]]
	login_mfa
	verify "$MFA_TOKEN" "$rc"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	[[ $(sql "SELECT failures FROM user_mfa WHERE user_id = 2") == 1 ]]
}

# docs/CONTRACT.md MF-9, MF-6
@test "while the second-factor lock holds verify gets 429 before any check and spends no try" {
	ann_mfa
	login_mfa
	sql "UPDATE user_mfa SET locked_until = now() + interval '10 minutes', locks = 1 WHERE user_id = 2" >/dev/null
	verify "$MFA_TOKEN" "$(totp "$MFA_SECRET")"
	assert_status 429
	assert_body --raw "$CODE_LIMIT"
	assert_retry_after 500 600
	[[ $(sql "SELECT attempts FROM mfa_tokens") == 0 ]]
	[[ $(sql "SELECT count(*) FROM sessions WHERE user_id = 2") == 1 ]]
}

# docs/CONTRACT.md MF-9, LI-2
@test "while the login lock holds for the client verify gets 429 and spends no try" {
	ann_mfa
	login_mfa
	sql "INSERT INTO login_failures (email, client, failures, window_start, locked_until)
	     VALUES ('ann@example.test', '127.0.0.1', 5, now(), now() + interval '900 seconds')" >/dev/null
	verify "$MFA_TOKEN" "$(totp "$MFA_SECRET")"
	assert_status 429
	assert_body --raw "$LOGIN_LIMIT"
	[[ $(sql "SELECT attempts FROM mfa_tokens") == 0 ]]
}

# docs/CONTRACT.md MF-9
@test "verify with a missing field or one of another type gets 422 and counts nothing" {
	ann_mfa
	login_mfa
	cgi POST mfa-verify.cgi "$(jobj mfa_token "$MFA_TOKEN")"
	assert_status 422
	cgi POST mfa-verify.cgi "{\"mfa_token\":\"$MFA_TOKEN\",\"code\":123456}"
	assert_status 422
	[[ $(sql "SELECT attempts FROM mfa_tokens") == 0 ]]
}
