#!/bin/sh
test_description='gw-serve in operation: metrics, health, tracing, limits, watchdog, reloads under load'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl socat wrk gw-serve gw-test-upstream

test_expect_success 'an upstream and a gateway with an admin listener' '
	gw_start_upstream up -o seen.http &&
	cat >gw.json <<-EOF &&
	{ "workers": 2,
	  "admin": { "listen": "127.0.0.1:0" },
	  "upstreams": { "up": { "targets": ["http://127.0.0.1:$(cat up.port)"] },
	                 "dead": { "targets": ["http://127.0.0.1:1"],
	                           "max_fails": 1 } },
	  "routes": [
	    { "name": "api", "match": { "prefix": "/api" }, "proxy": "up" },
	    { "name": "dead", "match": { "prefix": "/dead" }, "proxy": "dead" },
	    { "name": "hello", "match": { "path": "/hello" },
	      "static": { "body": "hi\n" } } ] }
	EOF
	gw_start_serve gw -c gw.json &&
	admin=$(sed -n "s/.*serving .* admin 127.0.0.1:\([0-9]*\).*/\1/p" gw.log |
	    head -n 1) &&
	test -n "$admin" &&
	echo "$admin" >admin.port
'

adm() {
	curl -sS "http://127.0.0.1:$(cat admin.port)$1"
}

test_expect_success 'requests on both workers are counted exactly' '
	i=0 && while test $i -lt 10; do
		curl -sS -o /dev/null "http://127.0.0.1:$(cat gw.port)/api/$i" ||
		    exit 1
		curl -sS -o /dev/null "http://127.0.0.1:$(cat gw.port)/hello" ||
		    exit 1
		i=$((i + 1))
	done &&
	curl -sS -o /dev/null "http://127.0.0.1:$(cat gw.port)/nowhere" &&
	adm /metrics >m1 &&
	grep -qx "gw_requests_total{route=\"api\",method=\"GET\",code=\"2xx\"} 10" m1 &&
	grep -qx "gw_requests_total{route=\"hello\",method=\"GET\",code=\"2xx\"} 10" m1 &&
	grep -qx "gw_requests_total{route=\"\",method=\"GET\",code=\"4xx\"} 1" m1 &&
	grep -qx "gw_request_duration_seconds_count{route=\"api\"} 10" m1 &&
	grep -q "^gw_upstream_requests_total{upstream=\"up\",target=\"http://127.0.0.1:$(cat up.port)\",outcome=\"ok\"} 10$" m1 &&
	grep -qx "gw_workers 2" m1 &&
	grep -q "^# TYPE gw_request_duration_seconds histogram" m1
'

test_expect_success 'histogram buckets are cumulative and end at the count' '
	grep "^gw_request_duration_seconds_bucket{route=\"api\"" m1 |
	    sed "s/.* //" >buckets &&
	sort -n -c buckets &&
	test "$(tail -n 1 buckets)" = 10
'

test_expect_success 'upstream failures and ejections are counted' '
	curl -sS -o /dev/null "http://127.0.0.1:$(cat gw.port)/dead" &&
	adm /metrics >m2 &&
	grep -q "^gw_upstream_requests_total{upstream=\"dead\",.*outcome=\"connect_failed\"} [1-9]" m2 &&
	grep -q "^gw_upstream_ejections_total{upstream=\"dead\",.*} [1-9]" m2
'

test_expect_success '/healthz and /readyz on the admin listener' '
	test "$(adm /healthz)" = ok &&
	adm /readyz >ready &&
	grep -q "\"status\":\"ready\"" ready &&
	grep -q "\"up\":\[{\"target\":\"http://127.0.0.1:$(cat up.port)\"" ready
'

test_expect_success 'the admin listener never reaches the routes' '
	test "$(http_get_status "http://127.0.0.1:$(cat admin.port)/hello")" = 404 &&
	test "$(http_get_status "http://127.0.0.1:$(cat gw.port)/metrics")" = 404
'

test_expect_success 'a traceparent keeps its trace, with a new span for the hop' '
	: >seen.http &&
	tp=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 &&
	curl -sS -o /dev/null -H "traceparent: $tp" -H "tracestate: a=b" \
	    "http://127.0.0.1:$(cat gw.port)/api/t" &&
	grep -qi "^traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]\{16\}-01" seen.http &&
	! grep -qi "^traceparent: $tp" seen.http &&
	grep -qi "^tracestate: a=b" seen.http &&
	grep -q "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"" gw.log
'

test_expect_success 'no or a bad traceparent starts a new trace' '
	: >seen.http &&
	curl -sS -o /dev/null -H "traceparent: 00-0000-bad" \
	    "http://127.0.0.1:$(cat gw.port)/api/u" &&
	grep -qi "^traceparent: 00-[0-9a-f]\{32\}-[0-9a-f]\{16\}-00" seen.http &&
	! grep -qi "0000-bad" seen.http
'

test_expect_success 'too many connections from one client: 503 problem+json' '
	printf "{ \"workers\": 1, \"limits\": { \"max_connections_per_client\": 40 }, \"routes\": [ { \"static\": {} } ] }" \
	    >lim.json &&
	gw_start_serve lim -c lim.json &&
	pids= &&
	i=0 && while test $i -lt 45; do
		sleep 2 | socat -T 3 - "TCP:127.0.0.1:$(cat lim.port)" \
		    >"hold.$i" 2>/dev/null &
		pids="$pids $!"
		i=$((i + 1))
	done &&
	sleep 0.5 &&
	grep -l "^HTTP/1.1 503" hold.* >refused &&
	test "$(wc -l <refused)" -ge 5 &&
	grep -q "urn:gw:problem:overloaded" "$(head -n 1 refused)" &&
	for p in $pids; do wait "$p" || :; done
'

test_expect_success 'ten reloads under load: no failed request, no reset' '
	wrk -t 2 -c 16 -d 6s "http://127.0.0.1:$(cat gw.port)/api/load" \
	    >wrk.out 2>&1 &
	wpid=$! &&
	sleep 0.5 &&
	n=0 && while test $n -lt 10; do
		kill -HUP "$(cat gw.pid)" && sleep 0.45
		n=$((n + 1))
	done &&
	wait $wpid &&
	cat wrk.out &&
	grep -q "requests in" wrk.out &&
	! grep -q "Socket errors" wrk.out &&
	! grep -q "Non-2xx" wrk.out &&
	test "$(grep -c "configuration reloaded" gw.log)" -ge 10
'

test_expect_success 'the reloads are counted' '
	adm /metrics >m3 &&
	grep -qx "gw_reloads_total{result=\"ok\"} 10" m3
'

test_expect_success 'watchdog: a hung worker is killed and replaced' '
	socat -u "UNIX-RECV:$PWD/notify.sock" - >notify.out 2>/dev/null &
	echo $! >notify.pid &&
	test_atexit "gw_kill_ $(cat notify.pid)" &&
	n=0 && while ! test -S notify.sock && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	printf "{ \"workers\": 1, \"routes\": [ { \"static\": {} } ] }" >wd.json &&
	NOTIFY_SOCKET=$PWD/notify.sock WATCHDOG_USEC=1000000 \
	    gw_start_serve wd -c wd.json &&
	n=0 && while ! grep -q "WATCHDOG=1" notify.out && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	grep -q "WATCHDOG=1" notify.out &&
	sleep 2 &&
	victim=$(pgrep -P "$(cat wd.pid)") &&
	kill -STOP "$victim" &&
	n=0 && while ! grep -q "has not turned its loop" wd.log &&
	    test $n -lt 200; do sleep 0.05; n=$((n + 1)); done &&
	grep -q "worker $victim has not turned its loop" wd.log &&
	n=0 && while test "$(pgrep -P "$(cat wd.pid)")" = "$victim" &&
	    test $n -lt 100; do sleep 0.05; n=$((n + 1)); done &&
	test -n "$(pgrep -P "$(cat wd.pid)")" &&
	test "$(pgrep -P "$(cat wd.pid)")" != "$victim" &&
	test "$(http_get_status "http://127.0.0.1:$(cat wd.port)/x")" = 200
'

test_done
