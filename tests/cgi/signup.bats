#!/usr/bin/env bats
# POST /auth/signup (cgi-bin/signup.cgi): docs/CONTRACT.md SU-1 to SU-6, the
# input rules (IN-*), the general rules (405, 413, 415, 400, 422 and their
# order G-8, 503 G-9), and the Data rules (D-1, D-3, D-4).

load helpers
bats_require_minimum_version 1.5.0

# ---------------------------------------------------------------------------
# Local helpers

OK_BODY='{"message":"OTP sent to your email for verification"}'
LIMIT_BODY='{"detail":"Too many verification emails requested. Please try again later."}'
BAD_OTP_BODY='{"detail":"Invalid or expired OTP"}'
EMAIL_PREFIX='value is not a valid email address: '

teardown() {
	# Two tests add a trigger (each acting on one address only); never leave
	# them behind.
	if [[ -n ${drop_trigger:-} ]]; then
		sql "DROP TRIGGER IF EXISTS mc_test_fail_otp ON otp_codes;
		     DROP FUNCTION IF EXISTS mc_test_fail_otp();
		     DROP TRIGGER IF EXISTS mc_test_slow_insert ON users;
		     DROP FUNCTION IF EXISTS mc_test_slow_insert();" >/dev/null 2>&1 || true
	fi
}

# signup NAME EMAIL PASSWORD [VAR=value]...
signup() {
	local name=$1 email=$2 pw=$3
	shift 3
	cgi POST signup.cgi "$(jobj full_name "$name" email "$email" password "$pw")" "$@"
}

# account_state EMAIL prints the account and its OTP row, every column that a
# signup may change.
account_state() {
	sql "SELECT u.id, u.email, u.full_name, u.password_hash, u.is_verified, u.updated_at,
	            encode(o.code_hash, 'hex'), o.expires_at, o.attempts, o.created_at
	       FROM users u LEFT JOIN otp_codes o ON o.user_id = u.id
	      WHERE u.email = :'e'" e="$1"
}

# argon2_matches HASH PASSWORD: libargon2's own verify says the PHC string
# HASH is PASSWORD's.
argon2_matches() {
	"$MC_PYTHON" - "$1" "$2" <<-'EOF'
		import ctypes, sys
		lib = ctypes.CDLL("libargon2.so.1")
		h, p = sys.argv[1].encode(), sys.argv[2].encode()
		sys.exit(0 if lib.argon2id_verify(h, p, ctypes.c_size_t(len(p))) == 0 else 1)
	EOF
}

# run_with_open_stdin PROGRAM VAR=value...: runs the program as cgi does, but
# with a stdin that never ends (a FIFO this shell keeps open), so a program
# that tries to read the body hangs and is killed after 10 s. Sets held_rc,
# held_status and held_body.
run_with_open_stdin() {
	local prog=$1 fifo=$BATS_TEST_TMPDIR/stdin.fifo out=$BATS_TEST_TMPDIR/held.out fd name
	local -a envargs=(PATH=/usr/local/bin:/usr/bin:/bin MEDICALCARE_ENV_FILE="$MEDICALCARE_ENV_FILE"
	    GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 SERVER_NAME=localhost SERVER_PORT=80
	    SCRIPT_NAME=/cgi-bin/$prog REQUEST_URI=/cgi-bin/$prog QUERY_STRING= REMOTE_ADDR=127.0.0.1)
	shift
	for name in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		if [[ -n ${!name+set} ]]; then
			envargs+=("$name=${!name}")
		fi
	done
	mkfifo "$fifo"
	exec {fd}<>"$fifo"
	held_rc=0
	timeout -k 2 10 env -i "${envargs[@]}" "$@" "$CGI_DIR/$prog" <&"$fd" >"$out" \
	    2>"$BATS_TEST_TMPDIR/held.err" 3>&- || held_rc=$?
	exec {fd}<&-
	if grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' \
	    "$BATS_TEST_TMPDIR/held.err"; then
		cat "$BATS_TEST_TMPDIR/held.err" >&2
		held_rc=sanitizer
	fi
	held_status=$(sed -n '1s/^Status: \([0-9]*\).*/\1/p' "$out" | tr -d '\r')
	held_body=$(sed '1,/^\r\{0,1\}$/d' "$out")
}

VALID='{"full_name":"Ada Lovelace","email":"ada@example.com","password":"StrongPass123"}'

# ---------------------------------------------------------------------------
# Success

# docs/CONTRACT.md SU-1
@test "signup of a new email answers 201 with the exact OTP message" {
	signup "Ada Lovelace" ada@example.com StrongPass123
	assert_status 201
	assert_body --raw "$OK_BODY"
	assert_std_headers
}

# docs/CONTRACT.md IN-1, SU-1
@test "signup stores the account with the email trimmed and lower-cased and the name trimmed, unverified" {
	cgi POST signup.cgi '{"full_name":" \t Ada Lovelace \n","email":"  Ada@Example.COM ","password":"StrongPass123"}'
	assert_status 201
	assert_body --raw "$OK_BODY"
	[ "$(sql "SELECT count(*) FROM users")" = 1 ]
	[ "$(sql "SELECT email, full_name, is_verified FROM users")" = "ada@example.com|Ada Lovelace|f" ]
}

# docs/CONTRACT.md D-1
@test "signup stores the password only as an Argon2id PHC string with m=19456,t=2,p=1" {
	local hash
	signup "Ada Lovelace" ada@example.com StrongPass123
	assert_status 201
	hash=$(sql "SELECT password_hash FROM users WHERE email = 'ada@example.com'")
	[[ $hash =~ ^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{16,}\$[A-Za-z0-9+/]{32,}$ ]]
	[[ $hash != *StrongPass123* ]]
	argon2_matches "$hash" StrongPass123
	run ! argon2_matches "$hash" StrongPass124
	# The password is nowhere else in the database nor in the log.
	[ "$(sql "SELECT count(*) FROM users WHERE row(users.*)::text LIKE '%StrongPass123%'")" = 0 ]
	[[ $cgi_stderr != *StrongPass123* ]]
}

# docs/CONTRACT.md D-1
@test "signup hashes with the cost given by ARGON2_MEMORY_KIB, ARGON2_ITERATIONS and ARGON2_PARALLELISM" {
	local hash
	signup "Ada Lovelace" ada@example.com StrongPass123 \
	    ARGON2_MEMORY_KIB=4096 ARGON2_ITERATIONS=3 ARGON2_PARALLELISM=2
	assert_status 201
	hash=$(sql "SELECT password_hash FROM users WHERE email = 'ada@example.com'")
	[[ $hash == '$argon2id$v=19$m=4096,t=3,p=2$'* ]]
	argon2_matches "$hash" StrongPass123
}

# docs/CONTRACT.md D-1
@test "two signups with the same password get different salts" {
	signup "Ada Lovelace" ada@example.com StrongPass123
	assert_status 201
	signup "Bob Babbage" bob@example.com StrongPass123
	assert_status 201
	[ "$(sql "SELECT count(DISTINCT password_hash) FROM users")" = 2 ]
}

# docs/CONTRACT.md SU-4
@test "signup stores the OTP only as a 32-byte keyed hash, valid OTP_EXPIRE_MINUTES (default 10)" {
	signed_up ada@example.com
	[[ $code =~ ^[0-9]{6}$ ]]
	[ "$(sql "SELECT count(*) FROM otp_codes WHERE user_id = :'u'" u="$uid")" = 1 ]
	[ "$(sql "SELECT length(code_hash), attempts, expires_at - created_at FROM otp_codes")" = "32|0|00:10:00" ]
	# Neither the code, nor its plain SHA-256, nor SHA-256 of "<id>:<code>".
	[ "$(sql "SELECT code_hash = convert_to(:'c', 'UTF8')
	               OR code_hash = sha256(convert_to(:'c', 'UTF8'))
	               OR code_hash = sha256(convert_to(:'u' || ':' || :'c', 'UTF8'))
	               OR position(convert_to(:'c', 'UTF8') IN code_hash) > 0
	               OR encode(code_hash, 'hex') LIKE '%' || :'c' || '%'
	          FROM otp_codes" c="$code" u="$uid")" = f ]
	# The code is not logged.
	[[ $cgi_stderr != *"$code"* ]]
}

# docs/CONTRACT.md SU-4
@test "signup honours OTP_EXPIRE_MINUTES for the code's lifetime" {
	signup "Ada Lovelace" ada@example.com StrongPass123 OTP_EXPIRE_MINUTES=3
	assert_status 201
	[ "$(sql "SELECT expires_at - created_at FROM otp_codes")" = 00:03:00 ]
}

# docs/CONTRACT.md SU-4, IN-1
@test "signup mails exactly one message with a 6-digit code to the normalized address" {
	local f
	cgi POST signup.cgi '{"full_name":"Ada Lovelace","email":" Ada@Example.COM ","password":"StrongPass123"}'
	assert_status 201
	mail_wait ada@example.com
	[ "$(mail_count)" = 1 ]
	[ "$(mail_count ada@example.com)" = 1 ]
	f=$(mail_last ada@example.com)
	[ "$(jq -c .rcpt_tos "${f%.eml}.json")" = '["ada@example.com"]' ]
	[[ $(mail_header ada@example.com To) == *ada@example.com* ]]
	[[ $(mail_otp ada@example.com) =~ ^[0-9]{6}$ ]]
}

# docs/CONTRACT.md SU-4, SU-5
@test "the code mail greets no one by the typed name and says what to do for whoever did not sign up" {
	local text
	signup "Visit evil.example now" ada@example.com StrongPass123
	assert_status 201
	mail_wait ada@example.com
	text=$(mail_text ada@example.com)
	[[ $text == "Hello,"[[:space:]]* ]] || _fail "greeting: ${text:0:40}"
	[[ $text != *evil* && $(mail_header ada@example.com Subject) != *evil* ]]
	[[ $text == *"If you did not sign up, someone else typed your address: do not share this code"* ]]
	[[ $text == *"it is deleted after 7 days."* ]]
	# Nor does the HTML part.
	"$MC_PYTHON" - "$(mail_last ada@example.com)" <<-'EOF'
		import sys
		from email import policy
		from email.parser import BytesParser
		msg = BytesParser(policy=policy.default).parse(open(sys.argv[1], "rb"))
		parts = [p.get_content() for p in msg.walk() if p.get_content_maintype() == "text"]
		sys.exit(len(parts) != 2 or any("evil" in p for p in parts))
	EOF
}

# docs/CONTRACT.md D-4
@test "signup's outbox row is kind otp, sent, and its message wiped" {
	signed_up ada@example.com
	[ "$(sql "SELECT count(*) FROM mail_outbox")" = 1 ]
	[ "$(sql "SELECT kind, recipient, user_id = :'u', status, message IS NULL, sent_at IS NOT NULL
	            FROM mail_outbox" u="$uid")" = "otp|ada@example.com|t|sent|t|t" ]
}

# docs/CONTRACT.md SU-4, SU-6
@test "the OTP is 6 digits and differs between signups of different addresses, with no cooldown between them" {
	local a b c
	signed_up ada@example.com
	a=$code
	signed_up bob@example.com "Bob Babbage"
	b=$code
	signed_up cy@example.com "Cy Young"
	c=$code
	[[ $a =~ ^[0-9]{6}$ && $b =~ ^[0-9]{6}$ && $c =~ ^[0-9]{6}$ ]]
	# Equal codes by chance: one in 10^6 per pair.
	[[ $a != "$b" || $b != "$c" ]]
	[ "$(sql "SELECT count(DISTINCT code_hash) FROM otp_codes")" = 3 ]
}

# docs/CONTRACT.md G-7
@test "signup ignores unknown fields, is_verified included" {
	cgi POST signup.cgi '{"full_name":"Ada Lovelace","email":"ada@example.com","password":"StrongPass123","is_verified":true,"id":99,"role":"admin","extra":{"a":[1,2]}}'
	assert_status 201
	assert_body --raw "$OK_BODY"
	[ "$(sql "SELECT id, is_verified FROM users")" = "1|f" ]
}

# docs/CONTRACT.md G-5
@test "signup accepts application/json with a charset parameter" {
	cgi POST signup.cgi "$VALID" "CONTENT_TYPE=application/json; charset=utf-8"
	assert_status 201
	assert_body --raw "$OK_BODY"
	[ "$(sql "SELECT count(*) FROM users")" = 1 ]
}

# docs/CONTRACT.md IN-2
@test "signup accepts a full name of 100 non-ASCII characters (characters, not bytes)" {
	local name
	name=$(printf 'é%.0s' {1..100})
	signup "$name" ada@example.com StrongPass123
	assert_status 201
	[ "$(sql "SELECT char_length(full_name), full_name = :'n' FROM users" n="$name")" = "100|t" ]
}

# docs/CONTRACT.md IN-1
@test "signup accepts an email of exactly 254 characters" {
	local email
	email=ada@$(printf 'a%.0s' {1..60}).$(printf 'b%.0s' {1..60}).$(printf 'c%.0s' {1..60}).$(printf 'd%.0s' {1..63}).com
	[ "${#email}" = 254 ]
	signup "Ada Lovelace" "$email" StrongPass123
	assert_status 201
	[ "$(sql "SELECT length(email) FROM users")" = 254 ]
}

# docs/CONTRACT.md IN-3
@test "signup accepts a 128-character password" {
	local pw
	pw=Aa1$(head -c 200 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9' | head -c 125)
	[ "${#pw}" = 128 ]
	signup "Ada Lovelace" ada@example.com "$pw"
	assert_status 201
	argon2_matches "$(sql "SELECT password_hash FROM users")" "$pw"
}

# ---------------------------------------------------------------------------
# Existing accounts

# docs/CONTRACT.md SU-2
@test "signup of a verified email gets 409 Email already registered and changes nothing" {
	local before
	insert_verified ada@example.com "Ada Lovelace"
	before=$(account_state ada@example.com)
	signup "Someone Else" ada@example.com NewStrongPass123
	assert_status 409
	assert_body --raw '{"detail":"Email already registered"}'
	assert_std_headers
	[ "$(account_state ada@example.com)" = "$before" ]
	[ "$(counts)" = "1|0|0|0" ]
}

# docs/CONTRACT.md IN-1
@test "email uniqueness is case-insensitive: ADA@EXAMPLE.COM is ada@example.com" {
	local id
	cgi POST signup.cgi '{"full_name":"Ada Lovelace","email":"Ada@Example.com","password":"StrongPass123"}'
	assert_status 201
	id=$(sql "SELECT id FROM users WHERE email = 'ada@example.com'")
	[ -n "$id" ]
	cgi POST signup.cgi '{"full_name":"Ada King","email":"ada@EXAMPLE.com","password":"StrongPass123"}'
	assert_status 409
	assert_body --raw '{"detail":"Email already registered"}'
	[ "$(sql "SELECT id, email, full_name FROM users")" = "$id|ada@example.com|Ada Lovelace" ]
}

# older_than_a_minute EMAIL: the account was made 61 s ago, its mail too.
older_than_a_minute() {
	sql "UPDATE users SET created_at = created_at - interval '61 seconds' WHERE email = :'e'" \
	    e="$1" >/dev/null
	age_mail "$1" 61
}

# docs/CONTRACT.md SU-2, SU-4
@test "a second sign-up of an unverified address gets 409, keeps name and password, ends its codes and mails a reset link" {
	local old_code old_hash token text
	signed_up ada@example.com "Ada Lovelace" StrongPass123
	old_code=$code old_hash=$(sql "SELECT password_hash FROM users")
	older_than_a_minute ada@example.com
	signup "Mallory Takeover" ada@example.com NewStrongPass123
	assert_status 409
	assert_body --raw '{"detail":"Email already registered"}'
	assert_std_headers
	# The stranger's name and password went nowhere; the code is dead.
	[ "$(sql "SELECT count(*), min(full_name), min(password_hash) = :'h', bool_and(NOT is_verified),
	                 bool_and(otp_disabled) FROM users" h="$old_hash")" = "1|Ada Lovelace|t|t|t" ]
	[ "$(sql "SELECT count(*) FROM otp_codes")" = 0 ]
	verify ada@example.com "$old_code"
	assert_status 400
	assert_body --raw "$BAD_OTP_BODY"
	# The address gets a reset link, greeting nobody by the typed names.
	mail_wait ada@example.com 2
	[ "$(sql "SELECT kind, status FROM mail_outbox ORDER BY id")" = $'otp|sent\nreset|sent' ]
	[ "$(mail_header ada@example.com Subject)" = "MedicalCare password reset" ]
	text=$(mail_text ada@example.com)
	[[ $text == "Hello,"* && $text == *"tried to sign up for MedicalCare with this address"* ]]
	[[ $text != *Mallory* && $text != *Ada* ]]
	token=$(mail_reset_token ada@example.com)
	[ "$(sql "SELECT count(*) FROM reset_tokens WHERE used_at IS NULL")" = 1 ]
	# No code is ever sent for it again.
	age_mail ada@example.com 61
	cgi POST resend-otp.cgi '{"email":"ada@example.com"}'
	assert_status 200
	[ "$(mail_count ada@example.com)" = 2 ]
	[ "$(sql "SELECT count(*) FROM otp_codes")" = 0 ]
	# Whoever reads the mail chooses the password, and that verifies the address.
	cgi POST reset-password.cgi "$(jobj token "$token" new_password OwnerChose4Real confirm_password OwnerChose4Real)"
	assert_status 200
	[ "$(sql "SELECT is_verified FROM users")" = t ]
	cgi POST login.cgi '{"email":"ada@example.com","password":"OwnerChose4Real"}'
	assert_status 200
	cgi POST login.cgi '{"email":"ada@example.com","password":"NewStrongPass123"}'
	assert_status 401
}

# docs/CONTRACT.md SU-2, SU-4, SU-6
@test "a double submit within 60 s gets 409 and changes nothing: no mail, the code still works" {
	local before
	signed_up ada@example.com "Ada Lovelace" StrongPass123
	before=$(account_state ada@example.com)
	signup "Ada King" ada@example.com NewStrongPass123
	assert_status 409
	assert_body --raw '{"detail":"Email already registered"}'
	[ "$(account_state ada@example.com)" = "$before" ]
	[ "$(counts)" = "1|1|1|1" ]
	[ "$(sql "SELECT otp_disabled FROM users")" = f ]
	verify ada@example.com "$code"
	assert_status 200
}

# docs/CONTRACT.md SU-2, SU-4, SU-6
@test "a second sign-up past the reset-mail caps still gets 409 and ends the codes, but mails nothing" {
	signed_up ada@example.com
	older_than_a_minute ada@example.com
	# A reset mail 30 s ago: within the 60 s gap.
	sql "INSERT INTO mail_outbox (kind, recipient, user_id, status, created_at)
	     VALUES ('reset', 'ada@example.com', :'u', 'sent', now() - interval '30 seconds')" u="$uid" >/dev/null
	signup "Ada King" ada@example.com NewStrongPass123
	assert_status 409
	[ "$(sql "SELECT otp_disabled FROM users")" = t ]
	[ "$(sql "SELECT count(*) FROM otp_codes")" = 0 ]
	[ "$(sql "SELECT count(*) FROM reset_tokens")" = 0 ]
	# Five within 24 hours: the cap.
	sql "UPDATE mail_outbox SET created_at = now() - interval '20 hours' WHERE kind = 'reset';
	     INSERT INTO mail_outbox (kind, recipient, user_id, status, created_at)
	     SELECT 'reset', 'ada@example.com', :'u', 'sent', now() - make_interval(hours => h)
	       FROM unnest(ARRAY[1, 2, 3, 4]) AS h" u="$uid" >/dev/null
	signup "Ada King" ada@example.com NewStrongPass123
	assert_status 409
	[ "$(sql "SELECT count(*) FROM reset_tokens")" = 0 ]
	[ "$(sql "SELECT count(*) FROM mail_outbox")" = 6 ]
	[ "$(mail_count ada@example.com)" = 1 ]
}

# docs/CONTRACT.md SU-4, SU-6
@test "a signup of a new address takes no code-mail cap from an account of it that is gone" {
	signed_up ada@example.com
	sql "DELETE FROM users" >/dev/null
	signup "Ada Again" ada@example.com StrongPass123
	assert_status 429
	assert_body --raw "$LIMIT_BODY"
	assert_retry_after 1 60
	[ "$(sql "SELECT count(*) FROM users")" = 0 ]
	age_mail ada@example.com 61
	signup "Ada Again" ada@example.com StrongPass123
	assert_status 201
}

# docs/CONTRACT.md SU-2, SU-3
@test "four signups of one email at the same moment make one account: one 201, three 409, one mail" {
	local d=$BATS_TEST_TMPDIR side
	local -a pids=()
	# Inserting race@example.com takes a second, so the transactions overlap
	# whatever the scheduling: without a per-address lock the others would
	# miss the first's uncommitted row and then hit the unique index.
	drop_trigger=1
	sql "CREATE FUNCTION mc_test_slow_insert() RETURNS trigger LANGUAGE plpgsql AS \$\$
	     BEGIN
	         IF NEW.email = 'race@example.com' THEN
	             PERFORM pg_sleep(1);
	         END IF;
	         RETURN NEW;
	     END \$\$;
	     CREATE TRIGGER mc_test_slow_insert BEFORE INSERT ON users
	         FOR EACH ROW EXECUTE FUNCTION mc_test_slow_insert();" >/dev/null
	for side in a b c d; do
		mkdir "$d/$side"
		(
			BATS_TEST_TMPDIR=$d/$side
			while [[ ! -e $d/go ]]; do sleep 0.01; done
			signup "Ada $side" race@example.com StrongPass123
			printf '%s\n' "$cgi_status" >"$d/$side/status"
		) &
		pids+=($!)
	done
	touch "$d/go"
	wait "${pids[@]}"
	[ "$(sort "$d"/*/status | tr '\n' ' ')" = "201 409 409 409 " ]
	[ "$(sql "SELECT count(*), bool_and(NOT otp_disabled) FROM users")" = "1|t" ]
	[ "$(sql "SELECT count(*) FROM otp_codes")" = 1 ]
	[ "$(sql "SELECT count(*) FROM mail_outbox")" = 1 ]
	mail_wait race@example.com
	[ "$(mail_count)" = 1 ]
}

# docs/CONTRACT.md D-3, G-9
@test "a signup that fails halfway leaves no account, no code and no mail, and answers 500 without details" {
	drop_trigger=1
	sql "CREATE FUNCTION mc_test_fail_otp() RETURNS trigger LANGUAGE plpgsql AS \$\$
	     BEGIN
	         IF (SELECT email FROM users WHERE id = NEW.user_id) = 'halfway@example.com' THEN
	             RAISE EXCEPTION 'mc_test: injected failure';
	         END IF;
	         RETURN NEW;
	     END \$\$;
	     CREATE TRIGGER mc_test_fail_otp BEFORE INSERT ON otp_codes
	         FOR EACH ROW EXECUTE FUNCTION mc_test_fail_otp();" >/dev/null
	signup "Half Way" halfway@example.com StrongPass123
	assert_status 500
	assert_body --raw '{"detail":"Internal server error"}'
	assert_std_headers
	[[ ${cgi_stderr,,} == *error* ]] # the failure is in the error log
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md D-4
@test "signup while the mail server refuses still answers 201 and keeps the mail in the outbox" {
	mail_reject_with '451 4.3.0 try again later'
	signup "Ada Lovelace" ada@example.com StrongPass123
	assert_status 201
	assert_body --raw "$OK_BODY"
	[ "$(mail_count)" = 0 ]
	[ "$(sql "SELECT kind, status, message IS NOT NULL FROM mail_outbox")" = "otp|pending|t" ]
	# Delivered later by the outbox worker, with a code that works.
	mail_accept
	sql "UPDATE mail_outbox SET next_attempt_at = now(), locked_until = NULL" >/dev/null
	"$BIN_DIR/medicalcare-outbox" 3>&-
	mail_wait ada@example.com
	[ "$(sql "SELECT status, message IS NULL FROM mail_outbox")" = "sent|t" ]
	verify ada@example.com "$(mail_otp ada@example.com)"
	assert_status 200
}

# ---------------------------------------------------------------------------
# 422: field validation

# docs/CONTRACT.md G-2
@test "signup without full_name, email or password gets 422 Field required for that field" {
	cgi POST signup.cgi '{"email":"ada@example.com","password":"StrongPass123"}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr full_name 'Field required' missing)")"
	assert_std_headers
	cgi POST signup.cgi '{"full_name":"Ada Lovelace","password":"StrongPass123"}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr email 'Field required' missing)")"
	cgi POST signup.cgi '{"full_name":"Ada Lovelace","email":"ada@example.com"}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr password 'Field required' missing)")"
	cgi POST signup.cgi '{}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr full_name 'Field required' missing)" \
	    "$(ferr email 'Field required' missing)" "$(ferr password 'Field required' missing)")"
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md G-7
@test "signup with a number for email gets 422 string_type" {
	cgi POST signup.cgi '{"full_name":"Ada Lovelace","email":42,"password":"StrongPass123"}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr email 'Input should be a valid string' string_type)")"
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md G-7
@test "signup with non-string full_name and password gets 422 string_type for each" {
	cgi POST signup.cgi '{"full_name":["Ada"],"email":"ada@example.com","password":true}'
	assert_status 422
	assert_body --raw "$(err422 "$(ferr full_name 'Input should be a valid string' string_type)" \
	    "$(ferr password 'Input should be a valid string' string_type)")"
	[ "$(counts)" = "0|0|0|0" ]
}

# expect_422 BODY FIELD MSG TYPE: BODY gets exactly one 422 entry.
expect_422() {
	cgi POST signup.cgi "$1"
	assert_status 422
	assert_body --raw "$(err422 "$(ferr "$2" "$3" "$4")")"
}

# docs/CONTRACT.md IN-1
@test "signup with an invalid email (no @, two @, no local part, no dot in the domain, a space, a control character, 255 characters) gets 422" {
	local long
	long=ada@$(printf 'a%.0s' {1..60}).$(printf 'b%.0s' {1..60}).$(printf 'c%.0s' {1..60}).$(printf 'd%.0s' {1..64}).com
	[ "${#long}" = 255 ]
	expect_422 "$(jobj full_name "Ada Lovelace" email ada.example.com password StrongPass123)" \
	    email "${EMAIL_PREFIX}An email address must have an @-sign." value_error
	expect_422 "$(jobj full_name "Ada Lovelace" email ada@lovelace@example.com password StrongPass123)" \
	    email "${EMAIL_PREFIX}An email address must have exactly one @-sign." value_error
	expect_422 "$(jobj full_name "Ada Lovelace" email @example.com password StrongPass123)" \
	    email "${EMAIL_PREFIX}There must be something before the @-sign." value_error
	expect_422 "$(jobj full_name "Ada Lovelace" email ada@localhost password StrongPass123)" \
	    email "${EMAIL_PREFIX}The part after the @-sign is not valid. It should have a period." value_error
	expect_422 "$(jobj full_name "Ada Lovelace" email "ada lovelace@example.com" password StrongPass123)" \
	    email "${EMAIL_PREFIX}The email address contains invalid characters." value_error
	expect_422 '{"full_name":"Ada Lovelace","email":"ada\u0001@example.com","password":"StrongPass123"}' \
	    email "${EMAIL_PREFIX}The email address contains invalid characters." value_error
	expect_422 "$(jobj full_name "Ada Lovelace" email "$long" password StrongPass123)" \
	    email "${EMAIL_PREFIX}The email address is too long." value_error
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md IN-2
@test "signup with a full name empty after trimming, of 101 characters, or with a control character gets 422" {
	local control='Value error, Full name must not contain control characters'
	expect_422 '{"full_name":" \t \n ","email":"ada@example.com","password":"StrongPass123"}' \
	    full_name 'String should have at least 1 character' string_too_short
	expect_422 '{"full_name":"","email":"ada@example.com","password":"StrongPass123"}' \
	    full_name 'String should have at least 1 character' string_too_short
	expect_422 "$(jobj full_name "$(printf 'a%.0s' {1..101})" email ada@example.com password StrongPass123)" \
	    full_name 'String should have at most 100 characters' string_too_long
	expect_422 '{"full_name":"Ada\u0007Lovelace","email":"ada@example.com","password":"StrongPass123"}' \
	    full_name "$control" value_error
	expect_422 '{"full_name":"Ada\nLovelace","email":"ada@example.com","password":"StrongPass123"}' \
	    full_name "$control" value_error
	expect_422 '{"full_name":"Ada\u007fLovelace","email":"ada@example.com","password":"StrongPass123"}' \
	    full_name "$control" value_error
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md IN-3
@test "signup with a password too short, too long, or without an upper-case letter, a lower-case letter or a digit gets 422" {
	expect_422 "$(jobj full_name "Ada Lovelace" email ada@example.com password Xk9mQ2z)" \
	    password 'String should have at least 8 characters' string_too_short
	expect_422 "$(jobj full_name "Ada Lovelace" email ada@example.com password "Aa1$(printf 'x%.0s' {1..126})")" \
	    password 'String should have at most 128 characters' string_too_long
	expect_422 "$(jobj full_name "Ada Lovelace" email ada@example.com password strongpass123)" \
	    password 'Value error, Password must contain at least one uppercase letter' value_error
	expect_422 "$(jobj full_name "Ada Lovelace" email ada@example.com password STRONGPASS123)" \
	    password 'Value error, Password must contain at least one lowercase letter' value_error
	expect_422 "$(jobj full_name "Ada Lovelace" email ada@example.com password StrongPassword)" \
	    password 'Value error, Password must contain at least one digit' value_error
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md IN-3, IN-5
@test "signup with a password holding a NUL byte gets 422" {
	cgi POST signup.cgi '{"full_name":"Ada Lovelace","email":"ada@example.com","password":"Strong\u0000Pass123"}'
	assert_status 422
	assert_jq '.detail | length == 1'
	assert_json '.detail[0].loc | join("/")' body/password
	assert_json '.detail[0].type' value_error
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md IN-3
@test "signup with a guessable password (Password123, Welcome2024, Qwerty123) gets 422 too easy to guess" {
	local pw want
	want=$(err422 "$(ferr password 'Value error, Password is too easy to guess' value_error)")
	for pw in Password123 Welcome2024 Qwerty123; do
		signup "Ada Lovelace" ada@example.com "$pw"
		assert_status 422
		assert_body --raw "$want"
	done
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md IN-3
@test "a password built on a word of the user's own name is rejected (zxcvbn user dictionary)" {
	local want
	want=$(err422 "$(ferr password 'Value error, Password is too easy to guess' value_error)")
	# Strong enough for someone else ...
	signup "Ada Lovelace" ada@example.com Xyloquandary7
	assert_status 201
	# ... but not for Xyloquandary Smith.
	signup "Xyloquandary Smith" xs@example.com Xyloquandary7
	assert_status 422
	assert_body --raw "$want"
	[ "$(sql "SELECT count(*) FROM users WHERE email = 'xs@example.com'")" = 0 ]
}

# docs/CONTRACT.md IN-3
@test "a password built on the user's email local part is rejected (zxcvbn user dictionary)" {
	local want
	want=$(err422 "$(ferr password 'Value error, Password is too easy to guess' value_error)")
	signup "Ada Lovelace" ada@example.com Zorbatrix42
	assert_status 201
	signup "Ada Lovelace" Zorbatrix@Example.com Zorbatrix42
	assert_status 422
	assert_body --raw "$want"
	[ "$(sql "SELECT count(*) FROM users WHERE email = 'zorbatrix@example.com'")" = 0 ]
}

# docs/CONTRACT.md G-2
@test "signup with several failing fields lists them all in field order" {
	cgi POST signup.cgi '{"password":"short","email":"not-an-email","full_name":"   "}'
	assert_status 422
	assert_body --raw "$(err422 \
	    "$(ferr full_name 'String should have at least 1 character' string_too_short)" \
	    "$(ferr email "${EMAIL_PREFIX}An email address must have an @-sign." value_error)" \
	    "$(ferr password 'String should have at least 8 characters' string_too_short)")"
	[ "$(counts)" = "0|0|0|0" ]
}

# ---------------------------------------------------------------------------
# 400, 413, 415, 405 and their order

# docs/CONTRACT.md G-3
@test "signup with a body that is not a JSON object (not JSON, an array, a string, a number, empty, truncated) gets 400 Invalid JSON body" {
	local body
	for body in 'full_name=Ada&email=ada@example.com' "[$VALID]" '"ada@example.com"' 42 null \
	    "${VALID%\}}" "{'email': 'ada@example.com'}" "$VALID $VALID"; do
		cgi POST signup.cgi "$body"
		assert_status 400
		assert_body --raw '{"detail":"Invalid JSON body"}'
	done
	assert_std_headers
	cgi POST signup.cgi '' CONTENT_TYPE=application/json CONTENT_LENGTH=0
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
	cgi POST signup.cgi '' CONTENT_TYPE=application/json
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md G-3
@test "signup with a body shorter than CONTENT_LENGTH gets 400 and creates nothing" {
	cgi POST signup.cgi "$VALID" CONTENT_LENGTH=$((${#VALID} + 10))
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md G-5
@test "signup with Content-Type text/plain, none, or application/jsonp gets 415" {
	local want='{"detail":"Unsupported media type: use application/json"}'
	cgi POST signup.cgi "$VALID" CONTENT_TYPE=text/plain
	assert_status 415
	assert_body --raw "$want"
	assert_std_headers
	cgi POST signup.cgi "$VALID" -CONTENT_TYPE
	assert_status 415
	assert_body --raw "$want"
	cgi POST signup.cgi "$VALID" CONTENT_TYPE=application/jsonp
	assert_status 415
	assert_body --raw "$want"
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md G-4
@test "signup with CONTENT_LENGTH 70000 gets 413" {
	cgi POST signup.cgi CONTENT_TYPE=application/json CONTENT_LENGTH=70000
	assert_status 413
	assert_body --raw '{"detail":"Request body too large"}'
	assert_std_headers
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md G-4
@test "signup answers 413 without waiting for the body" {
	run_with_open_stdin signup.cgi REQUEST_METHOD=POST CONTENT_TYPE=application/json CONTENT_LENGTH=70000
	[ "$held_rc" = 0 ] || {
		echo "exit status $held_rc (124: it waited for the body)" >&2
		return 1
	}
	[ "$held_status" = 413 ]
	[ "$held_body" = '{"detail":"Request body too large"}' ]
}

# docs/CONTRACT.md G-4
@test "signup accepts a body of exactly 64 KiB (padding with white space)" {
	local f=$BATS_TEST_TMPDIR/big.json
	{
		printf '%s' "$VALID"
		head -c $((65536 - ${#VALID})) /dev/zero | tr '\0' ' '
	} >"$f"
	[ "$(wc -c <"$f")" = 65536 ]
	cgi_file POST signup.cgi "$f"
	assert_status 201
	cgi POST signup.cgi CONTENT_TYPE=application/json CONTENT_LENGTH=65537
	assert_status 413
}

# docs/CONTRACT.md G-6
@test "signup answers GET with 405 and an Allow header listing POST" {
	cgi GET signup.cgi
	assert_status 405
	assert_body --raw '{"detail":"Method Not Allowed"}'
	assert_header_token Allow POST
	assert_std_headers
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md G-6, G-4, G-8
@test "405 comes before 413: GET with a huge CONTENT_LENGTH" {
	cgi GET signup.cgi CONTENT_TYPE=text/plain CONTENT_LENGTH=99999999
	assert_status 405
	assert_header_token Allow POST
}

# docs/CONTRACT.md G-4, G-5, G-8
@test "413 comes before 415: a 70000-byte length with text/plain" {
	cgi POST signup.cgi CONTENT_TYPE=text/plain CONTENT_LENGTH=70000
	assert_status 413
	assert_body --raw '{"detail":"Request body too large"}'
}

# docs/CONTRACT.md G-5, G-8, G-3
@test "415 comes before 400: bad content type and bad JSON" {
	cgi POST signup.cgi '{"full_name": ' CONTENT_TYPE=text/plain
	assert_status 415
}

# docs/CONTRACT.md G-8, G-3
@test "400 comes before 422: truncated JSON with invalid fields" {
	cgi POST signup.cgi '{"email": 5, "password": "x"'
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
}

# docs/CONTRACT.md SU-2, G-8
@test "422 comes before 409: a verified email with a weak password" {
	insert_verified ada@example.com "Ada Lovelace"
	signup "Ada Lovelace" ada@example.com Password123
	assert_status 422
	assert_body --raw "$(err422 "$(ferr password 'Value error, Password is too easy to guess' value_error)")"
}

# docs/CONTRACT.md SU-6, G-8, G-10
@test "422 comes before 429: a re-signup within the cooldown with a weak password" {
	signed_up ada@example.com
	signup "Ada Lovelace" ada@example.com Password123
	assert_status 422
}

# docs/CONTRACT.md G-8, G-9
@test "422 comes before 503: an invalid body with the database down" {
	cgi POST signup.cgi '{"full_name":"Ada Lovelace","email":"nope","password":"StrongPass123"}' $(db_down)
	assert_status 422
	assert_body --raw "$(err422 "$(ferr email "${EMAIL_PREFIX}An email address must have an @-sign." value_error)")"
}

# ---------------------------------------------------------------------------
# Database down, CORS

# docs/CONTRACT.md G-9
@test "signup with the database unreachable gets 503 and leaks nothing" {
	cgi POST signup.cgi "$VALID" $(db_down)
	assert_status 503
	assert_body --raw '{"detail":"Service temporarily unavailable"}'
	assert_std_headers
	[[ $cgi_body != *[Ss][Qq][Ll]* && $cgi_body != *connect* && $cgi_body != *127.0.0.1* ]]
	[ "$(counts)" = "0|0|0|0" ]
}

# docs/CONTRACT.md G-9
@test "signup with the database server stopped gets 503, and works again once it is back" {
	pg_down
	cgi POST signup.cgi "$VALID" DB_CONNECT_TIMEOUT=2
	pg_up
	assert_status 503
	assert_body --raw '{"detail":"Service temporarily unavailable"}'
	[ "$(counts)" = "0|0|0|0" ]
	cgi POST signup.cgi "$VALID"
	assert_status 201
}

# docs/CONTRACT.md C-2, C-4
@test "signup from an allowed origin carries Access-Control-Allow-Origin and Vary, another origin none" {
	cgi POST signup.cgi '{}' HTTP_ORIGIN=http://app.example.test
	assert_status 422
	assert_header Access-Control-Allow-Origin http://app.example.test
	assert_header_token Vary Origin
	cgi POST signup.cgi '{}' HTTP_ORIGIN=http://evil.example.test
	assert_status 422
	refute_header Access-Control-Allow-Origin
	refute_header Access-Control-Allow-Methods
}

# docs/CONTRACT.md C-3
@test "a CORS preflight for signup from an allowed origin gets 204 with the POST method and the headers" {
	cgi OPTIONS signup.cgi HTTP_ORIGIN=http://localhost:3000 HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST
	assert_status 204
	assert_header Access-Control-Allow-Origin http://localhost:3000
	assert_header_token Access-Control-Allow-Methods POST
	assert_header Access-Control-Allow-Headers "Authorization, Content-Type"
	assert_header Access-Control-Max-Age 600
	[ "$(counts)" = "0|0|0|0" ]
}
