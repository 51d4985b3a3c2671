#!/bin/sh
test_description='gw-serve -c: configuration, routing, static routes, reload'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl socat gw-serve gw-test-upstream

test_expect_success 'the shipped demo configuration checks clean' '
	gw-serve --check -c "$GW_SRCDIR/examples/gw.json"
'

test_expect_success '--check reports every error with file:line:col and path' '
	cat >bad.json <<-\EOF &&
	{
	  // a comment is fine
	  "workerz": 2,
	  "upstreams": { "catalog": { "targets": ["http://127.0.0.1:9"],
	                              "balance": "random" } },
	  "routes": [
	    { "match": { "path": "/x/{id}" }, "proxy": "catalgo" },
	    { "match": { "path": "/y", "methods": ["get"] },
	      "static": { "status": 700 } },
	    { "match": { "prefix": "/z" } }
	  ]
	}
	EOF
	test_expect_code 78 gw-serve --check -c bad.json 2>err &&
	cat >expect <<-\EOF &&
	bad.json:3:3: workerz: unknown key '"'"'workerz'"'"'; did you mean '"'"'workers'"'"'?
	bad.json:5:42: upstreams.catalog.balance: unknown balance '"'"'random'"'"': expected round-robin or least-connections
	bad.json:7:48: routes[0].proxy: unknown upstream '"'"'catalgo'"'"'; did you mean '"'"'catalog'"'"'?
	bad.json:8:44: routes[1].match.methods[0]: unknown method; method names are upper case, as "GET"
	bad.json:9:29: routes[1].static.status: must be from 100 to 599
	bad.json:10:5: routes[2]: a route needs exactly one handler: "proxy", "static" or "orchestrate"
	EOF
	test_cmp expect err
'

test_expect_success 'a syntax error stops with its position' '
	printf "{\n  \"routes\": [ }\n" >syntax.json &&
	test_expect_code 78 gw-serve --check -c syntax.json 2>err &&
	grep -q "^syntax.json:2:" err
'

test_expect_success 'a missing file exits 66 (EX_NOINPUT)' '
	test_expect_code 66 gw-serve --check -c nope.json 2>err &&
	grep -q "^gw-serve: cannot open .nope.json." err
'

test_expect_success 'usage errors exit 64' '
	test_expect_code 64 gw-serve 2>err &&
	test_expect_code 64 gw-serve --workers 0 --to http://127.0.0.1:1 2>err &&
	test_expect_code 64 gw-serve --listen nonsense --to http://127.0.0.1:1 \
	    2>err &&
	test_expect_code 64 gw-serve -c a.json --to http://127.0.0.1:1 2>err
'

test_expect_success 'start two upstreams and a configured gateway' '
	gw_start_upstream a -o a.seen --id A &&
	gw_start_upstream b -o b.seen --id B &&
	printf "hello from a file\n" >hello.txt &&
	cat >gw.json <<-EOF &&
	{
	  "workers": 1,
	  "upstreams": {
	    "both": { "targets": ["http://127.0.0.1:$(cat a.port)",
	                          "http://127.0.0.1:$(cat b.port)"] },
	    "only-a": { "targets": ["http://127.0.0.1:$(cat a.port)"] },
	    "only-b": { "targets": ["http://127.0.0.1:$(cat b.port)"] }
	  },
	  "routes": [
	    { "name": "items", "match": { "path": "/items/{id}",
	      "methods": ["GET"] },
	      "proxy": { "upstream": "only-a", "path": "/v2/item/{id}" } },
	    { "name": "special", "match": { "path": "/items/special" },
	      "static": { "json": { "special": true } } },
	    { "name": "api", "match": { "prefix": "/api/" },
	      "proxy": { "upstream": "only-b", "strip_prefix": true } },
	    { "name": "rr", "match": { "prefix": "/rr" }, "proxy": "both" },
	    { "name": "beta", "match": { "prefix": "/v",
	      "headers": { "X-Beta": "1" } }, "proxy": "only-b" },
	    { "name": "v", "match": { "prefix": "/v" }, "proxy": "only-a" },
	    { "name": "vhost", "match": { "host": "*.example.test",
	      "prefix": "/" }, "static": { "status": 202, "body": "vhost\n" } },
	    { "name": "file", "match": { "path": "/file" },
	      "static": { "file": "hello.txt",
	                  "headers": { "Content-Type": "text/plain" } } },
	    { "name": "post-only", "match": { "path": "/form",
	      "methods": ["POST"] }, "static": { "status": 201 } }
	  ]
	}
	EOF
	gw-serve --check -c gw.json &&
	gw_start_serve gw -c gw.json
'

url() {
	echo "http://127.0.0.1:$(cat gw.port)$1"
}

test_expect_success 'template route with a rewritten path' '
	: >a.seen &&
	curl -sS -o body "$(url /items/42?x=1)" &&
	grep -q "^GET /v2/item/42?x=1 HTTP/1.1" a.seen
'

test_expect_success 'a literal segment beats a parameter' '
	curl -sS -o body "$(url /items/special)" &&
	grep -q "\"special\":true" body
'

test_expect_success 'a prefix route strips its prefix' '
	: >b.seen &&
	curl -sS -o body "$(url /api/users/7)" &&
	grep -q "^GET /users/7 HTTP/1.1" b.seen
'

test_expect_success 'a prefix matches on segment boundaries only' '
	test "$(http_get_status "$(url /apix)")" = 404
'

test_expect_success 'round-robin alternates between the targets' '
	for i in 1 2 3 4; do
		curl -sS -D - -o /dev/null "$(url /rr/$i)" |
		    sed -n "s/^X-Upstream: *//p" | tr -d "\r"
	done >ids &&
	printf "A\nB\nA\nB\n" >expect1 &&
	printf "B\nA\nB\nA\n" >expect2 &&
	{ test_cmp expect1 ids || test_cmp expect2 ids; }
'

test_expect_success 'a header condition picks its route first' '
	: >a.seen && : >b.seen &&
	curl -sS -o /dev/null -H "X-Beta: 1" "$(url /v/x)" &&
	grep -q "^GET /v/x" b.seen &&
	curl -sS -o /dev/null "$(url /v/y)" &&
	grep -q "^GET /v/y" a.seen
'

test_expect_success 'a wildcard host route answers for its hosts' '
	curl -sS -D head -o body -H "Host: api.example.test" "$(url /items/1)" &&
	grep -q "^HTTP/1.1 202" head &&
	test "$(cat body)" = vhost
'

test_expect_success 'static file route' '
	curl -sS -D head -o body "$(url /file)" &&
	test_cmp hello.txt body &&
	grep -qi "^content-type: text/plain" head
'

test_expect_success 'HEAD on a static route: length, no body' '
	curl -sS -I "$(url /file)" >head &&
	grep -qi "^content-length: 18" head
'

test_expect_success 'no route -> 404 problem+json' '
	curl -sS -D head -o body "$(url /nothing/here)" &&
	grep -q "^HTTP/1.1 404" head &&
	grep -qi "^content-type: application/problem+json" head &&
	grep -q "\"type\":\"urn:gw:problem:not-found\"" body &&
	grep -q "\"status\":404" body
'

test_expect_success 'wrong method -> 405 with Allow' '
	curl -sS -D head -o body -X DELETE "$(url /form)" &&
	grep -q "^HTTP/1.1 405" head &&
	grep -qi "^allow: POST" head &&
	curl -sS -D head -o body -X POST "$(url /form)" &&
	grep -q "^HTTP/1.1 201" head
'

test_expect_success 'SIGHUP with a bad configuration keeps the old one' '
	cp gw.json gw.good &&
	echo "{ \"routes\": [ { \"static\": 1 } ] }" >gw.json &&
	kill -HUP "$(cat gw.pid)" &&
	n=0 && while ! grep -q "reload refused" gw.log && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	grep -q "reload refused" gw.log &&
	curl -sS -o body "$(url /items/special)" &&
	grep -q "\"special\":true" body
'

test_expect_success 'SIGHUP with a good configuration switches to it' '
	sed "s/\"special\": true/\"special\": \"reloaded\"/" gw.good >gw.json &&
	kill -HUP "$(cat gw.pid)" &&
	n=0 && while ! grep -q "generation 1" gw.log && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	n=0 && while test $n -lt 100; do
		curl -sS -o body "$(url /items/special)" &&
		grep -q reloaded body && break
		sleep 0.05; n=$((n + 1))
	done &&
	grep -q "\"special\":\"reloaded\"" body
'

test_expect_success 'after the reload exactly one worker of the new generation runs' '
	sleep 0.3 &&
	test "$(pgrep -P "$(cat gw.pid)" | wc -l)" = 1
'

test_done
