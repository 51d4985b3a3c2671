#!/bin/sh
test_description='gw-serve: the audit policies block and log threats; the upstream never sees them'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl gw-serve gw-test-upstream

RULES=$GW_SRCDIR/audit/default.rules

test_expect_success 'an upstream, and routes with audit policies' '
	gw_start_upstream up -o seen.http --count-file count &&
	printf "{\"next\": \"http://169.254.169.254/latest/x\"}" >evil.body &&
	printf "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" \
	    "$(wc -c <evil.body)" >evil.http &&
	cat evil.body >>evil.http &&
	gw_start_upstream evil -r evil.http &&
	cp "$RULES" default.rules &&
	cat >gw.json <<-EOF &&
	{ "workers": 1, "admin": { "listen": "127.0.0.1:0" },
	  "upstreams": { "up": { "targets": ["http://127.0.0.1:$(cat up.port)"] },
	                 "evil": { "targets": ["http://127.0.0.1:$(cat evil.port)"] } },
	  "routes": [
	    { "match": { "prefix": "/api" }, "proxy": "up",
	      "policies": [ { "audit": { "rules": "default.rules",
	                                 "limits": { "max_json_depth": 4,
	                                             "max_bytes": "1k" } } } ] },
	    { "match": { "prefix": "/xml" }, "proxy": "up",
	      "policies": [ { "audit": { "limits": "xml.conf" } } ] },
	    { "match": { "prefix": "/watch" }, "proxy": "up",
	      "policies": [ { "audit": { "rules": "default.rules",
	                                 "mode": "detect", "paranoia": 2 } } ] },
	    { "match": { "prefix": "/evil" }, "proxy": "evil",
	      "policies": [ { "audit_response": { "rules": "default.rules" } } ] }
	  ] }
	EOF
	printf "xml_dtd internal\nmax_xml_depth 3\n" >xml.conf &&
	gw-serve --check -c gw.json &&
	gw_start_serve gw -c gw.json
'

url() {
	echo "http://127.0.0.1:$(cat gw.port)$1"
}

# problem STATUS SLUG: the last answer (head, body) is that problem+json
problem() {
	grep -q "^HTTP/1.1 $1 " head &&
	grep -qi "^content-type: application/problem+json" head &&
	grep -q "\"type\":\"urn:gw:problem:$2\"" body &&
	grep -q "\"status\":$1" body
}

test_expect_success 'a clean request passes, body and all' '
	curl -sS -D head -o body -H "Content-Type: application/json" \
	    --data "{\"name\": \"O Brien\", \"tags\": [\"a\", \"b\"]}" \
	    "$(url /api/items?sort=name)" &&
	grep -q "^HTTP/1.1 200 " head &&
	grep -q "^POST /api/items?sort=name HTTP/1.1" seen.http &&
	grep -q "O Brien" seen.http
'

test_expect_success 'SQL injection in a query parameter: 403, the upstream sees nothing' '
	before=$(cat count) &&
	curl -sS -D head -o body "$(url "/api/items?q=1%20UNION%20SELECT%20password%20FROM%20users")" &&
	problem 403 audit-threat &&
	grep -q "sqli-union-select" body &&
	! grep -qi "password" body &&
	test "$(cat count)" = "$before" &&
	! grep -q "UNION" seen.http
'

test_expect_success 'XSS in a JSON body: 403, and the payload is not echoed' '
	before=$(cat count) &&
	curl -sS -D head -o body -H "Content-Type: application/json" \
	    --data "{\"comment\": \"<script>alert(1)</script>\"}" "$(url /api/c)" &&
	problem 403 audit-threat &&
	grep -q "xss-script" body &&
	! grep -q "alert" body &&
	test "$(cat count)" = "$before"
'

test_expect_success 'JSON over a structure limit: 400; not well-formed: 400' '
	curl -sS -D head -o body -H "Content-Type: application/json" \
	    --data "[[[[[1]]]]]" "$(url /api/d)" &&
	problem 400 audit-refused &&
	grep -q "json-depth" body &&
	curl -sS -D head -o body -H "Content-Type: application/json" \
	    --data "{\"a\": " "$(url /api/d)" &&
	problem 400 audit-refused &&
	grep -q "json-malformed" body
'

test_expect_success 'a body over the audit size limit: 413' '
	head -c 2000 /dev/zero | tr "\0" "a" >big &&
	curl -sS -D head -o body -H "Content-Type: text/plain" \
	    --data-binary @big "$(url /api/big)" &&
	problem 413 audit-too-large
'

test_expect_success 'headers and cookies are scanned' '
	curl -sS -D head -o body -A "sqlmap/1.7-dev" "$(url /api/h)" &&
	problem 403 audit-threat &&
	grep -q "scanner-user-agent" body &&
	curl -sS -D head -o body -H "Cookie: s=\${jndi:ldap://x/a}" \
	    "$(url /api/h)" &&
	problem 403 audit-threat &&
	grep -q "java-jndi" body
'

test_expect_success 'XML: an entity bomb is refused before anything expands' '
	printf "<!DOCTYPE l [<!ENTITY a \"1234567890\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]><l>&d;</l>" >bomb.xml &&
	before=$(cat count) &&
	curl -sS -D head -o body -H "Content-Type: application/xml" \
	    --data-binary @bomb.xml "$(url /xml/b)" &&
	problem 400 audit-refused &&
	grep -q "xml-entity-ratio" body &&
	printf "<!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><a>&e;</a>" >xxe.xml &&
	curl -sS -D head -o body -H "Content-Type: application/xml" \
	    --data-binary @xxe.xml "$(url /xml/x)" &&
	problem 400 audit-refused &&
	grep -q "xml-external-entity" body &&
	test "$(cat count)" = "$before" &&
	curl -sS -D head -o body -H "Content-Type: application/xml" \
	    --data "<a><b>fine</b></a>" "$(url /xml/ok)" &&
	grep -q "^HTTP/1.1 200 " head
'

test_expect_success 'detect mode lets it pass and logs it' '
	curl -sS -D head -o body "$(url "/watch/x?q=%3Cscript%3E")" &&
	grep -q "^HTTP/1.1 200 " head &&
	grep -q "GET /watch/x?q=%3Cscript%3E HTTP/1.1" seen.http
'

test_expect_success 'every finding is one JSON line on stderr' '
	sleep_ms 200 &&
	grep "\"audit\":\"request\"" gw.log >audit.log &&
	grep -q "\"action\":\"block\",.*\"finding\":{\"id\":\"sqli-union-select\",\"kind\":\"rule\"" audit.log &&
	grep -q "\"action\":\"detect\",.*\"finding\":{\"id\":\"xss-script\"" audit.log &&
	grep "\"where\":\"\(header\|cookie\):" audit.log >hdr.log &&
	test_line_count -ge 2 hdr.log &&
	! grep -q "excerpt" hdr.log &&
	python3 -c "import json, sys
for line in open(sys.argv[1]):
    json.loads(line)" audit.log
'

# A response step that replaces the captured body gets it sent with its
# own length.
test_expect_success 'findings are counted per id in the metrics' '
	admin=$(sed -n "s/.*, admin \(127.0.0.1:[0-9]*\)$/\1/p" gw.log) &&
	test -n "$admin" &&
	curl -sS "http://$admin/metrics" >metrics &&
	grep -q "^gw_policy_outcomes_total{route=\"routes\[0\]\",policy=\"audit\",outcome=\"sqli-union-select\"} 1$" metrics &&
	grep -q "^gw_policy_outcomes_total{route=\"routes\[1\]\",policy=\"audit\",outcome=\"xml-entity-ratio\"} 1$" metrics &&
	grep -q "^gw_policy_outcomes_total{route=\"routes\[2\]\",policy=\"audit\",outcome=\"xss-script\"} 1$" metrics
'

test_expect_success 'audit_response: a bad upstream answer becomes a 502' '
	curl -sS -D head -o body "$(url /evil/x)" &&
	problem 502 audit-response &&
	grep -q "ssrf-metadata" body &&
	! grep -q "169.254" body
'

test_expect_success 'configuration errors: rule files, limits, keys' '
	printf "rule a\n\ttargets args\n\tpattern (x\n" >bad.rules &&
	cat >bad.json <<-\EOF &&
	{ "routes": [ { "static": {}, "policies": [
	    { "audit": { "rules": "bad.rules" } },
	    { "audit": { "rules": "missing.rules" } },
	    { "audit": { "limits": { "max_json_dept": 3 } } },
	    { "audit": { "limits": { "max_json_depth": "deep" } } },
	    { "audit": { "paranoia": 5, "mode": "block-ish" } },
	    { "audit": { "rule": "x" } } ] } ] }
	EOF
	test_expect_code 78 gw-serve --check -c bad.json 2>err &&
	grep -q "policies\[0\].audit.rules: .*bad.rules:3: rule .a.: pattern: missing closing parenthesis" err &&
	grep -q "policies\[1\].audit.rules: cannot open .*missing.rules" err &&
	grep -q "policies\[2\].audit.limits.max_json_dept: unknown key .max_json_dept.; did you mean .max_json_depth.?" err &&
	test "$(grep -c "max_json_dept[^h]" err)" = 1 &&
	grep -q "policies\[3\].audit.limits.max_json_depth: max_json_depth: expected a number" err &&
	grep -q "policies\[4\].audit.paranoia" err &&
	grep -q "policies\[4\].audit.mode" err &&
	grep -q "policies\[5\].audit.rule: unknown key .rule.; did you mean .rules.?" err
'

test_done
