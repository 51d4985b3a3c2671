#!/bin/sh
test_description='gw-mediate in pipelines: conversions, XSLT, SOAP, exit codes, the EXAMPLES of gw-mediate.1'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-mediate

test_expect_success 'json2xml and back: lossless' '
	printf "{\"n\":[1.0,1e400,-0],\"e\":[],\"o\":[{}],\"k y\":\"\\\\u0001\\\\\\\\\"}\n" >in.json &&
	gw-mediate json2xml in.json >out.xml &&
	grep -q "<number>1e400</number>" out.xml &&
	grep -q "<string key=\"k y\" escaped=\"true\">" out.xml &&
	gw-mediate xml2json out.xml >back.json &&
	printf "{\"n\":[1.0,1e400,-0],\"e\":[],\"o\":[{}],\"k y\":\"\\\\u0001\\\\\\\\\"}\n" >expect &&
	test_cmp expect back.json
'

test_expect_success 'standard input and "-" are the same' '
	gw-mediate json2xml <in.json >a.xml &&
	gw-mediate json2xml - <in.json >b.xml &&
	test_cmp out.xml a.xml &&
	test_cmp out.xml b.xml
'

test_expect_success '--indent, both ways' '
	gw-mediate json2xml --indent in.json >ind.xml &&
	test "$(wc -l <ind.xml)" -gt 5 &&
	gw-mediate xml2json --indent ind.xml >ind.json &&
	grep -q "^  \"n\": \\[" ind.json
'

test_expect_success 'duplicate keys: refused, or the first, or all' '
	echo "{\"a\":1,\"a\":2}" >dup.json &&
	test_expect_code 65 gw-mediate json2xml dup.json >out 2>err &&
	test_line_count = 0 out &&
	grep -q "^dup.json:1:8: duplicate key .a.$" err &&
	gw-mediate json2xml --duplicates first dup.json | gw-mediate xml2json >got &&
	echo "{\"a\":1}" >expect &&
	test_cmp expect got &&
	gw-mediate json2xml --duplicates all dup.json |
	    gw-mediate xml2json --duplicates all >got &&
	echo "{\"a\":1,\"a\":2}" >expect &&
	test_cmp expect got &&
	test_expect_code 64 gw-mediate json2xml --duplicates some dup.json
'

test_expect_success 'input that is not well-formed: 65, line:col, nothing out' '
	printf "{\"a\":\n[1,}" | test_expect_code 65 gw-mediate json2xml >out 2>err &&
	test_line_count = 0 out &&
	grep -q "^2:4: " err &&
	printf "<a>\n<b></a>" | test_expect_code 65 gw-mediate xml2json --friendly >out 2>err &&
	test_line_count = 0 out &&
	grep -q "^2:8: opening and ending tag mismatch" err &&
	printf "<map/>" | test_expect_code 65 gw-mediate xml2json 2>err &&
	grep -q "not in the namespace" err
'

test_expect_success 'a missing file: 66; a bad command line: 64' '
	test_expect_code 66 gw-mediate json2xml nope.json 2>err &&
	grep -q "cannot open .nope.json." err &&
	test_expect_code 64 gw-mediate frob 2>err &&
	grep -q "unknown command .frob." err &&
	test_expect_code 64 gw-mediate json2xml --soap12 2>err &&
	grep -q "option not for json2xml" err &&
	test_expect_code 64 gw-mediate json2xml a b 2>err &&
	test_expect_code 64 gw-mediate 2>err &&
	test_expect_code 64 gw-mediate xslt 2>err &&
	gw-mediate -h >usage &&
	grep -q "^usage: gw-mediate \[-hV\]" usage &&
	gw-mediate -V | grep -q "^gw-mediate [0-9]"
'

test_expect_success 'friendly, with options and a file of options' '
	echo "{\"intA\":2,\"intB\":3}" |
	    gw-mediate json2xml --root Add --namespace http://tempuri.org/ >got &&
	printf "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Add xmlns=\"http://tempuri.org/\"><intA>2</intA><intB>3</intB></Add>\n" >expect &&
	test_cmp expect got &&
	echo "{ \"recognize_number\": true, \"strip_levels\": 1 }" >num.json &&
	echo "<r><v>5</v><v>007</v></r>" | gw-mediate xml2json --options num.json >got &&
	echo "{\"v\":[5,\"007\"]}" >expect &&
	test_cmp expect got &&
	echo "{ \"recognise_number\": true }" >typo.json &&
	echo "<r/>" | test_expect_code 78 gw-mediate xml2json --options typo.json 2>err &&
	grep -q "typo.json:1:3: recognise_number: unknown key" err
'

test_expect_success 'badgerfish, both ways' '
	echo "<alice xmlns=\"http://some/\" charlie=\"david\">bob</alice>" >bf.xml &&
	gw-mediate xml2json --badgerfish bf.xml >bf.json &&
	echo "{\"alice\":{\"@xmlns\":{\"$\":\"http://some/\"},\"@charlie\":\"david\",\"$\":\"bob\"}}" >expect &&
	test_cmp expect bf.json &&
	gw-mediate json2xml --badgerfish bf.json | gw-mediate xml2json --badgerfish >again.json &&
	test_cmp bf.json again.json &&
	test_expect_code 64 gw-mediate json2xml --badgerfish --friendly bf.json
'

test_expect_success 'arrays from a schema' '
	cat >s.xsd <<-\EOF &&
	<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:o" elementFormDefault="qualified">
	  <xs:element name="order"><xs:complexType><xs:sequence>
	    <xs:element name="line" maxOccurs="unbounded" type="xs:string"/>
	  </xs:sequence></xs:complexType></xs:element>
	</xs:schema>
	EOF
	echo "<order xmlns=\"urn:o\"><line>a</line></order>" >o.xml &&
	gw-mediate xml2json --schema s.xsd o.xml >got &&
	echo "{\"order\":{\"line\":[\"a\"]}}" >expect &&
	test_cmp expect got &&
	gw-mediate xml2json --friendly o.xml >got &&
	echo "{\"order\":{\"line\":\"a\"}}" >expect &&
	test_cmp expect got
'

test_expect_success 'XML with entities is refused' '
	printf "<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>" >xxe.xml &&
	test_expect_code 65 gw-mediate xml2json --friendly xxe.xml >out 2>err &&
	grep -q "entity declarations are not allowed" err &&
	test_line_count = 0 out
'

test_expect_success 'xslt: parameters, several inputs, messages on stderr' '
	cat >p.xsl <<-\EOF &&
	<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
	  <xsl:param name="s"/><xsl:param name="e"/>
	  <xsl:template match="/"><r s="{$s}" e="{$e}"><xsl:value-of select="name(*)"/></r>
	    <xsl:message>saw <xsl:value-of select="name(*)"/></xsl:message></xsl:template>
	</xsl:stylesheet>
	EOF
	echo "<one/>" >1.xml &&
	echo "<two/>" >2.xml &&
	gw-mediate xslt --stringparam "s=it'\''s \"x\"" -p e=6*7 p.xsl 1.xml 2.xml >got 2>err &&
	xsltproc --stringparam s "it'\''s \"x\"" --param e 6*7 p.xsl 1.xml 2.xml >expect 2>/dev/null ||
	    { echo "xsltproc cannot quote that: compare by hand" &&
	      printf "<?xml version=\"1.0\"?>\n<r s=\"it'\''s &quot;x&quot;\" e=\"42\">one</r>\n<?xml version=\"1.0\"?>\n<r s=\"it'\''s &quot;x&quot;\" e=\"42\">two</r>\n" >expect; } &&
	test_cmp expect got &&
	printf "saw one\nsaw two\n" >expect &&
	test_cmp expect err
'

test_expect_success 'xslt: errors as file:line, exit 78 for the stylesheet' '
	printf "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n<xsl:template match=\"/\">\n<xsl:value-of select=\"((\"/>\n</xsl:template></xsl:stylesheet>\n" >bad.xsl &&
	test_expect_code 78 gw-mediate xslt bad.xsl 1.xml 2>err &&
	grep -q "^bad.xsl:3: xsl:value-of : could not compile" err &&
	printf "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"><xsl:template match=\"/\"><xsl:message terminate=\"yes\">no</xsl:message></xsl:template></xsl:stylesheet>\n" >stop.xsl &&
	test_expect_code 65 gw-mediate xslt stop.xsl 1.xml >out 2>err &&
	grep -q "terminated by xsl:message: no" err &&
	test_expect_code 66 gw-mediate xslt nope.xsl 1.xml
'

test_expect_success 'xslt: no file writes, no reads outside its folder' '
	mkdir -p sheets &&
	cat >sheets/up.xsl <<-\EOF &&
	<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
	<xsl:template match="/"><r><xsl:value-of select="document('\''../1.xml'\'')"/></r></xsl:template>
	</xsl:stylesheet>
	EOF
	test_expect_code 65 gw-mediate xslt sheets/up.xsl 1.xml 2>err &&
	grep -q "refused" err &&
	gw-mediate xslt --read-any-file sheets/up.xsl 1.xml >out &&
	grep -q "<r/>" out &&
	printf "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\" xmlns:exsl=\"http://exslt.org/common\" extension-element-prefixes=\"exsl\"><xsl:template match=\"/\"><exsl:document href=\"written\">x</exsl:document></xsl:template></xsl:stylesheet>\n" >w.xsl &&
	test_expect_code 65 gw-mediate xslt w.xsl 1.xml 2>err &&
	test_path_is_missing written
'

test_expect_success 'soap-wrap and soap-unwrap' '
	echo "<Add xmlns=\"urn:t\"><a>1</a></Add>" >add.xml &&
	gw-mediate soap-wrap add.xml >env11.xml &&
	grep -q "http://schemas.xmlsoap.org/soap/envelope/" env11.xml &&
	gw-mediate soap-wrap --soap12 --action urn:add add.xml >env12.xml &&
	grep -q "<wsa:Action xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">urn:add</wsa:Action>" env12.xml &&
	gw-mediate soap-unwrap env12.xml >got &&
	printf "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Add xmlns=\"urn:t\"><a>1</a></Add>\n" >expect &&
	test_cmp expect got &&
	: | gw-mediate soap-wrap | grep -q "<soap:Body/>"
'

test_expect_success 'soap-unwrap: a fault is problem+json and exit 1' '
	cat >fault.xml <<-\EOF &&
	<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
	<faultcode>s:Client.Auth</faultcode><faultstring>denied</faultstring>
	<detail><x>internal</x></detail></s:Fault></s:Body></s:Envelope>
	EOF
	test_expect_code 1 gw-mediate soap-unwrap fault.xml >got &&
	echo "{\"type\":\"urn:gw:problem:soap-fault\",\"title\":\"Bad Request\",\"status\":400,\"detail\":\"denied\",\"soapFault\":{\"version\":\"1.1\",\"code\":\"Client\",\"subcodes\":[\"Auth\"],\"reason\":\"denied\"}}" >expect &&
	test_cmp expect got &&
	test_expect_code 1 gw-mediate soap-unwrap --detail fault.xml >got &&
	grep -q "\"detail\":\"<x>internal</x>\"" got &&
	echo "<notsoap/>" | test_expect_code 65 gw-mediate soap-unwrap 2>err &&
	grep -q "not a SOAP envelope" err
'

test_expect_success 'run: a mediation file, with variables and parameters' '
	mkdir -p mediations &&
	cat >mediations/add.xsl <<-\EOF &&
	<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
	  <xsl:param name="id"/><xsl:param name="n" select="0"/>
	  <xsl:template match="/*"><t:Add xmlns:t="http://tempuri.org/" id="{$id}" n="{$n}"><xsl:copy-of select="*"/></t:Add></xsl:template>
	</xsl:stylesheet>
	EOF
	cat >mediations/add-request.json <<-\EOF &&
	// JSON to a SOAP request
	{ "steps": [
	    { "json2xml": "friendly" },
	    { "xslt": { "stylesheet": "add.xsl", "params": { "id": "$path.id" } } },
	    { "soap_wrap": { "version": "1.1", "action": "http://tempuri.org/Add" } } ] }
	EOF
	echo "{\"intA\":2,\"intB\":3}" >add.json &&
	gw-mediate run --var path.id=42 -p n=1+1 mediations/add-request.json add.json >got &&
	grep -q "<t:Add xmlns:t=\"http://tempuri.org/\" id=\"42\" n=\"2\"><intA>2</intA><intB>3</intB></t:Add>" got &&
	grep -q "<soap:Body>" got &&
	echo "{\"intA\":" | test_expect_code 65 gw-mediate run mediations/add-request.json 2>err &&
	grep -q "^step 1 (json2xml): 2:1: unexpected end of input" err &&
	echo "{ \"steps\": [ { \"xslt\": \"missing.xsl\" } ] }" >mediations/bad.json &&
	test_expect_code 78 gw-mediate run mediations/bad.json add.json 2>err &&
	grep -q "bad.json:1:24: steps\[0\].xslt: cannot open" err &&
	test_expect_code 66 gw-mediate run mediations/none.json add.json
'

test_expect_success 'run: a fault met on the way is problem+json and exit 1' '
	echo "{ \"steps\": [ { \"soap_unwrap\": {} }, { \"xml2json\": \"friendly\" } ] }" >mediations/resp.json &&
	test_expect_code 1 gw-mediate run mediations/resp.json fault.xml >got &&
	grep -q "\"status\":400" got
'

# --- the EXAMPLES of gw-mediate.1 ------------------------------------------

MAN1=$GW_SRCDIR/man/gw-mediate.1
example() {
	awk -v want="$1" '/^\.Sh EXAMPLES/ { ex = 1 }
	    ex && /^\.Sh / && !/EXAMPLES/ { exit }
	    ex && /^\.Bd -literal/ { n++; if (n == want) { on = 1; next } }
	    on && /^\.Ed/ { exit }
	    on { print }' "$MAN1" | sed -e 's/\\e/\\/g' -e 's/\\&//g'
}

test_expect_success 'EXAMPLES 1: lossless both ways, as shown' '
	example 1 >ex1 &&
	sed -n "2,3p" ex1 >expect &&
	echo "{\"n\":1.0,\"a\":[]}" | gw-mediate json2xml >got &&
	test_cmp expect got &&
	sed -n "5p" ex1 >expect &&
	echo "{\"n\":1.0,\"a\":[]}" | gw-mediate json2xml | gw-mediate xml2json >got &&
	test_cmp expect got
'

test_expect_success 'EXAMPLES 2 and 3: REST to SOAP, SOAP to JSON' '
	example 2 | sed -e "s/^\$ //" >ex2.sh &&
	sh ex2.sh >got &&
	grep -q "<soap:Body><Add xmlns=\"http://tempuri.org/\"><intA>2</intA>" got &&
	gw-mediate soap-wrap add.xml >answer.xml &&
	echo "{ \"recognize_number\": true }" >numbers.json &&
	example 3 | sed -e "s/^\$ //" >ex3.sh &&
	sh ex3.sh >got &&
	echo "{\"Add\":{\"a\":1}}" >expect &&
	test_cmp expect got
'

test_expect_success 'EXAMPLES 4: a stock stylesheet with a parameter' '
	example 4 | sed -e "s/^\$ //" -e "s|/usr/local/share/gw/xslt|$GW_SRCDIR/xslt|" >ex4.sh &&
	echo "<order/>" >order.xml &&
	sh ex4.sh >got &&
	grep -q "<wsa:Action xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">urn:x</wsa:Action>" got
'

test_expect_success 'EXAMPLES 5: a mediation and its tests' '
	example 5 | sed -e "s/^\$ //" >ex5.sh &&
	cat >mediations/add.test.json <<-\EOF &&
	{ "mediation": "add-request.json", "vars": { "path.id": "42" },
	  "cases": [ { "name": "adds", "input_json": {"intA": 1, "intB": 2},
	    "expect_xml": "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><t:Add xmlns:t=\"http://tempuri.org/\" id=\"42\" n=\"0\"><intA>1</intA><intB>2</intB></t:Add></soap:Body></soap:Envelope>" } ] }
	EOF
	sh ex5.sh >got &&
	grep -q "<t:Add xmlns:t=\"http://tempuri.org/\" id=\"42\"" got &&
	tail -n 1 got >last &&
	echo "1 passed, 0 failed" >expect &&
	test_cmp expect last
'

test_done
