#!/bin/sh
test_description='gw-serve: the orchestrate route handler, live, behind policies, from recordings, and its failures'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl gw-serve gw-orchestrate gw-test-catalog gw-test-upstream

DATA=$GW_DATA_DIR/orchestrate/catalog
MAN5=$GW_SRCDIR/man/gw-orchestrate.5

catalog() {
	n_=$1
	d_=$2
	shift 2
	gw_start_bg_ "$n_" "$n_.port" gw-test-catalog -d "$DATA/$d_" \
	    -p "$n_.port" -o "$n_.seen" "$@"
}

# The catalog script of gw-orchestrate(5), pointed at the services.
catalog_script() {
	awk '/^\.Sh EXAMPLES/ { ex = 1 }
	    ex && /^\.Bd -literal/ { on = 1; next }
	    on && /^\.Ed/ { exit }
	    on { print }' "$MAN5" |
	    sed -e 's/\\e/\\/g' -e 's/\\&//g' \
	    -e "s/127.0.0.1:8001/127.0.0.1:$(cat lookup.port)/" \
	    -e "s/127.0.0.1:8002/127.0.0.1:$(cat items.port)/" \
	    -e "s/127.0.0.1:8003/127.0.0.1:$(cat prices.port)/" \
	    -e "s/127.0.0.1:8004/127.0.0.1:$(cat stock.port)/" \
	    -e "s/127.0.0.1:8005/127.0.0.1:$(cat reviews.port)/"
}

url() {
	echo "http://127.0.0.1:$(cat gw.port)$1"
}

test_expect_success 'the services, the scripts, their recordings' '
	catalog lookup lookup &&
	catalog items items &&
	catalog prices prices &&
	catalog stock stock &&
	catalog reviews reviews &&
	gw_start_upstream echo --echo -o echo.seen &&
	gw_start_upstream stall --stall &&
	mkdir scripts &&
	catalog_script >scripts/catalog.json &&
	cat >scripts/echo.json <<-EOF &&
	{ "steps": {
	    "e": { "method": "POST", "url": "http://127.0.0.1:$(cat echo.port)/e",
	           "json": { "tenant": "\${request.headers.x-tenant}",
	                     "q": "\${request.query.q ?? null}",
	                     "body": "\${request.body ?? null}" } } },
	  "response": { "status": 201,
	                "headers": { "X-Step-Status": "\${e.status}" },
	                "json": "\${e.body}" } }
	EOF
	cat >scripts/ptr.json <<-EOF &&
	{ "steps": { "e": { "method": "POST", "url": "http://127.0.0.1:$(cat echo.port)/e",
	                    "json": { "k": "\${request.body/k}" } } },
	  "response": { "json": "\${e.body}" } }
	EOF
	cat >scripts/stall.json <<-EOF &&
	{ "deadline_ms": 300,
	  "steps": { "s": { "url": "http://127.0.0.1:$(cat stall.port)/",
	                    "timeout_ms": 60000 } } }
	EOF
	cat >scripts/slow.json <<-EOF &&
	{ "deadline_ms": 1500,
	  "steps": { "s": { "url": "http://127.0.0.1:$(cat stall.port)/",
	                    "timeout_ms": 60000 } } }
	EOF
	gw-orchestrate run --param id=42 --record recordings \
	    scripts/catalog.json >cli.json &&
	test -s cli.json
'

test_expect_success 'a configuration with orchestrate routes' '
	cat >gw.json <<-\EOF &&
	{ "workers": 1,
	  "routes": [
	    { "match": { "path": "/v1/catalog/{id}" },
	      "orchestrate": "scripts/catalog.json" },
	    { "match": { "path": "/replayed/{id}" },
	      "orchestrate": { "script": "scripts/catalog.json",
	                       "replay": "recordings" } },
	    { "match": { "path": "/denied/{id}" },
	      "policies": [ { "ip": { "deny": ["127.0.0.0/8"] } } ],
	      "orchestrate": "scripts/catalog.json" },
	    { "match": { "prefix": "/echo" },
	      "policies": [ { "headers": { "request": {
	          "set": { "X-Tenant": "from-policy" } } } } ],
	      "orchestrate": "scripts/echo.json" },
	    { "match": { "path": "/ptr" }, "orchestrate": "scripts/ptr.json",
	      "max_body_bytes": 100 },
	    { "match": { "path": "/stall" }, "orchestrate": "scripts/stall.json" },
	    { "match": { "path": "/slow" }, "orchestrate": "scripts/slow.json" }
	  ] }
	EOF
	gw-serve --check -c gw.json &&
	gw_start_serve gw -c gw.json
'

test_expect_success 'a composition through the gateway: what the command gives' '
	curl -sS -D head -o body "$(url /v1/catalog/42)" &&
	grep -q "^HTTP/1.1 200" head &&
	grep -qi "^cache-control: max-age=60" head &&
	grep -qi "^content-type: application/json" head &&
	grep -qi "^x-request-id: " head &&
	test_cmp cli.json body &&
	grep -q "\"path\":\"/v1/catalog/42\".*\"upstream\":\"[^\"]*scripts/catalog.json\"" gw.log
'

test_expect_success 'path parameters of the route are the script'"'"'s' '
	curl -sS -o body "$(url /v1/catalog/43)" &&
	grep -q "^{\"id\":\"43\",\"sku\":\"m-5\"" body &&
	grep -qx "GET /lookup/43" lookup.seen
'

test_expect_success 'a policy in front: denied before any call' '
	n=$(wc -l <lookup.seen) &&
	test "$(http_get_status "$(url /denied/42)")" = 403 &&
	test "$(wc -l <lookup.seen)" = "$n"
'

test_expect_success 'a policy in front: the script sees the request it left' '
	curl -sS -D head -o body -H "X-Tenant: from-client" \
	    -H "X-Request-Id: orch-test-1" -H "Content-Type: application/json" \
	    --data "{\"k\":[1,2]}" "$(url /echo/x?q=a%20b)" &&
	grep -q "^HTTP/1.1 201" head &&
	grep -qi "^x-step-status: 200" head &&
	echo "{\"tenant\":\"from-policy\",\"q\":\"a b\",\"body\":{\"k\":[1,2]}}" \
	    >expect &&
	test_cmp expect body &&
	grep -qi "^x-request-id: orch-test-1" echo.seen
'

test_expect_success 'a request body that is not what the script reads' '
	curl -sS -D head -o body -H "Content-Type: application/json" \
	    --data "not json" "$(url /echo/x)" &&
	grep -q "^HTTP/1.1 201" head &&
	grep -q "\"body\":\"not json\"" body
'

test_expect_success 'a body the script reads by pointer: JSON, or 400; 413 past the limit' '
	curl -sS -o body -H "Content-Type: application/json" \
	    --data "{\"k\":[1]}" "$(url /ptr)" &&
	echo "{\"k\":[1]}" >expect &&
	test_cmp expect body &&
	curl -sS -D head -o body --data "k=1" "$(url /ptr)" &&
	grep -q "^HTTP/1.1 400" head &&
	grep -qi "^content-type: application/problem+json" head &&
	grep -q "the request body is not JSON" body &&
	head -c 200 /dev/zero | tr "\\0" a >big &&
	curl -sS -D head -o body --data-binary @big "$(url /ptr)" &&
	grep -q "^HTTP/1.1 413" head
'

test_expect_success 'the deadline: 504 problem+json' '
	curl -sS -D head -o body -H "X-Request-Id: orch-test-2" "$(url /stall)" &&
	grep -q "^HTTP/1.1 504" head &&
	grep -qi "^content-type: application/problem+json" head &&
	grep -q "\"type\":\"urn:gw:problem:gateway-timeout\"" body &&
	grep -q "\"request_id\":\"orch-test-2\"" body
'

test_expect_success 'a client that goes away: the worker serves on' '
	worker=$(pgrep -P "$(cat gw.pid)" | head -n 1) &&
	test_must_fail curl -sS -o /dev/null --max-time 0.3 "$(url /slow)" &&
	test "$(http_get_status "$(url /v1/catalog/42)")" = 200 &&
	test_alive "$worker"
'

test_expect_success 'the services stopped: 502 naming the step' '
	for s in lookup items prices stock reviews
	do
		gw_stop $s || exit 1
	done &&
	curl -sS -D head -o body "$(url /v1/catalog/42)" &&
	grep -q "^HTTP/1.1 502" head &&
	grep -qi "^content-type: application/problem+json" head &&
	grep -q "\"type\":\"urn:gw:problem:bad-gateway\"" body &&
	grep -q "\"step\":\"lookup\"" body &&
	grep -q "connection failed" body &&
	grep -q "\"request_id\":\"" body
'

test_expect_success 'the same route from recordings: the same answer' '
	curl -sS -D head -o body "$(url /replayed/42)" &&
	grep -q "^HTTP/1.1 200" head &&
	test_cmp cli.json body &&
	curl -sS -D head -o body "$(url /replayed/43)" &&
	grep -q "^HTTP/1.1 502" head &&
	grep -q "lookup/43 was not recorded" body
'

test_expect_success 'a bad script: the configuration is refused, with both places' '
	cat >scripts/bad.json <<-\EOF &&
	{ "steps": { "a": { "url": "http://127.0.0.1:1/${b.body}" } } }
	EOF
	cat >bad.json <<-\EOF &&
	{ "routes": [
	    { "match": { "path": "/x" }, "orchestrate": "scripts/bad.json" },
	    { "match": { "path": "/y" }, "orchestrate": { "script": "scripts/none.json" } },
	    { "match": { "path": "/z" }, "orchestrate": { "script": "scripts/catalog.json",
	                                                "replay": "norecordings", "x": 1 } } ] }
	EOF
	test_expect_code 78 gw-serve --check -c bad.json 2>err &&
	grep -q "bad.json:2:49: routes\[0\].orchestrate: .*scripts/bad.json:1:28: steps.a.url: \${b.body}: unknown step .b." err &&
	grep -q "routes\[1\].orchestrate.script: cannot open .*scripts/none.json.: No such file" err &&
	grep -q "routes\[2\].orchestrate.x: unknown key .x." err &&
	grep -q "routes\[2\].orchestrate.replay: cannot open .*norecordings." err
'

test_done
