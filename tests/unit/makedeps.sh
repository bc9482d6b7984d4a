#!/usr/bin/env bash
# The Makefile compiles again what includes a changed header, and nothing
# else (compiler-generated dependencies, -MMD -MP): for a few headers, the
# objects (library, programs, tools, unit tests) `make -n -W HEADER` would
# compile are exactly those whose dependency file (.d) names the header, and
# they are fewer than all. (What links the library is linked again.)
# Reads the release build (build/rel) that the test command made before.
set -uo pipefail
cd "${MC_SOURCE_DIR:-.}" || exit 2
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

# The targets (objects, unit tests) whose .d lists HEADER, sorted.
includers() {
	local d
	local src
	for d in build/rel/obj/*/*.d; do
		[[ -e $d ]] || continue
		# Left by a source file that is gone: make ignores its object.
		src=${d#build/rel/obj/}
		src=${src%.d}.c
		[[ $src == tests/* ]] && src=tests/unit/${src#tests/}
		[[ -e $src ]] || continue
		# The rule's prerequisites up to the first blank line; -MP's empty
		# rules for the headers come after it.
		if awk 'NF == 0 { exit } { print }' "$d" | tr -s ' \\' '\n' | grep -qx -- "$1"; then
			awk -F: 'NR == 1 { print $1; exit }' "$d"
		fi
	done | sort
}

# What make would compile if HEADER were new, sorted.
would_compile() {
	make -n -W "$1" all unit 2>/dev/null |
		grep -oE -- '-c -o build/rel/obj/[^ ]+\.o' |
		awk '{ print $3 }' | sort -u
}

only_includers_rebuilt() { # HEADER
	local want got all
	want=$(includers "$1")
	got=$(would_compile "$1")
	all=$(ls build/rel/obj/*/*.o 2>/dev/null | wc -l)
	if [[ -z $want ]]; then
		echo "# no dependency file names $1: is build/rel built with -MMD?" >&2
		return 1
	fi
	if [[ $want != "$got" ]]; then
		echo "# $1: includers and what make would compile differ:" >&2
		diff <(echo "$want") <(echo "$got") | sed 's/^/# /' >&2
		return 1
	fi
	if (($(wc -l <<<"$want") >= all)); then
		echo "# $1: every target would be rebuilt ($all)" >&2
		return 1
	fi
}

for h in common/b64.h common/jwt.h common/hashgate.h; do
	check "a change to $h compiles again only what includes it" only_includers_rebuilt "$h"
done

echo "# $((n - failed)) of $n checks passed"
[[ $failed -eq 0 ]]
