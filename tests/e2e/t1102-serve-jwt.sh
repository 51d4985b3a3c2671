#!/bin/sh
test_description='gw-serve: the jwt policy, with keys made by openssl, and every refusal'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl openssl xxd gw-serve gw-test-upstream

# b64url: base64url of stdin, no padding.
b64url() {
	openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# sign ALG KEY: the signature of stdin for a JWS, base64url.
sign() {
	case $1 in
	HS256)
		openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(xxd -p "$2" |
		    tr -d '\n')" -binary
		;;
	RS256)
		openssl dgst -sha256 -sign "$2" -binary
		;;
	PS256)
		openssl dgst -sha256 -sigopt rsa_padding_mode:pss \
		    -sigopt rsa_pss_saltlen:-1 -sign "$2" -binary
		;;
	ES256)
		# DER to JWS's R || S, 32 bytes each
		openssl dgst -sha256 -sign "$2" -binary >sig.der &&
		openssl asn1parse -inform DER -in sig.der |
		    sed -n 's/.*INTEGER *://p' |
		    awk '{ while (length($0) < 64) $0 = "0" $0; printf "%s", $0 }' |
		    xxd -r -p
		;;
	EdDSA)
		cat >sig.in && openssl pkeyutl -sign -inkey "$2" -rawin -in sig.in
		;;
	esac | b64url
}

# token ALG KEY HEADER PAYLOAD: a signed token on stdout.
token() {
	h_=$(printf '%s' "$3" | b64url)
	p_=$(printf '%s' "$4" | b64url)
	s_=$(printf '%s.%s' "$h_" "$p_" | sign "$1" "$2")
	printf '%s.%s.%s' "$h_" "$p_" "$s_"
}

# claims [EXTRA]: a payload for the route, valid for a minute.
claims() {
	now_=$(date +%s)
	printf '{"sub":"alice","iss":"https://idp.test","aud":["other","shop"],"exp":%d,"iat":%d,"scope":"orders:read profile","email":"alice@example.test","groups":["staff"]%s}' \
	    $((now_ + 60)) "$now_" "${1:-}"
}

# get PATH TOKEN: the status of a request with that bearer token.
get() {
	http_get_status "http://127.0.0.1:$(cat gw.port)$1" \
	    -H "Authorization: Bearer $2"
}

test_expect_success 'keys made with openssl' '
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out rsa.key 2>/dev/null &&
	openssl pkey -in rsa.key -pubout -out rsa.pub &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out other.key 2>/dev/null &&
	openssl ecparam -name prime256v1 -genkey -noout -out ec.key &&
	openssl ec -in ec.key -pubout -out ec.pub 2>/dev/null &&
	openssl genpkey -algorithm ED25519 -out ed.key &&
	openssl pkey -in ed.key -pubout -out ed.pub &&
	openssl rand 32 >hs.secret && chmod 600 hs.secret
'

test_expect_success 'start an upstream and the gateway' '
	gw_start_upstream up -o seen.http &&
	cat >gw.json <<-EOF &&
	{ "workers": 2,
	  "upstreams": { "up": { "targets": ["http://127.0.0.1:$(cat up.port)"] } },
	  "routes": [
	    { "match": { "prefix": "/rsa" }, "proxy": "up",
	      "policies": [ { "jwt": { "keys": "rsa.pub",
	          "issuer": "https://idp.test", "audience": "shop",
	          "claim_headers": { "X-User-Email": "email" } } } ] },
	    { "match": { "prefix": "/all" }, "proxy": "up",
	      "policies": [ { "jwt": { "keys": ["rsa.pub", "ec.pub", "ed.pub"],
	          "secret_file": "hs.secret", "leeway_s": 5 } } ] },
	    { "match": { "prefix": "/scoped" }, "proxy": "up",
	      "policies": [ { "jwt": { "keys": "rsa.pub" } },
	                    { "authorize": { "scopes": ["orders:write"] } } ] },
	    { "match": { "prefix": "/staff" }, "proxy": "up",
	      "policies": [ { "jwt": { "keys": "rsa.pub" } },
	                    { "authorize": { "groups": "staff",
	                      "claims": { "email": ["alice@example.test"] } } } ] }
	  ] }
	EOF
	gw-serve --check -c gw.json &&
	gw_start_serve gw -c gw.json --log-level info
'

test_expect_success 'a good RS256 token passes; the consumer goes upstream, the token does not' '
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\",\"typ\":\"JWT\"}" "$(claims)") &&
	: >seen.http &&
	curl -sS -o body -w "%{http_code}" -H "Authorization: Bearer $t" \
	    -H "X-Consumer: mallory" -H "X-User-Email: evil@x" \
	    "http://127.0.0.1:$(cat gw.port)/rsa/x" >code &&
	test "$(cat code)" = 200 &&
	grep -qi "^x-consumer: alice" seen.http &&
	! grep -qi "mallory" seen.http &&
	grep -qi "^x-user-email: alice@example.test" seen.http &&
	! grep -qi "evil@x" seen.http &&
	! grep -qi "^authorization:" seen.http
'

test_expect_success 'PS256, ES256, EdDSA and HS256 tokens pass where their keys are' '
	c=$(claims) &&
	t=$(token PS256 rsa.key "{\"alg\":\"PS256\"}" "$c") &&
	test "$(get /all "$t")" = 200 &&
	t=$(token ES256 ec.key "{\"alg\":\"ES256\"}" "$c") &&
	test "$(get /all "$t")" = 200 &&
	t=$(token EdDSA ed.key "{\"alg\":\"EdDSA\"}" "$c") &&
	test "$(get /all "$t")" = 200 &&
	t=$(token HS256 hs.secret "{\"alg\":\"HS256\"}" "$c") &&
	test "$(get /all "$t")" = 200
'

test_expect_success 'an HMAC secret file of text loses its line end, a binary one nothing' '
	printf "a text secret, long enough for HS256\n" >text.secret &&
	chmod 600 text.secret &&
	printf "a text secret, long enough for HS256" >text.key &&
	printf "0123456789abcdef0123456789abcde\n" >bin.secret &&
	printf "\001" >>bin.secret && printf "\n" >>bin.secret &&
	chmod 600 bin.secret &&
	cat >hs.json <<-\EOF &&
	{ "workers": 1,
	  "routes": [
	    { "match": { "prefix": "/text" }, "static": {},
	      "policies": [ { "jwt": { "secret_file": "text.secret" } } ] },
	    { "match": { "prefix": "/bin" }, "static": {},
	      "policies": [ { "jwt": { "secret_file": "bin.secret" } } ] } ] }
	EOF
	gw_start_serve hs -c hs.json &&
	c=$(claims) &&
	t=$(token HS256 text.key "{\"alg\":\"HS256\"}" "$c") &&
	test "$(http_get_status "http://127.0.0.1:$(cat hs.port)/text" \
	    -H "Authorization: Bearer $t")" = 200 &&
	t=$(token HS256 bin.secret "{\"alg\":\"HS256\"}" "$c") &&
	test "$(http_get_status "http://127.0.0.1:$(cat hs.port)/bin" \
	    -H "Authorization: Bearer $t")" = 200 &&
	gw_stop hs
'

test_expect_success 'no token: 401 with a Bearer challenge, as problem+json' '
	curl -sS -D head -o body "http://127.0.0.1:$(cat gw.port)/rsa/x" &&
	grep -q "^HTTP/1.1 401" head &&
	grep -qi "^www-authenticate: Bearer realm=\"gw\"" head &&
	grep -qi "^content-type: application/problem+json" head &&
	grep -q "\"type\":\"urn:gw:problem:unauthorized\"" body
'

# refused TITLE CODE REASON TOKEN [PATH]: a 401 whose log line names REASON
refused() {
	test "$(get "${4:-/rsa/x}" "$3")" = 401 &&
	sleep_ms 100 &&
	grep -q "jwt: request .* refused ($2)" gw.log
}

test_expect_success 'alg none is refused' '
	h=$(printf "{\"alg\":\"none\",\"typ\":\"JWT\"}" | b64url) &&
	p=$(claims | b64url) &&
	refused x algorithm "$h.$p." &&
	refused x algorithm "$h.$p.AAAA"
'

test_expect_success 'algorithm confusion is refused: HS256 keyed with the RSA public key' '
	openssl pkey -in rsa.key -pubout >pub.pem &&
	t=$(token HS256 pub.pem "{\"alg\":\"HS256\"}" "$(claims)") &&
	refused x algorithm "$t"
'

test_expect_success 'a token signed by another key is refused' '
	t=$(token RS256 other.key "{\"alg\":\"RS256\"}" "$(claims)") &&
	refused x bad-signature "$t"
'

test_expect_success 'a token whose signature was changed is refused' '
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\"}" "$(claims)") &&
	sig=${t##*.} &&
	case $sig in
	A*) bad=B${sig#?} ;;
	*) bad=A${sig#?} ;;
	esac &&
	refused x bad-signature "${t%.*}.$bad"
'

test_expect_success 'a token whose claims were changed is refused' '
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\"}" "$(claims)") &&
	p=$(claims ",\"admin\":true" | b64url) &&
	h=${t%%.*} && s=${t##*.} &&
	refused x bad-signature "$h.$p.$s"
'

test_expect_success 'an expired token is refused' '
	now=$(date +%s) &&
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\"}" \
	    "{\"sub\":\"a\",\"iss\":\"https://idp.test\",\"aud\":\"shop\",\"exp\":$((now - 10))}") &&
	refused x expired "$t" &&
	curl -sS -D head -o body -H "Authorization: Bearer $t" \
	    "http://127.0.0.1:$(cat gw.port)/rsa/x" &&
	grep -qi "^www-authenticate: Bearer realm=\"gw\", error=\"invalid_token\"" head &&
	grep -q "the token has expired" body
'

test_expect_success 'leeway takes a token that expired a moment ago' '
	now=$(date +%s) &&
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\"}" \
	    "{\"sub\":\"a\",\"exp\":$((now - 2))}") &&
	test "$(get /all "$t")" = 200
'

test_expect_success 'a token that passed is not taken past its exp' '
	now=$(date +%s) &&
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\"}" \
	    "{\"sub\":\"a\",\"iss\":\"https://idp.test\",\"aud\":\"shop\",\"exp\":$((now + 2))}") &&
	test "$(get /rsa/x "$t")" = 200 &&
	test "$(get /rsa/x "$t")" = 200 &&
	sleep 3 &&
	refused x expired "$t"
'

test_expect_success 'a token not valid yet is refused' '
	now=$(date +%s) &&
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\"}" \
	    "{\"sub\":\"a\",\"iss\":\"https://idp.test\",\"aud\":\"shop\",\"exp\":$((now + 600)),\"nbf\":$((now + 300))}") &&
	refused x not-yet-valid "$t"
'

test_expect_success 'a token of another issuer is refused' '
	now=$(date +%s) &&
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\"}" \
	    "{\"sub\":\"a\",\"iss\":\"https://evil.test\",\"aud\":\"shop\",\"exp\":$((now + 60))}") &&
	refused x wrong-issuer "$t"
'

test_expect_success 'a token for another audience is refused' '
	now=$(date +%s) &&
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\"}" \
	    "{\"sub\":\"a\",\"iss\":\"https://idp.test\",\"aud\":[\"billing\"],\"exp\":$((now + 60))}") &&
	refused x wrong-audience "$t"
'

test_expect_success 'a token without exp is refused' '
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\"}" \
	    "{\"sub\":\"a\",\"iss\":\"https://idp.test\",\"aud\":\"shop\"}") &&
	refused x missing-claim "$t"
'

test_expect_success 'malformed tokens are refused' '
	refused x malformed "not-a-token" &&
	refused x malformed "a.b.c" &&
	refused x malformed "$(printf "{\"alg\":\"RS256\"}" | b64url).$(printf "[1]" | b64url).AAAA" &&
	refused x malformed "$(printf "{\"alg\":\"RS256\"" | b64url).$(claims | b64url).AAAA" &&
	test "$(http_get_status "http://127.0.0.1:$(cat gw.port)/rsa/x" \
	    -H "Authorization: Basic YTpi")" = 401
'

test_expect_success 'an oversized token is refused' '
	big=$(head -c 3000 /dev/zero | tr "\0" "A") &&
	refused x malformed "$big.$big.$big"
'

test_expect_success 'authorize: a missing scope is 403, a present one passes' '
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\"}" "$(claims)") &&
	curl -sS -D head -o body -H "Authorization: Bearer $t" \
	    "http://127.0.0.1:$(cat gw.port)/scoped/x" &&
	grep -q "^HTTP/1.1 403" head &&
	grep -q "\"type\":\"urn:gw:problem:forbidden\"" body &&
	grep -q "orders:write" body &&
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\"}" \
	    "$(claims | sed "s/orders:read/orders:write/")") &&
	test "$(get /scoped/x "$t")" = 200
'

test_expect_success 'authorize: groups and claim values' '
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\"}" "$(claims)") &&
	test "$(get /staff/x "$t")" = 200 &&
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\"}" \
	    "$(claims | sed "s/\"staff\"/\"guests\"/")") &&
	test "$(get /staff/x "$t")" = 403 &&
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\"}" \
	    "$(claims | sed "s/alice@example.test/bob@example.test/")") &&
	test "$(get /staff/x "$t")" = 403
'

test_expect_success 'no token reaches the log' '
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\"}" "$(claims)") &&
	sig=${t##*.} &&
	test "$(get /rsa/x "$t")" = 200 &&
	sleep_ms 100 &&
	! grep -F "$sig" gw.log &&
	! grep -F "${t%%.*}." gw.log
'

# --- keys from a JWKS URL -------------------------------------------------------

# jwk PUBKEY KID: the public key as a JWK (RSA), by way of openssl text.
jwk() {
	n=$(openssl rsa -pubin -in "$1" -noout -modulus | sed "s/^Modulus=//" |
	    xxd -r -p | b64url)
	printf '{"kty":"RSA","kid":"%s","use":"sig","n":"%s","e":"AQAB"}' \
	    "$2" "$n"
}

# serve_jwks JWK...: the reply file of the JWKS server.
serve_jwks() {
	keys=$(printf '%s,' "$@")
	printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: auto\r\n\r\n{"keys":[%s]}' \
	    "${keys%,}" >jwks.http
}

test_expect_success 'start a JWKS server and a gateway that fetches from it' '
	openssl pkey -in other.key -pubout -out other.pub &&
	serve_jwks "$(jwk rsa.pub k1)" &&
	gw_start_upstream jwks -r jwks.http --count-file jwks.count &&
	cat >url.json <<-EOF &&
	{ "workers": 1,
	  "upstreams": { "up": { "targets": ["http://127.0.0.1:$(cat up.port)"] } },
	  "routes": [
	    { "match": { "prefix": "/" }, "proxy": "up",
	      "policies": [ { "jwt": {
	          "jwks_url": "http://127.0.0.1:$(cat jwks.port)/.well-known/jwks.json",
	          "jwks_min_refresh_s": 2 } } ] } ] }
	EOF
	gw_start_serve url -c url.json --log-level info
'

# uget TOKEN: the status through the JWKS gateway.
uget() {
	http_get_status "http://127.0.0.1:$(cat url.port)/x" \
	    -H "Authorization: Bearer $1"
}

test_expect_success 'the first request waits for the JWKS, then passes' '
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\",\"kid\":\"k1\"}" "$(claims)") &&
	test "$(uget "$t")" = 200 &&
	test "$(cat jwks.count)" = 1 &&
	test "$(uget "$t")" = 200 &&
	test "$(cat jwks.count)" = 1
'

test_expect_success 'a new kid makes the gateway fetch the JWKS again' '
	sleep_ms 2200 &&
	serve_jwks "$(jwk rsa.pub k1)" "$(jwk other.pub k2)" &&
	t=$(token RS256 other.key "{\"alg\":\"RS256\",\"kid\":\"k2\"}" "$(claims)") &&
	test "$(uget "$t")" = 200 &&
	test "$(cat jwks.count)" = 2
'

test_expect_success 'unknown kids do not make it fetch more than once in jwks_min_refresh_s' '
	sleep_ms 2200 &&
	t=$(token RS256 other.key "{\"alg\":\"RS256\",\"kid\":\"k3\"}" "$(claims)") &&
	test "$(uget "$t")" = 401 &&
	test "$(uget "$t")" = 401 &&
	test "$(uget "$t")" = 401 &&
	test "$(cat jwks.count)" = 3 &&
	grep -q "refused (unknown-kid)" url.log
'

test_expect_success 'the JWKS is fetched again in the background every jwks_refresh_s' '
	cat >bg.json <<-EOF &&
	{ "workers": 1,
	  "routes": [ { "match": { "prefix": "/" }, "static": {},
	      "policies": [ { "jwt": { "jwks_refresh_s": 1,
	          "jwks_url": "http://127.0.0.1:$(cat jwks.port)/jwks" } } ] } ] }
	EOF
	gw_start_serve bg -c bg.json &&
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\",\"kid\":\"k1\"}" "$(claims)") &&
	before=$(cat jwks.count) &&
	test "$(http_get_status "http://127.0.0.1:$(cat bg.port)/" \
	    -H "Authorization: Bearer $t")" = 200 &&
	sleep_ms 3500 &&
	test "$(cat jwks.count)" -ge $((before + 3)) &&
	gw_stop bg
'

test_expect_success 'when the JWKS server is gone, the keys fetched before stay' '
	gw_stop jwks &&
	sleep 2 &&
	t=$(token RS256 other.key "{\"alg\":\"RS256\",\"kid\":\"k9\"}" "$(claims)") &&
	test "$(uget "$t")" = 401 &&
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\",\"kid\":\"k1\"}" "$(claims)") &&
	test "$(uget "$t")" = 200 &&
	grep -q "jwt: fetching .* failed" url.log
'

test_expect_success 'a gateway that never got its JWKS answers 503' '
	cat >dead.json <<-EOF &&
	{ "workers": 1,
	  "routes": [ { "match": { "prefix": "/" }, "static": {},
	      "policies": [ { "jwt": { "timeout_ms": 500,
	          "jwks_url": "http://127.0.0.1:$(cat jwks.port)/jwks" } } ] } ] }
	EOF
	gw_start_serve dead -c dead.json &&
	t=$(token RS256 rsa.key "{\"alg\":\"RS256\",\"kid\":\"k1\"}" "$(claims)") &&
	curl -sS -D head -o body -H "Authorization: Bearer $t" \
	    "http://127.0.0.1:$(cat dead.port)/x" &&
	grep -q "^HTTP/1.1 503" head &&
	grep -q "urn:gw:problem:auth-unavailable" body
'

test_expect_success 'bad jwt configurations are refused with their place' '
	printf "secret" >short.secret && chmod 600 short.secret &&
	printf "0123456789abcdef0123" >open.secret && chmod 644 open.secret &&
	cat >bad.json <<-\EOF &&
	{ "routes": [ { "static": {}, "policies": [
	    { "jwt": {} },
	    { "jwt": { "keys": "nope.pem" } },
	    { "jwt": { "secret_file": "short.secret" } },
	    { "jwt": { "secret_file": "open.secret" } },
	    { "jwt": { "keys": "rsa.pub", "algorithms": ["none"] } },
	    { "jwt": { "jwks_url": "ftp://x" } },
	    { "jwt": { "keys": "gw.json" } } ] } ] }
	EOF
	test_expect_code 78 gw-serve --check -c bad.json 2>err &&
	grep -q "policies\[0\].jwt: no keys" err &&
	grep -q "policies\[1\].jwt.keys: cannot read" err &&
	grep -q "policies\[2\].jwt.secret_file: an HMAC secret of 6 bytes is too short" err &&
	grep -q "policies\[3\].jwt.secret_file: .*must not be readable by group or others" err &&
	grep -q "policies\[4\].jwt.algorithms: unknown algorithm .none." err &&
	grep -q "policies\[5\].jwt.jwks_url: .* must start with http:// or https://" err &&
	grep -q "policies\[6\].jwt.keys: .*not a PEM" err
'

test_done
