#!/bin/sh
test_description='gw-mediate on outside corpora: JSONTestSuite, node-soap samples, defusedxml, and a large document in bounded memory'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-mediate

CORPORA=${GW_CORPORA:-$GW_SRCDIR/../shared/corpora}
JTS=$CORPORA/jsontestsuite/test_parsing
SAMPLES=$CORPORA/node-soap-samples/request-response-samples
DEFUSED=$CORPORA/defusedxml-xmltestdata
test -d "$JTS" && test_set_prereq JTS
test -d "$SAMPLES" && test_set_prereq SAMPLES
test -d "$DEFUSED" && test_set_prereq DEFUSED
command -v python3 >/dev/null 2>&1 && test_set_prereq PYTHON
test -x /usr/bin/time && test_set_prereq TIME

# compact FILE: the JSON of FILE written compactly, duplicate keys kept,
# numbers and escapes as gw-mediate writes them: what JSON -> XML -> JSON
# must give back.
compact() {
	python3 -c '
import json, sys
def pairs(p):
    return p
class Keep(list):
    pass
def hook(p):
    k = Keep(p)
    return k
def w(v, o):
    if isinstance(v, Keep):
        o.append("{")
        for i, (k, x) in enumerate(v):
            if i: o.append(",")
            o.append(json.dumps(k, ensure_ascii=False)); o.append(":"); w(x, o)
        o.append("}")
    elif isinstance(v, list):
        o.append("[")
        for i, x in enumerate(v):
            if i: o.append(",")
            w(x, o)
        o.append("]")
    elif isinstance(v, Num):
        o.append(v.t)
    else:
        o.append(json.dumps(v, ensure_ascii=False))
class Num(object):
    def __init__(self, t): self.t = t
v = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"),
    object_pairs_hook=hook, parse_float=Num, parse_int=Num,
    parse_constant=Num)
o = []
w(v, o)
sys.stdout.buffer.write(("".join(o) + "\n").encode("utf-8", "surrogatepass"))
' "$1"
}

test_expect_success JTS 'JSONTestSuite: every y_ case comes back exactly' '
	n=0 &&
	for f in "$JTS"/y_*.json
	do
		n=$((n + 1)) &&
		gw-mediate json2xml --duplicates all "$f" >x.xml &&
		gw-mediate xml2json --duplicates all x.xml >got || exit 1
		case ${f##*/} in
		# U+2028 and the like: Python writes them escaped, we do not
		y_string_u+2028_line_sep.json|y_string_u+2029_par_sep.json) continue ;;
		esac
		command -v python3 >/dev/null 2>&1 || continue
		compact "$f" >want 2>/dev/null || continue
		test_cmp want got || { echo >&2 "$f does not come back"; exit 1; }
	done &&
	test "$n" -ge 90
'

test_expect_success JTS 'JSONTestSuite: every n_ case is refused with 65' '
	for f in "$JTS"/n_*.json
	do
		gw-mediate json2xml "$f" >out 2>err
		rc=$?
		test "$rc" = 65 && ! test -s out && test -s err ||
		{ echo >&2 "$f: exit $rc"; exit 1; }
	done
'

test_expect_success JTS 'JSONTestSuite: y_ cases with duplicates are refused by default' '
	test_expect_code 65 gw-mediate json2xml "$JTS/y_object_duplicated_key.json" 2>err &&
	grep -q "duplicate key" err
'

test_expect_success SAMPLES 'node-soap responses: a body, a fault, or a clear refusal' '
	body=0 fault=0 refused=0 &&
	for f in "$SAMPLES"/*/response.xml
	do
		gw-mediate soap-unwrap "$f" >out 2>err
		rc=$?
		case $rc in
		0) body=$((body + 1)) ;;
		1) fault=$((fault + 1)) && grep -q "\"soapFault\"" out ;;
		65) refused=$((refused + 1)) && test -s err && ! test -s out ;;
		*) echo >&2 "$f: exit $rc"; exit 1 ;;
		esac || exit 1
	done &&
	echo "$body bodies, $fault faults, $refused refused" &&
	test "$body" -ge 70 && test "$fault" -ge 1
'

test_expect_success SAMPLES 'node-soap requests: unwrapped, to JSON and back to XML' '
	n=0 &&
	for f in "$SAMPLES"/*/request.xml
	do
		gw-mediate soap-unwrap "$f" >body.xml 2>/dev/null || continue
		test -s body.xml || continue
		n=$((n + 1)) &&
		gw-mediate xml2json --badgerfish body.xml >bf.json &&
		gw-mediate json2xml --badgerfish bf.json |
		    gw-mediate xml2json --badgerfish >bf2.json &&
		test_cmp bf.json bf2.json ||
		{ echo >&2 "$f"; exit 1; }
	done &&
	test "$n" -ge 60
'

test_expect_success SAMPLES 'node-soap: a SOAP 1.1 fault in the samples maps to 502' '
	f=$SAMPLES/login__error_returned_should_contain_root_Json_on_fault/response.xml &&
	test_expect_code 1 gw-mediate soap-unwrap "$f" >p.json &&
	grep -q "\"status\":502" p.json &&
	grep -q "\"code\":\"Server\",\"subcodes\":\[\"userException\"\]" p.json
'

test_expect_success DEFUSED 'defusedxml: attacks refused, benign documents read' '
	for f in xmlbomb xmlbomb2 quadratic cyclic external external_file
	do
		test_expect_code 65 gw-mediate xml2json --friendly "$DEFUSED/$f.xml" \
		    >out 2>err &&
		grep -q "entity declarations are not allowed" err &&
		! test -s out || { echo >&2 "$f"; exit 1; }
	done &&
	for f in simple simple-ns dtd dtd_element
	do
		gw-mediate xml2json --friendly "$DEFUSED/$f.xml" >out ||
		{ echo >&2 "$f"; exit 1; }
	done &&
	test_expect_code 78 gw-mediate xml2json --schema "$DEFUSED/schema-include.xsd" \
	    "$DEFUSED/simple.xml" 2>err &&
	grep -q "only local files" err
'

test_expect_success DEFUSED 'defusedxml: nothing is fetched from the network' '
	gw_start_upstream trap -o trap.seen &&
	sed -e "s|http://[^\"]*|http://127.0.0.1:$(cat trap.port)/x.dtd|" \
	    "$DEFUSED/dtd.xml" >dtd.xml &&
	gw-mediate xml2json --friendly dtd.xml >/dev/null &&
	gw-mediate soap-unwrap dtd.xml >/dev/null 2>&1
	test_path_is_missing trap.seen || ! test -s trap.seen
'

# a document of about 16 MB, and the most memory a conversion may take
big_json() {
	awk 'BEGIN {
		printf "{\"orders\":["
		for (i = 0; i < 90000; i++) {
			printf "%s{\"id\":%d,\"customer\":\"name %d\",\"lines\":[", \
			    i ? "," : "", i, i
			for (j = 0; j < 3; j++)
				printf "%s{\"sku\":\"SKU-%d\",\"qty\":%d,\"price\":%d.50}", \
				    j ? "," : "", j, j, j
			printf "],\"paid\":%s,\"note\":null}", i % 2 ? "true" : "false"
		}
		printf "]}\n"
	}'
}

test_expect_success TIME 'a large document converts in memory a few times its size' '
	big_json >big.json &&
	size=$(wc -c <big.json) &&
	test "$size" -gt 15000000 &&
	/usr/bin/time -f %M -o mem1 gw-mediate json2xml big.json >big.xml &&
	/usr/bin/time -f %M -o mem2 gw-mediate xml2json big.xml >back.json &&
	/usr/bin/time -f %M -o mem3 gw-mediate json2xml --friendly big.json >bigf.xml &&
	/usr/bin/time -f %M -o mem4 gw-mediate xml2json --friendly bigf.xml >bigf.json &&
	gw-mediate json2xml big.json | gw-mediate xml2json | cmp - back.json &&
	printf "mem1 big.json\nmem2 big.xml\nmem3 big.json\nmem4 bigf.xml\n" |
	while read -r m in
	do
		kb=$(tail -n 1 "$m") &&
		size=$(wc -c <"$in") &&
		echo "$m: $kb KB for $size bytes of $in" &&
		# a few times the input, and a process'"'"'s own 16 MiB (not
		# under a sanitizer, whose shadow memory and quarantine count)
		test_have_prereq SANITIZED ||
		test $((kb * 1024)) -lt $((size * 4 + 16 * 1048576)) || exit 1
	done
'

test_done
