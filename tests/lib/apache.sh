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
#       processes a program ($MC_FCGI_PROCESSES, default 3), within
#       DB_MAX_CONNECTIONS $MC_FCGI_DB_MAX (default 60: 3 for each of the 18
#       programs that use the database; PostgreSQL's max_connections is 100). With
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
		    --processes "${MC_FCGI_PROCESSES:-3}" --db-max "${MC_FCGI_DB_MAX:-60}" \
		    --grace 10 --log "$dir/error.log"; then
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
	# One that apache_restart_debian started in a test.
	_apache_debian_stop
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
	    MC_APACHE_SERVE MC_APACHE_CONF MC_APACHE_WWW
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

# apache_start_debian [--no-exec-cgi] [--base-user NAME]
#   A shared host as Debian 12's `apache2` package sets one up (the modules,
#   confs and site its postinst enables, not what this machine has), with the
#   .htaccess site in a user's public_html: a copy of /etc/apache2 in a new
#   directory /tmp/mc-apache.XXXXXX, changed only where a private instance
#   must be (ports.conf and the default site on 127.0.0.1:PORT, UserDir and
#   its <Directory> under the new directory instead of /home; pid file,
#   logs, locks and the CGI socket there through the APACHE_* variables of
#   envvars) and where a host offering CGI differs from the package's
#   defaults: mod_cgid (which turns on serve-cgi-bin.conf's ScriptAlias
#   /cgi-bin/ /usr/lib/cgi-bin/), mod_rewrite and mod_userdir enabled, and
#   ExecCGI added to userdir.conf's Options (--no-exec-cgi: not; its
#   AllowOverride stays FileInfo AuthConfig Limit Indexes).
#   No mod_headers, no mod_buffer, as the package leaves them.
#   The web root DIR/home/USER/public_html (USER: --base-user, default ann)
#   is filled by the upload commands of DEPLOYMENT_GUIDE.md's shared-hosting
#   section, run as written with HOME=DIR/home/USER, ~/medicalcare holding
#   links to the project and the env file (MC_APACHE_ENV_FILE), and
#   "--base /~USER/" for "--base /". Exports what apache_start does, with
#   MC_HTTP_URL=http://127.0.0.1:PORT/~USER, plus MC_APACHE_CONF (the copy
#   of /etc/apache2) and MC_APACHE_WWW (the web root). apache_stop stops it.
apache_start_debian() {
	local root bin user=ann exec_cgi=1 dir conf www home port try rc f e block
	while [[ $# -gt 0 ]]; do
		case $1 in
		--no-exec-cgi) exec_cgi=0 ;;
		--base-user)
			user=$2
			shift
			;;
		*)
			mc_log "apache_start_debian: unknown option $1"
			return 1
			;;
		esac
		shift
	done
	if [[ -n ${MC_APACHE_DIR:-} && -d ${MC_APACHE_DIR:-} ]]; then
		mc_log "apache_start_debian: a server already runs from $MC_APACHE_DIR"
		return 1
	fi
	if [[ ! -f /etc/apache2/apache2.conf || ! -f /etc/apache2/conf-available/serve-cgi-bin.conf ]]; then
		mc_log "apache_start_debian: no /etc/apache2 of Debian's apache2 package (./setup.sh installs it)"
		return 1
	fi
	root=$(mc_root) || return 1
	bin=$(mc_apache_bin) || return 1
	if [[ ! -x $root/cgi-bin/health.cgi ]]; then
		mc_log "apache_start_debian: cgi-bin/*.cgi are not built (make)"
		return 1
	fi
	mc_apache_reach www-data "$root/cgi-bin/health.cgi" >/dev/null || return 1

	dir=$(mktemp -d /tmp/mc-apache.XXXXXX) || return 1
	chmod 755 "$dir"
	conf=$dir/apache2
	www=$dir/home/$user/public_html
	home=$dir/home/$user
	(umask 022 && mkdir -p "$dir/run/socks" "$dir/lock" "$www" "$home/medicalcare") || {
		rm -rf -- "$dir"
		return 1
	}
	export MC_APACHE_DIR=$dir MC_APACHE_ENV_FILE=$home/medicalcare/medicalcare.env \
	    MC_APACHE_ERROR_LOG=$dir/error.log MC_APACHE_SERVE=cgi MC_APACHE_CONF=$conf MC_APACHE_WWW=$www
	: >"$MC_APACHE_ENV_FILE"
	chmod 640 "$MC_APACHE_ENV_FILE"
	if [[ $(id -u) -eq 0 ]]; then
		chgrp www-data "$MC_APACHE_ENV_FILE" || {
			apache_stop
			return 1
		}
	fi
	cp -a /etc/apache2 "$conf" || {
		apache_stop
		return 1
	}
	# What the package enables (its postinst), whatever this machine enabled
	# since: the modules with the event MPM, the confs, the default site;
	# then what a host offering CGI adds.
	rm -f "$conf"/mods-enabled/* "$conf"/conf-enabled/* "$conf"/sites-enabled/*
	for f in access_compat alias auth_basic authn_core authn_file authz_core authz_host authz_user \
	    autoindex deflate dir env filter mime mpm_event negotiation reqtimeout setenvif status \
	    cgid rewrite userdir; do
		for e in load conf; do
			if [[ -f $conf/mods-available/$f.$e ]]; then
				ln -s "../mods-available/$f.$e" "$conf/mods-enabled/$f.$e"
			fi
		done
	done
	for f in charset localized-error-pages other-vhosts-access-log security serve-cgi-bin; do
		ln -s "../conf-available/$f.conf" "$conf/conf-enabled/$f.conf"
	done
	ln -s ../sites-available/000-default.conf "$conf/sites-enabled/000-default.conf"
	rm -f "$conf/mods-enabled/userdir.conf"
	sed -e "s|^\\(UserDir[[:blank:]]\\+\\)public_html\$|\\1$dir/home/*/public_html|" \
	    -e "s|^<Directory /home/\\*/public_html>|<Directory $dir/home/*/public_html>|" \
	    "$conf/mods-available/userdir.conf" >"$conf/mods-enabled/userdir.conf"
	if [[ $exec_cgi -eq 1 ]]; then
		sed -i -E 's/^([[:blank:]]*Options[[:blank:]].*IncludesNoExec)$/\1 ExecCGI/' \
		    "$conf/mods-enabled/userdir.conf"
	fi

	# The upload of DEPLOYMENT_GUIDE.md's shared-hosting section: its
	# commands, as written, with ~/medicalcare the project (links) and the
	# env file there, and --base for the user's URL path, as it says.
	for e in cgi-bin docs apache env.sample; do
		ln -s "$root/$e" "$home/medicalcare/$e"
	done
	block=$(awk '/^Over SSH, from the built project copied to/ { f = 1 }
		f && /^```sh$/ { g = 1; next }
		g && /^```$/ { exit }
		g { print }' "$root/DEPLOYMENT_GUIDE.md")
	if [[ $block != *"apache/render.sh htaccess"*"--base / "* ]]; then
		mc_log "apache_start_debian: DEPLOYMENT_GUIDE.md has no upload commands with --base /"
		apache_stop
		return 1
	fi
	block=${block//"--base / "/"--base /~$user/ "}
	if ! (cd / && HOME=$home bash -euo pipefail -c "$block"); then
		mc_log "apache_start_debian: DEPLOYMENT_GUIDE.md's upload commands failed"
		apache_stop
		return 1
	fi

	: >"$dir/error.log"
	rc=2
	for try in 1 2 3 4 5; do
		port=$(free_port) || break
		sed -i -E "s/^Listen[[:blank:]]+([0-9.]+:)?[0-9]+\$/Listen 127.0.0.1:$port/" "$conf/ports.conf"
		sed -i -E "s/^<VirtualHost \\*:[0-9]+>/<VirtualHost *:$port>/" "$conf/sites-enabled/000-default.conf"
		_apache_debian_run "$bin" "$dir" "$port"
		rc=$?
		[[ $rc -eq 0 ]] && break
		mc_apache_stop "$MC_APACHE_PID" 5
		if grep -q -e 'Address already in use' -e 'could not bind' "$dir/error.log" "$dir/apache.out" 2>/dev/null; then
			mc_log "port $port was taken; trying another (attempt $try)"
			rc=2
			continue
		fi
		mc_log "apache (Debian's configuration) did not start on port $port; its output:"
		cat "$dir/apache.out" "$dir/error.log" >&2 2>/dev/null
		rc=1
		break
	done
	if [[ $rc -ne 0 ]]; then
		[[ $rc -eq 2 ]] && mc_log "apache could not bind a port in 5 attempts"
		apache_stop
		return 1
	fi
	export MC_HTTP_URL=http://127.0.0.1:$port/~$user
	return 0
}

# _apache_debian_run BIN DIR PORT: starts the server of apache_start_debian
# (its configuration in DIR/apache2) and waits until it accepts on PORT;
# exports MC_APACHE_PID and MC_APACHE_PORT.
_apache_debian_run() {
	local bin=$1 dir=$2 port=$3
	# envvars's values, in the new directory; apache2.conf reads them.
	env APACHE_RUN_USER=www-data APACHE_RUN_GROUP=www-data APACHE_PID_FILE="$dir/run/apache2.pid" \
	    APACHE_RUN_DIR="$dir/run" APACHE_LOCK_DIR="$dir/lock" APACHE_LOG_DIR="$dir" LANG=C \
	    setsid "$bin" -d "$dir/apache2" -f "$dir/apache2/apache2.conf" -DFOREGROUND </dev/null \
	    >"$dir/apache.out" 2>&1 3>&- &
	MC_APACHE_PID=$!
	export MC_APACHE_PID MC_APACHE_PORT=$port
	mc_apache_wait "$MC_APACHE_PID" "$port" 20
}

# apache_restart_debian: stops the server of apache_start_debian and starts
# it again on the same port, as a host does after enabling a module (a
# graceful restart does not load one safely).
apache_restart_debian() {
	local bin
	bin=$(mc_apache_bin) || return 1
	_apache_debian_stop
	_apache_debian_run "$bin" "$MC_APACHE_DIR" "$MC_APACHE_PORT" || {
		mc_log "apache (Debian's configuration) did not start again; its output:"
		cat "$MC_APACHE_DIR/apache.out" >&2
		tail -n 20 "$MC_APACHE_ERROR_LOG" >&2
		return 1
	}
}

# _apache_debian_stop: stops the server of apache_start_debian that runs
# now, found by its pid file (after apache_restart_debian in a test, it is
# not MC_APACHE_PID of setup_file), TERM then KILL after 10 s (stop_process
# polls it: it is not a child of this shell).
_apache_debian_stop() {
	local f=${MC_APACHE_DIR:-}/run/apache2.pid
	[[ -n ${MC_APACHE_DIR:-} && -r $f ]] || return 0
	stop_process "$(<"$f")" 10
}
