#!/bin/sh
test_description='load: slow clients (a byte a second) do not slow the others'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-serve gw-load

SLOW=${LOAD_SLOW:-1000}
NORMAL=${LOAD_NORMAL:-8}
ROUND=${LOAD_ROUND_S:-10}
ROUNDS=${LOAD_ROUNDS:-5}

test_expect_success 'one worker, the default header timeout (10 s)' '
	cat >gw.json <<-\EOF &&
	{ "workers": 1, "access_log": false,
	  "routes": [ { "match": { "prefix": "/" },
	                "static": { "body": "ok\n" } } ] }
	EOF
	gw_start_serve gw -c gw.json &&
	workers_of "$(cat gw.pid)" >worker &&
	test_line_count = 1 worker &&
	gw-load -p "$(cat gw.port)" -m rate -c 4 -d 1 >warm.out &&
	count_fds "$(cat worker)" >fds.before
'

# p99 FILE: the p99_ms of a gw-load result line.
p99() {
	sed -n 's/.* p99_ms=\([0-9.]*\) .*/\1/p' "$1"
}

test_expect_success "$ROUNDS rounds of ${ROUND} s, without and with $SLOW slow clients" '
	r=1 &&
	while test $r -le "$ROUNDS"; do
		gw-load -p "$(cat gw.port)" -m rate -c "$NORMAL" -d "$ROUND" \
		    >base.$r.out || return 1
		# (alone, so that & puts only this one in the background)
		gw-load -p "$(cat gw.port)" -m rate -c 0 -s "$SLOW" \
		    -d $((ROUND + 4)) >slow.$r.out 2>slow.$r.err &
		spid=$! &&
		sleep 2 &&
		count_fds "$(cat worker)" >fds.slow.$r &&
		gw-load -p "$(cat gw.port)" -m rate -c "$NORMAL" -d "$ROUND" \
		    >with.$r.out &&
		wait "$spid" &&
		cat base.$r.out with.$r.out slow.$r.out &&
		grep -q " bad=0 lost=0 " base.$r.out &&
		grep -q " bad=0 lost=0 " with.$r.out &&
		test "$(cat fds.slow.$r)" -ge "$SLOW" || return 1
		r=$((r + 1))
	done
'

test_expect_success 'the median p99 with slow clients is within 2x of the one without' '
	for r in $(seq "$ROUNDS"); do p99 base.$r.out; done | sort -n >base.p99 &&
	for r in $(seq "$ROUNDS"); do p99 with.$r.out; done | sort -n >with.p99 &&
	mid=$(( (ROUNDS + 1) / 2 )) &&
	b=$(sed -n "${mid}p" base.p99) w=$(sed -n "${mid}p" with.p99) &&
	result slow_clients "$SLOW" &&
	result normal_clients "$NORMAL" &&
	result p99_ms_without "$(tr "\n" " " <base.p99)" &&
	result p99_ms_with "$(tr "\n" " " <with.p99)" &&
	result p99_median_without_ms "$b" &&
	result p99_median_with_ms "$w" &&
	result rps_without "$(sed -n "s/.* rps=\([0-9]*\) .*/\1/p" base.1.out)" &&
	result rps_with "$(sed -n "s/.* rps=\([0-9]*\) .*/\1/p" with.1.out)" &&
	result slow_cut_by_header_timeout "$(sed -n "s/.* slow_cut=\([0-9]*\) .*/\1/p" slow.1.out)" &&
	echo "median p99: $b ms without, $w ms with $SLOW slow clients" &&
	awk -v b="$b" -v w="$w" "BEGIN { exit !(w <= 2 * b) }"
'

test_expect_success 'the worker is alive and holds no descriptor more' '
	test_alive "$(cat worker)" &&
	n=0 &&
	while test "$(count_fds "$(cat worker)")" -gt "$(cat fds.before)" &&
	    test $n -lt 100; do
		sleep 0.1; n=$((n + 1))
	done &&
	test "$(count_fds "$(cat worker)")" = "$(cat fds.before)"
'

test_done
