#!/usr/bin/env bats
# Deployment: the container's entrypoint (deploy/entrypoint.sh) run on the
# host, configured only through environment variables as Cloud Run does;
# Cloud SQL through its Unix socket /cloudsql/<project:region:instance>
# (a private PostgreSQL whose socket directory is exactly that); and a VPS
# behind the Cloud SQL Auth Proxy (TCP on localhost, DB_* parts only).
# Every server here is started and stopped by this file, on free ports.

# shellcheck disable=SC2154  # http_status, http_body... are set by http (helpers.bash)
load helpers

HEALTH_OK='{"status":"ok","database":"ok"}'

setup_file() {
	mc_setup_file || return 1
	export EP_ENV_FILE=$BATS_FILE_TMPDIR/empty.env
	: >"$EP_ENV_FILE"
	chmod 644 "$EP_ENV_FILE"
	chmod 755 "$BATS_FILE_TMPDIR" "$(dirname "$BATS_FILE_TMPDIR")" 2>/dev/null || true
	if [[ $(id -u) -eq 0 ]]; then
		mc_apache_reach www-data "$MC_ROOT/cgi-bin/health.cgi" >/dev/null || return 1
		mc_apache_reach www-data "$EP_ENV_FILE" >/dev/null || return 1
		# Cloud SQL's socket directory: for the whole file, since its
		# variables reach the tests and teardown_file only from here. The
		# instance name is unique to this run (runs may share a machine).
		export CLOUDSQL_NAME=test-project:europe-west1:mc-test-$$
		if ! cloudsql_start; then
			cloudsql_stop
			mc_teardown_file
			return 1
		fi
	fi
}

teardown_file() {
	cloudsql_stop
	mc_teardown_file
}

setup() { reset_state; }

teardown() {
	ep_stop
}

# ---------------------------------------------------------------------------
# The entrypoint

# The settings, as Cloud Run would pass them (no env file: an empty one).
ep_env() {
	printf '%s\n' PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    "MEDICALCARE_ENV_FILE=$EP_ENV_FILE" "JWT_SECRET_KEY=$MC_TEST_JWT_KEY" \
	    "DATABASE_URL=$DATABASE_URL" FRONTEND_URL=http://localhost:3000 \
	    CORS_ORIGINS=http://localhost:3000 MAIL_TRANSPORT=smtp SMTP_SERVER=127.0.0.1 \
	    "SMTP_PORT=$MC_SMTP_PORT" SMTP_SECURITY=none SMTP_FROM=no-reply@medicalcare.test \
	    "SERVE_MODE=${MC_SERVE_MODE:-fastcgi}"
}

# ep_passes NAME: the configuration ep_check printed ($output) hands setting
# NAME from the environment to the programs by name: Apache's PassEnv (CGI)
# or the FastCGI launcher's --pass-env (its plan, at the end).
ep_passes() {
	grep -E -q "^ *PassEnv .*\b$1\b|^# settings passed from the environment \(by name\): .*\b$1\b" \
	    <<<"$output"
}

# ep_program_env NAME: the environment of program NAME as the server runs
# it: one of its FastCGI processes', or under CGI Apache's (EP_PID: the
# entrypoint execs it), which PassEnv hands on.
ep_program_env() {
	local pid=$EP_PID mw
	if [[ -r $EP_DIR/run/fcgi/$1.pid ]]; then
		mw=$(<"$EP_DIR/run/fcgi/$1.pid")
		pid=$(pgrep -P "$mw" | head -n 1)
	fi
	tr '\0' '\n' <"/proc/$pid/environ"
}

# ep_start [--as USER] [VAR=value | -VAR]...: runs deploy/entrypoint.sh in the background
# with the settings of ep_env (changed by the arguments) on 127.0.0.1 and a
# free port; waits until it accepts. Sets EP_PID, EP_PORT, EP_OUT, EP_ERR,
# MC_HTTP_URL and MC_APACHE_ERROR_LOG (so `http` shows the server's log).
ep_start() {
	local try arg rc
	local -a env as=()
	EP_DIR=$(mktemp -d /tmp/mc-ep.XXXXXX) || return 1
	chmod 755 "$EP_DIR"
	if [[ ${1:-} == --as ]]; then
		as=(runuser -u "$2" --)
		chown "$2" "$EP_DIR"
		shift 2
	fi
	for try in 1 2 3; do
		EP_PORT=$(free_port) || return 1
		mapfile -t env < <(ep_env)
		env+=("PORT=$EP_PORT" LISTEN_ADDRESS=127.0.0.1 "MEDICALCARE_RUN_DIR=$EP_DIR/run")
		for arg in "$@"; do
			if [[ $arg == -* ]]; then
				mapfile -t env < <(printf '%s\n' "${env[@]}" | grep -v -E "^${arg#-}=")
			else
				env+=("$arg")
			fi
		done
		EP_OUT=$EP_DIR/stdout EP_ERR=$EP_DIR/stderr
		# A session of its own: Apache in the foreground signals its whole
		# process group when it stops, which must not be bats's.
		setsid "${as[@]}" env -i "${env[@]}" "$MC_ROOT/deploy/entrypoint.sh" </dev/null >"$EP_OUT" 2>"$EP_ERR" 3>&- &
		EP_PID=$!
		rc=0
		mc_apache_wait "$EP_PID" "$EP_PORT" 20 || rc=$?
		[[ $rc -eq 0 ]] && break
		mc_apache_stop "$EP_PID" 5
		EP_PID=""
		grep -q -e 'Address already in use' -e 'could not bind' "$EP_ERR" && continue
		echo "the entrypoint did not start; its output:" >&2
		cat "$EP_OUT" "$EP_ERR" >&2
		return 1
	done
	[[ -n $EP_PID ]] || return 1
	export MC_HTTP_URL=http://127.0.0.1:$EP_PORT MC_APACHE_ERROR_LOG=$EP_ERR
}

ep_stop() {
	if [[ -n ${EP_PID:-} ]]; then
		mc_apache_stop "$EP_PID" 10
		EP_PID=""
	fi
	if [[ -n ${EP_DIR:-} && $EP_DIR == /tmp/mc-ep.* ]]; then
		if [[ -n ${MC_KEEP_LOGS_DIR:-} && -d $MC_KEEP_LOGS_DIR ]]; then
			cp -- "$EP_DIR/stderr" "$MC_KEEP_LOGS_DIR/entrypoint-stderr.log" 2>/dev/null || true
		fi
		rm -rf -- "$EP_DIR"
	fi
	EP_DIR=""
}

# ep_check [VAR=value | -VAR]...: runs `deploy/entrypoint.sh --check` (render
# and apache2 -t, no server) with bats's run; the configuration is in $output.
ep_check() {
	local arg
	local -a env
	mapfile -t env < <(ep_env)
	env+=("MEDICALCARE_RUN_DIR=$BATS_TEST_TMPDIR/run")
	for arg in "$@"; do
		if [[ $arg == -* ]]; then
			mapfile -t env < <(printf '%s\n' "${env[@]}" | grep -v -E "^${arg#-}=")
		else
			env+=("$arg")
		fi
	done
	run env -i "${env[@]}" "$MC_ROOT/deploy/entrypoint.sh" --check
}

@test "the entrypoint refuses to start without JWT_SECRET_KEY" {
	ep_check -JWT_SECRET_KEY PORT=8080
	[[ $status -eq 1 ]] || { echo "status $status: $output" >&2; return 1; }
	[[ $output == *"entrypoint: error: JWT_SECRET_KEY is not set"* ]] || { echo "$output" >&2; return 1; }
	[[ $output != *Listen* ]]
}

@test "the entrypoint listens on all interfaces at PORT and logs to stdout and stderr" {
	ep_check PORT=18931
	[[ $status -eq 0 ]] || { echo "$output" >&2; return 1; }
	grep -q -x 'Listen 0.0.0.0:18931' <<<"$output"
	[[ $(grep -c '^Listen ' <<<"$output") -eq 1 ]]
	# shellcheck disable=SC2016  # $exec is literal config text
	grep -q -F -x 'ErrorLog "|$exec /bin/cat >&9"' <<<"$output"
	grep -q -F 'CustomLog "||/bin/cat" ' <<<"$output"
	# The settings reach the programs by name, never by value.
	ep_passes JWT_SECRET_KEY
	ep_passes DATABASE_URL
	ep_passes SMTP_PORT
	if grep -q -F "$MC_TEST_JWT_KEY" <<<"$output"; then
		echo "the JWT key's value is in the configuration" >&2
		return 1
	fi
}

@test "the entrypoint's PORT defaults to 8080" {
	ep_check -PORT
	[[ $status -eq 0 ]] || { echo "$output" >&2; return 1; }
	grep -q -x 'Listen 0.0.0.0:8080' <<<"$output"
}

@test "the entrypoint serves health and a signup reaches the sink, then it stops on TERM" {
	ep_start
	http GET /health
	assert_status 200
	assert_body --raw "$HEALTH_OK"

	http POST /auth/signup '{"full_name": "Grace Hopper", "email": "grace@example.test", "password": "StrongPass123"}'
	assert_status 201
	mail_wait grace@example.test
	otp=$(mail_otp grace@example.test)
	[[ $otp =~ ^[0-9]{6}$ ]]
	[[ $(sql "SELECT count(*) FROM users WHERE email = 'grace@example.test'") -eq 1 ]]

	# CORS from the environment's CORS_ORIGINS.
	http OPTIONS /auth/login -H 'Origin: http://localhost:3000' -H 'Access-Control-Request-Method: POST'
	assert_status 204
	assert_header Access-Control-Allow-Origin http://localhost:3000

	# The access log goes to stdout, the error log (the programs' lines
	# too) to stderr.
	grep -q '"GET /health HTTP/1.1" 200' "$EP_OUT"
	grep -q 'resuming normal operations' "$EP_ERR"
	if grep -q 'resuming normal operations' "$EP_OUT"; then
		echo "the error log went to stdout" >&2
		return 1
	fi

	# Cloud Run stops a container with SIGTERM: Apache exits at once, cleanly.
	kill -TERM "$EP_PID"
	rc=0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$EP_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$EP_PID" 2>/dev/null; then
		echo "still running 10 s after SIGTERM" >&2
		return 1
	fi
	wait "$EP_PID" || rc=$?
	EP_PID=""
	[[ $rc -eq 0 ]] || { echo "exit status $rc" >&2; cat "$EP_ERR" >&2; return 1; }
	if mc_apache_port_busy "$EP_PORT"; then
		echo "port $EP_PORT still accepts" >&2
		return 1
	fi
}

@test "the entrypoint reports a missing database as 503, not a crash" {
	ep_start DATABASE_URL=postgresql://nobody:x@127.0.0.1:1/none DB_CONNECT_TIMEOUT=2
	http GET /health
	assert_status 503
	# The program's log line reached the error log, on stderr.
	grep -q -E '(stderr from .*health.cgi|medicalcare health): .*could not connect to database' "$EP_ERR"
}

@test "the entrypoint runs as a user other than root, as the Dockerfile does" {
	[[ $(id -u) -eq 0 ]] || skip "already not root"
	# stdout and stderr are files root opened, as a runtime's pipes may be.
	ep_start --as www-data
	http GET /health
	assert_status 200
	assert_body --raw "$HEALTH_OK"
	grep -q 'programs run as www-data' "$EP_ERR"
	grep -q '"GET /health HTTP/1.1" 200' "$EP_OUT"
	pid=$(cat "$EP_DIR/run/apache.pid")
	[[ $(stat -c %U "/proc/$pid") == www-data ]]
}

# ---------------------------------------------------------------------------
# Client addresses on Cloud Run (DEPLOYMENT_GUIDE.md, "Client addresses on
# Cloud Run"): the entrypoint's TRUSTED_PROXIES, and the address the
# per-address limits count for the X-Forwarded-For Cloud Run sends.

# As Cloud Run sets them in every service's container.
CLOUD_RUN_ENV=(K_SERVICE=medicalcare-auth K_REVISION=medicalcare-auth-00001-abc
    K_CONFIGURATION=medicalcare-auth)

# ep_default_proxies TEXT: the TRUSTED_PROXIES the entrypoint's line in TEXT
# says it set ("" if there is no such line).
ep_default_proxies() {
	sed -n -E 's/^entrypoint: Cloud Run \(K_SERVICE=[^)]*\) and no TRUSTED_PROXIES: set TRUSTED_PROXIES=([^ ,]+), .*/\1/p' <<<"$1"
}

# guide_lb_proxies LB_IP: the TRUSTED_PROXIES of the guide's load balancer
# command, taken literally, with $LB_IP replaced by LB_IP.
guide_lb_proxies() {
	local v
	v=$(sed -n -E 's/.*--update-env-vars "\^@\^TRUSTED_PROXIES=([^"]*)".*/\1/p' "$MC_ROOT/DEPLOYMENT_GUIDE.md")
	if [[ -z $v || $v == *$'\n'* || $v != *'$LB_IP'* ]]; then
		echo "DEPLOYMENT_GUIDE.md has no single TRUSTED_PROXIES=...\$LB_IP command: '$v'" >&2
		return 1
	fi
	printf '%s\n' "${v//\$LB_IP/$1}"
}

# resend_hits ADDRESS: the resend-otp requests counted against ADDRESS ("" if none).
resend_hits() {
	sql "SELECT hits FROM client_limits WHERE scope = 'resend_otp' AND address = :'a'" a="$1"
}

@test "the entrypoint on Cloud Run sets TRUSTED_PROXIES to the link-local block and says so in one line" {
	ep_check "${CLOUD_RUN_ENV[@]}"
	[[ $status -eq 0 ]] || { echo "$output" >&2; return 1; }
	[[ $(grep -c '^entrypoint: Cloud Run' <<<"$output") -eq 1 ]] || { echo "$output" >&2; return 1; }
	[[ $(ep_default_proxies "$output") == 169.254.0.0/16 ]] || { echo "$output" >&2; return 1; }
	ep_passes TRUSTED_PROXIES
	# The guide says the same: in its text and in its load balancer command.
	grep -q -F '`TRUSTED_PROXIES=169.254.0.0/16`' "$MC_ROOT/DEPLOYMENT_GUIDE.md"
	[[ $(guide_lb_proxies 203.0.113.50) == 169.254.0.0/16,203.0.113.50 ]]

	# Not on Cloud Run: nothing set.
	ep_check
	[[ $status -eq 0 ]] || { echo "$output" >&2; return 1; }
	if grep -q -e '^entrypoint: Cloud Run' <<<"$output" || ep_passes TRUSTED_PROXIES; then
		echo "TRUSTED_PROXIES set without K_SERVICE: $output" >&2
		return 1
	fi

	# Served: the value is in the programs' environment. The connection here
	# comes from 127.0.0.1, not from Cloud Run's front end, so its
	# X-Forwarded-For is ignored.
	ep_start "${CLOUD_RUN_ENV[@]}"
	[[ $(grep -c '^entrypoint: Cloud Run' "$EP_ERR") -eq 1 ]]
	ep_program_env resend-otp | grep -q -x 'TRUSTED_PROXIES=169.254.0.0/16'
	http POST /auth/resend-otp '{"email":"nobody@example.test"}' -H 'X-Forwarded-For: 198.51.100.7'
	assert_status 200
	[[ $(resend_hits 127.0.0.1) == 1 && -z $(resend_hits 198.51.100.7) ]] ||
	    { sql "SELECT scope, address, hits FROM client_limits" >&2; return 1; }
}

@test "an explicit TRUSTED_PROXIES wins over the entrypoint's Cloud Run default, an empty one does not" {
	# In the environment.
	ep_check "${CLOUD_RUN_ENV[@]}" TRUSTED_PROXIES=10.0.0.0/8
	[[ $status -eq 0 ]] || { echo "$output" >&2; return 1; }
	if grep -q '^entrypoint: Cloud Run' <<<"$output"; then
		echo "the default replaced an explicit TRUSTED_PROXIES: $output" >&2
		return 1
	fi
	ep_passes TRUSTED_PROXIES

	# In the env file: the programs read it there; nothing in the environment
	# may override it.
	env_file=$BATS_TEST_TMPDIR/proxies.env
	printf 'TRUSTED_PROXIES=10.0.0.0/8\n' >"$env_file"
	ep_check "${CLOUD_RUN_ENV[@]}" MEDICALCARE_ENV_FILE="$env_file"
	[[ $status -eq 0 ]] || { echo "$output" >&2; return 1; }
	if grep -q -e '^entrypoint: Cloud Run' <<<"$output" || ep_passes TRUSTED_PROXIES; then
		echo "the default overrode the env file's TRUSTED_PROXIES: $output" >&2
		return 1
	fi

	# Empty counts as unset, as for every setting: the default applies.
	ep_check "${CLOUD_RUN_ENV[@]}" TRUSTED_PROXIES=
	[[ $status -eq 0 ]] || { echo "$output" >&2; return 1; }
	[[ $(ep_default_proxies "$output") == 169.254.0.0/16 ]] || { echo "$output" >&2; return 1; }

	# Served with the guide's load balancer list, 127.0.0.1 standing for the
	# load balancer's address (a local connection's REMOTE_ADDR is 127.0.0.1):
	# the X-Forwarded-For a load balancer sends after a client's forged one,
	# through Apache, is counted against the client.
	ep_start "${CLOUD_RUN_ENV[@]}" "TRUSTED_PROXIES=$(guide_lb_proxies 127.0.0.1)"
	if grep -q '^entrypoint: Cloud Run' "$EP_ERR"; then
		echo "the default replaced an explicit TRUSTED_PROXIES" >&2
		return 1
	fi
	http POST /auth/resend-otp '{"email":"nobody@example.test"}' \
	    -H 'X-Forwarded-For: 203.0.113.66, 198.51.100.7, 127.0.0.1'
	assert_status 200
	[[ $(resend_hits 198.51.100.7) == 1 && $(sql "SELECT count(*) FROM client_limits") == 1 ]] ||
	    { sql "SELECT scope, address, hits FROM client_limits" >&2; return 1; }
}

@test "on Cloud Run X-Forwarded-For counts against the client with the recipe's TRUSTED_PROXIES" {
	local direct lb lb_ip=203.0.113.50
	ep_check "${CLOUD_RUN_ENV[@]}"
	direct=$(ep_default_proxies "$output")
	[[ -n $direct ]] || { echo "$output" >&2; return 1; }
	lb=$(guide_lb_proxies "$lb_ip")
	# resend PEER XFF [VAR=value]...: a resend-otp request as Cloud Run's front
	# end at PEER hands it to the container.
	resend() {
		local peer=$1 xff=$2
		shift 2
		cgi POST resend-otp.cgi '{"email":"nobody@example.test"}' REMOTE_ADDR="$peer" \
		    HTTP_X_FORWARDED_FOR="$xff" "$@"
		assert_status 200
	}

	# Without TRUSTED_PROXIES (the recipe before): every client counts
	# against the front end's address.
	resend 169.254.8.129 198.51.100.1
	resend 169.254.8.129 198.51.100.2
	[[ $(resend_hits 169.254.8.129) == 2 && -z $(resend_hits 198.51.100.1) ]]

	# The run.app URL, from either reported front-end address: the client's
	# address last, after whatever the client sent.
	resend 169.254.8.129 198.51.100.7 TRUSTED_PROXIES="$direct"
	resend 169.254.169.126 "203.0.113.66, 198.51.100.7" TRUSTED_PROXIES="$direct"
	resend 169.254.169.126 "2001:db8::7" TRUSTED_PROXIES="$direct"
	[[ $(resend_hits 198.51.100.7) == 2 && $(resend_hits 2001:db8::/64) == 1 ]]
	[[ -z $(resend_hits 203.0.113.66) && $(resend_hits 169.254.169.126) == "" ]]

	# Through the load balancer, with the guide's list: client, then the
	# load balancer's own address.
	resend 169.254.169.126 "198.51.100.9, $lb_ip" TRUSTED_PROXIES="$lb"
	resend 169.254.169.126 "203.0.113.66, 198.51.100.9, $lb_ip" TRUSTED_PROXIES="$lb"
	# The 2022 form (the client once more after the load balancer).
	resend 169.254.8.129 "198.51.100.9, $lb_ip, 198.51.100.9" TRUSTED_PROXIES="$lb"
	[[ $(resend_hits 198.51.100.9) == 3 && -z $(resend_hits "$lb_ip") ]]
	# With the default alone, the load balancer's clients would share its budget.
	resend 169.254.169.126 "198.51.100.10, $lb_ip" TRUSTED_PROXIES="$direct"
	[[ $(resend_hits "$lb_ip") == 1 && -z $(resend_hits 198.51.100.10) ]]

	# A client posing as the load balancer through the run.app URL: Cloud Run
	# appends the sender's address, and that is what counts.
	resend 169.254.8.129 "198.51.100.9, $lb_ip, 192.0.2.44" TRUSTED_PROXIES="$lb"
	[[ $(resend_hits 192.0.2.44) == 1 && $(resend_hits 198.51.100.9) == 3 ]]

	# Not from Cloud Run's front end: the header is ignored.
	resend 203.0.113.9 198.51.100.12 TRUSTED_PROXIES="$lb"
	[[ $(resend_hits 203.0.113.9) == 1 && -z $(resend_hits 198.51.100.12) ]]
}

# ---------------------------------------------------------------------------
# Cloud SQL through its Unix socket

# Starts a second private PostgreSQL whose only socket is in
# /cloudsql/$CLOUDSQL_NAME (port 5432, as the Cloud SQL connector), no TCP,
# with role mc_cloud (password, SCRAM) owning database mc_cloud. Root only
# (it creates /cloudsql); removes what it created in cloudsql_stop.
cloudsql_start() {
	local bindir osuser
	bindir=$(pg__bindir) || return 1
	osuser=postgres
	CS_SOCK=/cloudsql/$CLOUDSQL_NAME
	if [[ -S $CS_SOCK/.s.PGSQL.5432 ]] &&
	    "$bindir/pg_isready" -q -h "$CS_SOCK" -p 5432 -t 1 >/dev/null 2>&1; then
		echo "a PostgreSQL already serves $CS_SOCK; stop it first" >&2
		return 1
	fi
	export CS_CREATED_ROOT=0
	if [[ ! -d /cloudsql ]]; then
		mkdir -m 755 /cloudsql || return 1
		CS_CREATED_ROOT=1
	fi
	rm -rf -- "$CS_SOCK"
	mkdir -m 755 "$CS_SOCK" && chown "$osuser": "$CS_SOCK" || return 1
	CS_DIR=$(mktemp -d /tmp/mc-pg.cloudsql.XXXXXX) || return 1
	chown "$osuser": "$CS_DIR" && chmod 700 "$CS_DIR"
	export CS_DIR CS_SOCK CS_BINDIR=$bindir CS_PASSWORD
	CS_PASSWORD=$(openssl rand -hex 16)
	if ! (cd / && runuser -u "$osuser" -- env LC_ALL=C.UTF-8 "$bindir/initdb" -D "$CS_DIR/data" \
	    -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=trust --no-sync) >"$CS_DIR/initdb.log" 2>&1 3>&-; then
		cat "$CS_DIR/initdb.log" >&2
		return 1
	fi
	runuser -u "$osuser" -- tee -a "$CS_DIR/data/postgresql.conf" >/dev/null <<-EOF
		listen_addresses = ''
		port = 5432
		unix_socket_directories = '$CS_SOCK'
		unix_socket_permissions = 0777
		fsync = off
		synchronous_commit = off
		max_connections = 20
		shared_buffers = 16MB
	EOF
	# The superuser without a password, the application's role only with one.
	runuser -u "$osuser" -- tee "$CS_DIR/data/pg_hba.conf" >/dev/null <<-'EOF'
		local all postgres trust
		local all all scram-sha-256
	EOF
	if ! (cd / && runuser -u "$osuser" -- "$bindir/pg_ctl" -D "$CS_DIR/data" -l "$CS_DIR/server.log" \
	    -w -t 60 start) >"$CS_DIR/pg_ctl.out" 2>&1 3>&-; then
		cat "$CS_DIR/pg_ctl.out" "$CS_DIR/server.log" >&2
		return 1
	fi
	"$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$CS_SOCK" -p 5432 -U postgres -d postgres \
	    -v pw="$CS_PASSWORD" <<-'EOF'
		CREATE ROLE mc_cloud LOGIN PASSWORD :'pw';
		CREATE DATABASE mc_cloud OWNER mc_cloud;
	EOF
}

cloudsql_stop() {
	[[ -n ${CS_DIR:-} ]] || return 0
	if [[ -f $CS_DIR/data/postmaster.pid ]]; then
		(cd / && runuser -u postgres -- "$CS_BINDIR/pg_ctl" -D "$CS_DIR/data" -m fast -w -t 30 stop) \
		    >/dev/null 2>&1 3>&- || true
	fi
	if [[ -n ${MC_KEEP_LOGS_DIR:-} && -d $MC_KEEP_LOGS_DIR ]]; then
		cp -- "$CS_DIR/server.log" "$MC_KEEP_LOGS_DIR/postgres-cloudsql.log" 2>/dev/null || true
	fi
	[[ $CS_DIR == /tmp/mc-pg.cloudsql.* ]] && rm -rf -- "$CS_DIR"
	[[ $CS_SOCK == /cloudsql/?* ]] && rm -rf -- "$CS_SOCK"
	if [[ ${CS_CREATED_ROOT:-0} == 1 ]]; then
		rmdir /cloudsql 2>/dev/null || true
	fi
	unset CS_DIR CS_SOCK CS_BINDIR CS_PASSWORD CS_CREATED_ROOT
}

cloudsql_sql() {
	PGPASSWORD=$CS_PASSWORD psql -X -A -t -q -v ON_ERROR_STOP=1 -h "$CS_SOCK" -p 5432 -U mc_cloud \
	    -d mc_cloud <<<"$1"
}

# The Cloud SQL settings only: no DATABASE_URL, no host, no port.
cloudsql_settings() {
	printf '%s\n' "INSTANCE_CONNECTION_NAME=$CLOUDSQL_NAME" DB_NAME=mc_cloud DB_USER=mc_cloud \
	    "DB_PASSWORD=$CS_PASSWORD"
}

@test "Cloud SQL is reached over its Unix socket with only the instance name and the DB_* parts" {
	[[ -n ${CS_DIR:-} ]] || skip "needs root to create /cloudsql"
	mapfile -t cs < <(cloudsql_settings)
	env_file=$(test_env_file -DATABASE_URL)

	# The schema, through the same settings (sql/migrate.sh reads them too).
	env -i PATH="$PATH" MEDICALCARE_ENV_FILE="$env_file" "${cs[@]}" "$MC_ROOT/sql/migrate.sh" >/dev/null
	[[ $(cloudsql_sql "SELECT count(*) FROM schema_migrations") -ge 1 ]]

	cgi GET health.cgi MEDICALCARE_ENV_FILE="$env_file" "${cs[@]}"
	assert_status 200
	assert_body --raw "$HEALTH_OK"

	cgi POST signup.cgi '{"full_name": "Cloud User", "email": "cloud@example.test", "password": "StrongPass123"}' \
	    MEDICALCARE_ENV_FILE="$env_file" "${cs[@]}"
	assert_status 201
	[[ $(cloudsql_sql "SELECT count(*) FROM users WHERE email = 'cloud@example.test'") -eq 1 ]]
	# Not in the other database: the socket was used, not DATABASE_URL.
	[[ $(sql "SELECT count(*) FROM users WHERE email = 'cloud@example.test'") -eq 0 ]]
	mail_wait cloud@example.test

	# A wrong password is refused: the password reached the server. A
	# configuration error, not an outage: the log line names what to fix.
	cgi GET health.cgi MEDICALCARE_ENV_FILE="$env_file" "${cs[@]}" DB_PASSWORD=wrong-password
	assert_status 503
	assert_body --raw '{"status":"unavailable","database":"misconfigured"}'
	refute_header Retry-After
	[[ $cgi_stderr == *"check DB_USER, DB_PASSWORD and INSTANCE_CONNECTION_NAME"* ]]
	[[ $cgi_stderr != *wrong-password* ]]
}

@test "the entrypoint with Cloud SQL settings migrates on start and serves health" {
	[[ -n ${CS_DIR:-} ]] || skip "needs root to create /cloudsql"
	cloudsql_sql "DROP TABLE IF EXISTS schema_migrations CASCADE" >/dev/null
	cloudsql_sql "DROP SCHEMA public CASCADE; CREATE SCHEMA public" >/dev/null
	mapfile -t cs < <(cloudsql_settings)
	ep_start -DATABASE_URL "${cs[@]}" MIGRATE_ON_START=1
	grep -q 'applying migrations (MIGRATE_ON_START=1)' "$EP_ERR"
	[[ $(cloudsql_sql "SELECT count(*) FROM schema_migrations") -ge 1 ]]
	http GET /health
	assert_status 200
	assert_body --raw "$HEALTH_OK"
}

# ---------------------------------------------------------------------------
# A VPS with the Cloud SQL Auth Proxy: TCP on localhost, DB_* parts only

@test "the DB_* parts reach the database over TCP on localhost, as behind the Cloud SQL Auth Proxy" {
	# The test database's parts, from its URL postgresql://USER:PW@HOST:PORT/DB.
	[[ $DATABASE_URL =~ ^postgresql://([^:]+):([^@]+)@([^:/]+):([0-9]+)/(.+)$ ]]
	parts=(DB_HOST=127.0.0.1 "DB_PORT=${BASH_REMATCH[4]}" "DB_NAME=${BASH_REMATCH[5]}"
	    "DB_USER=${BASH_REMATCH[1]}" "DB_PASSWORD=${BASH_REMATCH[2]}")
	env_file=$(test_env_file -DATABASE_URL)

	cgi GET health.cgi MEDICALCARE_ENV_FILE="$env_file" "${parts[@]}"
	assert_status 200
	assert_body --raw "$HEALTH_OK"

	cgi POST signup.cgi '{"full_name": "Proxy User", "email": "proxy@example.test", "password": "StrongPass123"}' \
	    MEDICALCARE_ENV_FILE="$env_file" "${parts[@]}"
	assert_status 201
	[[ $(sql "SELECT count(*) FROM users WHERE email = 'proxy@example.test'") -eq 1 ]]

	# Without DATABASE_URL and with the proxy's port wrong: 503.
	cgi GET health.cgi MEDICALCARE_ENV_FILE="$env_file" "${parts[@]}" DB_PORT=1 DB_CONNECT_TIMEOUT=2
	assert_status 503
}

# ---------------------------------------------------------------------------
# The VPS: apache/vhost.conf.in and deploy/medicalcare-fcgi.service

# vhost_configtest MODE: the vhost rendered with --serve MODE, included by a
# minimal server configuration that loads the modules its install comment
# enables, passes apache2 -t.
vhost_configtest() {
	local mode=$1 dir=$BATS_TEST_TMPDIR/vhost-$1 m mods
	mkdir -p "$dir"
	"$MC_ROOT/apache/render.sh" vhost --serve "$mode" --server-name api.example.test \
	    --env-file /etc/medicalcare/env --out "$dir/vhost.conf" || return 1
	if [[ $mode == fastcgi ]]; then
		mods="mpm_event proxy proxy_fcgi"
	else
		mods="mpm_prefork cgi"
	fi
	{
		echo "ServerRoot $dir"
		echo "PidFile $dir/apache.pid"
		echo "ErrorLog $dir/error.log"
		echo "Define APACHE_LOG_DIR $dir"
		echo "Listen 127.0.0.1:$(free_port)"
		for m in $mods authz_core rewrite env headers setenvif buffer reqtimeout; do
			echo "LoadModule ${m}_module /usr/lib/apache2/modules/mod_$m.so"
		done
		echo "Include $dir/vhost.conf"
	} >"$dir/httpd.conf"
	run "$(mc_apache_bin)" -t -f "$dir/httpd.conf"
	[[ $status -eq 0 ]] || { echo "$mode: $output" >&2; return 1; }
}

@test "the VPS vhost passes Apache's configtest in both modes and uses the units' sockets" {
	local unit=$MC_ROOT/deploy/medicalcare-fcgi.service run_dir
	vhost_configtest fastcgi
	vhost_configtest cgi
	# The unit's launcher and the vhost agree on where the sockets are.
	run_dir=$(sed -n -E 's/^ExecStart=.* --run-dir ([^ ]+).*/\1/p' "$unit")
	[[ $run_dir == /run/medicalcare ]] || _fail "the unit's --run-dir: '$run_dir'"
	grep -q -E '^RuntimeDirectory=medicalcare$' "$unit"
	grep -q -F "proxy:unix:$run_dir/fcgi/signup.sock|" "$BATS_TEST_TMPDIR/vhost-fastcgi/vhost.conf"
	# One handler a program.
	[[ $(grep -c 'SetHandler "proxy:unix:' "$BATS_TEST_TMPDIR/vhost-fastcgi/vhost.conf") -eq \
	    $(ls "$MC_ROOT"/cgi-bin/*.c | wc -l) ]]
	grep -q 'SetHandler cgi-script' "$BATS_TEST_TMPDIR/vhost-cgi/vhost.conf"
	! grep -q 'proxy:unix:' "$BATS_TEST_TMPDIR/vhost-cgi/vhost.conf"
	# Each refuses a declared body over 64 KiB itself.
	grep -q 'RewriteRule "^" "-" \[R=413\]' "$BATS_TEST_TMPDIR/vhost-fastcgi/vhost.conf"
	grep -q '^ *LimitRequestBody 65536$' "$BATS_TEST_TMPDIR/vhost-cgi/vhost.conf"
}

# ---------------------------------------------------------------------------
# One env file per install (DEPLOYMENT_GUIDE.md, "Wherever you deploy" step
# 7, "Upgrading", "Backups"): the guide's commands, with /etc/medicalcare/env
# standing for a file of this test.

# guide_has LINE: DEPLOYMENT_GUIDE.md holds LINE (leading blanks aside).
guide_has() {
	sed -E 's/^[[:space:]]+//' "$MC_ROOT/DEPLOYMENT_GUIDE.md" | grep -q -x -F -- "$1" ||
	    _fail "DEPLOYMENT_GUIDE.md has no line: $1"
}

@test "env.sample filled in as the guide says passes the check, and upgrade and backup work as written" {
	local env=$BATS_TEST_TMPDIR/env dump=$BATS_TEST_TMPDIR/medicalcare.dump out rc=0
	local restored=mc_restored_$$ restored_url
	guide_has 'MEDICALCARE_ENV_FILE=/etc/medicalcare/env bin/medicalcare-check'
	guide_has 'MEDICALCARE_ENV_FILE=/etc/medicalcare/env sql/migrate.sh            # before the new programs serve'
	guide_has 'MEDICALCARE_ENV_FILE=/etc/medicalcare/env bin/medicalcare-check     # settings, database, migrations'
	guide_has 'pg_dump --format=custom --file=/var/backups/medicalcare/medicalcare-$(date -u +%F).dump medicalcare'
	# env.sample copied as is: its blanks and examples are problems.
	cp "$MC_ROOT/env.sample" "$env"
	chmod 0640 "$env"
	out=$(cd "$MC_ROOT" && MEDICALCARE_ENV_FILE=$env "$BIN_DIR/medicalcare-check" 2>&1) || rc=$?
	[[ $rc -eq 1 && $out == *"problem: JWT_SECRET_KEY is not set"* ]] || _fail "template: $rc $out"
	# Filled in: no problem (the SMTP server on 127.0.0.1 is a note).
	sed -i -e "s|^JWT_SECRET_KEY=.*|JWT_SECRET_KEY=$MC_TEST_JWT_KEY|" \
	    -e "s|^MFA_ENCRYPTION_KEY=.*|MFA_ENCRYPTION_KEY=$MC_TEST_MFA_KEY|" \
	    -e "s|^DATABASE_URL=.*|DATABASE_URL=$DATABASE_URL|" \
	    -e "s|^SMTP_SERVER=.*|SMTP_SERVER=127.0.0.1|" -e "s|^SMTP_PORT=.*|SMTP_PORT=$MC_SMTP_PORT|" \
	    -e "s|^SMTP_SECURITY=.*|SMTP_SECURITY=none|" -e "s|^SMTP_EMAIL=.*|SMTP_EMAIL=no-reply@medicalcare.test|" \
	    -e "s|^FRONTEND_URL=.*|FRONTEND_URL=https://app.medicalcare.test|" "$env"
	rc=0
	out=$(cd "$MC_ROOT" && MEDICALCARE_ENV_FILE=$env "$BIN_DIR/medicalcare-check" 2>&1) || rc=$?
	[[ $rc -eq 0 && $out == *"medicalcare-check: $env: 0 problems, 1 note" ]] || _fail "filled in: $rc $out"
	# Upgrading: migrate, then check.
	(cd "$MC_ROOT" && MEDICALCARE_ENV_FILE=$env sql/migrate.sh >/dev/null) || _fail "migrate"
	# Backups: an account, dumped, restored into an empty database, migrated
	# and checked there; the account is in it.
	cgi POST signup.cgi '{"full_name":"Ada Lovelace","email":"ada@example.test","password":"StrongPass123"}'
	assert_status 201
	"$MC_PG_BINDIR/pg_dump" --format=custom --file="$dump" "$DATABASE_URL" || _fail "pg_dump"
	pg_admin_psql >/dev/null <<<"CREATE DATABASE $restored OWNER mc_test" || _fail "createdb"
	restored_url=${DATABASE_URL%/*}/$restored
	"$MC_PG_BINDIR/pg_restore" --no-owner -d "$restored_url" "$dump" || _fail "pg_restore"
	sed -i "s|^DATABASE_URL=.*|DATABASE_URL=$restored_url|" "$env"
	(cd "$MC_ROOT" && MEDICALCARE_ENV_FILE=$env sql/migrate.sh >/dev/null) || _fail "migrate the restored"
	rc=0
	out=$(cd "$MC_ROOT" && MEDICALCARE_ENV_FILE=$env "$BIN_DIR/medicalcare-check" 2>&1) || rc=$?
	[[ $rc -eq 0 ]] || _fail "restored: $rc $out"
	[[ $(psql -X -A -t -d "$restored_url" -c "SELECT email FROM users") == ada@example.test ]] ||
	    _fail "the account is not in the restored database"
	pg_admin_psql >/dev/null <<<"DROP DATABASE $restored" || _fail "dropdb"
}

@test "the guide's MFA_ENCRYPTION_KEY line gives an env file from before two-factor sign-in a key once, over an empty last line without a line end too" {
	local env=$BATS_TEST_TMPDIR/env line cmd out rc=0 before key
	line=$(sed -E 's/^[[:space:]]+//' "$MC_ROOT/DEPLOYMENT_GUIDE.md" | grep -E "^grep -q '\^MFA_ENCRYPTION_KEY=\.'")
	[[ $(wc -l <<<"$line") == 1 ]] || _fail "expected one MFA_ENCRYPTION_KEY line in DEPLOYMENT_GUIDE.md: $line"
	guide_has 'MEDICALCARE_ENV_FILE=/etc/medicalcare/env bin/medicalcare-check'
	# The guide's line, with /etc/medicalcare/env standing for this test's file.
	cmd=${line//\/etc\/medicalcare\/env/$env}
	# An env file of an install from before two-factor sign-in: filled in, no key.
	sed -e "s|^JWT_SECRET_KEY=.*|JWT_SECRET_KEY=$MC_TEST_JWT_KEY|" -e '/^MFA_ENCRYPTION_KEY=/d' \
	    -e "s|^DATABASE_URL=.*|DATABASE_URL=$DATABASE_URL|" \
	    -e "s|^SMTP_SERVER=.*|SMTP_SERVER=127.0.0.1|" -e "s|^SMTP_PORT=.*|SMTP_PORT=$MC_SMTP_PORT|" \
	    -e "s|^SMTP_SECURITY=.*|SMTP_SECURITY=none|" -e "s|^SMTP_EMAIL=.*|SMTP_EMAIL=no-reply@medicalcare.test|" \
	    -e "s|^FRONTEND_URL=.*|FRONTEND_URL=https://app.medicalcare.test|" "$MC_ROOT/env.sample" >"$env"
	chmod 0640 "$env"
	out=$(cd "$MC_ROOT" && MEDICALCARE_ENV_FILE=$env "$BIN_DIR/medicalcare-check" 2>&1) || rc=$?
	[[ $rc -eq 1 && $out == *"MFA_ENCRYPTION_KEY is not set"* ]] || _fail "before: $rc $out"
	(cd "$MC_ROOT" && bash -c "$cmd") || _fail "the guide's line failed"
	key=$(sed -n 's/^MFA_ENCRYPTION_KEY=//p' "$env")
	[[ $key =~ ^[A-Za-z0-9+/]{64}$ ]] || _fail "key: '$key'"
	rc=0
	out=$(cd "$MC_ROOT" && MEDICALCARE_ENV_FILE=$env "$BIN_DIR/medicalcare-check" 2>&1) || rc=$?
	[[ $rc -eq 0 && $out == *"0 problems, 1 note" ]] || _fail "after: $rc $out"
	[[ $(stat -c %a "$env") == 640 ]]
	# Again: nothing changes.
	before=$(<"$env")
	(cd "$MC_ROOT" && bash -c "$cmd") || _fail "the guide's line failed the second time"
	[[ $(<"$env") == "$before" ]] || _fail "the second run changed the file"
	# An empty MFA_ENCRYPTION_KEY= line (a newer env.sample's) as the last
	# line, without a line end: the added key wins, on a line of its own.
	sed -i '/^MFA_ENCRYPTION_KEY=/d' "$env"
	printf 'MFA_ENCRYPTION_KEY=' >>"$env"
	(cd "$MC_ROOT" && bash -c "$cmd") || _fail "the guide's line failed over an empty line"
	[[ $(grep -c '^MFA_ENCRYPTION_KEY=.' "$env") == 1 ]]
	[[ $(tail -n 1 "$env") =~ ^MFA_ENCRYPTION_KEY=[A-Za-z0-9+/]{64}$ ]] || _fail "last line: $(tail -n 1 "$env")"
	rc=0
	out=$(cd "$MC_ROOT" && MEDICALCARE_ENV_FILE=$env "$BIN_DIR/medicalcare-check" 2>&1) || rc=$?
	[[ $rc -eq 0 && $out == *"0 problems, 1 note" ]] || _fail "over an empty line: $rc $out"
}

# Apache cannot change its MPM on a reload ("The MPM cannot be changed during
# restart": it exits). Every shell block of the guide and every install
# comment of the Apache templates that enables or disables an MPM restarts
# Apache, and none reloads it.
@test "the VPS steps that switch the MPM restart Apache instead of reloading it" {
	local f b blocks n=0
	blocks=$(awk '
		/^```/ { if (inb) { print blk "\n\x1e"; blk = ""; inb = 0 } else inb = 1; next }
		inb { blk = blk $0 "\n" }' "$MC_ROOT/DEPLOYMENT_GUIDE.md")
	while IFS= read -r -d $'\x1e' b; do
		[[ $b == *"mod mpm_"* ]] || continue
		n=$((n + 1))
		if [[ $b == *"reload apache2"* || $b == *graceful* || $b != *"restart apache2"* ]]; then
			_fail "DEPLOYMENT_GUIDE.md: a block switches the MPM without restarting Apache: $b"
		fi
	done <<<"$blocks"
	[[ $n -ge 2 ]] || _fail "found $n blocks of the guide that switch the MPM"
	# The plain CGI alternative (prose) says to restart too.
	grep -q -z -E 'a2enmod\s+mpm_prefork cgi`[^.]*restart\s+apache2' "$MC_ROOT/DEPLOYMENT_GUIDE.md"
	for f in "$MC_ROOT"/apache/vhost.conf.in "$MC_ROOT"/apache/conf.conf.in; do
		grep -q 'mpm_' "$f"
		if grep -q -E 'reload apache2|graceful' "$f"; then
			_fail "$f reloads Apache"
		fi
		grep -q 'systemctl restart apache2' "$f"
	done
}
