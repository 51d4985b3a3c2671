#!/bin/sh
test_description='gw-serve terminates TLS, with and without client certificates'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl openssl gw-serve gw-test-upstream

# cert NAME CN [SAN]: a key and a certificate signed by the test CA
cert() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" \
	    -keyout "$1.key" -out "$1.csr" 2>/dev/null &&
	printf "subjectAltName=%s\n" "${3:-IP:127.0.0.1}" >"$1.ext" &&
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}

test_expect_success 'a CA, a server certificate and two client ones' '
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test CA" \
	    -keyout ca.key -out ca.pem 2>/dev/null &&
	cert srv 127.0.0.1 &&
	cert alice alice "email:alice@example.test" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mallory" \
	    -keyout mallory.key -out mallory.pem 2>/dev/null
'

test_expect_success 'a gateway with a TLS listener and an mTLS one' '
	gw_start_upstream up -o seen.http &&
	cat >gw.json <<-EOF &&
	{ "workers": 1,
	  "listen": [
	    { "address": "127.0.0.1:0",
	      "tls": { "cert": "srv.pem", "key": "srv.key" } } ],
	  "upstreams": { "up": { "targets": ["http://127.0.0.1:$(cat up.port)"] } },
	  "routes": [ { "match": { "prefix": "/" }, "proxy": "up" } ] }
	EOF
	gw_start_bg_ gw gw.port gw-serve -c gw.json --port-file gw.port &&
	cat >mtls.json <<-EOF &&
	{ "workers": 1,
	  "listen": [
	    { "address": "127.0.0.1:0",
	      "tls": { "cert": "srv.pem", "key": "srv.key",
	               "client_ca": "ca.pem", "client_auth": "required",
	               "consumer": "subject_cn" } } ],
	  "upstreams": { "up": { "targets": ["http://127.0.0.1:$(cat up.port)"] } },
	  "routes": [ { "match": { "prefix": "/" }, "proxy": "up" } ] }
	EOF
	gw_start_bg_ mtls mtls.port gw-serve -c mtls.json --port-file mtls.port
'

test_expect_success 'HTTPS, verified against the CA; the upstream hears https' '
	: >seen.http &&
	curl -sS -D head -o body --cacert ca.pem \
	    "https://127.0.0.1:$(cat gw.port)/secure" &&
	grep -q "^HTTP/1.1 200" head &&
	grep -q "^GET /secure HTTP/1.1" seen.http &&
	grep -qi "^x-forwarded-proto: https" seen.http
'

test_expect_success 'keep-alive and a large streamed body over TLS' '
	head -c 3000000 /dev/urandom >big &&
	curl -sS -o /dev/null -o /dev/null -w "%{num_connects}\n" --cacert ca.pem \
	    "https://127.0.0.1:$(cat gw.port)/a" \
	    "https://127.0.0.1:$(cat gw.port)/b" >connects &&
	printf "1\n0\n" >expect &&
	test_cmp expect connects &&
	curl -sS -o /dev/null --cacert ca.pem --data-binary @big \
	    "https://127.0.0.1:$(cat gw.port)/up" &&
	test "$(grep -c "^POST /up" seen.http)" = 1
'

test_expect_success 'plain HTTP on the TLS port is refused' '
	test "$(http_get_status "http://127.0.0.1:$(cat gw.port)/")" = 000
'

test_expect_success 'TLS 1.1 is refused' '
	test_must_fail curl -sS -o /dev/null --cacert ca.pem --tls-max 1.1 \
	    "https://127.0.0.1:$(cat gw.port)/old" 2>err
'

test_expect_success 'mTLS: no client certificate, no connection' '
	test_must_fail curl -sS -o /dev/null --cacert ca.pem \
	    "https://127.0.0.1:$(cat mtls.port)/x" 2>err
'

test_expect_success 'mTLS: a certificate from another CA, no connection' '
	test_must_fail curl -sS -o /dev/null --cacert ca.pem \
	    --cert mallory.pem --key mallory.key \
	    "https://127.0.0.1:$(cat mtls.port)/x" 2>err
'

test_expect_success 'mTLS: a good certificate; its CN is the consumer' '
	curl -sS -D head -o body --cacert ca.pem --cert alice.pem \
	    --key alice.key "https://127.0.0.1:$(cat mtls.port)/who" &&
	grep -q "^HTTP/1.1 200" head &&
	grep "\"path\":\"/who\"" mtls.log | grep -q "\"consumer\":\"alice\""
'

test_expect_success 'a bad key file is a configuration error with its name' '
	printf "nonsense" >bad.key &&
	sed "s/srv.key/bad.key/" gw.json >bad.json &&
	test_expect_code 78 gw-serve --check -c bad.json 2>err &&
	grep -q "bad.json:.*listen\[0\].tls: .*bad.key" err
'

test_expect_success 'the workers survived the refused handshakes' '
	test "$(curl -sS -o /dev/null -w "%{http_code}" --cacert ca.pem \
	    "https://127.0.0.1:$(cat gw.port)/still")" = 200
'

test_done
