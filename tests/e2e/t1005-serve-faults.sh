#!/bin/sh
test_description='gw-serve: timeouts, upstream faults, retries and passive health'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl socat gw-serve gw-test-upstream

test_expect_success 'upstreams that fail in every way, and one that works' '
	gw_start_upstream good --id good &&
	gw_start_upstream slow --delay-ms 3000 &&
	gw_start_upstream reset --reset &&
	gw_start_upstream garbage --garbage &&
	gw_start_upstream trunc --truncate --size 100k &&
	gw_start_upstream stall --stall &&
	gw_start_upstream echo --echo &&
	# a port where nothing listens: bind one, then stop it
	gw_start_upstream dead &&
	gw_stop dead &&
	port() { cat "$1.port"; } &&
	cat >gw.json <<-EOF &&
	{
	  "workers": 1,
	  "limits": { "header_timeout_ms": 400, "keepalive_timeout_ms": 400,
	              "body_timeout_ms": 400 },
	  "upstreams": {
	    "good": { "targets": ["http://127.0.0.1:$(port good)"] },
	    "slow": { "targets": ["http://127.0.0.1:$(port slow)"],
	              "timeout_ms": 300 },
	    "reset": { "targets": ["http://127.0.0.1:$(port reset)"],
	               "max_fails": 0 },
	    "garbage": { "targets": ["http://127.0.0.1:$(port garbage)"] },
	    "trunc": { "targets": ["http://127.0.0.1:$(port trunc)"] },
	    "stall": { "targets": ["http://127.0.0.1:$(port stall)"],
	               "timeout_ms": 300 },
	    "dead": { "targets": ["http://127.0.0.1:$(port dead)"],
	              "max_fails": 0 },
	    "half": { "targets": ["http://127.0.0.1:$(port dead)",
	                          "http://127.0.0.1:$(port good)"],
	              "retries": 1, "max_fails": 2, "fail_timeout_ms": 60000 },
	    "echo": { "targets": ["http://127.0.0.1:$(port echo)"] }
	  },
	  "routes": [
	    { "match": { "prefix": "/good" }, "proxy": "good" },
	    { "match": { "prefix": "/slow" }, "proxy": "slow" },
	    { "match": { "prefix": "/reset" }, "proxy": "reset" },
	    { "match": { "prefix": "/garbage" }, "proxy": "garbage" },
	    { "match": { "prefix": "/trunc" }, "proxy": "trunc" },
	    { "match": { "prefix": "/stall" }, "proxy": "stall" },
	    { "match": { "prefix": "/dead" }, "proxy": "dead" },
	    { "match": { "prefix": "/half" }, "proxy": "half" },
	    { "match": { "prefix": "/small" }, "proxy": "echo",
	      "max_body_bytes": 100 }
	  ]
	}
	EOF
	gw_start_serve gw -c gw.json &&
	worker=$(pgrep -P "$(cat gw.pid)" | head -n 1) &&
	echo "$worker" >worker.pid &&
	# warm the pools that will keep a connection: they are not leaks
	curl -sS -o /dev/null "http://127.0.0.1:$(cat gw.port)/good" &&
	curl -sS -o /dev/null "http://127.0.0.1:$(cat gw.port)/half/0" &&
	count_fds "$worker" >fds.before
'

url() {
	echo "http://127.0.0.1:$(cat gw.port)$1"
}

# problem URL STATUS SLUG: the answer is that problem+json
problem() {
	curl -sS -D head -o body --max-time 10 "$1" &&
	grep -q "^HTTP/1.1 $2 " head &&
	grep -qi "^content-type: application/problem+json" head &&
	grep -q "\"type\":\"urn:gw:problem:$3\"" body &&
	grep -q "\"status\":$2" body
}

test_expect_success 'upstream refused -> 502' '
	problem "$(url /dead)" 502 bad-gateway
'

test_expect_success 'upstream reset -> 502' '
	problem "$(url /reset)" 502 bad-gateway
'

test_expect_success 'upstream sends garbage -> 502' '
	problem "$(url /garbage)" 502 bad-gateway
'

test_expect_success 'upstream too slow -> 504' '
	problem "$(url /slow)" 504 gateway-timeout
'

test_expect_success 'upstream never answers -> 504' '
	problem "$(url /stall)" 504 gateway-timeout
'

test_expect_success 'upstream body cut short: the client sees it cut' '
	test_must_fail curl -sS -o body --max-time 10 "$(url /trunc)" 2>err &&
	grep -q "curl: (18)" err
'

test_expect_success 'a connect failure is retried on the other target' '
	test "$(http_get_status "$(url /half/1)")" = 200 &&
	test "$(http_get_status "$(url /half/2)")" = 200 &&
	test "$(http_get_status "$(url /half/3)")" = 200 &&
	test "$(http_get_status "$(url /half/4)")" = 200
'

test_expect_success 'the dead target was ejected after two failures' '
	grep -q "target http://127.0.0.1:$(cat dead.port) ejected" gw.log
'

test_expect_success 'Content-Length over the route limit -> 413' '
	head -c 1000 /dev/zero >k &&
	curl -sS -D head -o body --data-binary @k "$(url /small)" &&
	grep -q "^HTTP/1.1 413" head &&
	grep -q "urn:gw:problem:body-too-large" body
'

test_expect_success 'a chunked body over the route limit -> 413 too' '
	curl -sS -D head -o body -H "Transfer-Encoding: chunked" \
	    --data-binary @k "$(url /small)" &&
	grep -q "^HTTP/1.1 413" head
'

test_expect_success 'a client slow to send its head gets 408 and a close' '
	printf "GET /good HTTP/1.1\r\nHost: a\r\n" >slowhead.req &&
	{ cat slowhead.req; sleep 2; } |
	    socat -t 3 -T 3 - "TCP:127.0.0.1:$(cat gw.port)" >slowhead.resp &&
	grep -q "^HTTP/1.1 408" slowhead.resp &&
	grep -qi "^connection: close" slowhead.resp
'

test_expect_success 'a client slow to send its body gets 408' '
	printf "POST /good HTTP/1.1\r\nHost: a\r\nContent-Length: 50\r\n\r\nabc" >slowbody.req &&
	{ cat slowbody.req; sleep 2; } |
	    socat -t 3 -T 3 - "TCP:127.0.0.1:$(cat gw.port)" >slowbody.resp &&
	grep -q "^HTTP/1.1 408" slowbody.resp
'

test_expect_success 'an idle keep-alive connection is closed at its timeout' '
	printf "GET /good HTTP/1.1\r\nHost: a\r\n\r\n" >idle.req &&
	start=$(date +%s%N) &&
	{ cat idle.req; sleep 3; } | {
		socat -t 0.2 -T 4 - "TCP:127.0.0.1:$(cat gw.port)" >idle.resp
		date +%s%N >idle.end
	} &&
	grep -q "^HTTP/1.1 200" idle.resp &&
	test $(( ($(cat idle.end) - start) / 1000000 )) -lt 2000
'

test_expect_success 'a silent client that never sends is closed too' '
	start=$(date +%s%N) &&
	sleep 3 | {
		socat -t 0.2 -T 4 - "TCP:127.0.0.1:$(cat gw.port)" >silent.resp
		date +%s%N >silent.end
	} &&
	! test -s silent.resp &&
	test $(( ($(cat silent.end) - start) / 1000000 )) -lt 2000
'

test_expect_success 'no worker died, no descriptor leaked' '
	worker=$(cat worker.pid) &&
	test_alive "$worker" &&
	sleep 0.5 &&
	count_fds "$worker" >fds.after &&
	# none more than before; a pooled upstream connection open then
	# may have timed out since
	test "$(cat fds.after)" -le "$(cat fds.before)" &&
	! grep -q "worker .* died\|exited with status" gw.log
'

test_done
