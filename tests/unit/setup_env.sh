#!/usr/bin/env bash
# setup.sh's local settings (its functions, sourced): each checkout gets a
# database of its own, and the .env it writes is env.sample (the production
# template) with env.local's values, a key and that database: mail written
# to files there, while env.sample itself sends through SMTP.
set -uo pipefail
cd "${MC_SOURCE_DIR:-.}" || exit 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mc-setup-env.XXXXXX") || exit 2
trap 'rm -rf -- "$tmp"' EXIT
# shellcheck source=setup.sh
source ./setup.sh
set +e
n=0 failed=0

check() { # NAME COMMAND...
	n=$((n + 1))
	if "${@:2}"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		failed=$((failed + 1))
	fi
}

two_checkouts_get_two_databases() {
	local a b
	a=$(local_db_name /work/main "$tmp/none")
	b=$(local_db_name /work/wt-Other.Checkout "$tmp/none")
	[[ $a =~ ^medicalcare_main_[0-9a-f]{8}$ && $b =~ ^medicalcare_wt_other_checkout_[0-9a-f]{8}$ ]] ||
	    { echo "# $a $b" >&2; return 1; }
	[[ $a != "$b" && $(local_db_name /srv/x/main "$tmp/none") != "$a" ]] || return 1
	# The same checkout, the same name.
	[[ $(local_db_name /work/main "$tmp/none") == "$a" ]]
}

an_existing_env_keeps_its_database() {
	printf 'DATABASE_URL=postgresql://medicalcare:medicalcare@localhost:5432/medicalcare\n' >"$tmp/old.env"
	[[ $(local_db_name /work/main "$tmp/old.env") == medicalcare ]] || return 1
	printf 'DATABASE_URL=postgresql://app:secret@db.example.com:5432/prod\n' >"$tmp/remote.env"
	[[ -z $(local_db_name /work/main "$tmp/remote.env") ]]
}

the_local_env_is_the_template_with_local_values() {
	local env=$tmp/local.env url=postgresql://medicalcare:medicalcare@localhost:5432/medicalcare_x_01234567
	local_env_text env.sample env.local 'k3y/with+base64=' "$url" 'mfa/k3y+Base64=' >"$env" || return 1
	[[ $(grep -c -E '^(JWT_SECRET_KEY|MFA_ENCRYPTION_KEY|DATABASE_URL|MAIL_TRANSPORT|MAIL_DIR|FRONTEND_URL)=' "$env") -eq 6 ]] ||
	    { grep -n -E '^[A-Z]' "$env" >&2; return 1; }
	grep -q -x 'JWT_SECRET_KEY=k3y/with+base64=' "$env" &&
	    grep -q -x 'MFA_ENCRYPTION_KEY=mfa/k3y+Base64=' "$env" &&
	    grep -q -x "DATABASE_URL=$url" "$env" &&
	    grep -q -x 'MAIL_TRANSPORT=file' "$env" &&
	    grep -q -x 'MAIL_DIR=./mail' "$env" &&
	    grep -q -x 'FRONTEND_URL=http://localhost:3000' "$env" || return 1
	# Everything else is the template's, comments included.
	[[ $(grep -c '^#' "$env") -ge $(($(grep -c '^#' env.sample) - 1)) ]] || return 1
	# A development checkout's settings: fine for --local, not for production.
	sed -i -e 's|^JWT_SECRET_KEY=.*|JWT_SECRET_KEY=Vq3+J0x9Lw/2mZ8cR5tY1uE7iO4pA6sD|' \
	    -e 's|^MFA_ENCRYPTION_KEY=.*|MFA_ENCRYPTION_KEY=Hs8-Ke2+Wp5/Nq7xZb4Lc1Dv6Gy9Tj3M|' "$env"
	chmod 600 "$env"
	MEDICALCARE_ENV_FILE=$env bin/medicalcare-check --local --no-database >/dev/null 2>&1 || return 1
	! MEDICALCARE_ENV_FILE=$env bin/medicalcare-check --no-database >/dev/null 2>&1
}

env_sample_sends_mail_and_leaves_the_secrets_to_fill_in() {
	grep -q -x 'MAIL_TRANSPORT=smtp' env.sample &&
	    grep -q -x 'JWT_SECRET_KEY=' env.sample &&
	    grep -q -x 'MFA_ENCRYPTION_KEY=' env.sample &&
	    grep -q -x 'SMTP_PASSWORD=' env.sample &&
	    grep -q -E '^FRONTEND_URL=https://' env.sample &&
	    ! grep -q -E '^MAIL_TRANSPORT=file' env.sample
}

check "two checkouts get two databases, each always the same" two_checkouts_get_two_databases
check "an existing .env keeps the database it names" an_existing_env_keeps_its_database
check "the local .env is env.sample with env.local's values, the keys and the database" \
    the_local_env_is_the_template_with_local_values
check "env.sample sends mail through SMTP and leaves the secrets to fill in" \
    env_sample_sends_mail_and_leaves_the_secrets_to_fill_in
echo "# $((n - failed)) of $n checks passed"
[[ $failed -eq 0 ]]
