#!/usr/bin/env bats
# The Debian package on this machine, as a VPS would have it: make deb's
# package installed with dpkg next to Debian's apache2, pointed at the tests'
# private PostgreSQL by editing /etc/medicalcare/env, the HTTP smoke and
# contract suites run against it through Apache's own configuration
# (/etc/apache2 with `a2enconf medicalcare`; started from a copy of it whose
# ports.conf listens on a free loopback port, so port 80 is never taken),
# then an upgrade to a rebuilt package with a higher version and a new
# migration, then remove and purge. The tests depend on each other and run
# in order.
#
# Root only (it runs dpkg -i on this machine; CI runs as root): skipped
# otherwise. It does not need systemd: the FastCGI processes start the way
# the package's init script starts them, `medicalcare-admin fcgi start`.
# It cleans up after itself: purges the package, stops what it started and
# disables the Apache modules it enabled.
#
# tests/run.sh runs it with its PostgreSQL and SMTP sink; alone, it starts
# its own (tests/lib/pg.sh, tests/lib/common.sh).

# pg_start, pg_stop, sink_start, sink_stop, free_port (for every test too).
# shellcheck source=tests/lib/pg.sh
source "$BATS_TEST_DIRNAME/../lib/pg.sh"

setup_file() {
	# Each test skips with this reason when set (setup below).
	export DEB_SKIP=""
	if [[ $(id -u) -ne 0 ]]; then
		DEB_SKIP="needs root: installs the package with dpkg"
		return 0
	fi
	for t in dpkg-buildpackage dh lintian apache2 a2enconf lighttpd; do
		if ! command -v "$t" >/dev/null 2>&1; then
			DEB_SKIP="$t is missing: run ./setup.sh"
			return 0
		fi
	done
	if dpkg-query -W -f='${db:Status-Abbrev}' medicalcare-auth 2>/dev/null | grep -q '^[ih]'; then
		DEB_SKIP="medicalcare-auth is installed on this machine already: not touching it"
		return 0
	fi
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export ROOT
	export DEB_OWN_SERVERS=0
	if [[ -z ${DATABASE_URL:-} || -z ${MC_SMTP_PORT:-} ]]; then
		pg_start || return 1
		sink_start "$BATS_FILE_TMPDIR/mail" || return 1
		DEB_OWN_SERVERS=1
	fi
	# The package as built now, and an upgrade: the same with a higher
	# version and one more migration (repacked, not built again).
	export DEB_OUT=$BATS_FILE_TMPDIR/debs
	mkdir -p "$DEB_OUT" "$BATS_FILE_TMPDIR/extra"
	DEB_V1=$("$ROOT/deploy/build-deb.sh" --out "$DEB_OUT" | tail -n 1) || return 1
	cat >"$BATS_FILE_TMPDIR/extra/900_package_upgrade_probe.sql" <<-'EOF'
		-- Added by tests/deb/package.bats to the upgrade package only.
		CREATE TABLE package_upgrade_probe (id integer);
	EOF
	DEB_V2=$DEB_OUT/medicalcare-auth_1.0.1_$(dpkg-architecture -q DEB_HOST_ARCH).deb
	repack "$DEB_V1" 1.0.1 "$BATS_FILE_TMPDIR/extra/900_package_upgrade_probe.sql" "$DEB_V2" ||
	    return 1
	export DEB_V1 DEB_V2
	# The Apache modules enabled by the test, disabled again at the end.
	DEB_MODS_ADDED=""
	for m in mpm_event proxy proxy_fcgi rewrite headers buffer setenvif reqtimeout; do
		[[ -e /etc/apache2/mods-enabled/$m.load ]] || DEB_MODS_ADDED+=" $m"
	done
	export DEB_MODS_ADDED
	export DEB_APACHE=$BATS_FILE_TMPDIR/apache
	DEB_PORT=$(free_port) || return 1
	export DEB_PORT DEB_URL=http://127.0.0.1:$DEB_PORT
}

# repack DEB VERSION SQL OUT: DEB again as VERSION, with the migration SQL
# added to its sql/ folder (and to its md5sums), written to OUT: what the
# next release's package is to an install, without a second build (make
# deb's --version and --extra build the same, from the sources).
repack() {
	local dir=$BATS_FILE_TMPDIR/repack
	rm -rf -- "$dir"
	dpkg-deb -R "$1" "$dir" || return 1
	sed -i "s/^Version: .*/Version: $2/" "$dir/DEBIAN/control"
	install -m 644 "$3" "$dir/usr/lib/medicalcare/sql/" || return 1
	(cd "$dir" && md5sum "usr/lib/medicalcare/sql/${3##*/}") >>"$dir/DEBIAN/md5sums" || return 1
	dpkg-deb --root-owner-group -b "$dir" "$4" >/dev/null
}

# Apache from a copy of /etc/apache2 (mods and the conf enabled there) that
# listens on DEB_PORT only; its pid, logs and locks in DEB_APACHE.
apache_env() {
	env APACHE_RUN_USER=www-data APACHE_RUN_GROUP=www-data \
	    APACHE_PID_FILE="$DEB_APACHE/run/apache2.pid" APACHE_RUN_DIR="$DEB_APACHE/run" \
	    APACHE_LOCK_DIR="$DEB_APACHE/lock" APACHE_LOG_DIR="$DEB_APACHE/log" LANG=C "$@"
}
deb_apache_start() {
	rm -rf -- "$DEB_APACHE"
	mkdir -p "$DEB_APACHE"/{run,lock,log}
	cp -a /etc/apache2 "$DEB_APACHE/conf"
	printf 'Define MEDICALCARE_PORT %s\nListen 127.0.0.1:%s\n' "$DEB_PORT" "$DEB_PORT" \
	    >"$DEB_APACHE/conf/ports.conf"
	apache_env apache2 -d "$DEB_APACHE/conf" -f "$DEB_APACHE/conf/apache2.conf" -t
	apache_env setsid apache2 -d "$DEB_APACHE/conf" -f "$DEB_APACHE/conf/apache2.conf" -k start </dev/null
	for _ in $(seq 1 50); do
		curl -s -o /dev/null "$DEB_URL/" && return 0
		sleep 0.1
	done
	echo "Apache did not answer on $DEB_URL" >&2
	cat "$DEB_APACHE/log/error.log" >&2
	return 1
}
deb_apache_stop() {
	local pid
	[[ -r $DEB_APACHE/run/apache2.pid ]] || return 0
	pid=$(<"$DEB_APACHE/run/apache2.pid")
	apache_env apache2 -d "$DEB_APACHE/conf" -f "$DEB_APACHE/conf/apache2.conf" -k stop 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

setup() {
	[[ -z ${DEB_SKIP:-} ]] || skip "$DEB_SKIP"
}

teardown_file() {
	if [[ -n ${DEB_SKIP:-} || $(id -u) -ne 0 ]]; then
		return 0
	fi
	[[ -z ${DEB_APACHE:-} ]] || deb_apache_stop
	if [[ -x /usr/sbin/medicalcare-admin ]]; then
		/usr/sbin/medicalcare-admin fcgi stop >/dev/null 2>&1 || true
	fi
	if dpkg-query -W -f='${db:Status-Abbrev}' medicalcare-auth 2>/dev/null | grep -q '^[ihrc]'; then
		dpkg -P medicalcare-auth >/dev/null 2>&1 || true
	fi
	local m
	[[ ! -r $BATS_FILE_TMPDIR/mods-added ]] || DEB_MODS_ADDED=$(<"$BATS_FILE_TMPDIR/mods-added")
	for m in ${DEB_MODS_ADDED:-}; do
		a2dismod -q -f "$m" >/dev/null 2>&1 || true
	done
	if [[ ${DEB_OWN_SERVERS:-0} -eq 1 ]]; then
		sink_stop
		pg_stop
	fi
}

# status BODY of GET PATH
get() {
	curl -s -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' --max-time 30 "$DEB_URL$1"
}

@test "the package is lintian-clean and installs without systemd" {
	[[ $DEB_V1 == */medicalcare-auth_1.0.0_*.deb ]]
	run dpkg -i "$DEB_V1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"no database configured"*"medicalcare-admin migrate"* ]]
	[[ $(dpkg-query -W -f='${Version}' medicalcare-auth) == 1.0.0 ]]
	[[ $(stat -c '%a %U:%G' /etc/medicalcare/env) == "640 root:www-data" ]]
	key=$(sed -n 's/^JWT_SECRET_KEY=//p' /etc/medicalcare/env)
	[[ ${#key} -eq 64 ]]
	[[ -x /usr/lib/medicalcare/cgi-bin/login.cgi && -x /usr/lib/medicalcare/bin/medicalcare-outbox ]]
	[[ -f /etc/apache2/conf-available/medicalcare.conf && -f /etc/cron.d/medicalcare-auth ]]
	[[ -f /lib/systemd/system/medicalcare-outbox.timer && -x /etc/init.d/medicalcare-fcgi ]]
}

@test "the package serves the API through the system Apache once pointed at a database" {
	# As the guide says: the database in the env file, the migrations, the
	# FastCGI processes, Apache's modules and the conf.
	sed -i "s|^#\{0,1\}DATABASE_URL=.*|DATABASE_URL=$DATABASE_URL|" /etc/medicalcare/env
	run medicalcare-admin migrate
	echo "$output"
	[ "$status" -eq 0 ]
	/usr/sbin/medicalcare-admin fcgi status >/dev/null 2>&1 || /usr/sbin/medicalcare-admin fcgi start
	/usr/sbin/medicalcare-admin fcgi status
	# The modules and the conf as DEPLOYMENT_GUIDE.md's package section
	# enables them (its a2enmod and a2enconf lines, run as written).
	guide=$(sed -n '/^### With the Debian package/,/^### /p' "$ROOT/DEPLOYMENT_GUIDE.md")
	mods_line=$(grep -E '^a2enmod ' <<<"$guide")
	conf_line=$(grep -E '^a2enconf ' <<<"$guide")
	[[ $mods_line == "a2enmod "* && $conf_line == "a2enconf medicalcare" ]]
	for m in ${mods_line#a2enmod }; do
		[[ -e /etc/apache2/mods-enabled/$m.load || " $DEB_MODS_ADDED " == *" $m "* ]] ||
			DEB_MODS_ADDED+=" $m"
	done
	echo "$DEB_MODS_ADDED" >"$BATS_FILE_TMPDIR/mods-added"
	bash -euc "$mods_line"
	bash -euc "$conf_line"
	deb_apache_start
	[[ $(get /health) == 200 ]]
	[[ $(<"$BATS_TEST_TMPDIR/body") == '{"status":"ok","database":"ok"}' ]]
	[[ $(get /nope) == 404 ]]
	[[ $(<"$BATS_TEST_TMPDIR/body") == '{"detail":"Not Found"}' ]]
	[[ $(get /docs) == 200 ]]
	grep -q swagger-ui-bundle.js "$BATS_TEST_TMPDIR/body"
	[[ $(get /docs/swagger-ui-bundle.js) == 200 ]]
	cmp "$BATS_TEST_TMPDIR/body" /usr/lib/medicalcare/docs/node_modules/swagger-ui-dist/swagger-ui-bundle.js
	[[ $(get /openapi.json) == 200 ]]
	cmp "$BATS_TEST_TMPDIR/body" "$ROOT/docs/openapi.json"
	# The settings as installed (env.sample's template, the database filled
	# in): the check names what is still to fill in, and fails.
	run medicalcare-admin check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"problem: SMTP_SERVER is env.sample's example"* ]]
	[[ $output == *"problem: FRONTEND_URL is env.sample's example"* ]]
	# Filled in as the guide says (a copy, so the suites below keep theirs):
	# nothing left.
	local filled=/etc/medicalcare/env.filled
	install -m 640 -o root -g www-data /etc/medicalcare/env "$filled"
	sed -i -e 's|^SMTP_SERVER=.*|SMTP_SERVER=smtp.medicalcare.test|' \
	    -e 's|^FRONTEND_URL=.*|FRONTEND_URL=https://medicalcare.test|' "$filled"
	run env MEDICALCARE_ENV_FILE="$filled" medicalcare-admin check
	rm -f "$filled"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "the package's lighttpd configuration serves the same processes" {
	# /etc/lighttpd/medicalcare.conf as medicalcare-lighttpd.service runs it,
	# from a copy that listens on a free port instead of 8080.
	local port pid
	port=$(free_port)
	sed "s/^server.port = .*/server.port = $port/" /etc/lighttpd/medicalcare.conf \
	    >"$BATS_TEST_TMPDIR/lighttpd.conf"
	lighttpd -tt -f "$BATS_TEST_TMPDIR/lighttpd.conf"
	setsid lighttpd -D -f "$BATS_TEST_TMPDIR/lighttpd.conf" </dev/null >"$BATS_TEST_TMPDIR/lighttpd.out" 2>&1 &
	pid=$!
	for _ in $(seq 1 50); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && break
		sleep 0.1
	done
	local url=$DEB_URL rc=0
	DEB_URL=http://127.0.0.1:$port
	{
		[[ $(get /health) == 200 ]] &&
			[[ $(<"$BATS_TEST_TMPDIR/body") == '{"status":"ok","database":"ok"}' ]] &&
			[[ $(get /nope) == 404 ]] &&
			[[ $(<"$BATS_TEST_TMPDIR/body") == '{"detail":"Not Found"}' ]] &&
			[[ $(get /docs/swagger-ui-bundle.js) == 200 ]]
	} || rc=1
	DEB_URL=$url
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	cat "$BATS_TEST_TMPDIR/lighttpd.out"
	[ "$rc" -eq 0 ]
}

@test "the HTTP smoke and contract suites pass against the installed package" {
	run env MC_TEST_HARNESS=1 MC_HTTP_URL="$DEB_URL" MC_APACHE_ENV_FILE=/etc/medicalcare/env \
	    MC_APACHE_SERVE=fastcgi MC_APACHE_DIR=/run/medicalcare \
	    MC_APACHE_ERROR_LOG=/var/log/medicalcare/fcgi.log \
	    CGI_DIR=/usr/lib/medicalcare/cgi-bin BIN_DIR=/usr/lib/medicalcare/bin \
	    bats "$ROOT/tests/http/smoke.bats" "$ROOT/tests/http/contract.bats"
	echo "$output" | grep -v '^ok ' | tail -n 60
	[ "$status" -eq 0 ]
}

@test "an upgrade keeps the settings and the key and applies new migrations" {
	cp /etc/medicalcare/env "$BATS_FILE_TMPDIR/env.before"
	run dpkg -i "$DEB_V2"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"applied 900_package_upgrade_probe.sql"* ]]
	[[ $(dpkg-query -W -f='${Version}' medicalcare-auth) == 1.0.1 ]]
	cmp /etc/medicalcare/env "$BATS_FILE_TMPDIR/env.before"
	[[ $(stat -c '%a %U:%G' /etc/medicalcare/env) == "640 root:www-data" ]]
	[[ $(psql -X -At -c "SELECT to_regclass('package_upgrade_probe') IS NOT NULL") == t ]]
	/usr/sbin/medicalcare-admin fcgi restart
	[[ $(get /health) == 200 ]]
}

@test "removing the package keeps the settings and stops the processes" {
	run dpkg -r medicalcare-auth
	echo "$output"
	[ "$status" -eq 0 ]
	[[ -f /etc/medicalcare/env ]]
	cmp /etc/medicalcare/env "$BATS_FILE_TMPDIR/env.before"
	[[ ! -e /usr/lib/medicalcare/cgi-bin && ! -e /usr/sbin/medicalcare-admin ]]
	run pgrep -f '/usr/lib/medicalcare/'
	[ "$status" -ne 0 ]
}

@test "purging removes what the install made but not the database" {
	run dpkg -P medicalcare-auth
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ! -e /etc/medicalcare && ! -e /var/lib/medicalcare && ! -e /var/log/medicalcare ]]
	[[ ! -e /etc/apache2/conf-enabled/medicalcare.conf && ! -e /etc/apache2/conf-available/medicalcare.conf ]]
	[[ ! -e /usr/lib/medicalcare && ! -e /etc/cron.d/medicalcare-auth && ! -e /etc/init.d/medicalcare-fcgi ]]
	run dpkg-query -W -f='${db:Status-Abbrev}' medicalcare-auth
	[[ $output != [ih]* ]]
	[[ $(psql -X -At -c "SELECT count(*) > 0 FROM schema_migrations") == t ]]
}
