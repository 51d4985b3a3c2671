#!/bin/sh
test_description='gw-serve: route policies (the headers policy) and their errors'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl gw-serve gw-test-upstream

test_expect_success 'a route with a headers policy' '
	gw_start_upstream up -o seen.http --header "Server: secret/1.0" \
	    --header "X-Powered-By: php" &&
	cat >gw.json <<-EOF &&
	{ "workers": 1,
	  "upstreams": { "up": { "targets": ["http://127.0.0.1:$(cat up.port)"] } },
	  "routes": [
	    { "match": { "prefix": "/" }, "proxy": "up",
	      "policies": [
	        { "headers": {
	            "request": { "set": { "X-Env": "test", "X-Twice": "one" },
	                         "remove": ["Cookie", "X-Drop"] },
	            "response": { "set": { "X-Frame-Options": "DENY" },
	                          "remove": ["Server", "X-Powered-By"] } } },
	        { "headers": { "request": { "set": { "X-Twice": "two" } } } }
	      ] } ] }
	EOF
	gw_start_serve gw -c gw.json
'

test_expect_success 'request fields are set and removed before the upstream' '
	curl -sS -D head -o body -H "Cookie: a=b" -H "X-Drop: 1" -H "X-Keep: 2" \
	    -H "X-Env: client" "http://127.0.0.1:$(cat gw.port)/x" &&
	grep -qi "^x-env: test" seen.http &&
	! grep -qi "^x-env: client" seen.http &&
	! grep -qi "^cookie:" seen.http &&
	! grep -qi "^x-drop:" seen.http &&
	grep -qi "^x-keep: 2" seen.http
'

test_expect_success 'policies run in order: the later one wins' '
	grep -qi "^x-twice: two" seen.http &&
	test "$(grep -ci "^x-twice:" seen.http)" = 1
'

test_expect_success 'response fields are set and removed' '
	grep -qi "^x-frame-options: DENY" head &&
	! grep -qi "^server:" head &&
	! grep -qi "^x-powered-by:" head &&
	grep -q "^HTTP/1.1 200" head
'

test_expect_success 'errors the gateway makes pass the response steps too' '
	gw_stop up &&
	curl -sS -D head -o body "http://127.0.0.1:$(cat gw.port)/down" &&
	grep -q "^HTTP/1.1 502" head &&
	grep -qi "^x-frame-options: DENY" head
'

test_expect_success 'an unknown policy is an error, with a suggestion' '
	cat >bad.json <<-\EOF &&
	{ "routes": [ { "static": {},
	    "policies": [ { "header": {} }, { "headers": { "requests": {} } },
	                  { "headers": { "request": { "set": {
	                      "Content-Length": "5" } } } },
	                  "nope" ] } ] }
	EOF
	test_expect_code 78 gw-serve --check -c bad.json 2>err &&
	grep -q "routes\[0\].policies\[0\]: unknown policy .header.; did you mean .headers.?" err &&
	grep -q "routes\[0\].policies\[1\].headers.requests: unknown key .requests.; did you mean .request.?" err &&
	grep -q "routes\[0\].policies\[2\].headers.request.set.Content-Length: .Content-Length. is set by the gateway itself" err &&
	grep -q "routes\[0\].policies\[3\]: a policy is an object with one key" err
'

test_done
