#!/usr/bin/env bash
# Runs the programs of apache/routes.txt as pre-spawned FastCGI processes, one
# Unix socket per program, for Apache (mod_proxy_fcgi) and lighttpd
# (mod_fastcgi) to connect to: `make run`, the tests, the VPS (systemd unit
# deploy/medicalcare-fcgi.service) and the container (deploy/entrypoint.sh).
#
# Each program gets spawn-fcgi (binds RUN_DIR/fcgi/NAME.sock, then runs as the
# programs' user) and multiwatch (Debian packages spawn-fcgi and multiwatch,
# both of the lighttpd project), which forks FCGI_PROCESSES copies of the
# program sharing that socket and forks a new one whenever one exits: after
# FCGI_MAX_REQUESTS requests, on SIGTERM, killed, crashed. multiwatch gives
# up a slot only when its process exits within 100 ms of its start four times
# in a row (-r 3 -t 100: a program that cannot start, e.g. a missing library,
# is not started again and again as fast as the machine can); this launcher
# then notices the missing processes within 4 s and starts that program's
# multiwatch again after a pause (1 s, doubling up to 60 s while it keeps
# failing), and says so. So a process is always replaced: at once by
# multiwatch, or by the launcher after a pause.
#
# Connections to PostgreSQL: each process keeps one. So that the install
# stays within DB_MAX_CONNECTIONS, the programs that use the database (all
# but openapi.cgi) get at most DB_MAX_CONNECTIONS / (their number) processes
# each; when that is fewer than FCGI_PROCESSES the launcher says so and uses
# it. Keep PostgreSQL's max_connections above DB_MAX_CONNECTIONS plus what
# else connects (psql, the cron jobs, a second server).
#
# Usage: apache/fcgi.sh COMMAND [options]
#
# Commands:
#   run      starts the processes and stays in the foreground until SIGTERM or
#            SIGINT (systemd, containers, make run): then every process gets
#            SIGTERM, an idle one exits at once, a busy one answers the request
#            in hand first; whatever is left after --grace seconds is killed
#   start    the same, in the background (a session of its own); returns once
#            every socket is there, 1 if that fails (its log says why)
#   stop     stops the launcher that runs from --run-dir (as run does on
#            SIGTERM) and waits for it; 0 also when none runs (processes a
#            killed launcher left behind are stopped then)
#   status   one line per program: NAME, processes running/expected, socket;
#            exit status 0 when every program has all its processes, 1 when
#            some have fewer, 3 when no launcher runs from --run-dir
#   plan     prints what run would start (program, processes, socket), and
#            the clamping note if any; starts nothing
#
# Options:
#   --run-dir DIR     sockets in DIR/fcgi/ (NAME.sock), pid files there too.
#                     Default: $MEDICALCARE_RUN_DIR, else ROOT/build/run
#   --env-file FILE   the settings the programs read (given to them as
#                     MEDICALCARE_ENV_FILE). Default: $MEDICALCARE_ENV_FILE,
#                     else ROOT/.env
#   --pass-env        also hand every setting of env.sample that is set in
#                     this environment to the programs (Cloud Run); without
#                     it the programs get a clean environment (PATH, TZ,
#                     MEDICALCARE_ENV_FILE) and every setting from the file
#   --user U          started by root: the programs run as U (default
#   --group G         www-data) and group G (default: U's group); started by
#                     another user, they run as that user
#   --socket-group G  the group that may connect to the sockets (mode 0660;
#                     the web server's). Default: the programs' group
#   --processes N     processes per program, 0 for as many as there are
#                     cores. Default: the FCGI_PROCESSES setting, else 0
#   --db-max N        Default: the DB_MAX_CONNECTIONS setting, else 40
#   --cgi-dir DIR     where the programs are. Default: ROOT/cgi-bin
#   --log FILE        append the programs' log lines (their stderr) and the
#                     launcher's to FILE instead of stderr
#   --grace SECS      how long stop waits for busy processes (default 25)
#   --wait SECS       how long start waits for the sockets (default 20)
#
# Settings come from the environment with --pass-env, else from the env file
# only, as the programs will see them. Started by root, the socket folder
# RUN_DIR/fcgi is root:SOCKET_GROUP mode 0750 and each socket
# USER:SOCKET_GROUP mode 0660, so only the web server's group connects.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
prog=apache/fcgi.sh

# Programs that never connect to PostgreSQL (not counted against
# DB_MAX_CONNECTIONS).
no_db_programs=" openapi.cgi "

say() { printf '%s %s: %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$prog" "$*" >&2; }
die() {
	say "error: $*"
	exit 2
}
usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

[[ $# -ge 1 ]] || {
	usage >&2
	exit 2
}
cmd=$1
shift
case $cmd in
run | start | stop | status | plan) ;;
-h | --help)
	usage
	exit 0
	;;
*) die "unknown command '$cmd' (run, start, stop, status, plan)" ;;
esac

run_dir=${MEDICALCARE_RUN_DIR:-} env_file=${MEDICALCARE_ENV_FILE:-} pass_env=0
user="" group="" socket_group="" processes="" db_max="" cgi_dir="" log="" grace=25 wait_secs=20
args=("$@")
while [[ $# -gt 0 ]]; do
	case $1 in
	--run-dir | --env-file | --user | --group | --socket-group | --processes | --db-max | \
		--cgi-dir | --log | --grace | --wait)
		[[ $# -ge 2 ]] || die "$1 needs a value"
		case $1 in
		--run-dir) run_dir=$2 ;;
		--env-file) env_file=$2 ;;
		--user) user=$2 ;;
		--group) group=$2 ;;
		--socket-group) socket_group=$2 ;;
		--processes) processes=$2 ;;
		--db-max) db_max=$2 ;;
		--cgi-dir) cgi_dir=$2 ;;
		--log) log=$2 ;;
		--grace) grace=$2 ;;
		--wait) wait_secs=$2 ;;
		esac
		shift 2
		;;
	--pass-env)
		pass_env=1
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
done

absolute() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$PWD" "${1#./}" ;;
	esac
}
safe_path() { # NAME VALUE
	[[ $2 =~ ^/[A-Za-z0-9._/+,=~@-]*$ && $2 != *..* ]] ||
		die "$1 '$2' is not an absolute path of letters, digits and . _ - / + , = ~ @"
}

[[ -n $run_dir ]] || run_dir=$root/build/run
run_dir=$(absolute "$run_dir")
run_dir=${run_dir%/}
safe_path --run-dir "$run_dir"
sock_dir=$run_dir/fcgi
pid_file=$run_dir/fcgi.pid
[[ $grace =~ ^[0-9]+$ ]] || die "--grace '$grace' is not a number of seconds"
[[ $wait_secs =~ ^[1-9][0-9]*$ ]] || die "--wait '$wait_secs' is not a number of seconds"

# ---------------------------------------------------------------------------
# stop and status need only the run directory

launcher_pid() { # prints the pid of the launcher running from run_dir; 1 if none
	local pid
	[[ -r $pid_file ]] || return 1
	pid=$(<"$pid_file")
	[[ $pid =~ ^[1-9][0-9]*$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	# The pid may have been reused since: it must be this script.
	grep -q -F -- "fcgi.sh" "/proc/$pid/cmdline" 2>/dev/null || return 1
	printf '%s\n' "$pid"
}

# The pids of the processes of a program, children of its multiwatch.
program_pids() { # NAME
	local mw
	[[ -r $sock_dir/$1.pid ]] || return 0
	mw=$(<"$sock_dir/$1.pid")
	[[ $mw =~ ^[1-9][0-9]*$ ]] || return 0
	pgrep -P "$mw" 2>/dev/null || true
}

# The number of children of PID that are running (not yet reaped ones aside).
# Never fails: no child is 0 (pgrep and grep -c fail on none, which under
# set -e and pipefail would end the launcher).
live_children() { # PID
	local n
	n=$(ps --ppid "$1" -o stat= 2>/dev/null | grep -c -v '^Z' || true)
	printf '%s\n' "${n:-0}"
}

# The groups (a multiwatch and its processes) that a launcher that is gone
# left in the run directory: SIGTERM, then SIGKILL after SECS; their pid
# files removed. A pid file names a multiwatch (its group) only while that
# runs the programs of cgi-bin (checked: pids are reused).
reap_left() { # SECS
	local f mw i left=()
	for f in "$sock_dir"/*.pid; do
		[[ -r $f ]] || continue
		mw=$(<"$f")
		rm -f -- "$f"
		[[ $mw =~ ^[1-9][0-9]*$ ]] || continue
		pgrep -g "$mw" -f 'multiwatch|\.cgi' >/dev/null 2>&1 || continue
		# The multiwatch, which passes it on and starts no other; its
		# group when it is gone.
		if kill -TERM "$mw" 2>/dev/null || kill -TERM -- -"$mw" 2>/dev/null; then
			left+=("$mw")
		fi
	done
	[[ ${#left[@]} -gt 0 ]] || return 0
	say "stopping processes a launcher left behind (groups ${left[*]})"
	for ((i = 0; i < $1 * 10; i++)); do
		pgrep -g "$(IFS=,; echo "${left[*]}")" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	for mw in "${left[@]}"; do
		kill -KILL -- -"$mw" 2>/dev/null || true
	done
}

if [[ $cmd == stop ]]; then
	if ! pid=$(launcher_pid); then
		reap_left "$grace"
		exit 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < (grace + 10) * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || exit 0
		sleep 0.1
	done
	say "the launcher $pid did not stop in $((grace + 10)) s: killing its processes"
	kill -KILL -- -"$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	reap_left 0
	exit 0
fi

if [[ $cmd == status ]]; then
	launcher_pid >/dev/null || {
		echo "no FastCGI launcher runs from $run_dir"
		exit 3
	}
	rc=0
	for f in "$sock_dir"/*.want; do
		[[ -e $f ]] || continue
		name=$(basename "$f" .want)
		want=$(<"$f")
		have=$(program_pids "$name" | wc -l)
		printf '%-16s %s/%s  %s\n' "$name" "$have" "$want" "$sock_dir/$name.sock"
		[[ $have -ge $want && -S $sock_dir/$name.sock ]] || rc=1
	done
	exit "$rc"
fi

# ---------------------------------------------------------------------------
# The plan: programs, settings, processes

[[ -n $env_file ]] || env_file=$root/.env
env_file=$(absolute "$env_file")
safe_path --env-file "$env_file"
[[ -n $cgi_dir ]] || cgi_dir=$root/cgi-bin
cgi_dir=$(absolute "$cgi_dir")
safe_path --cgi-dir "$cgi_dir"

# A setting as the programs will see it.
setting() {
	if [[ $pass_env -eq 1 ]]; then
		MEDICALCARE_ENV_FILE=$env_file "$here/render.sh" setting "$1" 2>/dev/null
	else
		env -i PATH="$PATH" MEDICALCARE_ENV_FILE="$env_file" "$here/render.sh" setting "$1" 2>/dev/null
	fi
}
count_setting() { # NAME DEFAULT: a whole number
	local v
	v=$(setting "$1") || v=$2
	[[ $v =~ ^[0-9]{1,6}$ ]] || die "$1=$v is not a whole number"
	printf '%s\n' "$((10#$v))"
}
[[ -n $processes ]] || processes=$(count_setting FCGI_PROCESSES 0)
[[ -n $db_max ]] || db_max=$(count_setting DB_MAX_CONNECTIONS 40)
[[ $processes =~ ^[0-9]{1,3}$ && $((10#$processes)) -le 256 ]] ||
	die "FCGI_PROCESSES (--processes) '$processes' is not 0 to 256"
processes=$((10#$processes))
if ((processes == 0)); then
	# As many as the machine has cores, as the programs read the setting.
	processes=$(nproc 2>/dev/null || echo 1)
fi
if ! [[ $db_max =~ ^[0-9]{1,5}$ ]] || ((10#$db_max < 1 || 10#$db_max > 10000)); then
	die "DB_MAX_CONNECTIONS (--db-max) '$db_max' is not 1 to 10000"
fi
db_max=$((10#$db_max))

programs=()
while read -r kind _ target; do
	[[ $kind == cgi ]] || continue
	case " ${programs[*]} " in *" $target "*) continue ;; esac
	programs+=("$target")
done < <("$here/render.sh" routes)
[[ ${#programs[@]} -gt 0 ]] || die "apache/routes.txt names no program"

db_programs=0
for p in "${programs[@]}"; do
	[[ $no_db_programs == *" $p "* ]] || db_programs=$((db_programs + 1))
done
db_processes=$processes
note=""
if ((db_programs * processes > db_max)); then
	db_processes=$((db_max / db_programs))
	((db_processes >= 1)) ||
		die "DB_MAX_CONNECTIONS=$db_max is fewer than the $db_programs programs that use the database (one process each at least)"
	note="FCGI_PROCESSES=$processes x $db_programs programs using the database = $((db_programs * processes)) connections > DB_MAX_CONNECTIONS=$db_max: $db_processes processes each for those (openapi.cgi keeps $processes)"
fi
want_of() { # PROGRAM
	if [[ $no_db_programs == *" $1 "* ]]; then
		printf '%s\n' "$processes"
	else
		printf '%s\n' "$db_processes"
	fi
}

# With --pass-env: the settings of env.sample set in this environment.
passed=()
if [[ $pass_env -eq 1 ]]; then
	while IFS= read -r n; do
		[[ $n == MEDICALCARE_ENV_FILE ]] && continue
		[[ -n ${!n:-} ]] && passed+=("$n")
	done < <(sed -n -E 's/^#? ?([A-Z][A-Z0-9_]*)=.*/\1/p' "$root/env.sample" | sort -u)
fi

if [[ $cmd == plan ]]; then
	[[ -z $note ]] || say "$note"
	for p in "${programs[@]}"; do
		printf '%-20s %3s  %s\n' "$p" "$(want_of "$p")" "$sock_dir/${p%.cgi}.sock"
	done
	echo "settings file: $env_file"
	if [[ ${#passed[@]} -gt 0 ]]; then
		echo "settings passed from the environment (by name): ${passed[*]}"
	fi
	exit 0
fi

# ---------------------------------------------------------------------------
# start: run, in the background

if [[ $cmd == start ]]; then
	if pid=$(launcher_pid); then
		say "a launcher already runs from $run_dir (pid $pid)"
		exit 1
	fi
	mkdir -p -- "$run_dir"
	rm -f -- "$run_dir/fcgi.ready"
	if [[ -n $log ]]; then
		setsid "$here/fcgi.sh" run "${args[@]}" </dev/null >>"$log" 2>&1 3>&- &
	else
		setsid "$here/fcgi.sh" run "${args[@]}" </dev/null 3>&- &
	fi
	pid=$!
	for ((i = 0; i < wait_secs * 10; i++)); do
		if [[ -e $run_dir/fcgi.ready ]]; then
			exit 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null || true
			say "the launcher exited at start${log:+ (see $log)}"
			exit 1
		fi
		sleep 0.1
	done
	say "the sockets were not all there after $wait_secs s${log:+ (see $log)}; stopping"
	"$here/fcgi.sh" stop --run-dir "$run_dir" --grace 2 || true
	exit 1
fi

# ---------------------------------------------------------------------------
# run

if [[ -n $log ]]; then
	log=$(absolute "$log")
	exec 2>>"$log"
fi
for tool in spawn-fcgi multiwatch pgrep; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (packages spawn-fcgi, multiwatch, procps): run ./setup.sh"
done
multiwatch=$(command -v multiwatch)
for p in "${programs[@]}"; do
	[[ -x $cgi_dir/$p ]] || die "$cgi_dir/$p is not built (make)"
done
if pid=$(launcher_pid) && [[ $pid != "$$" ]]; then
	die "a launcher already runs from $run_dir (pid $pid)"
fi
# Processes of a launcher that was killed would hold the sockets.
reap_left 5

spawn_opts=()
if [[ $(id -u) -eq 0 ]]; then
	[[ -n $user ]] || user=www-data
	id -u "$user" >/dev/null 2>&1 || die "no user '$user'"
	[[ $(id -u "$user") -ne 0 ]] || die "the programs must not run as root (--user)"
	[[ -n $group ]] || group=$(id -gn "$user")
	[[ -n $socket_group ]] || socket_group=$group
	spawn_opts=(-u "$user" -g "$group" -U "$user" -G "$socket_group")
	runuser -u "$user" -- test -x "$cgi_dir/${programs[0]}" ||
		die "$user cannot run $cgi_dir/${programs[0]} (a folder above it it cannot enter?)"
	runuser -u "$user" -- test -r "$env_file" ||
		say "warning: $user cannot read $env_file: the programs will answer 500 (chgrp $group it; chmod 0640)"
else
	user=$(id -un)
	[[ -z $group ]] || say "--group is ignored: not started by root"
	group=$(id -gn)
	[[ -n $socket_group ]] || socket_group=$group
	if [[ $socket_group != "$group" ]]; then
		spawn_opts=(-G "$socket_group")
	fi
fi
[[ -r $env_file || $(id -u) -eq 0 ]] ||
	say "warning: cannot read $env_file: the programs will answer 500 until it exists"

# The programs' environment: nothing of ours but what they need.
child_env=(PATH=/usr/local/bin:/usr/bin:/bin "MEDICALCARE_ENV_FILE=$env_file")
for v in TZ ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[[ -z ${!v:-} ]] || child_env+=("$v=${!v}")
done
for n in "${passed[@]}"; do
	child_env+=("$n=${!n}")
done

mkdir -p -- "$run_dir"
mkdir -p -- "$sock_dir"
chmod 0750 "$sock_dir"
if [[ $(id -u) -eq 0 ]]; then
	chown "root:$socket_group" "$sock_dir"
elif [[ $socket_group != "$group" ]]; then
	chgrp "$socket_group" "$sock_dir"
fi
echo $$ >"$pid_file"

declare -A mw_pid=() backoff=()
stopping=0

start_program() { # PROGRAM
	local p=$1 name=${1%.cgi} n
	n=$(want_of "$p")
	rm -f -- "$sock_dir/$name.sock"
	echo "$n" >"$sock_dir/$name.want"
	# spawn-fcgi binds the socket, hands it over as fd 0 and becomes
	# multiwatch (-n: no fork), in a session of its own so that stop can
	# kill what is left of it.
	setsid env -i "${child_env[@]}" spawn-fcgi -n -s "$sock_dir/$name.sock" -M 0660 -b 1024 \
	    -d "$cgi_dir" "${spawn_opts[@]}" -- \
	    "$multiwatch" -f "$n" -r 3 -t 100 -s TERM -- "$cgi_dir/$p" </dev/null 3>&- &
	mw_pid[$p]=$!
	echo "${mw_pid[$p]}" >"$sock_dir/$name.pid"
}

# 0 when process group PGID has a process that has not exited (an exited
# one stays, a zombie, until this shell waits for it).
group_alive() { # PGID
	# shellcheck disable=SC2009  # the states of a group's processes
	ps -o stat= -g "$1" 2>/dev/null | grep -q -v '^Z'
}

# SIGTERM to a program's multiwatch, which sends it on to its processes and
# starts no other; to its whole group when the multiwatch is gone (its
# processes left behind).
term_program() { # PROGRAM
	local mw=${mw_pid[$1]}
	if ps -o stat= -p "$mw" 2>/dev/null | grep -q -v '^Z'; then
		kill -TERM "$mw" 2>/dev/null || true
	else
		kill -TERM -- -"$mw" 2>/dev/null || true
	fi
}

stop_all() {
	local p pid i left
	trap '' INT TERM
	stopping=1
	# Each multiwatch's group: it and its processes (SIGTERM: an idle one
	# exits at once, a busy one after the request in hand).
	for p in "${!mw_pid[@]}"; do
		term_program "$p"
	done
	for ((i = 0; i < grace * 10; i++)); do
		left=0
		for p in "${!mw_pid[@]}"; do
			group_alive "${mw_pid[$p]}" && left=1
		done
		[[ $left -eq 0 ]] && break
		sleep 0.1
	done
	for p in "${!mw_pid[@]}"; do
		pid=${mw_pid[$p]}
		if group_alive "$pid"; then
			say "$p: processes still busy after $grace s: killed"
			kill -KILL -- -"$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
		rm -f -- "$sock_dir/${p%.cgi}.sock" "$sock_dir/${p%.cgi}.pid" "$sock_dir/${p%.cgi}.want"
	done
	rm -f -- "$run_dir/fcgi.ready"
	if [[ -r $pid_file && $(<"$pid_file") == "$$" ]]; then
		rm -f -- "$pid_file"
	fi
	rmdir -- "$sock_dir" 2>/dev/null || true
	exit 0
}
trap stop_all INT TERM

[[ -z $note ]] || say "$note"
for p in "${programs[@]}"; do
	start_program "$p"
	backoff[$p]=1
done
for ((i = 0; i < wait_secs * 10; i++)); do
	ready=1
	for p in "${programs[@]}"; do
		[[ -S $sock_dir/${p%.cgi}.sock ]] || ready=0
	done
	[[ $ready -eq 1 ]] && break
	sleep 0.1
done
if [[ $ready -ne 1 ]]; then
	say "error: the sockets were not all made in $wait_secs s"
	stop_all
fi
: >"$run_dir/fcgi.ready"
say "serving ${#programs[@]} programs from $sock_dir as $user ($processes processes each${note:+, $db_processes for those using the database})"

# Watches every 2 s: a multiwatch that ended (killed), or one that has had
# fewer processes than it should on two looks in a row (slots given up after
# quick deaths), is started again after a pause that doubles (1 s up to
# 60 s) while it keeps failing within a minute. Restarting one lets its
# remaining processes finish what they hold (SIGTERM) and binds the socket
# anew, so connections still waiting in the old one are refused (502/503).
declare -A started_at=() short=()
for p in "${programs[@]}"; do
	started_at[$p]=$SECONDS
	short[$p]=0
done
stop_program() { # PROGRAM: its group (the multiwatch and its processes, also
	# those left behind by a multiwatch that was killed), SIGTERM then SIGKILL
	local old=${mw_pid[$1]} i
	term_program "$1"
	for ((i = 0; i < grace * 10; i++)); do
		group_alive "$old" || break
		sleep 0.1
	done
	kill -KILL -- -"$old" 2>/dev/null || true
	wait "$old" 2>/dev/null || true
}
while [[ $stopping -eq 0 ]]; do
	sleep 2 &
	wait $! || true
	[[ $stopping -eq 1 ]] && break
	again=() pause=0
	for p in "${programs[@]}"; do
		if ((SECONDS - started_at[$p] > 60)); then
			backoff[$p]=1
		fi
		why=""
		if ! kill -0 "${mw_pid[$p]}" 2>/dev/null || ! ps -o stat= -p "${mw_pid[$p]}" | grep -q -v '^Z'; then
			why="its multiwatch ended"
		else
			have=$(live_children "${mw_pid[$p]}")
			if ((have < $(want_of "$p"))); then
				short[$p]=$((short[$p] + 1))
				((short[$p] < 2)) ||
					why="$have of $(want_of "$p") processes (multiwatch gave up on some: they died at start)"
			else
				short[$p]=0
			fi
		fi
		[[ -n $why ]] || continue
		say "$p: $why; starting its processes again in ${backoff[$p]} s"
		stop_program "$p"
		again+=("$p")
		((backoff[$p] <= pause)) || pause=${backoff[$p]}
		backoff[$p]=$((backoff[$p] * 2 > 60 ? 60 : backoff[$p] * 2))
	done
	[[ ${#again[@]} -gt 0 ]] || continue
	sleep "$pause" &
	wait $! || true
	[[ $stopping -eq 1 ]] && break
	for p in "${again[@]}"; do
		start_program "$p"
		started_at[$p]=$SECONDS
		short[$p]=0
	done
done
