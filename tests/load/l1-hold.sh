#!/bin/sh
test_description='load: 10,000 concurrent keep-alive connections on one worker'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-serve gw-load

N=${LOAD_CONNS:-10000}
HOLD=${LOAD_HOLD_S:-10}

test_expect_success "one worker with room for $N connections" '
	cat >gw.json <<-\EOF &&
	{ "workers": 1, "access_log": false,
	  "limits": { "keepalive_timeout_ms": 600000, "max_connections": 30000 },
	  "routes": [ { "match": { "prefix": "/" },
	                "static": { "body": "ok\n" } } ] }
	EOF
	gw_start_serve gw -c gw.json &&
	workers_of "$(cat gw.pid)" >worker &&
	test_line_count = 1 worker
'

test_expect_success 'warm up, then memory and descriptors at rest' '
	gw-load -p "$(cat gw.port)" -m rate -c 4 -d 2 >warm.out &&
	sleep 1 &&
	rss_kb "$(cat worker)" >rss.before &&
	count_fds "$(cat worker)" >fds.before
'

test_expect_success "$N connections answered, held ${HOLD} s, all still open" '
	gw-load -p "$(cat gw.port)" -m hold -n "$N" -t "$HOLD" -x 120 \
	    -r ready >hold.out 2>hold.err &
	pid=$! &&
	wait_for_file ready 180 &&
	sleep 1 &&
	rss_kb "$(cat worker)" >rss.held &&
	count_fds "$(cat worker)" >fds.held &&
	grep -q "^ready $N\$" ready &&
	wait "$pid" &&
	cat hold.out &&
	grep -q "answered=$N still_open=$N lost=0 bad=0" hold.out
'

test_expect_success 'memory per connection' '
	b=$(cat rss.before) h=$(cat rss.held) &&
	per=$(awk -v b="$b" -v h="$h" -v n="$N" \
	    "BEGIN { printf \"%.2f\", (h - b) / n }") &&
	result connections "$N" &&
	result rss_before_kb "$b" &&
	result rss_held_kb "$h" &&
	result rss_per_connection_kb "$per" &&
	result fds_held "$(cat fds.held)" &&
	echo "RSS $b kB at rest, $h kB with $N connections: $per kB each" &&
	test "$(cat fds.held)" -ge "$N"
'

test_expect_success 'the worker gives back its descriptors when they close' '
	n=0 &&
	while test "$(count_fds "$(cat worker)")" -gt "$(cat fds.before)" &&
	    test $n -lt 100; do
		sleep 0.1; n=$((n + 1))
	done &&
	count_fds "$(cat worker)" >fds.after &&
	rss_kb "$(cat worker)" >rss.after &&
	result rss_after_close_kb "$(cat rss.after)" &&
	test_cmp fds.before fds.after &&
	test_alive "$(cat worker)"
'

test_done
