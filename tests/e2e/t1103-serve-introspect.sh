#!/bin/sh
test_description='gw-serve: OAuth 2.0 token introspection against a server started by the test'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl gw-serve gw-test-upstream

# answer JSON: what the introspection server says from now on.
answer() {
	printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: auto\r\n\r\n%s' \
	    "$1" >intro.http
}

test_expect_success 'start an introspection server, an upstream and the gateway' '
	now=$(date +%s) &&
	answer "{\"active\":true,\"sub\":\"alice\",\"scope\":\"orders:read\",\"client_id\":\"app\",\"exp\":$((now + 3600))}" &&
	gw_start_upstream as -r intro.http -o as.seen --count-file as.count &&
	gw_start_upstream up -o seen.http &&
	printf "s3cr3t\n" >client.secret && chmod 600 client.secret &&
	cat >gw.json <<-EOF &&
	{ "workers": 1,
	  "upstreams": { "up": { "targets": ["http://127.0.0.1:$(cat up.port)"] } },
	  "routes": [
	    { "match": { "prefix": "/" }, "proxy": "up",
	      "policies": [ { "introspect": {
	          "url": "http://127.0.0.1:$(cat as.port)/oauth/introspect",
	          "client_id": "gw", "client_secret_file": "client.secret",
	          "timeout_ms": 1000, "negative_cache_s": 60 } },
	        { "authorize": { "scopes": "orders:read" } } ] } ] }
	EOF
	gw_start_serve gw -c gw.json --log-level info
'

st() {
	http_get_status "http://127.0.0.1:$(cat gw.port)/x" \
	    -H "Authorization: Bearer $1"
}

test_expect_success 'an active token passes, as the consumer the server names' '
	test "$(st tok-1)" = 200 &&
	grep -qi "^x-consumer: alice" seen.http &&
	! grep -qi "^authorization:" seen.http &&
	test "$(cat as.count)" = 1
'

test_expect_success 'the server got a form POST with the token and the client credentials' '
	grep -q "^POST /oauth/introspect HTTP/1.1" as.seen &&
	grep -qi "^content-type: application/x-www-form-urlencoded" as.seen &&
	grep -qi "^authorization: Basic $(printf gw:s3cr3t | openssl base64)" as.seen &&
	grep -q "token=tok-1&token_type_hint=access_token" as.seen
'

test_expect_success 'the answer is cached: the server is asked once' '
	test "$(st tok-1)" = 200 &&
	test "$(st tok-1)" = 200 &&
	test "$(cat as.count)" = 1
'

test_expect_success 'an inactive token is refused, and that is cached too' '
	answer "{\"active\":false}" &&
	test "$(st tok-2)" = 401 &&
	test "$(st tok-2)" = 401 &&
	test "$(cat as.count)" = 2 &&
	sleep_ms 100 &&
	grep -q "introspect: request .* refused (inactive)" gw.log
'

test_expect_success 'a token is cached no longer than it lives' '
	now=$(date +%s) &&
	answer "{\"active\":true,\"sub\":\"bob\",\"scope\":\"orders:read\",\"exp\":$((now + 2))}" &&
	test "$(st tok-3)" = 200 &&
	test "$(cat as.count)" = 3 &&
	sleep 3 &&
	test "$(st tok-3)" = 401 &&
	test "$(cat as.count)" = 4
'

test_expect_success 'the scope of the answer feeds authorize' '
	now=$(date +%s) &&
	answer "{\"active\":true,\"sub\":\"carol\",\"scope\":\"profile\",\"exp\":$((now + 60))}" &&
	test "$(st tok-4)" = 403
'

test_expect_success 'special characters of a token are form-encoded' '
	answer "{\"active\":false}" &&
	test "$(st "a+b/c=")" = 401 &&
	grep -q "token=a%2Bb%2Fc%3D&" as.seen
'

test_expect_success 'an authorization server that answers badly: 503' '
	printf "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n" >intro.http &&
	curl -sS -D head -o body -H "Authorization: Bearer tok-5" \
	    "http://127.0.0.1:$(cat gw.port)/x" &&
	grep -q "^HTTP/1.1 503" head &&
	grep -q "urn:gw:problem:auth-unavailable" body &&
	answer "{\"activ\":true}" &&
	test "$(st tok-6)" = 503
'

test_expect_success 'an authorization server that is down: 503' '
	gw_stop as &&
	test "$(st tok-7)" = 503 &&
	sleep_ms 100 &&
	grep -q "introspect: .*connect" gw.log
'

test_expect_success 'an authorization server that hangs: 503 after timeout_ms' '
	gw_start_upstream slow --stall &&
	cat >slow.json <<-EOF &&
	{ "workers": 1,
	  "routes": [ { "match": { "prefix": "/" }, "static": {},
	      "policies": [ { "introspect": { "timeout_ms": 300,
	          "url": "http://127.0.0.1:$(cat slow.port)/i" } } ] } ] }
	EOF
	gw_start_serve gws -c slow.json &&
	test "$(http_get_status "http://127.0.0.1:$(cat gws.port)/" \
	    -H "Authorization: Bearer t")" = 503 &&
	grep -q "timed out" gws.log
'

test_expect_success 'no token reaches the log' '
	! grep -q "tok-[0-9]" gw.log &&
	! grep -q "s3cr3t" gw.log
'

test_done
