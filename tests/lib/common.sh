# Shared shell helpers for the test harness: sourced by tests/run.sh,
# tests/lib/pg.sh and tests/cgi/helpers.bash. Bash only; defines functions and
# a few variables, starts nothing by itself.
#
#   mc_root                 prints the repository root
#   mc_log MSG...           one line on stderr, prefixed "test-harness:"
#   free_port               prints a TCP port on 127.0.0.1 that is free right now
#   wait_for_file F SECS    waits until F exists and is non-empty (0) or SECS pass (1)
#   sink_start [DIR]        starts tests/lib/smtp_sink.py on 127.0.0.1, a free port;
#                           exports MC_SMTP_PORT, MC_MAIL_SINK, MC_SINK_PID
#   sink_stop               stops the sink that sink_start started (no-op otherwise)
#   stop_process PID [SECS] [SIGNAL]
#                           stops process PID: SIGNAL (TERM), then KILL after
#                           SECS (10) seconds
#
# Every server started here closes file descriptor 3 (bats waits on it) and
# reads /dev/null, so it can be started from a bats setup_file.

# The origins the test settings allow (tests/cgi/helpers.bash writes them as
# CORS_ORIGINS; tests/lib/apache.sh renders Apache's own 413 with them).
MC_TEST_CORS_ORIGINS=http://localhost:3000,http://app.example.test

# /usr/bin/python3 has aiosmtpd, PyJWT and bcrypt; the python3 on PATH may not.
MC_PYTHON=${MC_PYTHON:-/usr/bin/python3}

mc_root() {
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) || return 1
	printf '%s\n' "$here"
}

mc_log() {
	printf 'test-harness: %s\n' "$*" >&2
}

free_port() {
	"$MC_PYTHON" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
'
}

wait_for_file() {
	local f=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 10; i++)); do
		[[ -s $f ]] && return 0
		sleep 0.1
	done
	[[ -s $f ]]
}

# Starts the SMTP sink. DIR (default: "mail" in a new temporary directory)
# receives the mail; the port file and the sink's log go to a new temporary
# directory, removed by sink_stop (which first copies the log into
# $MC_KEEP_LOGS_DIR when that is set).
sink_start() {
	local root dir=${1:-} base pf log pid port i
	root=$(mc_root) || return 1
	if [[ ! -f $root/tests/lib/smtp_sink.py ]]; then
		mc_log "tests/lib/smtp_sink.py is missing"
		return 1
	fi
	base=$(mktemp -d "${TMPDIR:-/tmp}/mc-sink.XXXXXX") || return 1
	MC_SINK_BASE=$base
	[[ -n $dir ]] || dir=$base/mail
	mkdir -p "$dir" || return 1
	pf=$base/port
	log=$base/sink.log
	"$MC_PYTHON" "$root/tests/lib/smtp_sink.py" --host 127.0.0.1 --port 0 \
	    --port-file "$pf" --dir "$dir" </dev/null >"$log" 2>&1 3>&- &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		if [[ -s $pf ]]; then
			port=$(tr -dc '0-9' <"$pf")
			[[ -n $port ]] && break
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			mc_log "smtp sink exited at start; its log:"
			cat "$log" >&2
			rm -rf -- "$base"
			unset MC_SINK_BASE
			return 1
		fi
		sleep 0.1
	done
	if [[ -z ${port:-} ]]; then
		mc_log "smtp sink wrote no port file within 10 s; its log:"
		cat "$log" >&2
		kill "$pid" 2>/dev/null
		rm -rf -- "$base"
		unset MC_SINK_BASE
		return 1
	fi
	export MC_SMTP_PORT=$port MC_MAIL_SINK=$dir MC_SINK_PID=$pid MC_SINK_BASE
}

sink_stop() {
	if [[ -n ${MC_SINK_PID:-} ]]; then
		stop_process "$MC_SINK_PID" 5
	fi
	if [[ -n ${MC_SINK_BASE:-} && -d $MC_SINK_BASE && $MC_SINK_BASE == */mc-sink.* ]]; then
		if [[ -n ${MC_KEEP_LOGS_DIR:-} && -d $MC_KEEP_LOGS_DIR ]]; then
			cp -- "$MC_SINK_BASE/sink.log" "$MC_KEEP_LOGS_DIR/sink.log" 2>/dev/null
		fi
		rm -rf -- "$MC_SINK_BASE"
	fi
	unset MC_SINK_PID MC_SINK_BASE MC_SMTP_PORT MC_MAIL_SINK
	return 0
}

# stop_process PID [SECS] [SIGNAL]: sends SIGNAL (default TERM) to process PID
# and waits up to SECS (default 10) seconds for it to end; then KILLs it, and
# the process group it leads, if any (a server started with setsid). Reaps it
# when it is a child of this shell. Returns 0, also when PID was not running.
stop_process() {
	local pid=$1 secs=${2:-10} sig=${3:-TERM} i
	[[ $pid =~ ^[1-9][0-9]*$ ]] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	kill -"$sig" "$pid" 2>/dev/null || return 0
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL -- -"$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	fi
	# 127 when it is not a child of this shell.
	wait "$pid" 2>/dev/null || true
	return 0
}
