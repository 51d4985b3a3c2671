#!/bin/sh
test_description='gw-serve: https upstreams through libcurl, verified against a CA file'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl socat openssl gw-serve gw-test-upstream

# tls_upstream NAME SOCAT-OPTIONS: socat terminating TLS in front of the
# plain upstream; its port in NAME.port
tls_upstream() {
	socat -d -d "OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,$2" \
	    "TCP:127.0.0.1:$(cat plain.port)" 2>"$1.log" &
	echo $! >"$1.pid"
	test_atexit "gw_kill_ $(cat "$1.pid")"
	n=0
	while ! grep -q "listening on" "$1.log" && test $n -lt 100; do
		sleep 0.05
		n=$((n + 1))
	done
	sed -n "s/.*listening on .*:\([0-9]*\)$/\1/p" "$1.log" | head -n 1 \
	    >"$1.port"
	test -s "$1.port"
}

# cert NAME CN SAN: a key and a certificate signed by the test CA
cert() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" \
	    -keyout "$1.key" -out "$1.csr" 2>/dev/null &&
	printf "subjectAltName=%s\n" "$3" >"$1.ext" &&
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile "$1.ext" -out "$1.crt" \
	    2>/dev/null &&
	cat "$1.crt" "$1.key" >"$1.pem"
}

test_expect_success 'a CA, a certificate for 127.0.0.1, and a TLS upstream' '
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test CA" \
	    -keyout ca.key -out ca.pem 2>/dev/null &&
	cert srv 127.0.0.1 IP:127.0.0.1 &&
	gw_start_upstream plain --echo --id tls-backend &&
	tls_upstream tls cert=srv.pem,verify=0
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

test_expect_success 'mTLS and name upstreams; a client certificate' '
	cert gw gw-client email:gw@example.test &&
	cert named upstream.test DNS:upstream.test &&
	tls_upstream mtls cert=srv.pem,verify=1,cafile=ca.pem &&
	tls_upstream named cert=named.pem,verify=0 &&
	cat >mtls.json <<-EOF &&
	{ "workers": 1,
	  "upstreams": {
	    "anon": { "targets": ["https://127.0.0.1:$(cat mtls.port)"],
	              "ca_file": "ca.pem" },
	    "mtls": { "targets": ["https://127.0.0.1:$(cat mtls.port)"],
	              "ca_file": "ca.pem",
	              "client_cert": "gw.crt", "client_key": "gw.key" },
	    "byip": { "targets": ["https://127.0.0.1:$(cat named.port)"],
	              "ca_file": "ca.pem" },
	    "named": { "targets": ["https://127.0.0.1:$(cat named.port)"],
	               "ca_file": "ca.pem", "server_name": "upstream.test" } },
	  "routes": [
	    { "match": { "prefix": "/anon" }, "proxy": "anon" },
	    { "match": { "prefix": "/byip" }, "proxy": "byip" },
	    { "match": { "prefix": "/named" }, "proxy": "named" },
	    { "match": { "prefix": "/" }, "proxy": "mtls" } ] }
	EOF
	gw-serve --check -c mtls.json &&
	gw_start_serve gwm -c mtls.json
'

test_expect_success 'mTLS upstream: no client certificate -> 502' '
	curl -sS -D head -o body "http://127.0.0.1:$(cat gwm.port)/anon" &&
	grep -q "^HTTP/1.1 502" head &&
	grep -qi "^content-type: application/problem+json" head &&
	grep -q "urn:gw:problem:bad-gateway" body
'

test_expect_success 'mTLS upstream: the client certificate -> 200' '
	curl -sS -D head -o body "http://127.0.0.1:$(cat gwm.port)/hello" &&
	grep -q "^HTTP/1.1 200" head &&
	grep -qi "^x-upstream: tls-backend" head &&
	for i in 1 2 3; do
		test "$(http_get_status \
		    "http://127.0.0.1:$(cat gwm.port)/k$i")" = 200 || exit 1
	done
'

test_expect_success 'a certificate for a name: by IP 502, with server_name 200' '
	curl -sS -D head -o body "http://127.0.0.1:$(cat gwm.port)/byip" &&
	grep -q "^HTTP/1.1 502" head &&
	curl -sS -D head -o body "http://127.0.0.1:$(cat gwm.port)/named/x" &&
	grep -q "^HTTP/1.1 200" head &&
	grep -qi "^x-upstream: tls-backend" head
'

test_expect_success 'server_name is sent as the SNI' '
	cert other other.test DNS:other.test &&
	openssl s_server -accept 127.0.0.1:0 -www -naccept 1 \
	    -cert other.crt -key other.key \
	    -servername upstream.test -cert2 named.crt -key2 named.key \
	    >sniup.log 2>&1 </dev/null &
	echo $! >sniup.pid &&
	test_atexit "gw_kill_ $(cat sniup.pid)" &&
	n=0 && while ! grep -q "^ACCEPT" sniup.log && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	sed -n "s/^ACCEPT .*:\([0-9]*\)$/\1/p" sniup.log >sniup.port &&
	cat >sni.json <<-EOF &&
	{ "workers": 1,
	  "upstreams": {
	    "sni": { "targets": ["https://127.0.0.1:$(cat sniup.port)"],
	             "ca_file": "ca.pem", "server_name": "upstream.test" } },
	  "routes": [ { "match": { "prefix": "/" }, "proxy": "sni" } ] }
	EOF
	gw_start_serve gws -c sni.json &&
	curl -sS -D head -o body "http://127.0.0.1:$(cat gws.port)/" &&
	grep -q "^HTTP/1.[01] 200" head
'

test_expect_success 'upstream TLS settings are checked' '
	sed "s/\"client_key\": \"gw.key\"/\"tls_verify\": true/" \
	    mtls.json >nokey.json &&
	test_expect_code 78 gw-serve --check -c nokey.json 2>err &&
	grep -q "upstreams.mtls.client_cert: .*go together" err &&
	sed "s/\"gw.key\"/\"srv.key\"/" mtls.json >mismatch.json &&
	test_expect_code 78 gw-serve --check -c mismatch.json 2>err &&
	grep "upstreams.mtls.client_cert: " err | grep "srv.key" |
	    grep -q "does not match" &&
	sed "s/\"gw.crt\"/\"nothere.crt\"/" mtls.json >missing.json &&
	test_expect_code 78 gw-serve --check -c missing.json 2>err &&
	grep -q "upstreams.mtls.client_cert: .*nothere.crt" err &&
	sed "s/\"upstream.test\"/\"a\/b\"/" mtls.json >badname.json &&
	test_expect_code 78 gw-serve --check -c badname.json 2>err &&
	grep -q "upstreams.named.server_name: .*not a host name" err &&
	cat >plain.json <<-EOF &&
	{ "upstreams": { "p": { "targets": ["http://127.0.0.1:1"],
	                        "server_name": "x.test" } },
	  "routes": [ { "match": { "prefix": "/" }, "proxy": "p" } ] }
	EOF
	test_expect_code 78 gw-serve --check -c plain.json 2>err &&
	grep -q "upstreams.p.server_name: .*https://" err
'

test_done
