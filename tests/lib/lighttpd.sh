# shellcheck shell=bash
# lighttpd for the HTTP tests: the configuration that apache/render.sh
# lighttpd makes from apache/lighttpd.conf.in, on 127.0.0.1 at a free port.
# Source this file (it sources common.sh and apache/lib.sh), then:
#
#   lighttpd_start [ENV_FILE]
#                renders the configuration into a new temporary directory
#                (pid file, logs, request bodies in transit) and starts
#                `lighttpd -D` on a free port (chosen now, never fixed; tried
#                again on another port when it was taken). The programs read
#                ENV_FILE (default: $MEDICALCARE_ENV_FILE) through
#                MEDICALCARE_ENV_FILE. In FastCGI mode ($MC_SERVE_MODE
#                fastcgi, the default) they run as FastCGI processes that
#                apache/fcgi.sh starts (sockets in that directory, log lines
#                in lighttpd's error log) after lighttpd, reached through
#                mod_fastcgi; in CGI mode (MC_SERVE_MODE=cgi) through mod_cgi.
#                Exports:
#                  MC_LIGHTTPD_URL   http://127.0.0.1:<port>
#                  MC_LIGHTTPD_PORT  MC_LIGHTTPD_PID  MC_LIGHTTPD_DIR
#                  MC_LIGHTTPD_SERVE (fastcgi or cgi)
#   lighttpd_stop
#                stops it and the FastCGI processes and removes the directory
#                (no-op when none runs); copies the logs into
#                $MC_KEEP_LOGS_DIR first when set
#   lighttpd_log prints the error log (the programs' stderr is in it)
#
# Started by root, lighttpd and the programs run as www-data, as under a
# packaged lighttpd (and as tests/lib/apache.sh does): the directory lives
# under /tmp and belongs to www-data, the programs read a copy of ENV_FILE
# there (mode 0640, group www-data), and www-data is given search
# permission on the directories above cgi-bin/ it cannot enter
# (mc_apache_reach of apache/lib.sh). Otherwise everything runs as the
# current user, in a directory under ${TMPDIR:-/tmp}, reading ENV_FILE itself.

# shellcheck source=tests/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=apache/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../apache/lib.sh"

lighttpd_log() {
	[[ -n ${MC_LIGHTTPD_DIR:-} ]] || return 0
	cat -- "$MC_LIGHTTPD_DIR/lighttpd.out" "$MC_LIGHTTPD_DIR/lighttpd-error.log" 2>/dev/null
	return 0
}

# Starts lighttpd on MC_LIGHTTPD_PORT with the rendered configuration and
# waits until it answers; returns 2 when the port was taken.
lighttpd__run() {
	local dir=$MC_LIGHTTPD_DIR root=$1 env_file=$2 pid i code
	rm -f -- "$dir/lighttpd.out" "$dir/lighttpd-error.log"
	if ! "$root/apache/render.sh" lighttpd --serve "$MC_LIGHTTPD_SERVE" --root "$root" --port "$MC_LIGHTTPD_PORT" \
	    --env-file "$env_file" --run-dir "$dir" --user "$MC_LIGHTTPD_USER" \
	    --group "$MC_LIGHTTPD_GROUP" --out "$dir/lighttpd.conf" 2>"$dir/render.err"; then
		mc_log "apache/render.sh lighttpd failed:"
		cat "$dir/render.err" >&2
		return 1
	fi
	if ! lighttpd -tt -f "$dir/lighttpd.conf" >"$dir/check.out" 2>&1; then
		mc_log "lighttpd refuses the rendered configuration ($dir/lighttpd.conf):"
		cat "$dir/check.out" >&2
		return 1
	fi
	(cd / && exec lighttpd -D -f "$dir/lighttpd.conf") </dev/null >"$dir/lighttpd.out" 2>&1 3>&- &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			if grep -q -e 'Address already in use' -e "can't bind" "$dir/lighttpd.out" \
			    "$dir/lighttpd-error.log" 2>/dev/null; then
				return 2
			fi
			mc_log "lighttpd exited at start; its output:"
			lighttpd_log >&2
			return 1
		fi
		# Any answer will do: the root path is a 404.
		code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$MC_LIGHTTPD_PORT/" 2>/dev/null)
		if [[ $code =~ ^[1-5][0-9][0-9]$ ]]; then
			MC_LIGHTTPD_PID=$pid
			return 0
		fi
		sleep 0.1
	done
	mc_log "lighttpd did not answer within 10 s; its output:"
	lighttpd_log >&2
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 1
}

lighttpd_start() {
	local env_file=${1:-${MEDICALCARE_ENV_FILE:-}} root dir user group try rc
	if [[ -n ${MC_LIGHTTPD_DIR:-} && -d ${MC_LIGHTTPD_DIR:-} ]]; then
		mc_log "lighttpd_start: lighttpd already runs from $MC_LIGHTTPD_DIR"
		return 1
	fi
	if ! command -v lighttpd >/dev/null 2>&1; then
		mc_log "lighttpd is not installed (package lighttpd): run ./setup.sh"
		return 1
	fi
	if [[ -z $env_file || ! -r $env_file ]]; then
		mc_log "lighttpd_start: no readable env file (give one, or set MEDICALCARE_ENV_FILE)"
		return 1
	fi
	root=$(mc_root) || return 1
	if [[ ! -x $root/cgi-bin/health.cgi ]]; then
		mc_log "lighttpd_start: cgi-bin/*.cgi are not built (make)"
		return 1
	fi
	user=$(mc_apache_run_user)
	group=$(id -gn "$user") || return 1
	if [[ $user != "$(id -un)" ]]; then
		mc_apache_reach "$user" "$root/cgi-bin/health.cgi" >/dev/null || return 1
		dir=$(mktemp -d /tmp/mc-lighttpd.XXXXXX) || return 1
		export MC_LIGHTTPD_DIR=$dir
		# lighttpd opens its logs after it has become $user.
		if ! install -m 0640 -g "$group" -- "$env_file" "$dir/test.env" ||
		    ! chown "$user:$group" "$dir" || ! chmod 0750 "$dir"; then
			lighttpd_stop
			return 1
		fi
		env_file=$dir/test.env
	else
		dir=$(mktemp -d "${TMPDIR:-/tmp}/mc-lighttpd.XXXXXX") || return 1
		export MC_LIGHTTPD_DIR=$dir
		env_file=$(cd "$(dirname "$env_file")" && pwd)/$(basename "$env_file")
	fi
	MC_LIGHTTPD_USER=$user MC_LIGHTTPD_GROUP=$group
	export MC_LIGHTTPD_SERVE=${MC_SERVE_MODE:-fastcgi}

	rc=2
	for try in 1 2 3 4 5; do
		MC_LIGHTTPD_PORT=$(free_port) || break
		export MC_LIGHTTPD_PORT
		lighttpd__run "$root" "$env_file"
		rc=$?
		[[ $rc -eq 2 ]] || break
		mc_log "port $MC_LIGHTTPD_PORT was taken; trying another (attempt $try)"
	done
	if [[ $rc -ne 0 ]]; then
		[[ $rc -eq 2 ]] && mc_log "lighttpd could not bind a port in 5 attempts"
		lighttpd_stop
		return 1
	fi
	export MC_LIGHTTPD_PID MC_LIGHTTPD_URL="http://127.0.0.1:$MC_LIGHTTPD_PORT"
	# After lighttpd, which opens its error log as $user: the launcher
	# appends to it.
	if [[ $MC_LIGHTTPD_SERVE == fastcgi ]] &&
	    ! "$root/apache/fcgi.sh" start --run-dir "$dir" --env-file "$env_file" \
	        --user "$user" --group "$group" --processes "${MC_FCGI_PROCESSES:-3}" \
	        --db-max "${MC_FCGI_DB_MAX:-60}" --grace 10 \
	        --log "$dir/lighttpd-error.log"; then
		mc_log "the FastCGI processes did not start; the log:"
		lighttpd_log >&2
		lighttpd_stop
		return 1
	fi
	return 0
}

lighttpd_stop() {
	local pid=${MC_LIGHTTPD_PID:-} dir=${MC_LIGHTTPD_DIR:-}
	if [[ -n $dir && -e $dir/fcgi.pid ]]; then
		"$(mc_root)/apache/fcgi.sh" stop --run-dir "$dir" --grace 10 || true
	fi
	if [[ -n $pid ]]; then
		stop_process "$pid" 5
	fi
	if [[ -n $dir && -d $dir && $dir == */mc-lighttpd.* ]]; then
		if [[ -n ${MC_KEEP_LOGS_DIR:-} && -d $MC_KEEP_LOGS_DIR ]]; then
			cp -- "$dir/lighttpd-error.log" "$MC_KEEP_LOGS_DIR/lighttpd-error.log" 2>/dev/null
			cp -- "$dir/lighttpd-access.log" "$MC_KEEP_LOGS_DIR/lighttpd-access.log" 2>/dev/null
		fi
		rm -rf -- "$dir"
	fi
	unset MC_LIGHTTPD_PID MC_LIGHTTPD_DIR MC_LIGHTTPD_PORT MC_LIGHTTPD_URL MC_LIGHTTPD_USER MC_LIGHTTPD_GROUP \
	    MC_LIGHTTPD_SERVE
	return 0
}
