#!/usr/bin/env bash
# Checks the C sources: the layout is what .clang-format makes of it
# (clang-format --dry-run --Werror), and no banned call is used (strcpy,
# strcat, sprintf, vsprintf, strtok, atoi, gets; snprintf, strtok_r and
# friends are fine). Comments and string literals are ignored by the call check.
#
# Files: common/*.[ch] cgi-bin/*.c tools/*.c tests/unit/*.[ch] fuzz/*.[ch], those that exist.
# Prints "format: ok", or each offending file (and file:line for a banned call),
# and exits 1.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2

shopt -s nullglob
files=(common/*.c common/*.h cgi-bin/*.c tools/*.c tests/unit/*.c tests/unit/*.h fuzz/*.c fuzz/*.h)
shopt -u nullglob

if [[ ${#files[@]} -eq 0 ]]; then
	echo "format: ok (no C files)"
	exit 0
fi

if ! command -v clang-format >/dev/null 2>&1; then
	echo "format: clang-format not found: run ./setup.sh" >&2
	exit 1
fi

bad=0
for f in "${files[@]}"; do
	if ! clang-format --dry-run --Werror --style=file "$f" >/dev/null 2>&1; then
		echo "format: $f is not clang-formatted (run: clang-format -i $f)"
		bad=1
	fi
done

banned=$(/usr/bin/python3 - "${files[@]}" <<'EOF'
import re, sys

BANNED = re.compile(r"(?<![A-Za-z0-9_])(strcpy|strcat|sprintf|vsprintf|strtok|atoi|gets)\s*\(")

def strip(text):
    """Blanks out comments, string and character literals, keeping newlines."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)

for path in sys.argv[1:]:
    with open(path, encoding="utf-8", errors="replace") as f:
        text = strip(f.read())
    for no, line in enumerate(text.split("\n"), 1):
        for m in BANNED.finditer(line):
            print("%s:%d: %s()" % (path, no, m.group(1)))
EOF
) || {
	echo "format: the banned-call check could not run" >&2
	exit 1
}
if [[ -n $banned ]]; then
	while IFS= read -r line; do
		echo "format: banned call: $line"
	done <<<"$banned"
	bad=1
fi

if [[ $bad -eq 0 ]]; then
	echo "format: ok"
fi
exit $bad
