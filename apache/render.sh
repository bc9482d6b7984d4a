#!/usr/bin/env bash
# Renders the web server configurations from their templates (apache/*.in)
# and the one URL map (apache/routes.txt). The only command that makes them.
#
# Usage: apache/render.sh TARGET [options]
#
# Targets:
#   vhost           apache/vhost.conf.in: a <VirtualHost> for an Apache VPS
#                   (sites-available/medicalcare.conf)
#   conf            apache/conf.conf.in: the Debian package's
#                   conf-available/medicalcare.conf (a <VirtualHost> on
#                   port MEDICALCARE_PORT, 80 unless defined)
#   htaccess        apache/htaccess.in: the .htaccess of a shared host's web
#                   root (see the template)
#   errors          the error documents that .htaccess names: --out DIR
#                   gets DIR/NNN.json, {"detail": ...} (upload DIR as the
#                   web root's errors/)
#   local           apache/local.conf.in: a complete httpd.conf for `make run`
#                   and the tests (apache2 -f FILE), serving the routes
#   local-htaccess  the same server standing in for a shared host: --root is
#                   its web root, read with AllowOverride FileInfo and
#                   Options ExecCGI, with a ScriptAlias /cgi-bin/ (tests the
#                   .htaccess); start it on a copy holding the rendered .htaccess
#   lighttpd        apache/lighttpd.conf.in
#   routes          the checked URL map, one "KIND PATH TARGET" a line
#   setting NAME    prints setting NAME as the programs see it: from the
#                   environment, else from the env file (see --env-file);
#                   exit status 1 when it is unset or empty
#
# Options:
#   --port N          the port to listen on. Default: $PORT, else 80 for
#                     vhost and 8000 for the others
#   --root DIR        the project root (absolute). Default: the repository
#                     this script is in
#   --server-name N   Default: $SERVER_NAME, else localhost
#   --env-file FILE   the env file the programs read (MEDICALCARE_ENV_FILE,
#                     set with SetEnv under CGI; under FastCGI the programs
#                     get it from apache/fcgi.sh --env-file, give it the
#                     same; the .htaccess uses mod_fcgid only when this is
#                     ROOT/medicalcare/.env). Default: $MEDICALCARE_ENV_FILE,
#                     else ROOT/.env (htaccess: ROOT/medicalcare/.env)
#   --run-dir DIR     local: pid file, logs and CGI socket; every target:
#                     the FastCGI sockets are in DIR/fcgi/ (apache/fcgi.sh
#                     --run-dir DIR). Default: /run/medicalcare for vhost
#                     (deploy/medicalcare-fcgi.service), else ROOT/build/run
#   --state-dir DIR   lighttpd: its pid file, logs and request bodies in
#                     transit (the server's user must own it). Default: the
#                     run directory
#   --user U          local: the user the server's children run as when it
#   --group G         is started by root. Default: www-data
#   --modules-dir D   local: Apache's modules. Default: /usr/lib/apache2/modules
#   --pass-env        also hand every setting that is set in this
#                     environment to the programs (PassEnv), for hosts that
#                     configure through the environment (Cloud Run; in
#                     FastCGI mode apache/fcgi.sh --pass-env does this)
#   --serve MODE      vhost, local, local-htaccess, lighttpd: how the
#                     programs run. fastcgi (the default; $MC_SERVE_MODE
#                     when set): as FastCGI processes that apache/fcgi.sh
#                     keeps running, one socket per program in RUN_DIR/fcgi/,
#                     reached through mod_proxy_fcgi (event MPM) or
#                     lighttpd's mod_fastcgi; local-htaccess loads mod_fcgid
#                     instead, as a host offering it would. cgi: one process
#                     per request (mod_cgi, prefork MPM; lighttpd's mod_cgi)
#   --cors-origins L  the origins (comma-separated) whose requests get the
#                     CORS headers on the server's own 413 (a body over
#                     64 KiB, refused unread). Default: CORS_ORIGINS, else
#                     FRONTEND_URL, else http://localhost:3000, as the
#                     programs read them now (see setting); render again
#                     after changing them
#   --base PATH       htaccess: the URL path of the web root, "/" then
#                     folders each ending in "/" (default "/"; "/~me/" for a
#                     userdir site, "/api/" for an Alias): the base of the
#                     rewriting (RewriteBase) and of the error documents
#   --out FILE        write FILE (atomically, mode 0644) instead of stdout
#
# Placeholders in templates: @ROOT@ @PORT@ @SERVER_NAME@ @ENV_FILE@ @RUN_DIR@
# @STATE_DIR@ @USER@ @GROUP@ @MODULES_DIR@ @TARGET@ @SERVE@ @BASE@; on a line of its own,
# @ROUTES@ (the routing of the target's kind), and in local.conf.in @SITE@
# (the routing, or the shared-host stand-in for local-htaccess) and @MPM@
# (the MPM and the modules that run the programs, with their settings); in
# lighttpd.conf.in @HANDLER@ (mod_fastcgi or mod_cgi). A placeholder left over is
# an error. Paths may hold letters, digits and . _ - / + , = ~ @ only.
# shellcheck disable=SC1003,SC2016  # backslashes and $1 are literal config text here
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prog=apache/render.sh

die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 2
}

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;/^# shellcheck/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

# ---------------------------------------------------------------------------
# Arguments

[[ $# -ge 1 ]] || {
	usage >&2
	exit 2
}
target=$1
shift
setting_name=""
case $target in
vhost | conf | htaccess | errors | local | local-htaccess | lighttpd | routes) ;;
setting)
	[[ $# -ge 1 && $1 =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "setting needs a NAME"
	setting_name=$1
	shift
	;;
-h | --help)
	usage
	exit 0
	;;
*) die "unknown target '$target' (vhost, conf, htaccess, errors, local, local-htaccess, lighttpd, routes, setting)" ;;
esac

port="" root="" server_name="" env_file="" run_dir="" state_dir="" out="" cors_origins="" cors_set=0 base=/
run_user=www-data run_group=www-data modules_dir=/usr/lib/apache2/modules pass_env=0
serve=${MC_SERVE_MODE:-fastcgi}
while [[ $# -gt 0 ]]; do
	case $1 in
	--port | --root | --server-name | --env-file | --run-dir | --state-dir | --user | --group | \
		--modules-dir | --out | --serve | --cors-origins | --base)
		[[ $# -ge 2 ]] || die "$1 needs a value"
		case $1 in
		--port) port=$2 ;;
		--root) root=$2 ;;
		--server-name) server_name=$2 ;;
		--env-file) env_file=$2 ;;
		--run-dir) run_dir=$2 ;;
		--state-dir) state_dir=$2 ;;
		--user) run_user=$2 ;;
		--group) run_group=$2 ;;
		--modules-dir) modules_dir=$2 ;;
		--out) out=$2 ;;
		--serve) serve=$2 ;;
		--base) base=$2 ;;
		--cors-origins)
			cors_origins=$2
			cors_set=1
			;;
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

# Makes a path absolute (from the current directory) without resolving links.
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

[[ $serve == fastcgi || $serve == cgi ]] || die "--serve '$serve' is not fastcgi or cgi"
[[ $base =~ ^/([A-Za-z0-9._~-]+/)*$ && $base != */../* && $base != */./* ]] ||
	die "--base '$base' is not a URL path of folders (/, /~me/, /api/)"

[[ -n $root ]] || root=$(dirname "$here")
root=$(absolute "$root")
root=${root%/}
[[ -n $root ]] || root=/
safe_path --root "$root"

[[ -n $env_file ]] || env_file=${MEDICALCARE_ENV_FILE:-}
if [[ -z $env_file && $target == htaccess ]]; then
	env_file=$root/medicalcare/.env # htaccess_app: the programs' default there
fi
[[ -n $env_file ]] || env_file=$root/.env
env_file=$(absolute "$env_file")

# ---------------------------------------------------------------------------
# setting NAME: environment, else the env file (as common/conf.c reads it)

# Prints the last value the env file gives NAME (quotes and escapes undone,
# an unquoted value cut at " #"); 1 when it gives none.
env_file_value() { # FILE NAME
	local file=$1 name=$2 line val found=1 result="" q i c
	[[ -r $file ]] || return 1
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%$'\r'}
		[[ $line =~ ^[[:blank:]]*(export[[:blank:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:blank:]]*=[[:blank:]]*(.*)$ ]] ||
			continue
		[[ ${BASH_REMATCH[2]} == "$name" ]] || continue
		val=${BASH_REMATCH[3]}
		if [[ $val == \"* || $val == \'* ]]; then
			q=${val:0:1}
			result=""
			for ((i = 1; i < ${#val}; i++)); do
				c=${val:i:1}
				if [[ $c == "$q" ]]; then
					break
				fi
				if [[ $q == '"' && $c == '\' && $((i + 1)) -lt ${#val} ]]; then
					case ${val:i+1:1} in
					'"' | '\')
						c=${val:i+1:1}
						i=$((i + 1))
						;;
					n)
						c=$'\n'
						i=$((i + 1))
						;;
					esac
				fi
				result+=$c
			done
		else
			result=${val%%[[:blank:]]#*}
			result=${result%"${result##*[![:blank:]]}"}
		fi
		found=0
	done <"$file"
	[[ $found -eq 0 ]] && printf '%s\n' "$result"
	return "$found"
}

if [[ $target == setting ]]; then
	value=${!setting_name:-}
	if [[ -z $value ]]; then
		value=$(env_file_value "$env_file" "$setting_name") || value=""
	fi
	[[ -n $value ]] || exit 1
	printf '%s\n' "$value"
	exit 0
fi

# ---------------------------------------------------------------------------
# The other values

if [[ -z $port ]]; then
	if [[ -n ${PORT:-} ]]; then
		port=$PORT
	elif [[ $target == vhost ]]; then
		port=80
	else
		port=8000
	fi
fi
[[ $port =~ ^[1-9][0-9]{0,4}$ && $port -le 65535 ]] || die "port '$port' is not 1 to 65535"

[[ -n $server_name ]] || server_name=${SERVER_NAME:-localhost}
[[ $server_name =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] ||
	die "server name '$server_name' is not a host name"

safe_path --env-file "$env_file"
if [[ -z $run_dir && ($target == vhost || $target == conf) ]]; then
	run_dir=/run/medicalcare # deploy/medicalcare-fcgi.service
fi
[[ -n $run_dir ]] || run_dir=$root/build/run
run_dir=$(absolute "$run_dir")
safe_path --run-dir "$run_dir"
[[ -n $state_dir ]] || state_dir=$run_dir
state_dir=$(absolute "$state_dir")
safe_path --state-dir "$state_dir"
modules_dir=$(absolute "$modules_dir")
safe_path --modules-dir "$modules_dir"
[[ $run_user =~ ^[a-z_][a-z0-9_-]*$ ]] || die "user '$run_user' is not a user name"
[[ $run_group =~ ^[a-z_][a-z0-9_-]*$ ]] || die "group '$run_group' is not a group name"

# The origins of the server's own 413 (see --cors-origins): as the programs
# read them (common/conf.c: CORS_ORIGINS, else FRONTEND_URL without a
# trailing slash, else http://localhost:3000). An origin that is not
# scheme://host[:port] is left out ("*" is never a wildcard).
setting_value() { # NAME: environment, else env file
	local v=${!1:-}
	[[ -n $v ]] || v=$(env_file_value "$env_file" "$1") || v=""
	printf '%s' "$v"
}
if [[ $cors_set -eq 0 ]]; then
	cors_origins=$(setting_value CORS_ORIGINS)
	if [[ -z $cors_origins ]]; then
		cors_origins=$(setting_value FRONTEND_URL)
		cors_origins=${cors_origins%/}
	fi
	[[ -n $cors_origins ]] || cors_origins=http://localhost:3000
fi
cors_list=()
IFS=, read -r -a _origins <<<"$cors_origins"
for o in "${_origins[@]}"; do
	o=${o#"${o%%[![:blank:]]*}"}
	o=${o%"${o##*[![:blank:]]}"}
	[[ -n $o ]] || continue
	if [[ $o =~ ^[a-z][a-z0-9+.-]*://[A-Za-z0-9.-]+(:[0-9]{1,5})?$ ]]; then
		cors_list+=("$o")
	elif [[ $target != setting && $target != routes ]]; then
		printf '%s: warning: origin %s is not scheme://host[:port]: the server'"'"'s own 413 will not allow it\n' "$prog" "$o" >&2
	fi
done

# ---------------------------------------------------------------------------
# The URL map

routes_file=$here/routes.txt
[[ -r $routes_file ]] || die "cannot read $routes_file"
kinds=() paths=() targets=()
lineno=0
declare -A seen=()
while IFS= read -r line || [[ -n $line ]]; do
	lineno=$((lineno + 1))
	line=${line%%#*}
	read -r -a f <<<"$line" || true
	[[ ${#f[@]} -eq 0 ]] && continue
	[[ ${#f[@]} -eq 3 ]] || die "routes.txt:$lineno: want KIND PATH TARGET"
	[[ ${f[0]} =~ ^(cgi|page|asset)$ ]] || die "routes.txt:$lineno: unknown kind '${f[0]}'"
	[[ ${f[1]} =~ ^/[A-Za-z0-9._/-]*(/\{[a-z_]+\})?$ && ${f[1]} != *..* && ${f[1]} != */ ]] ||
		die "routes.txt:$lineno: bad path '${f[1]}'"
	[[ ${f[2]} =~ ^[A-Za-z0-9._][A-Za-z0-9._/-]*$ && ${f[2]} != *..* ]] ||
		die "routes.txt:$lineno: bad target '${f[2]}'"
	if [[ ${f[0]} == cgi ]]; then
		[[ ${f[2]} =~ ^[A-Za-z0-9_-]+\.cgi$ ]] ||
			die "routes.txt:$lineno: a cgi target is a program name in cgi-bin/ (x.cgi)"
	fi
	[[ ${f[0]} == cgi || ${f[1]} != *'{'* ]] ||
		die "routes.txt:$lineno: only a cgi path may have a parameter segment"
	[[ -z ${seen[${f[1]}]:-} ]] || die "routes.txt:$lineno: ${f[1]} is mapped twice"
	seen[${f[1]}]=1
	kinds+=("${f[0]}") paths+=("${f[1]}") targets+=("${f[2]}")
done <"$routes_file"
[[ ${#paths[@]} -gt 0 ]] || die "routes.txt maps nothing"

if [[ $target == routes ]]; then
	for i in "${!paths[@]}"; do
		printf '%s %s %s\n' "${kinds[i]}" "${paths[i]}" "${targets[i]}"
	done
	exit 0
fi

# Escapes a path for a regular expression.
re() {
	local s=$1
	s=${s//./\\.}
	s=${s//+/\\+}
	# A route's parameter segment ({id}): one segment of URL-safe characters.
	if [[ $s =~ ^(.*)\{[a-z_]+\}$ ]]; then
		s="${BASH_REMATCH[1]}[A-Za-z0-9_-]{1,128}"
	fi
	printf '%s' "$s"
}

# The file that a target names, relative to the root.
target_file() { # KIND TARGET
	if [[ $1 == cgi ]]; then
		printf 'cgi-bin/%s' "$2"
	else
		printf '%s' "$2"
	fi
}

# The distinct directories of the targets (relative to the root), in the
# order of the map, and the files served from each, as a regex alternation.
dirs=()
declare -A dir_files=() dir_kind=()
for i in "${!paths[@]}"; do
	file=$(target_file "${kinds[i]}" "${targets[i]}")
	d=${file%/*}
	[[ $d == "$file" ]] && d=.
	b=${file##*/}
	if [[ -z ${dir_files[$d]+set} ]]; then
		dirs+=("$d")
		dir_files[$d]=""
		dir_kind[$d]=${kinds[i]}
	fi
	if [[ ${dir_kind[$d]} == cgi && ${kinds[i]} != cgi || ${dir_kind[$d]} != cgi && ${kinds[i]} == cgi ]]; then
		die "routes.txt: $d holds both programs and static files"
	fi
	case "|${dir_files[$d]}|" in
	*"|$(re "$b")|"*) ;;
	*) dir_files[$d]+=${dir_files[$d]:+|}$(re "$b") ;;
	esac
done

# The settings the programs read (names in env.sample), for --pass-env.
pass_env_line() {
	local names=() n
	[[ $pass_env -eq 1 ]] || return 0
	while IFS= read -r n; do
		[[ $n == MEDICALCARE_ENV_FILE ]] && continue
		[[ -n ${!n:-} ]] && names+=("$n")
	done < <(sed -n -E 's/^#? ?([A-Z][A-Z0-9_]*)=.*/\1/p' "$(dirname "$here")/env.sample" | sort -u)
	if [[ ${#names[@]} -gt 0 ]]; then
		printf '%s\n' "# Settings taken from the server's environment (render.sh --pass-env);"
		printf '%s\n' "# they win over the env file."
		printf 'PassEnv %s\n' "${names[*]}"
	fi
}

# Headers of the static files (the docs page and what it loads). Not CORS:
# only the programs add CORS headers.
static_headers() {
	cat <<-'EOF'
		<IfModule mod_headers.c>
		    Header always set X-Content-Type-Options "nosniff"
		    Header always set Referrer-Policy "no-referrer"
		    Header always set Content-Security-Policy "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'"
		    Header always set Cache-Control "no-cache" "expr=%{REQUEST_STATUS} -lt 400"
		</IfModule>
	EOF
}

indent() {
	sed 's/^\(.\)/    \1/'
}

# The statuses Apache may answer by itself (no route, a refused file, a bad
# request line or header, a body that stops coming, a program that crashed),
# with the body the programs would give: {"detail": ...}, application/json.
json_errors() {
	local codes=() c
	local -A msg=(
		[400]="Bad Request" [403]="Forbidden" [404]="Not Found"
		[405]="Method Not Allowed" [408]="Request Timeout" [411]="Length Required"
		[413]="Request body too large" [414]="URI Too Long" [500]="Internal server error"
		[501]="Not Implemented" [503]="Service temporarily unavailable"
	)
	echo "# Apache's own errors as JSON {\"detail\": ...}, as the programs answer."
	for c in 400 403 404 405 408 411 413 414 500 501 503; do
		printf "ErrorDocument %s '{\"detail\":\"%s\"}'\n" "$c" "${msg[$c]}"
		codes+=("'$c'")
	done
	local IFS=,
	echo "<IfModule mod_headers.c>"
	printf '    Header always set Content-Type "application/json" "expr=%%{REQUEST_STATUS} -in {%s}"\n' "${codes[*]}"
	printf '    Header always set Cache-Control "no-store" "expr=%%{REQUEST_STATUS} -in {%s}"\n' "${codes[*]}"
	printf '    Header always set X-Content-Type-Options "nosniff" "expr=%%{REQUEST_STATUS} -in {%s}"\n' "${codes[*]}"
	echo "</IfModule>"
	echo
	echo "# A body over 64 KiB: 413 from the server itself, before any of it is read"
	echo "# and before a program is involved (a declared Content-Length at once, a"
	echo "# chunked body once 64 KiB have come)."
	echo "LimitRequestBody 65536"
	cors_413
}

# The CORS headers the programs add, on the server's own 413, for the origins
# allowed when this was rendered (--cors-origins).
cors_413() {
	local alt="" o cond
	[[ ${#cors_list[@]} -gt 0 ]] || return 0
	for o in "${cors_list[@]}"; do
		alt+=${alt:+|}$(re "$o")
	done
	cond="expr=%{REQUEST_STATUS} == 413 && -n reqenv('MC_CORS_ORIGIN')"
	echo "# Its CORS headers, as the programs would add them, for the origins allowed"
	echo "# when this was rendered (render again after changing CORS_ORIGINS)."
	echo "<IfModule mod_setenvif.c>"
	printf '    SetEnvIf Origin "^(%s)$" MC_CORS_ORIGIN=$0\n' "$alt"
	echo "</IfModule>"
	echo "<IfModule mod_headers.c>"
	printf '    Header always set Access-Control-Allow-Origin "%%{MC_CORS_ORIGIN}e" "%s"\n' "$cond"
	printf '    Header always merge Vary "Origin" "%s"\n' "$cond"
	printf '    Header always set Access-Control-Expose-Headers "WWW-Authenticate, Retry-After" "%s"\n' "$cond"
	echo "</IfModule>"
}

# The programs' sockets (apache/fcgi.sh --run-dir RUN_DIR).
fcgi_socket() { # PROGRAM
	printf '@RUN_DIR@/fcgi/%s.sock' "${1%.cgi}"
}

# The host name of a program's worker: a name of its own for each socket,
# since mod_proxy tells workers apart by their URL, whose socket path it
# does not always take into account (every program was sent to the first
# socket with one "fcgi://localhost" for all). It is never resolved.
fcgi_host() { # PROGRAM
	printf 'medicalcare-%s' "${1%.cgi}"
}

# FastCGI: one handler per program (the files of a FilesMatch alternation),
# to its socket. A worker of its own for each socket, with connection reuse
# off (libfcgi serves one request per connection) and retry=0, so that a
# connection that fails (every process busy restarting) does not put the
# socket out of use for the next requests (mod_proxy's default: 60 s).
fcgi_handlers() { # ALTERNATION
	local f p
	IFS='|' read -r -a f <<<"$1"
	for p in "${f[@]}"; do
		p=${p//\\/}
		printf '<Files "%s">\n' "$p"
		printf '    SetHandler "proxy:unix:%s|fcgi://%s"\n' "$(fcgi_socket "$p")" "$(fcgi_host "$p")"
		echo '    Require all granted'
		echo '</Files>'
	done
}

# The workers of fcgi_handlers, in server context.
fcgi_workers() {
	local i p done_list=" "
	for i in "${!paths[@]}"; do
		[[ ${kinds[i]} == cgi ]] || continue
		p=${targets[i]}
		[[ $done_list == *" $p "* ]] && continue
		done_list+="$p "
		printf '<Proxy "unix:%s|fcgi://%s">\n' "$(fcgi_socket "$p")" "$(fcgi_host "$p")"
		echo '    ProxySet enablereuse=off retry=0 timeout=60'
		echo '</Proxy>'
	done
}

# The declared bodies over 64 KiB, refused with a 413 before the request goes
# anywhere (before any program, and before anything reads the body): in
# FastCGI mode LimitRequestBody does not apply, since mod_proxy's requests
# are exempt from it. A regular expression, so that no number is too large
# for it: a Content-Length over 65536.
too_large_rule() { # PREFIX (of the rule's pattern: "^" or "")
	echo "# A declared body over 64 KiB: 413 at once, unread (LimitRequestBody does"
	echo "# not apply to mod_proxy_fcgi's requests, and a program would be too late)."
	echo 'RewriteCond "%{HTTP:Content-Length}" "^0*([1-9][0-9]{5,}|[7-9][0-9]{4}|6[6-9][0-9]{3}|65[6-9][0-9]{2}|655[4-9][0-9]|6553[7-9])$"'
	echo 'RewriteRule "^" "-" [R=413]'
}

# Routing in server or virtual-host context (vhost, local).
routes_server() {
	local i d
	echo "# ---- Generated by apache/render.sh from apache/routes.txt ----"
	echo "RewriteEngine On"
	too_large_rule
	echo "# Programs: every method goes to the program, which answers OPTIONS"
	echo "# (CORS preflight), 405 and the CORS headers itself."
	for i in "${!paths[@]}"; do
		[[ ${kinds[i]} == cgi ]] || continue
		printf 'RewriteRule "^%s/?$" "@ROOT@/cgi-bin/%s" [END]\n' "$(re "${paths[i]}")" "${targets[i]}"
	done
	echo "# Static pages (PATH/ redirects to PATH) and the files they load."
	for i in "${!paths[@]}"; do
		case ${kinds[i]} in
		page)
			printf 'RewriteRule "^%s/$" "%s" [R=301,END]\n' "$(re "${paths[i]}")" "${paths[i]}"
			printf 'RewriteRule "^%s$" "@ROOT@/%s" [END]\n' "$(re "${paths[i]}")" "${targets[i]}"
			;;
		asset)
			printf 'RewriteRule "^%s$" "@ROOT@/%s" [END]\n' "$(re "${paths[i]}")" "${targets[i]}"
			;;
		esac
	done
	echo "# Anything else: 404. Nothing else of the project is served."
	echo 'RewriteRule "^" "-" [R=404]'
	echo
	json_errors
	echo
	if [[ $serve == fastcgi ]]; then
		echo "# The programs' FastCGI sockets (apache/fcgi.sh)."
		fcgi_workers
		echo
	fi
	echo '<Directory "@ROOT@">'
	echo '    Require all denied'
	echo '    Options None'
	echo '    AllowOverride None'
	echo '</Directory>'
	for d in "${dirs[@]}"; do
		echo
		if [[ $d == . ]]; then
			echo '<Directory "@ROOT@">'
		else
			printf '<Directory "@ROOT@/%s">\n' "$d"
		fi
		if [[ ${dir_kind[$d]} == cgi && $serve == fastcgi ]]; then
			echo '    # Apache hands Authorization to the programs only when told (2.4.13+).'
			echo '    CGIPassAuth On'
			echo "    # The whole answer is read before it is sent (mod_buffer), so that it"
			echo "    # always goes out the same way (with a Content-Length)."
			echo '    SetOutputFilter BUFFER'
			echo "    # Each program is a group of FastCGI processes on a socket of its own"
			echo "    # (apache/fcgi.sh), which read their settings from the environment"
			echo "    # apache/fcgi.sh gives them (MEDICALCARE_ENV_FILE), not from here."
			echo '    ProxyFCGIBackendType GENERIC'
			fcgi_handlers "${dir_files[$d]}" | indent
		elif [[ ${dir_kind[$d]} == cgi ]]; then
			echo '    Options +ExecCGI'
			echo '    # Apache hands Authorization to CGI programs only when told (2.4.13+).'
			echo '    CGIPassAuth On'
			echo "    # The whole answer is read before it is sent (mod_buffer), so that it"
			echo "    # always goes out with a Content-Length: Apache 2.4 otherwise chunks an"
			echo "    # answer whose program had not exited yet when it was read, and the"
			echo "    # framing would tell a slow path (mail sent) from a fast one."
			echo '    SetOutputFilter BUFFER'
			echo '    SetEnv MEDICALCARE_ENV_FILE "@ENV_FILE@"'
			pass_env_line | indent
			printf '    <FilesMatch "^(%s)$">\n' "${dir_files[$d]}"
			echo '        SetHandler cgi-script'
			echo '        Require all granted'
			echo '    </FilesMatch>'
		else
			printf '    <FilesMatch "^(%s)$">\n' "${dir_files[$d]}"
			echo '        Require all granted'
			static_headers | indent | indent
			echo '    </FilesMatch>'
		fi
		echo '</Directory>'
	done
	echo "# ---- End of the generated routing ----"
}

# The folder of the programs in a shared host's web root. Not cgi-bin:
# most hosts map /cgi-bin/ server-wide to a folder of their own
# (ScriptAlias, e.g. Debian's serve-cgi-bin.conf), and a customer cannot turn
# that off, so a rewrite to cgi-bin/*.cgi would reach the host's folder.
htaccess_bin=programs
# The folder in the web root that holds what is served or read (the
# programs, docs/, errors/): one folder, so that no route is also a folder
# of the web root (mod_dir would answer /docs with a redirect to /docs/, and
# DirectorySlash needs AllowOverride Indexes).
htaccess_app=medicalcare

# The error documents of the .htaccess: medicalcare/errors/NNN.json, one
# for each status of json_errors (the errors target writes them).
error_codes=(400 403 404 405 408 411 413 414 500 501 503)
declare -A error_msg=(
	[400]="Bad Request" [403]="Forbidden" [404]="Not Found"
	[405]="Method Not Allowed" [408]="Request Timeout" [411]="Length Required"
	[413]="Request body too large" [414]="URI Too Long" [500]="Internal server error"
	[501]="Not Implemented" [503]="Service temporarily unavailable"
)

# Apache's own errors in a .htaccess, as JSON files: a local ErrorDocument is
# served as a static file, so it has the JSON type (by its name) and a
# Content-Length without mod_headers or mod_buffer, which a stock Debian
# Apache does not load. mod_headers, where the host has it, adds the headers
# the programs' errors have too.
json_errors_htaccess() {
	local c codes=()
	echo "# Apache's own errors as JSON {\"detail\": ...}, as the programs answer:"
	printf '# the files %s/errors/NNN.json (apache/render.sh errors), as they are.\n' "$htaccess_app"
	echo 'AddType "application/json" .json'
	for c in "${error_codes[@]}"; do
		printf 'ErrorDocument %s "@BASE@%s/errors/%s.json"\n' "$c" "$htaccess_app" "$c"
		codes+=("'$c'")
	done
	local IFS=,
	echo "# Where the host has mod_headers (no error without it; see DEPLOYMENT_GUIDE.md)."
	echo "<IfModule mod_headers.c>"
	printf '    Header always set Cache-Control "no-store" "expr=%%{REQUEST_STATUS} -in {%s}"\n' "${codes[*]}"
	printf '    Header always set X-Content-Type-Options "nosniff" "expr=%%{REQUEST_STATUS} -in {%s}"\n' "${codes[*]}"
	echo "</IfModule>"
	cors_413
}

# Routing in a .htaccess of the web root. It uses only directives of
# "AllowOverride FileInfo" (mod_rewrite, mod_env, mod_setenvif, mod_mime,
# ErrorDocument, and mod_headers / mod_fcgid inside <IfModule>), so that a
# host that allows less (Debian's userdir.conf: FileInfo AuthConfig Limit
# Indexes, no Options) does not answer 500 to every request. Nothing is
# refused by Require (AuthConfig): the rules end in a 404 for every path
# they do not map, dot files, sources and folders included.
routes_htaccess() {
	local i d cgi_files="" static_files=""
	for d in "${dirs[@]}"; do
		if [[ ${dir_kind[$d]} == cgi ]]; then
			cgi_files+=${cgi_files:+|}${dir_files[$d]}
		else
			static_files+=${static_files:+|}${dir_files[$d]}
		fi
	done
	echo "# ---- Generated by apache/render.sh from apache/routes.txt ----"
	echo "# Authorization reaches the programs (as HTTP_AUTHORIZATION): Apache hands"
	echo "# it to CGI programs only when told, and CGIPassAuth needs AllowOverride"
	echo "# AuthConfig, which SetEnvIf does not."
	echo "<IfModule mod_setenvif.c>"
	echo '    SetEnvIf Authorization "(.+)" HTTP_AUTHORIZATION=$1'
	echo "</IfModule>"
	echo
	echo "# The programs' settings."
	echo 'SetEnv MEDICALCARE_ENV_FILE "@ENV_FILE@"'
	pass_env_line
	echo
	printf '# The programs, in %s/ (only these run). They need ExecCGI in the\n' "$htaccess_bin"
	echo "# host's Options for this folder (a .htaccess cannot set it without"
	echo "# AllowOverride Options): without it Apache answers 403 and logs \"Options"
	echo "# ExecCGI is off in this directory\"."
	printf '<FilesMatch "^(%s)$">\n' "$cgi_files"
	if [[ $env_file == "$root/$htaccess_app/.env" ]]; then
		echo "    # Where the host has mod_fcgid: as FastCGI processes it starts and"
		printf '    # keeps (they read the settings from %s/.env, the programs'"'"'\n' "$htaccess_app"
		echo "    # default: mod_fcgid gives them none of the SetEnv above)."
		echo "    # Otherwise as CGI programs, one process per request."
		echo "    <IfModule fcgid_module>"
		echo "        SetHandler fcgid-script"
		echo "    </IfModule>"
		echo "    <IfModule !fcgid_module>"
		echo "        SetHandler cgi-script"
		echo "    </IfModule>"
	else
		echo "    # As CGI programs, one process per request. (Not under mod_fcgid,"
		echo "    # even where the host has it: its FastCGI processes get no SetEnv,"
		printf '    # so they would read %s/.env, not @ENV_FILE@;\n' "$htaccess_app"
		echo "    # render without --env-file, with the settings in that .env, to"
		echo "    # use it.)"
		echo "    SetHandler cgi-script"
	fi
	echo "    # Where the host has mod_buffer: the whole answer is read before it is"
	echo "    # sent, so that it always has a Content-Length. Without it Apache sets"
	echo "    # one when it sees the answer's end with it (the programs end it at"
	echo "    # once), and otherwise sends it chunked."
	echo "    <IfModule mod_buffer.c>"
	echo "        SetOutputFilter BUFFER"
	echo "    </IfModule>"
	echo "</FilesMatch>"
	echo
	json_errors_htaccess
	echo
	if [[ -n $static_files ]]; then
		echo "# The docs page and what it loads (their headers need mod_headers)."
		printf '<FilesMatch "^(%s)$">\n' "$static_files"
		static_headers | indent
		echo "</FilesMatch>"
	fi
	echo
	echo "RewriteEngine On"
	echo "# /docs is a folder here: the rules see it without a trailing slash."
	echo "RewriteOptions AllowNoSlash"
	if [[ $base != / ]]; then
		echo "# The URL path of this folder (render.sh --base)."
		echo 'RewriteBase "@BASE@"'
	fi
	echo "# The error documents, only as the answer to an error (first: the"
	echo "# request of an error document keeps the original's headers)."
	echo 'RewriteCond "%{ENV:REDIRECT_STATUS}" "^[45][0-9][0-9]$"'
	printf 'RewriteRule "^%s/errors/[0-9]{3}\\.json$" "-" [END]\n' "$htaccess_app"
	too_large_rule
	echo "# Programs: every method goes to the program, which answers OPTIONS"
	echo "# (CORS preflight), 405 and the CORS headers itself."
	for i in "${!paths[@]}"; do
		[[ ${kinds[i]} == cgi ]] || continue
		printf 'RewriteRule "^%s/?$" "%s/%s/%s" [END]\n' "$(re "${paths[i]#/}")" "$htaccess_app" "$htaccess_bin" "${targets[i]}"
	done
	echo "# Static pages (PATH/ redirects to PATH) and the files they load."
	for i in "${!paths[@]}"; do
		case ${kinds[i]} in
		page)
			echo 'RewriteCond "%{REQUEST_URI}" "^(.+)/$"'
			printf 'RewriteRule "^%s/$" "%%1" [R=301,END]\n' "$(re "${paths[i]#/}")"
			printf 'RewriteRule "^%s$" "%s/%s" [END]\n' "$(re "${paths[i]#/}")" "$htaccess_app" "${targets[i]}"
			;;
		asset)
			printf 'RewriteRule "^%s$" "%s/%s" [END]\n' "$(re "${paths[i]#/}")" "$htaccess_app" "${targets[i]}"
			;;
		esac
	done
	echo "# Anything else: 404. Nothing else of the web root is served."
	echo 'RewriteRule "^" "-" [R=404]'
	echo "# ---- End of the generated routing ----"
}

# lighttpd (1.4.60+): a rewrite of each route to its file under the root,
# served by mod_cgi (programs) or mod_staticfile; anything else is 404.
routes_lighttpd() {
	local i
	echo "# ---- Generated by apache/render.sh from apache/routes.txt ----"
	echo "# Each route is rewritten to an internal URL under /__mc/, which"
	echo "# alias.url maps to the project root; a request for /__mc/ itself is 404."
	echo 'url.rewrite-once = ('
	for i in "${!paths[@]}"; do
		case ${kinds[i]} in
		cgi) printf '    "^%s/?(\\?.*)?$" => "/__mc/cgi-bin/%s$1",\n' "$(re "${paths[i]}")" "${targets[i]}" ;;
		page | asset) printf '    "^%s(\\?.*)?$" => "/__mc/%s$1",\n' "$(re "${paths[i]}")" "${targets[i]}" ;;
		esac
	done
	echo '    "^" => "/__mc/404"'
	echo ')'
	echo 'alias.url = ( "/__mc/" => "@ROOT@/" )'
	if [[ $serve == fastcgi ]]; then
		local p done_list=" "
		echo "# Each program is a group of FastCGI processes on a socket of its own,"
		echo "# kept running by apache/fcgi.sh (--run-dir @RUN_DIR@), which gives them"
		echo "# their settings (MEDICALCARE_ENV_FILE); check-local: the internal URL"
		echo "# names no file lighttpd should look for."
		echo 'fastcgi.server = ('
		for i in "${!paths[@]}"; do
			[[ ${kinds[i]} == cgi ]] || continue
			p=${targets[i]}
			[[ $done_list == *" $p "* ]] && continue
			done_list+="$p "
			printf '    "/__mc/cgi-bin/%s" => (( "socket" => "%s", "check-local" => "disable" )),\n' \
			    "$p" "$(fcgi_socket "$p")"
		done
		echo ')'
	else
		echo "# The programs as CGI programs (mod_cgi), one process per request;"
		echo "# only executable files run."
		echo 'cgi.execute-x-only = "enable"'
		echo 'setenv.add-environment = ( "MEDICALCARE_ENV_FILE" => "@ENV_FILE@" )'
		echo '$HTTP["url"] =~ "^/__mc/cgi-bin/" {'
		echo '    cgi.assign = ( ".cgi" => "" )'
		echo '}'
	fi
	echo "# ---- End of the generated routing ----"
}

# local.conf.in's @MPM@: the MPM and the modules that run the programs.
mpm_block() {
	if [[ $serve == cgi ]]; then
		cat <<-'EOF'
			# prefork + mod_cgi: one process per request (mod_cgid works too:
			# see vhost.conf.in).
			LoadModule mpm_prefork_module "@MODULES_DIR@/mod_mpm_prefork.so"
			LoadModule cgi_module "@MODULES_DIR@/mod_cgi.so"
			<IfModule mpm_prefork_module>
			    StartServers 4
			    MinSpareServers 4
			    MaxSpareServers 16
			    MaxRequestWorkers 100
			    MaxConnectionsPerChild 0
			</IfModule>
		EOF
		return 0
	fi
	cat <<-'EOF'
		# The event MPM: threads, and connections kept alive without a thread.
		# Two processes of 64 threads, always both: a process whose threads
		# are all busy closes its idle keep-alive connections at once (event
		# MPM), and a client sending its next request on one just then gets
		# the connection closed instead of an answer; one stopped for having
		# too many spare threads does the same. With 64 threads a process, the
		# tests' 32 connections never make one busy, and none is ever stopped.
		LoadModule mpm_event_module "@MODULES_DIR@/mod_mpm_event.so"
		<IfModule mpm_event_module>
		    StartServers 2
		    ServerLimit 2
		    ThreadsPerChild 64
		    MaxRequestWorkers 128
		    MinSpareThreads 32
		    MaxSpareThreads 128
		    MaxConnectionsPerChild 0
		</IfModule>
	EOF
	if [[ $target == local-htaccess ]]; then
		cat <<-'EOF'
			# The shared host's mod_fcgid, as a host offering it configures it (server
			# configuration: a .htaccess can set none of this). mod_fcgid starts
			# processes on demand, one request at a time each, and a request that
			# finds every process of its program busy waits in steps of one second
			# while another is started; the spawn score (one a start, two an exit,
			# minus one a second, at most FcgidSpawnScoreUpLimit) limits how fast.
			# So: room for a burst (up to 16 processes a program, 64 in all, a
			# score that lets them start) and idle ones kept (2 a program).
			LoadModule fcgid_module "@MODULES_DIR@/mod_fcgid.so"
			# And CGI, for a .htaccess that does not use mod_fcgid (mod_cgid: the
			# threaded MPMs' CGI module).
			LoadModule cgid_module "@MODULES_DIR@/mod_cgid.so"
			ScriptSock "@RUN_DIR@/cgid.sock"
			<IfModule fcgid_module>
			    FcgidIPCDir "@RUN_DIR@/fcgid"
			    FcgidProcessTableFile "@RUN_DIR@/fcgid/shm"
			    FcgidMaxProcesses 64
			    FcgidMaxProcessesPerClass 16
			    FcgidMinProcessesPerClass 2
			    FcgidSpawnScoreUpLimit 64
			    FcgidIdleTimeout 300
			    FcgidIOTimeout 60
			    FcgidMaxRequestLen 131072
			</IfModule>
		EOF
		return 0
	fi
	cat <<-'EOF'
		# mod_proxy_fcgi: each program is a group of FastCGI processes that
		# apache/fcgi.sh keeps running, one Unix socket per program.
		LoadModule proxy_module "@MODULES_DIR@/mod_proxy.so"
		LoadModule proxy_fcgi_module "@MODULES_DIR@/mod_proxy_fcgi.so"
	EOF
}

# lighttpd.conf.in's @HANDLER@, in server.modules before mod_staticfile
# (which would otherwise send a program as a file): the module that runs
# the programs.
handler_lighttpd() {
	if [[ $serve == fastcgi ]]; then
		echo '"mod_fastcgi",'
	else
		echo '"mod_cgi",'
	fi
}

# A shared host's configuration, for testing the .htaccess locally.
site_shared_host() {
	echo "# A stand-in for a shared host: the web root is @ROOT@, whose"
	echo "# .htaccess (apache/render.sh htaccess) does the routing."
	echo 'DocumentRoot "@ROOT@"'
	echo '<Directory "@ROOT@">'
	echo '    # What DEPLOYMENT_GUIDE.md asks of a host: ExecCGI, and FileInfo.'
	echo '    Options FollowSymLinks ExecCGI'
	echo '    AllowOverride FileInfo'
	echo '    Require all granted'
	echo '</Directory>'
	echo '<FilesMatch "^\.ht">'
	echo '    Require all denied'
	echo '</FilesMatch>'
	echo "# A server-wide /cgi-bin/, as most hosts have (Debian's serve-cgi-bin.conf):"
	echo "# the .htaccess must not send the routes there."
	echo 'ScriptAlias /cgi-bin/ "@RUN_DIR@/host-cgi-bin/"'
}

# ---------------------------------------------------------------------------
# Rendering

if [[ $target == errors ]]; then
	[[ -n $out ]] || die "errors needs --out DIR"
	out=$(absolute "$out")
	mkdir -p -- "$out"
	for c in "${error_codes[@]}"; do
		tmp=$(mktemp "$out/.render.XXXXXX")
		printf '{"detail":"%s"}' "${error_msg[$c]}" >"$tmp"
		chmod 0644 "$tmp"
		mv -f -- "$tmp" "$out/$c.json"
	done
	exit 0
fi

case $target in
vhost) template=$here/vhost.conf.in ;;
conf) template=$here/conf.conf.in ;;
htaccess) template=$here/htaccess.in ;;
local | local-htaccess) template=$here/local.conf.in ;;
lighttpd) template=$here/lighttpd.conf.in ;;
esac
[[ -r $template ]] || die "cannot read $template"

work=$(mktemp -d "${TMPDIR:-/tmp}/mc-render.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
case $target in
vhost | conf | local) routes_server >"$work/routes" ;;
htaccess) routes_htaccess >"$work/routes" ;;
lighttpd) routes_lighttpd >"$work/routes" ;;
local-htaccess) : >"$work/routes" ;;
esac
case $target in
local | local-htaccess) mpm_block >"$work/mpm" ;;
lighttpd) handler_lighttpd >"$work/mpm" ;;
*) : >"$work/mpm" ;;
esac
if [[ $target == local-htaccess ]]; then
	site_shared_host >"$work/site"
else
	cp -- "$work/routes" "$work/site"
fi

# Blocks first (kept at the placeholder's indentation), then the values.
awk -v routes="$work/routes" -v site="$work/site" -v mpm="$work/mpm" '
	function block(file, pad,   l) {
		while ((getline l < file) > 0)
			print (l == "" ? "" : pad l)
		close(file)
	}
	/^[[:blank:]]*@ROUTES@[[:blank:]]*$/ { match($0, /^[[:blank:]]*/); block(routes, substr($0, 1, RLENGTH)); next }
	/^[[:blank:]]*@SITE@[[:blank:]]*$/ { match($0, /^[[:blank:]]*/); block(site, substr($0, 1, RLENGTH)); next }
	/^[[:blank:]]*@(MPM|HANDLER)@[[:blank:]]*$/ { match($0, /^[[:blank:]]*/); block(mpm, substr($0, 1, RLENGTH)); next }
	{ print }
' "$template" |
	awk -v ROOT="$root" -v PORT="$port" -v SERVER_NAME="$server_name" -v ENV_FILE="$env_file" \
	    -v RUN_DIR="$run_dir" -v STATE_DIR="$state_dir" -v USER="$run_user" -v GROUP="$run_group" -v MODULES_DIR="$modules_dir" \
	    -v TARGET="$target" -v SERVE="$serve" -v BASE="$base" '
	{
		gsub(/@ROOT@/, ROOT); gsub(/@PORT@/, PORT); gsub(/@SERVER_NAME@/, SERVER_NAME)
		gsub(/@ENV_FILE@/, ENV_FILE); gsub(/@RUN_DIR@/, RUN_DIR); gsub(/@STATE_DIR@/, STATE_DIR); gsub(/@USER@/, USER)
		gsub(/@GROUP@/, GROUP); gsub(/@MODULES_DIR@/, MODULES_DIR); gsub(/@TARGET@/, TARGET); gsub(/@SERVE@/, SERVE)
		gsub(/@BASE@/, BASE)
		print
	}' >"$work/out"

if left=$(grep -n -o -E '@[A-Z_]+@' "$work/out" | head -n 3) && [[ -n $left ]]; then
	die "placeholders left in $(basename "$template"): $(tr '\n' ' ' <<<"$left")"
fi

if [[ -z $out ]]; then
	cat -- "$work/out"
else
	out=$(absolute "$out")
	mkdir -p -- "$(dirname "$out")"
	tmp=$(mktemp "$(dirname "$out")/.render.XXXXXX")
	cat -- "$work/out" >"$tmp"
	chmod 0644 "$tmp"
	mv -f -- "$tmp" "$out"
fi
