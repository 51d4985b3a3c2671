#!/bin/sh
test_description='the test harness (lib.sh) and gw-test-upstream'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd curl socat sha256sum gw-test-upstream

# --- gw-test-upstream -----------------------------------------------------

test_expect_success 'reply file is sent, with Content-Length: auto' '
	printf "HTTP/1.1 201 Created\r\nContent-Type: text/x-test\r\n" >reply.http &&
	printf "Content-Length: auto\r\nX-Test: yes\r\n\r\nhello, world\n" >>reply.http &&
	gw_start_upstream file -r reply.http -o file.seen &&
	curl -sS -D head -o body "http://127.0.0.1:$(cat file.port)/hello" &&
	echo "hello, world" >expect &&
	test_cmp expect body &&
	grep -q "^HTTP/1.1 201 Created" head &&
	grep -q "^Content-Length: 13" head &&
	grep -q "^X-Test: yes" head
'

test_expect_success 'reply file is read again for each request' '
	printf "HTTP/1.1 200 OK\r\nContent-Length: auto\r\n\r\nsecond\n" >reply.http &&
	curl -sS -o body "http://127.0.0.1:$(cat file.port)/" &&
	echo second >expect &&
	test_cmp expect body
'

test_expect_success 'seen file holds the exact request bytes' '
	printf "POST /x?y=1 HTTP/1.1\r\nHost: a\r\nX-Odd:  spaces  \r\n" >req &&
	printf "Content-Length: 5\r\n\r\nabcde" >>req &&
	printf "GET /second HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" >>req &&
	gw_start_upstream seen -o seen.http &&
	raw_request "$(cat seen.port)" req >resp &&
	test_cmp req seen.http &&
	test "$(grep -c "^HTTP/1.1 200 OK" resp)" = 2
'

test_expect_success 'curl requests are recorded as sent' '
	curl -sS -o /dev/null -H "X-Trace: 42" \
	    "http://127.0.0.1:$(cat file.port)/path?q=1" &&
	grep -q "^GET /path?q=1 HTTP/1.1" file.seen &&
	grep -q "^X-Trace: 42" file.seen
'

test_expect_success 'echo returns the body and its Content-Type' '
	gw_start_upstream echo --echo &&
	curl -sS -D head -o body -H "Content-Type: application/x-demo" \
	    --data-binary "some data" "http://127.0.0.1:$(cat echo.port)/" &&
	printf "some data" >expect &&
	test_cmp expect body &&
	grep -q "^Content-Type: application/x-demo" head
'

test_expect_success 'echo of a chunked upload has a Content-Length' '
	head -c 300000 /dev/urandom >upload &&
	curl -sS -D head -o body -H "Transfer-Encoding: chunked" \
	    --data-binary @upload "http://127.0.0.1:$(cat echo.port)/" &&
	cmp upload body &&
	grep -q "^Content-Length: 300000" head
'

test_expect_success 'sink hashes a 10 MiB upload' '
	head -c 10485760 /dev/urandom >big &&
	gw_start_upstream sink --sink &&
	curl -sS -o got --data-binary @big \
	    "http://127.0.0.1:$(cat sink.port)/" &&
	sum=$(sha256sum big | cut -d" " -f1) &&
	printf "{\"bytes\":10485760,\"sha256\":\"%s\"}\n" "$sum" >expect &&
	test_cmp expect got
'

test_expect_success 'sink hashes a chunked upload' '
	curl -sS -o got -H "Transfer-Encoding: chunked" --data-binary @upload \
	    "http://127.0.0.1:$(cat sink.port)/" &&
	grep -q "\"bytes\":300000,\"sha256\":\"$(sha256sum upload |
	    cut -d" " -f1)\"" got
'

test_expect_success 'size streams a 50 MiB body' '
	gw_start_upstream size --size 50m &&
	curl -sS -o /dev/null -w "%{size_download} %{http_code}\n" \
	    "http://127.0.0.1:$(cat size.port)/" >got &&
	echo "52428800 200" >expect &&
	test_cmp expect got
'

test_expect_success 'size with --chunked' '
	gw_start_upstream sizec --size 100k --chunked &&
	curl -sS -D head -o body "http://127.0.0.1:$(cat sizec.port)/" &&
	test "$(wc -c <body)" = 102400 &&
	grep -qi "^Transfer-Encoding: chunked" head
'

test_expect_success 'HEAD gets no body' '
	curl -sS -I -o head "http://127.0.0.1:$(cat size.port)/" &&
	grep -q "^Content-Length: 52428800" head
'

test_expect_success 'stall: curl --max-time times out' '
	gw_start_upstream stall --stall -o stall.seen &&
	test_expect_code 28 curl -sS --max-time 1 \
	    "http://127.0.0.1:$(cat stall.port)/" &&
	grep -q "^GET / HTTP/1.1" stall.seen
'

test_expect_success 'reset: curl sees a connection error' '
	gw_start_upstream reset --reset &&
	test_must_fail curl -sS "http://127.0.0.1:$(cat reset.port)/" 2>err &&
	grep -qi "reset\|empty reply\|recv failure" err
'

test_expect_success 'garbage: curl refuses the reply' '
	gw_start_upstream garbage --garbage &&
	test_must_fail curl -sS "http://127.0.0.1:$(cat garbage.port)/"
'

test_expect_success 'truncate: curl sees a short body' '
	gw_start_upstream trunc --truncate --size 100k &&
	test_expect_code 18 curl -sS -o /dev/null \
	    "http://127.0.0.1:$(cat trunc.port)/"
'

test_expect_success 'keep-alive: two requests share one connection' '
	gw_start_upstream ka --count-file ka.count &&
	url="http://127.0.0.1:$(cat ka.port)" &&
	curl -sS -v -o /dev/null -o /dev/null -w "%{num_connects}\n" \
	    "$url/1" "$url/2" >got 2>trace &&
	printf "1\n0\n" >expect &&
	test_cmp expect got &&
	grep -q "Re-using existing connection" trace &&
	echo 2 >expect &&
	test_cmp expect ka.count
'

test_expect_success 'close: a new connection for each request' '
	gw_start_upstream cl --close &&
	url="http://127.0.0.1:$(cat cl.port)" &&
	curl -sS -D head -o /dev/null -o /dev/null -w "%{num_connects}\n" \
	    "$url/1" "$url/2" >got &&
	printf "1\n1\n" >expect &&
	test_cmp expect got &&
	grep -q "^Connection: close" head
'

test_expect_success 'status, body, header and id' '
	gw_start_upstream st --status 404 --body "nothing here" \
	    --header "X-One: 1" --header "X-Two: 2" --id blue &&
	test "$(http_get_status "http://127.0.0.1:$(cat st.port)/")" = 404 &&
	curl -sS -D head -o body "http://127.0.0.1:$(cat st.port)/" &&
	printf "nothing here" >expect &&
	test_cmp expect body &&
	grep -q "^X-One: 1" head &&
	grep -q "^X-Two: 2" head &&
	grep -q "^X-Upstream: blue" head
'

test_expect_success 'delay-ms holds the reply back' '
	gw_start_upstream slow --delay-ms 3000 &&
	test_expect_code 28 curl -sS --max-time 0.3 \
	    "http://127.0.0.1:$(cat slow.port)/"
'

test_expect_success 'hundreds of concurrent connections' '
	gw_start_upstream many --delay-ms 300 --count-file many.count &&
	i=0 && : >urls &&
	while test $i -lt 200
	do
		echo "url = \"http://127.0.0.1:$(cat many.port)/$i\"" >>urls &&
		echo "output = /dev/null" >>urls &&
		i=$((i + 1)) || return 1
	done &&
	curl -sS --no-progress-meter -Z --parallel-max 200 --max-time 30 -K urls &&
	echo 200 >expect &&
	test_cmp expect many.count
'

test_expect_success 'the server leaks no descriptors' '
	before=$(count_fds "$(cat ka.pid)") &&
	i=0 &&
	while test $i -lt 20
	do
		curl -sS -o /dev/null "http://127.0.0.1:$(cat ka.port)/" &&
		i=$((i + 1)) || return 1
	done &&
	test "$(count_fds "$(cat ka.pid)")" = "$before"
'

test_expect_success 'bad requests get 400' '
	printf "NOT HTTP AT ALL\r\n\r\n" >bad &&
	raw_request "$(cat ka.port)" bad >resp &&
	grep -q "^HTTP/1.1 400" resp
'

test_expect_success 'SIGTERM: exits 0 and takes its connections along' '
	gw-test-upstream -p term.port --stall 2>term.log &
	pid=$! &&
	wait_for_port_file term.port 10 $pid &&
	{ curl -s --max-time 20 "http://127.0.0.1:$(cat term.port)/" \
	    >/dev/null 2>&1 & } &&
	n=0 &&
	while test "$(pgrep -c -P $pid)" = 0 && test $n -lt 100
	do
		sleep 0.05 && n=$((n + 1))
	done &&
	child=$(pgrep -P $pid) &&
	test -n "$child" &&
	kill $pid &&
	wait $pid &&
	n=0 &&
	while test_alive $child && test $n -lt 100
	do
		sleep 0.05 && n=$((n + 1))
	done &&
	! test_alive $child
'

test_expect_success 'bad options exit 64' '
	test_expect_code 64 gw-test-upstream --no-such-option 2>err &&
	grep -q "^usage:" err &&
	test_expect_code 64 gw-test-upstream --echo --sink 2>err
'

# --- lib.sh ---------------------------------------------------------------

test_expect_success 'helpers: wait_for_file times out, http_get_status' '
	test_must_fail wait_for_file never-written 1 2>err &&
	grep -q "still empty" err &&
	test "$(http_get_status "http://127.0.0.1:$(cat ka.port)/")" = 200 &&
	echo x >later &&
	wait_for_file later 1
'

test_expect_success 'helpers: test_cmp, test_must_fail, test_line_count' '
	echo a >one && echo b >two &&
	test_must_fail test_cmp one two >diff &&
	grep -q "^-a" diff &&
	test_must_fail false &&
	test_must_fail test_must_fail true 2>/dev/null &&
	printf "1\n2\n3\n" >three &&
	test_line_count = 3 three
'

# inner scripts are named after this one, so that copies can run in parallel
inner=$(basename "$0" .sh)-inner
cat >inner.sh <<EOF
#!/bin/sh
test_description='an inner script'
. "$GW_E2E_DIR/lib.sh"
test_expect_success 'passes' 'true'
test_expect_success 'fails' 'echo to-stdout && echo to-stderr >&2 && false'
test_expect_failure 'known to fail' 'false'
test_expect_success 'compares' 'echo a >x && echo b >y && test_cmp x y'
test_expect_success MISSING 'needs a prereq' 'true'
test_atexit 'echo first >>"\$TEST_DIRECTORY/../${inner}.atexit"'
test_atexit 'echo second >>"\$TEST_DIRECTORY/../${inner}.atexit"'
test_done
EOF

test_expect_success 'failures are counted and reported' '
	mkdir -p inner && cp inner.sh "inner/${inner}.sh" &&
	rm -f "$GW_BUILD/test-tmp/${inner}.atexit" &&
	test_expect_code 1 sh "inner/${inner}.sh" >out 2>&1 &&
	grep -q "^ok 1 - passes$" out &&
	grep -q "^not ok 2 - fails$" out &&
	grep -q "^#	echo to-stdout" out &&
	grep -q "^# to-stderr" out &&
	grep -q "^not ok 3 - known to fail # TODO known breakage$" out &&
	grep -q "^not ok 4 - compares$" out &&
	grep -q "^# +b" out &&
	grep -q "^ok 5 # skip needs a prereq (missing MISSING)$" out &&
	grep -q "^1\.\.5$" out &&
	grep -q "^# failed 2 among 5 test(s)" out &&
	test_path_is_file "$GW_BUILD/test-tmp/${inner}/x"
'

test_expect_success 'test_atexit runs in reverse order, also on failure' '
	printf "second\nfirst\n" >expect &&
	test_cmp expect "$GW_BUILD/test-tmp/${inner}.atexit" &&
	rm -rf "$GW_BUILD/test-tmp/${inner}" \
	    "$GW_BUILD/test-tmp/.${inner}" \
	    "$GW_BUILD/test-tmp/${inner}.atexit"
'

test_expect_success 'a passing script exits 0 and removes its scratch dir' '
	cat >"inner/${inner}2.sh" <<-EOF &&
	. "$GW_E2E_DIR/lib.sh"
	test_expect_success one "echo >file"
	test_done
	EOF
	sh "inner/${inner}2.sh" >out &&
	printf "ok 1 - one\n1..1\n" >expect &&
	test_cmp expect out &&
	test_path_is_missing "$GW_BUILD/test-tmp/${inner}2"
'

test_expect_success 'test_skip_unless_cmd skips the whole script' '
	cat >"inner/${inner}3.sh" <<-EOF &&
	. "$GW_E2E_DIR/lib.sh"
	test_skip_unless_cmd no-such-command-here
	test_expect_success never "false"
	test_done
	EOF
	sh "inner/${inner}3.sh" >out &&
	echo "1..0 # SKIP no-such-command-here not found" >expect &&
	test_cmp expect out
'

test_done
