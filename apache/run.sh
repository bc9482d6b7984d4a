#!/usr/bin/env bash
# Serves the API on http://localhost:8000 with Apache, in the foreground,
# until Ctrl-C: what `make run` does after ./setup.sh.
#
#   1. checks what setup.sh makes: the programs, .env, Swagger UI, and the
#      local PostgreSQL that .env's DATABASE_URL names (GET /health)
#   2. as root, lets www-data (the user Apache runs the programs as) reach
#      the project (an ACL on a parent directory it cannot enter, e.g. /root),
#      read the env file (group www-data, mode 0640: setup.sh does this for
#      .env) and write the mail folder (owned by www-data)
#   3. renders apache/local.conf.in into build/run/httpd.conf (127.0.0.1 only)
#   4. starts the programs as FastCGI processes (apache/fcgi.sh start
#      --run-dir build/run: FCGI_PROCESSES each, sockets in build/run/fcgi/),
#      then runs `apache2 -f build/run/httpd.conf -DFOREGROUND` (event MPM,
#      mod_proxy_fcgi); Ctrl-C stops Apache, then the processes (each answers
#      the request in hand first)
#
# Usage: apache/run.sh [--port N] [--cgi]
#   --cgi   plain CGI instead: one process per request (prefork, mod_cgi), no
#           FastCGI processes. Also MC_SERVE_MODE=cgi.
# Environment: PORT (default 8000), MEDICALCARE_ENV_FILE (default .env),
# MC_SERVE_MODE (fastcgi, the default, or cgi).
# Logs: build/run/error.log (the programs' log lines too), build/run/access.log.
# A changed .env is read again by the FastCGI processes within a second; after
# a new build, restart (Ctrl-C, make run).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=apache/lib.sh
source apache/lib.sh

port=${PORT:-8000}
serve=${MC_SERVE_MODE:-fastcgi}
while [[ $# -gt 0 ]]; do
	case $1 in
	--cgi)
		serve=cgi
		shift
		;;
	--fastcgi)
		serve=fastcgi
		shift
		;;
	--port)
		[[ $# -ge 2 ]] || { echo "run: --port needs a value" >&2; exit 2; }
		port=$2
		shift 2
		;;
	-h | --help)
		sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		echo "run: unknown argument '$1'" >&2
		exit 2
		;;
	esac
done

say() { printf 'run: %s\n' "$*"; }
die() {
	printf 'run: error: %s\n' "$*" >&2
	exit 1
}

run_dir=$root/build/run
env_file=${MEDICALCARE_ENV_FILE:-$root/.env}
case $env_file in /*) ;; *) env_file=$root/$env_file ;; esac

# ---------------------------------------------------------------------------
# 1. What setup.sh makes

apache=$(mc_apache_bin) || die "no Apache: run ./setup.sh"
for p in health signup openapi; do
	[[ -x cgi-bin/$p.cgi ]] || die "cgi-bin/$p.cgi is not built: run ./setup.sh (or make)"
done
[[ -f $env_file ]] || die "no env file $env_file: run ./setup.sh"
[[ -f docs/node_modules/swagger-ui-dist/swagger-ui-bundle.js ]] ||
	die "Swagger UI is not installed (docs/node_modules): run ./setup.sh"
[[ $port =~ ^[0-9]+$ && $port -ge 1 && $port -le 65535 ]] || die "bad port '$port'"
if mc_apache_port_busy "$port"; then
	die "something already listens on 127.0.0.1:$port (another make run?); use PORT=8001 make run"
fi

# The programs' view of the settings.
setting() {
	MEDICALCARE_ENV_FILE=$env_file apache/render.sh setting "$1" 2>/dev/null || true
}
transport=$(setting MAIL_TRANSPORT)
mail_dir=""
if [[ $transport == file ]]; then
	mail_dir=$(setting MAIL_DIR)
	mail_dir=${mail_dir:-./mail}
	case $mail_dir in
	/*) ;;
	*)
		mail_dir=${mail_dir#./}
		mail_dir=$root/$mail_dir
		;;
	esac
fi

# ---------------------------------------------------------------------------
# 2. Permissions for the user the programs run as

user=$(mc_apache_run_user)
if [[ $user != "$(id -un)" ]]; then
	mc_apache_reach "$user" "$root/cgi-bin/health.cgi" || die "www-data cannot reach $root"
	if ! mc_apache_as "$user" test -r "$env_file"; then
		if [[ $env_file == "$root/.env" ]]; then
			chown root:"$user" "$env_file" && chmod 640 "$env_file"
			say "made .env readable by group $user (mode 0640)"
		else
			die "$user cannot read $env_file: chgrp $user it and chmod 0640"
		fi
	fi
	if [[ -n $mail_dir ]]; then
		mkdir -p -- "$mail_dir"
		if ! mc_apache_as "$user" test -w "$mail_dir" -a -x "$mail_dir"; then
			chown "$user:$user" "$mail_dir"
			chmod 750 "$mail_dir"
			say "the mail folder $mail_dir now belongs to $user"
		fi
		mc_apache_reach "$user" "$mail_dir/x" || die "$user cannot reach $mail_dir"
	fi
fi

# The database (setup.sh started the local cluster): a warning only, since
# the API answers 503 without it and comes back when it does.
health=$(REQUEST_METHOD=GET MEDICALCARE_ENV_FILE=$env_file cgi-bin/health.cgi 2>&1 | tail -n 1 || true)
if [[ $health != *'"database":"ok"'* ]]; then
	say "warning: the database is not reachable (GET /health: ${health:-no answer});"
	say "         ./setup.sh starts the local PostgreSQL; the API answers 503 meanwhile"
fi

# ---------------------------------------------------------------------------
# 3. The configuration

mkdir -p -- "$run_dir"
chmod 755 "$run_dir"
conf=$run_dir/httpd.conf
[[ $serve == fastcgi || $serve == cgi ]] || die "MC_SERVE_MODE '$serve' is not fastcgi or cgi"
apache/render.sh local --serve "$serve" --port "$port" --run-dir "$run_dir" --env-file "$env_file" \
    --user "$user" --group "$(id -gn "$user")" --out "$conf"
"$apache" -t -f "$conf" >"$run_dir/configtest.log" 2>&1 ||
	die "apache2 refused $conf: $(cat "$run_dir/configtest.log")"
rm -f -- "$run_dir/apache.pid"

# ---------------------------------------------------------------------------
# 4. Serve

apache_pid="" fcgi_started=0
# shellcheck disable=SC2317  # called from the traps
stop() {
	trap - INT TERM EXIT
	if [[ -n $apache_pid ]]; then
		echo
		say "stopping Apache"
		mc_apache_stop "$apache_pid" 10
	fi
	if [[ $fcgi_started -eq 1 ]]; then
		say "stopping the FastCGI processes"
		apache/fcgi.sh stop --run-dir "$run_dir" --grace 10 || true
	fi
	exit "${1:-0}"
}
trap 'stop 0' INT TERM
trap 'stop $?' EXIT

if [[ $serve == fastcgi ]]; then
	# Left over from a make run that was killed: stopped first.
	apache/fcgi.sh stop --run-dir "$run_dir" --grace 5 || true
	fcgi_started=1
	as_user=()
	[[ $user == "$(id -un)" ]] || as_user=(--user "$user" --group "$(id -gn "$user")")
	apache/fcgi.sh start --run-dir "$run_dir" --env-file "$env_file" "${as_user[@]}" \
	    --grace 10 --log "$run_dir/error.log" ||
		die "the FastCGI processes did not start (log: ${run_dir#"$root"/}/error.log)"
fi

# A session of its own: on TERM, prefork signals its whole process group,
# which would otherwise be ours (and make's). Ctrl-C reaches it through the
# trap above.
setsid "$apache" -f "$conf" -DFOREGROUND </dev/null &
apache_pid=$!
if ! mc_apache_wait "$apache_pid" "$port" 20; then
	tail -n 20 "$run_dir/error.log" >&2 2>/dev/null || true
	die "Apache did not start on port $port (log: ${run_dir#"$root"/}/error.log)"
fi

rel() { # a path, relative to the project root when under it
	case $1 in "$root"/*) printf '%s\n' "${1#"$root"/}" ;; *) printf '%s\n' "$1" ;; esac
}
if [[ -n $mail_dir ]]; then
	mail_note="mail in $(rel "$mail_dir")/"
else
	mail_note="mail sent by SMTP ($(setting SMTP_SERVER))"
fi
echo
if [[ $serve == fastcgi ]]; then
	serve_note="FastCGI, $(apache/fcgi.sh status --run-dir "$run_dir" | awk '{split($2, a, "/"); n += a[2]} END {print n}') processes"
else
	serve_note="plain CGI"
fi
echo "MedicalCare API on http://localhost:$port ($serve_note) — $mail_note, logs in $(rel "$run_dir")/; Ctrl-C to stop"
echo "  try: curl http://localhost:$port/health   docs: http://localhost:$port/docs"
echo

rc=0
wait "$apache_pid" || rc=$?
apache_pid=""
say "Apache exited; its log: $(rel "$run_dir")/error.log"
tail -n 5 "$run_dir/error.log" 2>/dev/null || true
exit "$rc"
