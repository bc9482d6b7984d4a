#!/usr/bin/env bash
# The container's entrypoint (Dockerfile), for Cloud Run or any host that
# configures through the environment: serves the API with Apache in the
# foreground on 0.0.0.0:$PORT.
#
#   1. checks the settings: JWT_SECRET_KEY must be set (environment, else the
#      env file: MEDICALCARE_ENV_FILE, else .env in the project root), and a
#      missing MFA_ENCRYPTION_KEY is said as a warning (two-factor sign-in
#      needs it, nothing else does); on
#      Cloud Run (K_SERVICE set) with no TRUSTED_PROXIES in either, sets it to
#      169.254.0.0/16 and says so on one line
#   2. with MIGRATE_ON_START=1, applies the schema (sql/migrate.sh) first
#   3. renders the Apache configuration (apache/render.sh local --pass-env,
#      so every setting set in the environment reaches the programs), made
#      to listen on $LISTEN_ADDRESS:$PORT and to log to stderr (the error
#      log, with the programs' log lines) and stdout (the access log)
#   4. checks it (apache2 -t); then, with SERVE_MODE=fastcgi (the default),
#      starts the programs as FastCGI processes (apache/fcgi.sh run
#      --pass-env: every setting set in the environment reaches them, their
#      log lines go to stderr) and Apache (event MPM, mod_proxy_fcgi), and
#      stays as their parent: SIGTERM (Cloud Run's stop) stops Apache at
#      once and the programs once the requests in hand are answered (8 s at
#      most), and if either ends by itself the other is stopped and the
#      entrypoint exits 1 (the container is restarted). With SERVE_MODE=cgi
#      it replaces itself with `apache2 -f CONF -DFOREGROUND` (mod_cgi, one
#      process per request)
#
# Usage: deploy/entrypoint.sh [--check]
#   --check   steps 1 and 3-4 only: render, check, print the configuration
#             on stdout and exit (no migration, no server)
#
# Environment:
#   PORT                 the port to listen on (Cloud Run sets it). Default: 8080
#   LISTEN_ADDRESS       the address to listen on. Default: 0.0.0.0 (all)
#   MEDICALCARE_RUN_DIR  the server's pid file and configuration.
#                        Default: ${TMPDIR:-/tmp}/medicalcare-apache
#   MIGRATE_ON_START     1: run sql/migrate.sh before serving. Default: 0
#   SERVE_MODE           fastcgi (default) or cgi, see 4. FCGI_PROCESSES,
#                        DB_MAX_CONNECTIONS and FCGI_MAX_REQUESTS (env.sample)
#                        size the FastCGI processes
#   TRUSTED_PROXIES      as in env.sample. On Cloud Run (K_SERVICE set), when
#                        neither the environment nor the env file sets it (an
#                        empty value counts as unset, as for every setting):
#                        169.254.0.0/16, the link-local block Cloud Run's
#                        front end connects to the container from, so that
#                        the client is the rightmost X-Forwarded-For entry.
#                        See DEPLOYMENT_GUIDE.md, "Client addresses on Cloud
#                        Run" (behind a load balancer, add its address).
#   and every setting of env.sample (JWT_SECRET_KEY, DATABASE_URL or
#   INSTANCE_CONNECTION_NAME + DB_NAME + DB_USER + DB_PASSWORD, SMTP_*, ...).
#
# Started by root, the programs run as www-data; started by another user (the
# Dockerfile's USER), everything runs as that user.
# shellcheck disable=SC2016  # $exec is literal Apache config text
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=apache/lib.sh
source apache/lib.sh

say() { printf 'entrypoint: %s\n' "$*" >&2; }
die() {
	printf 'entrypoint: error: %s\n' "$*" >&2
	exit 1
}

check_only=0
case ${1:-} in
"") ;;
--check) check_only=1 ;;
-h | --help)
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
	exit 0
	;;
*) die "unknown argument '$1' (see --help)" ;;
esac

port=${PORT:-8080}
[[ $port =~ ^[1-9][0-9]{0,4}$ && $port -le 65535 ]] || die "PORT '$port' is not a port number"
listen=${LISTEN_ADDRESS:-0.0.0.0}
[[ $listen =~ ^[0-9.]+$|^\[[0-9A-Fa-f:]+\]$ ]] || die "LISTEN_ADDRESS '$listen' is not an IPv4 or [IPv6] address"
run_dir=${MEDICALCARE_RUN_DIR:-${TMPDIR:-/tmp}/medicalcare-apache}
serve=${SERVE_MODE:-fastcgi}
[[ $serve == fastcgi || $serve == cgi ]] || die "SERVE_MODE '$serve' is not fastcgi or cgi"
env_file=${MEDICALCARE_ENV_FILE:-$root/.env}

# ---------------------------------------------------------------------------
# 1. Settings

setting() {
	MEDICALCARE_ENV_FILE=$env_file apache/render.sh setting "$1" 2>/dev/null
}
if ! setting JWT_SECRET_KEY >/dev/null; then
	die "JWT_SECRET_KEY is not set: pass it as an environment variable (Cloud Run: --set-secrets JWT_SECRET_KEY=...) or in $env_file; at least 32 random bytes, e.g. openssl rand -base64 48"
fi
if ! setting MFA_ENCRYPTION_KEY >/dev/null; then
	say "warning: MFA_ENCRYPTION_KEY is not set: two-factor sign-in answers 500 until it is; pass it like JWT_SECRET_KEY (Cloud Run: --set-secrets MFA_ENCRYPTION_KEY=...), a key of its own, at least 32 random bytes, the same for every instance"
fi
if ! setting DATABASE_URL >/dev/null && ! setting INSTANCE_CONNECTION_NAME >/dev/null &&
    ! setting DB_HOST >/dev/null && ! setting DB_NAME >/dev/null; then
	say "warning: no DATABASE_URL, INSTANCE_CONNECTION_NAME or DB_* setting: libpq's defaults apply"
fi

# Cloud Run sets K_SERVICE (and K_REVISION, K_CONFIGURATION) in every
# service's container. Its front end connects from a link-local address
# (169.254.x.x) and puts the client's address last in X-Forwarded-For; without
# TRUSTED_PROXIES every client would share that one address's limits. An
# explicit value, in the environment or the env file, wins.
cloud_run_proxies=169.254.0.0/16
if [[ -n ${K_SERVICE:-} ]] && ! setting TRUSTED_PROXIES >/dev/null; then
	export TRUSTED_PROXIES=$cloud_run_proxies
	say "Cloud Run (K_SERVICE=$K_SERVICE) and no TRUSTED_PROXIES: set TRUSTED_PROXIES=$cloud_run_proxies, the front end's link-local addresses (DEPLOYMENT_GUIDE.md, \"Client addresses on Cloud Run\"; behind a load balancer, add its address)"
fi

apache=$(mc_apache_bin) || die "no apache2 binary"
user=$(mc_apache_run_user)
group=$(id -gn "$user")

# ---------------------------------------------------------------------------
# 2. Migrations

if [[ $check_only -eq 0 && ${MIGRATE_ON_START:-0} == 1 ]]; then
	say "applying migrations (MIGRATE_ON_START=1)"
	MEDICALCARE_ENV_FILE=$env_file sql/migrate.sh >&2 || die "sql/migrate.sh failed"
fi

# ---------------------------------------------------------------------------
# 3. The configuration

mkdir -p -- "$run_dir"
chmod 755 "$run_dir"
conf=$run_dir/httpd.conf
apache/render.sh local --serve "$serve" --pass-env --port "$port" --run-dir "$run_dir" \
    --env-file "$env_file" --user "$user" --group "$group" --out "$conf.tmp" ||
	die "apache/render.sh failed"

# render.sh's local server listens on 127.0.0.1 and logs into files; a
# container listens on every interface and logs to its standard streams.
# Through piped loggers (cat): a server that is not root may not reopen
# /proc/self/fd/2 when the stream belongs to another user (a container
# runtime's pipe, a file root opened). Apache gives an error-log program its
# stdout as stderr, so that one writes to fd 9, a copy of our stderr made
# just before exec.
sed -i -E \
    -e "s|^# Listens on 127\\.0\\.0\\.1:$port only;|# Listens on $listen:$port (deploy/entrypoint.sh);|" \
    -e "s|^Listen 127\\.0\\.0\\.1:$port\$|Listen $listen:$port|" \
    -e 's#^ErrorLog .*#ErrorLog "|$exec /bin/cat >\&9"#' \
    -e 's#^CustomLog [^ ]+ #CustomLog "||/bin/cat" #' \
    "$conf.tmp"
grep -q -F -x "Listen $listen:$port" "$conf.tmp" ||
	die "could not set 'Listen $listen:$port' in the configuration (has apache/local.conf.in changed?)"
grep -q -F -x 'ErrorLog "|$exec /bin/cat >&9"' "$conf.tmp" ||
	die "could not send the error log to stderr (has apache/local.conf.in changed?)"
mv -f -- "$conf.tmp" "$conf"

# ---------------------------------------------------------------------------
# 4. Check, then serve

if ! out=$("$apache" -t -f "$conf" 2>&1); then
	printf '%s\n' "$out" >&2
	die "apache2 -t refused $conf"
fi
fcgi=(apache/fcgi.sh run --pass-env --run-dir "$run_dir" --env-file "$env_file" --user "$user"
    --group "$group" --grace 8)
if [[ $check_only -eq 1 ]]; then
	cat -- "$conf"
	if [[ $serve == fastcgi ]]; then
		echo "# FastCGI processes (apache/fcgi.sh plan):"
		apache/fcgi.sh plan "${fcgi[@]:2}" 2>&1 | sed 's/^/# /'
	fi
	exit 0
fi
rm -f -- "$run_dir/apache.pid"
say "serving on $listen:$port ($serve; programs run as $user)"
exec 9>&2
if [[ $serve == cgi ]]; then
	exec "$apache" -f "$conf" -DFOREGROUND
fi

# FastCGI: the processes first (their sockets must be there before the first
# request), then Apache; this shell stays as their parent.
fcgi_pid="" apache_pid=""
# shellcheck disable=SC2317  # called from the traps
finish() { # STATUS
	trap '' TERM INT
	[[ -z $apache_pid ]] || kill -TERM "$apache_pid" 2>/dev/null || true
	[[ -z $fcgi_pid ]] || kill -TERM "$fcgi_pid" 2>/dev/null || true
	[[ -z $apache_pid ]] || wait "$apache_pid" 2>/dev/null || true
	[[ -z $fcgi_pid ]] || wait "$fcgi_pid" 2>/dev/null || true
	exit "$1"
}
trap 'finish 0' TERM INT
"${fcgi[@]}" </dev/null 9>&- &
fcgi_pid=$!
for ((i = 0; i < 200; i++)); do
	[[ -e $run_dir/fcgi.ready ]] && break
	kill -0 "$fcgi_pid" 2>/dev/null || break
	sleep 0.1
done
if [[ ! -e $run_dir/fcgi.ready ]]; then
	say "error: the FastCGI processes did not start"
	finish 1
fi
# A session of its own: Apache signals its whole process group when it stops.
setsid "$apache" -f "$conf" -DFOREGROUND </dev/null &
apache_pid=$!
ended=""
wait -n -p ended "$apache_pid" "$fcgi_pid" || true
if [[ $ended == "$apache_pid" ]]; then
	apache_pid=""
	say "error: Apache exited; stopping the FastCGI processes"
else
	fcgi_pid=""
	say "error: the FastCGI launcher exited; stopping Apache"
fi
finish 1
