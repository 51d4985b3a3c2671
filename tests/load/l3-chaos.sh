#!/bin/sh
test_description='load: upstream chaos over a long run'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-serve gw-load gw-chaos-upstream

SECS=${LOAD_CHAOS_S:-300}
CONNS=${LOAD_CHAOS_CONNS:-32}
SEED=${LOAD_SEED:-8}
STEP=${LOAD_SAMPLE_S:-10}

test_expect_success "gw-serve (2 workers) in front of gw-chaos-upstream --seed $SEED" '
	gw_start_bg_ chaos chaos.port gw-chaos-upstream -p chaos.port \
	    --seed "$SEED" --stall-ms 20000 &&
	cat >gw.json <<-EOF &&
	{ "workers": 2, "access_log": false,
	  "upstreams": { "chaos": {
	      "targets": ["http://127.0.0.1:$(cat chaos.port)"],
	      "connect_timeout_ms": 1000, "timeout_ms": 2000,
	      "idle_timeout_ms": 2000, "retries": 1, "keepalive": 16 } },
	  "routes": [ { "match": { "prefix": "/" }, "proxy": "chaos" } ] }
	EOF
	gw_start_serve gw -c gw.json &&
	workers_of "$(cat gw.pid)" >workers &&
	test_line_count = 2 workers
'

# sample: one line "seconds fds rss_kb" per worker into samples.
sample() {
	while read -r w; do
		echo "$1 $w $(count_fds "$w") $(rss_kb "$w")"
	done <workers >>samples
}

test_expect_success "$CONNS clients for $SECS s: every answer checked" '
	gw-load -p "$(cat gw.port)" -m chaos -c 8 -d 3 -x 60 >warm.out \
	    2>warm.err &&
	sleep 3 &&
	: >samples &&
	sample 0 &&
	cp samples samples.before || return 1
	# (alone, so that & puts only this one in the background)
	gw-load -p "$(cat gw.port)" -m chaos -c "$CONNS" -d "$SECS" -x 60 \
	    >chaos.out 2>chaos.err &
	pid=$! &&
	t=0 &&
	while test_alive "$pid"; do
		sleep "$STEP"; t=$((t + STEP)); sample "$t"
	done &&
	wait "$pid" &&
	cat chaos.out &&
	grep -q " bad=0 lost=0 " chaos.out
'

test_expect_success 'no worker died' '
	workers_of "$(cat gw.pid)" >workers.after &&
	test_cmp workers workers.after &&
	! grep -qi "worker .*\(died\|exited\|killed\)" gw.log
'

test_expect_success 'descriptors come back; RSS stays flat' '
	sleep 3 &&
	sample end &&
	for w in $(cat workers); do
		f0=$(awk -v w="$w" "\$1 == 0 && \$2 == w { print \$3 }" samples) &&
		f1=$(awk -v w="$w" "\$1 == \"end\" && \$2 == w { print \$3 }" samples) &&
		r0=$(awk -v w="$w" -v s="$SECS" "\$2 == w && \$1 != \"end\" && \$1 >= s / 5 { print \$4; exit }" samples) &&
		r1=$(awk -v w="$w" "\$1 == \"end\" && \$2 == w { print \$4 }" samples) &&
		rmax=$(awk -v w="$w" "\$2 == w { if (\$4 > m) m = \$4 } END { print m }" samples) &&
		echo "worker $w: fds $f0 -> $f1, RSS $r0 kB (at 20%) -> $r1 kB, max $rmax kB" &&
		result "worker_fds_start_end" "$f0 $f1" &&
		result "worker_rss_kb_20pct_end_max" "$r0 $r1 $rmax" &&
		test "$f1" -le $((f0 + 16)) &&
		awk -v a="$r0" -v b="$r1" "BEGIN { exit !(b <= a * 1.10 + 1024) }" ||
		return 1
	done &&
	sed -n "s/^mode=chaos //p" chaos.out | tr " " "\n" >figures &&
	while IFS== read -r k v; do result "$k" "$v"; done <figures
'

test_done
