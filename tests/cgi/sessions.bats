#!/usr/bin/env bats
# Sessions and refresh tokens (docs/CONTRACT.md SE-*): refresh.cgi,
# logout.cgi, sessions.cgi, and the session check of profile.cgi.

load helpers

setup_file() {
	mc_setup_file
	# A low cost, so the logins of this file stay quick (login rehashes it once).
	HASH_STRONG=$(printf '%s' StrongPass123 | argon2 mc-sessions-salt1 -id -t 2 -m 10 -p 1 -e)
	export HASH_STRONG
}

INVALID_REFRESH='{"detail":"Invalid or expired refresh token"}'
INVALID_TOKEN='{"detail":"Invalid or expired token"}'
NOT_AUTHENTICATED='{"detail":"Not authenticated"}'
LOGGED_OUT='{"message":"Logged out"}'

# account EMAIL: a verified account with the password StrongPass123; prints its id.
account() {
	insert_user "$1" "Ann Example" "$HASH_STRONG" true
}

# signin EMAIL [VAR=value]...: logs in; sets AT (access token), RT (refresh
# token) and SID (the access token's sid claim).
signin() {
	local email=$1
	shift
	cgi POST login.cgi "$(jobj email "$email" password StrongPass123)" "$@"
	assert_status 200 || return 1
	AT=$(json_get .access_token) RT=$(json_get .refresh_token)
	SID=$(jwt_decode "$AT" | jq -r .claims.sid)
}

refresh() { # TOKEN [VAR=value]...
	local tok=$1
	shift
	cgi POST refresh.cgi "$(jobj refresh_token "$tok")" "$@"
}

profile() { # TOKEN [VAR=value]...
	local tok=$1
	shift
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $tok" "$@"
}

# A token answer: the exact body, with a refresh token other than $1 (if given).
assert_token_answer() {
	local at rt
	assert_status 200 || return 1
	at=$(json_get .access_token) rt=$(json_get .refresh_token)
	[[ $rt =~ ^[A-Za-z0-9_-]{43}$ ]] || _fail "refresh_token is not 43 base64url characters: $rt"
	assert_body --raw "{\"access_token\":\"$at\",\"token_type\":\"bearer\",\"expires_in\":3600,\"refresh_token\":\"$rt\"}"
}

assert_invalid_refresh() {
	assert_status 401 || return 1
	assert_body --raw "$INVALID_REFRESH" || return 1
	assert_header WWW-Authenticate 'Bearer'
}

assert_invalid_token() {
	assert_status 401 || return 1
	assert_body --raw "$INVALID_TOKEN" || return 1
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
}

# bg NAME PROGRAM BODY: runs PROGRAM in the background, in a directory of
# its own, once $BATS_TEST_TMPDIR/go exists; its status and body go to
# $BATS_TEST_TMPDIR/NAME/status and .../body. bg_wait waits for them all.
bg() {
	local d=$BATS_TEST_TMPDIR/$1 prog=$2 body=$3
	mkdir -p "$d"
	(
		BATS_TEST_TMPDIR=$d
		while [[ ! -e ${d%/*}/go ]]; do sleep 0.01; done
		cgi POST "$prog" "$body" || exit 1
		printf '%s\n' "$cgi_status" >"$d/status"
		printf '%s\n' "$cgi_body" >"$d/body"
	) &
	bg_pids+=($!)
}

bg_wait() {
	local p
	touch "$BATS_TEST_TMPDIR/go"
	for p in "${bg_pids[@]}"; do
		wait "$p" || return 1
	done
	bg_pids=()
}

session_revoked() { # SID: prints t or f
	sql "SELECT revoked_at IS NOT NULL FROM sessions WHERE id = :'s'" s="$1"
}

# ---------------------------------------------------------------------------
# Sessions and the access token (SE-1, SE-4, SE-5)

# docs/CONTRACT.md SE-1
@test "a login starts a session that records the client, and its access token names it in sid with a jti" {
	local uid dec
	uid=$(account ann@example.test)
	signin ann@example.test HTTP_USER_AGENT="Mozilla/5.0 Test" REMOTE_ADDR=198.51.100.7
	dec=$(jwt_decode "$AT")
	jq -e '(.claims.sid | test("^[A-Za-z0-9_-]{22}$")) and (.claims.jti | test("^[A-Za-z0-9_-]{22}$"))' \
	    <<<"$dec" >/dev/null || _fail "sid or jti is not 16 bytes of base64url: $dec"
	[[ $(sql "SELECT user_id, user_agent, host(client_address), revoked_at IS NULL FROM sessions
	          WHERE id = :'s'" s="$SID") == "$uid|Mozilla/5.0 Test|198.51.100.7|t" ]]
	profile "$AT"
	assert_status 200
}

# docs/CONTRACT.md SE-5
@test "profile rejects an access token of a revoked session before its exp" {
	account ann@example.test >/dev/null
	signin ann@example.test
	sql "UPDATE sessions SET revoked_at = now() WHERE id = :'s'" s="$SID"
	profile "$AT"
	assert_invalid_token
	[[ $(sql "SELECT detail FROM audit_events WHERE event = 'token_rejected'") == "session ended" ]]
}

# docs/CONTRACT.md SE-4
@test "a session idle for SESSION_IDLE_MINUTES ends: its access and refresh tokens get 401" {
	account ann@example.test >/dev/null
	signin ann@example.test
	sql "UPDATE sessions SET last_used_at = now() - interval '10081 minutes' WHERE id = :'s'" s="$SID"
	profile "$AT"
	assert_invalid_token
	refresh "$RT"
	assert_invalid_refresh
	# A shorter idle limit ends a session used 6 minutes ago.
	signin ann@example.test
	sql "UPDATE sessions SET last_used_at = now() - interval '6 minutes' WHERE id = :'s'" s="$SID"
	profile "$AT"
	assert_status 200
	profile "$AT" SESSION_IDLE_MINUTES=5
	assert_invalid_token
}

# docs/CONTRACT.md SE-4
@test "a session ends SESSION_MAX_MINUTES after it started, however recently it was used" {
	account ann@example.test >/dev/null
	signin ann@example.test
	sql "UPDATE sessions SET created_at = now() - interval '43201 minutes', last_used_at = now()
	     WHERE id = :'s'" s="$SID"
	profile "$AT"
	assert_invalid_token
	refresh "$RT"
	assert_invalid_refresh
}

# docs/CONTRACT.md SE-5
@test "a token without sid is refused unless LEGACY_TOKENS_UNTIL is in the future" {
	local uid now tok
	uid=$(account ann@example.test)
	now=$(date +%s)
	tok=$(make_jwt "{\"sub\":\"$uid\",\"email\":\"ann@example.test\",\"iat\":$now,\"exp\":$((now + 600))}")
	profile "$tok"
	assert_invalid_token
	[[ $(sql "SELECT detail FROM audit_events WHERE event = 'token_rejected'") == "legacy token" ]]
	profile "$tok" LEGACY_TOKENS_UNTIL=$((now + 3600))
	assert_status 200
	profile "$tok" LEGACY_TOKENS_UNTIL=2099-01-01T00:00:00Z
	assert_status 200
	profile "$tok" LEGACY_TOKENS_UNTIL="$(date -u -d @$((now - 60)) +%Y-%m-%dT%H:%M:%S+00:00)"
	assert_invalid_token
}

# docs/CONTRACT.md SE-5
@test "an LEGACY_TOKENS_UNTIL that is no time is a configuration error: 500, logged" {
	account ann@example.test >/dev/null
	signin ann@example.test
	profile "$AT" LEGACY_TOKENS_UNTIL=tomorrow
	assert_status 500
	assert_body --raw '{"detail":"Internal server error"}'
	[[ $cgi_stderr == *"LEGACY_TOKENS_UNTIL must be Unix seconds or an ISO 8601 time"* ]]
}

# ---------------------------------------------------------------------------
# Refresh (SE-3, SE-6, SE-7)

# docs/CONTRACT.md SE-3, SE-6
@test "refresh spends the token and answers a new access token of the same session and a new refresh token" {
	local uid at2 rt2
	uid=$(account ann@example.test)
	signin ann@example.test
	refresh "$RT"
	assert_token_answer
	at2=$(json_get .access_token) rt2=$(json_get .refresh_token)
	[[ $rt2 != "$RT" ]]
	[[ $(jwt_decode "$at2" | jq -r .claims.sid) == "$SID" ]]
	[[ $(jwt_decode "$at2" | jq -r .claims.jti) != $(jwt_decode "$AT" | jq -r .claims.jti) ]]
	# Only digests are stored: the spent one and its successor.
	[[ $(sql "SELECT count(*) FILTER (WHERE spent_at IS NOT NULL), count(*) FROM refresh_tokens
	          WHERE session_id = :'s'" s="$SID") == "1|2" ]]
	[[ $(sql "SELECT spent_at IS NULL FROM refresh_tokens
	          WHERE token_hash = sha256(convert_to(:'t', 'UTF8'))" t="$rt2") == t ]]
	[[ $(sql "SELECT count(*) FROM sessions WHERE user_id = :'u'" u="$uid") == 1 ]]
	profile "$at2"
	assert_status 200
	refresh "$rt2"
	assert_token_answer
}

# docs/CONTRACT.md SE-6
@test "refresh with an unknown, malformed or empty token gets 401 and changes nothing" {
	account ann@example.test >/dev/null
	signin ann@example.test
	refresh "${RT%?}x"
	assert_invalid_refresh
	refresh "not a token"
	assert_invalid_refresh
	refresh ""
	assert_invalid_refresh
	[[ $(sql "SELECT count(*) FROM refresh_tokens WHERE spent_at IS NOT NULL") == 0 ]]
}

# docs/CONTRACT.md SE-6
@test "refresh without refresh_token, or with one that is no string, is a 422" {
	cgi POST refresh.cgi '{}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr refresh_token 'Field required' missing)")"
	cgi POST refresh.cgi '{"refresh_token": 5}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr refresh_token 'Input should be a valid string' string_type)")"
	cgi POST refresh.cgi '{"refresh_token": "x"'
	assert_status 400
	cgi GET refresh.cgi
	assert_status 405
	assert_header Allow 'POST, OPTIONS'
}

# docs/CONTRACT.md SE-7
@test "a spent refresh token presented again within REFRESH_REUSE_SECONDS gets the session's current token and spends nothing" {
	local rt2 rt3
	account ann@example.test >/dev/null
	signin ann@example.test
	refresh "$RT"
	rt2=$(json_get .refresh_token)
	refresh "$RT"
	assert_token_answer
	[[ $(json_get .refresh_token) == "$rt2" ]]
	[[ $(jwt_decode "$(json_get .access_token)" | jq -r .claims.sid) == "$SID" ]]
	[[ $(sql "SELECT count(*) FILTER (WHERE spent_at IS NULL), count(*) FROM refresh_tokens") == "1|2" ]]
	# Two rotations on, the first token still leads to the current one.
	refresh "$rt2"
	rt3=$(json_get .refresh_token)
	refresh "$RT"
	assert_token_answer
	[[ $(json_get .refresh_token) == "$rt3" ]]
	[[ $(session_revoked "$SID") == f ]]
}

# docs/CONTRACT.md SE-7
@test "a spent refresh token presented after REFRESH_REUSE_SECONDS revokes its whole session" {
	local uid at2 rt2
	uid=$(account ann@example.test)
	signin ann@example.test
	refresh "$RT"
	at2=$(json_get .access_token) rt2=$(json_get .refresh_token)
	sql "UPDATE refresh_tokens SET spent_at = spent_at - interval '11 seconds'
	     WHERE token_hash = sha256(convert_to(:'t', 'UTF8'))" t="$RT"
	refresh "$RT"
	assert_invalid_refresh
	[[ $(session_revoked "$SID") == t ]]
	[[ $(sql "SELECT user_id FROM audit_events WHERE event = 'refresh_reused'") == "$uid" ]]
	# Every token of the session is dead: the current refresh token, both access tokens.
	refresh "$rt2"
	assert_invalid_refresh
	profile "$at2"
	assert_invalid_token
	profile "$AT"
	assert_invalid_token
}

# docs/CONTRACT.md SE-7
@test "REFRESH_REUSE_SECONDS=0 makes any second use of a refresh token end its session" {
	account ann@example.test >/dev/null
	signin ann@example.test
	refresh "$RT" REFRESH_REUSE_SECONDS=0
	assert_token_answer
	sleep 1
	refresh "$RT" REFRESH_REUSE_SECONDS=0
	assert_invalid_refresh
	[[ $(session_revoked "$SID") == t ]]
}

# docs/CONTRACT.md SE-7
@test "parallel refreshes of one token keep one session and each gets a working token" {
	local i rts d=$BATS_TEST_TMPDIR
	account ann@example.test >/dev/null
	signin ann@example.test
	for i in 1 2 3 4 5 6; do
		bg "r$i" refresh.cgi "$(jobj refresh_token "$RT")"
	done
	bg_wait
	for i in 1 2 3 4 5 6; do
		[[ $(cat "$d/r$i/status") == 200 ]] || _fail "refresh $i: $(cat "$d/r$i/status" "$d/r$i/body")"
	done
	rts=$(for i in 1 2 3 4 5 6; do jq -r .refresh_token "$d/r$i/body"; done | sort -u)
	[[ $(wc -l <<<"$rts") == 1 ]] || _fail "more than one current refresh token: $rts"
	[[ $(sql "SELECT count(*) FROM sessions") == 1 ]]
	[[ $(sql "SELECT count(*) FILTER (WHERE spent_at IS NULL), count(*) FROM refresh_tokens") == "1|2" ]]
	for i in 1 2 3 4 5 6; do
		profile "$(jq -r .access_token "$d/r$i/body")"
		assert_status 200
	done
	refresh "$rts"
	assert_token_answer
}

# ---------------------------------------------------------------------------
# Logout (SE-8)

# docs/CONTRACT.md SE-8
@test "logout with a Bearer token and no body ends its session: 200, then its tokens get 401" {
	account ann@example.test >/dev/null
	signin ann@example.test
	cgi POST logout.cgi HTTP_AUTHORIZATION="Bearer $AT"
	assert_status 200
	assert_body --raw "$LOGGED_OUT"
	[[ $(session_revoked "$SID") == t ]]
	[[ $(sql "SELECT detail FROM audit_events WHERE event = 'logout'") == "this session" ]]
	profile "$AT"
	assert_invalid_token
	refresh "$RT"
	assert_invalid_refresh
}

# docs/CONTRACT.md SE-8
@test "logout's zero-length body counts as absent whatever its Content-Type" {
	account ann@example.test >/dev/null
	signin ann@example.test
	cgi POST logout.cgi '' HTTP_AUTHORIZATION="Bearer $AT" CONTENT_TYPE=text/plain CONTENT_LENGTH=0
	assert_status 200
	assert_body --raw "$LOGGED_OUT"
	[[ $(session_revoked "$SID") == t ]]
	signin ann@example.test
	cgi POST logout.cgi '' HTTP_AUTHORIZATION="Bearer $AT" CONTENT_TYPE=application/x-www-form-urlencoded
	assert_status 200
	[[ $(session_revoked "$SID") == t ]]
}

# docs/CONTRACT.md SE-8, G-5
@test "logout's body that is present follows the general rules: 415, 400, 422" {
	account ann@example.test >/dev/null
	signin ann@example.test
	cgi POST logout.cgi 'x' HTTP_AUTHORIZATION="Bearer $AT" CONTENT_TYPE=text/plain
	assert_status 415
	cgi POST logout.cgi '{' HTTP_AUTHORIZATION="Bearer $AT"
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
	cgi POST logout.cgi '{"everywhere": "yes"}' HTTP_AUTHORIZATION="Bearer $AT"
	assert_status 422
	assert_body --raw "$(err422 "$(ferr everywhere 'Input should be a valid boolean' bool_type)")"
	cgi POST logout.cgi '{"refresh_token": 1}' HTTP_AUTHORIZATION="Bearer $AT"
	assert_status 422
	[[ $(session_revoked "$SID") == f ]]
}

# docs/CONTRACT.md SE-8
@test "logout by refresh token alone ends its session, and answers 200 again when it is dead already" {
	account ann@example.test >/dev/null
	signin ann@example.test
	cgi POST logout.cgi "$(jobj refresh_token "$RT")"
	assert_status 200
	assert_body --raw "$LOGGED_OUT"
	[[ $(session_revoked "$SID") == t ]]
	profile "$AT"
	assert_invalid_token
	cgi POST logout.cgi "$(jobj refresh_token "$RT")"
	assert_status 200
	assert_body --raw "$LOGGED_OUT"
	cgi POST logout.cgi "$(jobj refresh_token "unknown-token")"
	assert_status 200
}

# docs/CONTRACT.md SE-8
@test "logout with an expired access token and a refresh token ends the session" {
	local uid now old
	uid=$(account ann@example.test)
	signin ann@example.test
	now=$(date +%s)
	old=$(make_jwt "{\"sub\":\"$uid\",\"email\":\"ann@example.test\",\"iat\":$((now - 7200)),\"exp\":$((now - 3600)),\"sid\":\"$SID\"}")
	cgi POST logout.cgi "$(jobj refresh_token "$RT")" HTTP_AUTHORIZATION="Bearer $old"
	assert_status 200
	[[ $(session_revoked "$SID") == t ]]
	# Without the refresh token, the expired token is refused as profile refuses it.
	cgi POST logout.cgi HTTP_AUTHORIZATION="Bearer $old"
	assert_invalid_token
}

# docs/CONTRACT.md SE-8
@test "logout without a Bearer token or a refresh token gets 401 Not authenticated" {
	cgi POST logout.cgi
	assert_status 401
	assert_body --raw "$NOT_AUTHENTICATED"
	assert_header WWW-Authenticate 'Bearer'
	cgi POST logout.cgi '{"everywhere": true}'
	assert_status 401
	assert_body --raw "$NOT_AUTHENTICATED"
}

# docs/CONTRACT.md SE-8
@test "logout everywhere ends every session of the user and every access token issued until now" {
	local uid at1 rt1 sid1 now legacy
	uid=$(account ann@example.test)
	account bob@example.test >/dev/null
	now=$(date +%s)
	legacy=$(make_jwt "{\"sub\":\"$uid\",\"email\":\"ann@example.test\",\"iat\":$now,\"exp\":$((now + 600))}")
	signin ann@example.test
	at1=$AT rt1=$RT sid1=$SID
	signin bob@example.test
	local bob_at=$AT
	signin ann@example.test
	cgi POST logout.cgi '{"everywhere": true}' HTTP_AUTHORIZATION="Bearer $AT"
	assert_status 200
	assert_body --raw "$LOGGED_OUT"
	[[ $(sql "SELECT count(*) FROM sessions WHERE user_id = :'u' AND revoked_at IS NULL" u="$uid") == 0 ]]
	[[ $(sql "SELECT detail FROM audit_events WHERE event = 'logout'") == everywhere ]]
	profile "$at1"
	assert_invalid_token
	refresh "$rt1"
	assert_invalid_refresh
	# "Everywhere" reaches tokens without sid too, and no other account.
	profile "$legacy" LEGACY_TOKENS_UNTIL=4102444800
	assert_invalid_token
	profile "$bob_at"
	assert_status 200
}

# docs/CONTRACT.md SE-8
@test "logout by the token of an account that is gone answers 200 and records nothing" {
	local uid now legacy
	uid=$(account ann@example.test)
	signin ann@example.test
	now=$(date +%s)
	legacy=$(make_jwt "{\"sub\":\"$uid\",\"email\":\"ann@example.test\",\"iat\":$now,\"exp\":$((now + 600))}")
	sql "DELETE FROM users" >/dev/null
	[[ $(sql "SELECT count(*) FROM sessions") == 0 ]]
	cgi POST logout.cgi HTTP_AUTHORIZATION="Bearer $AT"
	assert_status 200
	cgi POST logout.cgi '{"everywhere": true}' HTTP_AUTHORIZATION="Bearer $legacy" LEGACY_TOKENS_UNTIL=4102444800
	assert_status 200
	assert_body --raw "$LOGGED_OUT"
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'logout'") == 0 ]]
}

# docs/CONTRACT.md SE-8
@test "logout with a token without sid ends every session of its user" {
	local uid now legacy
	uid=$(account ann@example.test)
	signin ann@example.test
	now=$(date +%s)
	legacy=$(make_jwt "{\"sub\":\"$uid\",\"email\":\"ann@example.test\",\"iat\":$now,\"exp\":$((now + 600))}")
	cgi POST logout.cgi HTTP_AUTHORIZATION="Bearer $legacy" LEGACY_TOKENS_UNTIL=4102444800
	assert_status 200
	[[ $(session_revoked "$SID") == t ]]
	profile "$legacy" LEGACY_TOKENS_UNTIL=4102444800
	assert_invalid_token
}

# docs/CONTRACT.md SE-7, SE-8
@test "a logout racing refreshes of the same session leaves it dead, new tokens included" {
	local i tok d=$BATS_TEST_TMPDIR
	account ann@example.test >/dev/null
	signin ann@example.test
	for i in 1 2 3; do
		bg "r$i" refresh.cgi "$(jobj refresh_token "$RT")"
	done
	bg logout logout.cgi "$(jobj refresh_token "$RT")"
	bg_wait
	[[ $(cat "$d/logout/status") == 200 ]]
	[[ $(session_revoked "$SID") == t ]]
	for i in 1 2 3; do
		# A refresh that came after the logout got 401; one before got tokens, dead now.
		[[ $(cat "$d/r$i/status") =~ ^(200|401)$ ]] || _fail "refresh $i: $(cat "$d/r$i/status")"
		tok=$(jq -r '.access_token // empty' "$d/r$i/body")
		[[ -z $tok ]] && continue
		profile "$tok"
		assert_invalid_token
		refresh "$(jq -r .refresh_token "$d/r$i/body")"
		assert_invalid_refresh
	done
}

# ---------------------------------------------------------------------------
# The list of sessions (SE-10, SE-11)

# docs/CONTRACT.md SE-10
@test "GET /user/sessions lists the live sessions newest first, the caller's marked current" {
	local uid sid1 sid2
	uid=$(account ann@example.test)
	signin ann@example.test HTTP_USER_AGENT="Phone" REMOTE_ADDR=203.0.113.9
	sid1=$SID
	sql "UPDATE sessions SET created_at = now() - interval '1 hour' WHERE id = :'s'" s="$sid1"
	signin ann@example.test -REMOTE_ADDR
	sid2=$SID
	signin ann@example.test
	sql "UPDATE sessions SET revoked_at = now() WHERE id = :'s'" s="$SID"
	signin ann@example.test
	cgi GET sessions.cgi HTTP_AUTHORIZATION="Bearer $AT" REQUEST_URI=/user/sessions
	assert_status 200
	assert_std_headers
	assert_jq "[.sessions[] | .id] == [\"$SID\", \"$sid2\", \"$sid1\"]"
	assert_jq '
	    [.sessions[] | .current] == [true, false, false]
	    and .sessions[2].user_agent == "Phone" and .sessions[2].ip == "203.0.113.9"
	    and .sessions[1].user_agent == null and .sessions[1].ip == null
	    and ([.sessions[] | .created_at, .last_used_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")] | all)
	    and ([.sessions[] | keys == ["created_at", "current", "id", "ip", "last_used_at", "user_agent"]] | all)'
}

# docs/CONTRACT.md SE-11
@test "DELETE /user/sessions/{id} ends that session of the user; anything else is 404" {
	local uid other_at other_sid bob_sid
	uid=$(account ann@example.test)
	account bob@example.test >/dev/null
	signin bob@example.test
	bob_sid=$SID
	signin ann@example.test
	other_at=$AT other_sid=$SID
	signin ann@example.test
	cgi DELETE sessions.cgi HTTP_AUTHORIZATION="Bearer $AT" REQUEST_URI="/user/sessions/$other_sid"
	assert_status 200
	assert_body --raw '{"message":"Session revoked"}'
	[[ $(session_revoked "$other_sid") == t ]]
	[[ $(sql "SELECT user_id FROM audit_events WHERE event = 'session_revoked'") == "$uid" ]]
	profile "$other_at"
	assert_invalid_token
	profile "$AT"
	assert_status 200
	# Already ended, another user's, unknown, malformed: 404, nothing changes.
	for path in "/user/sessions/$other_sid" "/user/sessions/$bob_sid" /user/sessions/nope \
	    "/user/sessions/a%20b"; do
		cgi DELETE sessions.cgi HTTP_AUTHORIZATION="Bearer $AT" REQUEST_URI="$path"
		assert_status 404
		assert_body --raw '{"detail":"Session not found"}'
	done
	[[ $(session_revoked "$bob_sid") == f ]]
	# Under a base path, with a trailing slash, or as PATH_INFO.
	signin ann@example.test
	local third=$SID
	cgi DELETE sessions.cgi HTTP_AUTHORIZATION="Bearer $AT" REQUEST_URI="/app/user/sessions/$third/?x=1"
	assert_status 200
	signin ann@example.test
	third=$SID
	signin ann@example.test
	cgi DELETE sessions.cgi HTTP_AUTHORIZATION="Bearer $AT" PATH_INFO="/$third"
	assert_status 200
	[[ $(session_revoked "$third") == t ]]
}

# docs/CONTRACT.md SE-11, SE-10, TK-1
@test "/user/sessions answers GET, /user/sessions/{id} DELETE; both need a live Bearer token" {
	account ann@example.test >/dev/null
	signin ann@example.test
	cgi DELETE sessions.cgi HTTP_AUTHORIZATION="Bearer $AT" REQUEST_URI=/user/sessions
	assert_status 405
	assert_header Allow 'GET, HEAD, OPTIONS'
	cgi GET sessions.cgi HTTP_AUTHORIZATION="Bearer $AT" REQUEST_URI="/user/sessions/$SID"
	assert_status 405
	assert_header Allow 'DELETE, OPTIONS'
	cgi POST sessions.cgi '{}' REQUEST_URI=/user/sessions
	assert_status 405
	assert_header Allow 'GET, DELETE, OPTIONS'
	cgi GET sessions.cgi REQUEST_URI=/user/sessions
	assert_status 401
	assert_body --raw "$NOT_AUTHENTICATED"
	cgi DELETE sessions.cgi HTTP_AUTHORIZATION="Bearer x.y.z" REQUEST_URI="/user/sessions/$SID"
	assert_invalid_token
	[[ $(session_revoked "$SID") == f ]]
	sql "UPDATE sessions SET revoked_at = now()"
	cgi GET sessions.cgi HTTP_AUTHORIZATION="Bearer $AT" REQUEST_URI=/user/sessions
	assert_invalid_token
}

# ---------------------------------------------------------------------------
# A password reset (SE-9)

# docs/CONTRACT.md SE-9
@test "a password reset ends every session of the user and kills every other reset token" {
	local uid t1 t2
	uid=$(account ann@example.test)
	signin ann@example.test
	make_token "$uid"
	t1=$token
	make_token "$uid"
	t2=$token
	cgi POST reset-password.cgi "$(jobj token "$t1" new_password NewStrongPass123 confirm_password NewStrongPass123)"
	assert_status 200
	[[ $(sql "SELECT count(*) FROM sessions WHERE user_id = :'u' AND revoked_at IS NULL" u="$uid") == 0 ]]
	refresh "$RT"
	assert_invalid_refresh
	profile "$AT"
	assert_invalid_token
	cgi POST reset-password.cgi "$(jobj token "$t2" new_password OtherStrongPass123 confirm_password OtherStrongPass123)"
	assert_status 400
}

# docs/CONTRACT.md MF-16, SE-5
@test "a token without sid is refused for an account with two-factor sign-in on, even while LEGACY_TOKENS_UNTIL is ahead" {
	local ann bob now t_ann t_bob
	bob=$(account bob@example.test)
	ann=$(account ann@example.test)
	mfa_on "$ann" ann@example.test StrongPass123
	now=$(date +%s)
	t_ann=$(make_jwt "{\"sub\":\"$ann\",\"email\":\"ann@example.test\",\"iat\":$now,\"exp\":$((now + 600))}")
	t_bob=$(make_jwt "{\"sub\":\"$bob\",\"email\":\"bob@example.test\",\"iat\":$now,\"exp\":$((now + 600))}")
	profile "$t_ann" LEGACY_TOKENS_UNTIL=$((now + 3600))
	assert_invalid_token
	[[ $(sql "SELECT user_id, detail FROM audit_events WHERE event = 'token_rejected'") == "$ann|legacy token" ]]
	cgi POST mfa-disable.cgi "$(jobj password StrongPass123 code "$(totp "$MFA_SECRET")")" \
	    HTTP_AUTHORIZATION="Bearer $t_ann" LEGACY_TOKENS_UNTIL=$((now + 3600))
	assert_invalid_token
	# Without two-factor sign-in, the same kind of token still works.
	profile "$t_bob" LEGACY_TOKENS_UNTIL=$((now + 3600))
	assert_status 200
	assert_jq '.email == "bob@example.test"'
}
