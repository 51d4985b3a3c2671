#!/bin/sh
test_description='gw-orchestrate: usage, exit codes, check, requests, bad scripts and requests'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-orchestrate gw-test-upstream

test_expect_success 'usage: 0 for -h, 64 for the rest' '
	gw-orchestrate -h >out &&
	grep -q "^usage: gw-orchestrate \[-hV\]" out &&
	gw-orchestrate -V | grep -q "^gw-orchestrate [0-9]" &&
	test_expect_code 64 gw-orchestrate 2>err &&
	test_expect_code 64 gw-orchestrate frob s.json 2>err &&
	grep -q "unknown command .frob." err &&
	test_expect_code 64 gw-orchestrate run 2>err &&
	test_expect_code 64 gw-orchestrate run a.json b.json 2>err &&
	test_expect_code 64 gw-orchestrate check --trace s.json 2>err &&
	grep -q "check does not take that option" err &&
	test_expect_code 64 gw-orchestrate run --dot s.json 2>err &&
	test_expect_code 64 gw-orchestrate run --param nope s.json 2>err &&
	grep -q "param wants name=value" err &&
	test_expect_code 64 gw-orchestrate run --record a --replay b s.json \
	    2>err &&
	grep -q "do not go together" err
'

test_expect_success 'a missing script: 66' '
	test_expect_code 66 gw-orchestrate check nowhere.json 2>err &&
	grep -q "^gw-orchestrate: cannot open .nowhere.json.: No such file" err &&
	test_expect_code 66 gw-orchestrate run nowhere.json 2>err
'

test_expect_success 'a bad script: 65, every error with its place' '
	cat >bad.json <<-\EOF &&
	{
	  "steps": {
	    "a": { "url": "http://127.0.0.1:1/${b.body/x}" },
	    "b": { "url": "http://127.0.0.1:1/${a.status}",
	           "retries": 2, "method": "POST" },
	    "c": { "url": "http://127.0.0.1:1/${lokup.body}", "tiemout_ms": 5 }
	  },
	  "response": { "json": "${item}" }
	}
	EOF
	test_expect_code 65 gw-orchestrate check bad.json 2>err &&
	grep -q "^bad.json:5:23: steps.b.retries: only idempotent calls are retried" err &&
	grep -q "^bad.json:6:19: steps.c.url: \${lokup.body}: unknown step .lokup." err &&
	grep -q "^bad.json:6:55: steps.c.tiemout_ms: unknown key .tiemout_ms.; did you mean .timeout_ms.?" err &&
	grep -q "^bad.json:8:25: response.json: \${item}: .item. is only known" err &&
	test_line_count = 4 err
'

test_expect_success 'a script whose steps wait in a cycle: 65, naming it' '
	cat >cycle.json <<-\EOF &&
	{ "steps": {
	    "a": { "url": "http://127.0.0.1:1/${c.body}" },
	    "b": { "url": "http://127.0.0.1:1/${a.body}" },
	    "c": { "url": "http://127.0.0.1:1/${b.body}" } } }
	EOF
	test_expect_code 65 gw-orchestrate check cycle.json 2>err &&
	grep -q "^cycle.json:2:10: steps.a: the steps wait for each other in a cycle: a -> c -> b -> a" err &&
	test_expect_code 65 gw-orchestrate run cycle.json 2>err
'

test_expect_success 'a syntax error: 65, with its place' '
	printf "{ \"steps\": { \"a\": { \"url\": \"http://h:1/\" } }\n" >trunc.json &&
	test_expect_code 65 gw-orchestrate check trunc.json 2>err &&
	grep -q "^trunc.json:2:1: " err
'

test_expect_success 'a host that does not resolve: 65' '
	printf "{ \"steps\": { \"a\": { \"url\": \"http://no-such-host.invalid/\" } } }\n" \
	    >host.json &&
	test_expect_code 65 gw-orchestrate check host.json 2>err &&
	grep -q "cannot resolve .no-such-host.invalid." err
'

test_expect_success 'an upstream that echoes' '
	gw_start_upstream echo --echo
'

test_expect_success 'the request: method, path, query, fields, params, body' '
	cat >req.json <<-\EOF &&
	// a request
	{ "method": "PUT", "path": "/v1/things/7",
	  "query": { "q": "a b", "n": "1" },
	  "headers": { "X-Tenant": "t1" },
	  "params": { "id": "7" },
	  "body": { "name": "seven", "tags": ["x"] } }
	EOF
	cat >echo.json <<-EOF &&
	{ "steps": {
	    "e": { "method": "POST", "url": "http://127.0.0.1:$(cat echo.port)/echo",
	           "json": { "m": "\${request.method}", "p": "\${request.path}",
	                     "q": "\${request.query.q}", "t": "\${request.headers.x-tenant}",
	                     "id": "\${request.params.id}", "tags": "\${request.body/tags}",
	                     "whole": "\${request.body}" } } },
	  "response": { "json": "\${e.body}" } }
	EOF
	gw-orchestrate run --request req.json --param id=8 echo.json >out &&
	cat >expect <<-\EOF &&
	{"m":"PUT","p":"/v1/things/7","q":"a b","t":"t1","id":"8","tags":["x"],"whole":{"name":"seven","tags":["x"]}}
	EOF
	test_cmp expect out
'

test_expect_success 'a bad request file: 65 with its place; a missing one 66' '
	printf "{ \"path\": \"x\", \"bdy\": 1 }" >badreq.json &&
	test_expect_code 65 gw-orchestrate run --request badreq.json echo.json \
	    2>err &&
	grep -q "badreq.json:1:16: bdy: unknown key .bdy.; did you mean .body.?" err &&
	test_expect_code 66 gw-orchestrate run --request none.json echo.json \
	    2>err
'

test_expect_success 'a body the script reads by pointer must be JSON: 65' '
	printf "{ \"body_text\": \"not json\" }" >textreq.json &&
	test_expect_code 65 gw-orchestrate run --request textreq.json \
	    echo.json 2>err &&
	grep -q "the request body is not JSON" err
'

test_expect_success '--include writes the head' '
	gw-orchestrate run --include --request req.json echo.json >out &&
	tr -d "\r" <out >head &&
	sed -n 1p head >line &&
	echo "HTTP/1.1 200 OK" >expect &&
	test_cmp expect line &&
	grep -q "^Content-Type: application/json$" head &&
	len=$(sed -n "s/^Content-Length: //p" head) &&
	test "$len" = "$(sed -e "1,/^$/d" head | wc -c | tr -d " ")"
'

test_expect_success 'check --dot: a digraph' '
	gw-orchestrate check --dot echo.json >dot &&
	grep -q "^digraph orchestration {" dot &&
	grep -q "\"e\" -> \"(response)\";" dot &&
	if command -v dot >/dev/null 2>&1
	then
		dot -Tsvg dot >graph.svg && test -s graph.svg
	fi
'

test_expect_success 'a recordings directory that cannot be made: 73' '
	: >afile &&
	test_expect_code 73 gw-orchestrate run --record afile/sub echo.json \
	    2>err &&
	grep -q "cannot create .afile/sub." err
'

test_expect_success 'recordings that are not: 65 or 66' '
	test_expect_code 66 gw-orchestrate run --replay nodir echo.json 2>err &&
	mkdir badrec &&
	echo "{ \"step\": 1 }" >badrec/x.json &&
	test_expect_code 65 gw-orchestrate run --replay badrec echo.json \
	    2>err &&
	grep -q "badrec/x.json:1:11: step: expected a string" err
'

test_done
