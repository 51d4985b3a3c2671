#!/bin/sh
test_description='gw-orchestrate: XML answers and XPath, a SOAP service through mediations, composition by XSLT'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-orchestrate gw-test-catalog

DATA=$GW_DATA_DIR/orchestrate

catalog() {
	n_=$1
	d_=$2
	shift 2
	gw_start_bg_ "$n_" "$n_.port" gw-test-catalog -d "$DATA/$d_" \
	    -p "$n_.port" -o "$n_.seen" "$@"
}

port() {
	cat "$1.port"
}

test_expect_success 'a JSON lookup, an XML price service, a SOAP stock service' '
	catalog lookup catalog/lookup &&
	catalog items catalog/items &&
	catalog prices xmlsvc &&
	catalog soap soap --status /FaultService=500 &&
	cat >item.json <<-EOF
	{
	  "namespaces": { "p": "urn:price" },
	  "steps": {
	    "lookup": { "url": "http://127.0.0.1:$(port lookup)/lookup/\${request.params.id}" },
	    "content": { "url": "http://127.0.0.1:$(port items)/books/items/\${lookup.body/sku}" },
	    "price": { "url": "http://127.0.0.1:$(port prices)/prices/\${lookup.body/sku}" },
	    "stock": {
	      "method": "POST", "url": "http://127.0.0.1:$(port soap)/StockService",
	      "json": { "sku": "\${lookup.body/sku}" },
	      "mediate": {
	        "request": [ { "json2xml": { "root": "GetStock", "namespace": "urn:stock" } },
	                     { "soap_wrap": { "version": "1.1", "action": "urn:stock#GetStock" } } ],
	        "response": [ { "soap_unwrap": {} }, { "xml2json": {} } ] } }
	  },
	  "response": { "json": {
	    "sku": "\${lookup.body/sku}",
	    "price": "\${price.xpath(\\"string(/p:price/p:amount)\\") | number}",
	    "currency": "\${price.xpath(\\"string(/p:price/@currency)\\")}",
	    "discount": "\${price.xpath(\\"/p:price/p:discount\\") ?? 0}",
	    "stock": "\${stock.body/GetStockResponse/count | number}",
	    "warehouse": "\${stock.body/GetStockResponse/warehouse}" } }
	}
	EOF
'

test_expect_success 'XPath on XML, SOAP through mediations, typed in JSON' '
	gw-orchestrate run --param id=42 item.json >body &&
	cat >expect <<-\EOF &&
	{"sku":"b-17","price":12.50,"currency":"EUR","discount":0,"stock":3,"warehouse":"Lyon"}
	EOF
	test_cmp expect body
'

test_expect_success 'the SOAP request went out wrapped, with its action' '
	grep -q "^POST /StockService$" soap.seen &&
	grep -q "^body: .*<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><GetStock xmlns=\"urn:stock\"><sku>b-17</sku></GetStock></soap:Body></soap:Envelope>" soap.seen
'

test_expect_success 'a SOAP fault fails the step, saying what it was' '
	sed -e "s|/StockService|/FaultService|" item.json >fault.json &&
	test_expect_code 1 gw-orchestrate run --param id=42 fault.json >body &&
	grep -q "\"step\":\"stock\"" body &&
	grep -q "answered 500 with a SOAP fault" body &&
	grep -q "unknown sku" body
'

test_expect_success 'the XSLT script: an XML item, with the stylesheet type' '
	cp "$DATA/compose.xsl" . &&
	cat >xslt.json <<-EOF &&
	{ "steps": {
	    "lookup": { "url": "http://127.0.0.1:$(port lookup)/lookup/\${request.params.id}" },
	    "content": { "url": "http://127.0.0.1:$(port items)/books/items/\${lookup.body/sku}" },
	    "price": { "url": "http://127.0.0.1:$(port prices)/prices/\${lookup.body/sku}" },
	    "stock": {
	      "method": "POST", "url": "http://127.0.0.1:$(port soap)/StockService",
	      "json": { "sku": "\${lookup.body/sku}" },
	      "mediate": {
	        "request": [ { "json2xml": { "root": "GetStock" } },
	                     { "soap_wrap": { "version": "1.1" } } ],
	        "response": [ { "soap_unwrap": {} }, { "xml2json": {} } ] } } },
	  "response": { "xslt": "compose.xsl" } }
	EOF
	gw-orchestrate run --include --param id=42 xslt.json >out &&
	tr -d "\r" <out >head &&
	grep -q "^Content-Type: application/vnd.item+xml$" head &&
	sed -e "1,/^$/d" head | tr -d "\n" | sed -e "s/>  */>/g" >body &&
	printf "%s" "<item id=\"42\"><sku>b-17</sku><title>Dune</title><price currency=\"EUR\">12.50</price><stock>3</stock></item>" >expect &&
	test_cmp expect body
'

test_expect_success 'check: every step waits for nothing but lookup; the stylesheet for all' '
	gw-orchestrate check xslt.json >graph &&
	grep -qx "response <- lookup, content, price, stock" graph
'

test_expect_success 'record, stop the services, replay: the same item' '
	gw-orchestrate run --param id=42 --record rec xslt.json >live &&
	grep -q "<soap:Envelope" rec/stock-*.json &&
	for s in lookup items prices soap
	do
		gw_stop $s || exit 1
	done &&
	gw-orchestrate run --param id=42 --replay rec xslt.json >again &&
	test_cmp live again
'

test_expect_success 'a bad XPath, a prefix not declared, a missing stylesheet: 65' '
	cat >bad.json <<-\EOF &&
	{ "steps": { "a": { "url": "http://127.0.0.1:1/" } },
	  "response": { "json": { "x": "${a.xpath(\"//x[\")}",
	                          "y": "${a.xpath(\"/q:y\")}" },
	                "xslt": "none.xsl" } }
	EOF
	test_expect_code 65 gw-orchestrate check bad.json 2>err &&
	grep -q "response.json.x: \${a.xpath(\"//x\[\")}: " err &&
	grep -q "response.json.y: \${a.xpath(\"/q:y\")}: " err &&
	grep -q "response.xslt: " err
'

test_done
