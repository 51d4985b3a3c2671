#!/bin/sh
# run.sh: the driver of "make check" and "make lint".
#
#	BUILD=build [T=pattern] [J=jobs] [LINT_ONLY=1] sh tests/run.sh
#
# Runs, in order: the unit tests ($BUILD/tests/unit/*_test), the end-to-end
# scripts (tests/e2e/t[0-9]*.sh, J at a time), the fuzz corpus replays and the
# lints.  Each part prints TAP; this script prints one PASS/FAIL line per
# part (with the failing lines and the end of its output on failure) and
# ends with "N passed, N failed", counting test lines.  It exits 0 iff none
# failed.  T=pattern runs only the e2e scripts whose name contains pattern.
# Every part's full output is kept in $BUILD/test-results/<part>.out.
#
# GW_TEST_TIMEOUT (default 600) bounds each part, in seconds.
# GW_SANITIZE (set by "make asan") names the sanitizers the build has.

SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/.." || exit 70
GW_SRCDIR=$(pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) BUILD=$GW_SRCDIR/$BUILD ;;
esac
RESULTS=$BUILD/test-results
TIMEOUT=${GW_TEST_TIMEOUT:-600}
CC=${CC:-cc}
export GW_SRCDIR

# --- one part: run it, count its TAP lines, print its summary --------------

# summarize NAME OUTFILE STATUS: count the TAP lines of OUTFILE into
# NAME.count ("passed failed") and print the PASS/FAIL/SKIP block.  A test
# line is "ok ..." or "not ok ..." at the start of a line; "not ok ... # TODO"
# is a known breakage and counts as neither.  A missing plan, a plan that
# does not match, or a non-zero exit without a failed test line counts as one
# more failure.
summarize() {
	awk -v name="$1" -v status="$3" -v countfile="$RESULTS/$1.count" '
	/^ok / {
		passed++
		if ($0 ~ /# [Ss][Kk][Ii][Pp]/)
			skipped++
		infail = 0
		next
	}
	/^not ok / {
		infail = 0
		if ($0 ~ /# TODO/) {
			todo++
			next
		}
		failed++
		if (nfl < 200)
			fl[++nfl] = $0
		infail = 1
		next
	}
	/^#/ {
		if (infail && nfl < 200)
			fl[++nfl] = $0
		next
	}
	/^1\.\.[0-9]+/ {
		infail = 0
		plan = $0
		sub(/^1\.\./, "", plan)
		sub(/[^0-9].*/, "", plan)
		plan += 0
		hasplan = 1
		if ($0 ~ /^1\.\.0 *# *[Ss][Kk][Ii][Pp]/) {
			skipall = $0
			sub(/^1\.\.0 *# *[Ss][Kk][Ii][Pp] */, "", skipall)
			if (skipall == "")
				skipall = "skipped"
		}
		next
	}
	{ infail = 0 }
	END {
		ran = passed + failed + todo
		extra = ""
		bad = 0
		if (!hasplan) {
			bad = 1
			extra = extra " (no plan)"
		} else if (plan != ran) {
			bad = 1
			extra = extra sprintf(" (planned %d, ran %d)", plan, ran)
		}
		if (status == 124 || status == 137) {
			bad = 1
			extra = extra " (timed out)"
		} else if (status != 0) {
			if (failed == 0)
				bad = 1
			extra = extra sprintf(" (exit status %d)", status)
		}
		if (failed == 0 && bad)
			failed = 1
		print passed + 0, failed + 0, bad > countfile
		if (failed == 0 && skipall != "" && ran == 0) {
			printf "SKIP %s (%s)\n", name, skipall
			exit
		}
		if (failed == 0) {
			printf "PASS %s (%d test%s", name, ran, ran == 1 ? "" : "s"
			if (skipped)
				printf ", %d skipped", skipped
			if (todo)
				printf ", %d known breakage%s", todo,
				    todo == 1 ? "" : "s"
			printf ")\n"
			exit
		}
		printf "FAIL %s%s\n", name, extra
		for (i = 1; i <= nfl; i++)
			print "    " fl[i]
	}' "$2"
	read -r p_ f_ bad_ <"$RESULTS/$1.count"
	test "$f_" = 0 && return 0
	if test "$bad_" = 1; then
		echo "    --- last lines of $2:"
		tail -n 15 "$2" | sed -e 's/^/    | /'
	else
		echo "    --- full output: $2"
	fi
	# the logs of the daemons an e2e script started, kept on failure
	scratch_=$BUILD/test-tmp/${1%.sh}
	case $1 in
	t[0-9]*.sh) ;;
	*) return 0 ;;
	esac
	test -d "$scratch_" || return 0
	n_=0
	for log_ in "$scratch_"/*.log; do
		test -s "$log_" || continue
		n_=$((n_ + 1))
		test $n_ -le 4 || break
		echo "    --- last lines of $log_:"
		tail -n 5 "$log_" | sed -e 's/^/    | /'
	done
}

# show NAME: print NAME.summary in one piece (the e2e jobs run in parallel).
show() {
	if command -v flock >/dev/null 2>&1; then
		flock "$RESULTS/.lock" cat "$RESULTS/$1.summary"
	else
		cat "$RESULTS/$1.summary"
	fi
}

# run_part NAME cmd...: run a program with its output in NAME.out.
run_part() {
	name=$1
	shift
	timeout -k 10 "$TIMEOUT" "$@" >"$RESULTS/$name.out" 2>&1 </dev/null
	status=$?
	summarize "$name" "$RESULTS/$name.out" "$status" \
	    >"$RESULTS/$name.summary"
	show "$name"
}

# run_fn NAME function: the same for a shell function (the lints).
run_fn() {
	"$2" >"$RESULTS/$1.out" 2>&1 </dev/null
	status=$?
	summarize "$1" "$RESULTS/$1.out" "$status" >"$RESULTS/$1.summary"
	show "$1"
}

# --- worker mode: run one e2e script (called through xargs) ----------------

if test -n "$GW_RUN_ONE"; then
	script=$GW_RUN_ONE
	run_part "$(basename "$script")" sh "$script"
	exit 0
fi

# --- lints, each a TAP stream ----------------------------------------------

# tap_check N DESCRIPTION cmd...: run cmd, print ok/not ok and its output as
# comments on failure.
tap_n=0
tap_check() {
	desc=$1
	shift
	tap_n=$((tap_n + 1))
	if "$@" >"$RESULTS/.lint.tmp" 2>&1; then
		echo "ok $tap_n - $desc"
	else
		echo "not ok $tap_n - $desc"
		head -n 40 "$RESULTS/.lint.tmp" | sed -e 's/^/# /'
	fi
}

tap_skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # skip $1"
}

# tap_plan [reason]: the plan; "1..0 # SKIP reason" when nothing ran.
tap_plan() {
	if test "$tap_n" = 0 && test -n "$1"; then
		echo "1..0 # SKIP $1"
	else
		echo "1..$tap_n"
	fi
	tap_n=0
}

lint_man() {
	for f in man/*.[1-9]; do
		test -f "$f" || continue
		tap_check "mandoc $f" mandoc -Tlint -Wwarning "$f"
	done
	tap_plan "no man pages"
}

# Scripts with a bash shebang get plain shellcheck; the rest are POSIX sh.
shellcheck_one() {
	case $(head -n 1 "$1") in
	*bash*) shellcheck -e SC1091,SC2016,SC2034 "$1" ;;
	*) shellcheck -s sh -e SC1091,SC2016,SC2034 "$1" ;;
	esac
}

lint_shell() {
	for f in tests/e2e/*.sh tests/*.sh tests/fuzz/*.sh tests/load/*.sh \
	    scripts/*.sh \
	    .ci/run bench/*; do
		test -f "$f" || continue
		case $f in
		bench/*)
			case $(head -n 1 "$f") in
			'#!'*sh*) ;;
			*) continue ;;
			esac
			;;
		esac
		if command -v shellcheck >/dev/null 2>&1; then
			tap_check "shellcheck $f" shellcheck_one "$f"
		else
			tap_skip "shellcheck $f (shellcheck not installed)"
		fi
	done
	tap_plan "no scripts"
}

pkg_cflags() {
	pkgs="libcurl json-c libsystemd openssl libxml-2.0 libxslt libexslt libpcre2-8 hiredis"
	# shellcheck disable=SC2086
	pkg-config --cflags $pkgs 2>/dev/null && return
	for p in $pkgs; do
		pkg-config --cflags "$p" 2>/dev/null
	done | tr '\n' ' '
}

lint_headers() {
	cflags=$(pkg_cflags)
	for h in libcore/*.h; do
		test -f "$h" || continue
		# shellcheck disable=SC2086
		tap_check "$h compiles on its own" $CC -fsyntax-only -std=c11 \
		    -D_GNU_SOURCE -Ilibcore $cflags -x c "$h"
	done
	tap_plan "no headers"
}

banned_grep() {
	dirs=
	for d in libcore cmd tests/helpers; do
		test -d "$d" && dirs="$dirs $d"
	done
	test -n "$dirs" || return 1
	# shellcheck disable=SC2086
	grep -rnE --include='*.[ch]' "(^|[^[:alnum:]_.>])$1[[:space:]]*\\(" \
	    $dirs
}

lint_banned() {
	for fn in strcpy strcat sprintf vsprintf strtok gets atoi mktemp \
	    gmtime localtime; do
		tap_check "no $fn() in libcore cmd tests/helpers" \
		    test_not banned_grep "$fn"
	done
	tap_plan
}

test_not() {
	! "$@"
}

lint_completions() {
	for f in completions/bash/*; do
		test -f "$f" || continue
		tap_check "bash -n $f" bash -n "$f"
	done
	for f in completions/zsh/*; do
		test -f "$f" || continue
		if command -v zsh >/dev/null 2>&1; then
			tap_check "zsh -n $f" zsh -n "$f"
		else
			tap_skip "zsh -n $f (zsh not installed)"
		fi
	done
	for f in completions/fish/*; do
		test -f "$f" || continue
		if command -v fish >/dev/null 2>&1; then
			tap_check "fish --no-execute $f" fish --no-execute "$f"
		else
			tap_skip "fish --no-execute $f (fish not installed)"
		fi
	done
	tap_plan "no completions"
}

# --- main --------------------------------------------------------------------

mkdir -p "$RESULTS/unit" || exit 70
rm -f "$RESULTS"/*.out "$RESULTS"/*.count "$RESULTS"/*.summary \
    "$RESULTS"/unit/*
: >"$RESULTS/.lock"

if test -z "$LINT_ONLY"; then
	PATH=$BUILD:$BUILD/tests/helpers:$PATH
	GW_BUILD=$BUILD
	GW_SANITIZE=${GW_SANITIZE-}
	export PATH GW_BUILD GW_SANITIZE

	if test -z "$T"; then
		for t in "$BUILD"/tests/unit/*_test; do
			test -x "$t" || continue
			run_part "unit/${t##*/}" "$t"
		done
	fi

	J=${J:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
	for s in tests/e2e/t[0-9]*.sh; do
		test -f "$s" || continue
		case ${s##*/} in
		*"$T"*) printf '%s\n' "$s" ;;
		esac
	done >"$RESULTS/.e2e-list"
	if test -s "$RESULTS/.e2e-list"; then
		mkdir -p "$BUILD/test-tmp"
		# shellcheck disable=SC2016
		xargs -P "$J" -n 1 sh -c 'GW_RUN_ONE=$1 sh "$0"' "$SELF" \
		    <"$RESULTS/.e2e-list"
	elif test -n "$T"; then
		echo "no e2e script matches '$T'"
	fi

	if test -z "$T"; then
		for r in "$BUILD"/tests/fuzz/replay-fuzz-*; do
			test -x "$r" || continue
			name=${r##*/replay-fuzz-}
			test -d "tests/fuzz/corpus/$name" || continue
			run_part "replay-fuzz-$name" "$r" "tests/fuzz/corpus/$name"
		done
	fi
fi

if test -z "$T"; then
	run_fn lint-man lint_man
	run_fn lint-shell lint_shell
	run_fn lint-headers lint_headers
	run_fn lint-banned lint_banned
	run_fn lint-completions lint_completions
fi

passed=0
failed=0
for c in "$RESULTS"/*.count "$RESULTS"/unit/*.count; do
	test -f "$c" || continue
	read -r p f _ <"$c"
	passed=$((passed + p))
	failed=$((failed + f))
done
rm -f "$RESULTS/.lint.tmp" "$RESULTS/.lock" "$RESULTS/.e2e-list"
echo "$passed passed, $failed failed"
test "$failed" = 0
