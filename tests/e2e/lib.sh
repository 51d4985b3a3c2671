# lib.sh: the harness every end-to-end test sources (POSIX sh).
#
#	#!/bin/sh
#	test_description='what this script tests'
#	. "$(dirname "$0")/lib.sh"
#
#	test_expect_success 'title' '
#		gw_start_upstream up --echo &&
#		curl -sS "http://127.0.0.1:$(cat up.port)/" >out
#	'
#	test_done
#
# Each script runs in its own scratch directory, $GW_BUILD/test-tmp/<script>,
# which is removed when every test passed (keep it with GW_TEST_KEEP=1).  Test
# bodies are eval'ed in a subshell, so chain commands with && and pass state
# through files.  Output is TAP: "ok N - title", "not ok N - title", "1..N".
# Servers bind 127.0.0.1 port 0 and write their port to a file: scripts run in
# parallel and nothing may use a fixed port.
#
# Tests:    test_expect_success [PREREQ] title body, test_expect_failure (a
#           known breakage: "not ok ... # TODO"), test_skip, test_set_prereq,
#           test_have_prereq, test_skip_unless_cmd CMD..., test_skip_all,
#           test_done.
# Checks:   test_cmp, test_must_fail, test_expect_code N, test_path_is_file,
#           test_path_is_missing, test_line_count OP N FILE.
# Processes: gw_start_upstream NAME [opts], gw_start_serve NAME [args] (PID in
#           NAME.pid, port in NAME.port, stdout NAME.out, stderr NAME.log,
#           killed at exit), gw_stop NAME, test_atexit CMD, test_alive PID.
# Waiting:  wait_for_file FILE [s], wait_for_port_file FILE [s [PID]], sleep_ms.
# HTTP:     http_get_status URL [curl opts], raw_request PORT FILE [s],
#           count_fds PID.
#
# Environment: GW_BUILD (build directory, default <srcdir>/build), GW_SRCDIR,
# GW_TEST_KEEP=1 (keep the scratch directory), GW_TEST_VERBOSE=1 (show the
# output of every body on stderr as it runs).

# Where we are.  tests/run.sh exports GW_SRCDIR, GW_BUILD and PATH; a script
# run by hand (sh tests/e2e/t0001-harness.sh) finds them from $0.
test_name_=$(basename "$0" .sh)
if test -z "$GW_SRCDIR"; then
	GW_SRCDIR=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
	GW_BUILD=${GW_BUILD:-$GW_SRCDIR/build}
	case $GW_BUILD in
	/*) ;;
	*) GW_BUILD=$GW_SRCDIR/$GW_BUILD ;;
	esac
	PATH=$GW_BUILD:$GW_BUILD/tests/helpers:$PATH
fi
GW_BUILD=${GW_BUILD:-$GW_SRCDIR/build}
case $GW_BUILD in
/*) ;;
*) GW_BUILD=$(cd "$GW_BUILD" 2>/dev/null && pwd) || {
	echo "Bail out! no build directory '$GW_BUILD'"; exit 1; } ;;
esac
GW_E2E_DIR=$GW_SRCDIR/tests/e2e
GW_DATA_DIR=$GW_SRCDIR/tests/data
export GW_SRCDIR GW_BUILD GW_E2E_DIR GW_DATA_DIR PATH

# A predictable environment: no proxies between curl and 127.0.0.1, no user
# configuration, C locale, UTC.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy \
    CDPATH GREP_OPTIONS
no_proxy='*'
NO_PROXY='*'
LC_ALL=C
LANG=C
TZ=UTC
export no_proxy NO_PROXY LC_ALL LANG TZ

TEST_DIRECTORY=$GW_BUILD/test-tmp/$test_name_
TEST_PRIVATE_=$GW_BUILD/test-tmp/.$test_name_
CURL_HOME=$TEST_DIRECTORY
export TEST_DIRECTORY CURL_HOME

test_count=0
test_failed_=0
test_fixed_=0
test_broken_=0
test_skipped_=0
test_done_=0

rm -rf "$TEST_DIRECTORY" "$TEST_PRIVATE_" || exit 1
mkdir -p "$TEST_DIRECTORY" "$TEST_PRIVATE_" || {
	echo "Bail out! cannot create '$TEST_DIRECTORY'"
	exit 1
}
: >"$TEST_PRIVATE_/atexit"
cd "$TEST_DIRECTORY" || exit 1

say_() {
	printf '%s\n' "$*"
}

# Print each line of stdin as a TAP comment.
test_comment_() {
	sed -e 's/^/# /'
}

# test_atexit 'command': run at exit (also on failure or interrupt), in the
# reverse order of registration.  Works from inside test bodies.
test_atexit() {
	printf '%s\n' "$1" >>"$TEST_PRIVATE_/atexit"
}

test_run_atexit_() {
	test -s "$TEST_PRIVATE_/atexit" || return 0
	# reverse order, each in its own subshell so one failure stops nothing
	sed -n '1!G;h;$p' "$TEST_PRIVATE_/atexit" >"$TEST_PRIVATE_/atexit.rev"
	: >"$TEST_PRIVATE_/atexit"
	while IFS= read -r cmd_; do
		(cd "$TEST_DIRECTORY" 2>/dev/null || cd /; eval "$cmd_") \
		    >>"$TEST_PRIVATE_/atexit.log" 2>&1 </dev/null
	done <"$TEST_PRIVATE_/atexit.rev"
}

test_exit_() {
	code_=$1
	trap - EXIT
	test_run_atexit_
	if test "$test_done_" = 0 && test "$code_" = 0; then
		# the script ended without test_done: that is a failure
		say_ "# script ended without test_done"
		code_=1
	fi
	cd "$GW_BUILD" 2>/dev/null || cd /
	if test "$code_" = 0 && test "$GW_TEST_KEEP" != 1; then
		rm -rf "$TEST_DIRECTORY" "$TEST_PRIVATE_"
	fi
	exit "$code_"
}

trap 'test_exit_ $?' EXIT
trap 'say_ "# interrupted"; exit 130' INT
trap 'say_ "# terminated"; exit 143' TERM
trap 'exit 129' HUP

# Prerequisites: test_set_prereq NAME; test_expect_success NAME 'title' 'body'
# skips the test unless NAME was set (!NAME: unless it was not).
test_prereqs_=' '
test_set_prereq() {
	test_prereqs_="$test_prereqs_$1 "
}

# SANITIZED: the programs under test were built with -fsanitize (make asan);
# their memory figures are the sanitizer's, and LeakSanitizer cannot run
# under ptrace.
test -n "${GW_SANITIZE-}" && test_set_prereq SANITIZED

test_have_prereq() {
	for p_ in $(printf '%s' "$1" | tr ',' ' '); do
		case $p_ in
		!*)
			case $test_prereqs_ in
			*" ${p_#!} "*) return 1 ;;
			esac
			;;
		*)
			case $test_prereqs_ in
			*" $p_ "*) ;;
			*) return 1 ;;
			esac
			;;
		esac
	done
	return 0
}

# Run one body in a subshell of the scratch directory; its stdout and stderr
# go to files (or to stderr with GW_TEST_VERBOSE=1).
test_run_() {
	if test "$GW_TEST_VERBOSE" = 1; then
		(cd "$TEST_DIRECTORY" && eval "$1") </dev/null >&2
		return $?
	fi
	(cd "$TEST_DIRECTORY" && eval "$1") </dev/null \
	    >"$TEST_PRIVATE_/out" 2>"$TEST_PRIVATE_/err"
}

test_report_failure_() {
	say_ "# body:"
	printf '%s\n' "$1" | sed -e '/^[[:space:]]*$/d' -e 's/^/#	/'
	if test -s "$TEST_PRIVATE_/err"; then
		say_ "# stderr:"
		tail -n 40 "$TEST_PRIVATE_/err" | test_comment_
	fi
	if test -s "$TEST_PRIVATE_/out"; then
		say_ "# stdout (last 20 lines):"
		tail -n 20 "$TEST_PRIVATE_/out" | test_comment_
	fi
}

# The optional first of three arguments names prerequisites.
test_skip_prereq_() {
	test_count=$((test_count + 1))
	test_skipped_=$((test_skipped_ + 1))
	say_ "ok $test_count # skip $1 (missing $2)"
}

# test_expect_success [PREREQ] 'title' 'body'
test_expect_success() {
	if test $# = 3; then
		if ! test_have_prereq "$1"; then
			test_skip_prereq_ "$2" "$1"
			return 0
		fi
		shift
	fi
	test $# = 2 || {
		echo "Bail out! test_expect_success needs 2 or 3 arguments"
		exit 1
	}
	test_count=$((test_count + 1))
	if test_run_ "$2"; then
		say_ "ok $test_count - $1"
	else
		test_failed_=$((test_failed_ + 1))
		say_ "not ok $test_count - $1"
		test_report_failure_ "$2"
	fi
}

# test_expect_failure [PREREQ] 'title' 'body': a known breakage.  A failing
# body is reported as "not ok N - title # TODO known breakage", which TAP does
# not count as a failure; a body that passes says so.
test_expect_failure() {
	if test $# = 3; then
		if ! test_have_prereq "$1"; then
			test_skip_prereq_ "$2" "$1"
			return 0
		fi
		shift
	fi
	test_count=$((test_count + 1))
	if test_run_ "$2"; then
		test_fixed_=$((test_fixed_ + 1))
		say_ "ok $test_count - $1 # TODO known breakage vanished"
	else
		test_broken_=$((test_broken_ + 1))
		say_ "not ok $test_count - $1 # TODO known breakage"
	fi
}

# test_skip 'title' 'reason': record a skipped test.
test_skip() {
	test_count=$((test_count + 1))
	test_skipped_=$((test_skipped_ + 1))
	say_ "ok $test_count # skip $1 ($2)"
}

# test_skip_unless_cmd CMD...: skip the whole script unless every CMD exists.
test_skip_unless_cmd() {
	for c_ in "$@"; do
		command -v "$c_" >/dev/null 2>&1 && continue
		if test "$test_count" -gt 0; then
			echo "Bail out! test_skip_unless_cmd after the first test"
			exit 1
		fi
		say_ "1..0 # SKIP $c_ not found"
		test_done_=1
		exit 0
	done
}

# test_skip_all 'reason': skip the whole script.
test_skip_all() {
	say_ "1..0 # SKIP $1"
	test_done_=1
	exit 0
}

test_done() {
	test_done_=1
	if test "$test_fixed_" -gt 0; then
		say_ "# $test_fixed_ known breakage(s) vanished"
	fi
	if test "$test_broken_" -gt 0; then
		say_ "# $test_broken_ known breakage(s) still present"
	fi
	say_ "1..$test_count"
	if test "$test_failed_" -gt 0; then
		say_ "# failed $test_failed_ among $test_count test(s);" \
		    "scratch directory kept: $TEST_DIRECTORY"
		exit 1
	fi
	exit 0
}

# test_cmp expected actual
test_cmp() {
	diff -u "$1" "$2"
}

# test_must_fail cmd...: cmd exits non-zero, but was not killed by a signal
# (and was found).
test_must_fail() {
	"$@"
	rc_=$?
	if test $rc_ = 0; then
		echo >&2 "test_must_fail: '$*' succeeded"
		return 1
	elif test $rc_ -gt 128 && test $rc_ -le 192; then
		echo >&2 "test_must_fail: '$*' died of signal $((rc_ - 128))"
		return 1
	elif test $rc_ = 127; then
		echo >&2 "test_must_fail: '$1' not found"
		return 1
	fi
	return 0
}

# test_expect_code N cmd...: cmd exits with status N.
test_expect_code() {
	want_=$1
	shift
	"$@"
	rc_=$?
	test "$rc_" = "$want_" && return 0
	echo >&2 "test_expect_code: '$*' exited $rc_, wanted $want_"
	return 1
}

test_path_is_file() {
	test -f "$1" || { echo >&2 "'$1' is not a file"; return 1; }
}

test_path_is_missing() {
	test ! -e "$1" || { echo >&2 "'$1' exists"; return 1; }
}

# test_line_count OP N FILE, e.g. test_line_count = 3 seen.log
test_line_count() {
	n_=$(wc -l <"$3") || return 1
	test "$n_" "$1" "$2" && return 0
	echo >&2 "test_line_count: '$3' has $n_ lines, wanted $1 $2"
	return 1
}

# sleep_ms N: fractional sleep.
sleep_ms() {
	sleep "$(awk -v ms="$1" 'BEGIN { printf "%.3f", ms / 1000 }')"
}

# wait_for_file FILE [timeout_s]: poll until FILE is non-empty (default 10 s).
wait_for_file() {
	n_=$(( ${2:-10} * 20 ))
	while ! test -s "$1"; do
		n_=$((n_ - 1))
		if test $n_ -le 0; then
			echo >&2 "wait_for_file: '$1' still empty after ${2:-10} s"
			return 1
		fi
		sleep 0.05
	done
	return 0
}

# wait_for_port_file FILE [timeout_s [PID]]: wait until FILE holds a port
# number; with PID, give up at once if that process died.
wait_for_port_file() {
	n_=$(( ${2:-10} * 20 ))
	while :; do
		if test -s "$1"; then
			port_=
			read -r port_ <"$1"
			case $port_ in
			''|*[!0-9]*) ;;
			*) return 0 ;;
			esac
		fi
		if test -n "$3" && ! test_alive "$3"; then
			echo >&2 "wait_for_port_file: process $3 died" \
			    "before writing '$1'"
			return 1
		fi
		n_=$((n_ - 1))
		if test $n_ -le 0; then
			echo >&2 "wait_for_port_file: no port in '$1'" \
			    "after ${2:-10} s"
			return 1
		fi
		sleep 0.05
	done
}

# http_get_status URL [curl options]: print the HTTP status code (000 when
# there was no answer).
http_get_status() {
	url_=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$url_"
}

# count_fds PID: the number of open file descriptors of PID.
count_fds() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l |
	    tr -d ' '
}

# raw_request PORT FILE [timeout_s]: send FILE's bytes to 127.0.0.1:PORT,
# half-close, and write everything the server sends back to stdout, until it
# closes or is silent for timeout_s (default 5).
raw_request() {
	socat -t "${3:-5}" -T "${3:-5}" - "TCP:127.0.0.1:$1" <"$2"
}

# gw_start_bg_ NAME PORTFILE cmd...: start cmd in the background with its
# output in NAME.out and NAME.log, its PID in NAME.pid, a kill at exit, and
# wait for its port file.
gw_start_bg_() {
	name_=$1
	pf_=$2
	shift 2
	rm -f "$pf_"
	"$@" >"$name_.out" 2>"$name_.log" </dev/null &
	pid_=$!
	echo "$pid_" >"$name_.pid"
	test_atexit "gw_kill_ $pid_"
	if ! wait_for_port_file "$pf_" 10 "$pid_"; then
		echo >&2 "'$*' did not start; its stderr:"
		sed -e 's/^/	/' "$name_.log" >&2
		return 1
	fi
}

# test_alive PID: PID runs and is not a zombie (orphans of test bodies are
# reaped by init, which may take its time).
test_alive() {
	st_=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' \
	    "/proc/$1/status" 2>/dev/null) || return 1
	case $st_ in
	''|Z|X) return 1 ;;
	esac
	return 0
}

# gw_kill_ PID: TERM, then KILL if it lingers.
gw_kill_() {
	kill "$1" 2>/dev/null || return 0
	n_=40
	while test_alive "$1" && test $n_ -gt 0; do
		sleep 0.05
		n_=$((n_ - 1))
	done
	kill -9 "$1" 2>/dev/null
	return 0
}

# gw_stop NAME: stop a process started by gw_start_*.
gw_stop() {
	test -s "$1.pid" && gw_kill_ "$(cat "$1.pid")"
}

# gw_start_upstream NAME [options]: start gw-test-upstream with its port in
# NAME.port (and its PID in NAME.pid, stderr in NAME.log).
gw_start_upstream() {
	n0_=$1
	shift
	gw_start_bg_ "$n0_" "$n0_.port" gw-test-upstream -p "$n0_.port" "$@"
}

# gw_start_serve NAME [args]: start gw-serve on 127.0.0.1 port 0 (unless the
# args give --listen) with its port in NAME.port.
gw_start_serve() {
	n0_=$1
	shift
	case " $* " in
	*" --listen "*|*" --listen="*)
		gw_start_bg_ "$n0_" "$n0_.port" gw-serve \
		    --port-file "$n0_.port" "$@"
		;;
	*)
		gw_start_bg_ "$n0_" "$n0_.port" gw-serve \
		    --listen 127.0.0.1:0 --port-file "$n0_.port" "$@"
		;;
	esac
}
