# shellcheck shell=bash
# A private pgbouncer in front of the test PostgreSQL (tests/lib/pg.sh), as
# DEPLOYMENT_GUIDE.md recommends for CGI: transaction pooling, SCRAM auth
# from an auth_file. Source this file (it sources pg.sh), start PostgreSQL
# (pg_start, or tests/run.sh), then:
#
#   pgbouncer_start [name=value]...
#       writes pgbouncer.ini and userlist.txt into a new directory
#       /tmp/mc-pgb.XXXXXX and starts pgbouncer on 127.0.0.1, a free port
#       (another is tried when it was taken), in front of database
#       medicalcare_test on 127.0.0.1:$MC_PG_PORT. Each name=value is one more
#       [pgbouncer] setting (later ones win), e.g. max_client_conn=3
#       default_pool_size=1 query_wait_timeout=2. The auth_file holds role
#       mc_test's SCRAM secret as PostgreSQL stores it (no plain password on
#       disk): pgbouncer checks the client with it and logs in to the server
#       with the keys of that client's own SCRAM exchange.
#       Exports MC_PGB_URL (a DATABASE_URL through it), MC_PGB_PORT,
#       MC_PGB_DIR, MC_PGB_PID.
#   pgbouncer_stop
#       stops it (SIGINT, then SIGKILL after 10 s), copies its log into
#       $MC_KEEP_LOGS_DIR when that is set, removes the directory; a no-op
#       when none runs.
#   pgbouncer_pause / pgbouncer_resume
#       stop it keeping the directory and port ("pgbouncer down"), and start
#       it again on the same port.
#   pgbouncer_admin SQL
#       runs SQL (SHOW POOLS; ...) on its admin console as mc_test.
#
# pgbouncer refuses to run as root: as root it runs as the cluster's OS user
# ($MC_PG_OSUSER, "postgres"), like the server itself.

# shellcheck source=tests/lib/pg.sh
source "$(dirname "${BASH_SOURCE[0]}")/pg.sh"

pgbouncer__bin() {
	command -v pgbouncer 2>/dev/null || {
		[[ -x /usr/sbin/pgbouncer ]] && echo /usr/sbin/pgbouncer
	} || {
		mc_log "pgbouncer is not installed: run ./setup.sh"
		return 1
	}
}

# Prints pgbouncer.ini for port MC_PGB_PORT with the extra settings in
# MC_PGB_EXTRA (one name=value a line).
pgbouncer__ini() {
	local dir=$MC_PGB_DIR
	{
		printf '%s\n' \
		    '; tests/lib/pgbouncer.sh: a private pgbouncer for the tests' \
		    '[databases]' \
		    "medicalcare_test = host=127.0.0.1 port=$MC_PG_PORT dbname=medicalcare_test" \
		    '' \
		    '[pgbouncer]' \
		    'listen_addr = 127.0.0.1' \
		    "listen_port = $MC_PGB_PORT" \
		    'unix_socket_dir =' \
		    'auth_type = scram-sha-256' \
		    "auth_file = $dir/userlist.txt" \
		    'admin_users = mc_test' \
		    'pool_mode = transaction' \
		    'max_client_conn = 100' \
		    'default_pool_size = 10' \
		    'server_login_retry = 1' \
		    'ignore_startup_parameters = extra_float_digits' \
		    "logfile = $dir/pgbouncer.log" \
		    "pidfile = $dir/pgbouncer.pid"
		printf '%s\n' "${MC_PGB_EXTRA:-}" | sed -n 's/^\([a-z_]*\)=\(.*\)$/\1 = \2/p'
	}
}

# Writes FILE (a name in MC_PGB_DIR) from stdin, readable by the daemon's user only.
pgbouncer__write() {
	local f=$MC_PGB_DIR/$1
	(umask 077 && cat >"$f") || return 1
	[[ $(id -un) == "$MC_PG_OSUSER" ]] || chown "$MC_PG_OSUSER": "$f"
}

# Starts the daemon on MC_PGB_PORT and waits until it accepts; 2 when the
# port was taken.
pgbouncer__run() {
	local bin i
	bin=$(pgbouncer__bin) || return 1
	rm -f -- "$MC_PGB_DIR/pgbouncer.pid"
	if ! pg__as "$bin" -d "$MC_PGB_DIR/pgbouncer.ini" </dev/null >"$MC_PGB_DIR/start.out" 2>&1; then
		if grep -q -e 'Address already in use' -e 'bind' "$MC_PGB_DIR/pgbouncer.log" \
		    "$MC_PGB_DIR/start.out" 2>/dev/null; then
			return 2
		fi
		mc_log "pgbouncer did not start:"
		cat "$MC_PGB_DIR/start.out" >&2
		tail -n 20 "$MC_PGB_DIR/pgbouncer.log" >&2 2>/dev/null
		return 1
	fi
	for ((i = 0; i < 100; i++)); do
		if [[ -s $MC_PGB_DIR/pgbouncer.pid ]] &&
		    "$MC_PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$MC_PGB_PORT" -t 1 >/dev/null 2>&1; then
			MC_PGB_PID=$(tr -dc '0-9' <"$MC_PGB_DIR/pgbouncer.pid")
			export MC_PGB_PID
			return 0
		fi
		if grep -q -e 'Address already in use' "$MC_PGB_DIR/pgbouncer.log" 2>/dev/null; then
			return 2
		fi
		sleep 0.1
	done
	mc_log "pgbouncer did not accept connections within 10 s; its log:"
	tail -n 20 "$MC_PGB_DIR/pgbouncer.log" >&2 2>/dev/null
	return 1
}

pgbouncer_start() {
	local dir secret try rc arg
	if [[ -n ${MC_PGB_DIR:-} && -d ${MC_PGB_DIR:-} ]]; then
		mc_log "pgbouncer_start: one already runs from $MC_PGB_DIR"
		return 1
	fi
	if [[ -z ${MC_PG_DIR:-} || -z ${MC_PG_PORT:-} ]] || ! pg_is_up; then
		mc_log "pgbouncer_start: no test PostgreSQL runs (pg_start first)"
		return 1
	fi
	pgbouncer__bin >/dev/null || return 1
	MC_PGB_EXTRA=""
	for arg in "$@"; do
		if [[ ! $arg =~ ^[a-z_]+=.*$ ]]; then
			mc_log "pgbouncer_start: bad setting '$arg' (want name=value)"
			return 1
		fi
		MC_PGB_EXTRA+=$arg$'\n'
	done
	dir=$(mktemp -d /tmp/mc-pgb.XXXXXX) || return 1
	export MC_PGB_DIR=$dir MC_PGB_EXTRA
	chmod 700 "$dir"
	[[ $(id -un) == "$MC_PG_OSUSER" ]] || chown "$MC_PG_OSUSER": "$dir" || {
		pgbouncer_stop
		return 1
	}
	secret=$(pg_admin_psql -A -t -c "SELECT rolpassword FROM pg_authid WHERE rolname = 'mc_test'") || {
		pgbouncer_stop
		return 1
	}
	if [[ $secret != SCRAM-SHA-256\$* ]]; then
		mc_log "pgbouncer_start: role mc_test has no SCRAM secret"
		pgbouncer_stop
		return 1
	fi
	printf '"mc_test" "%s"\n' "$secret" | pgbouncer__write userlist.txt || {
		pgbouncer_stop
		return 1
	}
	rc=2
	for try in 1 2 3 4 5; do
		MC_PGB_PORT=$(free_port) || break
		export MC_PGB_PORT
		pgbouncer__ini | pgbouncer__write pgbouncer.ini || break
		pgbouncer__run
		rc=$?
		[[ $rc -eq 2 ]] || break
		mc_log "port $MC_PGB_PORT was taken; trying another (attempt $try)"
	done
	if [[ $rc -ne 0 ]]; then
		pgbouncer_stop
		return 1
	fi
	export MC_PGB_URL="postgresql://mc_test:$MC_PG_PASSWORD@127.0.0.1:$MC_PGB_PORT/medicalcare_test"
}

pgbouncer_stop() {
	if [[ -z ${MC_PGB_DIR:-} ]]; then
		return 0
	fi
	pgbouncer_pause
	if [[ -n ${MC_KEEP_LOGS_DIR:-} && -d $MC_KEEP_LOGS_DIR ]]; then
		cp -- "$MC_PGB_DIR/pgbouncer.log" "$MC_KEEP_LOGS_DIR/pgbouncer.log" 2>/dev/null
	fi
	if [[ -d $MC_PGB_DIR && $MC_PGB_DIR == /tmp/mc-pgb.* ]]; then
		rm -rf -- "$MC_PGB_DIR"
	fi
	unset MC_PGB_DIR MC_PGB_PORT MC_PGB_PID MC_PGB_URL MC_PGB_EXTRA
	return 0
}

# Stops the daemon this file started (its pid from its own pid file).
pgbouncer_pause() {
	local pid
	[[ -n ${MC_PGB_DIR:-} ]] || return 0
	pid=${MC_PGB_PID:-}
	if [[ -z $pid && -s $MC_PGB_DIR/pgbouncer.pid ]]; then
		pid=$(tr -dc '0-9' <"$MC_PGB_DIR/pgbouncer.pid")
	fi
	if [[ -n $pid ]]; then
		# SIGINT: safe shutdown (drops client connections at once).
		stop_process "$pid" 10 INT
	fi
	unset MC_PGB_PID
	return 0
}

pgbouncer_resume() {
	[[ -n ${MC_PGB_DIR:-} && -n ${MC_PGB_PORT:-} ]] || {
		mc_log "pgbouncer_resume: none was started (pgbouncer_start first)"
		return 1
	}
	if [[ -n ${MC_PGB_PID:-} ]] && kill -0 "$MC_PGB_PID" 2>/dev/null; then
		return 0
	fi
	pgbouncer__run || {
		mc_log "pgbouncer_resume: could not restart pgbouncer on port $MC_PGB_PORT"
		return 1
	}
}

pgbouncer_admin() {
	PGPASSWORD=$MC_PG_PASSWORD "$MC_PG_BINDIR/psql" -X -A -t -q -h 127.0.0.1 -p "$MC_PGB_PORT" \
	    -U mc_test -d pgbouncer -c "$1"
}
