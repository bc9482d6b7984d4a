#!/usr/bin/env bats
# POST /auth/verify-otp (cgi-bin/verify-otp.cgi): docs/CONTRACT.md VO-1 to
# VO-4, the access token it issues (TK-2), and the general rules (G-*).

load helpers

# ---------------------------------------------------------------------------
# Local helpers

BAD_OTP_BODY='{"detail":"Invalid or expired OTP"}'
VERIFIED_BODY='{"detail":"Email already verified"}'
EMAIL_PREFIX='value is not a valid email address: '

# other_code CODE [N] prints a 6-digit code that is not CODE (CODE + N, mod 10^6).
other_code() {
	printf '%06d\n' $(((10#$1 + ${2:-1}) % 1000000))
}

# wrong_tries N: N wrong codes for ada@example.com, each a 400.
wrong_tries() {
	local i
	for ((i = 1; i <= $1; i++)); do
		verify ada@example.com "$(other_code "$code" "$i")"
		assert_status 400
		assert_body --raw "$BAD_OTP_BODY"
	done
}

# otp_row prints attempts|code_hash hex|expires_at of the account's code ("" if none).
otp_row() {
	sql "SELECT attempts, encode(code_hash, 'hex'), expires_at FROM otp_codes WHERE user_id = :'u'" u="$1"
}

# is_verified EMAIL prints t or f.
is_verified() {
	sql "SELECT is_verified FROM users WHERE email = :'e'" e="$1"
}

# ---------------------------------------------------------------------------
# The right code

@test "verify-otp with the right code answers 200 with the token answer of a new session" {
	# docs/CONTRACT.md SE-1, SE-2
	local tok rt
	signed_up ada@example.com
	verify ada@example.com "$code"
	assert_status 200
	assert_std_headers
	tok=$(json_get .access_token)
	rt=$(json_get .refresh_token)
	[[ $tok =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]]
	[[ $rt =~ ^[A-Za-z0-9_-]{43}$ ]]
	assert_body --raw "{\"access_token\":\"$tok\",\"token_type\":\"bearer\",\"expires_in\":3600,\"refresh_token\":\"$rt\"}"
	[[ $(sql "SELECT count(*) FROM sessions WHERE user_id = :'u'" u="$uid") == 1 ]]
}

@test "verify-otp's token is an HS256 JWT with sub (the id as a string), email, iat, exp = iat + 3600, sid and jti" {
	local tok dec t0 t1
	signed_up ada@example.com
	t0=$(date +%s)
	verify ada@example.com "$code"
	t1=$(date +%s)
	assert_status 200
	tok=$(json_get .access_token)
	dec=$(jwt_decode "$tok")
	jq -e --arg id "$uid" --argjson t0 "$t0" --argjson t1 "$t1" '
	    .header == {"alg": "HS256", "typ": "JWT"}
	    and (.claims | keys) == ["email", "exp", "iat", "jti", "sid", "sub"]
	    and (.claims.sid | test("^[A-Za-z0-9_-]{22}$")) and (.claims.jti | test("^[A-Za-z0-9_-]{22}$"))
	    and .claims.sub == $id and (.claims.sub | type) == "string"
	    and .claims.email == "ada@example.com"
	    and (.claims.iat | type) == "number" and .claims.iat >= $t0 and .claims.iat <= $t1
	    and .claims.exp == .claims.iat + 3600' <<<"$dec" >/dev/null || {
		echo "token: $dec (id $uid, issued between $t0 and $t1)" >&2
		return 1
	}
	# Another key does not verify it.
	run jwt_decode "$tok" wrong-key-wrong-key-wrong-key-wrong-key-0123
	[ "$status" -ne 0 ]
}

@test "verify-otp's token lives JWT_EXPIRE_MINUTES" {
	signed_up ada@example.com
	verify ada@example.com "$code" JWT_EXPIRE_MINUTES=5
	assert_status 200
	[ "$(jwt_decode "$(json_get .access_token)" | jq '.claims.exp - .claims.iat')" = 300 ]
}

@test "verify-otp's token opens the profile of the account" {
	signed_up ada@example.com
	verify ada@example.com "$code"
	assert_status 200
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $(json_get .access_token)"
	assert_status 200
	assert_body --raw "{\"id\":$uid,\"full_name\":\"Ada Lovelace\",\"email\":\"ada@example.com\",\"is_verified\":true}"
}

@test "verify-otp with the right code verifies the account, deletes the code and sends no mail" {
	signed_up ada@example.com
	[ "$(is_verified ada@example.com)" = f ]
	verify ada@example.com "$code"
	assert_status 200
	[ "$(is_verified ada@example.com)" = t ]
	[ "$(sql "SELECT count(*) FROM otp_codes")" = 0 ]
	[ "$(sql "SELECT count(*) FROM mail_outbox")" = 1 ]
	[ "$(mail_count)" = 1 ]
	[[ $cgi_stderr != *"$code"* ]]
}

@test "verify-otp normalizes the email: upper case and spaces work" {
	signed_up ada@example.com
	verify "  ADA@Example.COM  " "$code"
	assert_status 200
	[ "$(jwt_decode "$(json_get .access_token)" | jq -r .claims.email)" = ada@example.com ]
	[ "$(is_verified ada@example.com)" = t ]
}

@test "verify-otp with 4 wrong codes and then the right one answers 200" {
	signed_up ada@example.com
	wrong_tries 4
	[ "$(sql "SELECT attempts FROM otp_codes")" = 4 ]
	verify ada@example.com "$code"
	assert_status 200
	[ "$(is_verified ada@example.com)" = t ]
}

# ---------------------------------------------------------------------------
# Refusals

@test "verify-otp with the same code again gets 400 Email already verified" {
	signed_up ada@example.com
	verify ada@example.com "$code"
	assert_status 200
	verify ada@example.com "$code"
	assert_status 400
	assert_body --raw "$VERIFIED_BODY"
	assert_std_headers
	[ "$(is_verified ada@example.com)" = t ]
}

@test "verify-otp of a verified account with a wrong code also gets 400 Email already verified" {
	signed_up ada@example.com
	verify ada@example.com "$code"
	assert_status 200
	verify ada@example.com "$(other_code "$code")"
	assert_status 400
	assert_body --raw "$VERIFIED_BODY"
}

@test "verify-otp with a wrong code gets 400 Invalid or expired OTP and counts the attempt" {
	local before
	signed_up ada@example.com
	before=$(otp_row "$uid")
	verify ada@example.com "$(other_code "$code")"
	assert_status 400
	assert_body --raw "$BAD_OTP_BODY"
	assert_std_headers
	[ "$(is_verified ada@example.com)" = f ]
	[ "$(otp_row "$uid")" = "1${before#0}" ]
	verify ada@example.com "$(other_code "$code" 2)"
	assert_status 400
	[ "$(sql "SELECT attempts FROM otp_codes")" = 2 ]
}

@test "verify-otp with a code that is not 6 digits gets 400 Invalid or expired OTP" {
	signed_up ada@example.com
	verify ada@example.com "${code:0:5}"
	assert_status 400
	assert_body --raw "$BAD_OTP_BODY"
	verify ada@example.com "${code}0"
	assert_status 400
	assert_body --raw "$BAD_OTP_BODY"
	[ "$(is_verified ada@example.com)" = f ]
}

@test "verify-otp with an expired code gets 400 Invalid or expired OTP" {
	signed_up ada@example.com
	sql "UPDATE otp_codes SET expires_at = now() - interval '1 second'" >/dev/null
	verify ada@example.com "$code"
	assert_status 400
	assert_body --raw "$BAD_OTP_BODY"
	[ "$(is_verified ada@example.com)" = f ]
}

@test "verify-otp with an unknown email gets 400 Invalid or expired OTP and creates nothing" {
	signed_up ada@example.com
	verify bob@example.com "$code"
	assert_status 400
	assert_body --raw "$BAD_OTP_BODY"
	[ "$(sql "SELECT count(*) FROM users")" = 1 ]
	[ "$(sql "SELECT attempts FROM otp_codes")" = 0 ]
	[ "$(is_verified ada@example.com)" = f ]
}

@test "verify-otp with another account's code gets 400 Invalid or expired OTP" {
	local ada_code
	signed_up ada@example.com
	ada_code=$code
	signed_up bob@example.com "Bob Babbage"
	[[ $ada_code != "$code" ]] || skip "both accounts drew the same code"
	verify bob@example.com "$ada_code"
	assert_status 400
	assert_body --raw "$BAD_OTP_BODY"
	[ "$(is_verified bob@example.com)" = f ]
	[ "$(is_verified ada@example.com)" = f ]
}

@test "after 5 wrong tries even the right code gets 400 Invalid or expired OTP" {
	signed_up ada@example.com
	wrong_tries 5
	[ "$(sql "SELECT attempts FROM otp_codes")" = 5 ]
	verify ada@example.com "$code"
	assert_status 400
	assert_body --raw "$BAD_OTP_BODY"
	[ "$(is_verified ada@example.com)" = f ]
}

@test "a new OTP (resend after the cooldown) kills the old code and resets the attempts" {
	local old
	signed_up ada@example.com
	old=$code
	wrong_tries 5
	age_mail ada@example.com 61
	cgi POST resend-otp.cgi '{"email":"ada@example.com"}'
	assert_status 200
	mail_wait ada@example.com 2
	code=$(mail_otp ada@example.com)
	[ "$(sql "SELECT attempts FROM otp_codes")" = 0 ]
	if [[ $old != "$code" ]]; then # equal by chance once in 10^6
		verify ada@example.com "$old"
		assert_status 400
		assert_body --raw "$BAD_OTP_BODY"
		wrong_tries 3 # with the old code: 4 wrong tries on the new one
	else
		wrong_tries 4
	fi
	[ "$(sql "SELECT attempts FROM otp_codes")" = 4 ]
	verify ada@example.com "$code"
	assert_status 200
	[ "$(is_verified ada@example.com)" = t ]
}

# ---------------------------------------------------------------------------
# 422 and the general rules

@test "verify-otp without email or otp gets 422 Field required for each, in field order" {
	cgi POST verify-otp.cgi '{"otp":"123456"}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr email 'Field required' missing)")"
	cgi POST verify-otp.cgi '{"email":"ada@example.com"}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr otp 'Field required' missing)")"
	cgi POST verify-otp.cgi '{}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr email 'Field required' missing)" "$(ferr otp 'Field required' missing)")"
}

@test "verify-otp with the otp as a JSON number gets 422 and does not verify" {
	signed_up ada@example.com
	cgi POST verify-otp.cgi "{\"email\":\"ada@example.com\",\"otp\":$((10#$code))}"
	assert_status 422
	assert_body --raw "$(err422 "$(ferr otp 'Input should be a valid string' string_type)")"
	[ "$(is_verified ada@example.com)" = f ]
	[ "$(sql "SELECT attempts FROM otp_codes")" = 0 ]
}

@test "verify-otp with a wrong JSON type for email gets 422 string_type" {
	cgi POST verify-otp.cgi '{"email":["ada@example.com"],"otp":"123456"}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr email 'Input should be a valid string' string_type)")"
	cgi POST verify-otp.cgi '{"email":7,"otp":false}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr email 'Input should be a valid string' string_type)" \
	    "$(ferr otp 'Input should be a valid string' string_type)")"
}

@test "verify-otp with an invalid email gets 422" {
	cgi POST verify-otp.cgi '{"email":"ada.example.com","otp":"123456"}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr email "${EMAIL_PREFIX}An email address must have an @-sign." value_error)")"
}

@test "verify-otp ignores unknown fields" {
	signed_up ada@example.com
	cgi POST verify-otp.cgi "{\"email\":\"ada@example.com\",\"otp\":\"$code\",\"is_admin\":true}"
	assert_status 200
}

@test "verify-otp answers GET with 405 and an Allow header listing POST" {
	cgi GET verify-otp.cgi
	assert_status 405
	assert_body --raw '{"detail":"Method Not Allowed"}'
	assert_header_token Allow POST
}

@test "verify-otp with a bad content type gets 415, with bad JSON 400, with a huge length 413" {
	cgi POST verify-otp.cgi '{"email":"ada@example.com","otp":"123456"}' CONTENT_TYPE=text/plain
	assert_status 415
	assert_body --raw '{"detail":"Unsupported media type: use application/json"}'
	cgi POST verify-otp.cgi '{"email":"ada@example.com","otp":'
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
	cgi POST verify-otp.cgi '["ada@example.com"]'
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
	cgi POST verify-otp.cgi CONTENT_TYPE=application/json CONTENT_LENGTH=70000
	assert_status 413
	assert_body --raw '{"detail":"Request body too large"}'
}

@test "verify-otp with the database unreachable gets 503 and leaks nothing" {
	cgi POST verify-otp.cgi '{"email":"ada@example.com","otp":"123456"}' $(db_down)
	assert_status 503
	assert_body --raw '{"detail":"Service temporarily unavailable"}'
	assert_std_headers
}
