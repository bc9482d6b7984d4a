#!/usr/bin/env bats
# docs/CONTRACT.md's endpoint rules over real HTTP, through the test Apache: the
# CGI suite (tests/cgi) proves each rule at the program level; here each one
# is shown to survive the web server: the exact status, the exact compact
# body, and the headers that matter (Retry-After, WWW-Authenticate, Allow,
# Cache-Control, X-Content-Type-Options, Content-Type).

# shellcheck disable=SC2154  # http_status, http_body... are set by http (helpers.bash)
load helpers

SIGNUP_OK='{"message":"OTP sent to your email for verification"}'
BAD_OTP='{"detail":"Invalid or expired OTP"}'
RESEND_OK='{"message":"If the account exists and is not verified, a new OTP has been sent"}'
BAD_LOGIN='{"detail":"Invalid email or password"}'
FORGOT_OK='{"message":"Password reset link sent to your email"}'
RESET_OK='{"message":"Password reset successfully. Please log in again."}'
BAD_RESET='{"detail":"Invalid or expired reset token"}'
NOT_AUTH='{"detail":"Not authenticated"}'
BAD_TOKEN='{"detail":"Invalid or expired token"}'

# signup_http EMAIL [PASSWORD] [NAME]: POST /auth/signup.
signup_http() {
	http POST /auth/signup "$(jobj full_name "${3:-Ada Lovelace}" email "$1" password "${2:-StrongPass123}")"
}

# login_http EMAIL PASSWORD: POST /auth/login.
login_http() {
	http POST /auth/login "$(jobj email "$1" password "$2")"
}

# verify_http EMAIL OTP: POST /auth/verify-otp.
verify_http() {
	http POST /auth/verify-otp "$(jobj email "$1" otp "$2")"
}

# wrong_otp CODE prints a 6-digit code that is not CODE.
wrong_otp() {
	if [[ $1 == 000000 ]]; then
		echo 111111
	else
		echo 000000
	fi
}

# ---------------------------------------------------------------------------
# signup

# docs/CONTRACT.md SU-1, SU-4
@test "signup answers 201 with the exact body and mails an OTP" {
	signup_http ada@example.test
	assert_status 201
	assert_body --raw "$SIGNUP_OK"
	assert_std_headers
	mail_wait ada@example.test
	[[ $(mail_otp ada@example.test) =~ ^[0-9]{6}$ ]]
}

# docs/CONTRACT.md SU-2
@test "signup of a verified email answers 409 Email already registered" {
	add_user ada@example.test "Ada Lovelace" StrongPass123 t >/dev/null
	signup_http ada@example.test
	assert_status 409
	assert_body --raw '{"detail":"Email already registered"}'
	assert_std_headers
	[[ $(mail_count) == 0 ]]
}

# docs/CONTRACT.md SU-2
@test "signup again of an unverified email answers 409 and changes nothing within a minute" {
	signup_http ada@example.test
	assert_status 201
	mail_wait ada@example.test
	signup_http ada@example.test NewStrongPass123
	assert_status 409
	assert_body --raw '{"detail":"Email already registered"}'
	refute_header Retry-After
	assert_std_headers
	sleep 0.3
	[[ $(mail_count ada@example.test) == 1 ]]
}

# docs/CONTRACT.md G-2, G-7
@test "signup with missing fields answers the FastAPI 422 body" {
	http POST /auth/signup '{"email":"ada@example.test"}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr full_name 'Field required' missing)" \
	    "$(ferr password 'Field required' missing)")"
	assert_std_headers
}

# docs/CONTRACT.md IN-3
@test "signup with the weak password Password123 answers 422 too easy to guess" {
	signup_http ada@example.test Password123
	assert_status 422
	assert_body --raw "$(err422 "$(ferr password 'Value error, Password is too easy to guess' value_error)")"
	assert_std_headers
	[[ $(sql "SELECT count(*) FROM users") == 0 ]]
}

# docs/CONTRACT.md G-3
@test "a body that is not JSON answers 400 Invalid JSON body" {
	http POST /auth/signup '{"email": '
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
	assert_std_headers
	http POST /auth/login '[1, 2]'
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
}

# docs/CONTRACT.md G-5
@test "a POST with Content-Type text/plain answers 415" {
	http POST /auth/signup "$(jobj full_name Ada email ada@example.test password StrongPass123)" \
	    -H 'Content-Type: text/plain'
	assert_status 415
	assert_body --raw '{"detail":"Unsupported media type: use application/json"}'
	assert_std_headers
	# A charset parameter is fine.
	http POST /auth/login "$(jobj email ada@example.test password StrongPass123)" \
	    -H 'Content-Type: application/json; charset=utf-8'
	assert_status 401
}

# ---------------------------------------------------------------------------
# verify-otp, resend-otp

# docs/CONTRACT.md VO-1
@test "verify-otp with the mailed code answers 200 with a bearer token" {
	signup_http ada@example.test
	assert_status 201
	mail_wait ada@example.test
	verify_http ada@example.test "$(mail_otp ada@example.test)"
	assert_status 200
	assert_std_headers
	# docs/CONTRACT.md SE-2
	assert_jq 'keys == ["access_token", "expires_in", "refresh_token", "token_type"] and .token_type == "bearer"'
	tok=$(json_get .access_token)
	assert_body --raw "{\"access_token\":\"$tok\",\"token_type\":\"bearer\",\"expires_in\":3600,\"refresh_token\":\"$(json_get .refresh_token)\"}"
	jwt_decode "$tok" >/dev/null
}

# docs/CONTRACT.md VO-2
@test "verify-otp with a wrong code answers 400 Invalid or expired OTP" {
	signup_http ada@example.test
	mail_wait ada@example.test
	verify_http ada@example.test "$(wrong_otp "$(mail_otp ada@example.test)")"
	assert_status 400
	assert_body --raw "$BAD_OTP"
	assert_std_headers
}

# docs/CONTRACT.md VO-4
@test "verify-otp of a verified account answers 400 Email already verified" {
	signup_http ada@example.test
	mail_wait ada@example.test
	code=$(mail_otp ada@example.test)
	verify_http ada@example.test "$code"
	assert_status 200
	verify_http ada@example.test "$code"
	assert_status 400
	assert_body --raw '{"detail":"Email already verified"}'
	assert_std_headers
}

# docs/CONTRACT.md VO-3
@test "after 5 wrong tries even the right code answers 400" {
	local i code bad
	signup_http ada@example.test
	mail_wait ada@example.test
	code=$(mail_otp ada@example.test)
	bad=$(wrong_otp "$code")
	for ((i = 1; i <= 5; i++)); do
		verify_http ada@example.test "$bad"
		assert_status 400
		assert_body --raw "$BAD_OTP"
	done
	verify_http ada@example.test "$code"
	assert_status 400
	assert_body --raw "$BAD_OTP"
	[[ $(sql "SELECT is_verified FROM users") == f ]]
}

# docs/CONTRACT.md RO-2
@test "resend-otp answers the same 200 for an unknown email and sends nothing" {
	add_user ann@example.test "Ann Smith" StrongPass123 f >/dev/null
	http POST /auth/resend-otp '{"email":"ann@example.test"}'
	assert_status 200
	assert_body --raw "$RESEND_OK"
	assert_std_headers
	mail_wait ann@example.test
	http POST /auth/resend-otp '{"email":"nobody@example.test"}'
	assert_status 200
	assert_body --raw "$RESEND_OK"
	assert_std_headers
	sleep 0.3
	[[ $(mail_count nobody@example.test) == 0 ]]
	[[ $(mail_count) == 1 ]]
}

# ---------------------------------------------------------------------------
# login

# docs/CONTRACT.md LI-1
@test "login with the right password answers 200 with a bearer token" {
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	login_http ann@example.test StrongPass123
	assert_status 200
	assert_std_headers
	refute_header WWW-Authenticate
	tok=$(json_get .access_token)
	# docs/CONTRACT.md SE-2
	assert_body --raw "{\"access_token\":\"$tok\",\"token_type\":\"bearer\",\"expires_in\":3600,\"refresh_token\":\"$(json_get .refresh_token)\"}"
	[[ $(jwt_decode "$tok" | jq -r .claims.email) == ann@example.test ]]
}

# docs/CONTRACT.md LI-2
@test "login with a wrong password answers 401 with WWW-Authenticate Bearer" {
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	login_http ann@example.test WrongPass999
	assert_status 401
	assert_body --raw "$BAD_LOGIN"
	assert_header WWW-Authenticate Bearer
	assert_std_headers
	login_http nobody@example.test WrongPass999
	assert_status 401
	assert_body --raw "$BAD_LOGIN"
	assert_header WWW-Authenticate Bearer
}

# docs/CONTRACT.md LI-3
@test "login of an unverified account answers 403 Email not verified" {
	add_user ann@example.test "Ann Smith" StrongPass123 f >/dev/null
	login_http ann@example.test StrongPass123
	assert_status 403
	assert_body --raw '{"detail":"Email not verified"}'
	assert_std_headers
}

# docs/CONTRACT.md LI-4, G-10
@test "after 5 failed logins even the right password answers 429 with Retry-After" {
	local i
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	for ((i = 1; i <= 5; i++)); do
		login_http ann@example.test WrongPass999
		assert_status 401
		assert_body --raw "$BAD_LOGIN"
	done
	login_http ann@example.test StrongPass123
	assert_status 429
	assert_retry_after 1 900
	assert_std_headers
	assert_jq 'keys == ["detail"] and (.detail | type == "string" and length > 0)'
}

# ---------------------------------------------------------------------------
# forgot-password, reset-password

# docs/CONTRACT.md PW-1
@test "forgot-password answers the same 200 for a known and an unknown email" {
	local known
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	http POST /auth/forgot-password '{"email":"ann@example.test"}'
	assert_status 200
	assert_body --raw "$FORGOT_OK"
	assert_std_headers
	known=$http_headers
	http POST /auth/forgot-password '{"email":"nobody@example.test"}'
	assert_status 200
	assert_body --raw "$FORGOT_OK"
	assert_std_headers
	# The same headers too, the date aside: the framing as well (mod_buffer
	# gives every answer a Content-Length, whether the program mailed or not).
	local skip='^date:'
	diff <(grep -v -i -E "$skip" <<<"$known") <(grep -v -i -E "$skip" <<<"$http_headers")
	grep -q -i '^content-length: ' <<<"$known"
	mail_wait ann@example.test
	sleep 0.3
	[[ $(mail_count) == 1 ]]
}

# docs/CONTRACT.md PW-1
@test "the reset mail links to FRONTEND_URL/reset-password with the token" {
	local t text
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	http POST /auth/forgot-password '{"email":"ann@example.test"}'
	assert_status 200
	mail_wait ann@example.test
	t=$(mail_reset_token ann@example.test)
	[[ $t =~ ^[A-Za-z0-9_-]{43,}$ ]]
	text=$(mail_text ann@example.test)
	[[ $text == *"http://localhost:3000/reset-password?token=$t"* ]]
	# And the token from the mail works.
	http POST /auth/reset-password "$(jobj token "$t" new_password NewStrongPass123 \
	    confirm_password NewStrongPass123)"
	assert_status 200
	assert_body --raw "$RESET_OK"
}

# docs/CONTRACT.md PW-5
@test "after a reset the old password gets 401 and the new one 200" {
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	make_token 1
	http POST /auth/reset-password "$(jobj token "$token" new_password NewStrongPass123 \
	    confirm_password NewStrongPass123)"
	assert_status 200
	assert_body --raw "$RESET_OK"
	assert_std_headers
	login_http ann@example.test StrongPass123
	assert_status 401
	assert_body --raw "$BAD_LOGIN"
	assert_header WWW-Authenticate Bearer
	login_http ann@example.test NewStrongPass123
	assert_status 200
	assert_json .token_type bearer
}

# docs/CONTRACT.md PW-5, TK-3
@test "an access token issued before the reset gets 401 Invalid or expired token" {
	local before
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	make_token 1
	login_http ann@example.test StrongPass123
	assert_status 200
	before=$(json_get .access_token)
	http GET /user/profile -H "Authorization: Bearer $before"
	assert_status 200
	http POST /auth/reset-password "$(jobj token "$token" new_password NewStrongPass123 \
	    confirm_password NewStrongPass123)"
	assert_status 200
	http GET /user/profile -H "Authorization: Bearer $before"
	assert_status 401
	assert_body --raw "$BAD_TOKEN"
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	assert_std_headers
}

# docs/CONTRACT.md PW-4
@test "a reset token used once gets 400 the second time" {
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	make_token 1
	http POST /auth/reset-password "$(jobj token "$token" new_password NewStrongPass123 \
	    confirm_password NewStrongPass123)"
	assert_status 200
	http POST /auth/reset-password "$(jobj token "$token" new_password OtherStrongPass456 \
	    confirm_password OtherStrongPass456)"
	assert_status 400
	assert_body --raw "$BAD_RESET"
	assert_std_headers
}

# docs/CONTRACT.md PW-4
@test "a reset whose passwords differ gets 422 on confirm_password" {
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	make_token 1
	http POST /auth/reset-password "$(jobj token "$token" new_password NewStrongPass123 \
	    confirm_password NewStrongPass124)"
	assert_status 422
	assert_body --raw "$(err422 "$(ferr confirm_password 'Value error, Passwords do not match' value_error)")"
	assert_std_headers
	login_http ann@example.test StrongPass123
	assert_status 200
}

# ---------------------------------------------------------------------------
# profile and tokens

# docs/CONTRACT.md TK-1
@test "profile without Authorization answers 401 Not authenticated" {
	http GET /user/profile
	assert_status 401
	assert_body --raw "$NOT_AUTH"
	assert_header WWW-Authenticate Bearer
	assert_std_headers
}

# docs/CONTRACT.md TK-3
@test "profile with an alg none token answers 401 Invalid or expired token" {
	local now tok
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	now=$(date +%s)
	tok=$(make_jwt "{\"sub\":\"1\",\"email\":\"ann@example.test\",\"iat\":$now,\"exp\":$((now + 600))}" '' none)
	http GET /user/profile -H "Authorization: Bearer $tok"
	assert_status 401
	assert_body --raw "$BAD_TOKEN"
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	assert_std_headers
}

# docs/CONTRACT.md TK-3
@test "profile with an expired token or a deleted user answers 401 with error=invalid_token exactly once" {
	local now tok n
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	now=$(date +%s)
	http GET /user/profile -H "Authorization: Bearer $(make_jwt "{\"sub\":\"1\",\"email\":\"ann@example.test\",\"iat\":$((now - 3720)),\"exp\":$((now - 120))}")"
	assert_status 401
	assert_body --raw "$BAD_TOKEN"
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	n=$(grep -ci '^www-authenticate:' <<<"$http_headers")
	[[ $n == 1 ]] || { echo "$n WWW-Authenticate headers: $http_headers" >&2; return 1; }
	# PyJWT's token has no sid: accepted while LEGACY_TOKENS_UNTIL is ahead (SE-5).
	http_setting LEGACY_TOKENS_UNTIL=4102444800
	tok=$(make_jwt "{\"sub\":\"1\",\"email\":\"ann@example.test\",\"iat\":$now,\"exp\":$((now + 600))}")
	http GET /auth/user/profile -H "Authorization: Bearer $tok"
	assert_status 200
	sql "DELETE FROM users" >/dev/null
	http GET /auth/user/profile -H "Authorization: Bearer $tok"
	assert_status 401
	assert_body --raw "$BAD_TOKEN"
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	# Without a token: plain Bearer, and the alias the same.
	http GET /auth/user/profile -H "Authorization: Basic YTpi"
	assert_status 401
	assert_body --raw "$NOT_AUTH"
	assert_header WWW-Authenticate Bearer
}

# docs/CONTRACT.md C-2, C-4
@test "an allowed origin may read WWW-Authenticate and Retry-After, other origins get no CORS header" {
	local i
	http GET /user/profile -H 'Origin: http://localhost:3000' -H 'Authorization: Bearer garbage'
	assert_status 401
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	assert_header Access-Control-Allow-Origin http://localhost:3000
	assert_header Access-Control-Expose-Headers 'WWW-Authenticate, Retry-After'
	http GET /user/profile -H 'Origin: http://evil.example.test' -H 'Authorization: Bearer garbage'
	assert_status 401
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	refute_header Access-Control-Allow-Origin
	refute_header Access-Control-Expose-Headers
	# A 429's Retry-After, likewise.
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	for ((i = 1; i <= 5; i++)); do
		login_http ann@example.test WrongPass999
		assert_status 401
	done
	http POST /auth/login "$(jobj email ann@example.test password StrongPass123)" -H 'Origin: http://localhost:3000'
	assert_status 429
	assert_retry_after 1 900
	assert_header Access-Control-Expose-Headers 'WWW-Authenticate, Retry-After'
	# Not on a preflight: exposing is for the answer itself.
	http OPTIONS /user/profile -H 'Origin: http://localhost:3000' -H 'Access-Control-Request-Method: GET'
	assert_status 204
	refute_header Access-Control-Expose-Headers
}

# docs/CONTRACT.md TK-1
@test "profile accepts the scheme in lower case, bearer" {
	local now tok
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	# PyJWT's token has no sid: accepted while LEGACY_TOKENS_UNTIL is ahead (SE-5).
	http_setting LEGACY_TOKENS_UNTIL=4102444800
	now=$(date +%s)
	tok=$(make_jwt "{\"sub\":\"1\",\"email\":\"ann@example.test\",\"iat\":$now,\"exp\":$((now + 600))}")
	http GET /user/profile -H "Authorization: bearer $tok"
	assert_status 200
	assert_body --raw '{"id":1,"full_name":"Ann Smith","email":"ann@example.test","is_verified":true}'
	assert_std_headers
}

# ---------------------------------------------------------------------------
# General rules

# docs/CONTRACT.md G-1
@test "every answer carries no-store, nosniff and application/json" {
	local -a reqs=(
		"POST /auth/signup {}"
		"POST /auth/verify-otp {}"
		"POST /auth/resend-otp {}"
		"POST /auth/login {}"
		"POST /auth/forgot-password {}"
		"POST /auth/reset-password {}"
		"GET /user/profile"
		"GET /auth/user/profile"
		"GET /health"
		"GET /healthz"
		"DELETE /auth/login"
	)
	local r
	for r in "${reqs[@]}"; do
		# shellcheck disable=SC2086  # METHOD PATH [BODY], split on purpose
		http $r
		assert_std_headers || {
			echo "in answer to: $r" >&2
			return 1
		}
	done
}

# docs/CONTRACT.md G-6
@test "a GET on /auth/login answers 405 with Allow POST, OPTIONS" {
	http GET /auth/login
	assert_status 405
	assert_body --raw '{"detail":"Method Not Allowed"}'
	assert_header Allow "POST, OPTIONS"
	assert_std_headers
}
