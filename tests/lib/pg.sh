# A private, throwaway PostgreSQL cluster for the tests. Source this file
# (it sources common.sh), then:
#
#   pg_start     initdb into a new temporary directory, start the server on
#                127.0.0.1 at a free port (chosen now, never fixed) and a unix
#                socket in that directory, create role mc_test (random
#                password, SCRAM) and database medicalcare_test owned by it,
#                apply sql/ with sql/migrate.sh. Exports:
#                  DATABASE_URL  postgresql://mc_test:<pw>@127.0.0.1:<port>/medicalcare_test
#                  PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE  (the same, for psql)
#                  MC_PG_DIR MC_PG_PORT MC_PG_BINDIR MC_PG_OSUSER  (for pg_down/pg_up)
#   pg_stop      fast shutdown and remove the directory (no-op when none runs);
#                copies the server log into $MC_KEEP_LOGS_DIR first when set
#   pg_down      stop the same cluster, keeping its data ("database down")
#   pg_up        start it again on the same port (no-op when it runs)
#   pg_is_up     0 when the server accepts connections
#   pg_admin_psql ARGS...  psql as the superuser over the unix socket
#
# As root the server runs as the "postgres" OS user (initdb refuses root), so
# the directory lives under /tmp, which that user can reach; otherwise it runs
# as the current user under ${TMPDIR:-/tmp}. The cluster is tuned for speed,
# not durability: fsync, synchronous_commit and full_page_writes are off.

# shellcheck source=tests/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pg__bindir() {
	local d
	if [[ -n ${MC_PG_BINDIR:-} ]]; then
		printf '%s\n' "$MC_PG_BINDIR"
		return 0
	fi
	if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
		printf '%s\n' /usr/lib/postgresql/15/bin
		return 0
	fi
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [[ -n $d && -x $d/initdb ]]; then
		printf '%s\n' "$d"
		return 0
	fi
	d=$(command -v initdb 2>/dev/null) && {
		dirname "$d"
		return 0
	}
	mc_log "no PostgreSQL server binaries (initdb) found: run ./setup.sh"
	return 1
}

# Runs a command as the cluster's OS user, from / (so an unreadable cwd does
# not matter), with fd 3 closed for bats.
pg__as() {
	if [[ ${MC_PG_OSUSER:-} == "$(id -un)" ]]; then
		(cd / && "$@") 3>&-
	else
		(cd / && runuser -u "$MC_PG_OSUSER" -- "$@") 3>&-
	fi
}

pg_admin_psql() {
	"$MC_PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$MC_PG_DIR/sock" -p "$MC_PG_PORT" \
	    -U postgres -d postgres "$@"
}

pg_is_up() {
	[[ -n ${MC_PG_DIR:-} && -n ${MC_PG_PORT:-} ]] || return 1
	"$MC_PG_BINDIR/pg_isready" -q -h "$MC_PG_DIR/sock" -p "$MC_PG_PORT" -t 2 >/dev/null 2>&1
}

# Starts the server on MC_PG_PORT; returns 2 when the port was taken.
pg__ctl_start() {
	if pg__as "$MC_PG_BINDIR/pg_ctl" -D "$MC_PG_DIR/data" -l "$MC_PG_DIR/server.log" \
	    -w -t 60 -o "-p $MC_PG_PORT" start >"$MC_PG_DIR/pg_ctl.out" 2>&1; then
		return 0
	fi
	if grep -q -e 'could not bind' -e 'Address already in use' -e 'could not create any TCP/IP sockets' \
	    "$MC_PG_DIR/server.log" 2>/dev/null; then
		return 2
	fi
	mc_log "postgres did not start; pg_ctl said:"
	cat "$MC_PG_DIR/pg_ctl.out" >&2
	mc_log "server log:"
	tail -n 30 "$MC_PG_DIR/server.log" >&2
	return 1
}

pg_start() {
	local root bindir osuser dir pw try rc
	if [[ -n ${MC_PG_DIR:-} && -d ${MC_PG_DIR:-} ]]; then
		mc_log "pg_start: a cluster already runs in $MC_PG_DIR"
		return 1
	fi
	root=$(mc_root) || return 1
	bindir=$(pg__bindir) || return 1
	if [[ $(id -u) -eq 0 ]]; then
		osuser=postgres
		if ! id -u "$osuser" >/dev/null 2>&1; then
			mc_log "running as root needs the 'postgres' OS user (package postgresql): run ./setup.sh"
			return 1
		fi
		dir=$(mktemp -d /tmp/mc-pg.XXXXXX) || return 1
		chown "$osuser": "$dir" || return 1
	else
		osuser=$(id -un)
		dir=$(mktemp -d "${TMPDIR:-/tmp}/mc-pg.XXXXXX") || return 1
	fi
	chmod 700 "$dir"
	export MC_PG_DIR=$dir MC_PG_BINDIR=$bindir MC_PG_OSUSER=$osuser
	pg__as mkdir -m 700 "$dir/sock" || {
		pg_stop
		return 1
	}

	# Locale C.UTF-8 exists in every Debian glibc, whatever LANG the caller has.
	if ! pg__as env LC_ALL=C.UTF-8 LANG=C.UTF-8 "$bindir/initdb" -D "$dir/data" -U postgres \
	    -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 --no-sync \
	    >"$dir/initdb.log" 2>&1; then
		mc_log "initdb failed:"
		cat "$dir/initdb.log" >&2
		pg_stop
		return 1
	fi
	pg__as tee -a "$dir/data/postgresql.conf" >/dev/null <<-EOF

		# tests/lib/pg.sh: a private throwaway cluster
		# 100 connections: the race tests run 45 programs at once.
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$dir/sock'
		unix_socket_permissions = 0700
		password_encryption = scram-sha-256
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		max_connections = 100
		shared_buffers = 32MB
		log_min_messages = warning
		log_min_error_statement = error
		log_connections = off
		log_line_prefix = '%m [%p] %q%u@%d '
	EOF

	rc=2
	for try in 1 2 3 4 5; do
		MC_PG_PORT=$(free_port) || break
		export MC_PG_PORT
		pg__ctl_start
		rc=$?
		[[ $rc -eq 2 ]] || break
		mc_log "port $MC_PG_PORT was taken; trying another (attempt $try)"
	done
	if [[ $rc -ne 0 ]]; then
		[[ $rc -eq 2 ]] && mc_log "postgres could not bind a port in 5 attempts"
		pg_stop
		return 1
	fi

	pw=$(openssl rand -hex 16 2>/dev/null || "$MC_PYTHON" -c 'import secrets; print(secrets.token_hex(16))')
	if ! pg_admin_psql -v pw="$pw" >/dev/null <<-'EOF'; then
		CREATE ROLE mc_test LOGIN PASSWORD :'pw';
		CREATE DATABASE medicalcare_test OWNER mc_test;
	EOF
		mc_log "could not create role mc_test and database medicalcare_test"
		pg_stop
		return 1
	fi
	export MC_PG_PASSWORD=$pw
	export DATABASE_URL="postgresql://mc_test:$pw@127.0.0.1:$MC_PG_PORT/medicalcare_test"
	export PGHOST=127.0.0.1 PGPORT=$MC_PG_PORT PGUSER=mc_test PGPASSWORD=$pw PGDATABASE=medicalcare_test
	if ! MEDICALCARE_ENV_FILE=/dev/null "$root/sql/migrate.sh" >"$dir/migrate.log" 2>&1; then
		mc_log "sql/migrate.sh failed:"
		cat "$dir/migrate.log" >&2
		pg_stop
		return 1
	fi
	return 0
}

pg_stop() {
	local pid
	if [[ -z ${MC_PG_DIR:-} ]]; then
		return 0
	fi
	if [[ -f $MC_PG_DIR/data/postmaster.pid ]]; then
		if ! pg__as "$MC_PG_BINDIR/pg_ctl" -D "$MC_PG_DIR/data" -m fast -w -t 30 stop \
		    >/dev/null 2>&1; then
			pid=$(head -n 1 "$MC_PG_DIR/data/postmaster.pid" 2>/dev/null)
			if [[ $pid =~ ^[0-9]+$ ]]; then
				kill -QUIT "$pid" 2>/dev/null
				sleep 1
				kill -KILL "$pid" 2>/dev/null
			fi
		fi
	fi
	if [[ -n ${MC_KEEP_LOGS_DIR:-} && -d $MC_KEEP_LOGS_DIR ]]; then
		cp -- "$MC_PG_DIR/server.log" "$MC_KEEP_LOGS_DIR/postgres.log" 2>/dev/null
	fi
	if [[ -d $MC_PG_DIR && $MC_PG_DIR == */mc-pg.* ]]; then
		rm -rf -- "$MC_PG_DIR"
	fi
	unset MC_PG_DIR MC_PG_PORT MC_PG_PASSWORD DATABASE_URL PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE
	return 0
}

pg_down() {
	[[ -n ${MC_PG_DIR:-} ]] || {
		mc_log "pg_down: no cluster (pg_start first)"
		return 1
	}
	[[ -f $MC_PG_DIR/data/postmaster.pid ]] || return 0
	pg__as "$MC_PG_BINDIR/pg_ctl" -D "$MC_PG_DIR/data" -m fast -w -t 30 stop >/dev/null
}

pg_up() {
	[[ -n ${MC_PG_DIR:-} ]] || {
		mc_log "pg_up: no cluster (pg_start first)"
		return 1
	}
	pg_is_up && return 0
	pg__ctl_start || {
		mc_log "pg_up: could not restart postgres on port $MC_PG_PORT"
		return 1
	}
}
