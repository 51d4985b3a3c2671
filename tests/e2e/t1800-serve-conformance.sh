#!/bin/sh
test_description='gw-serve: the HTTP conformance and smuggling suite (tests/conformance/cases)'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-serve gw-test-upstream gw-chaos-upstream gw-conformance

cases=$GW_SRCDIR/tests/conformance/cases

# run_suite NAME ARGS...: the table through gw-conformance; its TAP lines
# go to NAME.tap, indented into ours as comments; passes if none failed.
run_suite() {
	name_=$1
	shift
	gw-conformance -v "$@" "$cases" >"$name_.tap" 2>"$name_.err"
	rc_=$?
	sed -e 's/^/# /' "$name_.tap" | grep -v '^# #   ' >&2
	grep '^not ok' "$name_.tap" | grep -v '# TODO' >&2
	test "$rc_" = 0
}

test_expect_success 'gw-serve alone: static routes answer everything' '
	cat >static.json <<-\EOF &&
	{ "workers": 1,
	  "limits": { "header_timeout_ms": 5000, "body_timeout_ms": 5000 },
	  "routes": [
	    { "match": { "path": "/304" }, "static": { "status": 304 } },
	    { "match": { "prefix": "/" },
	      "static": { "body": "ok\n",
	                  "headers": { "Content-Type": "text/plain" } } } ] }
	EOF
	gw_start_serve st -c static.json
'

test_expect_success 'the suite against gw-serve alone' '
	run_suite static -m static -p "$(cat st.port)"
'

test_expect_success 'gw-serve in front of an echoing upstream that logs what it gets' '
	gw_start_upstream up --echo -o seen.http --count-file up.count &&
	gw_start_bg_ chaos chaos.port gw-chaos-upstream -p chaos.port \
	    --seed 8 &&
	cat >proxy.json <<-EOF &&
	{ "workers": 1,
	  "limits": { "header_timeout_ms": 5000, "body_timeout_ms": 5000 },
	  "upstreams": {
	    "echo": { "targets": ["http://127.0.0.1:$(cat up.port)"] },
	    "chaos": { "targets": ["http://127.0.0.1:$(cat chaos.port)"],
	               "timeout_ms": 3000, "idle_timeout_ms": 3000 } },
	  "routes": [
	    { "match": { "prefix": "/chaos" }, "proxy": "chaos" },
	    { "match": { "prefix": "/" }, "proxy": "echo" } ] }
	EOF
	gw_start_serve px -c proxy.json
'

test_expect_success 'the suite through the proxy: what the upstream received reads one way only' '
	run_suite proxy -m proxy -p "$(cat px.port)" -s seen.http -c up.count
'

test_expect_success 'the worker survived every case' '
	test_alive "$(cat px.pid)" &&
	test_alive "$(cat st.pid)" &&
	test "$(pgrep -c -P "$(cat px.pid)")" = 1 &&
	test "$(pgrep -c -P "$(cat st.pid)")" = 1 &&
	! grep -q "worker .* died\|signal" px.log st.log
'

test_done
