#!/bin/sh
test_description='gw-serve: malformed, oversized, hostile and truncated requests'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl socat gw-serve gw-test-upstream

test_expect_success 'start an upstream and a gateway' '
	gw_start_upstream up -o seen.http &&
	gw_start_serve gw --workers 1 --to "http://127.0.0.1:$(cat up.port)"
'

# send NAME: raw request NAME.req -> NAME.resp
send() {
	raw_request "$(cat gw.port)" "$1.req" 3 >"$1.resp"
}

# refused NAME STATUS: the answer is STATUS problem+json, the connection
# closed, and nothing reached the upstream.
refused() {
	head -n 1 "$1.resp" | grep -q "^HTTP/1.1 $2 " &&
	grep -qi "^content-type: application/problem+json" "$1.resp" &&
	grep -q "\"status\":$2" "$1.resp" &&
	grep -q "\"type\":\"urn:gw:problem:" "$1.resp" &&
	grep -q "\"request_id\":\"" "$1.resp" &&
	test "$(grep -c "^HTTP/1.1" "$1.resp")" = 1 &&
	! test -s seen.http
}

# shellcheck disable=SC2059
check() {
	name=$1 status=$2
	shift 2
	: >seen.http &&
	printf "$@" >"$name.req" &&
	send "$name" &&
	refused "$name" "$status"
}

test_expect_success 'fds of the worker before the fault tests' '
	# one request first, so that the pooled upstream connection counts
	test "$(http_get_status "http://127.0.0.1:$(cat gw.port)/w")" = 200 &&
	worker=$(pgrep -P "$(cat gw.pid)" | head -n 1) &&
	echo "$worker" >worker.pid &&
	count_fds "$worker" >fds.before
'

test_expect_success 'malformed request line -> 400' '
	check bad1 400 "GET  / HTTP/1.1\r\nHost: a\r\n\r\n"
'

test_expect_success 'garbage instead of HTTP -> 400' '
	check bad2 400 "\001\002\003 hello\r\n\r\n"
'

test_expect_success 'lower-case HTTP version token -> 400' '
	check bad3 400 "GET / http/1.1\r\nHost: a\r\n\r\n"
'

test_expect_success 'HTTP/2.0 in a request line -> 505' '
	check v2 505 "GET / HTTP/2.0\r\nHost: a\r\n\r\n"
'

test_expect_success 'unknown method -> 501' '
	check meth 501 "BREW / HTTP/1.1\r\nHost: a\r\n\r\n"
'

test_expect_success 'missing Host in HTTP/1.1 -> 400' '
	check nohost 400 "GET / HTTP/1.1\r\nX-A: b\r\n\r\n"
'

test_expect_success 'two Host fields -> 400' '
	check twohost 400 "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
'

test_expect_success 'header section over the limit -> 431' '
	{
		printf "GET / HTTP/1.1\r\nHost: a\r\n" &&
		i=0 && while test $i -lt 400; do
			printf "X-Filler-%d: %0100d\r\n" $i 0; i=$((i + 1))
		done &&
		printf "\r\n"
	} >big.req &&
	: >seen.http &&
	send big && refused big 431
'

test_expect_success 'request target over the limit -> 414' '
	{
		printf "GET /" &&
		head -c 9000 /dev/zero | tr "\0" a &&
		printf " HTTP/1.1\r\nHost: a\r\n\r\n"
	} >long.req &&
	: >seen.http &&
	send long && refused long 414
'

test_expect_success 'unknown transfer coding -> 501' '
	check te 501 "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"
'

test_expect_success 'smuggling: Content-Length with Transfer-Encoding -> 400' '
	check clte 400 "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
'

test_expect_success 'smuggling: two different Content-Lengths -> 400' '
	check clcl 400 "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde"
'

test_expect_success 'smuggling: comma-joined Content-Length -> 400' '
	check clcomma 400 "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4, 4\r\n\r\nabcd"
'

test_expect_success 'smuggling: obfuscated Transfer-Encoding -> 501 or 400' '
	: >seen.http &&
	printf "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" >tex.req &&
	send tex &&
	{ refused tex 501 || refused tex 400; }
'

test_expect_success 'smuggling: Transfer-Encoding in HTTP/1.0 -> 400' '
	check te10 400 "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
'

test_expect_success 'smuggling: obs-fold -> 400' '
	check fold 400 "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n"
'

test_expect_success 'smuggling: bare LF -> 400' '
	check lf 400 "GET / HTTP/1.1\nHost: a\r\n\r\n"
'

test_expect_success 'smuggling: bare CR in a value -> 400' '
	check cr 400 "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n"
'

test_expect_success 'smuggling: NUL in a value -> 400' '
	check nul 400 "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\000c\r\n\r\n"
'

test_expect_success 'smuggling: whitespace before the colon -> 400' '
	check wsc 400 "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n"
'

test_expect_success 'bad chunk size -> 400, nothing after it is served' '
	: >seen.http &&
	printf "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n" >chunk.req &&
	send chunk &&
	grep -q "^HTTP/1.1 400 " chunk.resp &&
	! grep -q "^GET /smuggled" seen.http
'

test_expect_success 'chunk size overflow -> 400' '
	: >seen.http &&
	printf "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n" >ovf.req &&
	send ovf &&
	grep -q "^HTTP/1.1 400 " ovf.resp
'

test_expect_success '0x chunk size -> 400' '
	printf "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n" >hex.req &&
	send hex &&
	grep -q "^HTTP/1.1 400 " hex.resp
'

test_expect_success 'Expect other than 100-continue -> 417' '
	check expect 417 "GET / HTTP/1.1\r\nHost: a\r\nExpect: tea\r\n\r\n"
'

test_expect_success 'asterisk-form for GET -> 400' '
	check star 400 "GET * HTTP/1.1\r\nHost: a\r\n\r\n"
'

test_expect_success 'truncated head, then close: nothing forwarded' '
	: >seen.http &&
	printf "GET /trunc HTTP/1.1\r\nHost: a\r\nX-Half" >trunc.req &&
	send trunc &&
	! test -s trunc.resp &&
	! test -s seen.http
'

test_expect_success 'truncated body, then close: nothing answered 200' '
	printf "POST /tb HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nshort" >tb.req &&
	send tb &&
	! grep -q "^HTTP/1.1 200" tb.resp
'

test_expect_success 'absolute-form target uses its own authority' '
	: >seen.http &&
	printf "GET http://example.test:8080/abs?q=1 HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n" >abs.req &&
	send abs &&
	grep -q "^HTTP/1.1 200" abs.resp &&
	grep -q "^GET /abs?q=1 HTTP/1.1" seen.http &&
	grep -qi "^x-forwarded-host: example.test:8080" seen.http
'

test_expect_success 'dot segments are resolved before routing and forwarding' '
	: >seen.http &&
	printf "GET /a/b/../%%2e%%2e/c/./d HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" >dots.req &&
	send dots &&
	grep -q "^GET /c/d HTTP/1.1" seen.http
'

test_expect_success 'the worker survived and holds no extra descriptors' '
	worker=$(cat worker.pid) &&
	test_alive "$worker" &&
	sleep 0.2 &&
	count_fds "$worker" >fds.after &&
	# none more than before; a pooled upstream connection open then
	# may have timed out since
	test "$(cat fds.after)" -le "$(cat fds.before)"
'

test_expect_success 'and still serves' '
	test "$(http_get_status "http://127.0.0.1:$(cat gw.port)/ok")" = 200
'

test_done
