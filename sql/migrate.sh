#!/usr/bin/env bash
# Applies the schema migrations sql/NNN_*.sql, in order, to the configured
# database. Each file runs in one transaction together with the row that
# records it in schema_migrations, so a file is either applied and recorded or
# not at all; files already recorded are skipped, so running this twice is safe.
# Concurrent runs serialize on an advisory lock. Migration files must not
# contain BEGIN/COMMIT of their own.
#
# The connection, as the programs find it (conf.h): DATABASE_URL; else
# INSTANCE_CONNECTION_NAME (host /cloudsql/<name>); else DB_HOST, DB_PORT,
# DB_NAME, DB_USER, DB_PASSWORD, DB_SSLMODE. Each variable comes from the
# environment or, failing that, from the env file: MEDICALCARE_ENV_FILE, else
# .env in the project root (a missing .env is fine).
#
# Usage: sql/migrate.sh [--status]
#   --status   list applied and pending migrations, change nothing
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
status_only=0

for arg in "$@"; do
	case $arg in
	--status) status_only=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		echo "migrate: unknown argument: $arg" >&2
		exit 2
		;;
	esac
done

die() {
	echo "migrate: $*" >&2
	exit 1
}

command -v psql >/dev/null 2>&1 || die "psql not found: run ./setup.sh"

# Reads NAME=value pairs from an env file (the format conf.h describes:
# "export " prefixes, # comments, single or double quotes, an unquoted value
# ending at " #") and sets each NAME that the environment does not have. Only
# the connection settings are taken; the file is never executed.
envfile_load() {
	local file=$1 line key val
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%$'\r'}
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		[[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*(.*)$ ]] || continue
		key=${BASH_REMATCH[2]}
		val=${BASH_REMATCH[3]}
		case $key in
		DATABASE_URL | INSTANCE_CONNECTION_NAME | DB_HOST | DB_PORT | DB_NAME | DB_USER | DB_PASSWORD | DB_SSLMODE) ;;
		*) continue ;;
		esac
		[[ -n ${!key:-} ]] && continue
		if [[ $val =~ ^\'([^\']*)\' ]]; then
			val=${BASH_REMATCH[1]}
		elif [[ $val == \"* ]]; then
			val=${val#\"}
			local out="" c
			while [[ -n $val ]]; do
				c=${val:0:1}
				val=${val:1}
				if [[ $c == '\' && -n $val ]]; then
					c=${val:0:1}
					val=${val:1}
					[[ $c == n ]] && c=$'\n'
				elif [[ $c == '"' ]]; then
					break
				fi
				out+=$c
			done
			val=$out
		else
			val=${val%%[[:space:]]#*}
			val=${val%"${val##*[![:space:]]}"}
		fi
		printf -v "$key" '%s' "$val"
		export "${key?}"
	done <"$file"
}

if [[ -z ${DATABASE_URL:-} ]]; then
	envfile=${MEDICALCARE_ENV_FILE:-}
	if [[ -n $envfile ]]; then
		[[ -r $envfile ]] || die "cannot read MEDICALCARE_ENV_FILE=$envfile"
		envfile_load "$envfile"
	elif [[ -r $root/.env ]]; then
		envfile_load "$root/.env"
	fi
fi

conn=()
if [[ -n ${DATABASE_URL:-} ]]; then
	conn=(-d "$DATABASE_URL")
	target=$(printf '%s' "$DATABASE_URL" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#')
elif [[ -n ${INSTANCE_CONNECTION_NAME:-} ]]; then
	export PGHOST=/cloudsql/$INSTANCE_CONNECTION_NAME
	[[ -n ${DB_NAME:-} ]] && export PGDATABASE=$DB_NAME
	[[ -n ${DB_USER:-} ]] && export PGUSER=$DB_USER
	[[ -n ${DB_PASSWORD:-} ]] && export PGPASSWORD=$DB_PASSWORD
	target="$PGHOST/${DB_NAME:-}"
elif [[ -n ${DB_HOST:-}${DB_NAME:-}${DB_USER:-} ]]; then
	[[ -n ${DB_HOST:-} ]] && export PGHOST=$DB_HOST
	[[ -n ${DB_PORT:-} ]] && export PGPORT=$DB_PORT
	[[ -n ${DB_NAME:-} ]] && export PGDATABASE=$DB_NAME
	[[ -n ${DB_USER:-} ]] && export PGUSER=$DB_USER
	[[ -n ${DB_PASSWORD:-} ]] && export PGPASSWORD=$DB_PASSWORD
	[[ -n ${DB_SSLMODE:-} ]] && export PGSSLMODE=$DB_SSLMODE
	target="${DB_HOST:-localhost}:${DB_PORT:-5432}/${DB_NAME:-}"
else
	die "no database configured: set DATABASE_URL (or DB_HOST, DB_NAME, ...) in the environment or .env"
fi

# Quiet server notices ("relation already exists, skipping").
export PGOPTIONS="${PGOPTIONS:+$PGOPTIONS }-c client_min_messages=warning"
export PGAPPNAME=medicalcare-migrate

psqlx() {
	psql -X -q -v ON_ERROR_STOP=1 "${conn[@]}" "$@"
}

lock_sql="SELECT pg_advisory_xact_lock(hashtext('medicalcare schema_migrations'));"

psqlx --single-transaction -c "$lock_sql" -c "
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);" >/dev/null || die "could not reach the database at $target"

shopt -s nullglob
files=("$here"/[0-9][0-9][0-9]_*.sql)
shopt -u nullglob
applied=$(psqlx -At -c "SELECT version FROM schema_migrations ORDER BY version") ||
	die "could not read schema_migrations"

if [[ $status_only -eq 1 ]]; then
	echo "migrate: database $target"
	for f in "${files[@]}"; do
		v=$(basename "$f")
		if grep -qxF -- "$v" <<<"$applied"; then
			echo "  applied  $v"
		else
			echo "  pending  $v"
		fi
	done
	exit 0
fi

script=$(mktemp "${TMPDIR:-/tmp}/mc-migrate.XXXXXX")
trap 'rm -f -- "$script"' EXIT

n=0
for f in "${files[@]}"; do
	v=$(basename "$f")
	grep -qxF -- "$v" <<<"$applied" && continue
	# The check is repeated under the lock, so a concurrent run that applied
	# the file first makes this one skip it instead of failing.
	cat >"$script" <<-'EOF'
		SELECT pg_advisory_xact_lock(hashtext('medicalcare schema_migrations'));
		SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = :'mc_version') AS mc_done \gset
		\if :mc_done
		\echo skipped
		\else
		\i :mc_file
		INSERT INTO schema_migrations (version) VALUES (:'mc_version');
		\echo applied
		\endif
	EOF
	out=$(psqlx --single-transaction -v mc_version="$v" -v mc_file="$f" -f "$script") ||
		die "$v failed; nothing of it was applied"
	if [[ $out == *applied* ]]; then
		echo "migrate: applied $v"
		n=$((n + 1))
	fi
done

latest=$(psqlx -At -c "SELECT max(version) FROM schema_migrations")
if [[ $n -eq 0 ]]; then
	echo "migrate: nothing to apply; database $target is at ${latest:-no migration}"
else
	echo "migrate: $n applied; database $target is at $latest"
fi
