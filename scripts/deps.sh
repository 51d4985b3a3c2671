#!/bin/sh
# deps.sh: install the Debian packages that building and testing gw need.
#
#	sh scripts/deps.sh [check|bench|fuzz|all|list [GROUP]]
#
#   check	build, unit and end-to-end tests, lints (the default; make check,
#		make run, make lint and .ci/run call it)
#   bench	check, plus nginx, haproxy, wrk and hyperfine (bench/)
#   fuzz	check, plus clang and libFuzzer (make fuzz)
#   deb		build, plus dpkg-dev, debhelper and lintian (build-deb.sh)
#   all		all of the above
#   list	print the packages of GROUP (default check), one a line
#
# When everything is installed it prints nothing and exits 0 (one dpkg-query
# call).  Otherwise it installs what is missing with apt-get, as root or
# through sudo, without recommends, and with a policy-rc.d that keeps the
# packages' services (nginx, redis, haproxy) from starting.  When it cannot
# install, it names the missing packages and the command to run, and exits 1.

set -u

PKGS_BUILD='build-essential pkg-config libcurl4-openssl-dev libjson-c-dev
libxml2-dev libxslt1-dev libssl-dev libsystemd-dev libhttp-parser-dev
libpcre2-dev libhiredis-dev libcrypt-dev'
# curl, socat, systemd-socket-activate (systemd), redis-server for the e2e
# tests; mandoc, shellcheck, the three shells and xmllint/xsltproc for lint
# and the golden tests; valgrind for leak checks.
PKGS_TEST='curl socat systemd redis-server mandoc shellcheck bash-completion
zsh fish valgrind xsltproc libxml2-utils wrk strace procps python3-yaml'
PKGS_BENCH='nginx haproxy wrk hyperfine libmodsecurity-dev modsecurity-crs
    python3-xmltodict'
# scripts/build-deb.sh: the .deb and its lint
PKGS_DEB='dpkg-dev debhelper lintian'

# libFuzzer ships in the libclang-rt package of the clang version at hand.
clang_rt() {
	v=
	if command -v clang >/dev/null 2>&1; then
		v=$(clang -dumpversion 2>/dev/null)
		v=${v%%.*}
	fi
	echo "libclang-rt-${v:-14}-dev"
}

# shellcheck disable=SC2086
group_pkgs() {
	case $1 in
	check) echo $PKGS_BUILD $PKGS_TEST ;;
	bench) echo $PKGS_BUILD $PKGS_TEST $PKGS_BENCH ;;
	fuzz) echo $PKGS_BUILD $PKGS_TEST clang "$(clang_rt)" ;;
	deb) echo $PKGS_BUILD $PKGS_DEB ;;
	all) echo $PKGS_BUILD $PKGS_TEST $PKGS_BENCH clang "$(clang_rt)" ;;
	*) return 1 ;;
	esac
}

usage() {
	echo "usage: sh scripts/deps.sh [check|bench|fuzz|deb|all|list [group]]" >&2
	exit 64
}

# missing PKG...: print the packages dpkg does not list as installed.
missing() {
	dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null |
	    awk -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		substr($1, 2, 1) == "i" { have[$2] = 1 }
		END {
			for (i = 1; i <= n; i++)
				if (!(w[i] in have))
					print w[i]
		}'
}

group=${1:-check}
case $group in
list)
	pkgs=$(group_pkgs "${2:-check}") || usage
	# shellcheck disable=SC2086
	printf '%s\n' $pkgs
	exit 0
	;;
check|bench|fuzz|all) ;;
*) usage ;;
esac
# shellcheck disable=SC2046
set -- $(group_pkgs "$group")

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps.sh: not a Debian system; make sure the equivalents of" \
	    "these are installed:" >&2
	echo "  $*" >&2
	exit 0
fi

need=$(missing "$@" | tr '\n' ' ')
need=${need% }
test -z "$need" && exit 0

cmd="apt-get install -y --no-install-recommends $need"
if test "$(id -u)" = 0; then
	as_root=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	as_root='sudo -n'
else
	echo "deps.sh: missing packages: $need" >&2
	echo "deps.sh: install them as root with:" >&2
	echo "  apt-get update && $cmd" >&2
	exit 1
fi

echo "deps.sh: installing $need" >&2

# Keep the services of the packages we install from starting: nginx would
# take port 80 and redis port 6379, and the tests start their own.  A
# policy-rc.d that was there before is put back afterwards.
policy=/usr/sbin/policy-rc.d
saved=
if test -e "$policy"; then
	saved=$policy.gw-deps-saved
	$as_root mv "$policy" "$saved" || exit 1
fi
# shellcheck disable=SC2317
restore() {
	$as_root rm -f "$policy"
	if test -n "$saved"; then
		$as_root mv "$saved" "$policy"
	fi
}
trap 'restore' EXIT
trap 'exit 130' INT TERM HUP
printf '#!/bin/sh\n# installed by gw scripts/deps.sh\nexit 101\n' |
    $as_root tee "$policy" >/dev/null || exit 1
$as_root chmod 755 "$policy" || exit 1

# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
    echo "deps.sh: apt-get update failed; trying the install anyway" >&2
# shellcheck disable=SC2086
if ! $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends $need; then
	echo "deps.sh: the install failed; the command was:" >&2
	echo "  $cmd" >&2
	exit 1
fi

still=$(missing "$@" | tr '\n' ' ')
if test -n "$still"; then
	echo "deps.sh: still missing after the install: $still" >&2
	exit 1
fi
echo "deps.sh: installed $need" >&2
exit 0
