#!/usr/bin/env bats
# Accounts migrated from the FastAPI version (docs/MIGRATION.md): their bcrypt
# hashes, as passlib's CryptContext(schemes=["bcrypt"]) wrote them ($2b$ cost
# 12 by default; $2a$ and $2y$ from older tools), log in over login.cgi and
# are replaced by an Argon2id hash at the configured cost in the same
# transaction; and bin/medicalcare-import-users, which brings them in from a
# CSV export of the FastAPI users table.

load helpers

# The hashes are made once per file by Python's bcrypt (what passlib calls)
# and the argon2 CLI; cost 4-5 keeps the tests fast, one is passlib's 12.
setup_file() {
	mc_setup_file || return 1
	local out
	out=$("$MC_PYTHON" - <<-'EOF'
		import bcrypt
		def h(pw, cost, ident):
		    salt = bcrypt.gensalt(cost, b"2b")
		    if ident != b"2b":
		        salt = b"$" + ident + salt[3:]
		    return bcrypt.hashpw(pw, salt).decode()
		print(h(b"StrongPass123", 12, b"2b"))
		print(h(b"StrongPass123", 4, b"2b"))
		print(h(b"StrongPass123", 4, b"2a"))
		print(h(b"StrongPass123", 5, b"2y"))
		print(h("Pässwörd123€".encode(), 4, b"2a"))
		print(h(b"0123456789" * 10, 4, b"2b"))
		print(h(b"OtherPass456", 4, b"2b"))
	EOF
	) || return 1
	{
		read -r BC_12
		read -r BC_2B
		read -r BC_2A
		read -r BC_2Y
		read -r BC_UTF8
		read -r BC_LONG
		read -r BC_OTHER
	} <<<"$out"
	# The cheapest Argon2id there is (m=8 KiB, t=1).
	ARGON_WEAK=$(printf '%s' StrongPass123 | argon2 mc-migration-salt -id -t 1 -k 8 -p 1 -e) || return 1
	export BC_12 BC_2B BC_2A BC_2Y BC_UTF8 BC_LONG BC_OTHER ARGON_WEAK
}

# The test env file sets no ARGON2_*: the defaults are configured.
DEFAULT_PREFIX='$argon2id$v=19$m=19456,t=2,p=1$'

# hash_of_email EMAIL prints the stored password hash of the account of EMAIL.
hash_of_email() {
	sql "SELECT password_hash FROM users WHERE email = :'e'" e="$1"
}

# login_response EMAIL PASSWORD [VAR=value]...: POSTs {"email","password"} to
# login.cgi; the answer is in cgi_status, cgi_body...
login_response() {
	local email=$1 pw=$2
	shift 2
	cgi POST login.cgi "$(jobj email "$email" password "$pw")" "$@"
}

# assert_token: a 200 with a bearer token that PyJWT accepts for account ID.
assert_token() {
	assert_status 200
	assert_json .token_type bearer
	[[ $(jwt_decode "$(json_get .access_token)" | jq -r .claims.sub) == "$1" ]]
}

# assert_upgraded EMAIL PASSWORD PREFIX: the stored hash is now Argon2id with
# PREFIX (the configured cost) and libargon2 says PASSWORD matches it.
assert_upgraded() {
	local h
	h=$(hash_of_email "$1")
	if [[ $h != "$3"* ]]; then
		echo "expected a hash starting $3, got ${h:0:40}..." >&2
		return 1
	fi
	"$MC_PYTHON" - "$h" "$2" <<-'EOF'
		import ctypes, sys
		lib = ctypes.CDLL("libargon2.so.1")
		h, p = sys.argv[1].encode(), sys.argv[2].encode()
		sys.exit(0 if lib.argon2id_verify(h, p, ctypes.c_size_t(len(p))) == 0 else 1)
	EOF
}

# docs/CONTRACT.md LI-7
@test "a bcrypt hash as passlib writes it (\$2b\$, cost 12) logs in and becomes Argon2id at the configured cost" {
	id=$(insert_user ann@example.test "Ann Smith" "$BC_12")
	login_response ann@example.test StrongPass123
	assert_token "$id"
	assert_upgraded ann@example.test StrongPass123 "$DEFAULT_PREFIX"
	[[ $cgi_stderr != *StrongPass123* ]]
	# The new hash logs in too, and is kept as it is.
	h=$(hash_of_email ann@example.test)
	login_response ann@example.test StrongPass123
	assert_token "$id"
	[[ $(hash_of_email ann@example.test) == "$h" ]]
}

# docs/CONTRACT.md LI-7
@test "\$2a\$ and \$2y\$ hashes log in and are upgraded at the configured cost (here m=1024, t=1)" {
	a=$(insert_user a@example.test "Ann Smith" "$BC_2A")
	y=$(insert_user y@example.test "Yan Smith" "$BC_2Y")
	u=$(insert_user u@example.test "Uma Smith" "$BC_UTF8")
	login_response a@example.test StrongPass123 ARGON2_MEMORY_KIB=1024 ARGON2_ITERATIONS=1
	assert_token "$a"
	login_response y@example.test StrongPass123 ARGON2_MEMORY_KIB=1024 ARGON2_ITERATIONS=1
	assert_token "$y"
	login_response u@example.test 'Pässwörd123€' ARGON2_MEMORY_KIB=1024 ARGON2_ITERATIONS=1
	assert_token "$u"
	assert_upgraded a@example.test StrongPass123 '$argon2id$v=19$m=1024,t=1,p=1$'
	assert_upgraded y@example.test StrongPass123 '$argon2id$v=19$m=1024,t=1,p=1$'
	assert_upgraded u@example.test 'Pässwörd123€' '$argon2id$v=19$m=1024,t=1,p=1$'
}

# docs/CONTRACT.md LI-7
@test "a wrong password against a bcrypt hash gets 401 and the hash stays bcrypt" {
	insert_user ann@example.test "Ann Smith" "$BC_2B" >/dev/null
	for pw in StrongPass124 strongpass123 StrongPass12 OtherPass456; do
		login_response ann@example.test "$pw"
		assert_status 401
		assert_body '{"detail":"Invalid email or password"}'
	done
	[[ $(hash_of_email ann@example.test) == "$BC_2B" ]]
	[[ $(sql "SELECT failures FROM login_failures WHERE email = 'ann@example.test'") == 4 ]]
}

# docs/CONTRACT.md LI-7
@test "an Argon2id hash below the configured cost (m=8, t=1) is rehashed at it; one at it is kept" {
	id=$(insert_user ann@example.test "Ann Smith" "$ARGON_WEAK")
	login_response ann@example.test StrongPass124
	assert_status 401
	[[ $(hash_of_email ann@example.test) == "$ARGON_WEAK" ]]
	login_response ann@example.test StrongPass123
	assert_token "$id"
	assert_upgraded ann@example.test StrongPass123 "$DEFAULT_PREFIX"
	# A hash above the configured cost is not lowered.
	login_response ann@example.test StrongPass123 ARGON2_MEMORY_KIB=1024 ARGON2_ITERATIONS=1
	assert_token "$id"
	[[ $(hash_of_email ann@example.test) == "$DEFAULT_PREFIX"* ]]
}

# docs/CONTRACT.md LI-7
@test "an unverified bcrypt account gets 403 with the right password, and its hash is upgraded all the same" {
	insert_user ann@example.test "Ann Smith" "$BC_2B" false >/dev/null
	login_response ann@example.test StrongPass123
	assert_status 403
	assert_body '{"detail":"Email not verified"}'
	# The password was right, so the login's transaction replaced the hash.
	assert_upgraded ann@example.test StrongPass123 "$DEFAULT_PREFIX"
	[[ $(sql "SELECT is_verified FROM users WHERE email = 'ann@example.test'") == f ]]
	login_response ann@example.test StrongPass124
	assert_status 401
}

# docs/CONTRACT.md LI-7
@test "against bcrypt only the first 72 bytes count, at any length up to 1024; the Argon2id hash then takes all" {
	long=0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789
	insert_user ann@example.test "Ann Smith" "$BC_LONG" >/dev/null
	login_response ann@example.test "${long:0:71}"
	assert_status 401
	# 600 bytes: past libxcrypt's 512-byte limit, still an answer, not a 500.
	login_response ann@example.test "${long:0:72}$(printf 'x%.0s' {1..528})"
	assert_status 200
	assert_upgraded ann@example.test "${long:0:72}$(printf 'x%.0s' {1..528})" "$DEFAULT_PREFIX"
	login_response ann@example.test "$long"
	assert_status 401
}

# ---------------------------------------------------------------------------
# bin/medicalcare-import-users

# import_users [ARG]... [VAR=value]...: runs the program as an operator would,
# under env -i with PATH, MEDICALCARE_ENV_FILE and the sanitizer options; a
# VAR=value adds or overrides a variable, other arguments go to the program;
# stdin is $csv_in when set. Sets imp_out, imp_err (without their final
# newlines) and imp_rc. Fails on a timeout, a signal, a sanitizer report, or
# any hash in the output.
import_users() {
	local rc=0
	tool_stdin=${csv_in:-/dev/null} run_tool import-users "$@" || rc=$?
	imp_out=$tool_out imp_err=$tool_err imp_rc=$tool_rc
	if [[ $imp_out$imp_err =~ \$2[a-z]?\$[0-9][0-9]\$|\$argon2 ]]; then
		printf 'medicalcare-import-users printed a hash:\n--- stdout:\n%s\n--- stderr:\n%s\n' \
		    "$imp_out" "$imp_err" >&2
		return 1
	fi
	return "$rc"
}

# assert_import RC OUTPUT: the last run exited RC and printed exactly OUTPUT.
assert_import() {
	if [[ $imp_rc -ne $1 || $imp_out != "$2" ]]; then
		printf 'expected exit %s and:\n%s\n--- got exit %s and:\n%s\n--- stderr:\n%s\n' \
		    "$1" "$2" "$imp_rc" "$imp_out" "$imp_err" >&2
		return 1
	fi
}

# users: every account as "email|full_name|is_verified|hash", by id.
users() {
	sql "SELECT email, full_name, is_verified, password_hash FROM users ORDER BY id"
}

# The export of the FastAPI database: CRLF line ends, a name with a comma and
# quotes, a name spread over two lines, an upper-case email with spaces, a
# duplicate of an existing account (bob, in another case), an invalid email,
# an invalid hash ($2x$), two rows for one address, an unknown is_verified.
write_csv() {
	csv=$BATS_TEST_TMPDIR/users.csv
	{
		printf 'email,full_name,password_hash,is_verified\r\n'
		printf '"  Ann@Example.TEST ","Smith, Ann ""Annie""",%s,true\r\n' "$BC_2B"
		printf 'BOB@example.test,Bob Jones,%s,t\r\n' "$BC_2A"
		printf 'not-an-email,Carl,%s,f\r\n' "$BC_2B"
		printf 'dan@example.test,"Dan\r\nLee",%s,0\r\n' "$BC_2B"
		printf 'eve@example.test,Eve Adams,$2x$04$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.u,1\r\n'
		printf 'fay@example.test,Fay Wong,%s,FALSE\r\n' "$BC_2Y"
		printf 'gus@example.test,  Gus Hill  ,"%s",f\r\n' "$ARGON_WEAK"
		printf 'ann@example.test,Ann Again,%s,t\r\n' "$BC_OTHER"
		printf 'hal@example.test,Hal,%s,maybe\r\n' "$BC_2B"
	} >"$csv"
}

# What is in the table before the import: bob has an account already.
existing() {
	insert_user bob@example.test "Robert Jones" "$ARGON_WEAK" >/dev/null
}

SKIPPED_INVALID='line 4: email: value is not a valid email address: An email address must have an @-sign.
line 5: full_name: Value error, Full name must not contain control characters
line 7: password_hash is not a bcrypt hash this service takes ($2a$, $2b$ or $2y$, cost 4 to 16, 60 characters)
line 10: email: the same address as line 2
line 11: is_verified is not one of true, false, t, f, 1, 0'

@test "the import reads quoted fields, commas and quotes and CRLF, leaves existing accounts alone and names each skipped row by its line" {
	existing
	write_csv
	import_users --skip-invalid "$csv"
	assert_import 0 "line 3: an account with this email exists: left as it is
$SKIPPED_INVALID
imported 3, skipped 6"
	[[ $(users) == "bob@example.test|Robert Jones|t|$ARGON_WEAK
ann@example.test|Smith, Ann \"Annie\"|t|$BC_2B
fay@example.test|Fay Wong|f|$BC_2Y
gus@example.test|Gus Hill|f|$ARGON_WEAK" ]]
	[[ $imp_err == "" ]]
	# Again: everything is there now, nothing changes.
	import_users --skip-invalid "$csv"
	assert_import 0 "line 2: an account with this email exists: left as it is
line 3: an account with this email exists: left as it is
line 4: email: value is not a valid email address: An email address must have an @-sign.
line 5: full_name: Value error, Full name must not contain control characters
line 7: password_hash is not a bcrypt hash this service takes (\$2a\$, \$2b\$ or \$2y\$, cost 4 to 16, 60 characters)
line 8: an account with this email exists: left as it is
line 9: an account with this email exists: left as it is
line 10: email: the same address as line 2
line 11: is_verified is not one of true, false, t, f, 1, 0
imported 0, skipped 9"
	[[ $(sql "SELECT count(*) FROM users") == 4 ]]
}

@test "without --skip-invalid an invalid row means the import imports nothing (exit 3)" {
	existing
	write_csv
	before=$(users)
	import_users "$csv"
	assert_import 3 "$SKIPPED_INVALID
nothing imported: 5 invalid rows (fix them, or pass --skip-invalid to import the others)"
	[[ $(users) == "$before" ]]
	# From standard input, a valid file goes in whole.
	head -n 3 "$csv" >"$BATS_TEST_TMPDIR/ok.csv"
	csv_in=$BATS_TEST_TMPDIR/ok.csv import_users -
	assert_import 0 "line 3: an account with this email exists: left as it is
imported 1, skipped 1"
}

@test "a dry run of the import reports the same and changes nothing" {
	existing
	write_csv
	before=$(users)
	import_users --dry-run --skip-invalid "$csv"
	assert_import 0 "line 3: an account with this email exists: left as it is
$SKIPPED_INVALID
would import 3, skip 6 (dry run: nothing changed)"
	[[ $(users) == "$before" ]]
	import_users --dry-run "$csv"
	assert_import 3 "$SKIPPED_INVALID
nothing imported: 5 invalid rows (fix them, or pass --skip-invalid to import the others)"
	[[ $(users) == "$before" ]]
}

# docs/CONTRACT.md LI-7
@test "imported accounts log in with their old password and are upgraded; unverified ones get 403" {
	write_csv
	import_users --skip-invalid "$csv"
	[[ $imp_rc -eq 0 ]]
	login_response ANN@example.test StrongPass123
	assert_token "$(sql "SELECT id FROM users WHERE email = 'ann@example.test'")"
	assert_upgraded ann@example.test StrongPass123 "$DEFAULT_PREFIX"
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $(json_get .access_token)"
	assert_status 200
	assert_json .full_name 'Smith, Ann "Annie"'
	assert_json .email ann@example.test
	login_response bob@example.test StrongPass123
	assert_status 200
	login_response fay@example.test StrongPass123
	assert_status 403
	assert_upgraded fay@example.test StrongPass123 "$DEFAULT_PREFIX"
}

@test "with the database down the import exits 1 and imports nothing" {
	write_csv
	import_users --skip-invalid "$csv" $(db_down)
	assert_import 1 "nothing imported: could not connect to the database (see the error above)"
	[[ $imp_err == *"could not connect to database"* ]]
	[[ $(sql "SELECT count(*) FROM users") == 0 ]]
}

teardown() {
	if [[ -n ${drop_trigger:-} ]]; then
		sql "DROP TRIGGER IF EXISTS mc_import_fail ON users;
		     DROP FUNCTION IF EXISTS mc_import_fail()" >/dev/null
	fi
}

@test "a failure at the import's fourth insert leaves nothing imported (one transaction)" {
	write_csv
	drop_trigger=1
	sql "CREATE FUNCTION mc_import_fail() RETURNS trigger LANGUAGE plpgsql AS
	     \$\$BEGIN RAISE EXCEPTION 'refused by the test'; END\$\$;
	     CREATE TRIGGER mc_import_fail BEFORE INSERT ON users FOR EACH ROW
	     WHEN (NEW.email = 'gus@example.test') EXECUTE FUNCTION mc_import_fail()"
	import_users --skip-invalid "$csv"
	sql "DROP TRIGGER mc_import_fail ON users; DROP FUNCTION mc_import_fail()"
	assert_import 1 'nothing imported: the database failed at line 9 (see the error above; for "out of shared memory", see docs/MIGRATION.md)'
	[[ $imp_err == *"refused by the test"* ]]
	[[ $(sql "SELECT count(*) FROM users") == 0 ]]
}

@test "the import refuses whole, with its line, a file PostgreSQL cannot read as the CSV export" {
	f=$BATS_TEST_TMPDIR/bad.csv
	printf 'email,name,password_hash,is_verified\n' >"$f"
	import_users "$f"
	assert_import 1 'nothing imported: line 1: column name mismatch in header line field 2: got "name", expected "full_name"'
	printf 'email,full_name,password_hash,is_verified\nann@example.test,Ann,%s,t\nbob@example.test,"Bob,%s,t\n' \
	    "$BC_2B" "$BC_2B" >"$f"
	import_users "$f"
	assert_import 1 'nothing imported: line 3: unterminated CSV quoted field'
	printf 'email,full_name,password_hash,is_verified\nann@example.test,Ann,%s,t,x\n' "$BC_2B" >"$f"
	import_users "$f"
	assert_import 1 'nothing imported: line 2: extra data after last expected column'
	: >"$f"
	import_users "$f"
	assert_import 1 'nothing imported: the file is empty: it needs at least the header row'
	import_users "$BATS_TEST_TMPDIR/missing.csv"
	assert_import 1 'nothing imported: could not open the file (see the error above)'
	[[ $(sql "SELECT count(*) FROM users") == 0 ]]
	import_users
	[[ $imp_rc -eq 2 && $imp_out == "" && $imp_err == usage:* ]]
}
