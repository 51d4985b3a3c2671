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

# certificate that a connection with SNI NAME (none: "") gets, by CN
served_cn() {
	if test -n "$1"; then
		set -- -servername "$1"
	else
		set -- -noservername
	fi
	openssl s_client -connect "127.0.0.1:$(cat sni.port)" "$@" \
	    </dev/null 2>/dev/null |
	sed -n "s/^subject=.*CN *= *\([^,/]*\).*/\1/p" | head -n 1
}

test_expect_success 'SNI: certificates for a name, a wildcard and a CN' '
	cert dflt default.test "DNS:default.test,IP:127.0.0.1" &&
	cert api api.example.test "DNS:api.example.test,DNS:API2.example.test" &&
	cert wild wild.example.test "DNS:*.example.test" &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=cn-only.test" \
	    -keyout cnonly.key -out cnonly.csr 2>/dev/null &&
	openssl x509 -req -in cnonly.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -out cnonly.pem 2>/dev/null &&
	cat >sni.json <<-EOF &&
	{ "workers": 1,
	  "listen": [
	    { "address": "127.0.0.1:0",
	      "tls": { "certificates": [
	        { "cert": "dflt.pem", "key": "dflt.key" },
	        { "cert": "wild.pem", "key": "wild.key" },
	        { "cert": "api.pem", "key": "api.key" },
	        { "cert": "cnonly.pem", "key": "cnonly.key" } ] } } ],
	  "routes": [ { "match": { "prefix": "/" },
	                "static": { "status": 200, "body": "hi" } } ] }
	EOF
	gw-serve --check -c sni.json &&
	gw_start_bg_ sni sni.port gw-serve -c sni.json --port-file sni.port
'

test_expect_success 'SNI: each name gets its certificate, verified by curl' '
	p=$(cat sni.port) &&
	for h in api.example.test api2.example.test x.example.test \
	    cn-only.test default.test; do
		curl -sS -o body --cacert ca.pem --resolve "$h:$p:127.0.0.1" \
		    "https://$h:$p/" || exit 1
		test "$(cat body)" = hi || exit 1
	done
'

test_expect_success 'SNI: exact names win over the wildcard, in any order' '
	test "$(served_cn api.example.test)" = api.example.test &&
	test "$(served_cn API2.Example.Test.)" = api.example.test &&
	test "$(served_cn other.example.test)" = wild.example.test
'

test_expect_success 'SNI: no name, an unknown one or two labels: the default' '
	test "$(served_cn "")" = default.test &&
	test "$(served_cn unknown.test)" = default.test &&
	test "$(served_cn a.b.example.test)" = default.test &&
	test "$(served_cn example.test)" = default.test
'

test_expect_success 'SNI: two certificates for one name are refused, named' '
	cert api-again api.example.test "DNS:api.example.test" &&
	sed "s/\"cnonly.pem\", \"key\": \"cnonly.key\"/\"api-again.pem\", \"key\": \"api-again.key\"/" \
	    sni.json >dup.json &&
	grep -q api-again dup.json &&
	test_expect_code 78 gw-serve --check -c dup.json 2>err &&
	grep "dup.json:.*listen\[0\]\.tls\.certificates\[3\]: " err |
	    grep "api-again.pem" | grep "api.example.test" | grep -q "api.pem"
'

test_expect_success 'SNI: a key that is not the certificate'"'"'s is refused' '
	sed "s/\"wild.key\"/\"api.key\"/" sni.json >mismatch.json &&
	test_expect_code 78 gw-serve --check -c mismatch.json 2>err &&
	grep "listen\[0\]\.tls\.certificates\[1\]: " err |
	    grep "wild.pem" | grep -q "does not match"
'

test_expect_success 'SNI: unreadable files are named, every one' '
	sed -e "s/\"api.pem\"/\"missing.pem\"/" -e "s/\"dflt.key\"/\"nokey.key\"/" \
	    sni.json >missing.json &&
	test_expect_code 78 gw-serve --check -c missing.json 2>err &&
	grep "listen\[0\]\.tls\.certificates\[0\]: " err | grep -q "nokey.key" &&
	grep "listen\[0\]\.tls\.certificates\[2\]: " err | grep -q "missing.pem"
'

test_expect_success 'SNI: cert and certificates together, or an empty list' '
	sed "s/\"certificates\"/\"cert\": \"srv.pem\", \"key\": \"srv.key\", &/" \
	    sni.json >both.json &&
	test_expect_code 78 gw-serve --check -c both.json 2>err &&
	grep -q "not both" err &&
	cat >empty.json <<-EOF &&
	{ "listen": [ { "address": "127.0.0.1:0",
	                "tls": { "certificates": [] } } ],
	  "routes": [ { "match": { "prefix": "/" },
	                "static": { "status": 200 } } ] }
	EOF
	test_expect_code 78 gw-serve --check -c empty.json 2>err &&
	grep -q "tls.certificates: expected an array" err
'

# tls_get VERSION PORT [OPTS]: one request with openssl s_client; its output
tls_get() {
	v_=$1 p_=$2
	shift 2
	printf "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" |
	openssl s_client "$v_" -connect "127.0.0.1:$p_" -ign_eof "$@" 2>/dev/null
}

# resume VERSION PORT [OPTS]: a new session saved in sess, then 8 more
# connections on it; prints one New/Reused line each
resume() {
	v=$1 p=$2
	shift 2
	tls_get "$v" "$p" -sess_out sess "$@" | grep -E "^(New|Reused),"
	for i in 1 2 3 4 5 6 7 8; do
		tls_get "$v" "$p" -sess_in sess "$@" | grep -E "^(New|Reused),"
	done
}

# two_workers: wait until gw-serve "two" has its two workers
two_workers() {
	n=0
	while test "$(pgrep -P "$(cat two.pid)" | wc -l)" != 2 &&
	    test $n -lt 200; do
		sleep 0.05
		n=$((n + 1))
	done
}

test_expect_success 'resumption: two workers share the ticket key' '
	sed "s/\"workers\": 1/\"workers\": 2/" sni.json >two.json &&
	gw_start_bg_ two two.port gw-serve -c two.json --port-file two.port &&
	for v in -tls1_2 -tls1_3; do
		resume $v "$(cat two.port)" >out$v &&
		test "$(grep -c "^New" out$v)" = 1 &&
		test "$(grep -c "^Reused" out$v)" = 8 || exit 1
	done
'

test_expect_success 'resumption: a restarted worker opens older tickets' '
	two_workers &&
	for v in -tls1_2 -tls1_3; do
		tls_get $v "$(cat two.port)" -sess_out sess$v >new$v &&
		grep -q "^New," new$v || exit 1
	done &&
	for w in $(pgrep -P "$(cat two.pid)"); do kill -9 "$w"; done &&
	two_workers &&
	for v in -tls1_2 -tls1_3; do
		tls_get $v "$(cat two.port)" -sess_in sess$v >again$v &&
		grep -q "^Reused," again$v || exit 1
	done
'

test_expect_success 'resumption: a session stays with its certificate' '
	for v in -tls1_2 -tls1_3; do
		resume $v "$(cat sni.port)" -servername api.example.test \
		    >api$v &&
		test "$(grep -c "^Reused" api$v)" = 8 &&
		tls_get $v "$(cat sni.port)" -sess_in sess \
		    -servername x.example.test >other$v &&
		grep -q "^New," other$v &&
		grep -q "CN *= *wild.example.test" other$v || exit 1
	done
'

test_expect_success 'resumption with client certificates' '
	for v in -tls1_2 -tls1_3; do
		resume $v "$(cat mtls.port)" -cert alice.pem -key alice.key \
		    >mtls$v &&
		test "$(grep -c "^Reused" mtls$v)" = 8 || exit 1
	done
'

test_expect_success 'the workers survived the refused handshakes' '
	test "$(curl -sS -o /dev/null -w "%{http_code}" --cacert ca.pem \
	    "https://127.0.0.1:$(cat gw.port)/still")" = 200
'

test_done
