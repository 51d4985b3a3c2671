#!/bin/sh
test_description='gw-serve in front of an upstream that misbehaves at random'
. "$(dirname "$0")/lib.sh"

# A short run of tests/load/l3-chaos.sh for make check: every answer must
# be the client's own, whole, or 502/504 problem+json, or cut off when the
# upstream cut it off; no worker dies; no descriptor is left behind.

test_skip_unless_cmd gw-serve gw-load gw-chaos-upstream

test_expect_success 'gw-chaos-upstream --seed 1801 behind gw-serve' '
	gw_start_bg_ chaos chaos.port gw-chaos-upstream -p chaos.port \
	    --seed 1801 --stall-ms 10000 --max-size 65536 &&
	cat >gw.json <<-EOF &&
	{ "workers": 1, "access_log": false,
	  "upstreams": { "chaos": {
	      "targets": ["http://127.0.0.1:$(cat chaos.port)"],
	      "connect_timeout_ms": 1000, "timeout_ms": 1500,
	      "idle_timeout_ms": 1500, "retries": 1, "keepalive": 8 } },
	  "routes": [ { "match": { "prefix": "/" }, "proxy": "chaos" } ] }
	EOF
	gw_start_serve gw -c gw.json &&
	pgrep -P "$(cat gw.pid)" >worker &&
	test_line_count = 1 worker &&
	count_fds "$(cat worker)" >fds.before
'

test_expect_success 'every behaviour by name: the answer the client must get' '
	port=$(cat gw.port) &&
	for b in ok chunked eof close early-close idle-close slow interim \
	    interim-lf early-hints lf-head delay extra big-head \
	    many-fields; do
		curl -sS -o body -D head --max-time 10 \
		    "http://127.0.0.1:$port/chaos/$b/x?size=1000" &&
		{ case $b in
		big-head|many-fields)
			grep -q "^HTTP/1.1 502" head ;;
		*)
			grep -q "^HTTP/1.1 200" head &&
			test "$(wc -c <body)" = 1000 ;;
		esac; } || { echo "behaviour $b"; cat head; return 1; }
	done &&
	for b in reset garbage trunc-head switch cl-te two-cl nul-field \
	    bad-status; do
		test "$(http_get_status \
		    "http://127.0.0.1:$port/chaos/$b/x")" = 502 ||
		{ echo "behaviour $b"; return 1; }
	done &&
	test "$(http_get_status "http://127.0.0.1:$port/chaos/stall/x")" = 504
'

test_expect_success 'a body cut by the upstream is cut for the client too' '
	for b in trunc-cl trunc-chunked reset-mid bad-chunk; do
		test_must_fail curl -sS -o body --max-time 10 \
		    "http://127.0.0.1:$(cat gw.port)/chaos/$b/x?size=5000" \
		    2>err || { echo "behaviour $b"; return 1; }
	done
'

test_expect_success '8 clients for 8 s, answers drawn at random: all correct' '
	gw-load -p "$(cat gw.port)" -m chaos -c 8 -d 8 -x 30 -S 65536 \
	    >load.out 2>load.err &&
	cat load.out &&
	grep -q " bad=0 lost=0 " load.out &&
	! grep -q " ok=0 " load.out
'

test_expect_success 'the worker lives and kept no descriptor' '
	test_alive "$(cat worker)" &&
	n=0 &&
	while test "$(count_fds "$(cat worker)")" -gt \
	    $(($(cat fds.before) + 8)) && test $n -lt 50; do
		sleep 0.1; n=$((n + 1))
	done &&
	test "$(count_fds "$(cat worker)")" -le $(($(cat fds.before) + 8))
'

test_done
