#!/bin/sh
test_description='gw-serve: api_key with gw-key, basic with htpasswd, ip lists'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl openssl gw-serve gw-key gw-test-upstream

if command -v python3 >/dev/null 2>&1 &&
    python3 -W ignore -c 'import crypt; assert crypt.METHOD_BLOWFISH' \
    >/dev/null 2>&1; then
	test_set_prereq BCRYPT
fi

test_expect_success 'gw-key makes keys and keeps only their hashes' '
	gw-key -f keys.txt -g partners,staff acme >acme.key 2>err &&
	gw-key -f keys.txt billing >billing.key &&
	grep -q "added a key for .acme. to .keys.txt." err &&
	test_line_count = 1 acme.key &&
	grep -q "^gwk_[A-Za-z0-9_-]\{43\}$" acme.key &&
	! grep -qF "$(cat acme.key)" keys.txt &&
	grep -q "^sha256:$(tr -d "\n" <acme.key | sha256sum | cut -d" " -f1) acme partners,staff$" keys.txt &&
	test "$(stat -c %a keys.txt)" = 600 &&
	gw-key -f keys.txt -l >list &&
	printf "acme\tpartners,staff\nbilling\t\n" >expect &&
	test_cmp expect list
'

test_expect_success 'gw-key refuses bad names and bad files' '
	test_expect_code 64 gw-key -f keys.txt "bad name" &&
	test_expect_code 64 gw-key -f keys.txt -g "a,,b" x &&
	test_expect_code 64 gw-key -f keys.txt &&
	test_expect_code 66 gw-key -f nope.txt -l &&
	printf "sha256:nothex acme\n" >broken.txt &&
	test_expect_code 65 gw-key -f broken.txt x 2>err &&
	grep -q "broken.txt: line 1" err &&
	test_line_count = 1 broken.txt &&
	test_expect_code 1 gw-key -f keys.txt -r nobody
'

test_expect_success 'htpasswd made with openssl passwd' '
	printf "alice:%s:ops\n" "$(openssl passwd -6 "s3cret pass")" >users &&
	printf "# comment\nbob:%s\n" "$(openssl passwd -5 "hunter2")" >>users &&
	if test_have_prereq BCRYPT
	then
		python3 -W ignore -c "import crypt; print(\"carol:\" + crypt.crypt(\"b-crypt\", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))" >>users
	fi
'

test_expect_success 'start an upstream and the gateway' '
	gw_start_upstream up -o seen.http &&
	cat >gw.json <<-EOF &&
	{ "workers": 2,
	  "upstreams": { "up": { "targets": ["http://127.0.0.1:$(cat up.port)"] } },
	  "routes": [
	    { "match": { "prefix": "/key" }, "proxy": "up",
	      "policies": [ { "api_key": { "keys": "keys.txt" } } ] },
	    { "match": { "prefix": "/qkey" }, "proxy": "up",
	      "policies": [ { "api_key": { "keys": "keys.txt", "query": "key",
	                                   "forward": true,
	                                   "consumer_header": "X-Partner" } } ] },
	    { "match": { "prefix": "/qdrop" }, "proxy": "up",
	      "policies": [ { "api_key": { "keys": "keys.txt",
	                                   "query": "key" } } ] },
	    { "match": { "prefix": "/partners" }, "proxy": "up",
	      "policies": [ { "api_key": { "keys": "keys.txt" } },
	                    { "authorize": { "groups": ["partners"] } } ] },
	    { "match": { "prefix": "/basic" }, "proxy": "up",
	      "policies": [ { "basic": { "htpasswd": "users", "realm": "ops" } } ] },
	    { "match": { "prefix": "/ops" }, "proxy": "up",
	      "policies": [ { "basic": { "htpasswd": "users", "forward": true } },
	                    { "authorize": { "consumers": ["alice", "carol"] } } ] },
	    { "match": { "prefix": "/ip" }, "proxy": "up",
	      "policies": [ { "ip": { "allow": ["10.0.0.0/8", "127.0.0.0/8"],
	                              "deny": "127.0.0.2",
	                              "trusted_proxies": "127.0.0.1" } } ] }
	  ] }
	EOF
	gw-serve --check -c gw.json &&
	gw_start_serve gw -c gw.json --log-level info
'

# st PATH [curl options]: the status of a request.
st() {
	p_=$1
	shift
	http_get_status "http://127.0.0.1:$(cat gw.port)$p_" "$@"
}

test_expect_success 'a key from gw-key passes; the key does not go upstream' '
	: >seen.http &&
	test "$(st /key/a -H "X-API-Key: $(cat acme.key)" -H "X-Consumer: x")" = 200 &&
	grep -qi "^x-consumer: acme" seen.http &&
	! grep -qi "^x-consumer: x" seen.http &&
	! grep -qi "^x-api-key" seen.http &&
	! grep -qF "$(cat acme.key)" seen.http
'

test_expect_success 'no key, an unknown key, an empty key: 401' '
	curl -sS -D head -o body "http://127.0.0.1:$(cat gw.port)/key/a" &&
	grep -q "^HTTP/1.1 401" head &&
	grep -qi "^www-authenticate: ApiKey realm=\"gw\"" head &&
	grep -q "urn:gw:problem:unauthorized" body &&
	test "$(st /key/a -H "X-API-Key: gwk_nope")" = 401 &&
	test "$(st /key/a -H "X-API-Key;")" = 401 &&
	test "$(st /key/a -H "X-API-Key: $(cat acme.key)x")" = 401 &&
	sleep_ms 100 &&
	grep -q "api_key: request .* refused (unknown-key)" gw.log &&
	grep -q "api_key: request .* refused (missing)" gw.log
'

test_expect_success 'a key in the query string, forwarded as configured' '
	: >seen.http &&
	test "$(st "/qkey/a?x=1&key=$(cat billing.key)")" = 200 &&
	grep -qi "^x-partner: billing" seen.http &&
	test "$(st "/qkey/a?key=nope")" = 401
'

test_expect_success 'a key in the query string stays at the gateway' '
	: >seen.http &&
	k=$(cat billing.key) &&
	test "$(st "/qdrop/a?x=1&key=$k&y=k%3D2&key=$k&keys=3")" = 200 &&
	test "$(st "/qdrop/b?key=$k")" = 200 &&
	test "$(st "/qdrop/c?key=$k&")" = 200 &&
	grep -q "^GET /qdrop/a?x=1&y=k%3D2&keys=3 HTTP/1.1" seen.http &&
	grep -q "^GET /qdrop/b HTTP/1.1" seen.http &&
	grep -q "^GET /qdrop/c HTTP/1.1" seen.http &&
	! grep -qF "$k" seen.http &&
	test "$(st "/qdrop/a?keys=$k")" = 401
'

test_expect_success 'authorize: groups of the key file' '
	test "$(st /partners/a -H "X-API-Key: $(cat acme.key)")" = 200 &&
	test "$(st /partners/a -H "X-API-Key: $(cat billing.key)")" = 403
'

test_expect_success 'a revoked key stops working after a reload' '
	gw-key -f keys.txt -r billing 2>err &&
	grep -q "revoked 1 key of .billing." err &&
	kill -HUP "$(cat gw.pid)" &&
	n=0 &&
	while test "$(st /key/a -H "X-API-Key: $(cat billing.key)")" != 401
	do
		n=$((n + 1)) && test $n -lt 100 && sleep_ms 100 || exit 1
	done &&
	test "$(st /key/a -H "X-API-Key: $(cat acme.key)")" = 200
'

test_expect_success 'basic: right passwords pass, as the consumer' '
	: >seen.http &&
	test "$(st /basic/a -u "alice:s3cret pass")" = 200 &&
	grep -qi "^x-consumer: alice" seen.http &&
	! grep -qi "^authorization:" seen.http &&
	test "$(st /basic/a -u "bob:hunter2")" = 200
'

test_expect_success BCRYPT 'basic: bcrypt' '
	test "$(st /basic/a -u "carol:b-crypt")" = 200 &&
	test "$(st /basic/a -u "carol:b-crypT")" = 401
'

test_expect_success 'basic: wrong password, unknown user, malformed: 401' '
	curl -sS -D head -o body -u "alice:wrong" \
	    "http://127.0.0.1:$(cat gw.port)/basic/a" &&
	grep -q "^HTTP/1.1 401" head &&
	grep -qi "^www-authenticate: Basic realm=\"ops\", charset=\"UTF-8\"" head &&
	test "$(st /basic/a -u "mallory:s3cret pass")" = 401 &&
	test "$(st /basic/a -H "Authorization: Basic !!!")" = 401 &&
	test "$(st /basic/a -H "Authorization: Basic $(printf nocolon | openssl base64)")" = 401 &&
	test "$(st /basic/a -H "Authorization: Bearer x")" = 401 &&
	test "$(st /basic/a)" = 401 &&
	sleep_ms 100 &&
	grep -q "basic: request .* refused (bad-password)" gw.log &&
	grep -q "basic: request .* refused (malformed)" gw.log
'

test_expect_success 'basic with forward, and authorize by consumer' '
	: >seen.http &&
	test "$(st /ops/a -u "alice:s3cret pass")" = 200 &&
	grep -qi "^authorization: Basic" seen.http &&
	test "$(st /ops/a -u "bob:hunter2")" = 403
'

test_expect_success 'no password or key reaches the log' '
	sleep_ms 100 &&
	! grep -q "s3cret" gw.log &&
	! grep -q "hunter2" gw.log &&
	! grep -qF "$(cat acme.key)" gw.log &&
	! grep -qF "$(cat billing.key)" gw.log
'

test_expect_success 'ip: allow, deny, and X-Forwarded-For from a trusted proxy' '
	test "$(st /ip/a)" = 200 &&
	test "$(st /ip/a -H "X-Forwarded-For: 10.1.2.3")" = 200 &&
	test "$(st /ip/a -H "X-Forwarded-For: 192.0.2.1")" = 403 &&
	test "$(st /ip/a -H "X-Forwarded-For: 10.1.2.3, 192.0.2.1")" = 403 &&
	test "$(st /ip/a -H "X-Forwarded-For: 192.0.2.1, 10.1.2.3")" = 200 &&
	test "$(st /ip/a -H "X-Forwarded-For: 127.0.0.2")" = 403 &&
	test "$(st /ip/a -H "X-Forwarded-For: 127.0.0.1, 127.0.0.1")" = 200 &&
	test "$(st /ip/a -H "X-Forwarded-For: junk")" = 403 &&
	curl -sS -D head -o body -H "X-Forwarded-For: 192.0.2.1" \
	    "http://127.0.0.1:$(cat gw.port)/ip/a" &&
	grep -q "urn:gw:problem:forbidden" body
'

test_expect_success 'ip: X-Forwarded-For from an untrusted peer is ignored' '
	cat >ip2.json <<-EOF &&
	{ "workers": 1,
	  "routes": [ { "match": { "prefix": "/" }, "static": {},
	      "policies": [ { "ip": { "allow": "127.0.0.1" } } ] } ] }
	EOF
	gw_start_serve ip2 -c ip2.json &&
	test "$(http_get_status "http://127.0.0.1:$(cat ip2.port)/" \
	    -H "X-Forwarded-For: 192.0.2.1")" = 200
'

test_expect_success 'bad configurations are refused with their place' '
	printf "sha256:00 x\n" >badkeys &&
	printf "u:plain\n" >badusers &&
	cat >bad.json <<-\EOF &&
	{ "routes": [ { "static": {}, "policies": [
	    { "api_key": {} },
	    { "api_key": { "keys": "badkeys" } },
	    { "api_key": { "keys": "keys.txt", "query": "k=v" } },
	    { "basic": { "htpasswd": "badusers" } },
	    { "basic": { "htpasswd": "users", "realm": "a\"b" } },
	    { "ip": { "allow": ["10.0.0.1/8"] } },
	    { "ip": {} },
	    { "authorize": { "scopes": "a b" } },
	    { "authorize": { "claims": { "x": {} } } } ] } ] }
	EOF
	test_expect_code 78 gw-serve --check -c bad.json 2>err &&
	grep -q "policies\[0\].api_key: .keys. names the key file" err &&
	grep -q "policies\[1\].api_key.keys: .*badkeys: line 1: a key is stored as" err &&
	grep -q "policies\[2\].api_key.query: not a plain parameter name" err &&
	grep -q "policies\[3\].basic.htpasswd: .*badusers: line 1: user .u.: not a hash" err &&
	grep -q "policies\[4\].basic.realm: quotes" err &&
	grep -q "policies\[5\].ip.allow: .10.0.0.1/8. has bits set past its prefix" err &&
	grep -q "policies\[6\].ip: give" err &&
	grep -q "policies\[7\].authorize: scope .a b. cannot hold spaces" err &&
	grep -q "policies\[8\].authorize.claims.x: expected a value" err
'

test_done
