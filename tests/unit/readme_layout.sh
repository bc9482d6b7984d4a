#!/usr/bin/env bash
# README.md's layout table names every module of common/: each header
# common/NAME.h appears as `NAME` in the table's common/ row.
set -uo pipefail
cd "${MC_SOURCE_DIR:-.}" || exit 2

row=$(grep -m1 '^| `common/` |' README.md)
n=1
if [[ -z $row ]]; then
	echo "not ok $n - README.md has a layout row for common/"
	exit 1
fi
missing=()
for h in common/*.h; do
	m=$(basename "$h" .h)
	[[ $row == *"\`$m\`"* ]] || missing+=("$m")
done
if [[ ${#missing[@]} -eq 0 ]]; then
	echo "ok $n - README.md's layout names every module of common/ ($(ls common/*.h | wc -l))"
else
	echo "not ok $n - README.md's layout names every module of common/"
	echo "# not named: ${missing[*]}"
	exit 1
fi
