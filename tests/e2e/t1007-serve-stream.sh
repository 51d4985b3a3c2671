#!/bin/sh
test_description='gw-serve streams 1 GiB each way in a few MiB of memory'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl sha256sum gw-serve gw-test-upstream

# peak resident memory (VmHWM) of PID in KiB
hwm() {
	sed -n "s/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"
}

test_expect_success 'a sink upstream, a big upstream and a gateway' '
	gw_start_upstream sink --sink &&
	gw_start_upstream big --size 1g &&
	cat >gw.json <<-EOF &&
	{ "workers": 1,
	  "upstreams": {
	    "sink": { "targets": ["http://127.0.0.1:$(cat sink.port)"] },
	    "big": { "targets": ["http://127.0.0.1:$(cat big.port)"] } },
	  "routes": [
	    { "match": { "prefix": "/up" }, "proxy": "sink" },
	    { "match": { "prefix": "/down" }, "proxy": "big" } ] }
	EOF
	gw_start_serve gw -c gw.json &&
	pgrep -P "$(cat gw.pid)" | head -n 1 >worker.pid
'

test_expect_success '1 GiB upload, Content-Length, passes through intact' '
	head -c 1073741824 /dev/zero |
	    curl -sS -o up.json -H "Content-Length: 1073741824" \
	    -H "Transfer-Encoding:" -T - \
	    "http://127.0.0.1:$(cat gw.port)/up" &&
	want=$(head -c 1073741824 /dev/zero | sha256sum | cut -d" " -f1) &&
	grep -q "\"bytes\":1073741824" up.json &&
	grep -q "\"sha256\":\"$want\"" up.json
'

test_expect_success '1 GiB upload, chunked, passes through intact' '
	head -c 1073741824 /dev/zero |
	    curl -sS -o upc.json -H "Transfer-Encoding: chunked" -T - \
	    "http://127.0.0.1:$(cat gw.port)/up" &&
	grep -q "\"bytes\":1073741824" upc.json
'

test_expect_success '1 GiB download passes through intact' '
	curl -sS "http://127.0.0.1:$(cat gw.port)/down" | wc -c >size &&
	test "$(cat size)" = 1073741824
'

test_expect_success 'the worker never held more than 16 MiB' '
	peak=$(hwm "$(cat worker.pid)") &&
	echo "# worker peak RSS: $peak KiB" >&2 &&
	test "$peak" -lt 16384
'

test_done
