#!/bin/sh
test_description='gw-serve: workers, restarts, draining, several listeners'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl taskset gw-serve gw-test-upstream

test_expect_success 'an upstream, and a slow one' '
	gw_start_upstream up --id up &&
	gw_start_upstream slow --delay-ms 1500 --id slow
'

test_expect_success 'workers default to the CPUs of the affinity mask' '
	gw_start_bg_ one one.port taskset -c 0 gw-serve --listen 127.0.0.1:0 \
	    --port-file one.port --to "http://127.0.0.1:$(cat up.port)" &&
	grep -q "with 1 worker$" one.log &&
	test "$(pgrep -P "$(cat one.pid)" | wc -l)" = 1 &&
	gw_start_serve all --to "http://127.0.0.1:$(cat up.port)" &&
	n=$(nproc) &&
	test "$(pgrep -P "$(cat all.pid)" | wc -l)" = "$n"
'

test_expect_success 'a worker killed is replaced, and serving goes on' '
	gw_start_serve gw --workers 2 --to "http://127.0.0.1:$(cat up.port)" &&
	victim=$(pgrep -P "$(cat gw.pid)" | head -n 1) &&
	kill -9 "$victim" &&
	n=0 && while ! grep -q "died of signal 9" gw.log && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	grep -q "worker $victim died of signal 9; starting a new one" gw.log &&
	n=0 && while test "$(pgrep -P "$(cat gw.pid)" | wc -l)" != 2 &&
	    test $n -lt 100; do sleep 0.05; n=$((n + 1)); done &&
	test "$(pgrep -P "$(cat gw.pid)" | wc -l)" = 2 &&
	! pgrep -P "$(cat gw.pid)" | grep -qx "$victim" &&
	test "$(http_get_status "http://127.0.0.1:$(cat gw.port)/after")" = 200
'

test_expect_success 'SIGTERM: a request in flight finishes, then the gateway exits' '
	gw_start_serve drain --workers 1 --to "http://127.0.0.1:$(cat slow.port)" &&
	curl -sS -D head -o body "http://127.0.0.1:$(cat drain.port)/slow" &
	cpid=$! &&
	sleep 0.5 &&
	kill -TERM "$(cat drain.pid)" &&
	wait $cpid &&
	grep -q "^HTTP/1.1 200" head &&
	n=0 && while test_alive "$(cat drain.pid)" && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	! test_alive "$(cat drain.pid)" &&
	grep -q "stopping (draining connections)" drain.log
'

test_expect_success 'after SIGTERM new connections are refused' '
	test "$(http_get_status "http://127.0.0.1:$(cat drain.port)/x")" = 000
'

test_expect_success 'several listeners: IPv4, IPv6 and a UNIX socket' '
	gw_start_bg_ multi multi.port gw-serve --workers 1 \
	    --listen 127.0.0.1:0 --listen "unix:$PWD/gw.sock" \
	    --port-file multi.port --to "http://127.0.0.1:$(cat up.port)" &&
	test "$(http_get_status "http://127.0.0.1:$(cat multi.port)/v4")" = 200 &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" --unix-socket gw.sock \
	    http://local/unix)" = 200 &&
	grep "\"path\":\"/unix\"" multi.log | grep -q "\"client\":\"unix\""
'

test_expect_success 'IPv6 loopback, when the host has it' '
	if curl -s -g -o /dev/null "http://[::1]:1/" 2>&1 |
	    grep -q "Couldn.t connect\|Connection refused" ||
	    ip -6 addr show lo 2>/dev/null | grep -q "::1"; then
		gw_start_bg_ v6 v6.port gw-serve --workers 1 --listen "[::1]:0" \
		    --port-file v6.port --to "http://127.0.0.1:$(cat up.port)" &&
		test "$(http_get_status "http://[::1]:$(cat v6.port)/v6" -g)" = 200 &&
		grep "\"path\":\"/v6\"" v6.log | grep -q "\"client\":\"::1\""
	fi
'

test_expect_success 'sd_notify: READY, STATUS, RELOADING and STOPPING' '
	socat -u "UNIX-RECV:$PWD/notify.sock" - >notify.out 2>/dev/null &
	echo $! >notify.pid &&
	test_atexit "gw_kill_ $(cat notify.pid)" &&
	n=0 && while ! test -S notify.sock && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	printf "{ \"workers\": 1, \"routes\": [ { \"static\": {} } ] }" \
	    >n.json &&
	NOTIFY_SOCKET=$PWD/notify.sock gw_start_serve nt -c n.json &&
	n=0 && while ! grep -q "READY=1" notify.out && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	grep -q "STATUS=serving 127.0.0.1:$(cat nt.port) with 1 worker" \
	    notify.out &&
	kill -HUP "$(cat nt.pid)" &&
	n=0 && while ! grep -q "RELOADING=1" notify.out && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	kill -TERM "$(cat nt.pid)" &&
	n=0 && while ! grep -q "STOPPING=1" notify.out && test $n -lt 100; do
		sleep 0.05; n=$((n + 1)); done &&
	grep -q "STOPPING=1" notify.out
'

test_done
