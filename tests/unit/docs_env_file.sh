#!/usr/bin/env bash
# One settings file per install, named in every command: each command in a
# sh or cron block of README.md, DEPLOYMENT_GUIDE.md and QUICK_START.md that runs
# a program (cgi-bin/*.cgi), a tool (bin/medicalcare-*) or the migrations
# (sql/migrate.sh) names its env file, with MEDICALCARE_ENV_FILE=... or an
# --env-file option, on the command's own lines (a command continued with a
# backslash counts as one). Cloud Run's commands are exempt: there the
# settings are the service's environment variables (--set-env-vars), and no
# env file exists.
set -uo pipefail
cd "${MC_SOURCE_DIR:-.}" || exit 2
n=0 failed=0

# Prints "FILE:LINE: command" for each command that runs something and names
# no env file.
unnamed_commands() {
	awk '
		FNR == 1 { fence = 0; shell = 0; cmd = ""; cloud = 0 }
		/^## / { cloud = ($0 ~ /Cloud Run/) }
		/^[[:space:]]*```/ {
			fence = !fence
			shell = fence && $0 ~ /```(sh|bash|cron)[[:space:]]*$/
			cmd = ""
			next
		}
		!shell { next }
		{
			if (cmd == "") start = FNR
			cmd = cmd " " $0
			if ($0 ~ /\\$/) next
			if (!cloud && cmd ~ /(cgi-bin\/[a-z-]+\.cgi|bin\/medicalcare-[a-z-]+|sql\/migrate\.sh)/ &&
			    cmd !~ /(MEDICALCARE_ENV_FILE=|--env-file)/ && cmd !~ /^[[:space:]]*#/)
				printf "%s:%d:%s\n", FILENAME, start, cmd
			cmd = ""
		}' README.md DEPLOYMENT_GUIDE.md QUICK_START.md
}

n=$((n + 1))
bad=$(unnamed_commands)
if [[ -z $bad ]]; then
	echo "ok $n - every documented command that runs a program names its env file"
else
	echo "not ok $n - every documented command that runs a program names its env file"
	while IFS= read -r line; do
		echo "# $line"
	done <<<"$bad"
	failed=$((failed + 1))
fi
echo "# $((n - failed)) of $n checks passed"
[[ $failed -eq 0 ]]
