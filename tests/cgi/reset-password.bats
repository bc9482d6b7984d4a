#!/usr/bin/env bats
# POST /auth/reset-password (cgi-bin/reset-password.cgi): a mailed token sets
# a new password once; the reset revokes older access tokens and reset tokens,
# clears the login lock, verifies the account and tells the owner by mail.

load helpers

OK_BODY='{"message":"Password reset successfully. Please log in again."}'
BAD_TOKEN_BODY='{"detail":"Invalid or expired reset token"}'
GUESSABLE_BODY='{"detail":[{"loc":["body","new_password"],"msg":"Value error, Password is too easy to guess","type":"value_error"}]}'

# request_token EMAIL: forgot-password for EMAIL, then sets the global token
# to the token of the reset link mailed to it (the newest mail must be a new one).
request_token() {
	local before
	before=$(mail_count "$1")
	cgi POST forgot-password.cgi "{\"email\":\"$1\"}" || return 1
	assert_status 200 || return 1
	mail_wait "$1" $((before + 1)) || return 1
	token=$(mail_reset_token "$1") || return 1
}

# reset_body TOKEN NEW [CONFIRM]: the JSON body of a reset request.
reset_body() {
	jobj token "$1" new_password "$2" confirm_password "${3:-$2}"
}

# login_jwt EMAIL PASSWORD: runs login.cgi; on 200 sets the global jwt.
login_jwt() {
	jwt=
	cgi POST login.cgi "$(jobj email "$1" password "$2")" || return 1
	if [[ $cgi_status == 200 ]]; then
		jwt=$(json_get .access_token)
	fi
}

# next_second: sleeps until the wall clock starts a new second.
next_second() {
	local ns
	ns=$(date +%N)
	sleep "$(awk -v ns="$ns" 'BEGIN { printf "%.3f", (1e9 - ns) / 1e9 }')"
}

# hash_of_id ID prints the stored password hash of account ID.
hash_of_id() {
	sql "SELECT password_hash FROM users WHERE id = $1"
}

# docs/CONTRACT.md PW-5
@test "reset-password with a mailed token gives 200 Password reset successfully and stores a new hash" {
	local old
	add_user ann@example.test "Ann Smith" StrongPass123 t
	old=$(hash_of_id 1)
	request_token ann@example.test
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
	assert_body --raw "$OK_BODY"
	assert_std_headers
	[[ $(hash_of_id 1) != "$old" ]]
	[[ $(hash_of_id 1) == '$argon2id$'* ]]
	[[ $(sql "SELECT used_at IS NOT NULL FROM reset_tokens") == t ]]
}

# docs/CONTRACT.md PW-5
@test "after a reset the new password logs in and the old one gets 401" {
	add_user ann@example.test "Ann Smith" StrongPass123 t
	make_token 1
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
	login_jwt ann@example.test NewStrongPass123
	assert_status 200
	assert_json .token_type bearer
	login_jwt ann@example.test StrongPass123
	assert_status 401
	assert_body --raw '{"detail":"Invalid email or password"}'
	assert_header WWW-Authenticate Bearer
}

# docs/CONTRACT.md PW-5, TK-3
@test "an access token issued before the reset is rejected with 401 Invalid or expired token" {
	local before
	add_user ann@example.test "Ann Smith" StrongPass123 t
	make_token 1
	# Login and reset back to back at the start of a second, so that most
	# often both fall within it: the hardest case for a revocation by time.
	next_second
	login_jwt ann@example.test StrongPass123
	assert_status 200
	before=$jwt
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
	# The token itself is sound (signature, claims, not expired) ...
	"$MC_PYTHON" -c 'import sys, jwt; jwt.decode(sys.argv[1], sys.argv[2], algorithms=["HS256"])' \
	    "$before" "$MC_TEST_JWT_KEY"
	# ... but the reset revoked it.
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $before"
	assert_status 401
	assert_body --raw '{"detail":"Invalid or expired token"}'
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
}

# docs/CONTRACT.md PW-5, TK-3
@test "an access token from a login right after the reset works, even within the same second" {
	add_user ann@example.test "Ann Smith" StrongPass123 t
	make_token 1
	next_second
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
	login_jwt ann@example.test NewStrongPass123
	assert_status 200
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $jwt"
	assert_status 200
	assert_body --raw '{"id":1,"full_name":"Ann Smith","email":"ann@example.test","is_verified":true}'
}

# docs/CONTRACT.md PW-5, TK-3
@test "a reset revokes the access tokens of that account only" {
	local bobs
	add_user ann@example.test "Ann Smith" StrongPass123 t
	add_user bob@example.test "Bob Jones" StrongPass123 t
	login_jwt bob@example.test StrongPass123
	assert_status 200
	bobs=$jwt
	make_token 1
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $bobs"
	assert_status 200
	assert_json .email bob@example.test
}

# docs/CONTRACT.md PW-5
@test "a successful reset kills every other outstanding reset token of the account" {
	local first second after
	add_user ann@example.test "Ann Smith" StrongPass123 t
	request_token ann@example.test
	first=$token
	sql "UPDATE mail_outbox SET created_at = created_at - interval '61 seconds'"
	request_token ann@example.test
	second=$token
	[[ $first != "$second" ]]
	cgi POST reset-password.cgi "$(reset_body "$second" NewStrongPass123)"
	assert_status 200
	after=$(hash_of_id 1)
	cgi POST reset-password.cgi "$(reset_body "$first" AnotherStrongPass456)"
	assert_status 400
	assert_body --raw "$BAD_TOKEN_BODY"
	[[ $(hash_of_id 1) == "$after" ]]
	[[ $(sql "SELECT count(*) FROM reset_tokens WHERE used_at IS NULL") == 0 ]]
}

# docs/CONTRACT.md MF-8, PW-4
@test "a successful reset ends every mfa_token of the account and only of it" {
	add_user ann@example.test "Ann Smith" StrongPass123 t
	add_user bob@example.test "Bob Other" StrongPass123 t
	sql "INSERT INTO mfa_tokens (user_id, token_hash, expires_at)
	     VALUES (1, sha256('a'), now() + interval '5 minutes'), (2, sha256('b'), now() + interval '5 minutes')" >/dev/null
	request_token ann@example.test
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
	[[ $(sql "SELECT string_agg(user_id::text, ',') FROM mfa_tokens") == 2 ]]
}

# docs/CONTRACT.md PW-4
@test "a reset token works only once: the second use gets 400 and changes nothing" {
	local after
	add_user ann@example.test "Ann Smith" StrongPass123 t
	request_token ann@example.test
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
	after=$(hash_of_id 1)
	mail_wait ann@example.test 2
	cgi POST reset-password.cgi "$(reset_body "$token" AnotherStrongPass456)"
	assert_status 400
	assert_body --raw "$BAD_TOKEN_BODY"
	assert_header Content-Type application/json
	[[ $(hash_of_id 1) == "$after" ]]
	# the link and one "password changed": no second one
	[[ $(sql "SELECT count(*) FROM mail_outbox") == 2 && $(mail_count) == 2 ]]
}

# docs/CONTRACT.md PW-4
@test "an expired reset token gets 400 and changes nothing" {
	local old
	add_user ann@example.test "Ann Smith" StrongPass123 t
	old=$(hash_of_id 1)
	make_token 1
	sql "UPDATE reset_tokens SET expires_at = now() - interval '1 second'"
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 400
	assert_body --raw "$BAD_TOKEN_BODY"
	[[ $(hash_of_id 1) == "$old" ]]
	[[ $(sql "SELECT used_at IS NULL FROM reset_tokens") == t ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox") == 0 && $(mail_count) == 0 ]]
}

# docs/CONTRACT.md PW-4
@test "an unknown reset token gets 400 and changes nothing" {
	local old
	add_user ann@example.test "Ann Smith" StrongPass123 t
	old=$(hash_of_id 1)
	make_token 1
	cgi POST reset-password.cgi "$(reset_body "$(openssl rand 32 | basenc --base64url | tr -d '=')" NewStrongPass123)"
	assert_status 400
	assert_body --raw "$BAD_TOKEN_BODY"
	[[ $(hash_of_id 1) == "$old" ]]
	[[ $(sql "SELECT used_at IS NULL FROM reset_tokens") == t ]]
}

# docs/CONTRACT.md PW-4, PW-3
@test "the stored SHA-256 of a token does not work as a token" {
	local stored
	add_user ann@example.test "Ann Smith" StrongPass123 t
	request_token ann@example.test
	stored=$(sql "SELECT encode(token_hash, 'hex') FROM reset_tokens")
	cgi POST reset-password.cgi "$(reset_body "$stored" NewStrongPass123)"
	assert_status 400
	assert_body --raw "$BAD_TOKEN_BODY"
	[[ $(sql "SELECT used_at IS NULL FROM reset_tokens") == t ]]
}

# docs/CONTRACT.md PW-5, LI-6
@test "a reset clears the login lock of the account" {
	local i
	add_user ann@example.test "Ann Smith" StrongPass123 t
	for i in 1 2 3 4 5; do
		login_jwt ann@example.test "WrongPass$i"
		assert_status 401
	done
	login_jwt ann@example.test StrongPass123
	assert_status 429 # locked, even with the right password
	make_token 1
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
	[[ $(sql "SELECT count(*) FROM login_failures WHERE email = 'ann@example.test' AND locked_until > now()") == 0 ]]
	login_jwt ann@example.test NewStrongPass123
	assert_status 200
}

# docs/CONTRACT.md PW-5, LI-6
@test "a reset clears every login lock of the email: each address's and the email-wide one" {
	add_user ann@example.test "Ann Smith" StrongPass123 t
	sql "INSERT INTO login_failures (email, client, failures, window_start, locked_until) VALUES
	       ('ann@example.test', '198.51.100.1', 5, now(), now() + interval '15 minutes'),
	       ('ann@example.test', '', 5, now(), now() + interval '15 minutes'),
	       ('bob@example.test', '198.51.100.1', 5, now(), now() + interval '15 minutes');
	     INSERT INTO login_email_failures (email, failures, window_start, locked_until) VALUES
	       ('ann@example.test', 100, now(), now() + interval '15 minutes'),
	       ('bob@example.test', 100, now(), now() + interval '15 minutes');" >/dev/null
	login_jwt ann@example.test StrongPass123
	assert_status 429
	make_token 1
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
	[[ $(sql "SELECT string_agg(email, ',') FROM login_failures") == bob@example.test ]]
	[[ $(sql "SELECT string_agg(email, ',') FROM login_email_failures") == bob@example.test ]]
	login_jwt ann@example.test NewStrongPass123
	assert_status 200
}

# docs/CONTRACT.md PW-5
@test "a reset makes an unverified account verified" {
	add_user una@example.test "Una Verified" StrongPass123 f
	request_token una@example.test
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
	[[ $(sql "SELECT is_verified FROM users WHERE id = 1") == t ]]
	login_jwt una@example.test NewStrongPass123
	assert_status 200
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $jwt"
	assert_status 200
	assert_json .is_verified true
	# The name was typed at a sign-up nobody had proven: the notice greets no one.
	mail_wait una@example.test 2
	[[ $(mail_header una@example.test Subject) =~ [Pp]assword.*changed ]]
	[[ $(mail_text una@example.test) == "Hello,"[[:space:]]* ]]
}

# docs/CONTRACT.md PW-5
@test "a reset mails the owner that the password was changed" {
	local text
	add_user ann@example.test "Ann Smith" StrongPass123 t
	add_user bob@example.test "Bob Jones" StrongPass123 t
	request_token ann@example.test
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
	mail_wait ann@example.test 2
	[[ $(mail_count) == 2 ]]
	[[ $(mail_count bob@example.test) == 0 ]]
	[[ $(mail_header ann@example.test To) == *"ann@example.test"* ]]
	[[ $(mail_header ann@example.test Subject) =~ [Pp]assword.*changed ]]
	text=$(mail_text ann@example.test)
	[[ $text =~ [Pp]assword.*changed ]]
	[[ $text == "Hello Ann Smith,"* ]]
	# It carries no live secret: neither the token nor the new password.
	[[ $text != *"$token"* && $text != *NewStrongPass123* ]]
	[[ $(sql "SELECT kind, status FROM mail_outbox ORDER BY id DESC LIMIT 1") == "password_changed|sent" ]]
}

# docs/CONTRACT.md PW-4, IN-3
@test "new_password different from confirm_password gets 422 on confirm_password and changes nothing" {
	local old
	add_user ann@example.test "Ann Smith" StrongPass123 t
	old=$(hash_of_id 1)
	make_token 1
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123 NewStrongPass124)"
	assert_status 422
	assert_body --raw '{"detail":[{"loc":["body","confirm_password"],"msg":"Value error, Passwords do not match","type":"value_error"}]}'
	assert_header Content-Type application/json
	[[ $(hash_of_id 1) == "$old" ]]
	[[ $(sql "SELECT used_at IS NULL FROM reset_tokens") == t ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox") == 0 && $(mail_count) == 0 ]]
	# The token is still good.
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
}

# docs/CONTRACT.md PW-4, IN-3
@test "a guessable new password (Password123) gets 422 on new_password and the token stays usable" {
	local old
	add_user ann@example.test "Ann Smith" StrongPass123 t
	old=$(hash_of_id 1)
	make_token 1
	cgi POST reset-password.cgi "$(reset_body "$token" Password123)"
	assert_status 422
	assert_body --raw "$GUESSABLE_BODY"
	[[ $(hash_of_id 1) == "$old" ]]
	[[ $(sql "SELECT used_at IS NULL FROM reset_tokens") == t ]]
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
	assert_body --raw "$OK_BODY"
}

# Zorblax2024 scores about 37 bits on its own but about 11 once "zorblax" is a
# dictionary word: only a check that knows the account's name rejects it.
# docs/CONTRACT.md PW-4, IN-3
@test "a new password built from the account's own name gets 422, though another account may use it" {
	local old
	add_user zorblax@example.test "Zorblax Quintavius" StrongPass123 t
	add_user ann@example.test "Ann Smith" StrongPass123 t
	old=$(hash_of_id 1)
	make_token 1
	cgi POST reset-password.cgi "$(reset_body "$token" Zorblax2024)"
	assert_status 422
	assert_body --raw "$GUESSABLE_BODY"
	[[ $(hash_of_id 1) == "$old" ]]
	[[ $(sql "SELECT used_at IS NULL FROM reset_tokens WHERE user_id = 1") == t ]]
	# The same password is fine for an account whose name and email lack the word.
	make_token 2
	cgi POST reset-password.cgi "$(reset_body "$token" Zorblax2024)"
	assert_status 200
	assert_body --raw "$OK_BODY"
}

# Quintavius2024 scores about 41 bits on its own, about 10 with the local part
# "quintavius" of the address as a dictionary word.
# docs/CONTRACT.md PW-4, IN-3
@test "a new password built from the account's own email address gets 422" {
	local old
	add_user quintavius@example.test "Ann Smith" StrongPass123 t
	old=$(hash_of_id 1)
	make_token 1
	cgi POST reset-password.cgi "$(reset_body "$token" Quintavius2024)"
	assert_status 422
	assert_body --raw "$GUESSABLE_BODY"
	[[ $(hash_of_id 1) == "$old" ]]
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
}

# docs/CONTRACT.md G-2
@test "reset-password with no fields gets 422 listing token, new_password and confirm_password in order" {
	cgi POST reset-password.cgi '{}'
	assert_status 422
	assert_body --raw '{"detail":[{"loc":["body","token"],"msg":"Field required","type":"missing"},{"loc":["body","new_password"],"msg":"Field required","type":"missing"},{"loc":["body","confirm_password"],"msg":"Field required","type":"missing"}]}'
	assert_header Content-Type application/json
}

# docs/CONTRACT.md G-7
@test "reset-password with a token that is not a string gets 422 string_type" {
	cgi POST reset-password.cgi '{"token":123,"new_password":"NewStrongPass123","confirm_password":"NewStrongPass123"}'
	assert_status 422
	assert_body --raw '{"detail":[{"loc":["body","token"],"msg":"Input should be a valid string","type":"string_type"}]}'
}

# docs/CONTRACT.md G-8, PW-4
@test "a field error (422) answers before an unknown token (400)" {
	cgi POST reset-password.cgi "$(reset_body not-a-real-token Password123)"
	assert_status 422
	assert_body --raw "$GUESSABLE_BODY"
	cgi POST reset-password.cgi "$(reset_body not-a-real-token NewStrongPass123 NewStrongPass124)"
	assert_status 422
	assert_body --raw '{"detail":[{"loc":["body","confirm_password"],"msg":"Value error, Passwords do not match","type":"value_error"}]}'
}

# docs/CONTRACT.md G-9
@test "reset-password with the database unreachable gives 503 and changes nothing" {
	local old
	add_user ann@example.test "Ann Smith" StrongPass123 t
	old=$(hash_of_id 1)
	make_token 1
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)" $(db_down)
	assert_status 503
	assert_body --raw '{"detail":"Service temporarily unavailable"}'
	assert_header Cache-Control no-store
	[[ $(hash_of_id 1) == "$old" ]]
	[[ $(sql "SELECT used_at IS NULL FROM reset_tokens") == t ]]
	# Nothing was spent: the same token works once the database is back.
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
}

# docs/CONTRACT.md MF-15, PW-4, MF-8
@test "a password reset leaves two-factor sign-in on: the next login with the new password answers mfa_required" {
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	mfa_on 1 ann@example.test StrongPass123
	request_token ann@example.test
	cgi POST reset-password.cgi "$(reset_body "$token" NewStrongPass123)"
	assert_status 200
	[[ $(sql "SELECT enabled_at IS NOT NULL, secret_sealed IS NOT NULL FROM user_mfa WHERE user_id = 1") == 't|t' ]]
	[[ $(sql "SELECT count(*) FROM mfa_recovery_codes WHERE user_id = 1 AND used_at IS NULL") == 10 ]]
	cgi POST login.cgi "$(jobj email ann@example.test password NewStrongPass123)"
	assert_status 200
	assert_jq '.mfa_required == true and .expires_in == 300 and (has("access_token") | not)'
}
