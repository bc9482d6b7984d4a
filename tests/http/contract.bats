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

@test "signup_answers_201_with_the_exact_body_and_mails_an_otp" {
	signup_http ada@example.test
	assert_status 201
	assert_body --raw "$SIGNUP_OK"
	assert_std_headers
	mail_wait ada@example.test
	[[ $(mail_otp ada@example.test) =~ ^[0-9]{6}$ ]]
}

@test "signup_of_a_verified_email_answers_409_email_already_registered" {
	add_user ada@example.test "Ada Lovelace" StrongPass123 t >/dev/null
	signup_http ada@example.test
	assert_status 409
	assert_body --raw '{"detail":"Email already registered"}'
	assert_std_headers
	[[ $(mail_count) == 0 ]]
}

@test "signup_again_of_an_unverified_email_answers_409_and_changes_nothing_within_a_minute" {
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

@test "signup_with_missing_fields_answers_the_fastapi_422_body" {
	http POST /auth/signup '{"email":"ada@example.test"}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr full_name 'Field required' missing)" \
	    "$(ferr password 'Field required' missing)")"
	assert_std_headers
}

@test "signup_with_the_weak_password_password123_answers_422_too_easy_to_guess" {
	signup_http ada@example.test Password123
	assert_status 422
	assert_body --raw "$(err422 "$(ferr password 'Value error, Password is too easy to guess' value_error)")"
	assert_std_headers
	[[ $(sql "SELECT count(*) FROM users") == 0 ]]
}

@test "a_body_that_is_not_json_answers_400_invalid_json_body" {
	http POST /auth/signup '{"email": '
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
	assert_std_headers
	http POST /auth/login '[1, 2]'
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
}

@test "a_post_with_content_type_text_plain_answers_415" {
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

@test "verify_otp_with_the_mailed_code_answers_200_with_a_bearer_token" {
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

@test "verify_otp_with_a_wrong_code_answers_400_invalid_or_expired_otp" {
	signup_http ada@example.test
	mail_wait ada@example.test
	verify_http ada@example.test "$(wrong_otp "$(mail_otp ada@example.test)")"
	assert_status 400
	assert_body --raw "$BAD_OTP"
	assert_std_headers
}

@test "verify_otp_of_a_verified_account_answers_400_email_already_verified" {
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

@test "after_5_wrong_tries_even_the_right_code_answers_400" {
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

@test "resend_otp_answers_the_same_200_for_an_unknown_email_and_sends_nothing" {
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

@test "login_with_the_right_password_answers_200_with_a_bearer_token" {
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

@test "login_with_a_wrong_password_answers_401_with_www_authenticate_bearer" {
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

@test "login_of_an_unverified_account_answers_403_email_not_verified" {
	add_user ann@example.test "Ann Smith" StrongPass123 f >/dev/null
	login_http ann@example.test StrongPass123
	assert_status 403
	assert_body --raw '{"detail":"Email not verified"}'
	assert_std_headers
}

@test "after_5_failed_logins_even_the_right_password_answers_429_with_retry_after" {
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

@test "forgot_password_answers_the_same_200_for_a_known_and_an_unknown_email" {
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

@test "the_reset_mail_links_to_frontend_url_reset_password_with_the_token" {
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

@test "after_a_reset_the_old_password_gets_401_and_the_new_one_200" {
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

@test "an_access_token_issued_before_the_reset_gets_401_invalid_or_expired_token" {
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

@test "a_reset_token_used_once_gets_400_the_second_time" {
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

@test "a_reset_whose_passwords_differ_gets_422_on_confirm_password" {
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

@test "profile_without_authorization_answers_401_not_authenticated" {
	http GET /user/profile
	assert_status 401
	assert_body --raw "$NOT_AUTH"
	assert_header WWW-Authenticate Bearer
	assert_std_headers
}

@test "profile_with_an_alg_none_token_answers_401_invalid_or_expired_token" {
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

@test "profile_with_an_expired_token_or_a_deleted_user_answers_401_with_error_invalid_token_exactly_once" {
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

@test "an_allowed_origin_may_read_www_authenticate_and_retry_after_other_origins_get_no_cors_header" {
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

@test "profile_accepts_the_scheme_in_lower_case_bearer" {
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

@test "every_answer_carries_no_store_nosniff_and_application_json" {
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

@test "a_get_on_auth_login_answers_405_with_allow_post_options" {
	http GET /auth/login
	assert_status 405
	assert_body --raw '{"detail":"Method Not Allowed"}'
	assert_header Allow "POST, OPTIONS"
	assert_std_headers
}
