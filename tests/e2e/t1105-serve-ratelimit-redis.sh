#!/bin/sh
test_description='gw-serve: rate limits shared by three gateways through one Redis, and Redis failing'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl redis-server redis-cli gw-serve gw-test-upstream

# start_redis: redis-server on 127.0.0.1 at the port in redis.port (a free
# one is found by binding port 0 first), no persistence.
start_redis() {
	redis-server --bind 127.0.0.1 --port "$(cat redis.port)" --save "" \
	    --appendonly no --daemonize no >redis.out 2>&1 </dev/null &
	echo $! >redis.pid &&
	test_atexit "gw_kill_ $(cat redis.pid)" &&
	n_=0 &&
	until redis-cli -p "$(cat redis.port)" ping 2>/dev/null | grep -q PONG
	do
		n_=$((n_ + 1)) && test $n_ -lt 100 && sleep_ms 50 || return 1
	done
}

burst() {
	u_="http://127.0.0.1:$1$2?n=[1-$3]"
	shift 3
	mkdir -p "out$$" &&
	curl -s -Z --parallel-max 10 -w "%{http_code}\n" -o "out$$/#1" \
	    "$u_" "$@" 2>/dev/null
}

test_expect_success 'start Redis on a free port of 127.0.0.1' '
	gw_start_upstream probe &&
	cp probe.port redis.port &&
	gw_stop probe &&
	start_redis
'

test_expect_success 'start three gateways with two workers each on that Redis' '
	cat >gw.json <<-EOF &&
	{ "workers": 2,
	  "routes": [
	    { "match": { "prefix": "/rate" }, "static": {},
	      "policies": [ { "rate_limit": { "rate": "10/h", "burst": 14,
	          "store": "redis", "redis": "127.0.0.1:$(cat redis.port)",
	          "zone": "shared", "timeout_ms": 200 } } ] },
	    { "match": { "prefix": "/quota" }, "static": {},
	      "policies": [ { "rate_limit": { "quota": "7/day", "key": "header:X-App",
	          "store": "redis", "redis": "127.0.0.1:$(cat redis.port)",
	          "zone": "quota" } } ] },
	    { "match": { "prefix": "/open" }, "static": {},
	      "policies": [ { "rate_limit": { "rate": "1/h",
	          "store": "redis", "redis": "127.0.0.1:$(cat redis.port)",
	          "zone": "open", "timeout_ms": 200 } } ] },
	    { "match": { "prefix": "/closed" }, "static": {},
	      "policies": [ { "rate_limit": { "rate": "1000/s",
	          "store": "redis", "redis": "127.0.0.1:$(cat redis.port)",
	          "zone": "closed", "on_redis_error": "closed",
	          "timeout_ms": 200 } } ] }
	  ] }
	EOF
	gw-serve --check -c gw.json &&
	gw_start_serve gw1 -c gw.json &&
	gw_start_serve gw2 -c gw.json &&
	gw_start_serve gw3 -c gw.json
'

test_expect_success 'together they admit limit + burst at most: exactly 15 of 90' '
	burst "$(cat gw1.port)" /rate 30 >c1 &
	burst "$(cat gw2.port)" /rate 30 >c2 &
	burst "$(cat gw3.port)" /rate 30 >c3 &
	wait &&
	cat c1 c2 c3 >codes &&
	test "$(grep -c "^200$" codes)" = 15 &&
	test "$(grep -c "^429$" codes)" = 75 &&
	redis-cli -p "$(cat redis.port)" --raw exists "gw:rl:shared:127.0.0.1" >n &&
	test "$(cat n)" = 1
'

test_expect_success 'each gateway now refuses: the count is one' '
	test "$(http_get_status "http://127.0.0.1:$(cat gw1.port)/rate")" = 429 &&
	test "$(http_get_status "http://127.0.0.1:$(cat gw2.port)/rate")" = 429 &&
	test "$(http_get_status "http://127.0.0.1:$(cat gw3.port)/rate")" = 429
'

test_expect_success 'a quota across the gateways' '
	for p in gw1 gw2 gw3 gw1 gw2 gw3 gw1 gw2 gw3
	do
		http_get_status "http://127.0.0.1:$(cat $p.port)/quota" \
		    -H "X-App: a"
		echo
	done >codes &&
	printf "200\n200\n200\n200\n200\n200\n200\n429\n429\n" >expect &&
	test_cmp expect codes &&
	curl -sS -D head -o body -H "X-App: a" \
	    "http://127.0.0.1:$(cat gw2.port)/quota" &&
	grep -qi "^ratelimit-policy: \"quota\";q=7;w=86400" head &&
	grep -qi "^retry-after: [0-9]" head
'

test_expect_success 'with Redis stopped, open limits let requests pass, closed ones refuse' '
	test "$(http_get_status "http://127.0.0.1:$(cat gw1.port)/open")" = 200 &&
	test "$(http_get_status "http://127.0.0.1:$(cat gw1.port)/open")" = 429 &&
	redis-cli -p "$(cat redis.port)" shutdown nosave >/dev/null 2>&1;
	n=0 &&
	while redis-cli -p "$(cat redis.port)" ping >/dev/null 2>&1
	do
		n=$((n + 1)) && test $n -lt 100 && sleep_ms 50 || exit 1
	done &&
	for i in 1 2 3
	do
		http_get_status "http://127.0.0.1:$(cat gw1.port)/open"
		echo
		http_get_status "http://127.0.0.1:$(cat gw1.port)/closed"
		echo
	done >codes &&
	printf "200\n429\n200\n429\n200\n429\n" >expect &&
	test_cmp expect codes
'

test_expect_success 'and the log says so' '
	sleep_ms 100 &&
	grep -q "rate_limit: redis .127.0.0.1:$(cat redis.port). unreachable" gw1.log &&
	grep -q "rate_limit open: no decision from redis .*; failing open" gw1.log &&
	grep -q "rate_limit closed: no decision from redis .*; failing closed" gw1.log
'

test_expect_success 'when Redis is back, it decides again' '
	start_redis &&
	n=0 &&
	while test "$(http_get_status "http://127.0.0.1:$(cat gw1.port)/closed")" != 200
	do
		n=$((n + 1)) && test $n -lt 100 && sleep_ms 100 || exit 1
	done &&
	test "$(http_get_status "http://127.0.0.1:$(cat gw1.port)/open")" = 200 &&
	test "$(http_get_status "http://127.0.0.1:$(cat gw1.port)/open")" = 429 &&
	grep -q "redis .* is back" gw1.log
'

test_expect_success 'a Redis that does not answer: timeout_ms, then the configured failure' '
	# every worker has reconnected by now (retries back off to 2 s)
	sleep_ms 2500 &&
	kill -STOP "$(cat redis.pid)" &&
	a=$(http_get_status "http://127.0.0.1:$(cat gw2.port)/open") &&
	b=$(http_get_status "http://127.0.0.1:$(cat gw2.port)/closed") &&
	kill -CONT "$(cat redis.pid)" &&
	test "$a" = 200 && test "$b" = 429 &&
	grep -q "did not answer in 200 ms; failing open" gw2.log
'

test_expect_success 'a Redis that wants a password, from redis_password_file' '
	gw_start_upstream probe2 &&
	port=$(cat probe2.port) &&
	gw_stop probe2 || exit 1
	redis-server --bind 127.0.0.1 --port "$port" --save "" \
	    --appendonly no --requirepass s3cret-pw >redis2.out 2>&1 </dev/null &
	echo $! >redis2.pid &&
	test_atexit "gw_kill_ $(cat redis2.pid)" &&
	n=0 &&
	until redis-cli -p "$port" ping 2>&1 | grep -q "NOAUTH\|PONG"
	do
		n=$((n + 1)) && test $n -lt 100 && sleep_ms 50 || exit 1
	done &&
	printf "s3cret-pw\n" >redis.pw && chmod 600 redis.pw &&
	cat >pw.json <<-EOF &&
	{ "workers": 1,
	  "routes": [
	    { "match": { "prefix": "/pw" }, "static": {},
	      "policies": [ { "rate_limit": { "rate": "1/h", "store": "redis",
	          "redis": "127.0.0.1:$port", "redis_password_file": "redis.pw",
	          "on_redis_error": "closed" } } ] },
	    { "match": { "prefix": "/nopw" }, "static": {},
	      "policies": [ { "rate_limit": { "rate": "1/h", "store": "redis",
	          "redis": "127.0.0.1:$port" } } ] } ] }
	EOF
	gw_start_serve pw -c pw.json &&
	test "$(http_get_status "http://127.0.0.1:$(cat pw.port)/pw")" = 200 &&
	test "$(http_get_status "http://127.0.0.1:$(cat pw.port)/pw")" = 429 &&
	test "$(http_get_status "http://127.0.0.1:$(cat pw.port)/nopw")" = 200 &&
	test "$(http_get_status "http://127.0.0.1:$(cat pw.port)/nopw")" = 200 &&
	sleep_ms 100 &&
	grep -q "NOAUTH" pw.log &&
	grep -q "failing open" pw.log &&
	! grep -q "s3cret-pw" pw.log &&
	chmod 644 redis.pw &&
	test_expect_code 78 gw-serve --check -c pw.json 2>err &&
	grep -q "redis_password_file: .*must not be readable by group or others" err
'

test_done
