#!/bin/sh
test_description='gw-serve --check: hostile configuration files get one clear error each'
. "$(dirname "$0")/lib.sh"

# What fuzz-cfg explores at random, as fixed cases: each file is refused
# with exit 78 and errors of the form file:line:col: path: message, one a
# line, whatever bytes the file holds.

test_skip_unless_cmd gw-serve

# every_line_is_an_error FILE NAME: each line of FILE starts with "NAME:"
# and holds no control byte but the tab.
every_line_is_an_error() {
	test -s "$1" &&
	! grep -v "^$2:" "$1" &&
	! LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$1"
}

# deep N: {"routes": [[[...]]]} nested N deep.
deep() {
	awk -v n="$1" 'BEGIN {
		printf "{\"routes\": "
		for (i = 0; i < n; i++) printf "["
		for (i = 0; i < n; i++) printf "]"
		print "}"
	}'
}

# routes N: N static routes.
routes() {
	awk -v n="$1" 'BEGIN {
		printf "{\"routes\": ["
		for (i = 0; i < n; i++)
			printf "%s{\"match\": {\"path\": \"/r%d\"}, " \
			    "\"static\": {}}", i ? "," : "", i
		print "]}"
	}'
}

test_expect_success 'nesting past the limit' '
	deep 100 >deep.json &&
	test_expect_code 78 gw-serve --check -c deep.json 2>err &&
	grep -q "^deep.json:1:[0-9]*: .*nesting deeper than 64" err
'

test_expect_success 'a file past 4 MB' '
	head -c 5000000 /dev/zero | tr "\0" " " >big.json &&
	test_expect_code 78 gw-serve --check -c big.json 2>err &&
	grep -q "big.json.* is larger than 4194304 bytes" err
'

test_expect_success 'a NUL byte, bad UTF-8, a duplicate key' '
	printf "{\"work\000ers\": 1}" >nul.json &&
	test_expect_code 78 gw-serve --check -c nul.json 2>err &&
	grep -q "^nul.json:1:7: control character 0x00" err &&
	printf "{\"workers\": \"\377\376\"}" >utf.json &&
	test_expect_code 78 gw-serve --check -c utf.json 2>err &&
	grep -q "^utf.json:1:[0-9]*: invalid UTF-8" err &&
	printf "{\"routes\": [{\"static\": {}}], \"routes\": []}" >dup.json &&
	test_expect_code 78 gw-serve --check -c dup.json 2>err &&
	grep -q "^dup.json:1:[0-9]*: duplicate key .routes." err
'

test_expect_success 'more routes than the limit' '
	routes 10001 >many.json &&
	test_expect_code 78 gw-serve --check -c many.json 2>err &&
	grep -q "^many.json:1:[0-9]*: routes: more than 10000 routes" err
'

test_expect_success 'a static file that never ends' '
	printf "{\"routes\": [{\"static\": {\"file\": \"/dev/zero\"}}]}" \
	    >zero.json &&
	test_expect_code 78 gw-serve --check -c zero.json 2>err &&
	grep -q "^zero.json:1:[0-9]*: routes\[0\].static.file: ./dev/zero. is larger than" err
'

# Known breakage until the core patch of issue 8 (jcheck.c escapes control
# bytes in messages) lands: gw_jcheck_error() prints keys as they are.
test_expect_failure 'a key that holds a newline cannot forge an error line' '
	printf "%s\n" "{ \"routes\": [ { \"static\": { \"headers\": {" \
	    "  \"X\\n/etc/passwd:1:1: forged\": \"1\" } } } ] }" >forge.json &&
	test_expect_code 78 gw-serve --check -c forge.json 2>err &&
	cat err &&
	every_line_is_an_error err forge.json &&
	test_line_count = 1 err
'

test_expect_failure 'nor send an escape sequence to the terminal' '
	printf "{ \"workerz\\\\u001b[31m\": 1 }\n" >esc.json &&
	test_expect_code 78 gw-serve --check -c esc.json 2>err &&
	cat err &&
	every_line_is_an_error err esc.json
'

test_done
