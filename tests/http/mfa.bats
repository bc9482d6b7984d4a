#!/usr/bin/env bats
# Two-factor sign-in through Apache (docs/CONTRACT.md MF-*): setup and enable
# with the bearer token, login's mfa_required answer and mfa/verify, as a
# frontend calls them over HTTP; wrong and replayed codes; the CORS preflight
# and the 405 of every two-factor route of apache/routes.txt (mfa_routes in
# helpers.bash). TOTP codes are computed here (totp, tests/cgi/helpers.bash).
# The same flow under the .htaccess and lighttpd: assert_mfa_routes.

# shellcheck disable=SC2154  # http_status, http_token... are set by the helpers
load helpers


# bearer: the header of the account's token (http_token, from http_account).
bearer() {
	printf 'Authorization: Bearer %s' "$http_token"
}

# login_mfa: ann's login over HTTP with the right password, which must answer
# mfa_required; MFA_TOKEN is its mfa_token.
login_mfa() {
	http POST /auth/login '{"email": "ann@example.test", "password": "StrongPass123"}'
	assert_status 200 || return 1
	assert_jq '.mfa_required == true' || return 1
	MFA_TOKEN=$(json_get .mfa_token)
}

# verify TOKEN CODE: POST /auth/mfa/verify over HTTP.
verify() {
	http POST /auth/mfa/verify "$(jobj mfa_token "$1" code "$2")"
}

# ann_mfa: ann (id 1, verified, StrongPass123) with two-factor sign-in on,
# made through the programs (mfa_on); MFA_SECRET and RECOVERY as mfa_on.
ann_mfa() {
	add_user ann@example.test "Ann Example" StrongPass123 t >/dev/null
	mfa_on 1 ann@example.test StrongPass123
}

# docs/CONTRACT.md MF-1, MF-2, MF-4, MF-6, MF-7, MF-8, MF-10, MF-11
@test "over HTTP a user turns two-factor sign-in on with the mailed code and a TOTP code, then signs in through login and mfa/verify" {
	local secret ec mt tok rt
	http_account ann@example.test StrongPass123 "Ann Example"
	http POST /user/mfa/setup '{"password": "StrongPass123"}' -H "$(bearer)"
	assert_status 200
	assert_std_headers
	secret=$(json_get .secret)
	[[ $secret =~ ^[A-Z2-7]{32}$ ]] || _fail "secret: $secret"
	assert_body "{\"secret\": \"$secret\", \"otpauth_uri\": \"otpauth://totp/MedicalCare:ann@example.test?secret=$secret&issuer=MedicalCare&algorithm=SHA1&digits=6&period=30\"}"
	# The sign-up code, then setup's.
	mail_wait ann@example.test 2
	[[ $(mail_header ann@example.test Subject) == 'MedicalCare two-factor confirmation code' ]]
	ec=$(mail_otp ann@example.test)

	# A wrong TOTP code with the right mailed code: 400, two-factor sign-in stays off.
	http POST /user/mfa/enable "$(jobj code "$(other_code "$(totp "$secret")")" email_code "$ec")" -H "$(bearer)"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	[[ $(sql "SELECT enabled_at IS NULL, failures FROM user_mfa WHERE user_id = 1") == 't|1' ]]

	http POST /user/mfa/enable "$(jobj code "$(totp "$secret")" email_code "$ec")" -H "$(bearer)"
	assert_status 200
	assert_std_headers
	[[ $(jq -c 'keys' <<<"$http_body") == '["recovery_codes"]' ]]
	assert_jq '(.recovery_codes | length) == 10 and (.recovery_codes | unique | length) == 10'
	assert_jq 'all(.recovery_codes[]; test("^[a-z2-7]{5}-[a-z2-7]{5}$"))'
	[[ $(sql "SELECT enabled_at IS NOT NULL AND secret_sealed IS NOT NULL, failures,
	                 (SELECT count(*) FROM mfa_recovery_codes WHERE user_id = 1 AND used_at IS NULL)
	            FROM user_mfa WHERE user_id = 1") == 't|0|10' ]]

	# The password alone: mfa_required, a token of 32 bytes, no new session.
	http POST /auth/login '{"email": "ann@example.test", "password": "StrongPass123"}'
	assert_status 200
	assert_std_headers
	mt=$(json_get .mfa_token)
	[[ $mt =~ ^[A-Za-z0-9_-]{43}$ ]] || _fail "mfa_token: $mt"
	assert_body --raw "{\"mfa_required\":true,\"mfa_token\":\"$mt\",\"expires_in\":300}"
	[[ $(sql "SELECT count(*) FROM sessions WHERE user_id = 1") == 1 ]]

	# A code of the next step: later than the one enable accepted.
	verify "$mt" "$(totp "$secret" 1)"
	assert_status 200
	assert_std_headers
	tok=$(json_get .access_token) rt=$(json_get .refresh_token)
	assert_body --raw "{\"access_token\":\"$tok\",\"token_type\":\"bearer\",\"expires_in\":3600,\"refresh_token\":\"$rt\"}"
	http GET /user/profile -H "Authorization: Bearer $tok"
	assert_status 200
	assert_body --raw '{"id":1,"full_name":"Ann Example","email":"ann@example.test","is_verified":true}'
	[[ $(sql "SELECT count(*) FROM sessions WHERE user_id = 1 AND revoked_at IS NULL") == 2 ]]
	[[ $(sql "SELECT count(*) FROM mfa_tokens") == 0 ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'mfa_verified' AND user_id = 1") == 1 ]]
}

# docs/CONTRACT.md MF-6, MF-9, MF-10
@test "over HTTP a wrong code at mfa/verify gets 400 Invalid code, and a code whose step was used gets 400 at the next sign-in" {
	local code first
	ann_mfa
	login_mfa
	first=$MFA_TOKEN
	code=$(totp "$MFA_SECRET")
	verify "$first" "$(other_code "$code")"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	[[ $(sql "SELECT failures FROM user_mfa WHERE user_id = 1") == 1 ]]
	verify "$first" "$code"
	assert_status 200
	assert_json .token_type bearer
	[[ $(sql "SELECT failures FROM user_mfa WHERE user_id = 1") == 0 ]]

	# The same code again, with a new mfa_token: its step is spent.
	login_mfa
	[[ $MFA_TOKEN != "$first" ]]
	verify "$MFA_TOKEN" "$code"
	assert_status 400
	assert_body --raw "$INVALID_CODE"
	[[ $(sql "SELECT attempts FROM mfa_tokens") == 1 ]]
	[[ $(sql "SELECT failures FROM user_mfa WHERE user_id = 1") == 1 ]]
	# The first token died with its success.
	verify "$first" "$(totp "$MFA_SECRET" 1)"
	assert_status 401
	assert_body --raw "$BAD_MFA_TOKEN"
	[[ $(sql "SELECT count(*) FROM sessions WHERE user_id = 1") == 2 ]]
}

# docs/CONTRACT.md MF-6, MF-9
@test "over HTTP the second-factor lock answers 429 with Retry-After and spends no try" {
	ann_mfa
	login_mfa
	sql "UPDATE user_mfa SET locked_until = now() + interval '10 minutes', locks = 1 WHERE user_id = 1" >/dev/null
	verify "$MFA_TOKEN" "$(totp "$MFA_SECRET")"
	assert_status 429
	assert_body --raw "$CODE_LIMIT"
	assert_retry_after 500 600
	[[ $(sql "SELECT attempts FROM mfa_tokens") == 0 ]]
}

# docs/CONTRACT.md C-3, C-4
@test "a browser of an allowed origin may call every two-factor route after its preflight, another origin gets no CORS header" {
	local p n=0
	while IFS= read -r p; do
		http OPTIONS "$p" -H 'Origin: http://localhost:3000' -H 'Access-Control-Request-Method: POST' \
		    -H 'Access-Control-Request-Headers: authorization, content-type'
		assert_status 204
		assert_header Access-Control-Allow-Origin http://localhost:3000
		assert_header Access-Control-Allow-Methods 'POST, OPTIONS'
		assert_header Access-Control-Allow-Headers 'Authorization, Content-Type'
		assert_header Access-Control-Max-Age 600
		assert_header_token Vary Origin
		http OPTIONS "$p" -H 'Origin: http://evil.example.test' -H 'Access-Control-Request-Method: POST'
		refute_access_control
		n=$((n + 1))
	done < <(mfa_routes)
	[[ $n -ge 3 ]]
}

# docs/CONTRACT.md G-12, MF-9
@test "every two-factor route reaches its program, with or without the trailing slash" {
	local p n=0
	while IFS= read -r p; do
		http GET "$p"
		assert_status 405
		assert_header Allow 'POST, OPTIONS'
		http GET "$p/"
		assert_status 405
		assert_header Allow 'POST, OPTIONS'
		n=$((n + 1))
	done < <(mfa_routes)
	[[ $n -ge 3 ]]
	verify "$(printf 'A%.0s' {1..43})" 123456
	assert_status 401
	assert_body --raw "$BAD_MFA_TOKEN"
	http POST /user/mfa/setup '{"password": "StrongPass123"}'
	assert_status 401
	assert_body --raw '{"detail":"Not authenticated"}'
	assert_header WWW-Authenticate Bearer
}

# docs/CONTRACT.md MF-1, MF-7, MF-8, MF-10, MF-11, MF-12, MF-13
@test "the two-factor commands of QUICK_START.md turn it on, sign in with a TOTP code and a recovery code, make new recovery codes and turn it off, as written" {
	local block out
	block=$(awk '/^### Two-factor sign-in$/ { on = 1 }
	             on && /^```sh$/ { inside = 1; next }
	             inside && /^```$/ { exit }
	             inside' "$MC_ROOT/QUICK_START.md")
	[[ $block == *'/auth/mfa/verify'* ]] || _fail "no two-factor block in QUICK_START.md"
	# Its mail_text prints the newest mail of mail/; here, that of the sink,
	# once the next mail has arrived (the programs send it after the answer).
	echo 0 >"$BATS_TEST_TMPDIR/mails"
	mail_text() {
		local n
		n=$(($(cat "$BATS_TEST_TMPDIR/mails") + 1))
		echo "$n" >"$BATS_TEST_TMPDIR/mails"
		mail_wait grace@example.com "$n" >&2 && _mail_py text "$(mail_last grace@example.com)"
	}
	out=$(export api=$MC_HTTP_URL no_proxy='*' NO_PROXY='*'; eval "$block" 2>&1)
	# The profile read with verify's token, then disable's answer.
	[[ $out == *'{"id":1,"full_name":"Grace Hopper","email":"grace@example.com","is_verified":true}'* ]] ||
		_fail "QUICK_START's two-factor block: $out"
	[[ $(grep -c '^HTTP/1.1 200' <<<"$out") == 2 &&
	    $(tail -n 1 <<<"$out") == '{"message":"Two-factor sign-in disabled"}' ]] ||
		_fail "QUICK_START's two-factor block: $out"
	[[ $(sql "SELECT m.enabled_at IS NOT NULL,
	                 (SELECT count(*) FROM mfa_recovery_codes WHERE used_at IS NULL),
	                 (SELECT count(*) FROM sessions WHERE revoked_at IS NULL)
	            FROM user_mfa m JOIN users u ON u.id = m.user_id
	           WHERE u.email = 'grace@example.com'") == 'f|0|3' ]]
}
