#!/bin/sh
test_description='gw-policies(5): its EXAMPLES load, and what it says of the policies holds'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd openssl gw-serve gw-key

MAN=$GW_SRCDIR/man/gw-policies.5

# literal_block N: the Nth literal display of EXAMPLES, mdoc escapes undone.
literal_block() {
	awk -v want="$1" '/^\.Sh EXAMPLES/ { ex = 1 }
	    ex && /^\.Sh / && !/EXAMPLES/ { exit }
	    ex && /^\.Bd -literal/ { n++; if (n == want) { on = 1; next } }
	    on && /^\.Ed/ { exit }
	    on { print }' "$MAN" | sed -e 's/\\e/\\/g' -e 's/\\&//g'
}

test_expect_success 'the files the first example names' '
	gw-key -f keys.txt -g partners acme >/dev/null 2>&1 &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    2>/dev/null | openssl pkey -pubout >idp.pem &&
	printf "alice:%s:ops\n" "$(openssl passwd -6 pw)" >admins.htpasswd
'

test_expect_success 'gw-serve --check takes the first example' '
	literal_block 1 >gw.json &&
	grep -q "\"api_key\"" gw.json &&
	gw-serve --check -c gw.json
'

test_expect_success 'the second example is a policy gw-serve takes' '
	literal_block 2 >policy.json &&
	grep -q "\"rate_limit\"" policy.json &&
	{ printf "{ \"routes\": [ { \"static\": {}, \"policies\": [\n" &&
	  cat policy.json && printf "] } ] }\n"; } >gw2.json &&
	gw-serve --check -c gw2.json
'

test_expect_success 'the first example of the description is a list gw-serve takes' '
	awk "/^\.Sh DESCRIPTION/ { d = 1 } d && /^\.Bd -literal/ { on = 1; next }
	    on && /^\.Ed/ { exit } on { print }" "$MAN" >list.json &&
	grep -q "\"policies\"" list.json &&
	{ printf "{ \"routes\": [ { \"static\": {},\n" && cat list.json &&
	  printf "} ] }\n"; } >gw3.json &&
	gw-serve --check -c gw3.json
'

test_done
