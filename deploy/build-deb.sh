#!/usr/bin/env bash
# Builds the Debian package medicalcare-auth_<version>_<arch>.deb (make deb)
# with dpkg-buildpackage and debhelper, from a copy of the sources in
# build/deb/src, and checks it with lintian.
#
# The copy holds the files git knows (tracked, or new and not ignored), the
# version of VERSION (debian/changelog must agree), and Swagger UI's files
# for the /docs page from docs/node_modules/swagger-ui-dist (./setup.sh, or
# npm ci in docs/, installs them; the build fails without them).
#
# Usage: deploy/build-deb.sh [--version V] [--extra DIR] [--out DIR] [--no-lintian]
#   --version V   build version V instead (a changelog entry is added to the
#                 copy): the tests' upgrade package
#   --extra DIR   copy DIR's files over the sources' copy (same layout)
#   --out DIR     where the .deb goes. Default: build/deb
#   --no-lintian  skip the lintian check
# Prints the path of the .deb on its last line.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

die() {
	printf 'build-deb: %s\n' "$*" >&2
	exit 1
}

version="" extra="" out=$root/build/deb lint=1
while [[ $# -gt 0 ]]; do
	case $1 in
	--version | --extra | --out)
		[[ $# -ge 2 ]] || die "$1 needs a value"
		case $1 in
		--version) version=$2 ;;
		--extra) extra=$2 ;;
		--out) out=$2 ;;
		esac
		shift 2
		;;
	--no-lintian)
		lint=0
		shift
		;;
	-h | --help)
		sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
done

for tool in dpkg-buildpackage dh git; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (packages dpkg-dev, debhelper, git): run ./setup.sh"
done
want=$(tr -d '[:space:]' <VERSION)
[[ $want =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "VERSION '$want' is not N.N.N"
have=$(dpkg-parsechangelog -l debian/changelog -S Version)
[[ $have == "$want" ]] || die "debian/changelog is at $have, VERSION at $want: add a changelog entry"
swagger=docs/node_modules/swagger-ui-dist
for f in swagger-ui.css swagger-ui-bundle.js favicon-32x32.png; do
	[[ -f $swagger/$f ]] || die "$swagger/$f is missing (./setup.sh, or: cd docs && npm ci --ignore-scripts)"
done

work=$root/build/deb
src=$work/src
rm -rf -- "$src"
mkdir -p -- "$src" "$out"
# The sources git knows (tracked, or new and not ignored), as they are in
# the work tree; a tracked file deleted there is left out.
while IFS= read -r -d '' f; do
	[[ -e $f ]] && printf '%s\0' "$f"
done < <(git ls-files -z --cached --others --exclude-standard) |
	tar --null -T - -cf - | tar -xf - -C "$src"
mkdir -p -- "$src/$swagger"
cp -- "$swagger"/{swagger-ui.css,swagger-ui-bundle.js,favicon-32x32.png,LICENSE,NOTICE} "$src/$swagger/"
if [[ -n $extra ]]; then
	[[ -d $extra ]] || die "--extra '$extra' is not a folder"
	cp -a -- "$extra"/. "$src/"
fi
if [[ -n $version && $version != "$want" ]]; then
	{
		printf 'medicalcare-auth (%s) unstable; urgency=medium\n\n' "$version"
		printf '  * Rebuilt as %s.\n\n' "$version"
		printf ' -- MedicalCare <ops@medicalcare.example>  %s\n\n' "$(date -R)"
		cat debian/changelog
	} >"$src/debian/changelog"
	printf '%s\n' "$version" >"$src/VERSION"
fi
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
arch=$(dpkg-architecture -q DEB_HOST_ARCH)

(cd "$src" && dpkg-buildpackage -b -us -uc -j"$(nproc)") >"$work/build.log" 2>&1 ||
	{
		tail -n 40 "$work/build.log" >&2
		die "dpkg-buildpackage failed (all of it: $work/build.log)"
	}
deb=medicalcare-auth_${version}_${arch}.deb
[[ -f $work/$deb ]] || die "dpkg-buildpackage made no $deb"
if [[ $out != "$work" ]]; then
	mv -f -- "$work/$deb" "$out/"
fi
rm -f -- "$work"/medicalcare-auth_"${version}"_*.{buildinfo,changes} "$work"/medicalcare-auth-dbgsym_"${version}"_*.deb
if [[ $lint -eq 1 ]]; then
	command -v lintian >/dev/null 2>&1 || die "lintian is missing: run ./setup.sh"
	lintian --fail-on error,warning "$out/$deb" || die "lintian found problems in $deb"
fi
printf '%s\n' "$out/$deb"
