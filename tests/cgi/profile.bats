#!/usr/bin/env bats
# GET /user/profile (cgi-bin/profile.cgi): bearer tokens, every way a token
# can be wrong, the database, CORS and the common headers.

load helpers

# ---------------------------------------------------------------------------
# Local helpers

# One Argon2id PHC string per file, at a low cost (read from the string).
setup_file() {
	mc_setup_file
	HASH_STRONG=$(printf '%s' StrongPass123 | argon2 mc-profile-salt1 -id -t 2 -m 10 -p 1 -e)
	# Good PyJWT tokens for ann (id 2) and bob (id 1) of two_users, valid for
	# an hour: made once, since the file runs in well under that.
	ANN_TOKEN=$(make_jwt "$(claims 2 ann@example.test)")
	BOB_TOKEN=$(make_jwt "$(claims 1 bob@example.test)")
	export HASH_STRONG ANN_TOKEN BOB_TOKEN
}

INVALID_TOKEN='{"detail":"Invalid or expired token"}'
NOT_AUTHENTICATED='{"detail":"Not authenticated"}'
UNAVAILABLE='{"detail":"Service temporarily unavailable"}'
ANN_PROFILE='{"id":2,"full_name":"Ann Example","email":"ann@example.test","is_verified":true}'

# The usual two accounts: bob (id 1) and ann (id 2), both verified.
two_users() {
	sql "INSERT INTO users (email, full_name, password_hash, is_verified)
	     VALUES ('bob@example.test', 'Bob Other', :'h', true),
	            ('ann@example.test', 'Ann Example', :'h', true)" h="$HASH_STRONG"
}

# claims SUB EMAIL [IAT_OFFSET] [EXP_OFFSET]: the contract's claims, times
# relative to now (default iat now, exp now + 3600).
claims() {
	local now
	now=$(date +%s)
	printf '{"sub":"%s","email":"%s","iat":%d,"exp":%d}' "$1" "$2" \
	    $((now + ${3:-0})) $((now + ${4:-3600}))
}

# login_token EMAIL: a token from login.cgi (password StrongPass123).
login_token() {
	cgi POST login.cgi "{\"email\":\"$1\",\"password\":\"StrongPass123\"}"
	assert_status 200
	json_get .access_token
}

# forge MODE CLAIMS_JSON [KEY]: a hand-made token PyJWT will not make.
#   rs256-hmac   header alg RS256, signed HMAC-SHA256 with KEY (alg confusion)
#   none-signed  header alg none, with a valid HMAC-SHA256 signature
#   None         header alg None, unsigned
#   no-alg       header without alg, signed HMAC-SHA256
forge() {
	"$MC_PYTHON" -c '
import base64, hashlib, hmac, json, sys
mode, claims, key = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3].encode()
def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def enc(o):
    return b64(json.dumps(o, separators=(",", ":")).encode())
header = {
    "rs256-hmac": {"alg": "RS256", "typ": "JWT"},
    "none-signed": {"alg": "none", "typ": "JWT"},
    "None": {"alg": "None", "typ": "JWT"},
    "no-alg": {"typ": "JWT"},
}[mode]
signing = enc(header) + "." + enc(claims)
sig = b64(hmac.new(key, signing.encode(), hashlib.sha256).digest())
print(signing + "." + ("" if mode == "None" else sig))
' "$1" "$2" "${3:-$MC_TEST_JWT_KEY}"
}

# profile TOKEN [VAR=value]...: GET profile.cgi with Authorization: Bearer TOKEN.
# PyJWT's tokens carry no sid: legacy tokens (docs/CONTRACT.md SE-5), which
# this file's checks of a token's shape accept with LEGACY_TOKENS_UNTIL ahead.
profile() {
	local tok=$1
	shift
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $tok" LEGACY_TOKENS_UNTIL=4102444800 "$@"
}

# A 401 for a token that is there but not good: exactly one WWW-Authenticate,
# with RFC 6750's error="invalid_token", on which a frontend refreshes.
assert_invalid_token() {
	assert_status 401
	assert_body --raw "$INVALID_TOKEN"
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	assert_std_headers
}

# A 401 for a request without bearer credentials: exactly one plain
# WWW-Authenticate: Bearer (no error: there was no token to refresh).
assert_not_authenticated() {
	assert_status 401
	assert_body --raw "$NOT_AUTHENTICATED"
	assert_header WWW-Authenticate Bearer
	assert_header Content-Type application/json
}

EXPOSE='WWW-Authenticate, Retry-After'

# refute_access_control: no Access-Control-* header at all.
refute_access_control() {
	local got
	got=$(grep -i '^access-control-' <<<"$cgi_headers" || true)
	if [[ -n $got ]]; then
		_fail "expected no Access-Control-* header, got: $got"
		return 1
	fi
}

# ---------------------------------------------------------------------------
# Success

@test "profile with a token from login gives 200 and exactly id, full_name, email, is_verified" {
	two_users
	local tok
	tok=$(login_token ann@example.test)
	profile "$tok"
	assert_status 200
	assert_body --raw "$ANN_PROFILE"
	assert_jq '.id | type == "number"'
	assert_std_headers
	refute_header WWW-Authenticate
	[[ $cgi_stderr != *"$tok"* && $cgi_stderr != *"${tok##*.}"* ]] || _fail "the token reached the log"
}

@test "profile shows the account as stored now, a non-ASCII name included" {
	two_users
	sql "UPDATE users SET full_name = 'Zoë Ünal' WHERE id = 2"
	profile "$ANN_TOKEN"
	assert_status 200
	assert_body '{"id":2,"full_name":"Zoë Ünal","email":"ann@example.test","is_verified":true}'
}

@test "profile accepts the Bearer scheme in any case" {
	two_users
	local tok
	tok=$ANN_TOKEN
	cgi GET profile.cgi HTTP_AUTHORIZATION="bearer $tok" LEGACY_TOKENS_UNTIL=4102444800
	assert_status 200
	assert_body --raw "$ANN_PROFILE"
	cgi GET profile.cgi HTTP_AUTHORIZATION="BEARER $tok" LEGACY_TOKENS_UNTIL=4102444800
	assert_status 200
	assert_body --raw "$ANN_PROFILE"
	cgi GET profile.cgi HTTP_AUTHORIZATION="bEaReR $tok" LEGACY_TOKENS_UNTIL=4102444800
	assert_status 200
}

@test "profile accepts a token made by PyJWT with the contract's claims" {
	two_users
	profile "$ANN_TOKEN"
	assert_status 200
	assert_body --raw "$ANN_PROFILE"
	# and one for the other account answers with that account
	profile "$BOB_TOKEN"
	assert_status 200
	assert_body --raw '{"id":1,"full_name":"Bob Other","email":"bob@example.test","is_verified":true}'
}

# ---------------------------------------------------------------------------
# Not authenticated

@test "profile without an Authorization header gives 401 Not authenticated with WWW-Authenticate Bearer" {
	two_users
	cgi GET profile.cgi
	assert_not_authenticated
	assert_header Cache-Control no-store
	assert_header X-Content-Type-Options nosniff
}

@test "profile with another scheme (Basic) gives 401 Not authenticated" {
	two_users
	cgi GET profile.cgi HTTP_AUTHORIZATION="Basic abc"
	assert_not_authenticated
	cgi GET profile.cgi HTTP_AUTHORIZATION="Basic $(printf 'ann@example.test:StrongPass123' | base64 -w0)"
	assert_not_authenticated
	# A valid token under another scheme is still not bearer credentials.
	cgi GET profile.cgi HTTP_AUTHORIZATION="Token $ANN_TOKEN"
	assert_not_authenticated
}

@test "profile with Bearer and no token gives 401 Not authenticated" {
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer"
	assert_not_authenticated
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer "
	assert_not_authenticated
	cgi GET profile.cgi HTTP_AUTHORIZATION=""
	assert_not_authenticated
}

# ---------------------------------------------------------------------------
# Invalid or expired token

@test "profile rejects an unsigned alg none token with 401 Invalid or expired token" {
	two_users
	profile "$(make_jwt "$(claims 2 ann@example.test)" x none)"
	assert_invalid_token
	profile "$(forge None "$(claims 2 ann@example.test)")"
	assert_invalid_token
	profile "$(forge none-signed "$(claims 2 ann@example.test)")"
	assert_invalid_token
}

@test "profile rejects an HS512 token signed with the right key" {
	two_users
	profile "$(make_jwt "$(claims 2 ann@example.test)" "$MC_TEST_JWT_KEY" HS512)"
	assert_invalid_token
}

@test "profile rejects an HS384 token signed with the right key" {
	two_users
	profile "$(make_jwt "$(claims 2 ann@example.test)" "$MC_TEST_JWT_KEY" HS384)"
	assert_invalid_token
}

@test "profile rejects an RS256-labelled token carrying an HMAC of the key" {
	two_users
	profile "$(forge rs256-hmac "$(claims 2 ann@example.test)")"
	assert_invalid_token
}

@test "profile rejects a token without an alg in its header" {
	two_users
	profile "$(forge no-alg "$(claims 2 ann@example.test)")"
	assert_invalid_token
}

@test "profile rejects a token signed with another key" {
	two_users
	profile "$(make_jwt "$(claims 2 ann@example.test)" other-secret-key-0123456789-abcdefghijklmnop)"
	assert_invalid_token
}

@test "profile rejects a tampered payload: another user's id under the old signature" {
	two_users
	local t1 t2
	t1=$BOB_TOKEN
	t2=$ANN_TOKEN
	local -a a b
	IFS=. read -r -a a <<<"$t1"
	IFS=. read -r -a b <<<"$t2"
	[[ ${#a[@]} == 3 && ${#b[@]} == 3 && ${a[1]} != "${b[1]}" ]]
	profile "${a[0]}.${b[1]}.${a[2]}"
	assert_invalid_token
	profile "$t1" # the untouched token is good
	assert_status 200
}

@test "profile rejects a tampered header under the old signature" {
	two_users
	local t h
	t=$ANN_TOKEN
	h=$(printf '{"alg":"HS256","typ":"JWT","kid":"1"}' | base64 -w0 | tr '+/' '-_' | tr -d '=')
	profile "$h.${t#*.}"
	assert_invalid_token
}

@test "profile rejects a token with a changed signature" {
	two_users
	local t s
	t=$ANN_TOKEN
	s=${t##*.}
	if [[ ${s:0:1} == A ]]; then s=B${s:1}; else s=A${s:1}; fi
	profile "${t%.*}.$s"
	assert_invalid_token
	profile "${t%.*}."
	assert_invalid_token
}

@test "profile rejects a token that expired more than the 60 s leeway ago" {
	two_users
	profile "$(make_jwt "$(claims 2 ann@example.test -3720 -120)")"
	assert_invalid_token
}

@test "profile rejects a token issued far in the future" {
	two_users
	profile "$(make_jwt "$(claims 2 ann@example.test 3600 7200)")"
	assert_invalid_token
}

@test "profile rejects a token without exp" {
	two_users
	profile "$(make_jwt "{\"sub\":\"2\",\"email\":\"ann@example.test\",\"iat\":$(date +%s)}")"
	assert_invalid_token
}

@test "profile rejects a token whose sub is not a user id" {
	two_users
	local now sub
	now=$(date +%s)
	for sub in '"abc"' '"0"' '"-2"' '"2abc"' '""'; do
		profile "$(make_jwt "{\"sub\":$sub,\"email\":\"ann@example.test\",\"iat\":$now,\"exp\":$((now + 600))}")"
		assert_invalid_token
	done
}

@test "profile rejects garbage as a token" {
	two_users
	local t
	for t in garbage not.a.jwt a.b.c '...' 'eyJhbGciOiJIUzI1NiJ9..' '%%%.%%%.%%%'; do
		profile "$t"
		assert_invalid_token
	done
}

@test "profile rejects a 10 KB token" {
	two_users
	local big
	big=$(head -c 5000 /dev/zero | tr '\0' A)
	profile "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.$big.$big"
	assert_invalid_token
}

@test "profile rejects the token of a user that was deleted" {
	two_users
	local tok
	tok=$(login_token ann@example.test)
	profile "$tok"
	assert_status 200
	sql "DELETE FROM users WHERE id = 2"
	profile "$tok"
	assert_invalid_token
}

@test "profile rejects a token issued before a password reset and accepts one issued after" {
	two_users
	local now old new
	now=$(date +%s)
	old=$(make_jwt "{\"sub\":\"2\",\"email\":\"ann@example.test\",\"iat\":$((now - 100)),\"exp\":$((now + 3500))}")
	profile "$old"
	assert_status 200
	sql "UPDATE users SET token_min_iat = $((now - 99)) WHERE id = 2"
	profile "$old"
	assert_invalid_token
	new=$(make_jwt "{\"sub\":\"2\",\"email\":\"ann@example.test\",\"iat\":$((now - 99)),\"exp\":$((now + 3501))}")
	profile "$new"
	assert_status 200
	assert_body --raw "$ANN_PROFILE"
	# the revocation is per account: bob's old token still works
	profile "$(make_jwt "{\"sub\":\"1\",\"email\":\"bob@example.test\",\"iat\":$((now - 100)),\"exp\":$((now + 3500))}")"
	assert_status 200
}

@test "after a password reset, a login token issued at once still works while the old one does not" {
	two_users
	local old new iat
	old=$(login_token ann@example.test)
	iat=$("$MC_PYTHON" -c 'import jwt,sys; print(jwt.decode(sys.argv[1], options={"verify_signature": False})["iat"])' "$old")
	sql "UPDATE users SET token_min_iat = $((iat + 1)) WHERE id = 2"
	profile "$old"
	assert_invalid_token
	new=$(login_token ann@example.test)
	profile "$new"
	assert_status 200
	assert_body --raw "$ANN_PROFILE"
}

@test "every 401 has exactly one WWW-Authenticate: error=invalid_token for a bad, expired, revoked or orphaned token, plain Bearer without one" {
	two_users
	local tok n
	tok=$(login_token ann@example.test)
	# bad, tampered, expired, HEAD
	profile garbage
	assert_invalid_token
	profile "${tok%.*}.AAAA"
	assert_invalid_token
	profile "$(make_jwt "$(claims 2 ann@example.test -3720 -120)")"
	assert_invalid_token
	cgi HEAD profile.cgi HTTP_AUTHORIZATION="Bearer garbage"
	assert_status 401
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	# revoked by a reset, then the user gone
	sql "UPDATE users SET token_min_iat = $(($(date +%s) + 5)) WHERE id = 2"
	profile "$tok"
	assert_invalid_token
	sql "DELETE FROM users WHERE id = 2"
	profile "$tok"
	assert_invalid_token
	n=$(grep -ci '^www-authenticate:' <<<"$cgi_headers")
	[[ $n == 1 ]] || _fail "$n WWW-Authenticate headers: $cgi_headers"
	# no credentials, another scheme, no token: no error attribute
	cgi GET profile.cgi
	assert_not_authenticated
	cgi GET profile.cgi HTTP_AUTHORIZATION="Basic abc"
	assert_not_authenticated
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer "
	assert_not_authenticated
	cgi HEAD profile.cgi
	assert_status 401
	assert_header WWW-Authenticate Bearer
	# not a 401: none
	profile "$BOB_TOKEN"
	assert_status 200
	refute_header WWW-Authenticate
}

# ---------------------------------------------------------------------------
# Method, database, configuration

@test "profile answers POST with 405 and an Allow header listing GET" {
	two_users
	cgi POST profile.cgi '{}' HTTP_AUTHORIZATION="Bearer $ANN_TOKEN"
	assert_status 405
	assert_body --raw '{"detail":"Method Not Allowed"}'
	assert_header_token Allow GET
	assert_header Cache-Control no-store
	cgi DELETE profile.cgi
	assert_status 405
	assert_header_token Allow GET
}

@test "profile with a valid token and the database unreachable gives 503" {
	two_users
	profile "$ANN_TOKEN" DATABASE_URL="$(db_down_url)" DB_CONNECT_TIMEOUT=2
	assert_status 503
	assert_body --raw "$UNAVAILABLE"
	assert_header Cache-Control no-store
	refute_header WWW-Authenticate
}

@test "profile with a valid token and the database server stopped gives 503, then 200 once it is back" {
	two_users
	local tok
	tok=$ANN_TOKEN
	pg_down
	profile "$tok" DB_CONNECT_TIMEOUT=2
	pg_up
	assert_status 503
	assert_body --raw "$UNAVAILABLE"
	profile "$tok"
	assert_status 200
}

@test "profile with the database down still answers 401 for a bad or missing token" {
	two_users
	local url
	url=$(db_down_url)
	profile "$(make_jwt "$(claims 2 ann@example.test)" other-secret-key-0123456789-abcdefghijklmnop)" \
	    DATABASE_URL="$url" DB_CONNECT_TIMEOUT=2
	assert_invalid_token
	profile garbage DATABASE_URL="$url" DB_CONNECT_TIMEOUT=2
	assert_invalid_token
	cgi GET profile.cgi DATABASE_URL="$url" DB_CONNECT_TIMEOUT=2
	assert_not_authenticated
}

@test "profile with a JWT key shorter than 32 bytes or none gives 500 and logs it, without the key" {
	two_users
	local tok
	tok=$ANN_TOKEN
	profile "$tok" JWT_SECRET_KEY=tiny-key-Zq9
	assert_status 500
	assert_body --raw '{"detail":"Internal server error"}'
	[[ -n $cgi_stderr ]] || _fail "nothing logged"
	[[ $cgi_stderr != *tiny-key-Zq9* ]] || _fail "the key reached the log"
	profile "$tok" MEDICALCARE_ENV_FILE="$(test_env_file -JWT_SECRET_KEY)"
	assert_status 500
	assert_body --raw '{"detail":"Internal server error"}'
	[[ -n $cgi_stderr ]] || _fail "nothing logged"
}

@test "profile never writes the token or the key to the error log" {
	two_users
	local all=$BATS_TEST_TMPDIR/stderr.all good bad s
	: >"$all"
	good=$ANN_TOKEN
	bad=$(make_jwt "$(claims 2 ann@example.test -3720 -120)")
	profile "$good"
	assert_status 200
	cat -- "$cgi_stderr_file" >>"$all"
	profile "$bad"
	assert_invalid_token
	cat -- "$cgi_stderr_file" >>"$all"
	profile "$(make_jwt "$(claims 2 ann@example.test)" "$MC_TEST_JWT_KEY" HS512)"
	assert_invalid_token
	cat -- "$cgi_stderr_file" >>"$all"
	profile "$good" DATABASE_URL="$(db_down_url)" DB_CONNECT_TIMEOUT=2
	assert_status 503
	cat -- "$cgi_stderr_file" >>"$all"
	for s in "$good" "${good##*.}" "$bad" "${bad##*.}" "$MC_TEST_JWT_KEY"; do
		if grep -qF -- "$s" "$all"; then
			echo "secret in the error log: ${s:0:40}" >&2
			cat -- "$all" >&2
			return 1
		fi
	done
}

# ---------------------------------------------------------------------------
# CORS and common headers

@test "profile from an allowed origin gets Access-Control-Allow-Origin, Vary Origin and Expose-Headers, on success and on 401" {
	two_users
	profile "$ANN_TOKEN" HTTP_ORIGIN=http://localhost:3000
	assert_status 200
	assert_header Access-Control-Allow-Origin http://localhost:3000
	assert_header_token Vary Origin
	assert_header Access-Control-Expose-Headers "$EXPOSE"
	cgi GET profile.cgi HTTP_ORIGIN=http://localhost:3000
	assert_not_authenticated
	assert_header Access-Control-Allow-Origin http://localhost:3000
	assert_header_token Vary Origin
	assert_header Access-Control-Expose-Headers "$EXPOSE"
	# the second entry of CORS_ORIGINS is allowed too, and answered with itself
	profile garbage HTTP_ORIGIN=http://app.example.test
	assert_invalid_token
	assert_header Access-Control-Allow-Origin http://app.example.test
	assert_header_token Vary Origin
	# so that the page can read the header it refreshes on
	assert_header Access-Control-Expose-Headers "$EXPOSE"
	profile "$ANN_TOKEN" HTTP_ORIGIN=http://localhost:3000 DATABASE_URL="$(db_down_url)" DB_CONNECT_TIMEOUT=2
	assert_status 503
	assert_header Access-Control-Expose-Headers "$EXPOSE"
}

@test "profile from an origin that is not allowed gets no Access-Control header at all" {
	two_users
	local o
	for o in http://evil.example http://localhost:3000.evil.example http://localhost:3001 \
	    https://localhost:3000 http://LOCALHOST:3000 null '*'; do
		profile "$ANN_TOKEN" HTTP_ORIGIN="$o"
		assert_status 200
		refute_access_control
	done
	cgi GET profile.cgi HTTP_ORIGIN=http://evil.example
	assert_not_authenticated
	refute_access_control
}

@test "a preflight from an allowed origin gets 204 with the CORS preflight headers" {
	cgi OPTIONS profile.cgi HTTP_ORIGIN=http://localhost:3000 \
	    HTTP_ACCESS_CONTROL_REQUEST_METHOD=GET HTTP_ACCESS_CONTROL_REQUEST_HEADERS=authorization
	assert_status 204
	[[ -z $cgi_body ]] || _fail "a 204 with a body"
	assert_header Access-Control-Allow-Origin http://localhost:3000
	assert_header_token Vary Origin
	assert_header_token Access-Control-Allow-Methods GET
	assert_header Access-Control-Allow-Headers "Authorization, Content-Type"
	assert_header Access-Control-Max-Age 600
	assert_header Cache-Control no-store
	assert_header X-Content-Type-Options nosniff
	# Exposing is for the actual answer, not the preflight.
	refute_header Access-Control-Expose-Headers
}

@test "a preflight from an origin that is not allowed gets no Access-Control header" {
	cgi OPTIONS profile.cgi HTTP_ORIGIN=http://evil.example HTTP_ACCESS_CONTROL_REQUEST_METHOD=GET \
	    HTTP_ACCESS_CONTROL_REQUEST_HEADERS=authorization
	refute_access_control
	[[ $cgi_status != 5* ]] || _fail "a refused preflight is not a server error"
}

@test "every profile response carries Cache-Control no-store and X-Content-Type-Options nosniff" {
	two_users
	local good
	good=$ANN_TOKEN
	local -a runs=(
	    "profile $good"
	    "cgi GET profile.cgi"
	    "profile garbage"
	    "cgi POST profile.cgi {}"
	    "cgi OPTIONS profile.cgi HTTP_ORIGIN=http://localhost:3000 HTTP_ACCESS_CONTROL_REQUEST_METHOD=GET"
	    "cgi OPTIONS profile.cgi HTTP_ORIGIN=http://evil.example HTTP_ACCESS_CONTROL_REQUEST_METHOD=GET"
	    "profile $good DATABASE_URL=$(db_down_url) DB_CONNECT_TIMEOUT=2"
	    "profile $good JWT_SECRET_KEY=tiny-key-Zq9"
	)
	local r
	for r in "${runs[@]}"; do
		# shellcheck disable=SC2086 # word splitting wanted: no argument has spaces
		$r
		assert_header Cache-Control no-store
		assert_header X-Content-Type-Options nosniff
	done
}
