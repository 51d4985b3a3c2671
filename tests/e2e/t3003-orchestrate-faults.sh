#!/bin/sh
test_description='gw-orchestrate: upstreams down, slow, answering garbage or too much; missing fields; retries; the deadline'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-orchestrate gw-test-upstream

test_expect_success 'upstreams that fail in every way, and one that works' '
	printf "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: auto\r\n\r\n{\"sku\":\"b-1\",\"n\":2}" \
	    >good.http &&
	gw_start_upstream good -r good.http &&
	gw_start_upstream slow --delay-ms 3000 &&
	gw_start_upstream garbage --garbage &&
	gw_start_upstream huge --size 100m &&
	gw_start_upstream reset --reset &&
	gw_start_upstream trunc --truncate --size 100k &&
	gw_start_upstream busy --status 503 --count-file busy.count &&
	gw_start_upstream dead &&
	gw_stop dead
'

# script NAME STEP-JSON...: a script whose steps are the arguments, and
# a response made of the first one's body
script() {
	n_=$1
	shift
	{
		printf "{ \"deadline_ms\": 2000, \"steps\": {"
		sep_=
		for s_ in "$@"
		do
			printf "%s %s" "$sep_" "$s_"
			sep_=,
		done
		printf " } }\n"
	} >"$n_.json"
}

url() {
	echo "http://127.0.0.1:$(cat "$1.port")$2"
}

# problem FILE STATUS STEP: FILE is that problem+json, naming STEP
problem() {
	grep -q "\"type\":\"urn:gw:problem:$(test "$2" = 504 &&
	    echo gateway-timeout || echo bad-gateway)\"" "$1" &&
	grep -q "\"status\":$2" "$1" &&
	if test -n "$3"
	then
		grep -q "\"step\":\"$3\"" "$1"
	else
		! grep -q "\"step\"" "$1"
	fi
}

test_expect_success 'an upstream down: 502 naming the step, exit 1' '
	script down "\"ok\": { \"url\": \"$(url good /)\" }" \
	    "\"down\": { \"url\": \"$(url dead /x)\" }" &&
	test_expect_code 1 gw-orchestrate run --include down.json >out &&
	tr -d "\r" <out >head &&
	grep -q "^HTTP/1.1 502 Bad Gateway$" head &&
	grep -q "^Content-Type: application/problem+json$" head &&
	sed -e "1,/^$/d" head >body &&
	problem body 502 down &&
	grep -q "connection failed" body
'

test_expect_success 'an upstream down, tried again with backoff' '
	script retry "\"down\": { \"url\": \"$(url dead /x)\", \"retries\": 2, \"backoff_ms\": 50 }" &&
	test_expect_code 1 gw-orchestrate run --trace retry.json >body 2>trace &&
	problem body 502 down &&
	test "$(grep -c "^ *[0-9.]* ms  retry   down " trace)" = 2 &&
	grep -q "again in 50 ms" trace &&
	grep -q "again in 100 ms" trace
'

test_expect_success 'a 503 is tried again; a POST is not' '
	script busy "\"b\": { \"url\": \"$(url busy /)\", \"retries\": 1, \"backoff_ms\": 1 }" &&
	test_expect_code 1 gw-orchestrate run busy.json >body &&
	problem body 502 b &&
	grep -q "answered 503 Service Unavailable" body &&
	test "$(cat busy.count)" = 2 &&
	cat >post.json <<-EOF &&
	{ "steps": { "p": { "method": "POST", "url": "$(url busy /)",
	                    "retries": 1 } } }
	EOF
	test_expect_code 65 gw-orchestrate check post.json 2>err &&
	grep -q "only idempotent calls are retried" err
'

test_expect_success 'a slow upstream: the step timeout' '
	script slow "\"s\": { \"url\": \"$(url slow /)\", \"timeout_ms\": 200 }" &&
	test_expect_code 1 gw-orchestrate run slow.json >body &&
	problem body 502 s &&
	grep -q "did not answer in 200 ms" body
'

test_expect_success 'a slow upstream: the deadline, 504, naming what ran' '
	cat >deadline.json <<-EOF &&
	{ "deadline_ms": 300,
	  "steps": { "fast": { "url": "$(url good /)" },
	             "s": { "url": "$(url slow /)", "timeout_ms": 60000 } } }
	EOF
	test_expect_code 1 gw-orchestrate run deadline.json >body &&
	problem body 504 &&
	grep -q "passed its deadline of 300 ms; still waiting for s" body
'

test_expect_success 'an optional slow step: its fallback, in time' '
	cat >opt.json <<-EOF &&
	{ "steps": { "fast": { "url": "$(url good /)" },
	             "s": { "url": "$(url slow /)", "timeout_ms": 100,
	                    "optional": true, "fallback": { "n": 0 } } },
	  "response": { "json": { "a": "\${fast.body/n}", "b": "\${s.body/n}",
	                          "why": "\${s.error}" } } }
	EOF
	gw-orchestrate run opt.json >body &&
	grep -q "^{\"a\":2,\"b\":0,\"why\":\"http://127.0.0.1:[0-9]* did not answer in 100 ms\"}$" body
'

test_expect_success 'garbage: 502 saying so' '
	script garbage "\"g\": { \"url\": \"$(url garbage /)\" }" &&
	test_expect_code 1 gw-orchestrate run garbage.json >body &&
	problem body 502 g &&
	grep -q "malformed response" body
'

test_expect_success 'a huge body: 502 past max_bytes, in bounded memory' '
	script huge "\"h\": { \"url\": \"$(url huge /)\", \"max_bytes\": 1048576 }" &&
	test_expect_code 1 gw-orchestrate run huge.json >body &&
	problem body 502 h &&
	grep -q "answered more than 1048576 bytes" body
'

test_expect_success 'a connection reset, a body cut short: 502' '
	script reset "\"r\": { \"url\": \"$(url reset /)\" }" &&
	test_expect_code 1 gw-orchestrate run reset.json >body &&
	problem body 502 r &&
	script trunc "\"t\": { \"url\": \"$(url trunc /)\" }" &&
	test_expect_code 1 gw-orchestrate run trunc.json >body &&
	problem body 502 t &&
	grep -q "truncated" body
'

test_expect_success 'a reference into a missing field: 502 naming the step' '
	cat >missing.json <<-EOF &&
	{ "steps": { "l": { "url": "$(url good /)" },
	             "p": { "url": "$(url good /price/)\${l.body/price}" } } }
	EOF
	test_expect_code 1 gw-orchestrate run missing.json >body &&
	problem body 502 p &&
	grep -q "\${l.body/price}: the body of step .l. has no /price" body
'

test_expect_success 'the same field with a default: no error' '
	cat >dflt.json <<-EOF &&
	{ "steps": { "l": { "url": "$(url good /)" } },
	  "response": { "json": { "price": "\${l.body/price ?? 0}",
	                          "sku": "\${l.body/sku}" } } }
	EOF
	gw-orchestrate run dflt.json >body &&
	echo "{\"price\":0,\"sku\":\"b-1\"}" >expect &&
	test_cmp expect body
'

test_expect_success 'a body that should be JSON and is not' '
	gw_start_upstream text --body "plain words" &&
	script notjson "\"n\": { \"url\": \"$(url text /)\", \"parse\": \"json\" }" &&
	test_expect_code 1 gw-orchestrate run notjson.json >body &&
	problem body 502 n &&
	grep -q "with a body that is not JSON" body
'

test_expect_success 'recorded failures are replayed as failures' '
	script mixed "\"ok\": { \"url\": \"$(url good /)\" }" \
	    "\"d\": { \"url\": \"$(url dead /)\", \"optional\": true, \"fallback\": 1 }" &&
	gw-orchestrate run --record rec mixed.json >live &&
	grep -q "\"error\": \"http://127.0.0.1:[0-9]*: connection failed" rec/d-*.json &&
	gw-orchestrate run --replay rec mixed.json >again &&
	test_cmp live again
'

test_done
