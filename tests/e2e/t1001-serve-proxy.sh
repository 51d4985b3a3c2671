#!/bin/sh
test_description='gw-serve --to: the request path through a real upstream'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl socat gw-serve gw-test-upstream

test_expect_success 'start an upstream that records what it gets' '
	gw_start_upstream up -o seen.http --id up1 \
	    --header "Connection: keep-alive, X-Hop" --header "X-Hop: secret" \
	    --header "Keep-Alive: timeout=5" &&
	gw_start_serve gw --workers 1 --to "http://127.0.0.1:$(cat up.port)"
'

test_expect_success 'a GET is forwarded and answered' '
	curl -sS -D head -o body "http://127.0.0.1:$(cat gw.port)/hello?x=1" &&
	grep -q "^HTTP/1.1 200" head &&
	grep -q "^GET /hello?x=1 HTTP/1.1" seen.http &&
	grep -qi "^x-upstream: up1" head
'

test_expect_success 'proxy fields go up: X-Forwarded-*, Via, X-Request-Id' '
	grep -qi "^x-forwarded-for: 127.0.0.1" seen.http &&
	grep -qi "^x-forwarded-proto: http" seen.http &&
	grep -qi "^x-forwarded-host: 127.0.0.1:$(cat gw.port)" seen.http &&
	grep -qi "^via: 1.1 gw" seen.http &&
	grep -qi "^x-request-id: [0-9a-f]\{32\}" seen.http &&
	grep -qi "^host: 127.0.0.1:$(cat up.port)" seen.http
'

test_expect_success 'the request id comes back and is in the access log' '
	id=$(sed -n "s/^[Xx]-[Rr]equest-[Ii]d: *\([0-9a-f]*\).*/\1/p" head |
	    tr -d "\r") &&
	test -n "$id" &&
	grep -q "\"request_id\":\"$id\"" gw.log &&
	grep "\"request_id\":\"$id\"" gw.log | grep -q "\"status\":200" &&
	grep "\"request_id\":\"$id\"" gw.log |
	    grep -q "\"upstream\":\"http://127.0.0.1:$(cat up.port)\""
'

test_expect_success 'a well-formed client request id is kept' '
	: >seen.http &&
	curl -sS -D head -o body -H "X-Request-Id: abc-123" \
	    "http://127.0.0.1:$(cat gw.port)/rid" &&
	grep -qi "^x-request-id: abc-123" seen.http &&
	grep -qi "^x-request-id: abc-123" head
'

test_expect_success 'a hostile client request id is replaced' '
	: >seen.http &&
	curl -sS -o body -H "X-Request-Id: a\"b{}" \
	    "http://127.0.0.1:$(cat gw.port)/rid2" &&
	grep -qi "^x-request-id: [0-9a-f]\{32\}" seen.http
'

test_expect_success 'hop-by-hop fields are dropped both ways' '
	: >seen.http &&
	curl -sS -D head -o body -H "Connection: keep-alive, X-Mine" \
	    -H "X-Mine: 1" -H "Keep-Alive: 300" -H "TE: trailers" \
	    -H "Proxy-Authorization: Basic eA==" -H "X-Kept: 2" \
	    "http://127.0.0.1:$(cat gw.port)/hop" &&
	! grep -qi "^x-mine:" seen.http &&
	! grep -qi "^keep-alive:" seen.http &&
	! grep -qi "^te:" seen.http &&
	! grep -qi "^proxy-authorization:" seen.http &&
	grep -qi "^x-kept: 2" seen.http &&
	! grep -qi "^x-hop:" head &&
	! grep -qi "^keep-alive:" head &&
	grep -qi "^via: 1.1 gw" head
'

test_expect_success 'X-Forwarded-For is appended to' '
	: >seen.http &&
	curl -sS -o body -H "X-Forwarded-For: 192.0.2.7" \
	    "http://127.0.0.1:$(cat gw.port)/xff" &&
	grep -qi "^x-forwarded-for: 192.0.2.7, 127.0.0.1" seen.http
'

test_expect_success 'start an echo upstream' '
	gw_start_upstream echo --echo &&
	gw_start_serve gwe --workers 1 --to "http://127.0.0.1:$(cat echo.port)"
'

test_expect_success 'a POST body goes up and the answer comes back' '
	printf "{\"a\":1}" >post.json &&
	curl -sS -o body -H "Content-Type: application/json" \
	    --data-binary @post.json "http://127.0.0.1:$(cat gwe.port)/p" &&
	test_cmp post.json body
'

test_expect_success 'a chunked upload of 3 MiB streams through' '
	head -c 3145728 /dev/urandom >big.bin &&
	curl -sS -o body -H "Transfer-Encoding: chunked" \
	    --data-binary @big.bin "http://127.0.0.1:$(cat gwe.port)/up" &&
	cmp big.bin body
'

test_expect_success 'Expect: 100-continue is honoured' '
	curl -sS -o body -H "Expect: 100-continue" --data-binary @big.bin \
	    "http://127.0.0.1:$(cat gwe.port)/cont" 2>err &&
	cmp big.bin body
'

test_expect_success 'keep-alive: several requests on one connection' '
	curl -sS -o /dev/null -o /dev/null -o /dev/null -w "%{num_connects}\n" \
	    "http://127.0.0.1:$(cat gw.port)/k1" \
	    "http://127.0.0.1:$(cat gw.port)/k2" \
	    "http://127.0.0.1:$(cat gw.port)/k3" >connects &&
	printf "1\n0\n0\n" >expect &&
	test_cmp expect connects
'

test_expect_success 'pipelined requests are answered in order' '
	printf "GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\nGET /three HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" >pipe.req &&
	raw_request "$(cat gw.port)" pipe.req >pipe.resp &&
	test "$(grep -c "^HTTP/1.1 200" pipe.resp)" = 3 &&
	grep -c "^GET /" seen.http >/dev/null
'

test_expect_success 'HEAD gets the fields and no body' '
	curl -sS -I "http://127.0.0.1:$(cat gw.port)/h" >head &&
	grep -q "^HTTP/1.1 200" head &&
	grep -qi "^content-length: 3" head
'

test_expect_success 'HTTP/1.0 client: close-delimited answer' '
	printf "GET /ten HTTP/1.0\r\n\r\n" >ten.req &&
	raw_request "$(cat gw.port)" ten.req >ten.resp &&
	grep -q "^HTTP/1.1 200" ten.resp &&
	grep -qi "^connection: close" ten.resp
'

test_expect_success 'workers are still the ones that started' '
	test_alive "$(cat gw.pid)" &&
	test_alive "$(cat gwe.pid)"
'

test_done
