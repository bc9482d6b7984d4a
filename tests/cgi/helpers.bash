# Helpers for the CGI tests (bats). Every tests/cgi/*.bats starts with
#
#   load helpers
#
# which also defines these defaults (a file may define its own after the
# load; then call mc_setup_file / mc_teardown_file / reset_state from them):
#
#   setup_file()    { mc_setup_file; }
#   teardown_file() { mc_teardown_file; }
#   setup()         { reset_state; }
#
# Environment. tests/run.sh starts one PostgreSQL and one SMTP sink for the
# whole suite and exports MC_TEST_HARNESS=1, DATABASE_URL, MC_SMTP_PORT,
# MC_MAIL_SINK, CGI_DIR and BIN_DIR. A .bats file run alone
# (`bats tests/cgi/health.bats`) gets its own private PostgreSQL and sink from
# mc_setup_file, stopped again by mc_teardown_file. (A DATABASE_URL in your
# shell is ignored unless MC_TEST_HARNESS=1: reset_state empties every table.)
# CGI_DIR defaults to cgi-bin and BIN_DIR to bin (relative to the repository).
#
# The programs read $BATS_FILE_TMPDIR/test.env (MEDICALCARE_ENV_FILE); a
# variable passed to cgi wins over it. The JWT key in it is $MC_TEST_JWT_KEY,
# the two-factor key $MC_TEST_MFA_KEY.
#
# Every helper prints its diagnostics on stderr and returns non-zero on
# failure, which fails the test (bats runs tests with set -e).
#
# A helper that more than one .bats file needs lives here, once; a helper only
# one file needs stays in that file. Each is documented where it is defined:
#
#   setup, state   mc_setup_file, mc_teardown_file, reset_state, test_env_file
#   running        cgi, cgi_file, cgi_header, cgi_dump, run_outbox (the cron
#                  program medicalcare-outbox)
#   bodies         json_get, jobj (a JSON object of strings), ferr and err422
#                  (FastAPI 422 bodies)
#   assertions     assert_status, assert_body, assert_json, assert_jq,
#                  assert_header (exactly one such header), assert_std_headers,
#                  assert_header_contains, assert_header_token, refute_header,
#                  assert_retry_after
#   database       sql, insert_user, add_user, insert_verified, counts,
#                  age_mail, make_token, db_down_url, db_down, rows_of_account
#   mail           mail_files, mail_count, mail_last, mail_wait, mail_text,
#                  mail_header, mail_otp, mail_reset_token, mail_reject_with,
#                  mail_accept, mail_slow
#   sign-up        signed_up, verify, login_token
#   every endpoint ann (an account and its token), endpoint_request,
#                  each_endpoint, assert_unavailable (the 503 of an unreachable
#                  database), refute_access_control; with --http they go
#                  through the web server (tests/http)
#   tokens         make_jwt, jwt_decode, user_token
#   two-factor     mfa_setup, totp (a TOTP code computed here)
#   FastCGI        fcgi_start, fcgi_exit, fcgi_stop_all (one process of a
#                  program, reached by cgi with MC_CGI_VIA), fcgi_soak_round
#   hash gate      hold_gate, release_gate (stop programs where they hash)
#   waiting        wait_for
#
# Sourcing this file (bats's load, or `source` from another suite's helpers)
# only defines functions and variable defaults and sources tests/lib/pg.sh: it
# starts nothing. Names starting with _ are internal. The helpers avoid
# subprocesses where the shell can do the work (the suite's run time is mostly
# process starts): the header assertions, jobj for printable ASCII and the mail
# listing run in the shell itself.

# From this file's own path, so that a file outside tests/cgi (or a shell
# outside bats) can source it too.
if [[ ${BASH_SOURCE[0]} == */* ]]; then
	MC_ROOT=$(cd "${BASH_SOURCE[0]%/*}/../.." && pwd)
else
	MC_ROOT=$(cd ../.. && pwd)
fi
# shellcheck source=tests/lib/pg.sh
source "$MC_ROOT/tests/lib/pg.sh"

case ${CGI_DIR:=cgi-bin} in /*) ;; *) CGI_DIR=$MC_ROOT/$CGI_DIR ;; esac
case ${BIN_DIR:=bin} in /*) ;; *) BIN_DIR=$MC_ROOT/$BIN_DIR ;; esac
export CGI_DIR BIN_DIR

# A fixed 48-byte key, so tests can make their own tokens (make_jwt).
export MC_TEST_JWT_KEY=mc-test-jwt-secret-0123456789-abcdefghijklmnopqr
# A fixed 48-byte MFA_ENCRYPTION_KEY, so tests can open what the programs seal.
export MC_TEST_MFA_KEY=mc-test-mfa-key-0123456789-ABCDEFGHIJKLMNOPQRSTU
# Seconds one CGI run may take before it counts as hung.
: "${MC_CGI_TIMEOUT:=30}"
# Seconds mail_wait waits at most (it returns as soon as the mail is there;
# a mail sent after the answer by a plain CGI program on a busy machine can
# take seconds).
: "${MC_MAIL_WAIT:=20}"
# MC_CGI_WRAP: a command (words split on blanks) that cgi, cgi_file and
# run_outbox put before the program, e.g. "valgrind --error-exitcode=99"
# (tests/cgi/valgrind.bats). Empty by default.

setup_file() { mc_setup_file; }
teardown_file() { mc_teardown_file; }
setup() { reset_state; }

# ---------------------------------------------------------------------------
# Setup and state

# Starts PostgreSQL and the SMTP sink unless tests/run.sh did, then writes the
# test env file and exports MEDICALCARE_ENV_FILE.
mc_setup_file() {
	if [[ ${MC_TEST_HARNESS:-} != 1 ]]; then
		unset DATABASE_URL MC_SMTP_PORT MC_MAIL_SINK
		pg_start || return 1
		export MC_TEST_OWN_PG=1
		if ! sink_start; then
			pg_stop
			return 1
		fi
		export MC_TEST_OWN_SINK=1
	fi
	if [[ -z ${DATABASE_URL:-} || -z ${MC_SMTP_PORT:-} || -z ${MC_MAIL_SINK:-} ]]; then
		echo "mc_setup_file: need DATABASE_URL, MC_SMTP_PORT and MC_MAIL_SINK" >&2
		return 1
	fi
	export MEDICALCARE_ENV_FILE=$BATS_FILE_TMPDIR/test.env
	cat >"$MEDICALCARE_ENV_FILE" <<-EOF
		# Written by tests/cgi/helpers.bash for one .bats file.
		JWT_SECRET_KEY=$MC_TEST_JWT_KEY
		MFA_ENCRYPTION_KEY=$MC_TEST_MFA_KEY
		FRONTEND_URL=http://localhost:3000
		CORS_ORIGINS=$MC_TEST_CORS_ORIGINS
		MAIL_TRANSPORT=smtp
		SMTP_SERVER=127.0.0.1
		SMTP_PORT=$MC_SMTP_PORT
		SMTP_SECURITY=none
		SMTP_FROM=no-reply@medicalcare.test
		DATABASE_URL=$DATABASE_URL
		# Per-address limits out of the way (every test runs from 127.0.0.1);
		# tests of them lower one with test_env_file or a cgi VAR=value.
		CLIENT_LIMIT_LOGIN=1000000
		CLIENT_LIMIT_SIGNUP=1000000
		CLIENT_LIMIT_VERIFY_OTP=1000000
		CLIENT_LIMIT_RESEND_OTP=1000000
		CLIENT_LIMIT_FORGOT_PASSWORD=1000000
		# A hash gate of this file's own, apart from other test runs.
		HASH_LOCK_FILE=$BATS_FILE_TMPDIR/hash.lock
	EOF
}

mc_teardown_file() {
	if [[ ${MC_TEST_OWN_SINK:-} == 1 ]]; then
		sink_stop
		unset MC_TEST_OWN_SINK
	fi
	if [[ ${MC_TEST_OWN_PG:-} == 1 ]]; then
		pg_stop
		unset MC_TEST_OWN_PG
	fi
	return 0
}

# Empties every table but schema_migrations and restarts every sequence (so
# ids count from 1 again), then the mail sink (messages and any .reply);
# brings the database back up if a test left it down. (DELETE, retried in
# foreign-key order, is faster here than TRUNCATE.)
read -r -d '' _mc_reset_sql <<'EOF' || true
DO $$
DECLARE
	pending text[];
	remaining text[];
	t text;
	progress boolean;
BEGIN
	SELECT array_agg(format('%I.%I', schemaname, tablename)) INTO pending
	  FROM pg_tables
	 WHERE schemaname = current_schema() AND tablename <> 'schema_migrations';
	WHILE cardinality(pending) > 0 LOOP
		remaining := '{}';
		progress := false;
		FOREACH t IN ARRAY pending LOOP
			BEGIN
				EXECUTE 'DELETE FROM ' || t;
				progress := true;
			EXCEPTION WHEN foreign_key_violation THEN
				remaining := remaining || t;
			END;
		END LOOP;
		IF NOT progress THEN
			RAISE EXCEPTION 'reset_state: cannot empty %', remaining;
		END IF;
		pending := remaining;
	END LOOP;
	FOR t IN SELECT format('%I.%I', sequence_schema, sequence_name)
	           FROM information_schema.sequences
	          WHERE sequence_schema = current_schema() LOOP
		EXECUTE 'ALTER SEQUENCE ' || t || ' RESTART';
	END LOOP;
END $$;
EOF

reset_state() {
	if ! sql "$_mc_reset_sql" >/dev/null 2>&1; then
		if [[ -n ${MC_PG_DIR:-} ]] && ! pg_is_up; then
			pg_up || return 1
		fi
		sql "$_mc_reset_sql" >/dev/null || return 1
	fi
	if [[ -n ${MC_MAIL_SINK:-} && -d $MC_MAIL_SINK ]]; then
		rm -f -- "$MC_MAIL_SINK"/*.eml "$MC_MAIL_SINK"/*.json "$MC_MAIL_SINK/.reply" \
		    "$MC_MAIL_SINK/.delay"
	fi
	return 0
}

# test_env_file [-VAR] [VAR=value]... prints the path of a new env file: the
# test env file with VAR removed (-VAR) or set (VAR=value). Use it for settings
# that must be absent, since a variable given to cgi can only add or override:
#   cgi GET health.cgi MEDICALCARE_ENV_FILE="$(test_env_file -JWT_SECRET_KEY)"
test_env_file() {
	local f arg name
	f=$(mktemp "${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/variant.XXXXXX.env") || return 1
	cp -- "$MEDICALCARE_ENV_FILE" "$f" || return 1
	for arg in "$@"; do
		if [[ $arg == -* ]]; then
			name=${arg#-}
		else
			name=${arg%%=*}
		fi
		grep -v -E "^(export[[:space:]]+)?$name=" "$f" >"$f.new" || true
		mv -- "$f.new" "$f"
		if [[ $arg != -* ]]; then
			printf '%s\n' "$arg" >>"$f"
		fi
	done
	printf '%s\n' "$f"
}

# ---------------------------------------------------------------------------
# Running a CGI program

# cgi METHOD PROGRAM [BODY] [VAR=value | -VAR]...
#   Runs $CGI_DIR/PROGRAM as a web server would: under `env -i` with PATH,
#   MEDICALCARE_ENV_FILE, ASAN_/UBSAN_/LSAN_OPTIONS (when set),
#   GATEWAY_INTERFACE=CGI/1.1, SERVER_PROTOCOL=HTTP/1.1, SERVER_NAME=localhost,
#   SERVER_PORT=80, REQUEST_METHOD=METHOD, SCRIPT_NAME and REQUEST_URI
#   /cgi-bin/PROGRAM, QUERY_STRING empty, REMOTE_ADDR=127.0.0.1.
#   BODY: the third argument unless it looks like VAR=value or -VAR (upper-case
#   name). A non-empty BODY goes to stdin with CONTENT_TYPE=application/json and
#   CONTENT_LENGTH=<bytes>; an empty or absent BODY means empty stdin and no
#   CONTENT_* variables. Then VAR=value sets or overrides a variable (VAR= sets
#   it to the empty string) and -VAR removes one, e.g.
#     cgi POST login.cgi '{"email":"a@b.test"}' CONTENT_TYPE=text/plain
#     cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $tok" HTTP_ORIGIN=http://localhost:3000
#     cgi POST signup.cgi '{}' CONTENT_LENGTH=999999
#     cgi POST signup.cgi '' CONTENT_TYPE=application/json CONTENT_LENGTH=0
#     cgi POST signup.cgi '{}' -CONTENT_LENGTH
#   Sets: cgi_status (from Status:, 200 when absent), cgi_headers (the header
#   block, LF line ends), cgi_body (the body, exact, trailing newlines kept; up
#   to a NUL byte: cgi_body_file has all the bytes), cgi_stderr (without its
#   final newlines, as $(cat) gives it), cgi_rc, and the
#   files cgi_out_file (all stdout), cgi_body_file, cgi_stderr_file.
#   Fails the test when the program exits non-zero, dies by a signal, runs over
#   MC_CGI_TIMEOUT seconds, prints no header/body separator, or writes a
#   sanitizer report on stderr.
#   With MC_CGI_VIA=DIR set, the request goes instead to the FastCGI process
#   listening on DIR/<program without .cgi>.sock, through cgi-fcgi (Debian
#   libfcgi-bin), which passes the same variables as the request's
#   parameters: a setting given as VAR=value then has no effect.
cgi() {
	# Without bats's DEBUG trap in the functions it calls: 4 times faster.
	local -
	set +T
	_cgi_str "$@"
}

_cgi_str() {
	local method=$1 program=$2 body_set=0 body=""
	shift 2
	if [[ $# -gt 0 && ! $1 =~ ^[A-Z_][A-Z0-9_]*= && ! $1 =~ ^-[A-Z_][A-Z0-9_]*$ ]]; then
		if [[ -n $1 ]]; then
			body=$1 body_set=1
		fi
		shift
	fi
	_cgi_files
	if [[ $body_set -eq 1 ]]; then
		printf '%s' "$body" >"$_cgi_in"
		local LC_ALL=C
		_cgi_run "$method" "$program" "$_cgi_in" "${#body}" "$@"
	else
		_cgi_run "$method" "$program" "" "" "$@"
	fi
}

# cgi_file METHOD PROGRAM FILE [VAR=value | -VAR]...
#   As cgi, with the body read from FILE (any bytes, NUL included);
#   CONTENT_TYPE=application/json and CONTENT_LENGTH=<size of FILE>.
cgi_file() {
	local -
	set +T
	_cgi_file "$@"
}

_cgi_file() {
	local method=$1 program=$2 file=$3 size
	shift 3
	if [[ ! -r $file ]]; then
		echo "cgi_file: cannot read $file" >&2
		return 1
	fi
	size=$(stat -c %s -- "$file") || return 1
	_cgi_files
	_cgi_run "$method" "$program" "$file" "$size" "$@"
}

# Names the files of the next run (no subshells: cgi is called often).
_cgi_seq=0
_cgi_files() {
	local dir=${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}}
	_cgi_seq=$((_cgi_seq + 1))
	_cgi_in=$dir/cgi.$_cgi_seq.in
	cgi_out_file=$dir/cgi.$_cgi_seq.out
	cgi_stderr_file=$dir/cgi.$_cgi_seq.err
	cgi_body_file=$dir/cgi.$_cgi_seq.body
}

# Finds header NAME (case-insensitive) in cgi_headers: _cgi_hval holds the
# values, one a line; returns 1 when there is none.
_cgi_hget() {
	local want=${1,,} line name found=1
	_cgi_hval=""
	while IFS= read -r line; do
		[[ $line == *:* ]] || continue
		name=${line%%:*}
		if [[ ${name,,} == "$want" ]]; then
			line=${line#*:}
			line=${line#"${line%%[![:space:]]*}"}
			line=${line%"${line##*[![:space:]]}"}
			_cgi_hval+=${_cgi_hval:+$'\n'}$line
			found=0
		fi
	done <<<"$cgi_headers"
	return $found
}

_cgi_run() { # METHOD PROGRAM BODY_FILE|"" CONTENT_LENGTH [VAR=value | -VAR]...
	local method=$1 program=$2 body_file=$3 length=$4
	shift 4
	local exe=$CGI_DIR/$program arg name
	local -A ev=()
	local -a envargs=()
	local -a via=()
	if [[ -n ${MC_CGI_VIA:-} ]]; then
		# To a FastCGI process of the program (fcgi_start in fastcgi.bats):
		# cgi-fcgi sends its environment as the request's parameters.
		exe=$(command -v cgi-fcgi) || {
			echo "cgi: cgi-fcgi is not installed (Debian libfcgi-bin)" >&2
			return 1
		}
		via=(-bind -connect "$MC_CGI_VIA/${program%.cgi}.sock")
	fi
	if [[ ! -x $exe ]]; then
		echo "cgi: $exe does not exist or is not executable (not built?)" >&2
		return 1
	fi
	ev[PATH]=/usr/local/bin:/usr/bin:/bin
	ev[GATEWAY_INTERFACE]=CGI/1.1
	ev[SERVER_PROTOCOL]=HTTP/1.1
	ev[SERVER_NAME]=localhost
	ev[SERVER_PORT]=80
	ev[REQUEST_METHOD]=$method
	ev[SCRIPT_NAME]=/cgi-bin/$program
	ev[REQUEST_URI]=/cgi-bin/$program
	ev[QUERY_STRING]=
	ev[REMOTE_ADDR]=127.0.0.1
	for name in MEDICALCARE_ENV_FILE ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		if [[ -n ${!name+set} ]]; then
			ev[$name]=${!name}
		fi
	done
	if [[ -n $body_file ]]; then
		ev[CONTENT_TYPE]=application/json
		ev[CONTENT_LENGTH]=$length
	fi
	for arg in "$@"; do
		if [[ $arg =~ ^-([A-Za-z_][A-Za-z0-9_]*)$ ]]; then
			unset "ev[${BASH_REMATCH[1]}]"
		elif [[ $arg =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]]; then
			ev[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
		else
			echo "cgi: bad argument '$arg' (want VAR=value or -VAR)" >&2
			return 1
		fi
	done
	for name in "${!ev[@]}"; do
		envargs+=("$name=${ev[$name]}")
	done

	cgi_rc=0
	local -a wrap=()
	[[ -z ${MC_CGI_WRAP:-} ]] || read -r -a wrap <<<"$MC_CGI_WRAP"
	timeout -k 5 "$MC_CGI_TIMEOUT" env -i "${envargs[@]}" "${wrap[@]}" "$exe" "${via[@]}" \
	    <"${body_file:-/dev/null}" >"$cgi_out_file" 2>"$cgi_stderr_file" 3>&- || cgi_rc=$?
	cgi_stderr="" cgi_headers="" cgi_body="" cgi_status=""
	IFS= read -r -d '' cgi_stderr <"$cgi_stderr_file" || true
	# As $(cat file) would: without the final newlines.
	while [[ $cgi_stderr == *$'\n' ]]; do
		cgi_stderr=${cgi_stderr%$'\n'}
	done

	local all="" hdr sep a b
	IFS= read -r -d '' all <"$cgi_out_file" || true
	# The header block ends at the first empty line (CRLF or LF); offsets in bytes.
	local LC_ALL=C
	a=${all%%$'\r\n\r\n'*}
	b=${all%%$'\n\n'*}
	if [[ ${#a} -lt ${#all} && (${#b} -ge ${#all} || ${#a} -lt ${#b}) ]]; then
		hdr=$a sep=4
	elif [[ ${#b} -lt ${#all} ]]; then
		hdr=$b sep=2
	else
		hdr=$all sep=0
	fi
	cgi_headers=${hdr//$'\r'/}
	if [[ $sep -gt 0 ]]; then
		cgi_body=${all:$((${#hdr} + sep))}
		tail -c +$((${#hdr} + sep + 1)) -- "$cgi_out_file" >"$cgi_body_file"
	else
		: >"$cgi_body_file"
	fi
	if _cgi_hget Status; then
		cgi_status=${_cgi_hval%%[[:space:]]*}
	else
		cgi_status=200
	fi

	local why=""
	if [[ $cgi_rc -eq 124 ]]; then
		why="$program did not finish within $MC_CGI_TIMEOUT s"
	elif [[ $cgi_rc -gt 128 ]]; then
		why="$program died by signal $((cgi_rc - 128))"
	elif [[ $cgi_rc -ne 0 ]]; then
		why="$program exited with status $cgi_rc"
	fi
	if _san_report "$cgi_stderr"; then
		why="${why:+$why; }sanitizer report on stderr"
	fi
	if [[ -z $why && $sep -eq 0 ]]; then
		why="$program printed no empty line after its headers"
	fi
	if [[ -n $why ]]; then
		echo "cgi: $method $program: $why" >&2
		cgi_dump
		return 1
	fi
	return 0
}

# _san_report TEXT: TEXT (a program's stderr) holds an ASan, LSan or UBSan report.
_san_report() {
	case $1 in
	*"ERROR: AddressSanitizer"* | *"ERROR: LeakSanitizer"* | *"runtime error:"* | *"SUMMARY: UndefinedBehaviorSanitizer"*)
		return 0
		;;
	esac
	return 1
}

# cgi_header NAME prints the value of each header NAME (case-insensitive) of
# the last response, one a line; fails when there is none.
cgi_header() {
	_cgi_hget "$1" || return 1
	printf '%s\n' "$_cgi_hval"
}

# cgi_dump prints the last response (status, headers, body, stderr) on stderr.
cgi_dump() {
	{
		printf -- '--- status: %s (exit %s)\n' "${cgi_status:-?}" "${cgi_rc:-?}"
		printf -- '--- headers:\n%s\n' "${cgi_headers:-}"
		printf -- '--- body:\n%s\n' "${cgi_body:-}"
		printf -- '--- stderr:\n%s\n---\n' "${cgi_stderr:-}"
	} >&2
}

# _strip_time: stdin without the ISO 8601 UTC time at the start of each line.
_strip_time() {
	sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z //'
}

# run_tool NAME [ARG]... [VAR=value]...
#   Runs $BIN_DIR/medicalcare-NAME as cron would: under `env -i` with PATH,
#   MEDICALCARE_ENV_FILE and ASAN_/UBSAN_/LSAN_OPTIONS (when set), through
#   MC_CGI_WRAP (valgrind.bats), stdin from $tool_stdin (default /dev/null).
#   A VAR=value (upper-case name) adds or overrides a variable, any other
#   argument goes to the program. Sets tool_out, tool_err (without their
#   final newlines, and without the time that starts each line a cron tool
#   writes: "2026-12-07T12:00:00Z "), tool_out_raw and tool_err_raw (as
#   written) and tool_rc. Fails when the program is missing, on a
#   timeout (120 s), a signal or a sanitizer report on stderr, not on a
#   non-zero exit.
run_tool() {
	local prog=$BIN_DIR/medicalcare-$1
	local -a envargs=(PATH=/usr/local/bin:/usr/bin:/bin "MEDICALCARE_ENV_FILE=$MEDICALCARE_ENV_FILE")
	local -a args=() wrap=()
	local name arg out err
	shift
	if [[ ! -x $prog ]]; then
		echo "run_tool: $prog does not exist (not built?)" >&2
		return 1
	fi
	for name in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[[ -z ${!name+set} ]] || envargs+=("$name=${!name}")
	done
	for arg in "$@"; do
		if [[ $arg =~ ^[A-Z_][A-Z0-9_]*= ]]; then
			envargs+=("$arg")
		else
			args+=("$arg")
		fi
	done
	# Unique without mktemp: $BASHPID tells apart runs started with &.
	_tool_seq=$((${_tool_seq:-0} + 1))
	out=${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}}/tool.$BASHPID.$_tool_seq
	err=$out.err out=$out.out
	[[ -z ${MC_CGI_WRAP:-} ]] || read -r -a wrap <<<"$MC_CGI_WRAP"
	tool_rc=0
	timeout -k 5 120 env -i "${envargs[@]}" "${wrap[@]}" "$prog" "${args[@]}" \
	    <"${tool_stdin:-/dev/null}" >"$out" 2>"$err" 3>&- || tool_rc=$?
	tool_out_raw=$(cat -- "$out") tool_err_raw=$(cat -- "$err")
	tool_out=$(_strip_time <<<"$tool_out_raw") tool_err=$(_strip_time <<<"$tool_err_raw")
	if [[ $tool_rc -eq 124 || $tool_rc -gt 128 ]] || _san_report "$tool_err"; then
		printf '%s: exit %s\n--- stdout:\n%s\n--- stderr:\n%s\n' \
		    "${prog##*/}" "$tool_rc" "$tool_out" "$tool_err" >&2
		return 1
	fi
}

# run_outbox [ARG]... [VAR=value]...
#   run_tool outbox, with its results also in outbox_out, outbox_err and outbox_rc.
run_outbox() {
	local rc=0
	run_tool outbox "$@" || rc=$?
	outbox_out=$tool_out outbox_err=$tool_err outbox_rc=$tool_rc
	return "$rc"
}

# json_get JQ_PATH prints `jq -r JQ_PATH` of the last body.
json_get() {
	jq -r "$1" <<<"$cgi_body"
}

# ---------------------------------------------------------------------------
# Request and answer bodies

# jobj KEY VALUE [KEY VALUE]... prints a compact JSON object of strings,
# byte for byte what jq -c would (keys in order, a repeated key once, with
# its last value). Printable ASCII is escaped here; anything else goes to jq.
jobj() {
	local LC_ALL=C out="" k v i
	local -a a=("$@")
	local -A seen=()
	if (($# % 2 == 0)); then
		for ((i = 0; i < $#; i += 2)); do
			k=${a[i]} v=${a[i + 1]}
			if [[ $k$v == *[!\ -~]* || -n ${seen[.$k]+set} ]]; then
				out=""
				break
			fi
			seen[.$k]=1
			k=${k//\\/\\\\} v=${v//\\/\\\\}
			k=${k//\"/\\\"} v=${v//\"/\\\"}
			out+=${out:+,}\"$k\":\"$v\"
		done
		if ((i >= $#)); then
			printf '{%s}\n' "$out"
			return 0
		fi
	fi
	jq -cn '$ARGS.positional as $a | [range(0; $a | length; 2) | {($a[.]): $a[. + 1]}] | add // {}' \
	    --args -- "$@"
}

# ferr FIELD MSG TYPE prints one FastAPI validation entry of a 422 body,
# {"loc":["body",FIELD],"msg":MSG,"type":TYPE} (MSG as is: no escaping);
# err422 ENTRY... prints the whole body, {"detail":[ENTRY,...]}:
#   assert_body --raw "$(err422 "$(ferr email 'Field required' missing)")"
ferr() {
	printf '{"loc":["body","%s"],"msg":"%s","type":"%s"}' "$1" "$2" "$3"
}

err422() {
	local IFS=,
	printf '{"detail":[%s]}' "$*"
}

# ---------------------------------------------------------------------------
# Assertions on the last response

_fail() {
	echo "$*" >&2
	cgi_dump
	return 1
}

# assert_status N
assert_status() {
	if [[ ${cgi_status:-} != "$1" ]]; then
		_fail "expected status $1, got ${cgi_status:-none}"
		return 1
	fi
}

# assert_body JSON        the body is JSON equal to JSON (keys in any order,
#                         whitespace ignored: compared as `jq -S -c .`)
# assert_body --raw TEXT  the body is exactly TEXT, byte for byte
assert_body() {
	local want got
	if [[ $1 == --raw ]]; then
		assert_body_raw "$2"
		return
	fi
	if ! want=$(jq -S -c . <<<"$1" 2>&1); then
		_fail "assert_body: the expected value is not JSON: $1"
		return 1
	fi
	if ! got=$(jq -S -c . <<<"$cgi_body" 2>/dev/null) || [[ -z $got ]]; then
		_fail "expected body $want, got a body that is not JSON"
		return 1
	fi
	if [[ $got != "$want" ]]; then
		_fail "expected body $want"$'\n'"     got body $got"
		return 1
	fi
}

assert_body_raw() {
	if [[ $cgi_body != "$1" ]]; then
		_fail "expected exactly the body: $1"
		return 1
	fi
}

# assert_json JQ_PATH VALUE   `jq -r JQ_PATH` of the body is VALUE (a string
#                             or a number written as text; null prints null)
assert_json() {
	local got
	if ! got=$(jq -r "$1" <<<"$cgi_body" 2>/dev/null); then
		_fail "assert_json: body is not JSON or $1 is not a valid jq path"
		return 1
	fi
	if [[ $got != "$2" ]]; then
		_fail "expected $1 == $2, got $got"
		return 1
	fi
}

# assert_jq JQ_EXPR   the jq expression is true of the body (one argument;
#                     assert_json compares a value), e.g. assert_jq '.id | type == "number"'
assert_jq() {
	local got
	if [[ $# -ne 1 ]]; then
		_fail "assert_jq takes one filter; use assert_json PATH VALUE to compare"
		return 1
	fi
	got=$(jq -e "$1" <<<"$cgi_body" 2>&1) || {
		_fail "expected the body to satisfy: $1 (jq: $got)"
		return 1
	}
}

# The header assertions below read cgi_headers in the shell itself (no
# subprocess); the values they compare are trimmed of surrounding white space.

# assert_header NAME VALUE    exactly one header NAME, and its value is VALUE
assert_header() {
	if ! _cgi_hget "$1"; then
		_fail "expected one header $1: $2, got none"
		return 1
	fi
	if [[ $_cgi_hval != "$2" ]]; then
		_fail "expected one header $1: $2, got: $_cgi_hval"
		return 1
	fi
}

# assert_std_headers    the headers of every JSON answer (docs/CONTRACT.md G-1): one
#                       Content-Type application/json, Cache-Control no-store
#                       and X-Content-Type-Options nosniff
assert_std_headers() {
	assert_header Content-Type application/json || return 1
	assert_header Cache-Control no-store || return 1
	assert_header X-Content-Type-Options nosniff
}

# assert_header_contains NAME TEXT    header NAME contains TEXT
assert_header_contains() {
	if ! _cgi_hget "$1"; then
		_fail "expected header $1 containing $2, got none"
		return 1
	fi
	if [[ $_cgi_hval != *"$2"* ]]; then
		_fail "expected header $1 containing $2, got: $_cgi_hval"
		return 1
	fi
}

# assert_header_token NAME TOKEN    header NAME, a comma-separated list, has
#                                   TOKEN (case-insensitive), e.g. Allow GET
assert_header_token() {
	local got t
	if ! _cgi_hget "$1"; then
		_fail "expected header $1 with $2, got none"
		return 1
	fi
	got=$_cgi_hval
	local IFS=,
	for t in $got; do
		t=${t#"${t%%[![:space:]]*}"}
		t=${t%"${t##*[![:space:]]}"}
		if [[ ${t,,} == "${2,,}" ]]; then
			return 0
		fi
	done
	_fail "expected header $1 to list $2, got: $got"
	return 1
}

# refute_header NAME    no header NAME
refute_header() {
	if _cgi_hget "$1"; then
		_fail "expected no header $1, got: $_cgi_hval"
		return 1
	fi
	return 0
}

# assert_retry_after LO HI    one Retry-After header, an integer in [LO, HI]
assert_retry_after() {
	if ! _cgi_hget Retry-After; then
		_fail "expected a Retry-After header"
		return 1
	fi
	if [[ ! $_cgi_hval =~ ^[0-9]+$ ]] || ((_cgi_hval < $1 || _cgi_hval > $2)); then
		_fail "expected Retry-After an integer in [$1, $2], got '$_cgi_hval'"
		return 1
	fi
}

# ---------------------------------------------------------------------------
# Database

# sql "SQL" [NAME=value]...   runs SQL against DATABASE_URL (psql -XAtq, so
# fields are separated by |, one row a line) and prints the result. NAME=value
# pairs become psql variables, to be used quoted: :'NAME' (literal), :"NAME".
#   sql "SELECT is_verified FROM users WHERE email = :'e'" e=ann@example.test
sql() {
	local q=$1 arg
	local -a vars=()
	shift
	for arg in "$@"; do
		vars+=(-v "$arg")
	done
	psql -X -A -t -q -v ON_ERROR_STOP=1 "${vars[@]}" -d "$DATABASE_URL" <<<"$q"
}

# insert_user EMAIL NAME HASH [VERIFIED]   inserts a users row with the
# password hash HASH (a PHC string), verified unless VERIFIED is false or f;
# prints its id.
insert_user() {
	sql "INSERT INTO users (email, full_name, password_hash, is_verified)
	     VALUES (:'e', :'n', :'h', :'v'::boolean) RETURNING id" \
	    e="$1" n="$2" h="$3" v="${4:-true}"
}

# add_user EMAIL NAME PASSWORD [t|f]   insert_user with an Argon2id hash of
# PASSWORD made by the argon2 CLI at the service's default cost (m=19456,
# t=2, p=1) and a random salt, so the programs can check the password; prints
# the id.
add_user() {
	local hash salt
	printf -v salt '%08x%08x' "$SRANDOM" "$SRANDOM"
	hash=$(printf '%s' "$3" | argon2 "$salt" -id -t 2 -k 19456 -p 1 -e) || return 1
	insert_user "$1" "$2" "$hash" "${4:-t}"
}

# insert_verified EMAIL NAME   a verified account made directly in the
# database, with a well-formed hash no password matches; prints nothing.
insert_verified() {
	# shellcheck disable=SC2016 # a literal PHC string
	insert_user "$1" "$2" \
	    '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA' true >/dev/null
}

# counts prints "users|otp_codes|mail_outbox|mails in the sink" (row counts).
counts() {
	local db
	db=$(sql "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM otp_codes),
	                 (SELECT count(*) FROM mail_outbox)") || return 1
	_mail_list
	printf '%s|%s\n' "$db" "${#_mail_list_out[@]}"
}

# age_mail EMAIL [SECONDS]   moves the outbox rows to EMAIL SECONDS (61) into
# the past, e.g. past the 60 s mail cooldown.
age_mail() {
	sql "UPDATE mail_outbox SET created_at = created_at - make_interval(secs => :'s')
	      WHERE recipient = :'e'" e="$1" s="${2:-61}" >/dev/null
}

# make_token ID   stores a fresh reset token for account ID the way
# forgot-password does (its SHA-256, valid 15 minutes) without the mail round
# trip; sets the global token (43 base64url characters).
make_token() {
	token=$(openssl rand -base64 32) || return 1
	token=${token%%=*} token=${token//+/-} token=${token//\//_}
	sql "INSERT INTO reset_tokens (user_id, token_hash, expires_at)
	     VALUES (:'id', sha256(convert_to(:'t', 'UTF8')), now() + interval '15 minutes')" \
	    id="$1" t="$token" >/dev/null
}

# rows_of_account ID EMAIL prints "table:rows" for every table but the audit trail and
# schema_migrations holding a row of account ID: the users row, a row whose
# user_id is ID, or any row whose text holds EMAIL. The tables are read from
# information_schema, so a table added later is covered too.
rows_of_account() {
	sql "SELECT string_agg(t.table_name || ':' || n.rows, ',' ORDER BY t.table_name)
	       FROM information_schema.tables t
	      CROSS JOIN LATERAL (SELECT (xpath('/row/n/text()', query_to_xml(format(
	            'SELECT count(*) AS n FROM %I r WHERE r::text ILIKE %L%s%s',
	            t.table_name, '%' || :'e' || '%',
	            CASE WHEN EXISTS (SELECT 1 FROM information_schema.columns c
	                               WHERE c.table_schema = t.table_schema
	                                 AND c.table_name = t.table_name AND c.column_name = 'user_id')
	                 THEN format(' OR r.user_id = %s', :'id') ELSE '' END,
	            CASE WHEN t.table_name = 'users' THEN format(' OR r.id = %s', :'id') ELSE '' END),
	            false, true, '')))[1]::text::int AS rows) n
	      WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
	        AND t.table_name NOT IN ('audit_events', 'schema_migrations') AND n.rows > 0" \
	    id="$1" e="$2"
}

# db_down_url prints a DATABASE_URL nobody listens on; db_down prints the
# arguments for cgi that point it there, one a line (unquoted $(db_down)):
#   cgi POST login.cgi "$body" $(db_down)
db_down_url() {
	printf 'postgresql://mc_test:wrong@127.0.0.1:%s/medicalcare_test\n' "$(free_port)"
}

db_down() {
	printf '%s\n' "DATABASE_URL=$(db_down_url)" DB_CONNECT_TIMEOUT=2
}

# ---------------------------------------------------------------------------
# Mail (the sink: $MC_MAIL_SINK/<seq>.eml raw message + <seq>.json envelope)

# _mail_list [ADDRESS] sets the array _mail_list_out to the .eml paths, oldest
# first, of every message (to ADDRESS, case-insensitive, when given). In the
# shell itself: mail_wait polls it ten times a second.
_mail_list() {
	local addr=${1:-} f
	_mail_list_out=()
	[[ -n ${MC_MAIL_SINK:-} && -d $MC_MAIL_SINK ]] || return 0
	for f in "$MC_MAIL_SINK"/[0-9]*.eml; do
		[[ -f $f ]] || continue
		if [[ -z $addr ]] || _mail_is_to "${f%.eml}.json" "$addr"; then
			_mail_list_out+=("$f")
		fi
	done
	return 0
}

# _mail_is_to ENVELOPE ADDRESS: the sink's JSON envelope lists ADDRESS in
# rcpt_tos (ASCII case-insensitive, as jq's ascii_downcase). A list of plain
# strings (no escapes: the sink writes json.dumps) is read here, anything
# else by jq.
_mail_is_to() {
	local meta="" list LC_ALL=C
	local re='"rcpt_tos": \[("[^"\\]*"(, "[^"\\]*")*)?\]'
	[[ -r $1 ]] || return 1
	IFS= read -r -d '' meta <"$1" || true
	if [[ $meta =~ $re ]]; then
		# Then no element holds a quote or a backslash.
		[[ $2 != *[\"\\]* ]] || return 1
		list=", ${BASH_REMATCH[1],,},"
		[[ $list == *", \"${2,,}\","* ]]
		return
	fi
	jq -e --arg a "$2" 'any(.rcpt_tos[]; ascii_downcase == ($a | ascii_downcase))' "$1" >/dev/null 2>&1
}

# mail_files [ADDRESS] prints the .eml paths, oldest first, of every message
# (to ADDRESS, case-insensitive, when given).
mail_files() {
	_mail_list "${1:-}"
	if ((${#_mail_list_out[@]} > 0)); then
		printf '%s\n' "${_mail_list_out[@]}"
	fi
	return 0
}

# mail_count [ADDRESS] prints how many messages (to ADDRESS) the sink holds.
mail_count() {
	_mail_list "${1:-}"
	printf '%d\n' "${#_mail_list_out[@]}"
}

# mail_last ADDRESS prints the path of the newest .eml to ADDRESS; fails when none.
mail_last() {
	_mail_list "$1"
	if ((${#_mail_list_out[@]} == 0)); then
		echo "mail_last: no mail to $1 (sink: $(mail_count "") messages)" >&2
		return 1
	fi
	printf '%s\n' "${_mail_list_out[-1]}"
}

# mail_wait ADDRESS [N] waits up to MC_MAIL_WAIT (20) seconds until at least N
# (default 1) messages to ADDRESS are there; fails otherwise.
mail_wait() {
	local addr=$1 want=${2:-1} i n=0
	for ((i = 0; i <= MC_MAIL_WAIT * 10; i++)); do
		_mail_list "$addr"
		n=${#_mail_list_out[@]}
		if [[ $n -ge $want ]]; then
			return 0
		fi
		sleep 0.1
	done
	echo "mail_wait: $n of $want messages to $addr after $MC_MAIL_WAIT s" >&2
	return 1
}

# Decodes a message with Python's email package: text (the text part, base64
# or quoted-printable undone), otp, token, or header NAME.
_mail_py() {
	"$MC_PYTHON" - "$@" <<-'EOF'
		import re, sys, urllib.parse
		from email import policy
		from email.parser import BytesParser
		mode, path = sys.argv[1], sys.argv[2]
		with open(path, "rb") as f:
		    msg = BytesParser(policy=policy.default).parse(f)
		if mode == "header":
		    v = msg.get(sys.argv[3])
		    if v is None:
		        sys.exit(1)
		    print(str(v))
		    sys.exit(0)
		part = msg.get_body(preferencelist=("plain", "html"))
		text = part.get_content() if part is not None else ""
		if mode == "text":
		    sys.stdout.write(text)
		elif mode == "otp":
		    m = re.search(r"(?<!\d)\d{6}(?!\d)", text)
		    if not m:
		        sys.exit(1)
		    print(m.group(0))
		elif mode == "token":
		    m = re.search(r"[?&]token=([^\s&\"'<>]+)", text)
		    if not m:
		        sys.exit(1)
		    print(urllib.parse.unquote(m.group(1)))
	EOF
}

# mail_text ADDRESS prints the decoded text part of the newest mail to ADDRESS.
mail_text() {
	local f
	f=$(mail_last "$1") || return 1
	_mail_py text "$f"
}

# mail_header ADDRESS NAME prints header NAME (decoded) of the newest mail to ADDRESS.
mail_header() {
	local f
	f=$(mail_last "$1") || return 1
	_mail_py header "$f" "$2" || {
		echo "mail_header: no $2 header in $f" >&2
		return 1
	}
}

# mail_otp ADDRESS prints the first standalone 6-digit number in the text of
# the newest mail to ADDRESS.
mail_otp() {
	_mail_find otp "$1" "mail_otp: no 6-digit code"
}

# mail_reset_token ADDRESS prints the token= value of the reset link in the
# newest mail to ADDRESS (percent-decoded).
mail_reset_token() {
	_mail_find token "$1" "mail_reset_token: no token= link"
}

# _mail_find MODE ADDRESS WHAT: _mail_py MODE on the newest mail to ADDRESS;
# when it finds nothing, prints "WHAT in FILE:" and the mail's text on stderr.
_mail_find() {
	local f
	f=$(mail_last "$2") || return 1
	_mail_py "$1" "$f" || {
		echo "$3 in $f:" >&2
		_mail_py text "$f" >&2
		return 1
	}
}

# mail_reject_with 'CODE TEXT' makes the sink answer DATA with that reply
# (e.g. '451 4.3.0 try later'); mail_accept undoes it. reset_state undoes it too.
mail_reject_with() {
	printf '%s\n' "$1" >"$MC_MAIL_SINK/.reply"
}

mail_accept() {
	rm -f -- "$MC_MAIL_SINK/.reply"
}

# mail_slow SECONDS makes the sink wait that long before it answers DATA (a
# slow mail server); reset_state undoes it.
mail_slow() {
	printf '%s\n' "$1" >"$MC_MAIL_SINK/.delay"
}

# ---------------------------------------------------------------------------
# Sign-up and verification through the programs

# signed_up EMAIL [NAME] [PASSWORD]   a signup (NAME Ada Lovelace, PASSWORD
# StrongPass123 by default) that must answer 201 and mail a new code; sets the
# globals code (the mailed OTP) and uid (the account id).
signed_up() {
	local email=$1 name=${2:-Ada Lovelace} pw=${3:-StrongPass123} before
	_mail_list "$email"
	before=${#_mail_list_out[@]}
	cgi POST signup.cgi "$(jobj full_name "$name" email "$email" password "$pw")" || return 1
	assert_status 201 || return 1
	mail_wait "$email" $((before + 1)) || return 1
	# shellcheck disable=SC2034 # code and uid are for the caller
	code=$(mail_otp "$email") || return 1
	# shellcheck disable=SC2034
	uid=$(sql "SELECT id FROM users WHERE email = :'e'" e="$email")
}

# verify EMAIL OTP [VAR=value | -VAR]...   POST verify-otp.cgi {"email","otp"}.
verify() {
	local email=$1 otp=$2
	shift 2
	cgi POST verify-otp.cgi "$(jobj email "$email" otp "$otp")" "$@"
}

# login_token EMAIL [PASSWORD]   POST login.cgi (PASSWORD StrongPass123 by
# default) that must answer 200; prints its access token.
login_token() {
	cgi POST login.cgi "$(jobj email "$1" password "${2:-StrongPass123}")" || return 1
	assert_status 200 || return 1
	json_get .access_token
}

# ---------------------------------------------------------------------------
# Every endpoint: the fault tests of both layers (tests/cgi/faults.bats,
# pgbouncer.bats, tests/http/faults.bats). With --http a request goes over
# HTTP through the web server (the `http` of tests/http/helpers.bash), else
# to the program (cgi).

# The endpoints, by the names endpoint_request knows (profile-update: PATCH /user/profile).
MC_ENDPOINTS="signup verify-otp resend-otp login forgot-password reset-password profile health
	refresh logout sessions profile-update change-password delete-account mfa-setup mfa-enable mfa-verify
	mfa-recovery-codes mfa-disable"

# The mfa_token of ann's login that the mfa-verify request presents (43
# base64url characters, as login makes them).
ANN_MFA_TOKEN=$(printf 'm%.0s' {1..43})

# ann [--http | --no-token]: the verified account ann@example.test ("Ann
# Smith", password StrongPass123), and ANN_TOKEN, an access token from a real
# login: through login.cgi, or POST /auth/login over HTTP with --http;
# --no-token: no login, ANN_TOKEN unset. For the two-factor requests of
# endpoint_request it also holds, written by SQL, what a setup and a login
# with MFA on leave: a pending setup (a user_mfa row with a pending secret
# and code hash of fixed bytes, which no code matches, for 10 minutes; MFA
# stays off, so ann still logs in) and the live mfa_token ANN_MFA_TOKEN
# (its SHA-256, for 5 minutes).
ann() {
	local body='{"email":"ann@example.test","password":"StrongPass123"}' id
	unset ANN_TOKEN
	id=$(add_user ann@example.test "Ann Smith" StrongPass123 t) || return 1
	sql "INSERT INTO user_mfa (user_id, pending_sealed, pending_code_hash, pending_expires_at)
	     VALUES (:'u', sha384('pending secret'), sha256('pending code'), now() + interval '10 minutes');
	     INSERT INTO mfa_tokens (user_id, token_hash, expires_at)
	     VALUES (:'u', sha256(convert_to(:'t', 'UTF8')), now() + interval '5 minutes')" \
	    u="$id" t="$ANN_MFA_TOKEN" >/dev/null || return 1
	case ${1:-} in
	--no-token) return 0 ;;
	--http) http POST /auth/login "$body" || return 1 ;;
	*) cgi POST login.cgi "$body" || return 1 ;;
	esac
	assert_status 200 || return 1
	ANN_TOKEN=$(json_get .access_token)
}

# endpoint_request [--http] NAME [VAR=value]...: one well-formed request to
# endpoint NAME of MC_ENDPOINTS (as ann@example.test, a new bob@example.test
# for signup, an unknown reset token, profile with ANN_TOKEN; mfa-enable
# against ann's pending setup and mfa-verify with ANN_MFA_TOKEN, both with
# a code of the right form). VAR=value: settings for the program (cgi only).
endpoint_request() {
	local over=cgi name pw=NewStrongPass123 reset refresh change enable verify
	if [[ ${1:-} == --http ]]; then
		over=http
		shift
	fi
	name=$1
	shift
	reset=$(jobj token "$(printf 'x%.0s' {1..43})" new_password "$pw" confirm_password "$pw")
	refresh=$(jobj refresh_token "$(printf 'r%.0s' {1..43})")
	change=$(jobj current_password StrongPass123 new_password "$pw" confirm_password "$pw")
	enable=$(jobj code 123456 email_code 654321)
	verify=$(jobj mfa_token "$ANN_MFA_TOKEN" code 123456)
	if [[ $over == http ]]; then
		case $name in
		signup)
			http POST /auth/signup '{"full_name":"Bob Jones","email":"bob@example.test","password":"StrongPass123"}'
			;;
		verify-otp) http POST /auth/verify-otp '{"email":"ann@example.test","otp":"123456"}' ;;
		resend-otp) http POST /auth/resend-otp '{"email":"ann@example.test"}' ;;
		login) http POST /auth/login '{"email":"ann@example.test","password":"StrongPass123"}' ;;
		forgot-password) http POST /auth/forgot-password '{"email":"ann@example.test"}' ;;
		reset-password) http POST /auth/reset-password "$reset" ;;
		profile) http GET /user/profile -H "Authorization: Bearer ${ANN_TOKEN:-}" ;;
		health) http GET /health ;;
		refresh) http POST /auth/refresh "$refresh" ;;
		logout) http POST /auth/logout "$refresh" ;;
		sessions) http GET /user/sessions -H "Authorization: Bearer ${ANN_TOKEN:-}" ;;
		profile-update)
			http PATCH /user/profile '{"full_name":"Ann Jones"}' -H "Authorization: Bearer ${ANN_TOKEN:-}"
			;;
		change-password) http POST /user/change-password "$change" -H "Authorization: Bearer ${ANN_TOKEN:-}" ;;
		delete-account)
			http POST /user/delete-account '{"password":"StrongPass123"}' -H "Authorization: Bearer ${ANN_TOKEN:-}"
			;;
		mfa-setup)
			http POST /user/mfa/setup '{"password":"StrongPass123"}' -H "Authorization: Bearer ${ANN_TOKEN:-}"
			;;
		mfa-enable) http POST /user/mfa/enable "$enable" -H "Authorization: Bearer ${ANN_TOKEN:-}" ;;
		mfa-verify) http POST /auth/mfa/verify "$verify" ;;
		mfa-recovery-codes)
			http POST /user/mfa/recovery-codes '{"password":"StrongPass123","code":"123456"}' -H "Authorization: Bearer ${ANN_TOKEN:-}"
			;;
		mfa-disable)
			http POST /user/mfa/disable '{"password":"StrongPass123","code":"123456"}' -H "Authorization: Bearer ${ANN_TOKEN:-}"
			;;
		*) echo "endpoint_request: unknown endpoint $name" >&2; return 1 ;;
		esac
		return
	fi
	case $name in
	signup)
		cgi POST signup.cgi '{"full_name":"Bob Jones","email":"bob@example.test","password":"StrongPass123"}' "$@"
		;;
	verify-otp) cgi POST verify-otp.cgi '{"email":"ann@example.test","otp":"123456"}' "$@" ;;
	resend-otp) cgi POST resend-otp.cgi '{"email":"ann@example.test"}' "$@" ;;
	login) cgi POST login.cgi '{"email":"ann@example.test","password":"StrongPass123"}' "$@" ;;
	forgot-password) cgi POST forgot-password.cgi '{"email":"ann@example.test"}' "$@" ;;
	reset-password) cgi POST reset-password.cgi "$reset" "$@" ;;
	profile) cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer ${ANN_TOKEN:-}" "$@" ;;
	health) cgi GET health.cgi "$@" ;;
	refresh) cgi POST refresh.cgi "$refresh" "$@" ;;
	logout) cgi POST logout.cgi "$refresh" "$@" ;;
	sessions) cgi GET sessions.cgi HTTP_AUTHORIZATION="Bearer ${ANN_TOKEN:-}" REQUEST_URI=/user/sessions "$@" ;;
	profile-update) cgi PATCH profile.cgi '{"full_name":"Ann Jones"}' HTTP_AUTHORIZATION="Bearer ${ANN_TOKEN:-}" "$@" ;;
	change-password) cgi POST change-password.cgi "$change" HTTP_AUTHORIZATION="Bearer ${ANN_TOKEN:-}" "$@" ;;
	delete-account) cgi POST delete-account.cgi '{"password":"StrongPass123"}' HTTP_AUTHORIZATION="Bearer ${ANN_TOKEN:-}" "$@" ;;
	mfa-setup) cgi POST mfa-setup.cgi '{"password":"StrongPass123"}' HTTP_AUTHORIZATION="Bearer ${ANN_TOKEN:-}" "$@" ;;
	mfa-enable) cgi POST mfa-enable.cgi "$enable" HTTP_AUTHORIZATION="Bearer ${ANN_TOKEN:-}" "$@" ;;
	mfa-verify) cgi POST mfa-verify.cgi "$verify" "$@" ;;
	mfa-recovery-codes) cgi POST mfa-recovery-codes.cgi '{"password":"StrongPass123","code":"123456"}' HTTP_AUTHORIZATION="Bearer ${ANN_TOKEN:-}" "$@" ;;
	mfa-disable) cgi POST mfa-disable.cgi '{"password":"StrongPass123","code":"123456"}' HTTP_AUTHORIZATION="Bearer ${ANN_TOKEN:-}" "$@" ;;
	*) echo "endpoint_request: unknown endpoint $name" >&2; return 1 ;;
	esac
}

# each_endpoint [--http] FN [VAR=value]...: for each endpoint of
# MC_ENDPOINTS in turn, endpoint_request (with the VAR=value settings), then
# FN NAME on its answer; stops at the first failure.
each_endpoint() {
	local -a via=()
	local fn name
	if [[ ${1:-} == --http ]]; then
		via=(--http)
		shift
	fi
	fn=$1
	shift
	for name in $MC_ENDPOINTS; do
		endpoint_request "${via[@]}" "$name" "$@" || return 1
		"$fn" "$name" || return 1
	done
}

# assert_unavailable [NAME]: the last answer is the 503 of an unreachable
# database (docs/CONTRACT.md G-9, H-1): {"detail":"Service temporarily
# unavailable"}, or health's own body when NAME is health, with the headers
# of every JSON answer, Retry-After: 5, and a line on stderr (over HTTP: in
# the server's error log) saying why: naming the database or the connection
# (pgbouncer may just close it).
assert_unavailable() {
	assert_status 503 || return 1
	if [[ ${1:-} == health ]]; then
		assert_body --raw '{"status":"unavailable","database":"unreachable"}' || return 1
	else
		assert_body --raw '{"detail":"Service temporarily unavailable"}' || return 1
	fi
	assert_std_headers || return 1
	assert_header Retry-After 5 || return 1
	if [[ $cgi_stderr != *"database"* && $cgi_stderr != *"connection"* ]]; then
		_fail "${1:-the request}: no line about the database or its connection on stderr"
		return 1
	fi
}

# refute_access_control: the last answer has no Access-Control-* header
# (docs/CONTRACT.md C-4).
refute_access_control() {
	local got
	got=$(grep -i '^access-control-' <<<"$cgi_headers" || true)
	if [[ -n $got ]]; then
		_fail "expected no Access-Control-* header, got: $got"
		return 1
	fi
}

# ---------------------------------------------------------------------------
# Tokens

# make_jwt CLAIMS_JSON [KEY] [ALG] prints a JWT made by PyJWT: HS256 with
# $MC_TEST_JWT_KEY by default; ALG none makes an unsigned token.
#   tok=$(make_jwt "{\"sub\":\"1\",\"email\":\"a@b.test\",\"iat\":$(date +%s),\"exp\":$(($(date +%s) + 600))}")
make_jwt() {
	"$MC_PYTHON" -c '
import json, sys
import jwt
claims, key, alg = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
if alg.lower() == "none":
    key, alg = None, "none"
tok = jwt.encode(claims, key, algorithm=alg)
print(tok if isinstance(tok, str) else tok.decode())
' "$1" "${2:-$MC_TEST_JWT_KEY}" "${3:-HS256}"
}

# user_token ID EMAIL [IAT_OFFSET]   prints an access token for account ID as
# login makes it, without the hash a login costs: a new live session of the
# account (none when there is no account ID) and a PyJWT token naming it (sid,
# jti; iat now + IAT_OFFSET, exp an hour later).
user_token() {
	local now jti
	now=$(date +%s)
	sid=$(openssl rand -base64 16) jti=$(openssl rand -base64 16)
	sid=${sid%%=*} sid=${sid//+/-} sid=${sid//\//_}
	jti=${jti%%=*} jti=${jti//+/-} jti=${jti//\//_}
	sql "INSERT INTO sessions (id, user_id) SELECT :'s', id FROM users WHERE id = :'u'" \
	    s="$sid" u="$1" >/dev/null || return 1
	make_jwt "$(printf '{"sub":"%s","email":"%s","sid":"%s","jti":"%s","iat":%d,"exp":%d}' \
	    "$1" "$2" "$sid" "$jti" $((now + ${3:-0})) $((now + ${3:-0} + 3600)))"
}

# mfa_setup TOKEN PASSWORD [VAR=value]...   POST /user/mfa/setup with the
# password, as the holder of TOKEN.
mfa_setup() {
	local tok=$1 pw=$2
	shift 2
	cgi POST mfa-setup.cgi "$(jobj password "$pw")" HTTP_AUTHORIZATION="Bearer $tok" "$@"
}

# totp SECRET [STEPS]   prints the TOTP code (RFC 6238: HMAC-SHA-1, 6 digits,
# 30 s steps) of the base32 SECRET for the step of now plus STEPS (default 0),
# computed here with Python's hmac, independently of the programs.
totp() {
	python3 - "$1" "${2:-0}" <<'PY'
import base64, hashlib, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1] + '=' * (-len(sys.argv[1]) % 8))
step = int(time.time()) // 30 + int(sys.argv[2])
d = hmac.new(key, struct.pack('>Q', step), hashlib.sha1).digest()
o = d[-1] & 15
print('%06d' % ((struct.unpack('>I', d[o:o + 4])[0] & 0x7fffffff) % 1000000))
PY
}

# The bodies of the answers the password typed again and the second factor
# share (docs/CONTRACT.md AS-4, MF-6, MF-8, MF-14).
INCORRECT='{"detail":"Incorrect password"}'
INVALID_CODE='{"detail":"Invalid code"}'
CODE_LIMIT='{"detail":"Too many invalid codes. Please try again later."}'
NOT_ENABLED='{"detail":"Two-factor sign-in is not enabled"}'
BAD_MFA_TOKEN='{"detail":"Invalid or expired MFA token"}'

# other_code CODE prints a 6-digit code that is not CODE.
other_code() {
	printf '%06d\n' $(((10#$1 + 1) % 1000000))
}

# mfa_on USER_ID EMAIL PASSWORD   turns two-factor sign-in on for the
# verified account USER_ID (address EMAIL) through mfa/setup and mfa/enable,
# in a session of its own, then forgets the step enable accepted so that a
# code of now works again. Sets MFA_SECRET (base32) and RECOVERY (its 10
# recovery codes, one a line); the account then has two mails.
mfa_on() {
	local tok ec
	tok=$(user_token "$1" "$2") || return 1
	mfa_setup "$tok" "$3"
	[[ $cgi_status == 200 ]] || _fail "mfa/setup: $cgi_status $cgi_body" || return 1
	MFA_SECRET=$(json_get .secret)
	mail_wait "$2" || return 1
	ec=$(mail_otp "$2")
	cgi POST mfa-enable.cgi "$(jobj code "$(totp "$MFA_SECRET")" email_code "$ec")" \
	    HTTP_AUTHORIZATION="Bearer $tok"
	[[ $cgi_status == 200 ]] || _fail "mfa/enable: $cgi_status $cgi_body" || return 1
	RECOVERY=$(jq -r '.recovery_codes[]' <<<"$cgi_body")
	mail_wait "$2" 2 || return 1
	sql "UPDATE user_mfa SET last_step = -1 WHERE user_id = :'u'" u="$1" >/dev/null
}

# jwt_decode TOKEN [KEY]   PyJWT verifies TOKEN (HS256 only, KEY default
# $MC_TEST_JWT_KEY, claims sub, iat and exp required) and prints
# {"claims":...,"header":...} as compact JSON, keys sorted; fails if PyJWT
# refuses it.
jwt_decode() {
	"$MC_PYTHON" - "$1" "${2:-$MC_TEST_JWT_KEY}" <<-'EOF'
		import json, sys
		import jwt
		tok, key = sys.argv[1], sys.argv[2]
		header = jwt.get_unverified_header(tok)
		claims = jwt.decode(tok, key, algorithms=["HS256"],
		                    options={"require": ["sub", "iat", "exp"]})
		print(json.dumps({"header": header, "claims": claims}, sort_keys=True,
		                 separators=(",", ":")))
	EOF
}

# ---------------------------------------------------------------------------
# FastCGI processes without a web server: spawn-fcgi gives the program a
# listening socket on fd 0, and cgi sends each request to it through
# cgi-fcgi when MC_CGI_VIA names the socket folder (export
# MC_CGI_VIA=$BATS_TEST_TMPDIR in setup, call fcgi_stop_all in teardown).

# fcgi_start PROGRAM [VAR=value]...   one FastCGI process of PROGRAM on
# $BATS_TEST_TMPDIR/<name>.sock (spawn-fcgi -n: the program itself, no
# supervisor), with MEDICALCARE_ENV_FILE, the sanitizer options and VARs in
# its environment and its stderr in $BATS_TEST_TMPDIR/<name>.log. Sets
# fcgi_pid; waits until it listens on the socket. MC_FCGI_WRAP: a command (words
# split on blanks) put before the program, e.g. valgrind and its options
# (the pid is then valgrind's, which runs the program in itself).
fcgi_start() {
	local program=$1 name=${1%.cgi} sock i
	local -a wrap=()
	shift
	sock=$BATS_TEST_TMPDIR/$name.sock
	rm -f -- "$sock"
	local -a ev=(PATH=/usr/local/bin:/usr/bin:/bin "MEDICALCARE_ENV_FILE=$MEDICALCARE_ENV_FILE")
	for i in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[[ -z ${!i+set} ]] || ev+=("$i=${!i}")
	done
	if [[ -n ${MC_FCGI_WRAP:-} ]]; then
		read -r -a wrap <<<"$MC_FCGI_WRAP"
		# spawn-fcgi runs its command with execv: a full path.
		wrap[0]=$(command -v "${wrap[0]}") || {
			echo "fcgi_start: no ${MC_FCGI_WRAP%% *} on PATH" >&2
			return 1
		}
	fi
	env -i "${ev[@]}" "$@" spawn-fcgi -n -s "$sock" -M 0600 -- "${wrap[@]}" "$CGI_DIR/$program" \
	    </dev/null >/dev/null 2>>"$BATS_TEST_TMPDIR/$name.log" 3>&- &
	fcgi_pid=$!
	_fcgi_pids+=("$fcgi_pid")
	# The socket is bound before it listens; once spawn-fcgi has made way
	# for the program (exec), it listens.
	for ((i = 0; i < 200; i++)); do
		if [[ -S $sock && $(readlink "/proc/$fcgi_pid/exe" 2>/dev/null) != */spawn-fcgi ]]; then
			return 0
		fi
		sleep 0.05
	done
	echo "fcgi_start: $program did not make $sock" >&2
	return 1
}

# fcgi_exit PID [SECONDS]   waits up to SECONDS (5) for process PID to end;
# sets fcgi_rc to its exit status; fails if it is still running.
fcgi_exit() {
	local pid=$1 i
	for ((i = 0; i < ${2:-5} * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "process $pid is still running" >&2
		return 1
	fi
	fcgi_rc=0
	wait "$pid" || fcgi_rc=$?
}

# fcgi_stop_all: SIGTERM to every process fcgi_start started (KILL after 5
# s), then fails if a sanitizer report is in any of their logs.
fcgi_stop_all() {
	local pid f
	for pid in "${_fcgi_pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${_fcgi_pids[@]}"; do
		fcgi_exit "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
	done
	_fcgi_pids=()
	for f in "$BATS_TEST_TMPDIR"/*.log; do
		[[ -f $f ]] || continue
		if _san_report "$(<"$f")"; then
			echo "sanitizer report in $f:" >&2
			cat -- "$f" >&2
			return 1
		fi
	done
}
_fcgi_pids=()

# The requests of one fcgi_soak_round, per program: 21 in all.
declare -gA FCGI_SOAK_REQUESTS=(
	[health.cgi]=1 [openapi.cgi]=1 [profile.cgi]=3 [signup.cgi]=2 [verify-otp.cgi]=2
	[login.cgi]=3 [resend-otp.cgi]=1 [forgot-password.cgi]=1 [reset-password.cgi]=2
	[mfa-setup.cgi]=1 [mfa-enable.cgi]=2 [mfa-verify.cgi]=2
)

# fcgi_soak_round TAG   one round of mixed requests through one FastCGI
# process of each program (fcgi_start each first), every answer checked:
# a sign-up, its code from the mail, verify-otp, login with the new account,
# its profile, two-factor sign-in set up (its code from the mail) and turned
# on, a login answered with an mfa_token and its verification, a reset mail
# and the reset, and on the way the failures (a wrong code, a wrong email
# code, a wrong TOTP code, a wrong password, no token, a malformed body, an
# unknown reset token), a CORS preflight, health, openapi, resend-otp. TAG
# makes the round's addresses (soak-TAG@example.test, nobody-TAG@example.test)
# new. Needs cheap Argon2 settings in the env file to stay quick.
fcgi_soak_round() {
	# Without bats's DEBUG trap in the functions it calls.
	local -
	set +T
	_fcgi_soak_round "$@"
}

_fcgi_soak_round() {
	local e=soak-$1@example.test nobody=nobody-$1@example.test code tok rtok
	cgi GET health.cgi || return 1
	assert_status 200 || return 1
	cgi GET openapi.cgi || return 1
	assert_status 200 || return 1
	cgi GET profile.cgi || return 1
	assert_status 401 || return 1
	cgi OPTIONS profile.cgi HTTP_ORIGIN=http://localhost:3000 \
	    HTTP_ACCESS_CONTROL_REQUEST_METHOD=GET || return 1
	assert_status 204 || return 1
	cgi POST signup.cgi "$(jobj full_name "Soak User" email "$e" password StrongPass123)" || return 1
	assert_status 201 || return 1
	cgi POST signup.cgi '{"full_name": 1}' || return 1
	assert_status 422 || return 1
	cgi POST verify-otp.cgi "$(jobj email "$nobody" otp 123456)" || return 1
	assert_status 400 || return 1
	mail_wait "$e" 1 || return 1
	code=$(mail_otp "$e") || return 1
	cgi POST verify-otp.cgi "$(jobj email "$e" otp "$code")" || return 1
	assert_status 200 || return 1
	cgi POST login.cgi "$(jobj email "$e" password StrongPass123)" || return 1
	assert_status 200 || return 1
	tok=$(json_get .access_token) || return 1
	cgi POST login.cgi "$(jobj email "$nobody" password WrongPass123)" || return 1
	assert_status 401 || return 1
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $tok" || return 1
	assert_status 200 || return 1
	assert_json .email "$e" || return 1
	_fcgi_soak_mfa "$e" "$tok" || return 1
	cgi POST resend-otp.cgi "$(jobj email "$nobody")" || return 1
	assert_status 200 || return 1
	cgi POST forgot-password.cgi "$(jobj email "$e")" || return 1
	assert_status 200 || return 1
	mail_wait "$e" 4 || return 1
	rtok=$(mail_reset_token "$e") || return 1
	cgi POST reset-password.cgi \
	    "$(jobj token "$rtok" new_password NewStrongPass456 confirm_password NewStrongPass456)" || return 1
	assert_status 200 || return 1
	cgi POST reset-password.cgi \
	    "$(jobj token "${rtok//?/A}" new_password NewStrongPass456 confirm_password NewStrongPass456)" ||
		return 1
	assert_status 400 || return 1
}

# _fcgi_soak_mfa EMAIL TOKEN: the two-factor part of a round for the new
# account EMAIL (password StrongPass123, one mail so far), TOKEN its access
# token: setup, enable with a wrong then the right email code (the account
# then has three mails), a login answered with an mfa_token, verify with a
# wrong then a right code (of the next step: enable took this one).
_fcgi_soak_mfa() {
	local e=$1 tok=$2 secret ec wrong mt
	cgi POST mfa-setup.cgi "$(jobj password StrongPass123)" HTTP_AUTHORIZATION="Bearer $tok" || return 1
	assert_status 200 || return 1
	secret=$(json_get .secret) || return 1
	mail_wait "$e" 2 || return 1
	ec=$(mail_otp "$e") || return 1
	printf -v wrong '%06d' $(((10#$ec + 1) % 1000000))
	cgi POST mfa-enable.cgi "$(jobj code "$(totp "$secret")" email_code "$wrong")" \
	    HTTP_AUTHORIZATION="Bearer $tok" || return 1
	assert_status 400 || return 1
	cgi POST mfa-enable.cgi "$(jobj code "$(totp "$secret")" email_code "$ec")" \
	    HTTP_AUTHORIZATION="Bearer $tok" || return 1
	assert_status 200 || return 1
	mail_wait "$e" 3 || return 1
	cgi POST login.cgi "$(jobj email "$e" password StrongPass123)" || return 1
	assert_status 200 || return 1
	mt=$(json_get .mfa_token) || return 1
	ec=$(totp "$secret" 1) || return 1
	printf -v wrong '%06d' $(((10#$ec + 1) % 1000000))
	cgi POST mfa-verify.cgi "$(jobj mfa_token "$mt" code "$wrong")" || return 1
	assert_status 400 || return 1
	cgi POST mfa-verify.cgi "$(jobj mfa_token "$mt" code "$ec")" || return 1
	assert_status 200 || return 1
	assert_json .token_type bearer || return 1
}

# ---------------------------------------------------------------------------
# The hash gate (common/hashgate.h)

# hold_gate N: holds slots 0..N-1 of this file's hash gate (HASH_LOCK_FILE of
# the test env file) from a process of its own, as a hashing program would,
# until release_gate (call it from teardown too) or for 60 s at most:
# programs that hash (HASH_CONCURRENCY=N) stop there. Byte i + 64 of the file
# is slot i; POSIX record locks and the programs' open-file-description locks
# exclude each other.
hold_gate() {
	local lock ready=$BATS_TEST_TMPDIR/gate.ready
	lock=$(sed -n 's/^HASH_LOCK_FILE=//p' "$MEDICALCARE_ENV_FILE")
	rm -f -- "$ready" "$BATS_TEST_TMPDIR/gate.release"
	python3 -c '
import fcntl, os, sys, time
lock, n, ready, release = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
for i in range(n):
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 64 + i, os.SEEK_SET)
open(ready, "w").close()
deadline = time.monotonic() + 60
while not os.path.exists(release) and time.monotonic() < deadline:
    time.sleep(0.02)
' "$lock" "$1" "$ready" "$BATS_TEST_TMPDIR/gate.release" &
	gate_pid=$!
	wait_for "the gate held" test -e "$ready"
}

# release_gate: ends hold_gate's holding (nothing when none holds).
release_gate() {
	[[ -n ${gate_pid:-} ]] || return 0
	touch "$BATS_TEST_TMPDIR/gate.release"
	wait "$gate_pid" || true
	gate_pid=
}

# wait_for WHAT COMMAND...: runs COMMAND until it succeeds, for up to 20 s;
# fails naming WHAT.
wait_for() {
	local what=$1 i
	shift
	for ((i = 0; i < 1000; i++)); do
		"$@" && return 0
		sleep 0.02
	done
	echo "timed out waiting for $what" >&2
	return 1
}
