#!/bin/sh
test_description='gw-audit in a pipe: formats, reports, limits, rules and exit codes'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-audit

RULES=$GW_SRCDIR/audit/default.rules

test_expect_success 'a clean JSON document: exit 0, nothing said' '
	echo "{\"a\": [1, 2, {\"b\": \"hello\"}]}" >clean.json &&
	gw-audit -r "$RULES" clean.json >out &&
	test_line_count = 0 out
'

test_expect_success 'an attack in JSON: exit 1, a line with place and excerpt' '
	echo "{\"q\": \"1 UNION SELECT password FROM users\"}" >sqli.json &&
	test_expect_code 1 gw-audit -r "$RULES" sqli.json >out &&
	grep -q "^sqli.json:1:7: critical: sqli-union-select: SQL injection: UNION SELECT at /q \"union select\"$" out
'

test_expect_success 'the first example of gw-audit.1 prints what it says' '
	awk "/^\.Sh EXAMPLES/ { e = 1 } e && /^\.Bd -literal/ { n++; if (n == 1) { on = 1; next } }
	    on && /^\.Ed/ { exit } on" "$GW_SRCDIR/man/gw-audit.1" |
	    sed -e "s/\\\\e/\\\\/g" -e "s/\\\\&//g" >example &&
	sed -n "\$p" example >expect &&
	echo "{\"q\": \"1 UNION SELECT password FROM users\"}" |
	    test_expect_code 1 gw-audit -r "$RULES" >got &&
	test_cmp expect got
'

test_expect_success '--json: one object per finding, with the file name' '
	test_expect_code 1 gw-audit -j -r "$RULES" sqli.json >out &&
	test_line_count = 1 out &&
	grep -q "^{\"file\":\"sqli.json\",\"finding\":{\"id\":\"sqli-union-select\",\"kind\":\"rule\",\"severity\":\"critical\",\"status\":403," out &&
	grep -q "\"where\":\"/q\",\"line\":1,\"col\":7,\"excerpt\":\"union select\"}}$" out
'

test_expect_success 'stdin, and - as a file' '
	test_expect_code 1 gw-audit -r "$RULES" <sqli.json >out &&
	grep -q "^-:1:7: " out &&
	test_expect_code 1 gw-audit -r "$RULES" - <sqli.json >out &&
	grep -q "^-:1:7: " out
'

test_expect_success 'not well-formed: exit 65, and a finding of kind malformed' '
	printf "{\"a\": [1, 2" >bad.json &&
	test_expect_code 65 gw-audit -j bad.json >out &&
	grep -q "\"id\":\"json-malformed\",\"kind\":\"malformed\"" out &&
	printf "<a><b></a>" >bad.xml &&
	test_expect_code 65 gw-audit bad.xml >out &&
	grep -q "xml-malformed" out
'

test_expect_success 'the gravest status of several files' '
	test_expect_code 65 gw-audit -q -r "$RULES" clean.json sqli.json bad.json &&
	test_expect_code 1 gw-audit -q -r "$RULES" clean.json sqli.json &&
	test_expect_code 66 gw-audit -q clean.json nothere.json 2>err &&
	grep -q "cannot open .nothere.json.: No such file or directory" err
'

test_expect_success '-q says nothing' '
	test_expect_code 1 gw-audit -q -r "$RULES" sqli.json >out &&
	test_line_count = 0 out
'

test_expect_success 'formats: forced, and guessed' '
	printf "<a>1 union select 2</a>\n" >a.xml &&
	test_expect_code 1 gw-audit -j -r "$RULES" a.xml >out &&
	grep -q "\"where\":\"/a\"" out &&
	printf "hello\n1 union select 2\n" >a.txt &&
	test_expect_code 1 gw-audit -j -r "$RULES" a.txt >out &&
	grep -q "\"where\":\"line 2\",\"line\":2" out &&
	test_expect_code 1 gw-audit -f text -j -r "$RULES" a.xml >out &&
	grep -q "\"where\":\"line 1\"" out &&
	test_expect_code 65 gw-audit -f json -q a.txt
'

test_expect_success 'a raw HTTP request: path, query, headers, cookies, body' '
	printf "POST /x/%%2e%%2e/%%2e%%2e/etc/passwd?q=%%3Cscript%%3E HTTP/1.1\r\nHost: h\r\nUser-Agent: sqlmap/1.7\r\nCookie: a=1; b=%%24%%7Bjndi%%3Aldap%%3A%%2F%%2Fx%%7D\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"u\": \"gopher://127.0.0.1\"}" >req.http &&
	test_expect_code 1 gw-audit -f http -j -r "$RULES" req.http >out &&
	grep -q "\"id\":\"lfi-traversal\".*\"where\":\"path\"" out &&
	grep -q "\"id\":\"xss-script\".*\"where\":\"query:q\"" out &&
	grep -q "\"id\":\"scanner-user-agent\".*\"where\":\"header:User-Agent\"" out &&
	grep -q "\"id\":\"java-jndi\".*\"where\":\"cookie:b\"" out &&
	grep -q "\"id\":\"ssrf-schemes\".*\"where\":\"/u\"" out &&
	test_expect_code 1 gw-audit -q -r "$RULES" req.http
'

test_expect_success 'a raw request that is not one: 65' '
	printf "GARBAGE\r\n\r\n" >junk.http &&
	test_expect_code 65 gw-audit -f http junk.http >out &&
	grep -q "http-malformed" out
'

test_expect_success 'limits: a file, options, and options win' '
	printf "[[[[1]]]]\n" >deep.json &&
	gw-audit -q deep.json &&
	printf "# deep JSON is bad here\nmax_json_depth 3\n" >l.conf &&
	test_expect_code 1 gw-audit -L l.conf deep.json >out &&
	grep -q "json-depth: nesting deeper than 3 at /0/0/0" out &&
	gw-audit -q --max-json-depth 8 -L l.conf deep.json &&
	test_expect_code 1 gw-audit -q --max-json-depth 2 deep.json
'

test_expect_success 'a size limit stops the scan' '
	test_expect_code 1 gw-audit -j --max-bytes 10 clean.json >out &&
	grep -q "\"id\":\"size\",\"kind\":\"limit\",\"severity\":\"error\",\"status\":413" out
'

test_expect_success 'the paranoia level widens the rules' '
	echo "{\"q\": \"x SELECT a FROM b\"}" >pl.json &&
	gw-audit -q -r "$RULES" pl.json &&
	test_expect_code 1 gw-audit -q -p 2 -r "$RULES" pl.json
'

test_expect_success 'the JIT and the prefilter change no finding' '
	for f in sqli.json req.http a.xml a.txt
	do
		gw-audit -j -p 4 -r "$RULES" "$f" >a
		gw-audit -j -p 4 --no-jit -r "$RULES" "$f" >b
		gw-audit -j -p 4 --no-prefilter -r "$RULES" "$f" >c
		test_cmp a b && test_cmp a c || exit 1
	done
'

test_expect_success 'usage errors: 64' '
	test_expect_code 64 gw-audit -f yaml clean.json 2>err &&
	grep -q "expected auto, json, xml, text or http" err &&
	test_expect_code 64 gw-audit -p 5 clean.json 2>err &&
	test_expect_code 64 gw-audit --max-json-depth x clean.json 2>err &&
	grep -q "max_json_depth: expected a number" err &&
	test_expect_code 64 gw-audit --bogus 2>err &&
	grep -q "^usage: gw-audit" err
'

test_expect_success 'bad rule and limit files: 78, with file and line' '
	printf "rule a\n\ttargets args\n\tpattern (unclosed\n" >bad.rules &&
	test_expect_code 78 gw-audit -r bad.rules clean.json 2>err &&
	grep -q "bad.rules:3: rule .a.: pattern: missing closing parenthesis" err &&
	printf "max_jsn_depth 3\n" >bad.conf &&
	test_expect_code 78 gw-audit -L bad.conf clean.json 2>err &&
	grep -q "bad.conf:1: unknown limit .max_jsn_depth.; did you mean .max_json_depth.?" err &&
	test_expect_code 66 gw-audit -r nothere.rules clean.json 2>err &&
	test_expect_code 66 gw-audit -L nothere.conf clean.json 2>err
'

test_expect_success 'a write error is an internal error' '
	if test -w /dev/full
	then
		test_expect_code 70 gw-audit -r "$RULES" sqli.json >/dev/full 2>err &&
		grep -q "cannot write the report" err
	fi
'

test_expect_success '-h and -V' '
	gw-audit -h | grep -q "^usage: gw-audit \[-hjqV\]" &&
	gw-audit -V | grep -q "^gw-audit [0-9]"
'

test_done
