#!/usr/bin/env bash
# No include cycle among the modules of common/: a module is a .c file and
# its .h (conf.c and conf.h are "conf"), and it depends on each module whose
# header either file includes ("..." includes only). tsort(1) finds any
# cycle in that graph; each one is printed with the includes that make it.
set -uo pipefail
cd "${MC_SOURCE_DIR:-.}" || exit 2

# "from to" for every include of a project header by another module.
edges() {
	local f mod h
	for f in common/*.c common/*.h; do
		mod=$(basename "${f%.*}")
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)\.h".*/\1/p' "$f" |
			while read -r h; do
				h=$(basename "$h")
				[[ $h != "$mod" && -e common/$h.h ]] && echo "$mod $h"
			done
	done | sort -u
}

n=1
e=$(edges)
if [[ -z $e ]]; then
	echo "not ok $n - no include cycle in common/ (no includes found: run from the project root)"
	exit 1
fi
loops=$(tsort <<<"$e" 2>&1 >/dev/null | sed -n 's/^tsort: //p' | grep -v 'input contains a loop' | sort -u)
if [[ -z $loops ]]; then
	echo "ok $n - no include cycle in common/ ($(wc -l <<<"$e") module dependencies)"
	exit 0
fi
echo "not ok $n - no include cycle in common/"
echo "# modules on a cycle (tsort):" $loops
echo "# their includes:"
for m in $loops; do
	grep -H -n -E "^[[:space:]]*#[[:space:]]*include[[:space:]]*\"($(tr ' ' '|' <<<"$(echo $loops)"))\.h\"" \
	    "common/$m.c" "common/$m.h" 2>/dev/null | grep -v "\"$m\.h\"" | sed 's/^/#   /'
done
exit 1
