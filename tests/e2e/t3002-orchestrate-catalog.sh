#!/bin/sh
test_description='gw-orchestrate: the catalog of gw-orchestrate(5), live and in parallel, recorded, then replayed with the services stopped'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-orchestrate gw-test-catalog

DATA=$GW_DATA_DIR/orchestrate/catalog
MAN5=$GW_SRCDIR/man/gw-orchestrate.5

# catalog NAME DIR [options]: a service answering from the files of DIR
catalog() {
	n_=$1
	d_=$2
	shift 2
	gw_start_bg_ "$n_" "$n_.port" gw-test-catalog -d "$DATA/$d_" \
	    -p "$n_.port" -o "$n_.seen" "$@"
}

# literal_block N: the Nth literal display of the EXAMPLES of gw-orchestrate.5
literal_block() {
	awk -v want="$1" '/^\.Sh EXAMPLES/ { ex = 1 }
	    ex && /^\.Sh / && !/EXAMPLES/ { exit }
	    ex && /^\.Bd -literal/ { n++; if (n == want) { on = 1; next } }
	    on && /^\.Ed/ { exit }
	    on { print }' "$MAN5" | sed -e 's/\\e/\\/g' -e 's/\\&//g'
}

# now_ms: a clock in milliseconds
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

test_expect_success 'five services; the slow ones take 400 ms, stock 200' '
	catalog lookup lookup &&
	catalog items items --delay /=400 &&
	catalog prices prices --delay /=400 &&
	catalog stock stock --delay /=200 &&
	catalog reviews reviews --delay /=400
'

test_expect_success 'the script of the EXAMPLES, pointed at them' '
	literal_block 1 |
	    sed -e "s/127.0.0.1:8001/127.0.0.1:$(cat lookup.port)/" \
	    -e "s/127.0.0.1:8002/127.0.0.1:$(cat items.port)/" \
	    -e "s/127.0.0.1:8003/127.0.0.1:$(cat prices.port)/" \
	    -e "s/127.0.0.1:8004/127.0.0.1:$(cat stock.port)/" \
	    -e "s/127.0.0.1:8005/127.0.0.1:$(cat reviews.port)/" \
	    >catalog.json &&
	grep -q "\"steps\"" catalog.json &&
	! grep -q ":800[1-5]" catalog.json
'

test_expect_success 'check prints the graph the EXAMPLES show' '
	literal_block 2 >expect &&
	gw-orchestrate check catalog.json >graph &&
	test_cmp expect graph
'

test_expect_success 'item 42, live: every service, one answer' '
	t0=$(now_ms) &&
	gw-orchestrate run --include --trace --param id=42 catalog.json \
	    >out 2>trace &&
	t1=$(now_ms) &&
	echo $((t1 - t0)) >elapsed &&
	sed -n "1p" out | tr -d "\r" >status &&
	echo "HTTP/1.1 200 OK" >expect &&
	test_cmp expect status &&
	grep -q "^Cache-Control: max-age=60" out &&
	grep -q "^Content-Type: application/json" out &&
	sed -e "1,/^\r*$/d" out >body &&
	cat >expect <<-\EOF &&
	{"id":"42","sku":"b-17","title":"Dune","price":12.50,"in_stock":3,"reviews":[{"stars":5,"text":"a classic"},{"stars":3,"text":"long"},{"stars":4,"text":"sand"}]}
	EOF
	test_cmp expect body
'

test_expect_success 'the services were asked what the script says' '
	grep -qx "GET /lookup/42" lookup.seen &&
	grep -qx "GET /books/items/b-17" items.seen &&
	grep -qx "GET /prices/b-17" prices.seen &&
	grep -qx "GET /stock/b-17" stock.seen &&
	test_line_count = 3 reviews.seen &&
	grep -qx "GET /reviews/r1" reviews.seen &&
	grep -qx "GET /reviews/r3" reviews.seen
'

test_expect_success 'independent calls ran at once: the trace' '
	# every call after the lookup starts before any of them ends
	grep "start   reviews\[2\]" trace >last &&
	grep -q "with content, price, stock, reviews x2" last &&
	awk "/end     lookup/ { l = NR }
	    /end     (content|price|stock|reviews)/ && !e { e = NR }
	    /start   (content|price|stock|reviews)/ { s = NR }
	    END { exit !(l < s && s < e) }" trace
'

test_expect_success 'independent calls ran at once: about the longest, not the sum' '
	# in sequence: 5 x 400 + 200 = 2200 ms; at once: about 400
	test "$(cat elapsed)" -ge 400 &&
	test "$(cat elapsed)" -lt 1500 || {
		echo >&2 "took $(cat elapsed) ms"
		exit 1
	}
'

test_expect_success 'item 43: not for sale (price skipped), no stock (fallback)' '
	gw-orchestrate run --trace --param id=43 catalog.json >body 2>trace &&
	cat >expect <<-\EOF &&
	{"id":"43","sku":"m-5","title":"Kind of Blue","price":null,"in_stock":0,"reviews":[]}
	EOF
	test_cmp expect body &&
	grep -q "skip    price" trace &&
	grep -q "fail    stock .*answered 404 Not Found.*(optional: its fallback stands in)" trace &&
	! grep -q "/prices/m-5" prices.seen
'

test_expect_success 'item 44: a service the script does not declare is refused' '
	test_expect_code 1 gw-orchestrate run --param id=44 catalog.json >body &&
	grep -q "\"status\":502" body &&
	grep -q "\"step\":\"content\"" body &&
	grep -q "service .games. is not one the script declares" body &&
	! grep -q "games" items.seen
'

test_expect_success 'record item 42: one file per call' '
	gw-orchestrate run --param id=42 --record rec catalog.json >live &&
	ls rec >files &&
	test_line_count = 7 files &&
	grep -q "^lookup-[0-9a-f]\{16\}\.json$" files &&
	test "$(grep -c "^reviews-" files)" = 3
'

test_expect_success 'stop every service' '
	for s in lookup items prices stock reviews
	do
		gw_stop $s || exit 1
	done &&
	test_expect_code 1 gw-orchestrate run --param id=42 catalog.json \
	    >down 2>&1 &&
	grep -q "connection failed" down
'

test_expect_success 'replay: the same response, with no service at all' '
	gw-orchestrate run --param id=42 --replay rec catalog.json >again &&
	test_cmp live again
'

test_expect_success 'the EXAMPLES of gw-orchestrate(1): record, replay, cmp' '
	gw-orchestrate run --param id=42 --replay rec catalog.json > live.json &&
	gw-orchestrate run --param id=42 --replay rec catalog.json > again.json &&
	cmp live.json again.json
'

test_expect_success 'replay with the request on standard input, traced' '
	echo "{ \"params\": { \"id\": \"42\" } }" |
	    gw-orchestrate run --trace --request - --replay rec catalog.json \
	    >again 2>trace &&
	test_cmp live again &&
	grep -q "done    200" trace
'

test_expect_success 'replay: a call that was not recorded fails, naming it' '
	test_expect_code 1 gw-orchestrate run --param id=43 --replay rec \
	    catalog.json >problem &&
	grep -q "\"status\":502" problem &&
	grep -q "\"step\":\"lookup\"" problem &&
	grep -q "GET http://127.0.0.1:[0-9]*/lookup/43 was not recorded" problem
'

test_expect_success 'replay does not depend on the ports of the recording' '
	sed -e "s/127\.0\.0\.1:[0-9]*/127.0.0.1:1/g" catalog.json >moved.json &&
	gw-orchestrate run --param id=42 --replay rec moved.json >again &&
	test_cmp live again
'

test_expect_success 'a recording edited by hand is what the replay answers' '
	f=$(ls rec/price-*.json) &&
	sed -e "s/12\.50/9.99/" "$f" >tmp && mv tmp "$f" &&
	gw-orchestrate run --param id=42 --replay rec catalog.json >again &&
	grep -q "\"price\":9.99," again
'

test_done
