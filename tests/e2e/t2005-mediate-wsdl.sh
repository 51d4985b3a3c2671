#!/bin/sh
test_description='gw-mediate wsdl2rest: configurations, stylesheets and OpenAPI from WSDLs'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-mediate gw-serve

WSDL=$GW_DATA_DIR/gw-mediate/wsdl
CORPORA=${GW_CORPORA:-$GW_SRCDIR/../shared/corpora}
test -d "$CORPORA/node-soap-samples" && test_set_prereq NODESOAP
test -f "$CORPORA/soap-calculator/calculator.wsdl" && test_set_prereq CALC
command -v python3 >/dev/null 2>&1 && test_set_prereq PYTHON

test_expect_success 'the files of a REST face for a SOAP service' '
	gw-mediate wsdl2rest -o orders "$WSDL/orders.wsdl" >written &&
	for f in GetOrder-request.xsl GetOrder-response.xsl \
	    GetOrder-request.json GetOrder-response.json Ping-request.xsl \
	    Ping-response.xsl Ping-request.json Ping-response.json gw.json \
	    openapi.json
	do
		grep -qx "orders/$f" written && test -s "orders/$f" || exit 1
	done &&
	test_line_count = 10 written
'

test_expect_success 'the configuration passes gw-serve --check' '
	gw-serve --check -c orders/gw.json &&
	grep -q "\"path\": \"/OrderService/GetOrder\"" orders/gw.json &&
	grep -q "\"http://localhost:8080\"" orders/gw.json &&
	grep -q "\"path\": \"/soap/orders\"" orders/gw.json
'

test_expect_success 'document/literal request: order and namespaces of the schema' '
	echo "{\"withLines\":true,\"id\":7}" >get.json &&
	gw-mediate run orders/GetOrder-request.json get.json >env.xml &&
	gw-mediate soap-unwrap env.xml >body.xml &&
	printf "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<n0:GetOrder xmlns:n0=\"urn:example:orders\"><n0:id>7</n0:id><n0:withLines>true</n0:withLines></n0:GetOrder>\n" >expect &&
	test_cmp expect body.xml
'

test_expect_success 'the SOAP action of the operation goes with it' '
	grep -q "\"action\": \"urn:example:orders:GetOrder\"" \
	    orders/GetOrder-request.json
'

test_expect_success 'rpc/literal request: accessors under the operation' '
	echo "{\"times\":2,\"text\":\"hi\"}" |
	    gw-mediate run orders/Ping-request.json >env.xml &&
	grep -q "<n0:Ping xmlns:n0=\"urn:example:orders:rpc\"><text>hi</text><times>2</times></n0:Ping>" env.xml
'

test_expect_success 'a request that is not an object is refused' '
	echo "[1]" | test_expect_code 65 gw-mediate run orders/GetOrder-request.json 2>err &&
	grep -q "must be a JSON object" err
'

test_expect_success 'response: types and arrays from the schema' '
	cat >resp.xml <<-\EOF &&
	<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
	<GetOrderResponse xmlns="urn:example:orders" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
	<order status="open"><id>7</id><customer>Ann</customer>
	<line><sku>x</sku><qty>2</qty><price>1.50</price></line>
	<paid>false</paid><note xsi:nil="true"/></order></GetOrderResponse></s:Body></s:Envelope>
	EOF
	gw-mediate run orders/GetOrder-response.json resp.xml >got &&
	echo "{\"order\":{\"@status\":\"open\",\"id\":7,\"customer\":\"Ann\",\"line\":[{\"sku\":\"x\",\"qty\":2,\"price\":1.5}],\"paid\":false,\"note\":null}}" >expect &&
	test_cmp expect got
'

test_expect_success 'response: a fault is a problem document' '
	printf "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring>no such order</faultstring></s:Fault></s:Body></s:Envelope>" >fault.xml &&
	test_expect_code 1 gw-mediate run orders/GetOrder-response.json fault.xml >got &&
	grep -q "\"status\":502,\"detail\":\"no such order\"" got
'

test_expect_success PYTHON 'the OpenAPI description: paths and schemas' '
	python3 - orders/openapi.json <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["openapi"].startswith("3.")
	op = d["paths"]["/OrderService/GetOrder"]["post"]
	assert op["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/GetOrder"}
	s = d["components"]["schemas"]
	assert s["GetOrder"]["properties"]["id"] == {"type": "integer"}
	assert s["GetOrder"]["required"] == ["id"]
	assert s["Order"]["properties"]["line"]["type"] == "array"
	assert s["Order"]["properties"]["paid"] == {"type": "boolean"}
	assert s["Order"]["properties"]["@status"] == {"type": "string"}
	assert s["Line"]["properties"]["price"] == {"type": "number"}
	assert "502" in op["responses"]
	ping = d["paths"]["/OrderService/Ping"]["post"]
	props = ping["requestBody"]["content"]["application/json"]["schema"]["properties"]
	assert props == {"text": {"type": "string"}, "times": {"type": "integer"}}, props
	EOF
'

test_expect_success '--prefix and --upstream' '
	gw-mediate wsdl2rest -o o2 --prefix /api/v1/ \
	    --upstream http://127.0.0.1:9/elsewhere "$WSDL/orders.wsdl" >/dev/null &&
	grep -q "\"path\": \"/api/v1/GetOrder\"" o2/gw.json &&
	grep -q "\"http://127.0.0.1:9\"" o2/gw.json &&
	grep -q "\"path\": \"/elsewhere\"" o2/gw.json &&
	test_expect_code 78 gw-mediate wsdl2rest -o o3 --prefix / "$WSDL/orders.wsdl" &&
	test_expect_code 65 gw-mediate wsdl2rest -o o3 --upstream ftp://x/ \
	    "$WSDL/orders.wsdl"
'

test_expect_success 'errors: no file, not a WSDL, nothing to map' '
	test_expect_code 66 gw-mediate wsdl2rest -o x none.wsdl &&
	echo "<a/>" >a.wsdl &&
	test_expect_code 65 gw-mediate wsdl2rest -o x a.wsdl 2>err &&
	grep -q "not a WSDL" err &&
	cat >enc.wsdl <<-\EOF &&
	<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="urn:t" xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t">
	<message name="In"><part name="a" type="xsd:string"/></message>
	<portType name="P"><operation name="Op"><input message="tns:In"/><output message="tns:In"/></operation></portType>
	<binding name="B" type="tns:P"><soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
	<operation name="Op"><input><soap:body use="encoded"/></input><output><soap:body use="encoded"/></output></operation></binding>
	<service name="S"><port name="p" binding="tns:B"><soap:address location="http://x/"/></port></service>
	</definitions>
	EOF
	test_expect_code 65 gw-mediate wsdl2rest -o x enc.wsdl 2>err &&
	grep -q "operation .Op. is rpc/encoded" err
'

test_expect_success 'names that are not XML names are refused, not written' '
	sed -e "s/use=\"encoded\"/use=\"literal\"/g" \
	    -e "s/part name=\"a\"/part name=\"a'"'"'b\"/" enc.wsdl >bad.wsdl &&
	test_expect_code 65 gw-mediate wsdl2rest -o x bad.wsdl 2>err &&
	grep -q "^bad.wsdl: operation .Op.: part name .a.b. is not an XML name" err &&
	test_path_is_missing x/Op-request.xsl &&
	sed -e "s/use=\"encoded\"/use=\"literal\"/g" \
	    -e "s/operation name=\"Op\"/operation name=\"O p\"/g" enc.wsdl >bad2.wsdl &&
	test_expect_code 65 gw-mediate wsdl2rest -o x bad2.wsdl 2>err &&
	grep -q "operation .O p. is not named by an XML name" err
'

test_expect_success CALC 'the calculator: SOAP 1.1 chosen, SOAP action, a check' '
	gw-mediate wsdl2rest -o calc --upstream http://127.0.0.1:9/calculator \
	    "$CORPORA/soap-calculator/calculator.wsdl" >/dev/null &&
	gw-serve --check -c calc/gw.json &&
	echo "{\"intA\":2,\"intB\":3}" | gw-mediate run calc/Add-request.json >env.xml &&
	grep -q "schemas.xmlsoap.org/soap/envelope" env.xml &&
	grep -q "<n0:Add xmlns:n0=\"http://tempuri.org/\"><n0:intA>2</n0:intA><n0:intB>3</n0:intB></n0:Add>" env.xml
'

test_expect_success NODESOAP 'the WSDLs of node-soap: generated and checked, or refused' '
	n=0 ok=0 &&
	for w in "$CORPORA"/node-soap-samples/request-response-samples/*/soap.wsdl \
	    $(find "$CORPORA/node-soap-samples/wsdl" -name "*.wsdl" | sort)
	do
		n=$((n + 1)) &&
		rm -rf out &&
		gw-mediate wsdl2rest -o out --upstream http://127.0.0.1:9/x "$w" \
		    >/dev/null 2>err
		rc=$?
		case $rc in
		0)
			gw-serve --check -c out/gw.json 2>check ||
			{ echo >&2 "$w: the configuration is refused:"; cat check >&2; exit 1; }
			ok=$((ok + 1))
			;;
		65|66|70|78)
			test -s err ||
			{ echo >&2 "$w: exit $rc without a message"; exit 1; }
			;;
		*)
			echo >&2 "$w: exit $rc"; cat err >&2; exit 1
			;;
		esac
	done &&
	echo "$ok of $n WSDLs turned into a checked configuration" &&
	test "$ok" -ge 100
'

test_done
