#!/usr/bin/env bash
# Sets up a Debian 12 machine to build, test and run the MedicalCare backend.
# Safe to run again: every step checks first and changes only what is missing.
#
#   1. installs the Debian packages (as root, or through sudo)
#   2. starts the local PostgreSQL cluster if it is down
#   3. creates the role "medicalcare" (password "medicalcare") and this
#      checkout's own database, owned by it, if missing: the one .env's
#      DATABASE_URL names, else medicalcare_<folder>_<hash of the path>, so
#      two checkouts on one machine never share a database
#   4. writes .env from env.sample (the production template) with the local
#      values of env.local (mail written to mail/, the frontend on
#      localhost:3000), a new random JWT_SECRET_KEY, a new random
#      MFA_ENCRYPTION_KEY and the DATABASE_URL of
#      that database, if there is no .env (an existing .env keeps its
#      content); mode 0640, group www-data when run as root (Apache's
#      programs run as www-data and read it), else 0600
#   5. builds (make) and applies the schema (sql/migrate.sh)
#   6. installs Swagger UI for the /docs page (npm ci in docs/, from
#      docs/package-lock.json, install scripts off) if missing or outdated
#   7. installs the browser test's npm packages, playwright-core and qrcode
#      (npm ci in tests/browser/), if missing or outdated
#
# Usage: ./setup.sh [--run] [--production] [--help]
#   --run         then serve the API (apache/run.sh: Apache on localhost:8000,
#                 in the foreground; what `make run` does)
#   --production  a server's source install: only the packages that building
#                 and running need (no test tools, no local PostgreSQL, no
#                 browser), then make and Swagger UI (steps 1, 5 without the
#                 schema, 6); no database or .env is made. See
#                 DEPLOYMENT_GUIDE.md, "Apache on a VPS"; the Debian package
#                 (make deb) is the other way
set -euo pipefail

# local_db_name ROOT ENV_FILE: prints the database of the checkout in ROOT:
# the one ENV_FILE's DATABASE_URL names when it is a local one of the role
# medicalcare, nothing when it names another; without ENV_FILE, a name of
# the checkout's own, medicalcare_<folder>_<8 hex of sha256(ROOT)>, so two
# checkouts on one machine never share a database.
local_db_name() {
	local root=$1 env=$2 url base
	if [[ -e $env ]]; then
		url=$(sed -n -E 's/^[[:space:]]*(export[[:space:]]+)?DATABASE_URL[[:space:]]*=[[:space:]]*//p' "$env" |
		    tail -n 1 | tr -d "\"'")
		if [[ $url =~ ^postgres(ql)?://medicalcare:medicalcare@(localhost|127\.0\.0\.1):[0-9]+/([a-z0-9_]+)$ ]]; then
			printf '%s\n' "${BASH_REMATCH[3]}"
		fi
		return 0
	fi
	base=$(basename "$root" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9\n' '_' | cut -c1-30)
	printf 'medicalcare_%s_%s\n' "$base" "$(printf '%s' "$root" | sha256sum | cut -c1-8)"
}

# local_env_text SAMPLE LOCAL SECRET URL MFA_KEY: prints SAMPLE (env.sample)
# with JWT_SECRET_KEY=SECRET, MFA_ENCRYPTION_KEY=MFA_KEY, DATABASE_URL=URL and
# each NAME=value of LOCAL (env.local, if it exists) in place of the sample's
# line for NAME (or its "# NAME=" example), or at the end when the sample has
# none. The keys reach awk on its standard input, never in its arguments.
local_env_text() {
	local sample=$1 local=$2 secret=$3 url=$4 mfa=$5
	{
		printf 'JWT_SECRET_KEY=%s\nMFA_ENCRYPTION_KEY=%s\nDATABASE_URL=%s\n' "$secret" "$mfa" "$url"
		[[ ! -f $local ]] || grep -E '^[A-Z][A-Z0-9_]*=' "$local"
	} | awk '
		NR == FNR { i = index($0, "="); want[substr($0, 1, i - 1)] = $0; order[++n] = substr($0, 1, i - 1); next }
		{
			line = $0
			sub(/^#[[:space:]]?/, "", line)
			sub(/^[[:space:]]*(export[[:space:]]+)?/, "", line)
			name = line
			sub(/[[:space:]]*=.*/, "", name)
			if (line ~ /^[A-Z][A-Z0-9_]*[[:space:]]*=/ && (name in want)) {
				if (!(name in done)) print want[name]
				done[name] = 1
				next
			}
			print
		}
		END { for (k = 1; k <= n; k++) if (!(order[k] in done)) print want[order[k]] }' - "$sample"
}

# Sourced (tests/unit/setup_env.sh): the functions above only.
if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
	return 0
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$root"

want_run=0 production=0
for arg in "$@"; do
	case $arg in
	--run) want_run=1 ;;
	--production) production=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) echo "setup: ignoring unknown argument: $arg" >&2 ;;
	esac
done

say() { printf 'setup: %s\n' "$*"; }
die() {
	printf 'setup: error: %s\n' "$*" >&2
	exit 1
}

if [[ $(id -u) -eq 0 ]]; then
	as_root() { "$@"; }
else
	command -v sudo >/dev/null 2>&1 || die "not root and no sudo: run ./setup.sh as root"
	as_root() { sudo -- "$@"; }
fi

# ---------------------------------------------------------------------------
# 1. Packages

packages=(
	build-essential pkg-config make git ca-certificates
	libpq-dev libjson-c-dev libssl-dev libcurl4-openssl-dev libargon2-dev libzxcvbn-dev
	liboath-dev
	libfcgi-dev libfcgi-bin spawn-fcgi multiwatch libapache2-mod-fcgid
	libcmocka-dev
	postgresql postgresql-client
	python3 python3-aiosmtpd python3-jwt python3-bcrypt
	bats parallel jq curl openssl clang-format argon2
	coreutils util-linux procps
	apache2-bin acl
	lighttpd
	chromium fonts-liberation
	libcrypt-dev
	pgbouncer wrk valgrind clang libclang-rt-14-dev
	apache2 dpkg-dev debhelper fakeroot lintian
)
if [[ $production -eq 1 ]]; then
	# Building and running only (the Debian package's Build-Depends and
	# Depends, and Apache).
	packages=(
		build-essential pkg-config make ca-certificates
		libpq-dev libjson-c-dev libssl-dev libcurl4-openssl-dev libargon2-dev libzxcvbn-dev
		liboath-dev libfcgi-dev libcrypt-dev spawn-fcgi multiwatch procps postgresql-client
		apache2
	)
fi
# npm (for Swagger UI): Debian's nodejs + npm, unless a node with npm is
# already installed (NodeSource's nodejs bundles npm and conflicts with it).
if ! command -v npm >/dev/null 2>&1; then
	packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
	if [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) != ii* ]]; then
		missing+=("$p")
	fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
	say "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" </dev/null
	installed="installed ${#missing[@]} packages"
else
	installed="all packages present"
fi
say "$installed"

# apache2 (Debian's full package, for the package test, a VPS, and the stock
# /etc/apache2 that tests/http/debian-host.bats copies): the tests
# start their own servers on free ports; the package starts one on port 80,
# switched off right after installing, except for a production install.
if [[ $production -eq 0 && " ${missing[*]} " == *" apache2 "* ]]; then
	as_root systemctl disable apache2 >/dev/null 2>&1 || as_root update-rc.d apache2 disable >/dev/null 2>&1 || true
	if [[ -d /run/systemd/system ]]; then
		as_root systemctl stop apache2 >/dev/null 2>&1 || true
	else
		as_root service apache2 stop >/dev/null 2>&1 || true
	fi
fi
# lighttpd: the tests start their own on free ports; the package enables and
# starts a server of its own on port 80, switched off right after installing.
if [[ " ${missing[*]} " == *" lighttpd "* ]]; then
	as_root systemctl disable lighttpd >/dev/null 2>&1 || as_root update-rc.d lighttpd disable >/dev/null 2>&1 || true
	if [[ -d /run/systemd/system ]]; then
		as_root systemctl stop lighttpd >/dev/null 2>&1 || true
	else
		as_root service lighttpd stop >/dev/null 2>&1 || true
	fi
fi
# pgbouncer: the same; the tests start a private one (tests/lib/pgbouncer.sh)
# on a free port, and a deployment configures its own (DEPLOYMENT_GUIDE.md).
if [[ " ${missing[*]} " == *" pgbouncer "* ]]; then
	as_root systemctl disable pgbouncer >/dev/null 2>&1 || as_root update-rc.d pgbouncer disable >/dev/null 2>&1 || true
	if [[ -d /run/systemd/system ]]; then
		as_root systemctl stop pgbouncer >/dev/null 2>&1 || true
	else
		as_root service pgbouncer stop >/dev/null 2>&1 || true
	fi
fi

if [[ $production -eq 1 ]]; then
	say "building"
	make -j"$(nproc)"
fi

# ---------------------------------------------------------------------------
# 2. The local PostgreSQL cluster (Debian's postgresql-common; no systemd needed)
# Steps 2 to 5 are the development setup: --production skips them.
if [[ $production -eq 0 ]]; then

pg_version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
[[ -n $pg_version && -x /usr/lib/postgresql/$pg_version/bin/postgres ]] ||
	die "no PostgreSQL server under /usr/lib/postgresql"
cluster_line=$(pg_lsclusters -h 2>/dev/null | awk -v v="$pg_version" '$1 == v' | head -n 1 || true)
if [[ -z $cluster_line ]]; then
	say "creating PostgreSQL cluster $pg_version/main"
	as_root pg_createcluster --locale C.UTF-8 "$pg_version" main >/dev/null
	cluster_line=$(pg_lsclusters -h | awk -v v="$pg_version" '$1 == v' | head -n 1)
fi
read -r _ pg_cluster pg_port pg_status _ <<<"$cluster_line"
if [[ $pg_status != online* ]]; then
	say "starting PostgreSQL $pg_version/$pg_cluster on port $pg_port"
	as_root pg_ctlcluster "$pg_version" "$pg_cluster" start
fi
pg_ready() { (cd / && as_root runuser -u postgres -- pg_isready -q -p "$pg_port"); }
for _ in $(seq 1 30); do
	pg_ready && break
	sleep 1
done
pg_ready ||
	die "PostgreSQL $pg_version/$pg_cluster does not accept connections on port $pg_port"

# ---------------------------------------------------------------------------
# 3. Role and database

pg_super() {
	(cd / && as_root runuser -u postgres -- psql -X -q -A -t -v ON_ERROR_STOP=1 -p "$pg_port" "$@")
}
db_name=$(local_db_name "$root" .env)
[[ -z $db_name || $db_name =~ ^[a-z0-9_]{1,63}$ ]] || die "bad database name: $db_name"
db_notes=()
if [[ $(pg_super -c "SELECT 1 FROM pg_roles WHERE rolname = 'medicalcare'") != 1 ]]; then
	pg_super -c "CREATE ROLE medicalcare LOGIN PASSWORD 'medicalcare'"
	db_notes+=("created role medicalcare")
fi
if [[ -n $db_name && $(pg_super -c "SELECT 1 FROM pg_database WHERE datname = '$db_name'") != 1 ]]; then
	pg_super -c "CREATE DATABASE \"$db_name\" OWNER medicalcare ENCODING 'UTF8' TEMPLATE template0"
	db_notes+=("created database $db_name")
fi
if [[ -z $db_name ]]; then
	db_note=".env names a database of its own (not created here)"
elif [[ ${#db_notes[@]} -eq 0 ]]; then
	db_note="role medicalcare and database $db_name exist"
else
	db_note=$(IFS=,; printf '%s' "${db_notes[*]}" | sed 's/,/, /g')
fi
say "$db_note"

# ---------------------------------------------------------------------------
# 4. .env

database_url="postgresql://medicalcare:medicalcare@localhost:$pg_port/$db_name"
if [[ -e .env ]]; then
	env_note=".env exists, left as it is"
else
	secret=$(openssl rand -base64 48 | tr -d '\n')
	[[ ${#secret} -ge 64 ]] || die "could not generate JWT_SECRET_KEY"
	mfa_key=$(openssl rand -base64 48 | tr -d '\n')
	[[ ${#mfa_key} -ge 64 ]] || die "could not generate MFA_ENCRYPTION_KEY"
	tmp=$(umask 077 && mktemp .env.XXXXXX)
	if [[ -f env.sample ]]; then
		local_env_text env.sample env.local "$secret" "$database_url" "$mfa_key" >"$tmp"
		env_note="wrote .env from env.sample and env.local with a new JWT_SECRET_KEY and MFA_ENCRYPTION_KEY"
	else
		printf '# Written by setup.sh (there was no env.sample).\nDATABASE_URL=%s\nJWT_SECRET_KEY=%s\nMFA_ENCRYPTION_KEY=%s\n' \
		    "$database_url" "$secret" "$mfa_key" >"$tmp"
		env_note="wrote a minimal .env (no env.sample found) with a new JWT_SECRET_KEY and MFA_ENCRYPTION_KEY"
	fi
	chmod 600 "$tmp"
	mv -n -- "$tmp" .env
	rm -f -- "$tmp"
	unset secret mfa_key
fi
# The web server's programs run as www-data under root's Apache (make run):
# they read .env through its group. Otherwise only the owner reads it.
if [[ $(id -u) -eq 0 ]] && getent group www-data >/dev/null 2>&1; then
	chown root:www-data .env
	chmod 640 .env
	env_mode="0640 root:www-data"
else
	chmod 600 .env
	env_mode=0600
fi
say "$env_note (mode $env_mode)"

# ---------------------------------------------------------------------------
# 5. Build and schema

say "building"
make -j"$(nproc)"
say "applying the schema"
sql/migrate.sh
fi

# ---------------------------------------------------------------------------
# 6. Swagger UI for /docs (docs/package.json, docs/package-lock.json)

# The version the lock file pins, and the one installed (empty when none).
docs_want=$(sed -n '/"node_modules\/swagger-ui-dist"/,/}/s/.*"version": *"\([^"]*\)".*/\1/p' \
    docs/package-lock.json | head -n 1)
docs_have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' \
    docs/node_modules/swagger-ui-dist/package.json 2>/dev/null | head -n 1 || true)
if [[ -n $docs_want && $docs_have == "$docs_want" ]]; then
	docs_note="swagger-ui-dist $docs_have present"
else
	say "installing swagger-ui-dist ${docs_want:-?} into docs/node_modules (npm ci)"
	# --ignore-scripts: the package's dependency @scarf/scarf would report
	# the install to its vendor from a postinstall script.
	(cd docs && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) ||
		die "npm ci in docs/ failed (is the npm registry reachable?)"
	[[ -f docs/node_modules/swagger-ui-dist/swagger-ui-bundle.js ]] ||
		die "npm ci did not install docs/node_modules/swagger-ui-dist"
	docs_note="installed swagger-ui-dist $docs_want"
fi
say "$docs_note"

if [[ $production -eq 1 ]]; then
	cat <<-EOF

		setup: done (production)
		  packages:   $installed
		  built:      cgi-bin/*.cgi, bin/*
		  docs:       $docs_note
		  next:       DEPLOYMENT_GUIDE.md, "Apache on a VPS", "From a source tree"
	EOF
	exit 0
fi

# ---------------------------------------------------------------------------
# 7. The browser test's npm packages (tests/browser/package-lock.json):
# playwright-core, which drives Debian's /usr/bin/chromium (no browser is
# downloaded: never `npx playwright install`), and qrcode, which the test
# page draws the two-factor QR code with. npm ci unless each is there at the
# version the lock file pins.
browser_note=""
bt_ci=0
for bt_pkg in playwright-core qrcode; do
	bt_want=$(sed -n "/\"node_modules\/$bt_pkg\"/,/}/s/.*\"version\": *\"\([^\"]*\)\".*/\1/p" \
	    tests/browser/package-lock.json | head -n 1)
	bt_have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' \
	    "tests/browser/node_modules/$bt_pkg/package.json" 2>/dev/null | head -n 1 || true)
	[[ -n $bt_want && $bt_have == "$bt_want" ]] || bt_ci=1
	browser_note+="${browser_note:+, }$bt_pkg ${bt_want:-?}"
done
if [[ $bt_ci -eq 0 ]]; then
	browser_note="$browser_note present"
else
	say "installing $browser_note into tests/browser/node_modules (npm ci)"
	(cd tests/browser && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) ||
		die "npm ci in tests/browser/ failed (is the npm registry reachable?)"
	for bt_pkg in playwright-core qrcode; do
		[[ -f tests/browser/node_modules/$bt_pkg/package.json ]] ||
			die "npm ci did not install tests/browser/node_modules/$bt_pkg"
	done
	browser_note="installed $browser_note"
fi
say "$browser_note"

cat <<EOF

setup: done
  packages:   $installed
  postgresql: $pg_version/$pg_cluster on port $pg_port; $db_note
  .env:       $env_note (mode $env_mode)
  built:      cgi-bin/*.cgi, bin/*
  docs:       $docs_note
  browser:    $browser_note
  next:       make run (serves http://localhost:8000), make test
EOF
if [[ $want_run -eq 1 ]]; then
	echo
	exec apache/run.sh
fi
