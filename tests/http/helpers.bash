# shellcheck shell=bash
# Helpers for the HTTP tests (bats): the programs behind a real Apache, over
# real HTTP (curl). Every tests/http/*.bats starts with
#
#   load helpers
#
# which loads tests/cgi/helpers.bash too, so its database, mail, token and
# assertion helpers work here unchanged: sql, reset_state, mail_wait,
# mail_otp, mail_reset_token, mail_count, make_jwt, test_env_file, json_get,
# assert_status, assert_body, assert_json, assert_jq, assert_header,
# assert_header_contains, assert_header_token, refute_header,
# refute_access_control, assert_unavailable (they read the last response,
# whether it came from `cgi` or from `http`); ann, endpoint_request and
# each_endpoint take --http to go through the server. Defaults:
#
#   setup_file()    { http_setup_file; }     # or: http_setup_file --htaccess
#   teardown_file() { http_teardown_file; }
#   setup()         { http_reset; }
#
# Servers. tests/run.sh starts one PostgreSQL, one SMTP sink and one Apache
# (tests/lib/apache.sh) for the whole HTTP phase and exports MC_HTTP_URL and
# MC_APACHE_*; a .bats file run alone (`bats tests/http/smoke.bats`) gets its
# own, started by http_setup_file and stopped by http_teardown_file. Apache
# serves the release programs of this work tree (cgi-bin/, build them first).
#
# Settings. The programs under Apache read the live env file
# $MC_APACHE_ENV_FILE, which http_setup_file fills with the test settings of
# tests/cgi/helpers.bash (JWT key $MC_TEST_JWT_KEY, CORS_ORIGINS
# http://localhost:3000,http://app.example.test, SMTP to the sink) and to
# which MEDICALCARE_ENV_FILE points, so `cgi` runs see the same settings.
#   http_setting VAR=value | -VAR ...   changes it for this test (the
#                                       programs read it on every request);
#                                       http_reset puts it back before the next
#   http_fcgi_renew                     FastCGI mode: replaces every process
#                                       (after PostgreSQL was restarted)
#   http_settle                         after changing the env file by other
#                                       means: waits until FastCGI processes
#                                       see it (they look at it once a second
#                                       at most); returns at once in CGI mode
# FastCGI mode (MC_APACHE_SERVE=fastcgi, tests/lib/apache.sh): the programs
# are long-lived processes that read the env file again within a second of
# a change; http_setting and http_reset wait that second (http_settle).
#
# Requests.
#   http METHOD PATH [BODY] [option]...
#     Sends METHOD $MC_HTTP_URL$PATH with curl (no proxy, no redirects
#     followed, 30 s at most). BODY: the third argument unless it starts
#     with "-" (use --data for such a body); a non-empty BODY is sent as is
#     with Content-Type: application/json unless a -H gives a Content-Type.
#     Options:
#       -H 'Name: value'   a request header (repeatable); 'Name:' removes
#                          one curl would send (e.g. -H 'Expect:')
#       --data TEXT        the body (any text, even one starting with -)
#       --data-file FILE   the body, from FILE (any bytes)
#       --no-type          no automatic Content-Type
#     HEAD is sent as curl --head. Sets:
#       http_status        the status code (of the last response, after a 100)
#       http_headers       its header block, CR removed, status line first
#       http_body          the body (up to a NUL byte; http_body_file has all)
#       http_body_file, http_headers_file   the raw files
#       http_log           the lines the server's error log got meanwhile
#                          (the programs' stderr goes there)
#     and the same into cgi_status, cgi_headers, cgi_body, cgi_stderr, so
#     that the assertions of tests/cgi/helpers.bash apply.
#     Fails the test when curl cannot complete the exchange, or when the
#     error log shows a program that crashed or printed no header block
#     ("End of script output before headers", "malformed header").
#   http_header NAME   prints each value of header NAME of the last response
#   http_dump          prints the last response (and its log lines) on stderr
#   http_url PATH      prints $MC_HTTP_URL$PATH
#   http_account [--login] EMAIL [PASSWORD] [FULL_NAME]
#                      a verified account made over HTTP as a user would:
#                      signup with EMAIL as typed (201 and its exact
#                      message), the OTP from the sink's mail, verify-otp with
#                      EMAIL lower-cased (200, token_type bearer); sets
#                      http_token to verify-otp's access token. --login: then
#                      a login with EMAIL lower-cased and PASSWORD (200,
#                      token_type bearer), and http_token is its token.
#                      Defaults: StrongPass123, "Test User". Fails on any
#                      other answer.
#
# Example:
#   @test "profile over HTTP needs the bearer token" {
#       http GET /user/profile
#       assert_status 401
#       assert_header WWW-Authenticate Bearer
#   }

# shellcheck source=tests/cgi/helpers.bash
source "$BATS_TEST_DIRNAME/../cgi/helpers.bash"
# shellcheck source=tests/lib/apache.sh
source "$MC_ROOT/tests/lib/apache.sh"

# Seconds one request may take.
: "${MC_HTTP_TIMEOUT:=30}"

# shellcheck disable=SC2119  # no arguments: the suite's server, or one of our own
setup_file() { http_setup_file; }
teardown_file() { http_teardown_file; }
setup() { http_reset; }

# ---------------------------------------------------------------------------
# Setup and state

# http_setup_file [--htaccess | --debian [OPTIONS]]: starts PostgreSQL, the
# SMTP sink and Apache unless tests/run.sh did, and gives the programs the
# test settings. --htaccess: always a server of this file's own, standing
# in for a shared host (apache_start --htaccess); --debian: one of Debian's
# stock configuration (apache_start_debian OPTIONS); the suite's server, if
# any, is left alone.
# shellcheck disable=SC2120  # --htaccess is optional
http_setup_file() {
	local -a mode=() start=(apache_start)
	if [[ ${1:-} == --htaccess || ${1:-} == --debian ]]; then
		mode=("$@")
		if [[ $1 == --debian ]]; then
			start=(apache_start_debian)
			mode=("${@:2}")
		fi
		unset MC_HTTP_URL MC_APACHE_PID MC_APACHE_PORT MC_APACHE_DIR MC_APACHE_ENV_FILE \
		    MC_APACHE_ERROR_LOG
	fi
	mc_setup_file || return 1
	if [[ -z ${MC_HTTP_URL:-} ]]; then
		if ! "${start[@]}" "${mode[@]}"; then
			mc_teardown_file
			return 1
		fi
		export MC_TEST_OWN_APACHE=1
	fi
	if [[ -z ${MC_APACHE_ENV_FILE:-} || ! -f $MC_APACHE_ENV_FILE ]]; then
		echo "http_setup_file: MC_HTTP_URL is set but MC_APACHE_ENV_FILE is not a file" >&2
		return 1
	fi
	# In place, to keep the mode and group that let the server read it.
	if ! cmp -s -- "$MEDICALCARE_ENV_FILE" "$MC_APACHE_ENV_FILE"; then
		cat -- "$MEDICALCARE_ENV_FILE" >"$MC_APACHE_ENV_FILE" || return 1
		http_settle
	fi
	cp -- "$MEDICALCARE_ENV_FILE" "$BATS_FILE_TMPDIR/http.env.orig" || return 1
	export MEDICALCARE_ENV_FILE=$MC_APACHE_ENV_FILE
}

http_teardown_file() {
	if [[ ${MC_TEST_OWN_APACHE:-} == 1 ]]; then
		apache_stop
		unset MC_TEST_OWN_APACHE
	fi
	mc_teardown_file
}

# reset_state, and the test settings back in the env file.
http_reset() {
	reset_state || return 1
	if ! cmp -s -- "$BATS_FILE_TMPDIR/http.env.orig" "$MC_APACHE_ENV_FILE"; then
		cat -- "$BATS_FILE_TMPDIR/http.env.orig" >"$MC_APACHE_ENV_FILE" || return 1
		http_settle
	fi
}

# http_fcgi_renew: in FastCGI mode, every program's processes replaced by
# new ones (SIGTERM; multiwatch starts others), so that none keeps a
# database connection that a test broke (PostgreSQL stopped or restarted):
# a process finds that out on its next request, which gets a 503.
http_fcgi_renew() {
	local old p i n left
	[[ ${MC_APACHE_SERVE:-} == fastcgi && -d ${MC_APACHE_DIR:-}/fcgi ]] || return 0
	old=$(for p in "$MC_APACHE_DIR"/fcgi/*.pid; do fcgi_pids "$(basename "$p" .pid)"; done)
	[[ -n $old ]] || return 0
	# shellcheck disable=SC2086  # one pid a word
	kill -TERM $old 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		left=0
		for p in $old; do
			kill -0 "$p" 2>/dev/null && left=1
		done
		if [[ $left -eq 0 ]]; then
			n=$("$MC_ROOT/apache/fcgi.sh" status --run-dir "$MC_APACHE_DIR" >/dev/null 2>&1 && echo ok)
			[[ $n == ok ]] && return 0
		fi
		sleep 0.1
	done
	echo "http_fcgi_renew: the processes were not all replaced within 10 s" >&2
	"$MC_ROOT/apache/fcgi.sh" status --run-dir "$MC_APACHE_DIR" >&2
	return 1
}

# A FastCGI process looks at the env file at most once a second, on a
# request: a request that starts more than a second after the file was
# written sees it.
http_settle() {
	if [[ ${MC_APACHE_SERVE:-} == fastcgi ]]; then
		sleep 1.1
	fi
	return 0
}

http_setting() {
	local arg name tmp
	tmp=$(mktemp "${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/setting.XXXXXX") || return 1
	cp -- "$MC_APACHE_ENV_FILE" "$tmp" || return 1
	for arg in "$@"; do
		if [[ $arg == -* ]]; then
			name=${arg#-}
		else
			name=${arg%%=*}
		fi
		if [[ ! $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
			echo "http_setting: bad argument '$arg' (want VAR=value or -VAR)" >&2
			return 1
		fi
		grep -v -E "^(export[[:space:]]+)?$name=" "$tmp" >"$tmp.new" || true
		mv -- "$tmp.new" "$tmp"
		if [[ $arg != -* ]]; then
			printf '%s\n' "$arg" >>"$tmp"
		fi
	done
	cat -- "$tmp" >"$MC_APACHE_ENV_FILE"
	http_settle
}

# ---------------------------------------------------------------------------
# Requests

http_url() {
	printf '%s%s\n' "$MC_HTTP_URL" "$1"
}

http() {
	# Without bats's DEBUG trap in the functions it calls.
	local -
	set +T
	_http "$@"
}

_http_seq=0
_http() {
	local method=$1 path=$2 body="" body_set=0 body_file="" auto_type=1 h
	local -a args=(-sS --noproxy '*' --max-time "$MC_HTTP_TIMEOUT" --path-as-is)
	shift 2
	if [[ -z $method || -z $path ]]; then
		echo "http: usage: http METHOD PATH [BODY] [-H 'Name: value']..." >&2
		return 1
	fi
	if [[ $# -gt 0 && $1 != -* ]]; then
		body=$1 body_set=1
		shift
	fi
	while [[ $# -gt 0 ]]; do
		case $1 in
		-H)
			[[ $# -ge 2 ]] || { echo "http: -H needs a value" >&2; return 1; }
			h=$2
			if [[ ${h%%:*} =~ ^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Tt][Yy][Pp][Ee]$ ]]; then
				auto_type=0
			fi
			args+=(-H "$h")
			shift 2
			;;
		--data)
			[[ $# -ge 2 ]] || { echo "http: --data needs a value" >&2; return 1; }
			body=$2 body_set=1
			shift 2
			;;
		--data-file)
			[[ $# -ge 2 && -r $2 ]] || { echo "http: --data-file needs a readable file" >&2; return 1; }
			body_file=$2
			shift 2
			;;
		--no-type)
			auto_type=0
			shift
			;;
		*)
			echo "http: unknown option '$1'" >&2
			return 1
			;;
		esac
	done
	if [[ -z ${MC_HTTP_URL:-} ]]; then
		echo "http: MC_HTTP_URL is not set (no server: call http_setup_file)" >&2
		return 1
	fi

	local dir=${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}}
	_http_seq=$((_http_seq + 1))
	http_headers_file=$dir/http.$_http_seq.headers
	http_body_file=$dir/http.$_http_seq.body
	if [[ $body_set -eq 1 && -n $body ]]; then
		body_file=$dir/http.$_http_seq.in
		printf '%s' "$body" >"$body_file"
	fi
	if [[ -n $body_file ]]; then
		args+=(--data-binary "@$body_file")
		[[ $auto_type -eq 1 ]] && args+=(-H 'Content-Type: application/json')
	fi
	if [[ $method == HEAD ]]; then
		args+=(--head)
	else
		args+=(-X "$method")
	fi

	local log_before=0 rc=0 code
	if [[ -n ${MC_APACHE_ERROR_LOG:-} && -f $MC_APACHE_ERROR_LOG ]]; then
		log_before=$(stat -c %s -- "$MC_APACHE_ERROR_LOG")
	fi
	code=$(curl "${args[@]}" -D "$http_headers_file" -o "$http_body_file" -w '%{http_code}' \
	    "$MC_HTTP_URL$path" 2>"$dir/http.$_http_seq.err") || rc=$?
	[[ -f $http_body_file ]] || : >"$http_body_file"
	[[ -f $http_headers_file ]] || : >"$http_headers_file"

	http_log=""
	if [[ -n ${MC_APACHE_ERROR_LOG:-} && -f $MC_APACHE_ERROR_LOG ]]; then
		# The programs write their log lines as they go; Apache's are
		# written by now too.
		http_log=$(tail -c +$((log_before + 1)) -- "$MC_APACHE_ERROR_LOG")
	fi

	# The last header block (curl -D also writes a "100 Continue" one).
	local all="" block="" line
	all=$(tr -d '\r' <"$http_headers_file")
	while IFS= read -r line; do
		if [[ $line == HTTP/* ]]; then
			block=$line
		elif [[ -n $line ]]; then
			block+=$'\n'$line
		fi
	done <<<"$all"
	http_headers=$block
	http_status=$code
	http_body=""
	IFS= read -r -d '' http_body <"$http_body_file" || true

	# shellcheck disable=SC2034  # read by the assertions of tests/cgi/helpers.bash
	cgi_status=$http_status cgi_headers=$http_headers cgi_body=$http_body cgi_stderr=$http_log \
	    cgi_rc=$rc
	_http_last=1

	local why=""
	if [[ $rc -ne 0 ]]; then
		why="curl failed ($rc): $(cat "$dir/http.$_http_seq.err")"
	fi
	case $http_log in
	*"End of script output before headers"* | *"malformed header from script"* | *"Premature end of script"*)
		why="${why:+$why; }a program printed no valid header block (see the log)"
		;;
	*"ERROR: AddressSanitizer"* | *"runtime error:"* | *"ERROR: LeakSanitizer"*)
		why="${why:+$why; }sanitizer report in the log"
		;;
	esac
	if [[ -n $why ]]; then
		echo "http: $method $path: $why" >&2
		http_dump
		return 1
	fi
	return 0
}

http_account() {
	local login=0 email password name body otp
	if [[ ${1:-} == --login ]]; then
		login=1
		shift
	fi
	email=$1 password=${2:-StrongPass123} name=${3:-Test User}
	body=$(jq -n -c --arg n "$name" --arg e "$email" --arg p "$password" \
	    '{full_name: $n, email: $e, password: $p}') || return 1
	http POST /auth/signup "$body" || return 1
	assert_status 201 || return 1
	assert_body '{"message": "OTP sent to your email for verification"}' || return 1
	email=${email,,}
	mail_wait "$email" || return 1
	otp=$(mail_otp "$email") || return 1
	http POST /auth/verify-otp "$(jq -n -c --arg e "$email" --arg o "$otp" '{email: $e, otp: $o}')" ||
		return 1
	assert_status 200 || return 1
	assert_json .token_type bearer || return 1
	if [[ $login -eq 1 ]]; then
		http POST /auth/login "$(jq -n -c --arg e "$email" --arg p "$password" '{email: $e, password: $p}')" ||
			return 1
		assert_status 200 || return 1
		assert_json .token_type bearer || return 1
	fi
	http_token=$(jq -r .access_token <<<"$http_body")
	[[ -n $http_token && $http_token != null ]]
}

http_header() {
	cgi_header "$1"
}

http_dump() {
	{
		printf -- '--- %s\n' "${http_headers%%$'\n'*}"
		printf -- '--- headers:\n%s\n' "${http_headers#*$'\n'}"
		printf -- '--- body:\n%s\n' "${http_body:0:2000}"
		printf -- '--- server log meanwhile:\n%s\n---\n' "${http_log:-}"
	} >&2
}

# The assertions of tests/cgi/helpers.bash print the last response through
# cgi_dump: the HTTP one when the last request went through http, else the
# last `cgi` run as before.
eval "_cgi_dump_direct() $(declare -f cgi_dump | tail -n +2)"
eval "_cgi_direct() $(declare -f cgi | tail -n +2)"
eval "_cgi_file_direct() $(declare -f cgi_file | tail -n +2)"
cgi() {
	_http_last=0
	_cgi_direct "$@"
}
cgi_file() {
	_http_last=0
	_cgi_file_direct "$@"
}
cgi_dump() {
	if [[ ${_http_last:-0} -eq 1 ]]; then
		http_dump
	else
		_cgi_dump_direct
	fi
}

# assert_session_routes: through the server under test, a login, a refresh,
# the list of sessions, DELETE /user/sessions/{id} (its token then refused)
# and a body-less logout (docs/CONTRACT.md SE-6, SE-8, SE-10, SE-11): each
# path of the sessions reaches its program with what it needs (the id in
# the path, Authorization, an empty body).
assert_session_routes() {
	local old sid token
	http_account ann@example.test StrongPass123 "Ann Example"
	http POST /auth/login '{"email": "ann@example.test", "password": "StrongPass123"}'
	assert_status 200
	old=$(json_get .access_token) sid=$(jwt_decode "$old" | jq -r .claims.sid)
	http POST /auth/refresh "{\"refresh_token\": \"$(json_get .refresh_token)\"}"
	assert_status 200
	assert_json .token_type bearer
	http POST /auth/login '{"email": "ann@example.test", "password": "StrongPass123"}'
	token=$(json_get .access_token)
	http GET /user/sessions -H "Authorization: Bearer $token"
	assert_status 200
	assert_jq '.sessions | length == 3'
	http DELETE "/user/sessions/$sid" -H "Authorization: Bearer $token"
	assert_status 200
	assert_body '{"message": "Session revoked"}'
	http GET /user/profile -H "Authorization: Bearer $old"
	assert_status 401
	http POST /auth/logout -H "Authorization: Bearer $token" --data-file /dev/null
	assert_status 200
	assert_body '{"message": "Logged out"}'
	http GET /user/profile -H "Authorization: Bearer $token"
	assert_status 401
}

# mfa_routes prints the two-factor paths of apache/routes.txt (those under
# /user/mfa/ and /auth/mfa/), one a line, so a route added there is checked
# by every test that loops over them.
mfa_routes() {
	awk '$1 == "cgi" && $2 ~ /^\/(user|auth)\/mfa\// { print $2 }' "$MC_ROOT/apache/routes.txt"
}

# assert_mfa_routes: through the server under test, each two-factor path of
# apache/routes.txt reaches its program (GET answers the program's 405 with
# Allow: POST, OPTIONS), and a whole two-factor sign-in works: setup and
# enable with the bearer token and a JSON body, login's mfa_required, verify
# with a TOTP code, the profile with the token it answered (docs/CONTRACT.md
# MF-1, MF-7, MF-8, MF-11).
assert_mfa_routes() {
	local p n=0 secret token
	while IFS= read -r p; do
		http GET "$p"
		assert_status 405
		assert_header Allow 'POST, OPTIONS'
		n=$((n + 1))
	done < <(mfa_routes)
	[[ $n -ge 3 ]] || _fail "apache/routes.txt lists $n two-factor routes, want 3 or more"
	http_account ann@example.test StrongPass123 "Ann Example"
	http POST /user/mfa/setup '{"password": "StrongPass123"}' -H "Authorization: Bearer $http_token"
	assert_status 200
	secret=$(json_get .secret)
	mail_wait ann@example.test 2
	http POST /user/mfa/enable "$(jobj code "$(totp "$secret")" email_code "$(mail_otp ann@example.test)")" \
	    -H "Authorization: Bearer $http_token"
	assert_status 200
	assert_jq '.recovery_codes | length == 10'
	http POST /auth/login '{"email": "ann@example.test", "password": "StrongPass123"}'
	assert_status 200
	assert_jq '.mfa_required == true and .expires_in == 300'
	http POST /auth/mfa/verify "$(jobj mfa_token "$(json_get .mfa_token)" code "$(totp "$secret" 1)")"
	assert_status 200
	assert_json .token_type bearer
	token=$(json_get .access_token)
	http GET /user/profile -H "Authorization: Bearer $token"
	assert_status 200
	assert_json .email ann@example.test
}
