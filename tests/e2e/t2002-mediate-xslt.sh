#!/bin/sh
test_description='the stock stylesheets of xslt/: golden tests, through gw-mediate and xsltproc'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-mediate

# tests/data/gw-mediate/STYLESHEET.CASE.in is run through
# xslt/STYLESHEET.xsl (with the string parameters of STYLESHEET.CASE.args,
# one name=value a line) and must give STYLESHEET.CASE.out byte for byte.
XSLT=$GW_SRCDIR/xslt
DATA=$GW_DATA_DIR/gw-mediate
command -v xsltproc >/dev/null 2>&1 && test_set_prereq XSLTPROC

test_expect_success 'every stock stylesheet has a golden case' '
	for x in "$XSLT"/*.xsl
	do
		s=${x##*/}
		s=${s%.xsl}
		ls "$DATA/$s".*.in >/dev/null 2>&1 ||
		{ echo >&2 "no case for $s"; exit 1; }
	done
'

for in_ in "$DATA"/*.in; do
	case_=${in_##*/}
	case_=${case_%.in}
	sheet_=${case_%%.*}
	test -f "$XSLT/$sheet_.xsl" || continue

	test_expect_success "gw-mediate xslt $case_" '
		set -- &&
		if test -f "$DATA/$case_.args"
		then
			while IFS= read -r a
			do
				set -- "$@" --stringparam "$a"
			done <"$DATA/$case_.args"
		fi &&
		gw-mediate xslt "$@" "$XSLT/$sheet_.xsl" "$in_" >got &&
		test_cmp "$DATA/$case_.out" got
	'

	test_expect_success XSLTPROC "xsltproc $case_ agrees" '
		set -- &&
		if test -f "$DATA/$case_.args"
		then
			while IFS= read -r a
			do
				set -- "$@" --stringparam "${a%%=*}" "${a#*=}"
			done <"$DATA/$case_.args"
		fi &&
		xsltproc "$@" "$XSLT/$sheet_.xsl" "$in_" >got &&
		test_cmp "$DATA/$case_.out" got
	'
done

test_expect_success 'soap-fault-to-problem.xsl agrees with soap-unwrap' '
	for f in "$DATA"/soap-fault-to-problem.*.in
	do
		test_expect_code 1 gw-mediate soap-unwrap "$f" >c.json &&
		gw-mediate xslt "$XSLT/soap-fault-to-problem.xsl" "$f" >x.json &&
		test_cmp c.json x.json || exit 1
	done
'

test_expect_success 'problem-to-soap-fault.xsl: a fault soap-unwrap reads back' '
	test_expect_code 1 gw-mediate soap-unwrap \
	    "$DATA/problem-to-soap-fault.v12.out" >p.json &&
	grep -q "\"status\":400" p.json &&
	grep -q "\"code\":\"Sender\",\"subcodes\":\[\"gw:not-found\"\]" p.json
'

test_expect_success 'xml-to-json.xsl agrees with xml2json' '
	gw-mediate xml2json "$DATA/xml-to-json.order.in" >c.json &&
	test_cmp c.json "$DATA/xml-to-json.order.out"
'

test_expect_success 'the stylesheets refuse what they cannot read' '
	echo "<a/>" >a.xml &&
	for s in soap-unwrap soap-fault-to-problem problem-to-soap-fault \
	    xml-to-json json-to-elements
	do
		test_expect_code 65 gw-mediate xslt "$XSLT/$s.xsl" a.xml \
		    >out 2>err &&
		test_line_count = 0 out || exit 1
	done
'

test_done
