#!/usr/bin/env bash
# The SMTP transport against tests/lib/smtp_sink.py: plain SMTP with AUTH,
# STARTTLS, implicit TLS, a wrong password, and permanent (550) and temporary
# (451) refusals, each through `medicalcare-outbox --test-to`. No database.
#
# MC_BIN_DIR: where medicalcare-outbox is (default bin, relative to the repo).
# Prints one line per check; exits 0 only if every check passed.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
bin_dir=${MC_BIN_DIR:-bin}
case $bin_dir in /*) ;; *) bin_dir=$root/$bin_dir ;; esac
outbox=$bin_dir/medicalcare-outbox
py=/usr/bin/python3
sink_py=$root/tests/lib/smtp_sink.py

user=mailer@example.com
pass='Sink-Pass-7f3a9'
to=someone@example.com

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mail_smtp.XXXXXX") || exit 1
sink_pids=()

cleanup() {
	local p
	for p in "${sink_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${sink_pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failed=0
n=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	local line
	for line in "$@"; do
		echo "#   $line"
	done
}

if [ ! -x "$outbox" ]; then
	echo "not ok 1 - $outbox is not built"
	exit 1
fi

# start_sink NAME [sink options...]: starts a sink storing into $tmp/NAME and
# sets $port to the port it listens on.
start_sink() {
	local name=$1
	shift
	mkdir -p "$tmp/$name"
	"$py" "$sink_py" --host 127.0.0.1 --port 0 --port-file "$tmp/$name.port" \
		--dir "$tmp/$name" "$@" 2>"$tmp/$name.log" &
	sink_pids+=($!)
	local i
	for ((i = 0; i < 100; i++)); do
		if [ -s "$tmp/$name.port" ]; then
			port=$(cat "$tmp/$name.port")
			return 0
		fi
		if ! kill -0 "$!" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	echo "# sink $name did not start:"
	sed 's/^/#   /' "$tmp/$name.log"
	exit 1
}

# send NAME PORT SECURITY HOST [VAR=value...]: runs the tool; sets $rc, and
# leaves its stdout and stderr in $tmp/NAME.out and $tmp/NAME.err.
send() {
	local name=$1 sport=$2 security=$3 host=$4
	shift 4
	env -i PATH="$PATH" \
		${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} \
		${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
		JWT_SECRET_KEY=0123456789abcdef0123456789abcdef01234567 \
		MEDICALCARE_ENV_FILE=/dev/null \
		MAIL_TRANSPORT=smtp \
		SMTP_SERVER="$host" SMTP_PORT="$sport" SMTP_SECURITY="$security" \
		SMTP_EMAIL="$user" SMTP_PASSWORD="$pass" SMTP_TIMEOUT=10 \
		"$@" \
		"$outbox" --test-to "$to" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
}

count_eml() {
	find "$1" -maxdepth 1 -name '[0-9]*.eml' | wc -l
}

# check_delivery CHECK DIR SEQ TLS: the stored message and its envelope.
check_delivery() {
	local check=$1 dir=$2 seq=$3 tls=$4
	local eml=$dir/$seq.eml js=$dir/$seq.json problems=()

	[ "$rc" -eq 0 ] || problems+=("exit status $rc, want 0")
	[ "$(cat "$tmp/$check.out")" = "sent" ] ||
		problems+=("stdout: $(head -c 300 "$tmp/$check.out")")
	if [ -f "$eml" ] && [ -f "$js" ]; then
		[ "$(grep -c $'^To: <someone@example.com>\r$' "$eml")" = 1 ] ||
			problems+=("no single To: <$to> header")
		[ "$(grep -c $'^Subject: MedicalCare test message\r$' "$eml")" = 1 ] ||
			problems+=("no single Subject header")
		[ "$(grep -c $'^From: "MedicalCare" <mailer@example.com>\r$' "$eml")" = 1 ] ||
			problems+=("no single From header")
		[ "$(jq -r .auth_user "$js")" = "$user" ] ||
			problems+=("auth_user $(jq -c .auth_user "$js"), want $user")
		[ "$(jq -c .rcpt_tos "$js")" = "[\"$to\"]" ] ||
			problems+=("rcpt_tos $(jq -c .rcpt_tos "$js")")
		[ "$(jq -r .mail_from "$js")" = "$user" ] ||
			problems+=("mail_from $(jq -c .mail_from "$js")")
		[ "$(jq -r .tls "$js")" = "$tls" ] ||
			problems+=("tls $(jq -c .tls "$js"), want $tls")
	else
		problems+=("no message $seq stored in $dir")
	fi
	if [ ${#problems[@]} -eq 0 ]; then
		ok "$check"
	else
		not_ok "$check" "${problems[@]}" "stderr: $(head -c 500 "$tmp/$check.err")"
	fi
}

# check_refused CHECK DIR WANT_COUNT PREFIX REPLY: the tool failed, said
# PREFIX ("permanent failure: " / "temporary failure: ") mentioning REPLY, and
# nothing new was stored.
check_refused() {
	local check=$1 dir=$2 want=$3 prefix=$4 reply=$5
	local out problems=()

	out=$(cat "$tmp/$check.out")
	[ "$rc" -eq 1 ] || problems+=("exit status $rc, want 1")
	case $out in
	"$prefix"*) ;;
	*) problems+=("stdout: $out, want $prefix...") ;;
	esac
	case $out in
	*"$reply"*) ;;
	*) problems+=("stdout does not mention $reply") ;;
	esac
	[ "$(count_eml "$dir")" = "$want" ] ||
		problems+=("$(count_eml "$dir") messages stored, want $want")
	if grep -qF -- "$pass" "$tmp/$check.out" "$tmp/$check.err"; then
		problems+=("the password appears in the output")
	fi
	if [ ${#problems[@]} -eq 0 ]; then
		ok "$check"
	else
		not_ok "$check" "${problems[@]}" "stderr: $(head -c 500 "$tmp/$check.err")"
	fi
}

# Throwaway certificates for CN=localhost, each its own CA: cert.pem for the
# sinks, other.pem a stranger's.
for c in cert other; do
	if ! openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost -keyout "$tmp/$c.key" -out "$tmp/$c.pem" \
		>"$tmp/openssl.log" 2>&1; then
		echo "# could not make a certificate:"
		sed 's/^/#   /' "$tmp/openssl.log"
		exit 1
	fi
done

# 1. Plain SMTP with AUTH.
start_sink plain --auth "$user:$pass"
plain_port=$port
send plain_auth "$plain_port" none 127.0.0.1
check_delivery plain_auth "$tmp/plain" 000001 false

# 2. A wrong password is refused (535) and nothing is stored; it is a
#    temporary failure, so queued mail waits for the settings to be fixed.
send wrong_password "$plain_port" none 127.0.0.1 SMTP_PASSWORD=not-the-password
check_refused wrong_password "$tmp/plain" 1 "temporary failure: " "Login denied"

# 3. STARTTLS, the server's certificate checked against SMTP_CA_FILE.
start_sink starttls --tls-cert "$tmp/cert.pem" --tls-key "$tmp/cert.key" --require-starttls \
	--auth "$user:$pass"
starttls_port=$port
send starttls "$starttls_port" starttls localhost SMTP_CA_FILE="$tmp/cert.pem"
check_delivery starttls "$tmp/starttls" 000001 true

# 4. A certificate that SMTP_CA_FILE does not vouch for is refused.
send starttls_untrusted "$starttls_port" starttls localhost SMTP_CA_FILE="$tmp/other.pem"
check_refused starttls_untrusted "$tmp/starttls" 1 "temporary failure: " "certificate"

# 5. So is a trusted certificate for another name (127.0.0.1 is not localhost).
send starttls_wrong_host "$starttls_port" starttls 127.0.0.1 SMTP_CA_FILE="$tmp/cert.pem"
check_refused starttls_wrong_host "$tmp/starttls" 1 "temporary failure: " "smtp: "

# 6. STARTTLS asked for but the server offers none: no plain-text fallback.
send starttls_not_offered "$plain_port" starttls 127.0.0.1
check_refused starttls_not_offered "$tmp/plain" 1 "temporary failure: " "smtp: "

# 7. Implicit TLS (SMTPS).
start_sink implicit --tls-cert "$tmp/cert.pem" --tls-key "$tmp/cert.key" --implicit-tls \
	--auth "$user:$pass"
send implicit_tls "$port" tls localhost SMTP_CA_FILE="$tmp/cert.pem"
check_delivery implicit_tls "$tmp/implicit" 000001 true

# 8. A 550 reply to DATA is a permanent failure.
printf '550 5.1.1 no such user\n' >"$tmp/plain/.reply"
send reply_550 "$plain_port" none 127.0.0.1
check_refused reply_550 "$tmp/plain" 1 "permanent failure: " "reply 550"

# 9. A 451 reply to DATA is a temporary failure.
printf '451 4.3.0 try later\n' >"$tmp/plain/.reply"
send reply_451 "$plain_port" none 127.0.0.1
check_refused reply_451 "$tmp/plain" 1 "temporary failure: " "reply 451"

# 10. Once the server accepts again, the next message goes through.
rm -f "$tmp/plain/.reply"
send plain_again "$plain_port" none 127.0.0.1
check_delivery plain_again "$tmp/plain" 000002 false

# 11. No server listening is a temporary failure.
start_sink gone
gone_port=$port
kill "${sink_pids[-1]}"
wait "${sink_pids[-1]}" 2>/dev/null
send connection_refused "$gone_port" none 127.0.0.1
check_refused connection_refused "$tmp/gone" 0 "temporary failure: " "smtp: "

echo "# $((n - failed)) of $n checks passed"
[ "$failed" -eq 0 ]
