#!/bin/sh
test_description='gw-orchestrate: https services through libcurl, verified against a CA file, next to plain ones'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-orchestrate gw-test-catalog socat openssl

DATA=$GW_DATA_DIR/orchestrate/catalog

test_expect_success 'a CA, a certificate for 127.0.0.1, a TLS service' '
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test CA" \
	    -keyout ca.key -out ca.pem 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	    -keyout srv.key -out srv.csr 2>/dev/null &&
	printf "subjectAltName=IP:127.0.0.1\n" >ext &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile ext -out srv.crt 2>/dev/null &&
	cat srv.crt srv.key >srv.pem &&
	gw_start_bg_ prices prices.port gw-test-catalog -d "$DATA/prices" \
	    -p prices.port &&
	gw_start_bg_ lookup lookup.port gw-test-catalog -d "$DATA/lookup" \
	    -p lookup.port &&
	socat -d -d OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,cert=srv.pem,verify=0 \
	    "TCP:127.0.0.1:$(cat prices.port)" 2>tls.log &
	echo $! >tls.pid &&
	test_atexit "gw_kill_ $(cat tls.pid)" &&
	n=0 &&
	while ! grep -q "listening on" tls.log && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	sed -n "s/.*listening on .*:\([0-9]*\)$/\1/p" tls.log | head -n 1 \
	    >tls.port &&
	test -s tls.port
'

test_expect_success 'a script with an https service that trusts the CA' '
	cat >tls.json <<-EOF &&
	{ "services": {
	    "prices": { "url": "https://127.0.0.1:$(cat tls.port)/prices",
	                "ca_file": "ca.pem" },
	    "untrusted": "https://127.0.0.1:$(cat tls.port)/prices" },
	  "steps": {
	    "lookup": { "url": "http://127.0.0.1:$(cat lookup.port)/lookup/\${request.params.id}" },
	    "price": { "service": "prices", "path": "/\${lookup.body/sku}" },
	    "other": { "service": "untrusted", "path": "/\${lookup.body/sku}",
	               "optional": true } },
	  "response": { "json": { "amount": "\${price.body/amount}",
	                          "other": "\${other.error}" } } }
	EOF
	gw-orchestrate check tls.json
'

test_expect_success 'verified over TLS; an untrusted certificate fails the call' '
	gw-orchestrate run --param id=42 tls.json >body &&
	grep -q "^{\"amount\":12.50,\"other\":\"https://127.0.0.1:[0-9]*: " body &&
	grep -qi "certificate" body
'

test_expect_success 'a CA file that is not there: 65' '
	sed -e "s/\"ca.pem\"/\"none.pem\"/" tls.json >bad.json &&
	test_expect_code 65 gw-orchestrate check bad.json 2>err &&
	grep -q "services.prices.ca_file: cannot open .*none.pem" err
'

test_done
