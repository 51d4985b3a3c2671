#!/bin/sh
test_description='gw-serve mediate policy: configuration errors, and stylesheets compiled again on SIGHUP'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl gw-serve

# v.xsl puts its version in an attribute; the route answers from its
# configuration, so no upstream is needed: the response mediation runs on
# any handler's answer.
write_xsl() {
	cat >m/v.xsl <<-EOF
	<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
	  <xsl:template match="/*"><r v="$1"><xsl:copy-of select="*"/></r></xsl:template>
	</xsl:stylesheet>
	EOF
}

test_expect_success 'a route whose answer goes through a stylesheet' '
	mkdir -p m &&
	write_xsl 1 &&
	cat >m/resp.json <<-\EOF &&
	{ "steps": [ { "json2xml": "friendly" }, { "xslt": "v.xsl" } ] }
	EOF
	cat >gw.json <<-\EOF &&
	{ "workers": 1,
	  "routes": [
	    { "match": { "path": "/v" },
	      "static": { "json": { "a": 1, "b": 2 } },
	      "policies": [ { "mediate": { "response": "m/resp.json" } } ] } ] }
	EOF
	gw-serve --check -c gw.json &&
	gw_start_serve gw -c gw.json &&
	curl -sS -D head -o body "http://127.0.0.1:$(cat gw.port)/v" &&
	grep -q "<r v=\"1\"><a>1</a><b>2</b></r>" body &&
	grep -qi "^content-type: application/xml" head
'

# wait_for_v N: the route answers with version N (the reload is done)
wait_for_v() {
	i=0
	while test $i -lt 100; do
		curl -sS -o body "http://127.0.0.1:$(cat gw.port)/v" &&
		grep -q "v=\"$1\"" body && return 0
		sleep 0.1
		i=$((i + 1))
	done
	cat body >&2
	return 1
}

test_expect_success 'SIGHUP: a changed stylesheet is compiled again' '
	write_xsl 2 &&
	touch -d "+2 seconds" m/v.xsl &&
	kill -HUP "$(cat gw.pid)" &&
	wait_for_v 2
'

test_expect_success 'SIGHUP: a broken one is refused, the old one serves' '
	printf "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n<xsl:template match=\"/\"><xsl:value-of select=\"((\"/></xsl:template></xsl:stylesheet>\n" >m/v.xsl &&
	touch -d "+4 seconds" m/v.xsl &&
	kill -HUP "$(cat gw.pid)" &&
	n=0 &&
	while ! grep -q "v.xsl:2:" gw.log && test $n -lt 100
	do
		sleep 0.1
		n=$((n + 1))
	done &&
	grep -q "v.xsl:2: xsl:value-of : could not compile" gw.log &&
	curl -sS -o body "http://127.0.0.1:$(cat gw.port)/v" &&
	grep -q "v=\"2\"" body
'

test_expect_success 'and once fixed, the next reload takes it' '
	write_xsl 3 &&
	touch -d "+6 seconds" m/v.xsl &&
	kill -HUP "$(cat gw.pid)" &&
	wait_for_v 3
'

test_expect_success '--check: errors of mediation files, placed in both files' '
	cat >m/bad.json <<-\EOF &&
	{ "steps": [
	    { "xsl": "v.xsl" },
	    { "soap_wrap": { "version": "2" } } ] }
	EOF
	cat >bad.json <<-\EOF &&
	{ "routes": [
	    { "match": { "path": "/a" }, "static": {},
	      "policies": [ { "mediate": { "request": "m/bad.json",
	                                   "respons": "m/none.json" } } ] },
	    { "match": { "path": "/b" }, "static": {},
	      "policies": [ { "mediate": { "request": "m/none.json" } } ] },
	    { "match": { "path": "/c" }, "static": {},
	      "policies": [ { "mediate": {} } ] } ] }
	EOF
	test_expect_code 78 gw-serve --check -c bad.json 2>err &&
	grep -q "bad.json:4:[0-9]*: routes\[0\].policies\[0\].mediate.respons: unknown key .respons.; did you mean .response.?" err &&
	grep -q "routes\[0\].policies\[0\].mediate.request: .*m/bad.json:2:7: steps\[0\]: unknown step .xsl.; did you mean .xslt.?" err &&
	grep -q "routes\[0\].policies\[0\].mediate.request: .*m/bad.json:3:[0-9]*: steps\[1\].soap_wrap.version: expected 1.1, 1.2 or caller" err &&
	grep -q "routes\[1\].policies\[0\].mediate.request: cannot open .*m/none.json" err &&
	grep -q "routes\[2\].policies\[0\].mediate: give a request or a response mediation" err
'

test_done
