# shellcheck shell=bash
# Fault makers for tests/cgi/faults.bats and tests/http/faults.bats. Source
# this file (it sources pg.sh) with the test PostgreSQL running, then:
#
#   silent_start        a TCP server on 127.0.0.1, a free port, that accepts
#                       connections and never sends a byte (a database or
#                       mail server that hangs); exports MC_SILENT_PORT and
#                       MC_SILENT_PID. It exits by itself after 120 s.
#   silent_stop         stops it (no-op when none runs)
#   pg_fill_slots       takes every connection slot of the test PostgreSQL
#                       that a non-superuser can take (max_connections less
#                       superuser_reserved_connections), with pgbench clients
#                       sleeping as role mc_test (application_name
#                       mc-slot-holder), and checks that mc_test is then
#                       refused for want of slots (SQLSTATE 53300: "remaining
#                       connection slots are reserved for non-replication
#                       superuser connections"); LEAVE=n leaves n
#                       slots free instead. Exports MC_FILL_PIDS.
#   pg_free_slots       ends those sessions (pg_terminate_backend) and waits
#                       for the pgbench processes to exit (no-op when none)
#   pg_free_slot_count  prints how many slots mc_test could still take
#
# With tests/cgi/helpers.bash loaded too (bats):
#   timed CMD...        runs CMD, sets elapsed (whole seconds, rounded up)
#   assert_within SECS WHAT   fails when elapsed > SECS
#   burst N METHOD PROGRAM [BODY] [VAR=value]...   N cgi runs at once;
#                       burst_out: "COUNT STATUS RETRY-AFTER BODY" lines
#   burst_count STATUS RETRY   how many answers of the last burst had that
#                       status and Retry-After ("-": none), whatever the body
#
# Every process started here closes file descriptor 3 (bats waits on it).

# shellcheck source=tests/lib/pg.sh
source "$(dirname "${BASH_SOURCE[0]}")/pg.sh"

silent_start() {
	local d pf i
	d=$(mktemp -d "${TMPDIR:-/tmp}/mc-silent.XXXXXX") || return 1
	pf=$d/port
	"$MC_PYTHON" - "$pf" </dev/null >/dev/null 2>&1 3>&- <<-'EOF' &
		import os, socket, sys, time
		s = socket.socket()
		s.bind(("127.0.0.1", 0))
		s.listen(128)
		s.settimeout(0.5)
		with open(sys.argv[1] + ".tmp", "w") as f:
		    f.write(str(s.getsockname()[1]))
		os.rename(sys.argv[1] + ".tmp", sys.argv[1])
		held = []
		end = time.time() + 120
		while time.time() < end:
		    try:
		        held.append(s.accept()[0])
		    except socket.timeout:
		        pass
	EOF
	MC_SILENT_PID=$!
	for ((i = 0; i < 100; i++)); do
		if [[ -s $pf ]]; then
			MC_SILENT_PORT=$(tr -dc '0-9' <"$pf")
			rm -rf -- "$d"
			export MC_SILENT_PORT MC_SILENT_PID
			return 0
		fi
		sleep 0.1
	done
	mc_log "silent_start: the silent server did not start"
	rm -rf -- "$d"
	silent_stop
	return 1
}

silent_stop() {
	if [[ -n ${MC_SILENT_PID:-} ]] && kill -0 "$MC_SILENT_PID" 2>/dev/null; then
		kill "$MC_SILENT_PID" 2>/dev/null
		wait "$MC_SILENT_PID" 2>/dev/null || true
	fi
	unset MC_SILENT_PID MC_SILENT_PORT
	return 0
}

pg_free_slot_count() {
	# Backends that are still exiting are counted too: the server counts them.
	pg_admin_psql -A -t -c "
		SELECT current_setting('max_connections')::int
		     - current_setting('superuser_reserved_connections')::int
		     - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'
		          AND pid <> pg_backend_pid())"
}

# pg__hold N: N more pgbench clients, each sleeping in a session of its own.
pg__hold() {
	local n=$1
	if [[ -z ${MC_FILL_SCRIPT:-} ]]; then
		MC_FILL_SCRIPT=$(mktemp "${TMPDIR:-/tmp}/mc-hold.XXXXXX") || return 1
		printf 'SELECT pg_sleep(300);\n' >"$MC_FILL_SCRIPT"
		export MC_FILL_SCRIPT
	fi
	PGAPPNAME=mc-slot-holder "$MC_PG_BINDIR/pgbench" -n -c "$n" -j 1 -t 1 -f "$MC_FILL_SCRIPT" \
	    -h 127.0.0.1 -p "$MC_PG_PORT" -U mc_test medicalcare_test </dev/null >/dev/null 2>&1 3>&- &
	MC_FILL_PIDS+=" $!"
	export MC_FILL_PIDS
}

pg__holders() {
	pg_admin_psql -A -t -c "SELECT count(*) FROM pg_stat_activity
	                         WHERE application_name = 'mc-slot-holder' AND state = 'active'"
}

pg_fill_slots() {
	local leave=${LEAVE:-0} want held=0 free try i
	MC_FILL_PIDS=""
	for try in 1 2 3 4 5; do
		free=$(pg_free_slot_count) || return 1
		want=$((free - leave))
		if ((want <= 0)); then
			break
		fi
		pg__hold "$want"
		held=$((held + want))
		# Until pgbench's clients are all connected and sleeping.
		for ((i = 0; i < 100; i++)); do
			[[ $(pg__holders) -ge $held ]] && break
			sleep 0.1
		done
		if [[ $(pg__holders) -lt $held ]]; then
			mc_log "pg_fill_slots: only $(pg__holders) of $held sessions connected"
			held=$(pg__holders)
		fi
	done
	free=$(pg_free_slot_count) || return 1
	if ((free != leave)); then
		mc_log "pg_fill_slots: $free slots free, wanted $leave"
		return 1
	fi
	if ((leave == 0)); then
		local out
		if out=$("$MC_PG_BINDIR/psql" -X -A -t -c 'SELECT 1' -d "$DATABASE_URL" 2>&1); then
			mc_log "pg_fill_slots: mc_test still connects"
			return 1
		fi
		# PostgreSQL's two 53300 messages: the last free slots are
		# reserved for superusers, or there are none at all.
		if [[ $out != *"too many clients"* && $out != *"remaining connection slots are reserved"* ]]; then
			mc_log "pg_fill_slots: mc_test refused, but not for want of slots: $out"
			return 1
		fi
	fi
	return 0
}

pg_free_slots() {
	local pid i
	[[ -n ${MC_PG_DIR:-} ]] && pg_is_up &&
	    pg_admin_psql -A -t -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	                             WHERE application_name = 'mc-slot-holder'" >/dev/null
	for pid in ${MC_FILL_PIDS:-}; do
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null || true
	done
	if [[ -n ${MC_FILL_SCRIPT:-} ]]; then
		rm -f -- "$MC_FILL_SCRIPT"
	fi
	unset MC_FILL_PIDS MC_FILL_SCRIPT
	# Until the server has let go of them.
	for ((i = 0; i < 100; i++)); do
		[[ $(pg__holders 2>/dev/null) == 0 ]] && break
		sleep 0.1
	done
	return 0
}

# ---------------------------------------------------------------------------
# Timing and bursts (need tests/cgi/helpers.bash)

# timed CMD...: runs CMD and sets elapsed (whole seconds, rounded up).
timed() {
	local t0=$EPOCHREALTIME t1
	"$@" || return 1
	t1=$EPOCHREALTIME
	elapsed=$(((${t1/./} - ${t0/./} + 999999) / 1000000))
}

# assert_within SECS NAME: elapsed is at most SECS.
assert_within() {
	if ((elapsed > $1)); then
		_fail "$2 took $elapsed s, more than $1 s"
		return 1
	fi
}

# burst N METHOD PROGRAM [BODY] [VAR=value]...: N runs of PROGRAM at once;
# sets burst_out to one line per distinct answer, "COUNT STATUS RETRY-AFTER
# BODY" (Retry-After "-" when absent), and fails if a run failed (timeout,
# crash, no header block).
burst() {
	local n=$1 i dir=$BATS_TEST_TMPDIR/burst.$RANDOM
	local -a pids=()
	shift
	mkdir -p "$dir"
	for ((i = 1; i <= n; i++)); do
		(
			_cgi_seq=$((100000 * i))
			if ! cgi "$@" 2>"$dir/$i.err"; then
				echo "run failed" >"$dir/$i.out"
				exit 0
			fi
			_cgi_hget Retry-After || _cgi_hval=-
			# shellcheck disable=SC2154  # set by cgi (tests/cgi/helpers.bash)
			printf '%s %s %s\n' "$cgi_status" "$_cgi_hval" "$cgi_body" >"$dir/$i.out"
		) &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	burst_out=$(cat "$dir"/*.out | sort | uniq -c | sed 's/^ *//')
	if grep -q 'run failed' <<<"$burst_out"; then
		echo "a run of $2 failed:" >&2
		cat "$dir"/*.err >&2
		return 1
	fi
}

burst_count() {
	awk -v s="$1" -v r="$2" '$2 == s && $3 == r { n += $1 } END { print n + 0 }' <<<"$burst_out"
}
