#!/bin/sh
test_description='gw-serve under socket activation (Accept=no, Accept=yes) and inetd'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl socat systemd-socket-activate gw-serve \
    gw-test-upstream

# activate NAME ARGS...: run systemd-socket-activate ARGS on a free port,
# retrying on another port if it is taken; the port goes to NAME.port.
activate() {
	name=$1
	shift
	tries=0
	while test $tries -lt 20; do
		port=$(( ($$ * 7 + tries * 131 + $(date +%N | sed "s/^0*//;s/^$/0/") % 997) % 30000 + 20000 ))
		tries=$((tries + 1))
		if ss -ltn 2>/dev/null | grep -q ":$port "; then
			continue
		fi
		systemd-socket-activate -l "127.0.0.1:$port" "$@" \
		    >"$name.out" 2>"$name.log" </dev/null &
		echo $! >"$name.pid"
		test_atexit "gw_kill_ $!"
		n=0
		while test $n -lt 50; do
			if grep -q "Listening on" "$name.log" 2>/dev/null; then
				echo "$port" >"$name.port"
				return 0
			fi
			test_alive "$(cat "$name.pid")" || break
			sleep 0.05
			n=$((n + 1))
		done
	done
	return 1
}

test_expect_success 'an upstream' '
	gw_start_upstream up -o seen.http --id up1
'

test_expect_success 'Accept=no: a listening socket on fd 3, two workers' '
	activate sa2 "$(command -v gw-serve)" --workers 2 \
	    --to "http://127.0.0.1:$(cat up.port)" &&
	test "$(http_get_status "http://127.0.0.1:$(cat sa2.port)/a")" = 200 &&
	grep -q "with 2 workers" sa2.log &&
	grep -q "serving 127.0.0.1:$(cat sa2.port) with 2 workers" sa2.log &&
	test "$(pgrep -P "$(cat sa2.pid)" | wc -l)" = 2
'

test_expect_success 'Accept=no: many requests over many connections' '
	i=0 &&
	while test $i -lt 20; do
		test "$(http_get_status "http://127.0.0.1:$(cat sa2.port)/m$i")" = 200 ||
		    exit 1
		i=$((i + 1))
	done
'

test_expect_success 'Accept=yes: one connected socket, keep-alive, then exit' '
	activate acc --accept "$(command -v gw-serve)" \
	    --to "http://127.0.0.1:$(cat up.port)" &&
	curl -sS -o /dev/null -o /dev/null -w "%{num_connects}\n" \
	    "http://127.0.0.1:$(cat acc.port)/k1" \
	    "http://127.0.0.1:$(cat acc.port)/k2" >connects &&
	printf "1\n0\n" >expect &&
	test_cmp expect connects
'

test_expect_success 'Accept=yes: no gw-serve is left once the client closed' '
	sleep 0.3 &&
	! pgrep -P "$(cat acc.pid)" gw-serve
'

test_expect_success 'systemd-socket-activate --inetd: stdin is the connection' '
	activate inetd --inetd --accept "$(command -v gw-serve)" \
	    --to "http://127.0.0.1:$(cat up.port)" &&
	: >seen.http &&
	curl -sS -D head -o body "http://127.0.0.1:$(cat inetd.port)/i" &&
	grep -q "^HTTP/1.1 200" head &&
	grep -q "^GET /i HTTP/1.1" seen.http
'

test_expect_success 'inetd through socat: pipelined requests, then exit' '
	printf "#!/bin/sh\nexec %s --to http://127.0.0.1:%s\n" \
	    "$(command -v gw-serve)" "$(cat up.port)" >inetd-gw &&
	chmod +x inetd-gw &&
	printf "GET /p1 HTTP/1.1\r\nHost: a\r\n\r\nGET /p2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" >pipe.req &&
	socat -d -d TCP-LISTEN:0,bind=127.0.0.1,reuseaddr,fork \
	    EXEC:./inetd-gw,nofork 2>socat.err &
	echo $! >socat.pid &&
	test_atexit "gw_kill_ $(cat socat.pid)" &&
	n=0 &&
	while ! grep -q "listening on" socat.err && test $n -lt 100; do
		sleep 0.05; n=$((n + 1))
	done &&
	sed -n "s/.*listening on .*:\([0-9]*\)$/\1/p" socat.err |
	    head -n 1 >socat.port &&
	raw_request "$(cat socat.port)" pipe.req >pipe.resp &&
	test "$(grep -c "^HTTP/1.1 200" pipe.resp)" = 2
'

test_expect_success 'inetd mode logs to stderr, not into the connection' '
	! grep -q "gw-serve:" pipe.resp &&
	! grep -q "\"request_id\"" pipe.resp
'

test_expect_success 'a per-connection gateway answers errors as problem+json' '
	printf "GET / HTTP/1.1\r\n\r\n" >nohost.req &&
	raw_request "$(cat socat.port)" nohost.req >nohost.resp &&
	grep -q "^HTTP/1.1 400" nohost.resp &&
	grep -qi "^content-type: application/problem+json" nohost.resp
'

test_done
