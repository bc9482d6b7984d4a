# shellcheck shell=bash
# Shell functions shared by apache/run.sh (make run) and tests/lib/apache.sh
# (the tests' private Apache). Source it; it starts nothing by itself.
#
#   mc_apache_bin                 prints the apache2 binary; fails with a message
#   mc_apache_run_user            prints the user the programs run as: www-data
#                                 when we are root, else the current user
#   mc_apache_reach USER PATH     makes sure USER can reach PATH: grants search
#                                 (x) on each directory above it that USER cannot
#                                 enter, with an ACL for USER only (setfacl);
#                                 prints one line per directory changed
#   mc_apache_as USER CMD...      runs CMD as USER (directly when USER is us)
#   mc_apache_port_busy PORT      0 when something accepts on 127.0.0.1:PORT
#   mc_apache_wait PID PORT SECS  waits until the server PID accepts on PORT (0),
#                                 exits (1) or SECS pass (2)
#   mc_apache_stop PID [SECS]     TERM, then KILL after SECS (default 10); waits.
#                                 Start the server with setsid: on TERM, prefork
#                                 signals its whole process group.

mc_apache_bin() {
	local b
	for b in "${MC_APACHE_BIN:-}" /usr/sbin/apache2 /usr/sbin/httpd; do
		if [[ -n $b && -x $b ]]; then
			printf '%s\n' "$b"
			return 0
		fi
	done
	echo "no apache2 binary (package apache2-bin): run ./setup.sh" >&2
	return 1
}

mc_apache_run_user() {
	if [[ $(id -u) -eq 0 ]]; then
		printf '%s\n' www-data
	else
		id -un
	fi
}

mc_apache_as() {
	local user=$1
	shift
	if [[ $user == "$(id -un)" ]]; then
		(cd / && "$@")
	else
		(cd / && runuser -u "$user" -- "$@")
	fi
}

mc_apache_reach() {
	local user=$1 path=$2 d
	local -a dirs=()
	[[ $user == "$(id -un)" ]] && return 0
	d=$(dirname -- "$path")
	while :; do
		dirs=("$d" "${dirs[@]}")
		[[ $d == / ]] && break
		d=$(dirname -- "$d")
	done
	for d in "${dirs[@]}"; do
		mc_apache_as "$user" test -x "$d" && continue
		if ! command -v setfacl >/dev/null 2>&1; then
			echo "$user cannot enter $d, and setfacl (package acl) is missing: run ./setup.sh" >&2
			return 1
		fi
		setfacl -m "u:$user:x" -- "$d" || return 1
		echo "granted $user search permission on $d (ACL)"
	done
	return 0
}

mc_apache_port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

mc_apache_wait() {
	local pid=$1 port=$2 secs=${3:-20} i
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		mc_apache_port_busy "$port" && return 0
		sleep 0.1
	done
	return 2
}

mc_apache_stop() {
	local pid=$1 secs=${2:-10} i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		# Its children too: the group the server leads (setsid).
		kill -KILL -- -"$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}
