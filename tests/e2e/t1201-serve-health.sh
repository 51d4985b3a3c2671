#!/bin/sh
test_description='gw-serve: active upstream health checks'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl gw-serve gw-test-upstream

test_expect_success 'two targets, one of which fails its health check' '
	gw_start_upstream a --id A &&
	gw_start_upstream b --id B &&
	cat >gw.json <<-EOF &&
	{ "workers": 1, "admin": { "listen": "127.0.0.1:0" },
	  "upstreams": { "ab": {
	      "targets": ["http://127.0.0.1:$(cat a.port)",
	                  "http://127.0.0.1:$(cat b.port)"],
	      "max_fails": 0,
	      "health_check": { "path": "/health", "interval_ms": 200,
	                        "timeout_ms": 300, "expect_status": 200,
	                        "healthy_threshold": 2,
	                        "unhealthy_threshold": 2 } } },
	  "routes": [ { "match": { "prefix": "/" }, "proxy": "ab" } ] }
	EOF
	gw_start_serve gw -c gw.json &&
	sed -n "s/.* admin 127.0.0.1:\([0-9]*\).*/\1/p" gw.log | head -n 1 \
	    >admin.port
'

ids() {
	for i in 1 2 3 4 5 6; do
		curl -sS -D - -o /dev/null "http://127.0.0.1:$(cat gw.port)/x" |
		    sed -n "s/^X-Upstream: *//p" | tr -d "\r"
	done | sort -u | tr "\n" " "
}

test_expect_success 'both targets serve while both are healthy' '
	test "$(ids)" = "A B "
'

test_expect_success 'a target that stops is marked down and skipped' '
	gw_stop b &&
	n=0 && while ! grep -q "target http://127.0.0.1:$(cat b.port) is down" gw.log &&
	    test $n -lt 100; do sleep 0.05; n=$((n + 1)); done &&
	grep -q "is down (health check" gw.log &&
	test "$(ids)" = "A " &&
	curl -sS "http://127.0.0.1:$(cat admin.port)/readyz" >ready &&
	grep -q "\"healthy\":false" ready &&
	curl -sS "http://127.0.0.1:$(cat admin.port)/metrics" >m &&
	grep -q "^gw_upstream_target_up{upstream=\"ab\",target=\"http://127.0.0.1:$(cat b.port)\"} 0" m &&
	grep -q "^gw_upstream_target_up{upstream=\"ab\",target=\"http://127.0.0.1:$(cat a.port)\"} 1" m
'

test_expect_success 'it comes back after healthy_threshold good checks' '
	gw-test-upstream -l "127.0.0.1:$(cat b.port)" -p b2.port --id B \
	    >/dev/null 2>&1 &
	echo $! >b2.pid &&
	test_atexit "gw_kill_ $(cat b2.pid)" &&
	n=0 && while ! grep -q "is up again" gw.log && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	grep -q "target http://127.0.0.1:$(cat b.port) is up again" gw.log &&
	test "$(ids)" = "A B "
'

test_expect_success 'a wrong status counts as a failure' '
	gw_start_upstream c --status 503 &&
	cat >c.json <<-EOF &&
	{ "workers": 1,
	  "upstreams": { "c": { "targets": ["http://127.0.0.1:$(cat c.port)"],
	      "health_check": { "path": "/h", "interval_ms": 100,
	                        "unhealthy_threshold": 1 } } },
	  "routes": [ { "match": { "prefix": "/" }, "proxy": "c" } ] }
	EOF
	gw_start_serve gwc -c c.json &&
	n=0 && while ! grep -q "is down" gwc.log && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	grep -q "is down (health check: status 503)" gwc.log
'

test_done
