#!/bin/sh
test_description='gw-serve: rate limits and quotas in shared memory, across workers'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl pgrep socat gw-serve gw-key gw-test-upstream

# burst PORT PATH N [curl options]: N requests, 20 at a time on as many
# connections; one status a line on stdout.
burst() {
	u_="http://127.0.0.1:$1$2?n=[1-$3]"
	shift 3
	mkdir -p out &&
	curl -s -Z --parallel-max 20 -w "%{http_code}\n" -o "out/#1" \
	    "$u_" "$@" 2>/dev/null
}

test_expect_success 'start a slow upstream and a gateway with four workers' '
	gw_start_upstream up --delay-ms 200 &&
	gw-key -f keys.txt acme >acme.key 2>/dev/null &&
	gw-key -f keys.txt umbrella >umbrella.key 2>/dev/null &&
	cat >gw.json <<-EOF &&
	{ "workers": 4,
	  "upstreams": { "up": { "targets": ["http://127.0.0.1:$(cat up.port)"],
	                         "timeout_ms": 5000 } },
	  "routes": [
	    { "match": { "prefix": "/slow" }, "proxy": "up",
	      "policies": [ { "rate_limit": { "rate": "10/h", "burst": 19,
	                                      "zone": "slow" } } ] },
	    { "match": { "prefix": "/tenant" }, "static": {},
	      "policies": [ { "rate_limit": { "key": "header:X-Tenant",
	                                      "rate": "1/h", "burst": 2,
	                                      "name": "tenant" } } ] },
	    { "match": { "prefix": "/consumer" }, "static": {},
	      "policies": [ { "api_key": { "keys": "keys.txt" } },
	                    { "rate_limit": { "key": "consumer",
	                                      "quota": "3/day" } } ] },
	    { "match": { "prefix": "/fast" }, "static": {},
	      "policies": [ { "rate_limit": { "rate": "1/s", "key": "route" } } ] }
	  ] }
	EOF
	gw_start_serve gw -c gw.json
'

test_expect_success 'the four workers count together, exactly' '
	# each round goes to one worker alone (the others are stopped), so
	# that every worker decides some requests on the one shared zone
	pgrep -P "$(cat gw.pid)" >workers &&
	test_line_count = 4 workers &&
	: >codes &&
	for w in $(cat workers)
	do
		kill -STOP $(cat workers) &&
		kill -CONT "$w" &&
		burst "$(cat gw.port)" /slow 8 >>codes || {
			kill -CONT $(cat workers); exit 1; }
	done &&
	kill -CONT $(cat workers) &&
	printf "%s\n" $(grep -c "^200$" codes) $(grep -c "^429$" codes) >got &&
	printf "20\n12\n" >expect &&
	test_cmp expect got
'

test_expect_success 'many requests at once on every worker: none more passes' '
	burst "$(cat gw.port)" /slow 200 >codes &&
	test "$(grep -c "^429$" codes)" = 200
'

test_expect_success 'a 429 is problem+json with Retry-After and the RateLimit fields' '
	curl -sS -D head -o body "http://127.0.0.1:$(cat gw.port)/slow/x" &&
	grep -q "^HTTP/1.1 429" head &&
	grep -qi "^content-type: application/problem+json" head &&
	grep -q "\"type\":\"urn:gw:problem:too-many-requests\"" body &&
	ra=$(sed -n "s/^Retry-After: \([0-9]*\).$/\1/ip" head) &&
	test "$ra" -ge 300 && test "$ra" -le 360 &&
	grep -qi "^ratelimit-policy: \"rate\";q=10;w=3600" head &&
	grep -qi "^ratelimit: \"rate\";r=0;t=[0-9]" head
'

test_expect_success 'answers that pass carry the RateLimit fields too' '
	curl -sS -D head -o body -H "X-Tenant: a" \
	    "http://127.0.0.1:$(cat gw.port)/tenant/x" &&
	grep -q "^HTTP/1.1 200" head &&
	grep -qi "^ratelimit-policy: \"tenant\";q=1;w=3600" head &&
	grep -qi "^ratelimit: \"tenant\";r=2;t=3600" head
'

test_expect_success 'each key has its own counter' '
	for t in a a b a b b c
	do
		http_get_status "http://127.0.0.1:$(cat gw.port)/tenant/x" \
		    -H "X-Tenant: $t"
		echo
	done >codes &&
	printf "200\n200\n200\n429\n200\n200\n200\n" >expect &&
	test_cmp expect codes
'

test_expect_success 'a quota per consumer' '
	for i in 1 2 3 4
	do
		http_get_status "http://127.0.0.1:$(cat gw.port)/consumer/x" \
		    -H "X-API-Key: $(cat acme.key)"
		echo
	done >codes &&
	printf "200\n200\n200\n429\n" >expect &&
	test_cmp expect codes &&
	test "$(http_get_status "http://127.0.0.1:$(cat gw.port)/consumer/x" \
	    -H "X-API-Key: $(cat umbrella.key)")" = 200 &&
	curl -sS -D head -o body -H "X-API-Key: $(cat acme.key)" \
	    "http://127.0.0.1:$(cat gw.port)/consumer/x" &&
	grep -qi "^ratelimit-policy: \"quota\";q=3;w=86400" head &&
	grep -q "the quota is used up" body
'

test_expect_success 'a rate refills: one more request every interval' '
	burst "$(cat gw.port)" /fast 10 >codes &&
	test "$(grep -c "^200$" codes)" = 1 &&
	sleep_ms 1100 &&
	test "$(http_get_status "http://127.0.0.1:$(cat gw.port)/fast/x")" = 200
'

test_expect_success 'a reload keeps the counters of the zones it keeps' '
	kill -HUP "$(cat gw.pid)" &&
	n=0 &&
	while ! grep -q "configuration reloaded" gw.log
	do
		n=$((n + 1)) && test $n -lt 100 && sleep_ms 100 || exit 1
	done &&
	sleep_ms 300 &&
	burst "$(cat gw.port)" /slow 10 >codes &&
	test "$(grep -c "^429$" codes)" = 10
'

test_expect_success 'refusals are counted in the metrics' '
	cat >m.json <<-\EOF &&
	{ "workers": 2, "admin": { "listen": "127.0.0.1:0" },
	  "routes": [ { "match": { "prefix": "/" }, "static": {},
	      "policies": [ { "rate_limit": { "rate": "1/h" } } ] } ] }
	EOF
	gw_start_serve m -c m.json &&
	for i in 1 2 3 4
	do
		http_get_status "http://127.0.0.1:$(cat m.port)/" >/dev/null
	done &&
	admin=$(sed -n "s/.*, admin \(127.0.0.1:[0-9]*\)$/\1/p" m.log) &&
	curl -sS "http://$admin/metrics" >metrics &&
	grep -q "^gw_policy_outcomes_total{route=\"routes\[0\]\",policy=\"rate_limit\",outcome=\"rate_limited\"} 3$" metrics
'

test_expect_success 'a zone file: one process per connection (inetd), counted together' '
	cat >inetd.json <<-\EOF &&
	{ "routes": [ { "match": { "prefix": "/" }, "static": {},
	    "policies": [ { "rate_limit": { "rate": "10/h", "burst": 4,
	                                    "zone_file": "inetd.zone" } } ] } ] }
	EOF
	printf "#!/bin/sh\nexec %s -c %s\n" "$(command -v gw-serve)" \
	    "$PWD/inetd.json" >inetd-gw &&
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
	for i in 1 2 3 4 5 6 7 8
	do
		http_get_status "http://127.0.0.1:$(cat socat.port)/" &&
		echo
	done >codes &&
	test "$(grep -c "^200$" codes)" = 5 &&
	test "$(grep -c "^429$" codes)" = 3 &&
	test "$(stat -c %a inetd.zone)" = 600
'

test_expect_success 'a zone file: two gateways on one host, counted together' '
	cat >zf.json <<-\EOF &&
	{ "workers": 2,
	  "routes": [ { "match": { "prefix": "/" }, "static": {},
	    "policies": [ { "rate_limit": { "rate": "10/h", "burst": 5,
	                                    "zone_file": "two.zone" } } ] } ] }
	EOF
	gw_start_serve zf1 -c zf.json &&
	gw_start_serve zf2 -c zf.json &&
	burst "$(cat zf1.port)" / 10 >codes &&
	burst "$(cat zf2.port)" / 10 >>codes &&
	test "$(grep -c "^200$" codes)" = 6 &&
	printf "{ \"routes\": [ { \"static\": {}, \"policies\": [ { \"rate_limit\": { \"rate\": \"1/s\", \"zone_file\": \"two.zone\", \"max_keys\": 99999 } } ] } ] }\n" >other.json &&
	test_expect_code 78 gw-serve --check -c other.json 2>err &&
	grep -q "rate_limit.zone_file: .*two.zone. holds a zone of another size" err
'

test_expect_success 'bad limits are refused with their place' '
	cat >bad.json <<-\EOF &&
	{ "routes": [ { "static": {}, "policies": [
	    { "rate_limit": {} },
	    { "rate_limit": { "rate": "10/s", "quota": "5/day" } },
	    { "rate_limit": { "rate": "ten/s" } },
	    { "rate_limit": { "quota": "5/week" } },
	    { "rate_limit": { "rate": "1/s", "key": "cookie:x" } },
	    { "rate_limit": { "quota": "5/day", "burst": 2 } },
	    { "rate_limit": { "rate": "1/s", "store": "redis" } },
	    { "rate_limit": { "rate": "1/s", "redis": "127.0.0.1:6379" } },
	    { "rate_limit": { "rate": "1/s", "max_keys": 0 } } ] } ] }
	EOF
	test_expect_code 78 gw-serve --check -c bad.json 2>err &&
	grep -q "policies\[0\].rate_limit: give one of .rate." err &&
	grep -q "policies\[1\].rate_limit: give one of" err &&
	grep -q "policies\[2\].rate_limit.rate: .ten/s. is not COUNT/PERIOD" err &&
	grep -q "policies\[3\].rate_limit.quota: a quota is per .day. or .month." err &&
	grep -q "policies\[4\].rate_limit.key: unknown key .cookie:x." err &&
	grep -q "policies\[5\].rate_limit: a quota has no burst" err &&
	grep -q "policies\[6\].rate_limit: .store.: .redis. needs" err &&
	grep -q "policies\[7\].rate_limit: .redis. is for" err &&
	grep -q "policies\[8\].rate_limit.max_keys:" err
'

test_done
