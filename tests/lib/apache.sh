# shellcheck shell=bash
# A private Apache for the HTTP tests, serving the project's cgi-bin/ and
# docs/ as `make run` does. Source this file (it sources common.sh and
# apache/lib.sh), then:
#
#   apache_start [--cgi|--fastcgi] [--htaccess] [--copy] [--env-file FILE] [PORT]
#       renders apache/local.conf.in (apache/render.sh local) into a new
#       directory /tmp/mc-apache.XXXXXX (mode 0755: the server's user reads
#       the env file there), on 127.0.0.1:PORT (default: a free port chosen
#       now, never a fixed one; another is tried when it was taken), starts
#       `apache2 -f ... -DFOREGROUND` and waits until it accepts.
#       --fastcgi (the default, or $MC_SERVE_MODE): the programs run as
#       FastCGI processes (apache/fcgi.sh start --run-dir $MC_APACHE_DIR,
#       started before Apache and stopped after it, also when the start
#       fails; their log lines go to the error log), reached through
#       mod_proxy_fcgi, sockets in $MC_APACHE_DIR/fcgi/; FCGI_PROCESSES
#       processes a program ($MC_FCGI_PROCESSES, default 4). With
#       --htaccess, the stand-in shared host has mod_fcgid instead.
#       --cgi: one process per request (mod_cgi), as before FastCGI.
#       The programs read $MC_APACHE_DIR/test.env (SetEnv
#       MEDICALCARE_ENV_FILE): empty, or a copy of FILE; rewrite it in place
#       (keeping its mode) to change the settings between requests.
#       --htaccess: a shared host instead: the web root $MC_APACHE_DIR/www
#       holds the rendered .htaccess (apache/render.sh htaccess, with
#       --env-file $MC_APACHE_ENV_FILE), medicalcare/ as DEPLOYMENT_GUIDE.md
#       uploads it (programs/*.cgi, hard links; docs, a link; errors/), a
#       fake .env there and in the web root, cgi-bin/*.cgi and links to
#       the project's sql, apache, common, tests, .git, Makefile,
#       setup.sh and env.sample, as if the whole project had been uploaded;
#       the server reads it with AllowOverride FileInfo, Options ExecCGI and
#       a ScriptAlias /cgi-bin/ (apache/render.sh local-htaccess), and in FastCGI
#       mode has mod_fcgid (which that .htaccess does not use: see
#       tests/http/htaccess.bats for one that does).
#       --copy: the routes (apache/render.sh local) served from a copy of
#       the project instead, $MC_APACHE_DIR/www: every file hard-linked
#       (copied where links cannot be made) but .env, build and bin, plus a
#       fake .env and build/secret.txt holding the fake JWT key above.
#       Exports MC_HTTP_URL (http://127.0.0.1:PORT), MC_APACHE_PORT,
#       MC_APACHE_PID, MC_APACHE_DIR, MC_APACHE_ENV_FILE, MC_APACHE_ERROR_LOG,
#       MC_APACHE_SERVE (fastcgi or cgi).
#   apache_stop
#       stops it (TERM, then KILL after 10 s) and the FastCGI processes
#       (apache/fcgi.sh stop), copies its error and access logs into
#       $MC_KEEP_LOGS_DIR when that is set, removes the directory; a no-op
#       when none runs.
#   fcgi_pids PROGRAM
#       the pids of the FastCGI processes of PROGRAM (e.g. profile), one a
#       line, of the server apache_start started (none in CGI mode)
#
#   apache_start_other [apache_start options]
#       a second server beside the first, for tests of two servers in front
#       of one database: as apache_start, but exports MC_HTTP_URL2,
#       MC_APACHE2_PORT, MC_APACHE2_PID, MC_APACHE2_DIR, MC_APACHE2_ENV_FILE
#       and MC_APACHE2_ERROR_LOG and leaves the first server's variables
#       as they were.
#   apache_stop_other
#       stops it (as apache_stop; its logs are not kept).
#
# Started by root, the server's children and the programs run as www-data:
# the project must be reachable by it (see apache/lib.sh mc_apache_reach).

# shellcheck source=tests/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=apache/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../apache/lib.sh"

apache_start() {
	local root bin user group mode=local env_src="" port="" dir try rc conf www e
	local serve=${MC_SERVE_MODE:-fastcgi}
	while [[ $# -gt 0 ]]; do
		case $1 in
		--cgi) serve=cgi ;;
		--fastcgi) serve=fastcgi ;;
		--htaccess) mode=local-htaccess ;;
		--copy) mode=local-copy ;;
		--env-file)
			env_src=$2
			shift
			;;
		*) port=$1 ;;
		esac
		shift
	done
	if [[ -n ${MC_APACHE_DIR:-} && -d ${MC_APACHE_DIR:-} ]]; then
		mc_log "apache_start: a server already runs from $MC_APACHE_DIR"
		return 1
	fi
	root=$(mc_root) || return 1
	bin=$(mc_apache_bin) || return 1
	user=$(mc_apache_run_user)
	group=$(id -gn "$user") || return 1
	if [[ ! -x $root/cgi-bin/health.cgi ]]; then
		mc_log "apache_start: cgi-bin/*.cgi are not built (make)"
		return 1
	fi
	mc_apache_reach "$user" "$root/cgi-bin/health.cgi" >/dev/null || return 1

	dir=$(mktemp -d /tmp/mc-apache.XXXXXX) || return 1
	chmod 755 "$dir"
	export MC_APACHE_DIR=$dir MC_APACHE_ENV_FILE=$dir/test.env MC_APACHE_ERROR_LOG=$dir/error.log \
	    MC_APACHE_SERVE=$serve
	if [[ -n $env_src ]]; then
		cat -- "$env_src" >"$MC_APACHE_ENV_FILE" || {
			apache_stop
			return 1
		}
	else
		: >"$MC_APACHE_ENV_FILE"
	fi
	chmod 640 "$MC_APACHE_ENV_FILE"
	if [[ $user != "$(id -un)" ]]; then
		chgrp "$group" "$MC_APACHE_ENV_FILE" || {
			apache_stop
			return 1
		}
	fi

	www=$root
	if [[ $mode == local-copy ]]; then
		www=$dir/www
		mkdir -m 755 "$www" "$www/build"
		for e in "$root"/* "$root"/.[!.]*; do
			case ${e##*/} in .env | build | bin) continue ;; esac
			# Files that other runs remove meanwhile (tests/tmp) may be missed.
			cp -al -- "$e" "$www/" 2>/dev/null || cp -a -- "$e" "$www/" 2>/dev/null ||
				mc_log "apache_start --copy: some of $e was not copied"
		done
		if [[ ! -x $www/cgi-bin/health.cgi ]]; then
			mc_log "apache_start --copy: could not copy the project into $www"
			apache_stop
			return 1
		fi
		printf 'JWT_SECRET_KEY=this-fake-file-must-never-be-served-0123456789\n' |
			tee "$www/.env" >"$www/build/secret.txt"
		mode=local
	fi
	if [[ $mode == local-htaccess ]]; then
		www=$dir/www
		mkdir -m 755 "$www"
		for e in sql apache common tests .git Makefile setup.sh env.sample; do
			[[ -e $root/$e ]] && ln -s "$root/$e" "$www/$e"
		done
		# As DEPLOYMENT_GUIDE.md uploads it: medicalcare/ holds the
		# programs (files of their own, hard links, not a link to the
		# project's folder: a program finds its default .env from where it
		# is, mod_fcgid's medicalcare/.env), docs/ and errors/. Besides, a
		# copy in cgi-bin/ as a careless upload would leave it (the host
		# maps /cgi-bin/ elsewhere).
		mkdir -m 755 "$www/medicalcare" "$www/medicalcare/programs" "$www/cgi-bin"
		ln -s "$root/docs" "$www/medicalcare/docs"
		for e in medicalcare/programs cgi-bin; do
			cp -al -- "$root"/cgi-bin/*.cgi "$www/$e/" 2>/dev/null ||
				cp -a -- "$root"/cgi-bin/*.cgi "$www/$e/" || {
				apache_stop
				return 1
			}
		done
		printf 'JWT_SECRET_KEY=this-fake-file-must-never-be-served-0123456789\n' |
			tee "$www/.env" >"$www/medicalcare/.env"
		if ! "$root/apache/render.sh" errors --out "$www/medicalcare/errors" ||
			! "$root/apache/render.sh" htaccess --root "$www" --env-file "$MC_APACHE_ENV_FILE" \
			    --out "$www/.htaccess"; then
			apache_stop
			return 1
		fi
	fi

	: >"$dir/error.log"
	if [[ $serve == fastcgi && $mode == local ]]; then
		# Its log lines go to Apache's error log (both append).
		if ! "$root/apache/fcgi.sh" start --run-dir "$dir" --env-file "$MC_APACHE_ENV_FILE" \
		    --cgi-dir "$www/cgi-bin" --user "$user" --group "$group" \
		    --processes "${MC_FCGI_PROCESSES:-4}" --grace 10 --log "$dir/error.log"; then
			mc_log "apache_start: the FastCGI processes did not start; the log:"
			cat "$dir/error.log" >&2
			apache_stop
			return 1
		fi
	fi

	rc=2
	for try in 1 2 3 4 5; do
		if [[ -z $port || $try -gt 1 ]]; then
			port=$(free_port) || break
		fi
		conf=$dir/httpd.conf
		if ! "$root/apache/render.sh" "$mode" --serve "$serve" --root "$www" --port "$port" \
		    --run-dir "$dir" --env-file "$MC_APACHE_ENV_FILE" --user "$user" --group "$group" \
		    --cors-origins "$MC_TEST_CORS_ORIGINS" --out "$conf"; then
			rc=1
			break
		fi
		# A session of its own: on TERM, prefork signals its whole process
		# group, which would otherwise be ours.
		setsid "$bin" -f "$conf" -DFOREGROUND </dev/null >"$dir/apache.out" 2>&1 3>&- &
		MC_APACHE_PID=$!
		export MC_APACHE_PID MC_APACHE_PORT=$port
		mc_apache_wait "$MC_APACHE_PID" "$port" 20
		rc=$?
		[[ $rc -eq 0 ]] && break
		mc_apache_stop "$MC_APACHE_PID" 5
		if grep -q -e 'Address already in use' -e 'could not bind' "$dir/error.log" "$dir/apache.out" 2>/dev/null; then
			mc_log "port $port was taken; trying another (attempt $try)"
			rc=2
			continue
		fi
		mc_log "apache did not start on port $port; its output:"
		cat "$dir/apache.out" "$dir/error.log" >&2 2>/dev/null
		rc=1
		break
	done
	if [[ $rc -ne 0 ]]; then
		[[ $rc -eq 2 ]] && mc_log "apache could not bind a port in 5 attempts"
		apache_stop
		return 1
	fi
	export MC_HTTP_URL=http://127.0.0.1:$port
	return 0
}

apache_stop() {
	if [[ -n ${MC_APACHE_PID:-} ]]; then
		mc_apache_stop "$MC_APACHE_PID" 10
	fi
	if [[ -n ${MC_APACHE_DIR:-} && -e $MC_APACHE_DIR/fcgi.pid ]]; then
		"$(mc_root)/apache/fcgi.sh" stop --run-dir "$MC_APACHE_DIR" --grace 10 || true
	fi
	if [[ -n ${MC_APACHE_DIR:-} && -d $MC_APACHE_DIR ]]; then
		if [[ -n ${MC_KEEP_LOGS_DIR:-} && -d $MC_KEEP_LOGS_DIR ]]; then
			cp -- "$MC_APACHE_DIR/error.log" "$MC_KEEP_LOGS_DIR/apache-error.log" 2>/dev/null
			cp -- "$MC_APACHE_DIR/access.log" "$MC_KEEP_LOGS_DIR/apache-access.log" 2>/dev/null
		fi
		if [[ $MC_APACHE_DIR == /tmp/mc-apache.* ]]; then
			rm -rf -- "$MC_APACHE_DIR"
		fi
	fi
	unset MC_APACHE_PID MC_APACHE_PORT MC_APACHE_DIR MC_APACHE_ENV_FILE MC_APACHE_ERROR_LOG MC_HTTP_URL \
	    MC_APACHE_SERVE
	return 0
}

fcgi_pids() {
	local f=${MC_APACHE_DIR:-}/fcgi/$1.pid mw
	[[ -r $f ]] || return 0
	mw=$(<"$f")
	[[ $mw =~ ^[1-9][0-9]*$ ]] || return 0
	pgrep -P "$mw" || true
}

_mc_apache_vars=(MC_HTTP_URL MC_APACHE_PORT MC_APACHE_PID MC_APACHE_DIR MC_APACHE_ENV_FILE
    MC_APACHE_ERROR_LOG MC_APACHE_SERVE)

# _apache_swap [restore]: saves the first server's variables in
# _mc_apache_saved and unsets them (no argument), or restores them (restore).
_apache_swap() {
	local v i
	if [[ ${1:-} == restore ]]; then
		for i in "${!_mc_apache_vars[@]}"; do
			v=${_mc_apache_vars[$i]}
			if [[ -n ${_mc_apache_saved[$i]} ]]; then
				export "$v=${_mc_apache_saved[$i]}"
			else
				unset "$v"
			fi
		done
		return 0
	fi
	_mc_apache_saved=()
	for v in "${_mc_apache_vars[@]}"; do
		_mc_apache_saved+=("${!v:-}")
		unset "$v"
	done
}

apache_start_other() {
	local rc=0
	_apache_swap
	apache_start "$@" || rc=$?
	if [[ $rc -eq 0 ]]; then
		export MC_HTTP_URL2=$MC_HTTP_URL MC_APACHE2_PORT=$MC_APACHE_PORT \
		    MC_APACHE2_PID=$MC_APACHE_PID MC_APACHE2_DIR=$MC_APACHE_DIR \
		    MC_APACHE2_ENV_FILE=$MC_APACHE_ENV_FILE MC_APACHE2_ERROR_LOG=$MC_APACHE_ERROR_LOG \
		    MC_APACHE2_SERVE=$MC_APACHE_SERVE
	fi
	_apache_swap restore
	return "$rc"
}

apache_stop_other() {
	[[ -n ${MC_APACHE2_DIR:-} ]] || return 0
	_apache_swap
	export MC_APACHE_PID=${MC_APACHE2_PID:-} MC_APACHE_DIR=$MC_APACHE2_DIR
	MC_KEEP_LOGS_DIR='' apache_stop
	_apache_swap restore
	unset MC_HTTP_URL2 MC_APACHE2_PORT MC_APACHE2_PID MC_APACHE2_DIR MC_APACHE2_ENV_FILE \
	    MC_APACHE2_ERROR_LOG MC_APACHE2_SERVE
	return 0
}
