#!/usr/bin/env bats
# POST /auth/login (cgi-bin/login.cgi): tokens, 401/403, lockout, validation,
# and no secret in the error log.

load helpers

# ---------------------------------------------------------------------------
# Local helpers

# Argon2id PHC strings made once per file by the argon2 CLI at a low cost (the
# cost is read from the string, so verifying them is fast).
setup_file() {
	mc_setup_file
	HASH_STRONG=$(printf '%s' StrongPass123 | argon2 mc-login-salt-01 -id -t 2 -m 10 -p 1 -e)
	HASH_WEAK=$(printf '%s' password | argon2 mc-login-salt-02 -id -t 2 -m 10 -p 1 -e)
	HASH_EIGHT=$(printf '%s' Abcdef12 | argon2 mc-login-salt-03 -id -t 2 -m 10 -p 1 -e)
	# A bcrypt hash of StrongPass123 as passlib writes it for the FastAPI
	# version (migration.bats), at bcrypt's lowest cost.
	HASH_BCRYPT=$("$MC_PYTHON" -c 'import bcrypt; print(bcrypt.hashpw(b"StrongPass123", bcrypt.gensalt(4)).decode())')
	# Every stored hash and its digest part, one a line: never to be logged.
	HASH_SECRETS=$(printf '%s\n' "$HASH_STRONG" "${HASH_STRONG##*\$}" "$HASH_WEAK" \
	    "${HASH_WEAK##*\$}" "$HASH_EIGHT" "${HASH_EIGHT##*\$}" "$HASH_BCRYPT" "${HASH_BCRYPT:29}")
	export HASH_STRONG HASH_WEAK HASH_EIGHT HASH_BCRYPT HASH_SECRETS
}

BAD_LOGIN='{"detail":"Invalid email or password"}'
NOT_VERIFIED='{"detail":"Email not verified"}'
UNAVAILABLE='{"detail":"Service temporarily unavailable"}'
JWT_RE='^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'

# refute_logged STRING...: none of the strings appears in the last stderr.
refute_logged() {
	local s
	for s in "$@"; do
		[[ -n $s ]] || continue
		if [[ $cgi_stderr == *"$s"* ]]; then
			_fail "a secret appears in the error log: ${s:0:40}..."
			return 1
		fi
	done
}

# login_no_leak EMAIL PASSWORD [VAR=value | -VAR]...: POSTs {"email","password"} and
# checks that neither the password (when distinctive: 10 bytes or more), a
# stored hash, nor an issued token reached the error log. (No external
# program for ASCII text, see jobj: the lockout tests call it often.)
login_no_leak() {
	local email=$1 pw=$2 body
	local -a secrets=()
	shift 2
	body=$(jobj email "$email" password "$pw")
	cgi POST login.cgi "$body" "$@"
	mapfile -t secrets <<<"$HASH_SECRETS"
	if [[ ${#pw} -ge 10 ]]; then
		secrets+=("$pw")
	fi
	if [[ $cgi_body =~ \"access_token\":\"([^\"]+)\" ]]; then
		secrets+=("${BASH_REMATCH[1]}" "${BASH_REMATCH[1]##*.}")
	fi
	refute_logged "${secrets[@]}"
}

# failures EMAIL: prints the failures count of EMAIL's login_failures row ("" if none).
failures() {
	sql "SELECT failures FROM login_failures WHERE email = :'e'" e="$1"
}

# fail_n EMAIL N [VAR=value | -VAR]...: N logins with a wrong password, each answered 401.
fail_n() {
	local i email=$1 n=$2
	shift 2
	for ((i = 1; i <= n; i++)); do
		login_no_leak "$email" WrongPass999 "$@"
		assert_status 401
		assert_body --raw "$BAD_LOGIN"
	done
}

# assert_429 : a lockout answer: 429, Retry-After an integer in 1..900, a
# {"detail": "<text>"} body, no token.
assert_429() {
	assert_status 429
	assert_retry_after 1 900
	assert_jq 'keys == ["detail"] and (.detail | type == "string" and length > 0)'
	assert_header Content-Type application/json
}

# failures_row EMAIL: EMAIL's login_failures row as
# "failures|locked_until epoch|window_start epoch", to compare before and after.
failures_row() {
	sql "SELECT failures || '|' || coalesce(extract(epoch FROM locked_until)::text, '-')
	       || '|' || extract(epoch FROM window_start)::text
	     FROM login_failures WHERE email = :'e'" e="$1"
}

# lock_now EMAIL [CLIENT]: the state 5 recent failures from CLIENT (default
# 127.0.0.1, cgi's REMOTE_ADDR) leave (the lock itself is tested through
# login.cgi; this saves five slow logins elsewhere).
lock_now() {
	sql "INSERT INTO login_failures (email, client, failures, window_start, locked_until)
	     VALUES (:'e', :'c', 5, now(), now() + interval '900 seconds')
	     ON CONFLICT (email, client) DO UPDATE SET failures = 5, window_start = now(),
	        locked_until = now() + interval '900 seconds'" e="$1" c="${2:-127.0.0.1}"
}

# wide_failures EMAIL: the email-wide failure count ("" if none).
wide_failures() {
	sql "SELECT failures FROM login_email_failures WHERE email = :'e'" e="$1"
}

# ---------------------------------------------------------------------------
# Success

# docs/CONTRACT.md LI-1, SE-1, SE-2
@test "login with the right password gives 200 and exactly the token answer of a new session" {
	insert_user first@example.test "First User" "$HASH_STRONG" true >/dev/null
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	login_no_leak ann@example.test StrongPass123
	assert_status 200
	local tok rt
	tok=$(json_get .access_token)
	rt=$(json_get .refresh_token)
	[[ $tok =~ $JWT_RE ]] || _fail "access_token is not a compact JWS: $tok"
	[[ $rt =~ ^[A-Za-z0-9_-]{43}$ ]] || _fail "refresh_token is not 32 bytes of base64url: $rt"
	assert_body --raw "{\"access_token\":\"$tok\",\"token_type\":\"bearer\",\"expires_in\":3600,\"refresh_token\":\"$rt\"}"
	[[ $(sql "SELECT count(*) FROM sessions WHERE user_id = 2 AND revoked_at IS NULL") == 1 ]]
	[[ $(sql "SELECT count(*) FROM refresh_tokens WHERE user_id = 2
	          AND token_hash = sha256(convert_to(:'t', 'UTF8')) AND spent_at IS NULL" t="$rt") == 1 ]]
	assert_std_headers
	refute_header WWW-Authenticate
}

# docs/CONTRACT.md MF-8, LI-2
@test "login with the right password of an account with two-factor sign-in on answers mfa_required and a token, no session, and keeps the failure count" {
	insert_user first@example.test "First User" "$HASH_STRONG" true >/dev/null
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	mfa_on 2 ann@example.test StrongPass123
	fail_n ann@example.test 2
	local sessions
	sessions=$(sql "SELECT count(*) FROM sessions WHERE user_id = 2")
	login_no_leak ann@example.test StrongPass123
	assert_status 200
	assert_std_headers
	local mt
	mt=$(json_get .mfa_token)
	[[ $mt =~ ^[A-Za-z0-9_-]{43}$ ]] || _fail "mfa_token is not 32 bytes of base64url: $mt"
	assert_body --raw "{\"mfa_required\":true,\"mfa_token\":\"$mt\",\"expires_in\":300}"
	[[ $cgi_stderr != *"$mt"* ]]
	# Stored only as its SHA-256, for 5 minutes, no try spent; no session.
	[[ $(sql "SELECT count(*) FROM mfa_tokens WHERE user_id = 2 AND attempts = 0
	          AND token_hash = sha256(convert_to(:'t', 'UTF8'))
	          AND expires_at BETWEEN now() + interval '295 seconds' AND now() + interval '300 seconds'" t="$mt") == 1 ]]
	[[ $(sql "SELECT count(*) FROM sessions WHERE user_id = 2") == "$sessions" ]]
	# Not a success for the failure counts: the two failures stay.
	[[ $(failures ann@example.test) == 2 ]] || _fail "failures: '$(failures ann@example.test)'"
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'login_success'") == 0 ]]
}

# docs/CONTRACT.md LI-1, TK-2
@test "the login token verifies with PyJWT: HS256 header, sub is the id as a string, email, exp = iat + 3600" {
	insert_user first@example.test "First User" "$HASH_STRONG" true >/dev/null
	local id before after dec
	id=$(insert_user ann@example.test "Ann Example" "$HASH_STRONG" true)
	[[ $id == 2 ]]
	before=$(date +%s)
	login_no_leak ann@example.test StrongPass123
	after=$(date +%s)
	assert_status 200
	dec=$(jwt_decode "$(json_get .access_token)") || _fail "PyJWT refused the token"
	jq -e '.header == {"alg":"HS256","typ":"JWT"}' <<<"$dec" >/dev/null ||
	    _fail "header is not {alg: HS256, typ: JWT}: $dec"
	jq -e '.claims.sub == "2" and .claims.email == "ann@example.test"' <<<"$dec" >/dev/null ||
	    _fail "sub/email wrong: $dec"
	jq -e '(.claims.iat | type == "number") and .claims.exp - .claims.iat == 3600' <<<"$dec" >/dev/null ||
	    _fail "exp - iat is not 3600: $dec"
	jq -e --argjson b "$before" --argjson a "$after" '.claims.iat >= $b - 1 and .claims.iat <= $a + 1' \
	    <<<"$dec" >/dev/null || _fail "iat is not the time of the request ($before..$after): $dec"
}

# docs/CONTRACT.md LI-1, TK-2
@test "login tokens last JWT_EXPIRE_MINUTES when it is set" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	login_no_leak ann@example.test StrongPass123 JWT_EXPIRE_MINUTES=5
	assert_status 200
	local dec
	dec=$(jwt_decode "$(json_get .access_token)") || _fail "PyJWT refused the token"
	jq -e '.claims.exp - .claims.iat == 300' <<<"$dec" >/dev/null || _fail "exp - iat is not 300: $dec"
}

# docs/CONTRACT.md IN-1
@test "login normalizes the email: upper case and surrounding spaces still log in, token email lower case" {
	local id dec
	id=$(insert_user ann@example.test "Ann Example" "$HASH_STRONG" true)
	login_no_leak '  ANN@Example.TEST  ' StrongPass123
	assert_status 200
	dec=$(jwt_decode "$(json_get .access_token)") || _fail "PyJWT refused the token"
	jq -e --arg id "$id" '.claims.sub == $id and .claims.email == "ann@example.test"' <<<"$dec" \
	    >/dev/null || _fail "claims are not the normalized account's: $dec"
}

# docs/CONTRACT.md IN-4
@test "login does not apply the strength rules: an old weak password stored as a hash logs in" {
	insert_user old@example.test "Old Timer" "$HASH_WEAK" true >/dev/null
	login_no_leak old@example.test password
	assert_status 200
	[[ $(json_get .token_type) == bearer ]]
	jwt_decode "$(json_get .access_token)" >/dev/null || _fail "PyJWT refused the token"
	refute_logged "$HASH_WEAK"
}

# docs/CONTRACT.md IN-4
@test "login with an 8-character password works" {
	insert_user eight@example.test "Eight Chars" "$HASH_EIGHT" true >/dev/null
	login_no_leak eight@example.test Abcdef12
	assert_status 200
	jwt_decode "$(json_get .access_token)" >/dev/null || _fail "PyJWT refused the token"
}

# docs/CONTRACT.md LI-2, IN-4
@test "login accepts a password of exactly 1024 bytes for checking (401 when wrong, not 422)" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	login_no_leak ann@example.test "$(printf 'a%.0s' {1..1024})"
	assert_status 401
	assert_body --raw "$BAD_LOGIN"
	[[ $(failures ann@example.test) == 1 ]]
}

# docs/CONTRACT.md LI-2, IN-4
@test "login with a 1-character wrong password is checked and gets 401, not 422" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	login_no_leak ann@example.test x
	assert_status 401
	assert_body --raw "$BAD_LOGIN"
}

# login_json EMAIL PASSWORD_JSON [VAR=value]...: POSTs {"email": EMAIL,
# "password": PASSWORD_JSON}, the password as JSON string text, so that it can
# hold \u0000 (a bash string cannot hold a NUL); then as login_no_leak: none of the
# secrets, nor the password's text before its first NUL, in the error log.
login_json() {
	local email=$1 pw=$2 before
	local -a secrets=()
	shift 2
	cgi POST login.cgi "{\"email\":\"$email\",\"password\":$pw}" "$@"
	mapfile -t secrets <<<"$HASH_SECRETS"
	before=${pw#\"}
	before=${before%%\\u0000*}
	if [[ ${#before} -ge 10 ]]; then
		secrets+=("$before")
	fi
	refute_logged "${secrets[@]}"
}

# nul_password BYTES: JSON string text of a password of BYTES bytes, every
# other one a NUL ("\u0000a\u0000a...").
nul_password() {
	local out='"' i
	for ((i = 0; i < $1; i++)); do
		if ((i % 2 == 0)); then
			out+='\u0000'
		else
			out+=a
		fi
	done
	printf '%s"' "$out"
}

# ---------------------------------------------------------------------------
# A password with a NUL byte: any bytes are a password at login

# docs/CONTRACT.md LI-2, LI-4, IN-4
@test "login with a password holding a NUL gets 401 Invalid email or password and counts a failure like any wrong one" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	login_no_leak ann@example.test WrongPass999
	assert_status 401
	cp -- "$cgi_out_file" "$BATS_TEST_TMPDIR/wrong-password.out"
	login_json ann@example.test '"WrongPass\u0000999x"'
	assert_status 401
	assert_body --raw "$BAD_LOGIN"
	assert_header WWW-Authenticate Bearer
	assert_std_headers
	cmp -s -- "$BATS_TEST_TMPDIR/wrong-password.out" "$cgi_out_file" ||
	    _fail "the NUL password's answer differs from a wrong password's: $(diff "$BATS_TEST_TMPDIR/wrong-password.out" "$cgi_out_file")"
	[[ $(failures ann@example.test) == 2 ]] || _fail "failures: '$(failures ann@example.test)'"
	[[ $(sql "SELECT string_agg(event || ':' || detail, ',' ORDER BY id) FROM audit_events
	          WHERE email = 'ann@example.test'") == 'login_failure:wrong password,login_failure:wrong password' ]] ||
	    _fail "audit: $(sql "SELECT event, detail FROM audit_events")"
	[[ $cgi_stderr != *WrongPass* ]] || _fail "the password reached the log: $cgi_stderr"
	# An unknown email: the same 401, counted for that email too.
	login_json ghost@example.test '"\u0000"'
	assert_status 401
	assert_body --raw "$BAD_LOGIN"
	[[ $(failures ghost@example.test) == 1 ]]
}

# docs/CONTRACT.md IN-4, LI-2
@test "StrongPass123 with a NUL and more after it does not log in to an Argon2id account whose password is StrongPass123" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	local pw
	for pw in '"StrongPass123\u0000x"' '"StrongPass123\u0000"' '"\u0000StrongPass123"' \
	    '"StrongPass123\u0000StrongPass123"'; do
		login_json ann@example.test "$pw"
		assert_status 401
		assert_body --raw "$BAD_LOGIN"
		[[ $cgi_stderr != *StrongPass123* ]] || _fail "the password reached the log: $cgi_stderr"
	done
	[[ $(failures ann@example.test) == 4 ]]
	[[ $(sql "SELECT password_hash FROM users") == "$HASH_STRONG" ]]
	login_no_leak ann@example.test StrongPass123
	assert_status 200
}

# docs/CONTRACT.md IN-4, LI-2
@test "StrongPass123 with a NUL and more after it does not log in to a bcrypt account whose password is StrongPass123" {
	insert_user ann@example.test "Ann Example" "$HASH_BCRYPT" true >/dev/null
	local pw
	# crypt() reads a C string: each of these would be StrongPass123 to it.
	for pw in '"StrongPass123\u0000x"' '"StrongPass123\u0000"' \
	    '"StrongPass123\u0000StrongPass123"'; do
		login_json ann@example.test "$pw"
		assert_status 401
		assert_body --raw "$BAD_LOGIN"
		[[ $cgi_stderr != *StrongPass123* ]] || _fail "the password reached the log: $cgi_stderr"
	done
	[[ $(failures ann@example.test) == 3 ]]
	# Not a match, so the hash was not replaced.
	[[ $(sql "SELECT password_hash FROM users") == "$HASH_BCRYPT" ]]
	login_no_leak ann@example.test StrongPass123
	assert_status 200
	[[ $(sql "SELECT password_hash FROM users") == '$argon2id$'* ]]
}

# docs/CONTRACT.md LI-4, IN-4
@test "5 failed logins with NUL passwords lock the email like any 5 failures" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	local i
	for ((i = 1; i <= 5; i++)); do
		login_json ann@example.test '"StrongPass123\u0000"'
		assert_status 401
	done
	login_no_leak ann@example.test StrongPass123
	assert_429
}

# docs/CONTRACT.md IN-4, LI-2
@test "a 1024-byte password with NULs is checked (401, counted); 1025 bytes gets 422 and counts nothing" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	login_json ann@example.test "$(nul_password 1024)"
	assert_status 401
	assert_body --raw "$BAD_LOGIN"
	[[ $(failures ann@example.test) == 1 ]]
	login_json ann@example.test "$(nul_password 1025)"
	assert_status 422
	assert_body '{"detail":[{"loc":["body","password"],"msg":"String should have at most 1024 characters","type":"string_too_long"}]}'
	[[ $(failures ann@example.test) == 1 ]]
	# Only NULs, or only one.
	login_json ann@example.test "\"$(printf '\\u0000%.0s' {1..1024})\""
	assert_status 401
	login_json ann@example.test '"\u0000"'
	assert_status 401
	[[ $(failures ann@example.test) == 3 ]]
}

# ---------------------------------------------------------------------------
# 401 / 403

# docs/CONTRACT.md LI-2, LI-4
@test "login with a wrong password gives 401 Invalid email or password with WWW-Authenticate Bearer and counts a failure" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	login_no_leak ann@example.test WrongPass999
	assert_status 401
	assert_body --raw "$BAD_LOGIN"
	assert_header WWW-Authenticate Bearer
	assert_header Content-Type application/json
	assert_header Cache-Control no-store
	[[ $(failures ann@example.test) == 1 ]] || _fail "failures row: '$(failures ann@example.test)'"
}

# docs/CONTRACT.md LI-2, G-10, C-2, C-4
@test "login's 401 and 429 from an allowed origin expose WWW-Authenticate (plain Bearer) and Retry-After; another origin gets no Access-Control header" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	login_no_leak ann@example.test WrongPass999 HTTP_ORIGIN=http://localhost:3000
	assert_status 401
	assert_header WWW-Authenticate Bearer
	assert_header Access-Control-Allow-Origin http://localhost:3000
	assert_header Access-Control-Expose-Headers 'WWW-Authenticate, Retry-After'
	login_no_leak ann@example.test WrongPass999 HTTP_ORIGIN=http://evil.example
	assert_status 401
	assert_header WWW-Authenticate Bearer
	[[ $cgi_headers != *[Aa]ccess-[Cc]ontrol-* ]] || _fail "CORS headers for another origin: $cgi_headers"
	lock_now ann@example.test
	login_no_leak ann@example.test StrongPass123 HTTP_ORIGIN=http://localhost:3000
	assert_429
	assert_header Access-Control-Expose-Headers 'WWW-Authenticate, Retry-After'
	login_no_leak ann@example.test StrongPass123 HTTP_ORIGIN=http://evil.example
	assert_429
	[[ $cgi_headers != *[Aa]ccess-[Cc]ontrol-* ]] || _fail "CORS headers for another origin: $cgi_headers"
}

# docs/CONTRACT.md LI-2, LI-4, LI-6
@test "login with an unknown email gives the byte-identical 401 and counts a failure for that email" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	login_no_leak ann@example.test WrongPass999
	assert_status 401
	cp -- "$cgi_out_file" "$BATS_TEST_TMPDIR/wrong-password.out"
	login_no_leak ghost@example.test WrongPass999
	assert_status 401
	assert_body --raw "$BAD_LOGIN"
	assert_header WWW-Authenticate Bearer
	cmp -s -- "$BATS_TEST_TMPDIR/wrong-password.out" "$cgi_out_file" ||
	    _fail "unknown-email response differs from wrong-password response: $(diff "$BATS_TEST_TMPDIR/wrong-password.out" "$cgi_out_file")"
	[[ $(failures ghost@example.test) == 1 ]] || _fail "no failures row for the unknown email"
	[[ $(sql "SELECT count(*) FROM users") == 1 ]]
}

# docs/CONTRACT.md LI-3
@test "login of an unverified account with the right password gives 403 Email not verified and no token" {
	insert_user new@example.test "New User" "$HASH_STRONG" false >/dev/null
	login_no_leak new@example.test StrongPass123
	assert_status 403
	assert_body --raw "$NOT_VERIFIED"
	[[ $(sql "SELECT is_verified FROM users WHERE email = 'new@example.test'") == f ]]
}

# docs/CONTRACT.md LI-2, LI-3
@test "login of an unverified account with a wrong password gives 401, not 403" {
	insert_user new@example.test "New User" "$HASH_STRONG" false >/dev/null
	login_no_leak new@example.test WrongPass999
	assert_status 401
	assert_body --raw "$BAD_LOGIN"
	assert_header WWW-Authenticate Bearer
	[[ $(failures new@example.test) == 1 ]]
}

# docs/CONTRACT.md SU-1, VO-1, LI-1
@test "a verified account made through signup and verify-otp logs in" {
	local body otp
	body='{"full_name":"Sam Signup","email":"sam@example.test","password":"StrongPass123"}'
	cgi POST signup.cgi "$body"
	assert_status 201
	mail_wait sam@example.test
	otp=$(mail_otp sam@example.test)
	cgi POST verify-otp.cgi "{\"email\":\"sam@example.test\",\"otp\":\"$otp\"}"
	assert_status 200
	login_no_leak SAM@example.test StrongPass123
	assert_status 200
	jwt_decode "$(json_get .access_token)" | jq -e '.claims.email == "sam@example.test"' >/dev/null ||
	    _fail "token claims wrong"
	refute_logged "$otp"
}

# ---------------------------------------------------------------------------
# Lockout

# docs/CONTRACT.md LI-1, LI-4
@test "4 failures then the right password gives 200 and resets the failure count" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	fail_n ann@example.test 4
	[[ $(failures ann@example.test) == 4 ]] || _fail "failures: '$(failures ann@example.test)'"
	login_no_leak ann@example.test StrongPass123
	assert_status 200
	[[ $(sql "SELECT count(*) FROM login_failures WHERE email = 'ann@example.test'") == 0 ]] ||
	    _fail "the failures row is still there after a success"
}

# docs/CONTRACT.md LI-2, LI-4, G-10
@test "the 5th failure still gives 401, then even the right password gets 429 with Retry-After" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	fail_n ann@example.test 5
	[[ $(sql "SELECT failures = 5 AND locked_until > now() + interval '840 seconds'
	            AND locked_until <= now() + interval '900 seconds'
	          FROM login_failures WHERE email = 'ann@example.test'") == t ]] ||
	    _fail "no 15-minute lock after 5 failures: $(failures_row ann@example.test)"
	local row
	row=$(failures_row ann@example.test)
	login_no_leak ann@example.test StrongPass123
	assert_429
	refute_header WWW-Authenticate
	# The attempt during the lock neither extends it nor clears it.
	[[ $(failures_row ann@example.test) == "$row" ]] ||
	    _fail "the lock row changed: $row -> $(failures_row ann@example.test)"
	login_no_leak ann@example.test WrongPass999
	assert_429
	[[ $(failures_row ann@example.test) == "$row" ]]
}

# docs/CONTRACT.md LI-2, LI-4, LI-6, G-10
@test "the lock also applies to an unknown email and its 429 body is identical to a known email's" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	lock_now ann@example.test
	login_no_leak ann@example.test StrongPass123
	assert_429
	local known_body=$cgi_body known_headers
	known_headers=$(grep -v -i '^retry-after:' <<<"$cgi_headers")

	fail_n ghost@example.test 5
	[[ $(failures ghost@example.test) == 5 ]]
	login_no_leak ghost@example.test StrongPass123
	assert_429
	[[ $cgi_body == "$known_body" ]] || _fail "429 bodies differ: known=$known_body"
	[[ $(grep -v -i '^retry-after:' <<<"$cgi_headers") == "$known_headers" ]] ||
	    _fail "429 headers differ: known=$known_headers"
	[[ $(sql "SELECT count(*) FROM users") == 1 ]]
}

# docs/CONTRACT.md LI-4, LI-6
@test "failures are counted per normalized email, whatever case and spaces were typed" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	fail_n ' ANN@example.test' 1
	fail_n 'Ann@Example.Test ' 1
	[[ $(sql "SELECT email || '|' || failures FROM login_failures") == 'ann@example.test|2' ]] ||
	    _fail "rows: $(sql "SELECT * FROM login_failures")"
}

# docs/CONTRACT.md LI-4
@test "after the lock ends the right password works again and the failures are gone" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	fail_n ann@example.test 5
	login_no_leak ann@example.test StrongPass123
	assert_429
	sql "UPDATE login_failures SET locked_until = now() - interval '1 second',
	            window_start = window_start - interval '16 minutes'"
	login_no_leak ann@example.test StrongPass123
	assert_status 200
	jwt_decode "$(json_get .access_token)" >/dev/null || _fail "PyJWT refused the token"
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
}

# docs/CONTRACT.md LI-4
@test "after the lock ends one more failure starts a new count and does not lock again" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	lock_now ann@example.test
	sql "UPDATE login_failures SET locked_until = now() - interval '1 second',
	            window_start = window_start - interval '16 minutes'"
	fail_n ann@example.test 1
	[[ $(sql "SELECT failures || '|' || (locked_until IS NULL OR locked_until <= now())
	          FROM login_failures WHERE email = 'ann@example.test'") == '1|true' ]] ||
	    _fail "row after the lock: $(failures_row ann@example.test)"
	login_no_leak ann@example.test StrongPass123
	assert_status 200
}

# docs/CONTRACT.md LI-4
@test "failures older than 15 minutes do not count towards the lock" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	fail_n ann@example.test 4
	sql "UPDATE login_failures SET window_start = window_start - interval '16 minutes'"
	fail_n ann@example.test 1
	[[ $(sql "SELECT failures || '|' || (locked_until IS NULL)
	          FROM login_failures WHERE email = 'ann@example.test'") == '1|true' ]] ||
	    _fail "old failures still counted: $(failures_row ann@example.test)"
	login_no_leak ann@example.test StrongPass123
	assert_status 200
}

# docs/CONTRACT.md LI-4
@test "the lock holds for the email from that address only: the owner's own address still logs in" {
	local a=198.51.100.7 owner=203.0.113.20
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	fail_n ann@example.test 5 REMOTE_ADDR=$a
	login_no_leak ann@example.test StrongPass123 REMOTE_ADDR=$a
	assert_429
	[[ $(sql "SELECT client || '|' || failures FROM login_failures") == "$a|5" ]]
	# The owner, from elsewhere, was never locked out, and a success there
	# does not open the stranger's address.
	login_no_leak ann@example.test StrongPass123 REMOTE_ADDR=$owner
	assert_status 200
	login_no_leak ann@example.test StrongPass123 REMOTE_ADDR=$a
	assert_429
	[[ $(sql "SELECT event || '|' || detail FROM audit_events WHERE event = 'lockout'") == "lockout|this address" ]]
}

# docs/CONTRACT.md LI-4, CL-2
@test "an IPv6 client is locked by its /64: rotating addresses inside it escapes nothing" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	local i
	for i in 1 2 3 4 5; do
		login_no_leak ann@example.test WrongPass999 REMOTE_ADDR="2001:db8:7:7::$i"
		assert_status 401
	done
	[[ $(sql "SELECT client || '|' || failures FROM login_failures") == "2001:db8:7:7::/64|5" ]]
	login_no_leak ann@example.test StrongPass123 REMOTE_ADDR=2001:db8:7:7:ffff::1
	assert_429
	login_no_leak ann@example.test StrongPass123 REMOTE_ADDR=2001:db8:7:8::1
	assert_status 200
}

# docs/CONTRACT.md LI-6
@test "a login without a client address (from the shell) counts by the email alone" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	fail_n ann@example.test 5 -REMOTE_ADDR
	[[ $(sql "SELECT '[' || client || ']' || failures FROM login_failures") == "[]5" ]]
	login_no_leak ann@example.test StrongPass123 -REMOTE_ADDR
	assert_429
	login_no_leak ann@example.test StrongPass123
	assert_status 200
}

# docs/CONTRACT.md LI-4, LI-5
@test "100 failures for one email within an hour from any addresses lock it for every address but those it signed in from within 30 days" {
	local known=203.0.113.20 stale=203.0.113.21 row body
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	login_no_leak ann@example.test StrongPass123 REMOTE_ADDR=$known
	assert_status 200
	login_no_leak ann@example.test StrongPass123 REMOTE_ADDR=$stale
	assert_status 200
	sql "UPDATE login_known_clients SET last_success_at = now() - interval '31 days' WHERE client = :'c'" \
	    c=$stale >/dev/null
	[[ $(sql "SELECT count(*) FROM login_known_clients") == 2 ]]
	# Failures from three addresses all count on the email.
	fail_n ann@example.test 1 REMOTE_ADDR=198.51.100.1
	fail_n ann@example.test 1 REMOTE_ADDR=198.51.100.2
	fail_n ann@example.test 1 REMOTE_ADDR=2001:db8::1
	[[ $(wide_failures ann@example.test) == 3 ]]
	# ... up to the 99th (saving 96 slow logins); the 100th still answers 401 and locks.
	sql "UPDATE login_email_failures SET failures = 99" >/dev/null
	fail_n ann@example.test 1 REMOTE_ADDR=198.51.100.3
	[[ $(sql "SELECT failures = 100 AND locked_until > now() + interval '840 seconds'
	                 AND locked_until <= now() + interval '900 seconds'
	            FROM login_email_failures") == t ]]
	[[ $(sql "SELECT string_agg(detail, ',') FROM audit_events WHERE event = 'lockout'") == "every address" ]]
	row=$(sql "SELECT * FROM login_email_failures")
	# Every other address, new or not, gets 429 even with the right password.
	login_no_leak ann@example.test StrongPass123 REMOTE_ADDR=198.51.100.99
	assert_429
	body=$cgi_body
	login_no_leak ann@example.test StrongPass123 REMOTE_ADDR=$stale
	assert_429
	login_no_leak ann@example.test StrongPass123 -REMOTE_ADDR
	assert_429
	[[ $(sql "SELECT * FROM login_email_failures") == "$row" ]]
	# The address it signed in from lately is open.
	login_no_leak ann@example.test StrongPass123 REMOTE_ADDR=$known
	assert_status 200
	# An unknown email locked the same way answers the same 429.
	sql "INSERT INTO login_email_failures (email, failures, window_start, locked_until)
	     VALUES ('ghost@example.test', 100, now(), now() + interval '900 seconds')" >/dev/null
	login_no_leak ghost@example.test StrongPass123 REMOTE_ADDR=198.51.100.99
	assert_429
	[[ $cgi_body == "$body" ]]
	# After the lock, a new count starts.
	sql "UPDATE login_email_failures SET locked_until = now() - interval '1 second'" >/dev/null
	login_no_leak ann@example.test StrongPass123 REMOTE_ADDR=198.51.100.99
	assert_status 200
	fail_n ann@example.test 1 REMOTE_ADDR=198.51.100.99
	[[ $(wide_failures ann@example.test) == 1 ]]
}

# docs/CONTRACT.md LI-4, LI-5
@test "email-wide failures older than an hour do not count" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	sql "INSERT INTO login_email_failures (email, failures, window_start)
	     VALUES ('ann@example.test', 99, now() - interval '61 minutes')" >/dev/null
	fail_n ann@example.test 1 REMOTE_ADDR=198.51.100.3
	[[ $(sql "SELECT failures || '|' || (locked_until IS NULL) FROM login_email_failures") == "1|true" ]]
	login_no_leak ann@example.test StrongPass123 REMOTE_ADDR=198.51.100.4
	assert_status 200
}

# docs/CONTRACT.md LI-3, LI-5
@test "a sign-in with the right password of an unverified account does not make its address known" {
	insert_user new@example.test "New User" "$HASH_STRONG" false >/dev/null
	login_no_leak new@example.test StrongPass123 REMOTE_ADDR=203.0.113.20
	assert_status 403
	[[ $(sql "SELECT count(*) FROM login_known_clients") == 0 ]]
}

# ---------------------------------------------------------------------------
# Validation and request basics

# docs/CONTRACT.md IN-4
@test "login with a 1025-byte password gives 422 on password and counts nothing" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	login_no_leak ann@example.test "$(printf 'a%.0s' {1..1025})"
	assert_status 422
	assert_body '{"detail":[{"loc":["body","password"],"msg":"String should have at most 1024 characters","type":"string_too_long"}]}'
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
}

# docs/CONTRACT.md IN-4
@test "login with an empty password gives 422 on password and counts nothing" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	login_no_leak ann@example.test ''
	assert_status 422
	assert_body '{"detail":[{"loc":["body","password"],"msg":"String should have at least 1 character","type":"string_too_short"}]}'
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
}

# docs/CONTRACT.md IN-1
@test "login with an invalid email gives 422 on email and counts nothing" {
	login_no_leak not-an-email StrongPass123
	assert_status 422
	assert_jq '.detail | length == 1'
	assert_jq '.detail[0] | keys == ["loc","msg","type"]'
	assert_jq '.detail[0].loc == ["body","email"] and .detail[0].type == "value_error"'
	assert_jq '.detail[0].msg | startswith("value is not a valid email address")'
	login_no_leak 'ann smith@example.test' StrongPass123
	assert_status 422
	assert_jq '.detail | length == 1 and .[0].loc == ["body","email"]'
	login_no_leak 'ann@localhost' StrongPass123
	assert_status 422
	assert_jq '.detail | length == 1 and .[0].loc == ["body","email"]'
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
}

# docs/CONTRACT.md G-2
@test "login with missing fields gives 422 Field required for email and password" {
	cgi POST login.cgi '{}'
	assert_status 422
	assert_body '{"detail":[{"loc":["body","email"],"msg":"Field required","type":"missing"},{"loc":["body","password"],"msg":"Field required","type":"missing"}]}'
}

# docs/CONTRACT.md G-7
@test "login with a password that is not a string gives 422 string_type" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	cgi POST login.cgi '{"email":"ann@example.test","password":123456789}'
	assert_status 422
	assert_body '{"detail":[{"loc":["body","password"],"msg":"Input should be a valid string","type":"string_type"}]}'
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
}

# docs/CONTRACT.md G-7
@test "login ignores unknown fields" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	cgi POST login.cgi '{"email":"ann@example.test","password":"StrongPass123","remember_me":true}'
	assert_status 200
}

# docs/CONTRACT.md G-3
@test "login with a body that is not JSON or not an object gives 400 Invalid JSON body" {
	local b
	for b in 'not json' '["ann@example.test","StrongPass123"]' '"x"' '{"email":"a@b.test",'; do
		cgi POST login.cgi "$b"
		assert_status 400
		assert_body --raw '{"detail":"Invalid JSON body"}'
	done
	cgi POST login.cgi '' CONTENT_TYPE=application/json CONTENT_LENGTH=0
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
}

# docs/CONTRACT.md G-5
@test "login with a Content-Type other than application/json gives 415; charset parameter is fine" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	local body='{"email":"ann@example.test","password":"StrongPass123"}'
	cgi POST login.cgi "$body" CONTENT_TYPE=text/plain
	assert_status 415
	assert_jq 'keys == ["detail"] and (.detail | type == "string")'
	cgi POST login.cgi "$body" CONTENT_TYPE=application/x-www-form-urlencoded
	assert_status 415
	cgi POST login.cgi "$body" -CONTENT_TYPE
	assert_status 415
	cgi POST login.cgi "$body" 'CONTENT_TYPE=application/json; charset=utf-8'
	assert_status 200
}

# docs/CONTRACT.md G-4
@test "login with a body over 64 KiB gives 413 and counts nothing" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	cgi POST login.cgi '{"email":"ann@example.test","password":"x"}' CONTENT_LENGTH=70000
	assert_status 413
	assert_jq 'keys == ["detail"] and (.detail | type == "string")'
	local f=$BATS_TEST_TMPDIR/big.json
	jq -nc --arg p "$(head -c 70000 /dev/zero | tr '\0' a)" '{email:"ann@example.test",password:$p}' >"$f"
	cgi_file POST login.cgi "$f"
	assert_status 413
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
}

# docs/CONTRACT.md G-6
@test "login answers GET with 405 Method Not Allowed and an Allow header listing POST" {
	cgi GET login.cgi
	assert_status 405
	assert_body --raw '{"detail":"Method Not Allowed"}'
	assert_header_token Allow POST
	assert_header Cache-Control no-store
}

# docs/CONTRACT.md G-8
@test "login checks in order 405, 413, 415, 400, 422" {
	cgi GET login.cgi 'not json' CONTENT_LENGTH=70000 CONTENT_TYPE=text/plain
	assert_status 405
	cgi POST login.cgi 'not json' CONTENT_LENGTH=70000 CONTENT_TYPE=text/plain
	assert_status 413
	cgi POST login.cgi 'not json' CONTENT_TYPE=text/plain
	assert_status 415
	cgi POST login.cgi '[1]'
	assert_status 400
	cgi POST login.cgi '{"email":"bad","password":""}'
	assert_status 422
	assert_jq '[.detail[].loc[1]] == ["email","password"]'
}

# docs/CONTRACT.md G-9
@test "login with the database unreachable gives 503 Service temporarily unavailable" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	login_no_leak ann@example.test StrongPass123 DATABASE_URL="$(db_down_url)" DB_CONNECT_TIMEOUT=2
	assert_status 503
	assert_body --raw "$UNAVAILABLE"
	assert_header Cache-Control no-store
	[[ $cgi_stderr != *wrong@* ]] || _fail "the database password reached the log"
}

# docs/CONTRACT.md G-9
@test "login with the database server stopped gives 503, and works once it is back" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	pg_down
	login_no_leak ann@example.test StrongPass123 DB_CONNECT_TIMEOUT=2
	pg_up
	assert_status 503
	assert_body --raw "$UNAVAILABLE"
	login_no_leak ann@example.test StrongPass123
	assert_status 200
}

# ---------------------------------------------------------------------------
# Secrets

# docs/CONTRACT.md D-2
@test "login never writes the password, the stored hash or the token to the error log" {
	local all=$BATS_TEST_TMPDIR/stderr.all tok
	: >"$all"
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	insert_user new@example.test "New User" "$HASH_STRONG" false >/dev/null
	login_no_leak ann@example.test StrongPass123
	assert_status 200
	tok=$(json_get .access_token)
	cat -- "$cgi_stderr_file" >>"$all"
	login_no_leak new@example.test StrongPass123
	assert_status 403
	cat -- "$cgi_stderr_file" >>"$all"
	login_no_leak ghost@example.test StrongPass123
	assert_status 401
	cat -- "$cgi_stderr_file" >>"$all"
	login_no_leak ann@example.test WrongPass999
	assert_status 401
	cat -- "$cgi_stderr_file" >>"$all"
	lock_now ann@example.test
	login_no_leak ann@example.test StrongPass123
	assert_429
	cat -- "$cgi_stderr_file" >>"$all"
	login_no_leak ann@example.test "StrongPass123$(printf 'b%.0s' {1..1020})"
	assert_status 422
	cat -- "$cgi_stderr_file" >>"$all"
	login_json ann@example.test '"StrongPass123\u0000WrongPass999"'
	assert_429
	cat -- "$cgi_stderr_file" >>"$all"
	sql "DELETE FROM login_failures" >/dev/null
	login_json ann@example.test '"StrongPass123\u0000WrongPass999"'
	assert_status 401
	cat -- "$cgi_stderr_file" >>"$all"
	login_json ghost@example.test '"StrongPass123\u0000WrongPass999"'
	assert_status 401
	cat -- "$cgi_stderr_file" >>"$all"
	login_no_leak ann@example.test StrongPass123 DATABASE_URL="$(db_down_url)" DB_CONNECT_TIMEOUT=2
	assert_status 503
	cat -- "$cgi_stderr_file" >>"$all"
	login_no_leak ann@example.test StrongPass123 JWT_SECRET_KEY=tiny-key-Zq9
	assert_status 500
	cat -- "$cgi_stderr_file" >>"$all"
	local s
	for s in StrongPass123 WrongPass999 "$HASH_STRONG" "${HASH_STRONG##*\$}" "$tok" "${tok##*.}" \
	    "$MC_TEST_JWT_KEY" tiny-key-Zq9; do
		if grep -qF -- "$s" "$all"; then
			echo "secret in the error log: ${s:0:40}" >&2
			cat -- "$all" >&2
			return 1
		fi
	done
}
