#!/bin/sh
test_description='gw-serve: policies start and stop with each worker: the JWKS comes at start, and a process per connection frees what they made'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl openssl xxd socat redis-server redis-cli gw-serve \
    gw-test-upstream

# b64url: base64url of stdin, no padding.
b64url() {
	openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# token KEY KID: an RS256 token of alice for a minute.
token() {
	now_=$(date +%s)
	h_=$(printf '{"alg":"RS256","kid":"%s"}' "$2" | b64url)
	p_=$(printf '{"sub":"alice","exp":%d}' $((now_ + 60)) | b64url)
	s_=$(printf '%s.%s' "$h_" "$p_" |
	    openssl dgst -sha256 -sign "$1" -binary | b64url)
	printf '%s.%s.%s' "$h_" "$p_" "$s_"
}

# start_redis: redis-server on 127.0.0.1 at the port in redis.port, no
# persistence.
start_redis() {
	redis-server --bind 127.0.0.1 --port "$(cat redis.port)" --save "" \
	    --appendonly no --daemonize no >redis.out 2>&1 </dev/null &
	echo $! >redis.pid &&
	test_atexit "gw_kill_ $(cat redis.pid)" &&
	n_=0 &&
	until redis-cli -p "$(cat redis.port)" ping 2>/dev/null | grep -q PONG
	do
		n_=$((n_ + 1)) && test $n_ -lt 100 && sleep_ms 50 || return 1
	done
}

# fetches: how many times the JWKS server was asked for the key set.
fetches() {
	grep -c "GET /jwks.json" jwks.log
}

test_expect_success 'a key, a JWKS server, an introspection server and Redis' '
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out rsa.key 2>/dev/null &&
	openssl pkey -in rsa.key -pubout -out rsa.pub &&
	n=$(openssl rsa -pubin -in rsa.pub -noout -modulus |
	    sed "s/^Modulus=//" | xxd -r -p | b64url) &&
	printf "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: auto\r\n\r\n{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"use\":\"sig\",\"n\":\"%s\",\"e\":\"AQAB\"}]}" \
	    "$n" >jwks.http &&
	gw_start_upstream jwks -r jwks.http -v &&
	printf "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: auto\r\n\r\n{\"active\":true,\"sub\":\"bob\"}" \
	    >intro.http &&
	gw_start_upstream as -r intro.http &&
	gw_start_upstream probe &&
	cp probe.port redis.port &&
	gw_stop probe &&
	start_redis
'

test_expect_success 'each worker fetches the JWKS when it starts, before any request' '
	cat >d.json <<-EOF &&
	{ "workers": 2,
	  "routes": [ { "match": { "prefix": "/" }, "static": {},
	      "policies": [ { "jwt": {
	          "jwks_url": "http://127.0.0.1:$(cat jwks.port)/jwks.json" } } ] } ] }
	EOF
	gw_start_serve d -c d.json &&
	n=0 &&
	while test "$(fetches)" -lt 2
	do
		n=$((n + 1)) && test $n -lt 200 && sleep_ms 50 || exit 1
	done &&
	sleep_ms 200 &&
	test "$(fetches)" = 2 &&
	t=$(token rsa.key k1) &&
	for i in 1 2 3 4
	do
		http_get_status "http://127.0.0.1:$(cat d.port)/x" \
		    -H "Authorization: Bearer $t" && echo
	done >codes &&
	printf "200\n200\n200\n200\n" >expect &&
	test_cmp expect codes &&
	test "$(fetches)" = 2 &&
	gw_stop d
'

test_expect_success 'start gw-serve per connection (inetd) under socat' '
	cat >inetd.json <<-EOF &&
	{ "routes": [
	    { "match": { "prefix": "/jwt" }, "static": {},
	      "policies": [ { "jwt": {
	          "jwks_url": "http://127.0.0.1:$(cat jwks.port)/jwks.json" } } ] },
	    { "match": { "prefix": "/intro" }, "static": {},
	      "policies": [ { "introspect": {
	          "url": "http://127.0.0.1:$(cat as.port)/introspect" } } ] },
	    { "match": { "prefix": "/rl" }, "static": {},
	      "policies": [ { "rate_limit": { "rate": "1/h", "burst": 2,
	          "store": "redis", "redis": "127.0.0.1:$(cat redis.port)",
	          "zone": "lifecycle" } } ] },
	    { "match": { "prefix": "/both" }, "static": {},
	      "policies": [ { "jwt": {
	          "jwks_url": "http://127.0.0.1:$(cat jwks.port)/jwks.json" } },
	        { "rate_limit": { "rate": "1/h", "burst": 2, "key": "consumer",
	          "store": "redis", "redis": "127.0.0.1:$(cat redis.port)",
	          "zone": "both" } } ] } ] }
	EOF
	gw-serve --check -c inetd.json &&
	# one gw-serve per connection, as inetd runs it, with its stderr
	# and exit status kept; the shell lets go of the socket at once
	cat >inetd-gw <<-EOF &&
	#!/bin/sh
	exec 3<&0 4>&1 </dev/null >/dev/null
	"$(command -v gw-serve)" -c "$PWD/inetd.json" <&3 >&4 3<&- 4>&- \
	    2>"$PWD/conn-\$\$.log" &
	exec 3<&- 4>&-
	wait \$!
	echo \$? >"$PWD/conn-\$\$.tmp" && mv "$PWD/conn-\$\$.tmp" "$PWD/conn-\$\$.rc"
	EOF
	chmod +x inetd-gw &&
	socat -d -d TCP-LISTEN:0,bind=127.0.0.1,reuseaddr,fork \
	    EXEC:./inetd-gw,nofork 2>socat.err &
	echo $! >socat.pid &&
	test_atexit "gw_kill_ $(cat socat.pid)" &&
	n=0 &&
	while ! grep -q "listening on" socat.err && test $n -lt 100
	do
		sleep_ms 50 && n=$((n + 1))
	done &&
	sed -n "s/.*listening on .*:\([0-9]*\)$/\1/p" socat.err |
	    head -n 1 >socat.port &&
	test -s socat.port
'

# iget PATH [curl options]: the status of one request, on a connection (and
# so a gw-serve process) of its own.
iget() {
	p_=$1
	shift
	http_get_status "http://127.0.0.1:$(cat socat.port)$p_" "$@"
}

# wait_rcs N: until N processes have left their exit status.
wait_rcs() {
	n_=0
	while test "$(find . -maxdepth 1 -name "conn-*.rc" | wc -l)" -lt "$1"
	do
		n_=$((n_ + 1)) && test $n_ -lt 400 && sleep_ms 50 || return 1
	done
}

test_expect_success 'each process answers: jwt, introspect and a Redis rate limit' '
	t=$(token rsa.key k1) &&
	{
		iget /jwt -H "Authorization: Bearer $t" && echo &&
		iget /jwt && echo &&
		iget /intro -H "Authorization: Bearer opaque" && echo &&
		iget /rl && echo &&
		iget /rl && echo &&
		iget /rl && echo &&
		iget /rl && echo &&
		iget /both -H "Authorization: Bearer $t" && echo &&
		iget /both -H "Authorization: Bearer $t" && echo &&
		iget /both -H "Authorization: Bearer $t" && echo &&
		iget /both -H "Authorization: Bearer $t" && echo
	} >codes &&
	printf "200\n401\n200\n200\n200\n200\n429\n200\n200\n200\n429\n" \
	    >expect &&
	test_cmp expect codes
'

test_expect_success 'every process exited 0, with nothing reported by the sanitizers' '
	wait_rcs 11 &&
	cat conn-*.rc | sort -u >rcs &&
	echo 0 >expect &&
	test_cmp expect rcs &&
	! grep -l "LeakSanitizer\|AddressSanitizer\|runtime error" conn-*.log
'

test_expect_success 'a process that ends while Redis owes it an answer exits 0 too' '
	rm -f conn-*.rc conn-*.log &&
	kill -STOP "$(cat redis.pid)" &&
	code=$(iget /rl) &&
	wait_rcs 1
	r=$?
	kill -CONT "$(cat redis.pid)" &&
	test "$r" = 0 &&
	test "$code" = 200 &&
	test "$(cat conn-*.rc)" = 0 &&
	! grep -l "LeakSanitizer\|AddressSanitizer\|runtime error" conn-*.log
'

test_done
