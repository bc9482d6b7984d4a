#!/usr/bin/env bats
# POST /auth/resend-otp (cgi-bin/resend-otp.cgi): docs/CONTRACT.md RO-1,
# RO-2, the mail cooldown shared with sign-up (SU-6), a new code killing the
# old one (SU-4), and the general rules (G-*).

load helpers

# ---------------------------------------------------------------------------
# Local helpers

OK_BODY='{"message":"If the account exists and is not verified, a new OTP has been sent"}'
LIMIT_BODY='{"detail":"Too many verification emails requested. Please try again later."}'
BAD_OTP_BODY='{"detail":"Invalid or expired OTP"}'
EMAIL_PREFIX='value is not a valid email address: '

# resend EMAIL [VAR=value]...
resend() {
	local email=$1
	shift
	cgi POST resend-otp.cgi "$(jobj email "$email")" "$@"
}

# otp_state prints every column of the code rows.
otp_state() {
	sql "SELECT user_id, encode(code_hash, 'hex'), expires_at, attempts, created_at FROM otp_codes ORDER BY user_id"
}

# ---------------------------------------------------------------------------
# Answers

# docs/CONTRACT.md RO-2
@test "resend-otp for an unknown email answers the exact 200 and sends nothing" {
	resend nobody@example.com
	assert_status 200
	assert_body --raw "$OK_BODY"
	assert_std_headers
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md RO-2
@test "resend-otp for a verified email answers the same 200 and sends nothing" {
	insert_verified ada@example.com "Ada Lovelace"
	resend ada@example.com
	assert_status 200
	assert_body --raw "$OK_BODY"
	[ "$(counts)" = "1|0|0|0" ]
	[ "$(sql "SELECT is_verified FROM users")" = t ]
}

# docs/CONTRACT.md RO-2
@test "resend-otp for an account verified a moment ago answers 200 within the cooldown, not 429" {
	signed_up ada@example.com
	verify ada@example.com "$code"
	assert_status 200
	resend ada@example.com
	assert_status 200
	assert_body --raw "$OK_BODY"
	refute_header Retry-After
	[ "$(counts)" = "1|0|1|1" ]
}

# docs/CONTRACT.md RO-1, SU-4
@test "resend-otp for an unverified email after the cooldown mails a new code that works; the old one does not" {
	local old before
	signed_up ada@example.com
	old=$code
	before=$(otp_state)
	age_mail ada@example.com 61
	resend ada@example.com
	assert_status 200
	assert_body --raw "$OK_BODY"
	assert_std_headers
	mail_wait ada@example.com 2
	[ "$(mail_count)" = 2 ]
	code=$(mail_otp ada@example.com)
	[[ $code =~ ^[0-9]{6}$ ]]
	[ "$(otp_state)" != "$before" ]
	[ "$(sql "SELECT count(*), min(attempts), min(length(code_hash)) FROM otp_codes")" = "1|0|32" ]
	[ "$(sql "SELECT count(*) FROM mail_outbox WHERE kind = 'otp' AND status = 'sent' AND message IS NULL
	            AND recipient = 'ada@example.com' AND user_id = :'u'" u="$uid")" = 2 ]
	[[ $cgi_stderr != *"$code"* ]]
	if [[ $old != "$code" ]]; then # equal by chance once in 10^6
		verify ada@example.com "$old"
		assert_status 400
		assert_body --raw "$BAD_OTP_BODY"
	fi
	verify ada@example.com "$code"
	assert_status 200
}

# docs/CONTRACT.md RO-1, SU-4, G-7
@test "resend-otp's new code is valid OTP_EXPIRE_MINUTES, and unknown fields are ignored" {
	signed_up ada@example.com
	age_mail ada@example.com 61
	cgi POST resend-otp.cgi '{"email":"ada@example.com","full_name":"X","otp":"000000","unknown":[1]}' \
	    OTP_EXPIRE_MINUTES=7
	assert_status 200
	assert_body --raw "$OK_BODY"
	[ "$(sql "SELECT expires_at - created_at FROM otp_codes")" = 00:07:00 ]
}

# docs/CONTRACT.md IN-1
@test "resend-otp normalizes the email: the mail goes to the lower-cased, trimmed address" {
	local f
	signed_up ada@example.com
	age_mail ada@example.com 61
	resend "  ADA@Example.COM "
	assert_status 200
	assert_body --raw "$OK_BODY"
	mail_wait ada@example.com 2
	f=$(mail_last ada@example.com)
	[ "$(jq -c .rcpt_tos "${f%.eml}.json")" = '["ada@example.com"]' ]
	[ "$(sql "SELECT count(*) FROM mail_outbox WHERE recipient = 'ada@example.com'")" = 2 ]
}

# ---------------------------------------------------------------------------
# The mail cooldown, shared with signup

# docs/CONTRACT.md SU-6, G-10
@test "resend-otp within 60 s of signup gets 429 with Retry-After, no mail, and the code unchanged" {
	local before
	signed_up ada@example.com
	before=$(otp_state)
	resend ada@example.com
	assert_status 429
	assert_body --raw "$LIMIT_BODY"
	assert_retry_after 1 60
	assert_std_headers
	[ "$(otp_state)" = "$before" ]
	[ "$(counts)" = "1|1|1|1" ]
	verify ada@example.com "$code"
	assert_status 200
}

# docs/CONTRACT.md SU-6, G-10
@test "resend-otp within 60 s of another resend gets 429" {
	signed_up ada@example.com
	age_mail ada@example.com 61
	resend ada@example.com
	assert_status 200
	mail_wait ada@example.com 2
	resend ada@example.com
	assert_status 429
	assert_body --raw "$LIMIT_BODY"
	assert_retry_after 1 60
	[ "$(counts)" = "1|1|2|2" ]
}

# docs/CONTRACT.md SU-6
@test "the 5-per-hour OTP mail cap counts signup and resend mails together; a second signup sends no code" {
	local i want before
	signed_up ada@example.com
	for i in 2 3 4 5; do
		age_mail ada@example.com 61
		resend ada@example.com
		assert_status 200
		mail_wait ada@example.com "$i"
	done
	age_mail ada@example.com 61
	before=$(otp_state)
	# A sixth mail within the hour: refused, until the oldest leaves the hour.
	resend ada@example.com
	assert_status 429
	assert_body --raw "$LIMIT_BODY"
	want=$(sql "SELECT ceil(extract(epoch FROM min(created_at) + interval '1 hour' - now()))::int FROM mail_outbox")
	((want > 3000))
	assert_retry_after $((want - 2)) $((want + 1))
	[ "$(otp_state)" = "$before" ]
	[ "$(counts)" = "1|1|5|5" ]
	# A second signup of the address is never a way around it: 409, no code.
	cgi POST signup.cgi "$(jobj full_name "Ada King" email ada@example.com password NewStrongPass123)"
	assert_status 409
	[ "$(sql "SELECT full_name FROM users")" = "Ada Lovelace" ]
	[ "$(counts)" = "1|1|5|5" ]
	# Once the oldest mail is more than an hour old, one more fits.
	sql "UPDATE mail_outbox SET created_at = created_at - interval '1 hour'
	      WHERE id = (SELECT min(id) FROM mail_outbox)" >/dev/null
	resend ada@example.com
	assert_status 200
	mail_wait ada@example.com 6
}

# docs/CONTRACT.md RO-2, G-10
@test "resend-otp of an unknown email answers 200, not 429, whatever the outbox holds" {
	sql "INSERT INTO mail_outbox (kind, recipient, status)
	     SELECT 'otp', 'ghost@example.com', 'sent' FROM generate_series(1, 5)" >/dev/null
	resend ghost@example.com
	assert_status 200
	assert_body --raw "$OK_BODY"
	refute_header Retry-After
	[ "$(counts)" = "0|0|5|0" ]
}

# ---------------------------------------------------------------------------
# 422 and the general rules

# docs/CONTRACT.md IN-1
@test "resend-otp with an invalid email gets 422 and sends nothing" {
	signed_up ada@example.com
	age_mail ada@example.com 61
	cgi POST resend-otp.cgi '{"email":"ada@example"}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr email "${EMAIL_PREFIX}The part after the @-sign is not valid. It should have a period." value_error)")"
	assert_std_headers
	cgi POST resend-otp.cgi '{"email":"ada@@example.com"}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr email "${EMAIL_PREFIX}An email address must have exactly one @-sign." value_error)")"
	[ "$(counts)" = "1|1|1|1" ]
}

# docs/CONTRACT.md G-2, G-7
@test "resend-otp without an email or with a non-string email gets 422" {
	cgi POST resend-otp.cgi '{}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr email 'Field required' missing)")"
	cgi POST resend-otp.cgi '{"email":42}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr email 'Input should be a valid string' string_type)")"
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md G-6
@test "resend-otp answers GET with 405 and an Allow header listing POST" {
	cgi GET resend-otp.cgi
	assert_status 405
	assert_body --raw '{"detail":"Method Not Allowed"}'
	assert_header_token Allow POST
}

# docs/CONTRACT.md G-5, G-3, G-4
@test "resend-otp with a bad content type gets 415, with bad JSON 400, with a huge length 413" {
	cgi POST resend-otp.cgi '{"email":"ada@example.com"}' CONTENT_TYPE=text/plain
	assert_status 415
	assert_body --raw '{"detail":"Unsupported media type: use application/json"}'
	cgi POST resend-otp.cgi '{"email":'
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
	cgi POST resend-otp.cgi CONTENT_TYPE=application/json CONTENT_LENGTH=70000
	assert_status 413
	assert_body --raw '{"detail":"Request body too large"}'
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md G-9
@test "resend-otp with the database unreachable gets 503 and leaks nothing" {
	cgi POST resend-otp.cgi '{"email":"ada@example.com"}' $(db_down)
	assert_status 503
	assert_body --raw '{"detail":"Service temporarily unavailable"}'
	assert_std_headers
}
