#!/bin/sh
test_description='gw-serve: https upstreams through libcurl, verified against a CA file'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl socat openssl gw-serve gw-test-upstream

test_expect_success 'a CA, a certificate for 127.0.0.1, and a TLS upstream' '
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test CA" \
	    -keyout ca.key -out ca.pem 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	    -keyout srv.key -out srv.csr 2>/dev/null &&
	printf "subjectAltName=IP:127.0.0.1\n" >ext &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile ext -out srv.crt 2>/dev/null &&
	cat srv.crt srv.key >srv.pem &&
	gw_start_upstream plain --echo --id tls-backend &&
	socat -d -d OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,cert=srv.pem,verify=0 \
	    "TCP:127.0.0.1:$(cat plain.port)" 2>tls.log &
	echo $! >tls.pid &&
	test_atexit "gw_kill_ $(cat tls.pid)" &&
	n=0 &&
	while ! grep -q "listening on" tls.log && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	sed -n "s/.*listening on .*:\([0-9]*\)$/\1/p" tls.log | head -n 1 \
	    >tls.port &&
	test -s tls.port
'

test_expect_success 'a gateway that trusts the CA file' '
	cat >gw.json <<-EOF &&
	{ "workers": 1,
	  "upstreams": {
	    "tls": { "targets": ["https://127.0.0.1:$(cat tls.port)"],
	             "ca_file": "ca.pem" },
	    "untrusted": { "targets": ["https://127.0.0.1:$(cat tls.port)"] } },
	  "routes": [
	    { "match": { "prefix": "/untrusted" }, "proxy": "untrusted" },
	    { "match": { "prefix": "/" }, "proxy": "tls" } ] }
	EOF
	gw_start_serve gw -c gw.json
'

test_expect_success 'GET over TLS, verified' '
	curl -sS -D head -o body "http://127.0.0.1:$(cat gw.port)/hello" &&
	grep -q "^HTTP/1.1 200" head &&
	grep -qi "^x-upstream: tls-backend" head
'

test_expect_success 'a streamed POST over TLS comes back intact' '
	head -c 2000000 /dev/urandom >big &&
	curl -sS -o back -H "Transfer-Encoding: chunked" --data-binary @big \
	    "http://127.0.0.1:$(cat gw.port)/echo" &&
	cmp big back
'

test_expect_success 'keep-alive and several requests through libcurl' '
	for i in 1 2 3 4 5; do
		test "$(http_get_status "http://127.0.0.1:$(cat gw.port)/k$i")" = 200 ||
		    exit 1
	done
'

test_expect_success 'a certificate not signed by a trusted CA -> 502' '
	curl -sS -D head -o body "http://127.0.0.1:$(cat gw.port)/untrusted" &&
	grep -q "^HTTP/1.1 502" head &&
	grep -q "urn:gw:problem:bad-gateway" body
'

test_done
