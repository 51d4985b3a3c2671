#!/bin/sh
test_description='gw-audit on outside corpora: JSONTestSuite, defusedxml, and large inputs in bounded memory'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-audit

CORPORA=${GW_CORPORA:-$GW_SRCDIR/../shared/corpora}
JTS=$CORPORA/jsontestsuite/test_parsing
DEFUSED=$CORPORA/defusedxml-xmltestdata
RULES=$GW_SRCDIR/audit/default.rules
# virtual memory for the bounded runs, in KiB: the program and its
# libraries take about 60 MiB of it, so no input of 30 MiB or more fits
VMEM=100000

test -d "$JTS" && test_set_prereq JTS
test -d "$DEFUSED" && test_set_prereq DEFUSED
# ulimit -v cannot work under AddressSanitizer (it maps terabytes).  POSIX
# leaves -v out, but the shells we run under (dash, bash) have it; where one
# does not, the prerequisite is simply not met.
# shellcheck disable=SC3045
if (ulimit -v $VMEM && gw-audit -q </dev/null) 2>/dev/null
then
	test_set_prereq ULIMIT
fi

test_expect_success JTS 'JSONTestSuite: every n_ case exits 65' '
	n=0 &&
	for f in "$JTS"/n_*.json
	do
		n=$((n + 1))
		gw-audit -q -f json "$f"
		rc=$?
		test $rc = 65 || { echo >&2 "$f: exit $rc"; exit 1; }
	done &&
	test $n -ge 180
'

test_expect_success JTS 'JSONTestSuite: every y_ case exits 0 with the default limits' '
	n=0 &&
	for f in "$JTS"/y_*.json
	do
		n=$((n + 1))
		gw-audit -q -f json "$f" || { echo >&2 "$f: exit $?"; exit 1; }
	done &&
	test $n -ge 90
'

test_expect_success JTS 'JSONTestSuite: i_ cases give 0, 1 or 65, never a crash' '
	for f in "$JTS"/i_*.json
	do
		gw-audit -q -f json "$f"
		rc=$?
		case $rc in
		0|1|65) ;;
		*) echo >&2 "$f: exit $rc"; exit 1 ;;
		esac
	done
'

# defused EXPECTED FILE [options]: gw-audit reports the finding ids
# EXPECTED (space-separated, in order) for FILE, in bounded memory (where
# ulimit -v can tell).
defused() {
	want_=$1
	f_=$2
	shift 2
	if test_have_prereq ULIMIT
	then
		# shellcheck disable=SC3045
		(ulimit -v $VMEM; gw-audit -j "$@" "$DEFUSED/$f_") >out
	else
		gw-audit -j "$@" "$DEFUSED/$f_" >out
	fi
	rc_=$?
	got_=$(sed -n "s/.*\"finding\":{\"id\":\"\([^\"]*\)\".*/\1/p" out |
	    tr "\n" " " | sed -e "s/ $//")
	test "$got_" = "$want_" || {
		echo >&2 "$f_: got \"$got_\" (exit $rc_), wanted \"$want_\""
		return 1
	}
	if test -n "$want_"; then test $rc_ = 1; else test $rc_ = 0; fi
}

test_expect_success DEFUSED 'defusedxml, DTDs denied (the default): every bomb and XXE reported' '
	defused "xml-dtd xml-entity-ratio" xmlbomb.xml &&
	defused "xml-dtd" xmlbomb2.xml &&
	defused "xml-dtd" quadratic.xml &&
	defused "xml-dtd xml-entity-loop" cyclic.xml &&
	defused "xml-dtd xml-external-entity" external.xml &&
	defused "xml-dtd xml-external-entity" external_file.xml &&
	defused "xml-external-dtd xml-dtd" dtd.xml &&
	defused "xml-dtd" dtd_element.xml
'

test_expect_success DEFUSED 'defusedxml, internal DTDs allowed: caught by entity weighing' '
	printf "xml_dtd internal\n" >internal.conf &&
	defused "xml-entity-ratio" xmlbomb.xml -L internal.conf &&
	defused "xml-entity-expansion" quadratic.xml -L internal.conf &&
	defused "xml-entity-loop" cyclic.xml -L internal.conf &&
	defused "xml-external-entity" external.xml -L internal.conf &&
	defused "xml-external-entity" external_file.xml -L internal.conf &&
	defused "xml-external-dtd" dtd.xml -L internal.conf &&
	defused "" xmlbomb2.xml -L internal.conf &&
	defused "" dtd_element.xml -L internal.conf
'

test_expect_success DEFUSED 'defusedxml: the clean controls pass, nothing is fetched' '
	defused "" simple.xml -r "$RULES" &&
	defused "" simple-ns.xml -r "$RULES" &&
	defused "" schema-include.xsd
'

test_expect_success ULIMIT 'a large JSON document in bounded memory' '
	{ printf "["; yes "\"abcdefghij\", {\"k\": [1.5e3, true, null]}," |
	    head -n 1500000; printf "0]"; } >big.json &&
	test $(wc -c <big.json) -gt 50000000 &&
	(ulimit -v $VMEM; gw-audit --max-bytes 0 --max-json-items 0 \
	    -r "$RULES" big.json) >out &&
	test_line_count = 0 out
'

test_expect_success ULIMIT 'a large XML document in bounded memory' '
	{ printf "<a>"; yes "<b c=\"d\">text and more &amp; <![CDATA[x]]></b>" |
	    head -n 1000000; printf "</a>"; } >big.xml &&
	test $(wc -c <big.xml) -gt 40000000 &&
	(ulimit -v $VMEM; gw-audit --max-bytes 0 --max-xml-children 0 \
	    --max-xml-nodes 0 -r "$RULES" big.xml) >out &&
	test_line_count = 0 out &&
	rm -f big.json big.xml
'

test_expect_success ULIMIT 'a billion laughs and a one-line JSON bomb in bounded memory' '
	{
		printf "<!DOCTYPE l [<!ENTITY l0 \"lol\">"
		i=1
		while test $i -le 9
		do
			printf "<!ENTITY l%d \"" $i
			j=0
			while test $j -lt 10
			do
				printf "&l%d;" $((i - 1))
				j=$((j + 1))
			done
			printf "\">"
			i=$((i + 1))
		done
		printf "]><l>&l9;</l>\n"
	} >laughs.xml &&
	printf "xml_dtd internal\n" >internal.conf &&
	(ulimit -v $VMEM; test_expect_code 1 gw-audit -j -L internal.conf \
	    laughs.xml) >out &&
	grep -q "\"id\":\"xml-entity-ratio\"" out &&
	(ulimit -v $VMEM; test_expect_code 1 gw-audit -q laughs.xml) &&
	yes "[" | head -n 500000 | tr -d "\n" >deep.json &&
	(ulimit -v $VMEM; test_expect_code 65 gw-audit -j deep.json) >out &&
	grep -q "json-depth" out && grep -q "json-malformed" out
'

test_done
