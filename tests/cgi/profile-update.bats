#!/usr/bin/env bats
# PATCH /user/profile (cgi-bin/profile.cgi, which serves GET too): a new
# full_name for the signed-in account (docs/CONTRACT.md AS-1, AS-2).

load helpers

setup_file() {
	mc_setup_file
	HASH_STRONG=$(printf '%s' StrongPass123 | argon2 mc-profile-salt1 -id -t 2 -m 10 -p 1 -e)
	export HASH_STRONG
}

INVALID_TOKEN='{"detail":"Invalid or expired token"}'
NOT_AUTHENTICATED='{"detail":"Not authenticated"}'

# The usual two accounts: bob (id 1) and ann (id 2), both verified; ANN is a
# token of ann's.
two_users() {
	sql "INSERT INTO users (email, full_name, password_hash, is_verified)
	     VALUES ('bob@example.test', 'Bob Other', :'h', true),
	            ('ann@example.test', 'Ann Example', :'h', true)" h="$HASH_STRONG" >/dev/null
	ANN=$(user_token 2 ann@example.test)
}

# patch_name TOKEN BODY [VAR=value]...: PATCH profile.cgi with Bearer TOKEN.
patch_name() {
	local tok=$1 body=$2
	shift 2
	cgi PATCH profile.cgi "$body" HTTP_AUTHORIZATION="Bearer $tok" "$@"
}

# names prints "id|full_name" of every account, by id.
names() {
	sql "SELECT string_agg(id || ':' || full_name, ',' ORDER BY id) FROM users"
}

@test "PATCH profile with a new full_name gives 200 and the profile with that name, and stores it" {
	two_users
	patch_name "$ANN" '{"full_name":"Ann Lovelace"}'
	assert_status 200
	assert_body --raw '{"id":2,"full_name":"Ann Lovelace","email":"ann@example.test","is_verified":true}'
	assert_std_headers
	[[ $(names) == "1:Bob Other,2:Ann Lovelace" ]] || _fail "names: $(names)"
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 200
	assert_json .full_name "Ann Lovelace"
}

@test "PATCH profile trims the name and keeps non-ASCII characters, up to 100 of them" {
	two_users
	patch_name "$ANN" '{"full_name":"  \tZoë Ünal\n "}'
	assert_status 200
	assert_json .full_name "Zoë Ünal"
	local name
	name=$(printf 'é%.0s' {1..100})
	patch_name "$ANN" "$(jobj full_name "$name")"
	assert_status 200
	[[ $(sql "SELECT char_length(full_name), full_name = :'n' FROM users WHERE id = 2" n="$name") == "100|t" ]]
}

@test "PATCH profile ignores unknown fields: email, is_verified and id stay as they are" {
	two_users
	patch_name "$ANN" '{"full_name":"Ann B","email":"evil@example.test","is_verified":false,"id":1}'
	assert_status 200
	assert_body --raw '{"id":2,"full_name":"Ann B","email":"ann@example.test","is_verified":true}'
	[[ $(sql "SELECT email, is_verified FROM users WHERE id = 2") == "ann@example.test|t" ]]
}

@test "PATCH profile with an empty, blank, too long or control-character name gets 422 and changes nothing" {
	two_users
	patch_name "$ANN" '{"full_name":""}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr full_name 'String should have at least 1 character' string_too_short)")"
	patch_name "$ANN" '{"full_name":"   "}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr full_name 'String should have at least 1 character' string_too_short)")"
	patch_name "$ANN" "$(jobj full_name "$(printf 'a%.0s' {1..101})")"
	assert_status 422
	assert_body --raw "$(err422 "$(ferr full_name 'String should have at most 100 characters' string_too_long)")"
	patch_name "$ANN" '{"full_name":"Ann\u0007Example"}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr full_name 'Value error, Full name must not contain control characters' value_error)")"
	[[ $(names) == "1:Bob Other,2:Ann Example" ]] || _fail "names: $(names)"
}

@test "PATCH profile without full_name, or with one that is not a string, gets 422" {
	two_users
	patch_name "$ANN" '{}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr full_name 'Field required' missing)")"
	patch_name "$ANN" '{"full_name":null}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr full_name 'Field required' missing)")"
	patch_name "$ANN" '{"full_name":["Ann"]}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr full_name 'Input should be a valid string' string_type)")"
	[[ $(names) == "1:Bob Other,2:Ann Example" ]]
}

@test "PATCH profile without a Bearer token gets 401 Not authenticated and changes nothing" {
	two_users
	cgi PATCH profile.cgi '{"full_name":"Mallory"}'
	assert_status 401
	assert_body --raw "$NOT_AUTHENTICATED"
	assert_header WWW-Authenticate Bearer
	cgi PATCH profile.cgi '{"full_name":"Mallory"}' HTTP_AUTHORIZATION="Basic YTpi"
	assert_status 401
	assert_body --raw "$NOT_AUTHENTICATED"
	[[ $(names) == "1:Bob Other,2:Ann Example" ]]
}

@test "PATCH profile with a bad, expired or revoked token, or one whose account is gone, gets 401 Invalid or expired token" {
	two_users
	patch_name garbage '{"full_name":"Mallory"}'
	assert_status 401
	assert_body --raw "$INVALID_TOKEN"
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	patch_name "$(user_token 2 ann@example.test -7200)" '{"full_name":"Mallory"}'
	assert_status 401
	assert_body --raw "$INVALID_TOKEN"
	sql "UPDATE users SET token_min_iat = extract(epoch FROM now())::bigint + 10 WHERE id = 2" >/dev/null
	patch_name "$ANN" '{"full_name":"Mallory"}'
	assert_status 401
	assert_body --raw "$INVALID_TOKEN"
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	patch_name "$(user_token 99 gone@example.test)" '{"full_name":"Mallory"}'
	assert_status 401
	assert_body --raw "$INVALID_TOKEN"
	[[ $(names) == "1:Bob Other,2:Ann Example" ]]
	[[ $(sql "SELECT string_agg(detail, ',' ORDER BY id) FROM audit_events WHERE event = 'token_rejected'") == \
	    "malformed token,token expired,token revoked,account gone" ]] ||
	    _fail "events: $(sql "SELECT string_agg(detail, ',' ORDER BY id) FROM audit_events")"
}

@test "PATCH profile with a token whose session was revoked gets 401 and changes nothing" {
	two_users
	sql "UPDATE sessions SET revoked_at = now() WHERE user_id = 2" >/dev/null
	patch_name "$ANN" '{"full_name":"Mallory"}'
	assert_status 401
	assert_body --raw "$INVALID_TOKEN"
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	[[ $(names) == "1:Bob Other,2:Ann Example" ]]
}

@test "PATCH profile changes only the token's own account" {
	two_users
	patch_name "$(user_token 1 bob@example.test)" '{"full_name":"Bob New"}'
	assert_status 200
	assert_json .id 1
	[[ $(names) == "1:Bob New,2:Ann Example" ]]
}

@test "a field error (422) answers before a missing or bad token (401)" {
	two_users
	cgi PATCH profile.cgi '{"full_name":""}'
	assert_status 422
	patch_name garbage '{"full_name":5}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr full_name 'Input should be a valid string' string_type)")"
}

@test "PATCH profile checks in order 405, 413, 415, 400, 422" {
	two_users
	cgi PUT profile.cgi 'not json' CONTENT_LENGTH=70000 CONTENT_TYPE=text/plain HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 405
	assert_body --raw '{"detail":"Method Not Allowed"}'
	assert_header Allow "GET, PATCH, OPTIONS"
	patch_name "$ANN" 'not json' CONTENT_LENGTH=70000 CONTENT_TYPE=text/plain
	assert_status 413
	assert_body --raw '{"detail":"Request body too large"}'
	patch_name "$ANN" '{"full_name":"Ann B"}' CONTENT_TYPE=text/plain
	assert_status 415
	patch_name "$ANN" '{"full_name":"Ann B"}' -CONTENT_TYPE
	assert_status 415
	patch_name "$ANN" '["Ann B"]'
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
	patch_name "$ANN" '' CONTENT_TYPE=application/json CONTENT_LENGTH=0
	assert_status 400
	patch_name "$ANN" '{"full_name":""}'
	assert_status 422
	patch_name "$ANN" '{"full_name":"Ann B"}' 'CONTENT_TYPE=application/json; charset=utf-8'
	assert_status 200
	[[ $(names) == "1:Bob Other,2:Ann B" ]]
}

@test "profile.cgi answers POST, PUT and DELETE with 405 and Allow GET, PATCH, OPTIONS; GET and HEAD still work" {
	two_users
	local m
	for m in POST PUT DELETE; do
		cgi "$m" profile.cgi '{"full_name":"Mallory"}' HTTP_AUTHORIZATION="Bearer $ANN"
		assert_status 405
		assert_header Allow "GET, PATCH, OPTIONS"
	done
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 200
	cgi HEAD profile.cgi HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 200
	[[ -z $cgi_body ]] || _fail "HEAD with a body"
	[[ $(names) == "1:Bob Other,2:Ann Example" ]]
}

@test "a preflight for PATCH from an allowed origin lists GET and PATCH" {
	cgi OPTIONS profile.cgi HTTP_ORIGIN=http://localhost:3000 \
	    HTTP_ACCESS_CONTROL_REQUEST_METHOD=PATCH HTTP_ACCESS_CONTROL_REQUEST_HEADERS=authorization,content-type
	assert_status 204
	assert_header Access-Control-Allow-Methods "GET, PATCH, OPTIONS"
	assert_header Access-Control-Allow-Headers "Authorization, Content-Type"
	assert_header Allow "GET, PATCH, OPTIONS"
}

@test "PATCH profile with the database unreachable gives 503 and changes nothing" {
	two_users
	patch_name "$ANN" '{"full_name":"Ann B"}' $(db_down)
	assert_status 503
	assert_body --raw '{"detail":"Service temporarily unavailable"}'
	[[ $(names) == "1:Bob Other,2:Ann Example" ]]
}
