#!/usr/bin/env bats
# Sessions and refresh tokens through Apache (docs/CONTRACT.md SE-*): the
# routes of refresh, logout and sessions (/user/sessions/{id} included), a
# browser's requests (CORS, a logout without a body), the races.

load helpers

INVALID_REFRESH='{"detail":"Invalid or expired refresh token"}'
INVALID_TOKEN='{"detail":"Invalid or expired token"}'

# signin EMAIL: logs in over HTTP; sets AT, RT and SID.
signin() {
	http POST /auth/login "$(jobj email "$1" password StrongPass123)" -H "User-Agent: $2"
	assert_status 200 || return 1
	AT=$(json_get .access_token) RT=$(json_get .refresh_token)
	SID=$(jwt_decode "$AT" | jq -r .claims.sid)
}

@test "sessions_a_signed_in_user_refreshes_lists_revokes_and_logs_out_everywhere" {
	# docs/CONTRACT.md SE-2, SE-6, SE-8, SE-10, SE-11
	local phone_at phone_sid at2 rt2
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	signin ann@example.test Phone
	phone_at=$AT phone_sid=$SID
	signin ann@example.test Laptop
	http POST /auth/refresh "$(jobj refresh_token "$RT")"
	assert_status 200
	assert_std_headers
	at2=$(json_get .access_token) rt2=$(json_get .refresh_token)
	assert_body --raw "{\"access_token\":\"$at2\",\"token_type\":\"bearer\",\"expires_in\":3600,\"refresh_token\":\"$rt2\"}"
	http GET /user/sessions -H "Authorization: Bearer $at2"
	assert_status 200
	assert_jq "[.sessions[] | [.id, .user_agent, .current]] == [[\"$SID\", \"Laptop\", true], [\"$phone_sid\", \"Phone\", false]]"
	assert_jq '[.sessions[] | .ip == "127.0.0.1"] | all'
	# The phone's session, by its id in the path.
	http DELETE "/user/sessions/$phone_sid" -H "Authorization: Bearer $at2"
	assert_status 200
	assert_body --raw '{"message":"Session revoked"}'
	http GET /user/profile -H "Authorization: Bearer $phone_at"
	assert_status 401
	assert_body --raw "$INVALID_TOKEN"
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	http DELETE "/user/sessions/$phone_sid/" -H "Authorization: Bearer $at2"
	assert_status 404
	assert_body --raw '{"detail":"Session not found"}'
	http GET /user/sessions/ -H "Authorization: Bearer $at2"
	assert_status 200
	assert_jq '.sessions | length == 1'
	# A logout as fetch() sends it: POST with Authorization and no body.
	http POST /auth/logout -H "Authorization: Bearer $at2" -H 'Content-Type: text/plain' --data-file /dev/null
	assert_status 200
	assert_body --raw '{"message":"Logged out"}'
	http GET /user/profile -H "Authorization: Bearer $at2"
	assert_status 401
	http POST /auth/refresh "$(jobj refresh_token "$rt2")"
	assert_status 401
	assert_body --raw "$INVALID_REFRESH"
	assert_header WWW-Authenticate 'Bearer'
}

@test "sessions_paths_that_name_no_session_are_404_and_the_methods_are_per_path" {
	# docs/CONTRACT.md SE-11, G-12
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	signin ann@example.test Phone
	http DELETE "/user/sessions/$SID/extra" -H "Authorization: Bearer $AT"
	assert_status 404
	http DELETE "/user/sessions/a.b" -H "Authorization: Bearer $AT"
	assert_status 404
	http DELETE /user/sessions -H "Authorization: Bearer $AT"
	assert_status 405
	assert_header Allow 'GET, HEAD, OPTIONS'
	http GET "/user/sessions/$SID" -H "Authorization: Bearer $AT"
	assert_status 405
	assert_header Allow 'DELETE, OPTIONS'
	[[ $(sql "SELECT revoked_at IS NULL FROM sessions WHERE id = :'s'" s="$SID") == t ]]
}

@test "sessions_a_browser_of_an_allowed_origin_may_delete_a_session_after_its_preflight" {
	# docs/CONTRACT.md C-3, SE-11
	http OPTIONS /user/sessions/abc -H 'Origin: http://localhost:3000' \
	    -H 'Access-Control-Request-Method: DELETE'
	assert_status 204
	assert_header Access-Control-Allow-Origin 'http://localhost:3000'
	assert_header Access-Control-Allow-Methods 'GET, DELETE, OPTIONS'
	http OPTIONS /auth/logout -H 'Origin: http://localhost:3000' \
	    -H 'Access-Control-Request-Method: POST'
	assert_status 204
	assert_header Access-Control-Allow-Methods 'POST, OPTIONS'
}

@test "sessions_parallel_refreshes_of_one_token_over_http_keep_one_session_and_all_work" {
	# docs/CONTRACT.md SE-7
	local i d=$BATS_TEST_TMPDIR/par
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	signin ann@example.test Tab
	mkdir -p "$d"
	for i in 1 2 3 4 5; do
		curl -sS --noproxy '*' -o "$d/$i" -w '%{http_code}' -H 'Content-Type: application/json' \
		    --data "$(jobj refresh_token "$RT")" "$(http_url /auth/refresh)" >"$d/$i.status" &
	done
	wait
	for i in 1 2 3 4 5; do
		[[ $(cat "$d/$i.status") == 200 ]] || _fail "refresh $i: $(cat "$d/$i.status" "$d/$i")"
	done
	[[ $(for i in 1 2 3 4 5; do jq -r .refresh_token "$d/$i"; done | sort -u | wc -l) == 1 ]]
	[[ $(sql "SELECT count(*) FROM sessions") == 1 ]]
	for i in 1 2 3 4 5; do
		http GET /user/profile -H "Authorization: Bearer $(jq -r .access_token "$d/$i")"
		assert_status 200
	done
}

@test "sessions_a_spent_refresh_token_replayed_after_the_window_ends_the_session_over_http" {
	# docs/CONTRACT.md SE-7
	local at2
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	signin ann@example.test Tab
	http POST /auth/refresh "$(jobj refresh_token "$RT")"
	assert_status 200
	at2=$(json_get .access_token)
	sql "UPDATE refresh_tokens SET spent_at = spent_at - interval '11 seconds' WHERE spent_at IS NOT NULL"
	http POST /auth/refresh "$(jobj refresh_token "$RT")"
	assert_status 401
	assert_body --raw "$INVALID_REFRESH"
	http GET /user/profile -H "Authorization: Bearer $at2"
	assert_status 401
	assert_body --raw "$INVALID_TOKEN"
}

@test "sessions_a_reset_ends_every_session_over_http" {
	# docs/CONTRACT.md SE-9
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	signin ann@example.test Tab
	http POST /auth/forgot-password '{"email":"ann@example.test"}'
	assert_status 200
	mail_wait ann@example.test
	http POST /auth/reset-password "$(jobj token "$(mail_reset_token ann@example.test)" \
	    new_password NewStrongPass123 confirm_password NewStrongPass123)"
	assert_status 200
	http POST /auth/refresh "$(jobj refresh_token "$RT")"
	assert_status 401
	http GET /user/sessions -H "Authorization: Bearer $AT"
	assert_status 401
}
