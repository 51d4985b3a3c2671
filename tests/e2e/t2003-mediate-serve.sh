#!/bin/sh
test_description='gw-serve mediate policy: a REST face for a real SOAP service (spyne), a SOAP face for a REST service with a real SOAP client (zeep)'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl gw-serve gw-mediate gw-test-upstream

# Debian's python3 has spyne and zeep (python3-spyne, python3-zeep); a
# python3 earlier in PATH may not.
PY=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import spyne, zeep' >/dev/null 2>&1; then
		PY=$p
		break
	fi
done
test -n "$PY" || test_skip_all 'python3 with spyne and zeep not found'
HELPERS=$GW_SRCDIR/tests/helpers
WSDL=$GW_DATA_DIR/gw-mediate/wsdl/calc.wsdl

# jfield FILE KEY: the value of a top-level member of a JSON file
jfield() {
	"$PY" -c 'import json, sys; v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v = v[k]
print(json.dumps(v) if not isinstance(v, str) else v)' "$1" "$2"
}

# --- a REST face for a SOAP service -------------------------------------------

test_expect_success 'a SOAP service, its WSDL, and a REST face from it' '
	gw_start_bg_ soap soap.port "$PY" "$HELPERS/gw-soap-calc.py" soap.port &&
	curl -sS -o calc.wsdl "http://127.0.0.1:$(cat soap.port)/?wsdl" &&
	grep -q "wsdl:definitions" calc.wsdl &&
	gw-mediate wsdl2rest -o rest --prefix /calc \
	    --upstream "http://127.0.0.1:$(cat soap.port)/" calc.wsdl >written &&
	grep -q "rest/gw.json" written
'

test_expect_success 'the configuration, with limits and more routes' '
	printf "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: auto\r\n\r\n" >soap.http &&
	printf "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><AddResponse xmlns=\"http://tempuri.org/\"><AddResult>42</AddResult></AddResponse></s:Body></s:Envelope>" >>soap.http &&
	gw_start_upstream canned -r soap.http -o seen.http &&
	printf "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: auto\r\n\r\n<html>oops</html>" >html.http &&
	gw_start_upstream html -r html.http &&
	"$PY" - rest/gw.json "$(cat canned.port)" "$(cat html.port)" <<-\EOF &&
	import json, sys
	path, canned, html = sys.argv[1:4]
	cfg = json.load(open(path))
	cfg["workers"] = 1
	cfg["upstreams"]["service"]["timeout_ms"] = 1500
	cfg["upstreams"]["canned"] = {"targets": ["http://127.0.0.1:" + canned]}
	cfg["upstreams"]["html"] = {"targets": ["http://127.0.0.1:" + html]}
	add = [r for r in cfg["routes"] if r["name"] == "Add"][0]
	add["max_body_bytes"] = 4096
	pol = add["policies"]
	cfg["routes"].append({"match": {"path": "/canned/Add"}, "proxy": "canned",
	                      "policies": pol})
	cfg["routes"].append({"match": {"path": "/html/Add"}, "proxy": "html",
	                      "policies": pol})
	json.dump(cfg, open(path, "w"), indent=2)
	EOF
	gw-serve --check -c rest/gw.json &&
	gw_start_serve gw -c rest/gw.json
'

url() {
	echo "http://127.0.0.1:$(cat gw.port)$1"
}

test_expect_success 'REST -> SOAP -> REST' '
	curl -sS -D head -o body -d "{\"intA\":2,\"intB\":3}" "$(url /calc/Add)" &&
	grep -q "^HTTP/1.1 200" head &&
	grep -qi "^content-type: application/json" head &&
	echo "{\"AddResult\":5}" >expect &&
	test_cmp expect body
'

test_expect_success 'arrays come from the schema, even of one or none' '
	curl -sS -d "{\"n\":3}" "$(url /calc/Range)" >body &&
	echo "{\"RangeResult\":{\"integer\":[0,1,2]}}" >expect &&
	test_cmp expect body &&
	curl -sS -d "{\"n\":1}" "$(url /calc/Range)" >body &&
	echo "{\"RangeResult\":{\"integer\":[0]}}" >expect &&
	test_cmp expect body &&
	curl -sS -d "{\"n\":0}" "$(url /calc/Range)" >body &&
	echo "{\"RangeResult\":{\"integer\":[]}}" >expect &&
	test_cmp expect body
'

test_expect_success 'a Client fault is a 400 problem with soapFault' '
	curl -sS -D head -o body -d "{\"a\":7,\"b\":0}" "$(url /calc/Divide)" &&
	grep -q "^HTTP/1.1 400" head &&
	grep -qi "^content-type: application/problem+json" head &&
	test "$(jfield body type)" = urn:gw:problem:soap-fault &&
	test "$(jfield body soapFault.code)" = Client &&
	test "$(jfield body soapFault.subcodes)" = "[\"DivideByZero\"]" &&
	test "$(jfield body detail)" = "division by zero" &&
	grep -qi "^x-request-id: $(jfield body request_id)" head
'

test_expect_success 'a Server fault is a 502, its detail kept back' '
	curl -sS -D head -o body -d "{}" "$(url /calc/Crash)" &&
	grep -q "^HTTP/1.1 502" head &&
	test "$(jfield body soapFault.code)" = Server &&
	! grep -q "Traceback\|detail\":\"<" body
'

test_expect_success 'a malformed request is a 400 and never reaches the service' '
	n=$(grep -c "^POST" soap.log) &&
	curl -sS -D head -o body -d "{\"intA\":" "$(url /calc/Add)" &&
	grep -q "^HTTP/1.1 400" head &&
	test "$(jfield body type)" = urn:gw:problem:bad-request &&
	grep -q "1:9: unexpected end of input" body &&
	curl -sS -D head -o body -d "[1,2]" "$(url /calc/Add)" &&
	grep -q "^HTTP/1.1 400" head &&
	grep -q "must be a JSON object" body &&
	test "$(grep -c "^POST" soap.log)" = "$n"
'

test_expect_success 'a body over the route limit is a 413' '
	head -c 5000 /dev/zero | tr "\0" " " >big.json &&
	curl -sS -D head -o body --data-binary @big.json "$(url /calc/Add)" &&
	grep -q "^HTTP/1.1 413" head
'

test_expect_success 'a slow service is a 504' '
	curl -sS -D head -o body -d "{\"ms\":3000}" "$(url /calc/Sleep)" &&
	grep -q "^HTTP/1.1 504" head &&
	test "$(jfield body type)" = urn:gw:problem:gateway-timeout
'

test_expect_success 'what the service is sent: SOAP 1.1, the WSDL'"'"'s action, no gzip' '
	curl -sS -H "Accept-Encoding: gzip" -d "{\"intA\":40,\"intB\":2}" \
	    "$(url /canned/Add)" >body &&
	echo "{\"AddResult\":42}" >expect &&
	test_cmp expect body &&
	grep -qi "^content-type: text/xml; charset=utf-8" seen.http &&
	grep -qi "^soapaction: \"Add\"" seen.http &&
	! grep -qi "^accept-encoding" seen.http &&
	grep -q "<tns:Add\|<n0:Add" seen.http &&
	grep -q "<n0:intA>40</n0:intA><n0:intB>2</n0:intB>" seen.http
'

test_expect_success 'an answer that is not SOAP is a 502' '
	curl -sS -D head -o body -d "{\"intA\":1,\"intB\":2}" "$(url /html/Add)" &&
	grep -q "^HTTP/1.1 502" head &&
	test "$(jfield body type)" = urn:gw:problem:bad-gateway
'

test_expect_success 'the same run offline gives the same answer' '
	printf "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><tns:AddResponse xmlns:tns=\"http://tempuri.org/\"><tns:AddResult>5</tns:AddResult></tns:AddResponse></s:Body></s:Envelope>" >ans.xml &&
	gw-mediate run rest/Add-response.json ans.xml >got &&
	echo "{\"AddResult\":5}" >expect &&
	test_cmp expect got
'

# --- a SOAP face for a REST service ---------------------------------------------

test_expect_success 'a REST service behind a SOAP face' '
	gw_start_bg_ rest rest.port "$PY" "$HELPERS/gw-rest-calc.py" rest.port \
	    rest.seen &&
	gw_start_upstream dead &&
	gw_stop dead &&
	mkdir -p face &&
	cat >face/req.json <<-\EOF &&
	{ "description": "a SOAP request as JSON",
	  "steps": [ { "soap_unwrap": {} },
	             { "xml2json": { "recognize_number": true } } ] }
	EOF
	cat >face/resp.json <<-\EOF &&
	{ "description": "a JSON answer as SOAP, of the caller'"'"'s version",
	  "steps": [ { "json2xml": { "namespace": "http://tempuri.org/" } },
	             { "soap_wrap": "caller" } ] }
	EOF
	cat >face/gw.json <<-EOF &&
	{ "workers": 1,
	  "upstreams": {
	    "rest": { "targets": ["http://127.0.0.1:$(cat rest.port)"],
	              "timeout_ms": 1000 },
	    "dead": { "targets": ["http://127.0.0.1:$(cat dead.port)"],
	              "max_fails": 0 } },
	  "routes": [
	    { "match": { "path": "/soap/calculator", "methods": ["POST"] },
	      "proxy": { "upstream": "rest", "path": "/calc" },
	      "policies": [ { "mediate": { "request": "req.json",
	                                   "response": "resp.json" } } ] },
	    { "match": { "path": "/soap/down", "methods": ["POST"] },
	      "proxy": { "upstream": "dead", "path": "/calc" },
	      "policies": [ { "mediate": { "request": "req.json",
	                                   "response": "resp.json" } } ] } ] }
	EOF
	gw_start_serve face -c face/gw.json
'

furl() {
	echo "http://127.0.0.1:$(cat face.port)$1"
}

test_expect_success 'zeep, SOAP 1.1: Add and Divide' '
	"$PY" "$HELPERS/gw-soap-client.py" "$WSDL" "$(furl /soap/calculator)" \
	    11 Add 2 3 >got &&
	echo 5 >expect &&
	test_cmp expect got &&
	"$PY" "$HELPERS/gw-soap-client.py" "$WSDL" "$(furl /soap/calculator)" \
	    11 Divide 7 2 >got &&
	echo 3 >expect &&
	test_cmp expect got
'

test_expect_success 'the REST service got JSON, and no SOAPAction' '
	tail -n 1 rest.seen >last &&
	grep -q "\"content_type\": \"application/json\"" last &&
	grep -q "\"soapaction\": null" last &&
	grep -q "{\\\\\"Divide\\\\\":{\\\\\"a\\\\\":7,\\\\\"b\\\\\":2}}" last
'

test_expect_success 'zeep, SOAP 1.2: answered in 1.2' '
	"$PY" "$HELPERS/gw-soap-client.py" "$WSDL" "$(furl /soap/calculator)" \
	    12 Add 20 22 >got &&
	echo 42 >expect &&
	test_cmp expect got
'

test_expect_success 'a REST 500 is a Server fault for zeep' '
	test_expect_code 1 "$PY" "$HELPERS/gw-soap-client.py" "$WSDL" \
	    "$(furl /soap/calculator)" 11 Divide 1 0 >got &&
	grep -q "^FAULT soap:Server: 500 Internal Server Error" got
'

test_expect_success 'a REST problem is a Client fault, in 1.1 and 1.2' '
	cat >bad11.xml <<-\EOF &&
	<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Add xmlns="http://tempuri.org/"><intA>two</intA><intB>3</intB></Add></s:Body></s:Envelope>
	EOF
	curl -sS -D head -o body -H "Content-Type: text/xml; charset=utf-8" \
	    -H "SOAPAction: \"http://tempuri.org/Add\"" --data-binary @bad11.xml \
	    "$(furl /soap/calculator)" &&
	grep -q "^HTTP/1.1 500" head &&
	grep -qi "^content-type: text/xml" head &&
	test_expect_code 1 gw-mediate soap-unwrap body >fault.json &&
	test "$(jfield fault.json soapFault.code)" = Client &&
	test "$(jfield fault.json soapFault.reason)" = \
	    "Unprocessable Content: the operands must be integers" &&
	sed -e "s|http://schemas.xmlsoap.org/soap/envelope/|http://www.w3.org/2003/05/soap-envelope|" \
	    bad11.xml >bad12.xml &&
	curl -sS -D head -o body --data-binary @bad12.xml \
	    -H "Content-Type: application/soap+xml; charset=utf-8; action=\"http://tempuri.org/Add\"" \
	    "$(furl /soap/calculator)" &&
	grep -q "^HTTP/1.1 400" head &&
	grep -qi "^content-type: application/soap+xml" head &&
	test_expect_code 1 gw-mediate soap-unwrap body >fault.json &&
	test "$(jfield fault.json soapFault.version)" = 1.2 &&
	test "$(jfield fault.json soapFault.code)" = Sender
'

test_expect_success 'a malformed SOAP request is a fault too' '
	curl -sS -D head -o body -H "Content-Type: text/xml" -d "<s:Envelope" \
	    "$(furl /soap/calculator)" &&
	grep -q "^HTTP/1.1 500" head &&
	test_expect_code 1 gw-mediate soap-unwrap body >fault.json &&
	test "$(jfield fault.json soapFault.code)" = Client &&
	grep -q "Bad Request" fault.json
'

test_expect_success 'the gateway failing is a Server fault' '
	test_expect_code 1 "$PY" "$HELPERS/gw-soap-client.py" "$WSDL" \
	    "$(furl /soap/down)" 11 Add 1 1 >got &&
	grep -q "^FAULT soap:Server.bad-gateway: Bad Gateway: upstream" got
'

test_expect_success 'no worker died' '
	! grep -q "died\|exited with status" gw.log face.log
'

test_done
