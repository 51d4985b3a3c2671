#!/bin/sh
test_description='gw-serve restarted under socket activation, under load: nothing refused'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl wrk gw-serve gw-test-upstream gw-test-activate

test_expect_success 'an upstream, and gw-serve on a socket the harness holds' '
	gw_start_upstream up &&
	cat >gw.json <<-EOF &&
	{ "workers": 2, "limits": { "drain_timeout_ms": 5000 },
	  "upstreams": { "up": { "targets": ["http://127.0.0.1:$(cat up.port)"] } },
	  "routes": [ { "match": { "prefix": "/" }, "proxy": "up" } ] }
	EOF
	gw_start_bg_ act act.port gw-test-activate -p act.port -- \
	    gw-serve -c gw.json &&
	n=0 && while ! grep -q "serving" act.log && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	test "$(http_get_status "http://127.0.0.1:$(cat act.port)/x")" = 200
'

test_expect_success 'three restarts under load: no refused or failed request' '
	wrk -t 2 -c 16 -d 6s --timeout 10s \
	    "http://127.0.0.1:$(cat act.port)/load" >wrk.out 2>&1 &
	wpid=$! &&
	sleep 1 &&
	kill -USR1 "$(cat act.pid)" && sleep 1.5 &&
	kill -USR1 "$(cat act.pid)" && sleep 1.5 &&
	kill -USR1 "$(cat act.pid)" &&
	wait $wpid &&
	cat wrk.out &&
	grep -q "requests in" wrk.out &&
	! grep -q "Socket errors" wrk.out &&
	! grep -q "Non-2xx" wrk.out &&
	test "$(grep -c "^restarted" act.log)" = 3
'

test_expect_success 'a slow request in flight finishes across a restart' '
	gw_start_upstream slow --delay-ms 1500 &&
	cat >slow.json <<-EOF &&
	{ "workers": 1,
	  "upstreams": { "up": { "targets": ["http://127.0.0.1:$(cat slow.port)"] } },
	  "routes": [ { "match": { "prefix": "/" }, "proxy": "up" } ] }
	EOF
	gw_start_bg_ act2 act2.port gw-test-activate -p act2.port -- \
	    gw-serve -c slow.json &&
	n=0 && while ! grep -q "serving" act2.log && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	curl -sS -D head -o /dev/null "http://127.0.0.1:$(cat act2.port)/slow" &
	cpid=$! &&
	sleep 0.3 &&
	kill -USR1 "$(cat act2.pid)" &&
	wait $cpid &&
	grep -q "^HTTP/1.1 200" head &&
	test "$(http_get_status "http://127.0.0.1:$(cat act2.port)/after")" = 200
'

test_done
