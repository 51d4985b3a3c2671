#!/bin/sh
# build-deb.sh: build gw's .deb from a clean copy of the tree, check what is
# in it, and run lintian on it.
#
#	sh scripts/build-deb.sh [-k] [-w] [-o outdir] [ref]
#
#   ref		the commit to build (default HEAD), exported with git archive
#   -w		with debian/ as it is in the working tree (to try changes to
#		the packaging before committing them)
#   -o outdir	where the .deb, .buildinfo, .changes and lintian.txt go
#		(default build-deb/ at the top of the tree)
#   -k		keep the temporary build directory
#
# The package is built with dpkg-buildpackage -us -uc -b in a temporary
# directory, never in the tree (dh's clean step runs "make clean"), with
# DEB_BUILD_OPTIONS from the environment (default parallel=<CPUs>).  Then:
# the changelog's version is the programs' version, /etc/gw/gw.json is a
# conffile that the packaged gw-serve accepts, every program, man page,
# completion and unit is in the package where Debian wants it, the
# maintainer scripts enable and start gw-serve.socket (and only that), and
# lintian reports no error.  Lintian's report, info tags included, goes to
# outdir/lintian.txt and to stdout.  Exits 0 when all of that holds, 1 when
# something does not, 2 when a tool is missing.
#
# Needs dpkg-dev, debhelper, lintian and the Build-Depends of
# debian/control (sh scripts/deps.sh check installs those).

set -u

usage() {
	echo "usage: sh scripts/build-deb.sh [-k] [-w] [-o outdir] [ref]" >&2
	exit 64
}

die() {
	echo "build-deb.sh: $*" >&2
	exit 1
}

top=$(cd "$(dirname "$0")/.." && pwd) || exit 1
worktree=0
keep=0
outdir=$top/build-deb
while getopts kwo: ch; do
	case $ch in
	k) keep=1 ;;
	w) worktree=1 ;;
	o) outdir=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
test $# -le 1 || usage
ref=${1:-HEAD}

missing=
for c in git dpkg-buildpackage dpkg-parsechangelog dh lintian; do
	command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
if test -n "$missing"; then
	echo "build-deb.sh: missing:$missing" >&2
	echo "build-deb.sh: apt-get install dpkg-dev debhelper lintian git" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gw-deb.XXXXXX") || exit 1
if test $keep = 1; then
	trap 'echo "build-deb.sh: kept $tmp" >&2' EXIT
else
	trap 'rm -rf "$tmp"' EXIT
fi
trap 'exit 130' INT TERM HUP

# --- a clean copy of the source ---------------------------------------------

src=$tmp/gw
mkdir "$src" || exit 1
cd "$top" || exit 1
git archive --format=tar "$ref" | tar -x -C "$src" || die "cannot export $ref"
if test $worktree = 1; then
	{ rm -rf "$src/debian" && cp -R debian "$src/debian"; } ||
	    die "cannot copy debian/"
fi
test -f "$src/debian/control" || die "$ref has no debian/control"

version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version) ||
    die "cannot read debian/changelog"
upstream=$(sed -n 's/^#define[[:space:]]*GW_VERSION[[:space:]]*"\(.*\)"/\1/p' \
    "$src/libcore/gw.h")
case $version in
"$upstream"|"$upstream"-*) ;;
*) die "debian/changelog says $version, libcore/gw.h says $upstream" ;;
esac

# Build-Depends are the build packages of scripts/deps.sh (its -dev
# packages and pkg-config; build-essential is implied).
awk '/^Build-Depends:/ { on = 1; sub(/^Build-Depends:/, "") }
    on && /^[^ \t]/ && !/^Build-Depends:/ { on = 0 }
    on' "$src/debian/control" 2>/dev/null | tr ',' '\n' |
    sed -e 's/[[(<].*//' -e 's/[[:space:]]//g' | grep -v '^$' |
    grep -v '^debhelper-compat$' | LC_ALL=C sort -u >"$tmp/bdeps"
sh "$src/scripts/deps.sh" list check | grep -E -e '-dev$' -e '^pkg-config$' |
    LC_ALL=C sort -u >"$tmp/deps"
if ! cmp -s "$tmp/bdeps" "$tmp/deps"; then
	diff "$tmp/deps" "$tmp/bdeps" | grep '^[<>]' >&2
	die "debian/control's Build-Depends (>) and scripts/deps.sh (<) differ"
fi

# --- build --------------------------------------------------------------------

if test -z "${DEB_BUILD_OPTIONS:-}"; then
	DEB_BUILD_OPTIONS=parallel=$(getconf _NPROCESSORS_ONLN 2>/dev/null ||
	    echo 1)
	export DEB_BUILD_OPTIONS
fi
what=$ref
test $worktree = 1 && what="$ref with the working tree's debian/"
echo "build-deb.sh: building gw $version ($what) in $tmp" >&2
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	tail -n 40 "$tmp/build.log" >&2
	die "dpkg-buildpackage failed; the log is $tmp/build.log" \
	    "(keep it with -k)"
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=$tmp/gw_${version}_$arch.deb
changes=$tmp/gw_${version}_$arch.changes
{ test -f "$deb" && test -f "$changes"; } || die "no $deb after the build"

# --- what is in the package ---------------------------------------------------

fail=0
bad() {
	echo "build-deb.sh: $*" >&2
	fail=1
}

root=$tmp/root
ctl=$tmp/control
{ dpkg-deb -x "$deb" "$root" && dpkg-deb -e "$deb" "$ctl"; } ||
    die "cannot unpack $deb"

# Each program of cmd/: gw-serve in /usr/sbin or /usr/bin, the others in
# /usr/bin; each man page in its section; each completion where bash-completion,
# Debian's zsh and fish load them; each unit in /lib/systemd/system or
# /usr/lib/systemd/system.
for c in "$src"/cmd/gw-*.c; do
	t=${c##*/}
	t=${t%.c}
	case $t in
	gw-serve) test -x "$root/usr/sbin/$t" || test -x "$root/usr/bin/$t" ;;
	*) test -x "$root/usr/bin/$t" ;;
	esac || bad "$t is not in /usr/bin (or /usr/sbin)"
done
for m in "$src"/man/*.[1-9]; do
	m=${m##*/}
	test -f "$root/usr/share/man/man${m##*.}/$m.gz" ||
	    bad "no /usr/share/man/man${m##*.}/$m.gz"
done
for f in "$src"/completions/bash/*; do
	f=${f##*/}
	test -f "$root/usr/share/bash-completion/completions/$f" ||
	    bad "no bash completion $f"
done
for f in "$src"/completions/zsh/*; do
	f=${f##*/}
	test -f "$root/usr/share/zsh/vendor-completions/$f" ||
	    bad "no /usr/share/zsh/vendor-completions/$f"
done
for f in "$src"/completions/fish/*; do
	f=${f##*/}
	test -f "$root/usr/share/fish/vendor_completions.d/$f" ||
	    bad "no fish completion $f"
done
for f in "$src"/systemd/*; do
	f=${f##*/}
	test -f "$root/lib/systemd/system/$f" ||
	    test -f "$root/usr/lib/systemd/system/$f" || bad "no unit $f"
done
test -f "$root/usr/share/gw/gw.schema.json" || bad "no gw.schema.json"
test -f "$root/usr/share/doc/gw/README.md" ||
    test -f "$root/usr/share/doc/gw/README.md.gz" || bad "no README.md"
if grep -rl '@[A-Z]*DIR@' "$root/lib" "$root/usr/lib" >/dev/null 2>&1; then
	bad "a unit still has an @...DIR@ placeholder"
fi

# The conffile, and the packaged gw-serve accepts it (its absolute paths
# point into the unpacked tree for the check).
grep -qx /etc/gw/gw.json "$ctl/conffiles" 2>/dev/null ||
    bad "/etc/gw/gw.json is not a conffile"
serve=$root/usr/sbin/gw-serve
test -x "$serve" || serve=$root/usr/bin/gw-serve
sed "s|\"/usr/share/gw/|\"$root/usr/share/gw/|g" "$root/etc/gw/gw.json" \
    >"$tmp/gw.json"
if ! "$serve" --check -c "$tmp/gw.json" >"$tmp/check.out" 2>&1; then
	sed 's/^/	/' "$tmp/check.out" >&2
	bad "gw-serve --check refuses /etc/gw/gw.json"
fi
for u in gw-serve.service gw-serve@.service gw-serve.socket; do
	f=$root/lib/systemd/system/$u
	test -f "$f" || f=$root/usr/lib/systemd/system/$u
	grep -q '^ExecStart=' "$f" || continue
	grep -q "^ExecStart=/usr/s*bin/gw-serve -c /etc/gw/gw.json\$" "$f" ||
	    bad "$u does not run /usr/[s]bin/gw-serve -c /etc/gw/gw.json"
done

# gw-serve.socket is enabled and started at installation and left running
# through upgrades (only removal stops it); gw-serve.service is neither
# enabled nor started (the socket starts it: only a unit the admin enabled
# is enabled again), but a running one is restarted after an upgrade.
grep -q "deb-systemd-helper enable 'gw-serve.socket'" "$ctl/postinst" ||
    bad "postinst does not enable gw-serve.socket"
grep -q "deb-systemd-invoke start 'gw-serve.socket'" "$ctl/postinst" ||
    bad "postinst does not start gw-serve.socket"
grep -q "stop 'gw-serve.socket'" "$ctl/preinst" 2>/dev/null &&
    bad "preinst stops gw-serve.socket on upgrade"
{ grep -q "\"\$1\" = remove" "$ctl/prerm" &&
    grep -q "deb-systemd-invoke stop 'gw-serve.socket'" "$ctl/prerm"; } ||
    bad "prerm does not stop gw-serve.socket on removal"
grep -q "deb-systemd-helper debian-installed 'gw-serve.service'" \
    "$ctl/postinst" || bad "postinst enables gw-serve.service"
grep -q "deb-systemd-invoke start 'gw-serve.service'" "$ctl/postinst" &&
    bad "postinst starts gw-serve.service (the socket starts it)"
grep -q "deb-systemd-invoke try-restart 'gw-serve.service'" "$ctl/postinst" ||
    bad "postinst does not restart a running gw-serve.service on upgrade"
grep -q "gw-serve@" "$ctl/postinst" &&
    bad "postinst enables or starts the per-connection gw-serve@.service"

# --- lintian ------------------------------------------------------------------

lintian --display-info --fail-on error "$changes" >"$tmp/lintian.txt" 2>&1
lrc=$?
cat "$tmp/lintian.txt"
if test $lrc != 0; then
	bad "lintian reports errors"
fi
nerr=$(grep -c '^E: ' "$tmp/lintian.txt")
nwarn=$(grep -c '^W: ' "$tmp/lintian.txt")
ninfo=$(grep -c '^I: ' "$tmp/lintian.txt")

mkdir -p "$outdir" || exit 1
cp "$deb" "$changes" "$tmp"/*.buildinfo "$tmp/lintian.txt" "$tmp/build.log" \
    "$outdir/" || exit 1
echo "build-deb.sh: $outdir/${deb##*/}: lintian: $nerr errors," \
    "$nwarn warnings, $ninfo info" >&2
exit $fail
