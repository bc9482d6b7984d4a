#!/usr/bin/env bats
# Account self-service through Apache (apache/routes.txt): PATCH
# /user/profile and its alias, POST /user/change-password and POST
# /user/delete-account, with the Authorization header, PATCH bodies and the
# general gates as the web server passes them (docs/CONTRACT.md AS-1 to AS-8).

# shellcheck disable=SC2154  # http_status, http_token... are set by the helpers
load helpers

LOCKED='{"detail":"Too many failed login attempts. Please try again later."}'

# bearer: the header of the account's token (http_token, from http_account).
bearer() {
	printf 'Authorization: Bearer %s' "$http_token"
}

@test "PATCH on /user/profile and on /auth/user/profile changes the name over http" {
	http_account ada@example.test StrongPass123 "Ada Lovelace"
	http PATCH /user/profile '{"full_name": "Ada King"}' -H "$(bearer)"
	assert_status 200
	assert_body --raw '{"id":1,"full_name":"Ada King","email":"ada@example.test","is_verified":true}'
	assert_header Cache-Control no-store
	http PATCH /auth/user/profile '{"full_name": "  Ada Byron "}' -H "$(bearer)"
	assert_status 200
	assert_json .full_name "Ada Byron"
	http GET /user/profile -H "$(bearer)"
	assert_status 200
	assert_json .full_name "Ada Byron"
	[[ $(sql "SELECT full_name FROM users") == "Ada Byron" ]]
}

@test "the profile path answers PUT with 405 and Allow GET, PATCH, OPTIONS; a preflight for PATCH lists it" {
	http PUT /user/profile '{"full_name": "X"}'
	assert_status 405
	assert_header Allow "GET, PATCH, OPTIONS"
	http OPTIONS /user/profile -H 'Origin: http://localhost:3000' \
	    -H 'Access-Control-Request-Method: PATCH' -H 'Access-Control-Request-Headers: authorization, content-type'
	assert_status 204
	assert_header Access-Control-Allow-Origin http://localhost:3000
	assert_header Access-Control-Allow-Methods "GET, PATCH, OPTIONS"
}

@test "PATCH profile over http checks 413, 415, 400 and 422 before the token" {
	local f=$BATS_TEST_TMPDIR/big.json
	head -c 70000 /dev/zero | tr '\0' a | jq -R -c '{full_name: .}' >"$f"
	http PATCH /user/profile --data-file "$f"
	assert_status 413
	http PATCH /user/profile '{"full_name": "X"}' -H 'Content-Type: text/plain'
	assert_status 415
	http PATCH /user/profile '[1]'
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
	http PATCH /user/profile '{"full_name": ""}'
	assert_status 422
	http PATCH /user/profile '{"full_name": "X"}'
	assert_status 401
	assert_body --raw '{"detail":"Not authenticated"}'
	assert_header WWW-Authenticate Bearer
}

@test "change-password over http answers a new session's tokens; the old token gets 401, the new password logs in" {
	http_account ada@example.test StrongPass123 "Ada Lovelace"
	local old=$http_token
	http POST /user/change-password \
	    '{"current_password": "StrongPass123", "new_password": "NewStrongPass123", "confirm_password": "NewStrongPass123"}' \
	    -H "$(bearer)"
	assert_status 200
	assert_jq 'keys == ["access_token", "expires_in", "refresh_token", "token_type"] and .token_type == "bearer"'
	http_token=$(json_get .access_token)
	http GET /user/profile -H "Authorization: Bearer $old"
	assert_status 401
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	http GET /user/profile -H "$(bearer)"
	assert_status 200
	http POST /auth/login '{"email": "ada@example.test", "password": "NewStrongPass123"}'
	assert_status 200
	http POST /auth/login '{"email": "ada@example.test", "password": "StrongPass123"}'
	assert_status 401
	mail_wait ada@example.test 2
	[[ $(mail_header ada@example.test Subject) == "Your MedicalCare password was changed" ]]
}

@test "change-password over http: 422 on new_password equal to the current one, 422 on a confirm_password that differs" {
	http_account ada@example.test
	http POST /user/change-password \
	    '{"current_password": "StrongPass123", "new_password": "StrongPass123", "confirm_password": "StrongPass123"}' \
	    -H "$(bearer)"
	assert_status 422
	assert_jq '[.detail[].loc[1]] == ["new_password"]'
	http POST /user/change-password \
	    '{"current_password": "StrongPass123", "new_password": "NewStrongPass123", "confirm_password": "NewStrongPass124"}' \
	    -H "$(bearer)"
	assert_status 422
	assert_jq '[.detail[].loc[1]] == ["confirm_password"]'
}

@test "delete-account over http: 200, a last mail, no row of the account left, its token refused, the address free again" {
	http_account ada@example.test StrongPass123 "Ada Lovelace"
	http POST /user/delete-account '{"password": "StrongPass123"}' -H "$(bearer)"
	assert_status 200
	assert_body --raw '{"message":"Account deleted"}'
	mail_wait ada@example.test 2
	[[ $(mail_header ada@example.test Subject) == "Your MedicalCare account was deleted" ]]
	local left
	left=$(rows_of_account 1 ada@example.test)
	[[ -z $left ]] || _fail "left of the account: $left"
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'account_deleted' AND user_id = 1 AND email IS NULL") == 1 ]]
	http GET /user/profile -H "$(bearer)"
	assert_status 401
	assert_body --raw '{"detail":"Invalid or expired token"}'
	http POST /auth/signup '{"full_name": "Ada Again", "email": "ada@example.test", "password": "StrongPass123"}'
	assert_status 201
}

@test "wrong passwords at delete-account and change-password count on login's lockout over http" {
	http_account ada@example.test
	local i
	for i in 1 2 3; do
		http POST /user/delete-account "{\"password\": \"WrongPass12$i\"}" -H "$(bearer)"
		assert_status 400
		assert_body --raw "$INCORRECT"
	done
	http POST /auth/login '{"email": "ada@example.test", "password": "WrongPass124"}'
	assert_status 401
	http POST /user/change-password \
	    '{"current_password": "WrongPass125", "new_password": "NewStrongPass123", "confirm_password": "NewStrongPass123"}' \
	    -H "$(bearer)"
	assert_status 400
	http POST /user/delete-account '{"password": "StrongPass123"}' -H "$(bearer)"
	assert_status 429
	assert_body --raw "$LOCKED"
	assert_retry_after 1 900
	http POST /auth/login '{"email": "ada@example.test", "password": "StrongPass123"}'
	assert_status 429
	[[ $(sql "SELECT count(*) FROM users") == 1 ]]
}

@test "the new programs answer 405 with Allow POST, OPTIONS, and 415 before reading a body" {
	local p
	for p in /user/delete-account /user/change-password; do
		http GET "$p"
		assert_status 405
		assert_header Allow "POST, OPTIONS"
		http POST "$p" '{"password": "x"}' -H 'Content-Type: text/plain'
		assert_status 415
	done
}
