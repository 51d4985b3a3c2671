#!/bin/sh
# run.sh: the load tests of gw-serve, too long for make check (make load).
#
#	sh tests/load/run.sh [hold] [slow] [chaos]	(default: all three)
#
# Each is a script of tests/load/ on the harness of tests/e2e/lib.sh (TAP
# output, servers on 127.0.0.1 port 0, everything stopped at exit):
#
#   l1-hold.sh	LOAD_CONNS (10000) keep-alive connections held LOAD_HOLD_S
#		(10) s on one worker: RSS per connection, all still open
#   l2-slow.sh	LOAD_SLOW (1000) clients sending their head a byte a second
#		while LOAD_NORMAL (8) normal ones run LOAD_ROUND_S (10) s,
#		LOAD_ROUNDS (5) rounds with and without them interleaved: the
#		median p99 with them within 2x of the median without
#   l3-chaos.sh	LOAD_CHAOS_CONNS (32) clients for LOAD_CHAOS_S (300) s
#		through gw-serve to gw-chaos-upstream --seed LOAD_SEED (8):
#		every answer correct, 502/504, or visibly cut when the
#		upstream cut it; no worker died; descriptors and RSS stable
#
# BUILD (default build) holds the programs; figures go to
# $BUILD/load-results/<test>.txt as "key=value" lines, and to stdout.
# Exits 0 iff every check passed.  Every run is bounded in time and count.

cd "$(dirname "$0")/../.." || exit 70
GW_SRCDIR=$(pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) BUILD=$GW_SRCDIR/$BUILD ;;
esac
GW_BUILD=$BUILD
PATH=$BUILD:$BUILD/tests/helpers:$PATH
LOAD_OUT=$BUILD/load-results
export GW_SRCDIR GW_BUILD PATH LOAD_OUT
mkdir -p "$LOAD_OUT" || exit 70

for p in gw-serve gw-load gw-chaos-upstream; do
	if ! command -v "$p" >/dev/null 2>&1; then
		echo "run.sh: no $p in $BUILD: run make test-bins first" >&2
		exit 70
	fi
done

tests=${*:-hold slow chaos}
failed=0
for t in $tests; do
	case $t in
	hold) s=l1-hold.sh ;;
	slow) s=l2-slow.sh ;;
	chaos) s=l3-chaos.sh ;;
	*)
		echo "usage: sh tests/load/run.sh [hold] [slow] [chaos]" >&2
		exit 64
		;;
	esac
	echo "=== $s ($(date -u +%H:%M:%S))"
	if ! sh "tests/load/$s"; then
		failed=$((failed + 1))
	fi
	if test -f "$LOAD_OUT/${s%.sh}.txt"; then
		sed -e 's/^/    /' "$LOAD_OUT/${s%.sh}.txt"
	fi
done
echo "=== $failed load test(s) failed"
test "$failed" = 0
