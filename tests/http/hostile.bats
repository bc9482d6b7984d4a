#!/usr/bin/env bats
# Hostile input over real HTTP, through the test Apache: bodies nested 10,000
# deep, 60 KiB strings, NUL bytes, invalid UTF-8, wrong JSON types, duplicate
# keys, SQL- and header-looking values, short bodies, huge and malformed
# Authorization headers and forged JWTs. Each answer is a 4xx with a JSON
# {"detail": ...} body and the usual headers (asserted exactly), and none
# changes data: the rows of users, otp_codes, reset_tokens, mail_outbox and
# login_failures and the mails in the sink are counted before and after
# (a case that must change one, e.g. a failed login, says which).
#
# Decisions (README "Hostile input"): duplicate keys: the last one wins, as
# in Python's json (FastAPI); a header line over Apache's 8190-byte limit is
# refused by Apache with a JSON 400 before any program runs; nbf is honoured;
# iat more than 60 s ahead, and exp more than 24 h after iat, are refused.

# shellcheck disable=SC2154  # http_status, http_body... are set by http (helpers.bash)
load helpers

setup_file() {
	http_setup_file || return 1
	# The generated bodies and tokens: one file each, in $BATS_FILE_TMPDIR/gen.
	"$MC_PYTHON" - "$BATS_FILE_TMPDIR/gen" "$MC_TEST_JWT_KEY" <<-'EOF'
		import base64, hashlib, hmac, json, os, sys, time
		out, key = sys.argv[1], sys.argv[2].encode()
		os.makedirs(out, exist_ok=True)
		def put(name, data):
		    with open(os.path.join(out, name), "wb") as f:
		        f.write(data if isinstance(data, bytes) else data.encode())
		n = 10000
		put("deep_arrays", '{"email":' + "[" * n + "]" * n + "}")
		put("deep_objects", '{"email":' + '{"a":' * n + "1" + "}" * n + "}")
		put("deep_top", "[" * n + "]" * n)
		big = "a" * (60 * 1024)
		bodies = {
		    "signup": {"full_name": "Ann Smith", "email": "new@example.test", "password": "StrongPass123"},
		    "verify-otp": {"email": "ann@example.test", "otp": "123456"},
		    "resend-otp": {"email": "ann@example.test"},
		    "login": {"email": "ann@example.test", "password": "StrongPass123"},
		    "forgot-password": {"email": "ann@example.test"},
		    "reset-password": {"token": "x" * 43, "new_password": "NewStrongPass123",
		                       "confirm_password": "NewStrongPass123"},
		}
		# A wrong JSON type in each field, the kinds taken in turn; and null.
		kinds = [123456, 1.5, True, ["a@b.test"], {"a": "b"}]
		i = 0
		with open(os.path.join(out, "types.list"), "w") as lst:
		    for ep, body in bodies.items():
		        for field in body:
		            b = dict(body)
		            b[field] = big
		            put("big_%s_%s" % (ep, field), json.dumps(b))
		            for v in (kinds[i % len(kinds)], None):
		                name = "type_%d" % i
		                put(name, json.dumps(dict(body, **{field: v})))
		                lst.write("%s %s %s\n" % (ep, field, name))
		                i += 1
		# Just over 64 KiB, valid JSON.
		pad = 64 * 1024 + 1 - len('{"email":"a@b.test","x":""}')
		put("over_64k", '{"email":"a@b.test","x":"' + "x" * pad + '"}')
		# A raw NUL inside a string, and one between tokens.
		put("raw_nul_in_string", b'{"email":"ann\x00@example.test"}')
		put("raw_nul_outside", b'{"email":"ann@example.test"}\x00')
		# Invalid UTF-8: a lone continuation byte, an overlong "/", a surrogate,
		# a truncated sequence, 0xFF.
		for i, bad in enumerate([b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xff"]):
		    put("bad_utf8_%d" % i, b'{"email":"ann' + bad + b'@example.test"}')
		# Tokens. hs() signs header.payload with key (HMAC-SHA-256 unless told).
		def b64(d):
		    return base64.urlsafe_b64encode(d).rstrip(b"=").decode()
		def seg(o):
		    return b64(json.dumps(o, separators=(",", ":")).encode())
		def tok(header, claims, k=key, digest=hashlib.sha256, sig=None):
		    si = seg(header) + "." + seg(claims)
		    if sig is None:
		        sig = b64(hmac.new(k, si.encode(), digest).digest())
		    return si + "." + sig
		now = int(time.time())
		good = {"sub": "1", "email": "ann@example.test", "iat": now, "exp": now + 600}
		hs = {"alg": "HS256", "typ": "JWT"}
		t = {}
		t["alg_none"] = tok({"alg": "none", "typ": "JWT"}, good, sig="")
		t["alg_None"] = tok({"alg": "None", "typ": "JWT"}, good, sig="")
		t["alg_none_signed"] = tok({"alg": "none", "typ": "JWT"}, good)
		t["alg_hs384"] = tok({"alg": "HS384", "typ": "JWT"}, good, digest=hashlib.sha384)
		t["alg_hs512"] = tok({"alg": "HS512", "typ": "JWT"}, good, digest=hashlib.sha512)
		t["alg_rs256"] = tok({"alg": "RS256", "typ": "JWT"}, good)
		t["alg_hs256_lower"] = tok({"alg": "hs256", "typ": "JWT"}, good)
		t["alg_missing"] = tok({"typ": "JWT"}, good)
		t["alg_array"] = tok({"alg": ["HS256"], "typ": "JWT"}, good)
		t["crit"] = tok({"alg": "HS256", "typ": "JWT", "crit": ["exp"]}, good)
		t["wrong_key"] = tok(hs, good, k=b"another-key-of-more-than-32-bytes-0123456789")
		# Tampered claims under the signature of the good token.
		g = tok(hs, good)
		gsig = g.split(".")[2]
		t["tampered_sub"] = seg(hs) + "." + seg(dict(good, sub="2")) + "." + gsig
		t["tampered_exp"] = seg(hs) + "." + seg(dict(good, exp=now + 86400)) + "." + gsig
		t["expired"] = tok(hs, dict(good, iat=now - 7200, exp=now - 3600))
		t["nbf_future"] = tok(hs, dict(good, nbf=now + 3600))
		t["iat_future"] = tok(hs, dict(good, iat=now + 3600, exp=now + 4200))
		t["exp_far_future"] = tok(hs, dict(good, exp=now + 10 * 365 * 86400))
		t["sub_word"] = tok(hs, dict(good, sub="admin"))
		t["sub_number"] = tok(hs, dict(good, sub=1))
		t["sub_float"] = tok(hs, dict(good, sub="1.0"))
		t["sub_zero_padded"] = tok(hs, dict(good, sub="01"))
		t["sub_negative"] = tok(hs, dict(good, sub="-1"))
		t["sub_huge"] = tok(hs, dict(good, sub="99999999999999999999"))
		t["sub_missing"] = tok(hs, {k: v for k, v in good.items() if k != "sub"})
		t["exp_string"] = tok(hs, dict(good, exp=str(now + 600)))
		# exp before iat, yet within the leeway of now: no sense, refused.
		t["exp_before_iat"] = tok(hs, dict(good, iat=now, exp=now - 30))
		t["deleted_user"] = tok(hs, dict(good, sub="2"))
		t["ten_segments"] = ".".join([seg(hs), seg(good)] + [gsig] * 8)
		t["two_segments"] = seg(hs) + "." + seg(good)
		t["padded_b64"] = g + "="
		t["json_deep"] = seg(hs) + "." + b64(b'{"a":' * 50 + b"1" + b"}" * 50) + "." + gsig
		t["over_4096"] = tok(hs, dict(good, pad="p" * 4000))
		t["over_8k"] = "a" * 8100
		t["good"] = g
		for name, v in t.items():
		    put("jwt_" + name, v)
	EOF
}

setup() {
	http_reset
}

G() {
	printf '%s\n' "$BATS_FILE_TMPDIR/gen/$1"
}

INVALID_JSON='{"detail":"Invalid JSON body"}'
TOO_LARGE='{"detail":"Request body too large"}'
NOT_AUTH='{"detail":"Not authenticated"}'
BAD_TOKEN='{"detail":"Invalid or expired token"}'
BAD_LOGIN='{"detail":"Invalid email or password"}'
BAD_OTP='{"detail":"Invalid or expired OTP"}'
BAD_RESET='{"detail":"Invalid or expired reset token"}'

# snapshot: the row counts and the mails, "users|otp|reset|outbox|failures|mails".
snapshot() {
	local db
	db=$(sql "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM otp_codes),
	                 (SELECT count(*) FROM reset_tokens), (SELECT count(*) FROM mail_outbox),
	                 (SELECT count(*) FROM login_failures)") || return 1
	_mail_list
	printf '%s|%s\n' "$db" "${#_mail_list_out[@]}"
}

# unchanged BEFORE: the snapshot is BEFORE still.
unchanged() {
	local now
	now=$(snapshot)
	if [[ $now != "$1" ]]; then
		echo "data changed: before $1, after $now (users|otp|reset|outbox|failures|mails)" >&2
		return 1
	fi
}

# expect STATUS BODY: the last answer is STATUS with exactly BODY and the usual
# headers (on a 401 one WWW-Authenticate: Bearer error="invalid_token" for a
# refused token, plain Bearer for any other).
expect() {
	assert_status "$1" || return 1
	assert_body --raw "$2" || return 1
	assert_std_headers || return 1
	if [[ $1 == 401 && $2 == "$BAD_TOKEN" ]]; then
		assert_header WWW-Authenticate 'Bearer error="invalid_token"' || return 1
	elif [[ $1 == 401 ]]; then
		assert_header WWW-Authenticate Bearer || return 1
	fi
}

# The 422 body of one field error.
e422() {
	err422 "$(ferr "$1" "$2" "$3")"
}

# ---------------------------------------------------------------------------
# Bodies

# docs/CONTRACT.md G-3
@test "JSON nested 10,000 deep is a 400 for every endpoint" {
	local before ep f
	before=$(snapshot)
	for ep in signup verify-otp resend-otp login forgot-password reset-password; do
		for f in deep_arrays deep_objects deep_top; do
			http POST "/auth/$ep" --data-file "$(G $f)"
			expect 400 "$INVALID_JSON"
		done
	done
	unchanged "$before"
}

# docs/CONTRACT.md IN-1, IN-2, IN-3, IN-5
@test "a 60 KiB string in any field is a 422 on that field" {
	local before
	insert_verified ann@example.test "Ann Smith"
	before=$(snapshot)
	local long_email; long_email=$(e422 email 'value is not a valid email address: The email address is too long.' value_error)
	local -a cases=(
		"signup full_name $(e422 full_name 'String should have at most 100 characters' string_too_long)"
		"signup email $long_email"
		"signup password $(e422 password 'String should have at most 128 characters' string_too_long)"
		"verify-otp email $long_email"
		"verify-otp otp $(e422 otp 'String should have at most 64 characters' string_too_long)"
		"resend-otp email $long_email"
		"login email $long_email"
		"login password $(e422 password 'String should have at most 1024 characters' string_too_long)"
		"forgot-password email $long_email"
		"reset-password token $(e422 token 'String should have at most 512 characters' string_too_long)"
		"reset-password new_password $(e422 new_password 'String should have at most 128 characters' string_too_long)"
		"reset-password confirm_password $(e422 confirm_password 'Value error, Passwords do not match' value_error)"
	)
	local c ep field want
	for c in "${cases[@]}"; do
		read -r ep field want <<<"$c"
		http POST "/auth/$ep" --data-file "$(G "big_${ep}_$field")"
		expect 422 "$want"
	done
	unchanged "$before"
}

# docs/CONTRACT.md G-4
@test "a body just over 64 KiB is a 413" {
	local before
	before=$(snapshot)
	[[ $(stat -c %s "$(G over_64k)") == 65537 ]]
	http POST /auth/forgot-password --data-file "$(G over_64k)"
	expect 413 "$TOO_LARGE"
	http POST /auth/signup --data-file "$(G over_64k)"
	expect 413 "$TOO_LARGE"
	unchanged "$before"
}

# docs/CONTRACT.md G-4
@test "a declared 10 MiB body is refused with the JSON 413 before any of it is sent" {
	local before out
	before=$(snapshot)
	# The client sends the headers only and waits (5 s at most): the answer
	# comes without the body, from the server itself, with the programs'
	# headers and, for an allowed origin, their CORS headers.
	out=$("$MC_PYTHON" "$BATS_TEST_DIRNAME/declared_body.py" "$MC_HTTP_URL" /auth/signup \
	    --origin http://localhost:3000) || _fail "no answer before the body: $out"
	[[ $out == "413 "* ]] || _fail "$out"
	grep -q -i -x 'content-type: application/json' <<<"$out" || _fail "$out"
	grep -q -i -x 'cache-control: no-store' <<<"$out" || _fail "$out"
	grep -q -i -x 'x-content-type-options: nosniff' <<<"$out" || _fail "$out"
	grep -q -i -x 'access-control-allow-origin: http://localhost:3000' <<<"$out" || _fail "$out"
	grep -q -i -x 'vary: origin' <<<"$out" || _fail "$out"
	[[ $(tail -n 1 <<<"$out") == "$TOO_LARGE" ]] || _fail "$out"
	# Another origin: no CORS header.
	out=$("$MC_PYTHON" "$BATS_TEST_DIRNAME/declared_body.py" "$MC_HTTP_URL" /auth/login \
	    --origin http://evil.example.test) || _fail "no answer before the body: $out"
	[[ $out == "413 "* ]] || _fail "$out"
	! grep -q -i '^access-control-' <<<"$out" || _fail "$out"
	# Just over 64 KiB, declared and not sent: the same.
	out=$("$MC_PYTHON" "$BATS_TEST_DIRNAME/declared_body.py" "$MC_HTTP_URL" /auth/forgot-password \
	    --length 65537) || _fail "no answer before the body: $out"
	[[ $out == "413 "* && $(tail -n 1 <<<"$out") == "$TOO_LARGE" ]] || _fail "$out"
	unchanged "$before"
}

@test "escaped NUL bytes are a 422 and raw ones a 400, but in a login password they make a wrong password" {
	local before
	insert_verified ann@example.test "Ann Smith"
	before=$(snapshot)
	local nul='Value error, must not contain NUL bytes'
	http POST /auth/forgot-password '{"email":"ann@example.test\u0000x"}'
	expect 422 "$(e422 email "$nul" value_error)"
	http POST /auth/signup '{"full_name":"Ann\u0000","email":"n@example.test","password":"StrongPass123"}'
	expect 422 "$(e422 full_name "$nul" value_error)"
	http POST /auth/verify-otp '{"email":"ann@example.test","otp":"12\u00003456"}'
	expect 422 "$(e422 otp "$nul" value_error)"
	http POST /auth/reset-password '{"token":"abc\u0000","new_password":"NewStrongPass123","confirm_password":"NewStrongPass123"}'
	expect 422 "$(e422 token "$nul" value_error)"
	http POST /auth/forgot-password --data-file "$(G raw_nul_in_string)"
	expect 400 "$INVALID_JSON"
	http POST /auth/forgot-password --data-file "$(G raw_nul_outside)"
	expect 400 "$INVALID_JSON"
	unchanged "$before"
	# A login password may hold any bytes (docs/CONTRACT.md IN-4): this one is wrong,
	# a failed login like any other (the one login_failures row).
	http POST /auth/login '{"email":"ann@example.test","password":"StrongPass123\u0000"}'
	expect 401 "$BAD_LOGIN"
	[[ $(sql "SELECT failures FROM login_failures WHERE email = 'ann@example.test'") == 1 ]]
}

# docs/CONTRACT.md G-3
@test "invalid UTF-8 anywhere in the body is a 400" {
	local before i
	insert_verified ann@example.test "Ann Smith"
	before=$(snapshot)
	for i in 0 1 2 3 4; do
		http POST /auth/forgot-password --data-file "$(G "bad_utf8_$i")"
		expect 400 "$INVALID_JSON"
		http POST /auth/login --data-file "$(G "bad_utf8_$i")"
		expect 400 "$INVALID_JSON"
	done
	unchanged "$before"
}

# docs/CONTRACT.md G-7
@test "a wrong JSON type in any field is a 422 and null counts as missing" {
	local before ep field name want n=0
	before=$(snapshot)
	# One line per case: ENDPOINT FIELD FILE; a number, float, boolean, array
	# or object in turn, then null, for each field of each endpoint.
	while read -r ep field name; do
		if grep -q "\"$field\": null" "$(G "$name")"; then
			want=$(e422 "$field" 'Field required' missing)
		else
			want=$(e422 "$field" 'Input should be a valid string' string_type)
		fi
		http POST "/auth/$ep" --data-file "$(G "$name")"
		expect 422 "$want"
		n=$((n + 1))
	done <"$(G types.list)"
	[[ $n == 24 ]]
	unchanged "$before"
}

# docs/CONTRACT.md G-3
@test "of duplicate keys the last one wins" {
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	# The last password is the right one: signed in.
	http POST /auth/login '{"email":"ann@example.test","password":"wrong-one","password":"StrongPass123"}'
	assert_status 200
	assert_json .token_type bearer
	# The last is wrong: refused, though the first was right.
	http POST /auth/login '{"email":"ann@example.test","password":"StrongPass123","password":"wrong-one"}'
	expect 401 "$BAD_LOGIN"
	# A valid email first and an invalid one last: the last is checked.
	http POST /auth/forgot-password '{"email":"ann@example.test","email":"not an email"}'
	expect 422 "$(e422 email 'value is not a valid email address: The email address contains invalid characters.' value_error)"
	[[ $(mail_count) == 0 ]]
}

@test "SQL-looking values are data, not SQL" {
	local before sq1="' OR 1=1 --" sq2="x'); DROP TABLE users; --"
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	before=$(snapshot)
	local v
	for v in "$sq1" "$sq2"; do
		# email: not an address.
		http POST /auth/login "$(jobj email "$v" password StrongPass123)"
		assert_status 422
		assert_jq '.detail[0].loc == ["body","email"] and .detail[0].type == "value_error"'
		assert_std_headers
		http POST /auth/forgot-password "$(jobj email "$v")"
		assert_status 422
		# otp and token: looked up as data, found nowhere.
		http POST /auth/verify-otp "$(jobj email ann@example.test otp "$v")"
		expect 400 '{"detail":"Email already verified"}'
		http POST /auth/verify-otp "$(jobj email nobody@example.test otp "$v")"
		expect 400 "$BAD_OTP"
		http POST /auth/reset-password "$(jobj token "$v" new_password NewStrongPass123 confirm_password NewStrongPass123)"
		expect 400 "$BAD_RESET"
	done
	unchanged "$before"
	# An address that is valid and holds a quote, and a password of SQL: a
	# failed login like any other (one login_failures row each), nothing more.
	http POST /auth/login "$(jobj email "a'or'1'='1@example.test" password "$sq1")"
	expect 401 "$BAD_LOGIN"
	http POST /auth/login "$(jobj email ann@example.test password "$sq2")"
	expect 401 "$BAD_LOGIN"
	[[ $(sql "SELECT count(*) FROM login_failures") == 2 ]]
	[[ $(sql "SELECT count(*) FROM users") == 1 ]]
	# A name of SQL is stored as it was typed.
	http POST /auth/signup "$(jobj full_name "$sq2" email new@example.test password StrongPass123)"
	assert_status 201
	[[ $(sql "SELECT full_name FROM users WHERE email = 'new@example.test'") == "$sq2" ]]
	[[ $(sql "SELECT count(*) FROM users") == 2 ]]
}

# docs/CONTRACT.md IN-1, IN-2
@test "CRLF in full_name or email is a 422 and sends no mail" {
	local before
	before=$(snapshot)
	http POST /auth/signup "$(jobj full_name $'Bob\r\nBcc: evil@example.com' email bob@example.test password StrongPass123)"
	expect 422 "$(e422 full_name 'Value error, Full name must not contain control characters' value_error)"
	http POST /auth/signup "$(jobj full_name Bob email $'bob@example.test\r\nBcc: evil@example.com' password StrongPass123)"
	assert_status 422
	assert_jq '.detail | length == 1 and .[0].loc == ["body","email"] and .[0].type == "value_error"'
	assert_std_headers
	http POST /auth/forgot-password "$(jobj email $'bob@example.test\r\nBcc: evil@example.com')"
	assert_status 422
	http POST /auth/resend-otp "$(jobj email $'bob@example.test\nTo: evil@example.com')"
	assert_status 422
	# U+0085 (NEL) is a C1 control character: refused too.
	http POST /auth/signup '{"full_name":"Bob\u0085Bcc: evil@example.com","email":"bob@example.test","password":"StrongPass123"}'
	expect 422 "$(e422 full_name 'Value error, Full name must not contain control characters' value_error)"
	unchanged "$before"
}

@test "a header-looking name is inert in the mail" {
	local f
	# No control character, so the name is accepted; it must stay body text.
	http POST /auth/signup '{"full_name":"Bob Bcc: evil@example.com\u2028Subject: hi","email":"bob@example.test","password":"StrongPass123"}'
	assert_status 201
	mail_wait bob@example.test
	[[ $(mail_count) == 1 ]]
	f=$(mail_last bob@example.test)
	# One recipient in the envelope, and no injected header in the message.
	jq -e '.rcpt_tos == ["bob@example.test"]' "${f%.eml}.json" >/dev/null
	"$MC_PYTHON" - "$f" <<-'EOF'
		import sys
		from email import policy
		from email.parser import BytesParser
		raw = open(sys.argv[1], "rb").read()
		head = raw.split(b"\r\n\r\n", 1)[0]
		assert b"evil" not in head, head
		msg = BytesParser(policy=policy.default).parse(open(sys.argv[1], "rb"))
		assert msg.get_all("Bcc") is None and msg.get_all("Cc") is None
		assert len(msg.get_all("Subject")) == 1 and "hi" != str(msg["Subject"])
		assert str(msg["To"]) == "bob@example.test", msg["To"]
	EOF
}

# docs/CONTRACT.md G-3
@test "an empty body is a 400" {
	local before
	before=$(snapshot)
	http POST /auth/login -H 'Content-Type: application/json'
	expect 400 "$INVALID_JSON"
	http POST /auth/login -H 'Content-Type: application/json' -H 'Content-Length: 0'
	expect 400 "$INVALID_JSON"
	http POST /auth/forgot-password --data ' '
	expect 400 "$INVALID_JSON"
	unchanged "$before"
}

# docs/CONTRACT.md G-4
@test "a chunked body is read, and over 64 KiB is a 413" {
	local before big=$BATS_TEST_TMPDIR/big.json
	insert_verified ann@example.test "Ann Smith"
	before=$(snapshot)
	# Apache's mod_cgi hands a chunked body over without CONTENT_LENGTH.
	http POST /auth/forgot-password '{"email":"nobody@example.test"}' -H 'Transfer-Encoding: chunked'
	expect 200 '{"message":"Password reset link sent to your email"}'
	http POST /auth/login '{"email":"ann@example.test","password":"x","password":1}' \
	    -H 'Transfer-Encoding: chunked'
	expect 422 "$(e422 password 'Input should be a valid string' string_type)"
	# Over 64 KiB, and far over: refused after 64 KiB, not read to the end.
	cp -- "$(G over_64k)" "$big"
	http POST /auth/forgot-password --data-file "$big" -H 'Transfer-Encoding: chunked'
	expect 413 "$TOO_LARGE"
	head -c $((4 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$big"
	http POST /auth/forgot-password --data-file "$big" -H 'Transfer-Encoding: chunked'
	expect 413 "$TOO_LARGE"
	unchanged "$before"
}

@test "Content-Length and chunked together do not smuggle a request" {
	local before req out
	before=$(snapshot)
	req=$BATS_TEST_TMPDIR/smuggle.req
	# Apache goes by Transfer-Encoding (RFC 9112 6.3): the body is empty, and
	# the bytes after it are not a second request.
	printf 'POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /user/profile HTTP/1.1\r\nHost: x\r\n\r\n' >"$req"
	out=$(HALF=1 raw_request "$req")
	parse_raw "$out"
	assert_status 400
	[[ $out != *"Not authenticated"* ]]
	[[ $(grep -c '^HTTP/1.1 ' <<<"${out//$'\r'/}") == 1 ]]
	unchanged "$before"
}

# raw_request FILE: sends the bytes of FILE to the server, then half-closes
# (HALF=1) or just waits, and prints what came back within 20 s.
raw_request() {
	"$MC_PYTHON" - "$MC_APACHE_PORT" "$1" "${HALF:-1}" <<-'EOF'
		import socket, sys, time
		port, path, half = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
		s = socket.create_connection(("127.0.0.1", port), timeout=20)
		s.sendall(open(path, "rb").read())
		if half:
		    s.shutdown(socket.SHUT_WR)
		data = b""
		try:
		    while True:
		        chunk = s.recv(65536)
		        if not chunk:
		            break
		        data += chunk
		except socket.timeout:
		    pass
		sys.stdout.buffer.write(data)
	EOF
}

# parse_raw TEXT: sets cgi_status, cgi_headers and cgi_body from a raw answer.
# shellcheck disable=SC2034  # read by the assertions of tests/cgi/helpers.bash
parse_raw() {
	local raw=${1//$'\r'/}
	cgi_headers=${raw%%$'\n\n'*}
	cgi_body=${raw#*$'\n\n'}
	cgi_status=$(awk 'NR == 1 { print $2 }' <<<"$cgi_headers")
	_http_last=0
}

# docs/CONTRACT.md G-3
@test "a Content-Length larger than the body is answered, not hung" {
	local before req out start
	before=$(snapshot)
	req=$BATS_TEST_TMPDIR/short.req
	printf 'POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"email":"a@b.test"}' >"$req"
	# The client half-closes after 20 of the 100 bytes: Apache sees the body
	# end early and answers for the program (whose answer it drops).
	start=$SECONDS
	out=$(HALF=1 raw_request "$req")
	parse_raw "$out"
	assert_status 400
	assert_body --raw '{"detail":"Bad Request"}'
	assert_std_headers
	((SECONDS - start < 15))
	unchanged "$before"
}

# docs/CONTRACT.md G-11
@test "a client that stops sending the body gets a JSON 408" {
	local before req out
	before=$(snapshot)
	req=$BATS_TEST_TMPDIR/stall.req
	printf 'POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"email":"a@b.test"}' >"$req"
	# The client keeps the connection open and sends nothing more: Apache
	# stops waiting (mod_reqtimeout, body=10) and answers.
	out=$(HALF=0 raw_request "$req")
	parse_raw "$out"
	assert_status 408
	assert_body --raw '{"detail":"Request Timeout"}'
	assert_std_headers
	unchanged "$before"
}

# ---------------------------------------------------------------------------
# Authorization

# docs/CONTRACT.md TK-1
@test "malformed Authorization headers get 401 Not authenticated" {
	local before h
	before=$(snapshot)
	for h in 'Bearer' 'Bearer ' 'Bearer  a b' 'Bearer a b' 'Basic YW5uOnB3' 'Token abc' \
	    'Bearerabc' 'bearer' 'Digest username="ann"'; do
		http GET /user/profile -H "Authorization: $h"
		expect 401 "$NOT_AUTH"
	done
	unchanged "$before"
}

# docs/CONTRACT.md TK-3
@test "non-ASCII and long bearer tokens get 401 Invalid or expired token" {
	local before
	before=$(snapshot)
	http GET /user/profile -H $'Authorization: Bearer \xc3\xa9\xc3\xa9.\xc3\xa9.\xc3\xa9'
	expect 401 "$BAD_TOKEN"
	http GET /user/profile -H $'Authorization: Bearer \xff\xfe'
	expect 401 "$BAD_TOKEN"
	http GET /user/profile -H "Authorization: Bearer $(cat "$(G jwt_over_8k)")"
	expect 401 "$BAD_TOKEN"
	http GET /user/profile -H "Authorization: Bearer $(cat "$(G jwt_over_4096)")"
	expect 401 "$BAD_TOKEN"
	unchanged "$before"
}

# docs/CONTRACT.md G-11
@test "a 100 KiB Authorization header gets Apache's JSON 400" {
	local before big
	before=$(snapshot)
	big=$(head -c 102400 /dev/zero | tr '\0' a)
	http GET /user/profile -H "Authorization: Bearer $big"
	expect 400 '{"detail":"Bad Request"}'
	unchanged "$before"
}

# docs/CONTRACT.md TK-3
@test "forged and unusable JWTs get 401 Invalid or expired token" {
	local before t
	insert_verified ann@example.test "Ann Smith"
	# User 2 existed, and is gone.
	insert_verified bob@example.test "Bob Smith"
	sql "DELETE FROM users WHERE id = 2" >/dev/null
	# These tokens are made as a standard JWT library makes them, without a
	# session (sid): accepted while LEGACY_TOKENS_UNTIL is ahead (SE-4).
	http_setting LEGACY_TOKENS_UNTIL=4102444800
	before=$(snapshot)
	# The good token works, so a 401 below is the token's fault.
	http GET /user/profile -H "Authorization: Bearer $(cat "$(G jwt_good)")"
	assert_status 200
	for t in alg_none alg_None alg_none_signed alg_hs384 alg_hs512 alg_rs256 alg_hs256_lower \
	    alg_missing alg_array crit wrong_key tampered_sub tampered_exp expired nbf_future \
	    iat_future exp_far_future exp_before_iat sub_word sub_number sub_float sub_zero_padded \
	    sub_negative sub_huge sub_missing exp_string deleted_user ten_segments two_segments \
	    padded_b64 json_deep; do
		http GET /user/profile -H "Authorization: Bearer $(cat "$(G "jwt_$t")")"
		expect 401 "$BAD_TOKEN" || {
			echo "token case: $t" >&2
			return 1
		}
	done
	unchanged "$before"
}
