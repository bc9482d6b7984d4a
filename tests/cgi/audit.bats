#!/usr/bin/env bats
# The audit trail (common/audit.h, table audit_events): each security event
# is one row with its account, client address and user agent, written in the
# transaction of the change it records; no password, code, token or hash
# ever reaches the table or the error log.

load helpers

setup_file() {
	mc_setup_file
	HASH_STRONG=$(printf '%s' StrongPass123 | argon2 mc-audit-salt-01 -id -t 1 -m 10 -p 1 -e)
	export HASH_STRONG
}

ADDR=198.51.100.23
UA='Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0'
# Every request of this file comes from ADDR with UA; all stderr is kept.
LOGS=""

c() {
	cgi "$@" REMOTE_ADDR=$ADDR HTTP_USER_AGENT="$UA"
	LOGS+=$cgi_stderr$'\n'
}

# events prints "event|user_id|email|client_address|user_agent|detail" per
# row, oldest first ("" for NULL; email "hmac" when only its keyed hash is kept).
events() {
	sql "SELECT event, coalesce(user_id::text, ''),
	            coalesce(email, CASE WHEN email_hmac IS NOT NULL THEN 'hmac' END, ''),
	            coalesce(host(client_address), ''), coalesce(user_agent, ''), coalesce(detail, '')
	       FROM audit_events ORDER BY id"
}

# assert_events LINE...: the audit table holds exactly these rows, in order.
assert_events() {
	local want got
	want=$(printf '%s\n' "$@")
	got=$(events)
	if [[ $got != "$want" ]]; then
		_fail "expected events:"$'\n'"$want"$'\n'"got:"$'\n'"$got"
		return 1
	fi
}

# docs/CONTRACT.md D-5
@test "signup, verification, login failure, lockout and login success are events with account, address and user agent" {
	local id tok
	c POST signup.cgi "$(jobj full_name 'Ada Lovelace' email ' Ada@Example.COM' password StrongPass123)"
	assert_status 201
	mail_wait ada@example.com
	code=$(mail_otp ada@example.com)
	id=$(sql "SELECT id FROM users")
	c POST verify-otp.cgi "$(jobj email ada@example.com otp "$code")"
	assert_status 200
	c POST login.cgi '{"email":"ada@example.com","password":"StrongPass123"}'
	assert_status 200
	c POST login.cgi '{"email":"nobody@example.com","password":"Wrong12345"}'
	assert_status 401
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" false >/dev/null
	c POST login.cgi '{"email":"ann@example.test","password":"StrongPass123"}'
	assert_status 403
	for _ in 1 2 3 4 5; do
		c POST login.cgi '{"email":"ann@example.test","password":"Wrong12345"}'
		assert_status 401
	done
	c POST login.cgi '{"email":"ann@example.test","password":"Wrong12345"}'
	assert_status 429
	local u="$ADDR|$UA" f="login_failure|2|ann@example.test|$ADDR|$UA|wrong password"
	assert_events \
	    "signup|$id|ada@example.com|$u|new" \
	    "otp_verified|$id|ada@example.com|$u|" \
	    "login_success|$id|ada@example.com|$u|" \
	    "login_failure||hmac|$u|unknown email" \
	    "login_failure|2|ann@example.test|$u|not verified" \
	    "$f" "$f" "$f" "$f" "$f" \
	    "lockout|2|ann@example.test|$u|this address"
	[[ $(sql "SELECT count(*) FROM audit_events WHERE created_at > now() - interval '1 minute'") == 11 ]]
}

# docs/CONTRACT.md D-5
@test "reset requested and completed, and rejected tokens (bad, revoked, user gone), are events" {
	local tok reset gone
	signed_up ada@example.com
	verify ada@example.com "$code"
	tok=$(json_get .access_token)
	sql "DELETE FROM audit_events" >/dev/null
	c POST forgot-password.cgi '{"email":"ada@example.com"}'
	assert_status 200
	c POST forgot-password.cgi '{"email":"nobody@example.com"}'
	assert_status 200
	mail_wait ada@example.com 2
	reset=$(mail_reset_token ada@example.com)
	c POST reset-password.cgi "$(jobj token "$reset" new_password NewStrongPass123 confirm_password NewStrongPass123)"
	assert_status 200
	c GET profile.cgi HTTP_AUTHORIZATION="Bearer $tok"
	assert_status 401
	c GET profile.cgi HTTP_AUTHORIZATION="Bearer garbage"
	assert_status 401
	gone=$(make_jwt "{\"sub\":\"999\",\"email\":\"x@example.test\",\"iat\":$(date +%s),\"exp\":$(($(date +%s) + 600))}")
	c GET profile.cgi HTTP_AUTHORIZATION="Bearer $gone"
	assert_status 401
	local u="$ADDR|$UA"
	assert_events \
	    "reset_requested|1|ada@example.com|$u|" \
	    "reset_requested||hmac|$u|no account" \
	    "reset_completed|1|ada@example.com|$u|" \
	    "token_rejected|1||$u|token revoked" \
	    "token_rejected|||$u|malformed token" \
	    "token_rejected|||$u|account gone"
	# The events outlive the account, with its id (docs/CONTRACT.md AS-8).
	sql "DELETE FROM users" >/dev/null
	[[ $(sql "SELECT count(*) FROM audit_events") == 6 ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE user_id = 1") == 3 ]]
}

# docs/CONTRACT.md D-5, D-3
@test "an event commits with its change: a failed audit write rolls the signup back; a rejected token stays a plain 401" {
	sql "CREATE FUNCTION pg_temp_refuse() RETURNS trigger LANGUAGE plpgsql AS
	     \$\$ BEGIN RAISE EXCEPTION 'refused by test'; END \$\$;
	     CREATE TRIGGER refuse BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION pg_temp_refuse();" >/dev/null
	c POST signup.cgi "$(jobj full_name 'Ada Lovelace' email ada@example.com password StrongPass123)"
	local status=$cgi_status
	c GET profile.cgi HTTP_AUTHORIZATION="Bearer garbage"
	local body=$cgi_body status2=$cgi_status stderr=$cgi_stderr headers=$cgi_headers
	sql "DROP TRIGGER refuse ON audit_events; DROP FUNCTION pg_temp_refuse();" >/dev/null
	[[ $status == 500 ]] || _fail "signup answered $status"
	[[ $(counts) == "0|0|0|0" ]] || _fail "the signup left rows: $(counts)"
	[[ $status2 == 401 && $body == '{"detail":"Invalid or expired token"}' ]] ||
	    _fail "profile answered $status2 $body"
	[[ $headers == *'WWW-Authenticate: Bearer error="invalid_token"'* ]] || _fail "no WWW-Authenticate: $headers"
	[[ $stderr == *"could not record a token_rejected event"* ]] || _fail "not logged: $stderr"
	[[ $(sql "SELECT count(*) FROM audit_events") == 0 ]]
}

# docs/CONTRACT.md D-5
@test "reaching a per-address limit is one client_limited event, not one per refused request" {
	for _ in 1 2 3 4; do
		c POST resend-otp.cgi '{"email":"n@example.test"}' CLIENT_LIMIT_RESEND_OTP=2
	done
	assert_status 429
	assert_events "otp_requested||hmac|$ADDR|$UA|no account" \
	    "client_limited||hmac|$ADDR|$UA|resend_otp" \
	    "otp_requested||hmac|$ADDR|$UA|no account"
}

# docs/CONTRACT.md D-5
@test "resend-otp is an event whatever the address: a code sent, none due, or no account" {
	signed_up ada@example.com
	age_mail ada@example.com 61
	insert_verified ann@example.test "Ann Example"
	sql "DELETE FROM audit_events" >/dev/null
	c POST resend-otp.cgi '{"email":"ada@example.com"}'
	assert_status 200
	c POST resend-otp.cgi '{"email":"ann@example.test"}'
	assert_status 200
	c POST resend-otp.cgi '{"email":"ghost@example.com"}'
	assert_status 200
	local u="$ADDR|$UA"
	assert_events \
	    "otp_requested|1|ada@example.com|$u|" \
	    "otp_requested|2|ann@example.test|$u|none due" \
	    "otp_requested||hmac|$u|no account"
}

# audit_hmac EMAIL: HMAC-SHA256 of EMAIL under the audit key, the key derived
# from the test JWT key as common/conf.c does, in lower-case hex.
audit_hmac() {
	"$MC_PYTHON" -c '
import hashlib, hmac, sys
key = hmac.new(sys.argv[1].encode(), b"medicalcare audit email key v1", hashlib.sha256).digest()
print(hmac.new(key, sys.argv[2].encode(), hashlib.sha256).hexdigest())' "$MC_TEST_JWT_KEY" "$1"
}

# docs/CONTRACT.md D-5
@test "an address that has no account is kept only as its keyed hash, the same at every attempt" {
	local ghost other
	for e in ' Ghost@Example.COM' ghost@example.com; do
		c POST login.cgi "$(jobj email "$e" password Wrong12345)"
		assert_status 401
	done
	c POST forgot-password.cgi '{"email":"ghost@example.com"}'
	assert_status 200
	c POST forgot-password.cgi '{"email":"other@example.com"}'
	assert_status 200
	ghost=$(audit_hmac ghost@example.com) other=$(audit_hmac other@example.com)
	[[ $(sql "SELECT string_agg(event || ':' || email_hmac, ' ' ORDER BY id) FROM audit_events") == \
	    "login_failure:$ghost login_failure:$ghost reset_requested:$ghost reset_requested:$other" ]]
	# The address itself is nowhere in the table.
	[[ $(sql "SELECT count(*) FROM audit_events WHERE email IS NOT NULL") == 0 ]]
	[[ $(sql "SELECT count(*) FROM audit_events a WHERE a::text ILIKE '%ghost%' OR a::text ILIKE '%other@%'") == 0 ]]
	# With another JWT key the hash is another: it is keyed.
	c POST login.cgi '{"email":"ghost@example.com","password":"Wrong12345"}' \
	    JWT_SECRET_KEY=another-key-of-at-least-32-bytes-0123456789
	[[ $(sql "SELECT email_hmac FROM audit_events ORDER BY id DESC LIMIT 1") != "$ghost" ]]
	# An address with an account is written as it is, with the account.
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	c POST login.cgi '{"email":"ann@example.test","password":"Wrong12345"}'
	[[ $(sql "SELECT email || '|' || (email_hmac IS NULL) FROM audit_events ORDER BY id DESC LIMIT 1") == "ann@example.test|true" ]]
}

# docs/CONTRACT.md D-5, D-2
@test "no password, code, token or hash appears in the audit table or the error log" {
	local tok reset dump s hash otp_hex
	LOGS=""
	c POST signup.cgi "$(jobj full_name 'Ada Lovelace' email ada@example.com password StrongPass123)"
	mail_wait ada@example.com
	code=$(mail_otp ada@example.com)
	otp_hex=$(sql "SELECT encode(code_hash, 'hex') FROM otp_codes")
	c POST verify-otp.cgi "$(jobj email ada@example.com otp 000000)"
	c POST verify-otp.cgi "$(jobj email ada@example.com otp "$code")"
	tok=$(json_get .access_token)
	c POST login.cgi '{"email":"ada@example.com","password":"WrongPass9876"}'
	c POST forgot-password.cgi '{"email":"ada@example.com"}'
	mail_wait ada@example.com 2
	reset=$(mail_reset_token ada@example.com)
	c POST reset-password.cgi "$(jobj token "$reset" new_password NewStrongPass123 confirm_password NewStrongPass123)"
	assert_status 200
	c GET profile.cgi HTTP_AUTHORIZATION="Bearer $tok"
	c GET profile.cgi HTTP_AUTHORIZATION="Bearer ${tok%.*}.AAAA"
	hash=$(sql "SELECT password_hash FROM users")
	dump=$(sql "SELECT event, user_id, email, client_address, user_agent, detail FROM audit_events")
	[[ $(sql "SELECT count(*) FROM audit_events") -ge 7 ]]
	for s in StrongPass123 WrongPass9876 NewStrongPass123 "$code" "$otp_hex" "$tok" "${tok##*.}" \
	    "$reset" "$hash" "${hash##*\$}"; do
		[[ -n $s ]] || _fail "an empty secret"
		[[ $dump != *"$s"* ]] || _fail "a secret is in audit_events: ${s:0:12}..."
		[[ $LOGS != *"$s"* ]] || _fail "a secret is in the error log: ${s:0:12}..."
	done
}
