#!/usr/bin/env bash
# docs/CONTRACT.md and what cites it agree: every rule id is defined once
# ("- **SU-2**"), and every id that the code, the tests, the README and the
# OpenAPI document cite after "docs/CONTRACT.md" is defined ("SU-2",
# "LI-4 to LI-6", "G-*" for a whole section).
set -uo pipefail
cd "${MC_SOURCE_DIR:-.}" || exit 2
doc=docs/CONTRACT.md
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

defined() { sed -nE 's/^- \*\*([A-Z]+-[0-9]+)\*\*.*/\1/p' "$doc"; }

ids_are_defined_once() {
	local dup
	[[ -n $(defined) ]] || { echo "# no rule ids in $doc" >&2; return 1; }
	dup=$(defined | sort | uniq -d)
	[[ -z $dup ]] || { echo "# defined twice: $dup" >&2; return 1; }
}

# Each file that names docs/CONTRACT.md, with the ids it cites there (the
# ids on the lines from the one naming the file to the next blank one).
cited() {
	grep -rlE 'docs/CONTRACT\.md' common cgi-bin tools fuzz tests README.md DEPLOYMENT_GUIDE.md docs/openapi.json \
	    --exclude-dir=tmp 2>/dev/null | grep -v "^$doc$" | while read -r f; do
		grep -oE 'docs/CONTRACT\.md[^.;]*' "$f" | grep -oE '\b[A-Z]{1,2}-([0-9]+|\*)' | sed "s|^|$f |"
	done
}

cited_ids_exist() {
	local f id prefix bad=0 all
	all=$(defined)
	while read -r f id; do
		[[ -n $id ]] || continue
		if [[ $id == *-\* ]]; then
			prefix=${id%\*}
			grep -q "^$prefix" <<<"$all" && continue
		else
			grep -qx -- "$id" <<<"$all" && continue
		fi
		echo "# $f cites $id, which $doc does not define" >&2
		bad=1
	done < <(cited)
	return $bad
}

some_ids_are_cited() {
	[[ $(cited | wc -l) -ge 10 ]]
}

check "every rule id of $doc is defined once" ids_are_defined_once
check "every rule id cited with $doc exists in it" cited_ids_exist
check "the code and tests cite rule ids" some_ids_are_cited
echo "# $((n - failed)) of $n checks passed"
[[ $failed -eq 0 ]]
