#!/bin/sh
test_description='the systemd units: exposure at most 2.0, systemd-analyze verify, and a sandbox gw-serve fits in'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd systemd-analyze make gw-serve curl
systemd-analyze security --help 2>/dev/null | grep -q -- '--offline' ||
    test_skip_all 'systemd-analyze security has no --offline (systemd < 250)'

# systemd 252 scores a unit file offline: "systemd-analyze security
# --offline=true --root=R UNIT" reads UNIT from the tree R.  It scores
# service units (systemd-analyze(1): "the security and sandboxing settings
# of one or more specified service units"); a socket unit is scored on the
# processes it starts itself (ExecStartPre= and the like), which ours has
# none of, so for gw-serve.socket the test is that it starts none.
#
# The units are tested as installed: make install DESTDIR=R PREFIX=/usr
# SYSCONFDIR=/etc (as debian/rules does), plus what the package's
# dependencies bring to R: systemd's own units and /bin/kill (procps).
# Then gw-serve runs, under strace, as the service would (socket-activated,
# workers, an audit policy, a reload, a stop), and what it did is held
# against the unit: every system call against SystemCallFilter=, every
# socket against RestrictAddressFamilies=, every file it opened against
# ProtectSystem=strict and ProcSubset=pid; and it runs again under the
# kernel's MDWE, which is MemoryDenyWriteExecute=.
SRC=$GW_SRCDIR

# Outside $GW_BUILD: the Makefile includes every "*.d" under $(BUILD), and
# systemd's unit directory is full of them.
ROOTS=$(mktemp -d "${TMPDIR:-/tmp}/gw-t0004.XXXXXX") ||
    { echo "Bail out! mktemp"; exit 1; }
if test "$GW_TEST_KEEP" != 1; then
	test_atexit "rm -rf '$ROOTS'"
fi
R=$ROOTS/root
UD=$R/usr/lib/systemd/system

# gw_make ARGS...: make in the source tree, with nothing inherited, and the
# programs of $GW_BUILD as they are (see t0003-install.sh).
gw_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BINDIR -u SBINDIR \
	    -u DATADIR -u MANDIR -u SYSCONFDIR -u UNITDIR -u DOCDIR \
	    -u ZSHCOMPDIR -u DESTDIR -u PREFIX \
	    make -s -C "$SRC" -o all BUILD="$GW_BUILD" "$@"
}

# security UNIT [options]: systemd-analyze security of UNIT in $R.
security() {
	u_=$1
	shift
	systemd-analyze security --offline=true --root="$R" --no-pager \
	    "$@" "$u_"
}

# exposure UNIT: the overall exposure level of UNIT, e.g. 1.4.
exposure() {
	security "$1" 2>/dev/null |
	    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}

# at_most A B: A <= B, as decimals; false when A is empty.
at_most() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'
}

# verify UNIT...: systemd-analyze verify in $R, the man pages of
# Documentation= looked up in $R.
verify() {
	MANPATH=$R/usr/share/man systemd-analyze verify --root="$R" \
	    --no-pager "$@"
}

# --- the installed tree -------------------------------------------------------

test_expect_success 'an installed tree: gw, systemd'"'"'s units, /bin/kill' '
	gw_make install DESTDIR="$R" PREFIX=/usr SYSCONFDIR=/etc \
	    >install.out 2>&1 || { cat install.out; exit 1; } &&
	for d in bin lib sbin; do ln -s usr/$d "$R/$d" || exit 1; done &&
	cp -Rn /usr/lib/systemd/system/. "$UD/" &&
	test -x /usr/bin/kill && cp /usr/bin/kill "$R/usr/bin/kill" &&
	test -f "$UD/sysinit.target" &&
	for f in "$SRC"/systemd/*; do
		test -f "$UD/${f##*/}" || exit 1
	done
'

# --- exposure -----------------------------------------------------------------

for f in "$SRC"/systemd/*.service; do
	u=${f##*/}
	test_expect_success "$u: exposure at most 2.0" '
		e=$(exposure "$u") &&
		echo "$u: exposure $e" &&
		at_most "$e" 2.0 &&
		security "$u" --threshold=20 >/dev/null
	'
done

for f in "$SRC"/systemd/*.socket; do
	u=${f##*/}
	test_expect_success "$u: starts no process of its own to score" '
		test_path_is_file "$UD/$u" &&
		! grep -E "^Exec[A-Za-z]*=" "$UD/$u"
	'
done

test_expect_success 'the score can fail: gw-serve without its sandbox' '
	sed -n -e "/^\[/p" -e "/^Description=/p" -e "/^ExecStart=/p" \
	    "$UD/gw-serve.service" >"$UD/gw-bare.service" &&
	e=$(exposure gw-bare.service) &&
	echo "gw-bare.service: exposure $e" &&
	! at_most "$e" 2.0 &&
	test_must_fail security gw-bare.service --threshold=20 >/dev/null &&
	rm "$UD/gw-bare.service"
'

# --- verify -------------------------------------------------------------------

test_expect_success 'systemd-analyze verify: no error, no warning' '
	units= &&
	for f in "$SRC"/systemd/*; do units="$units ${f##*/}"; done &&
	verify $units >out 2>&1 &&
	test_line_count = 0 out
'

test_expect_success 'verify can fail: a key misspelt, a program, a page' '
	sed "s/^ProtectSystem=/ProtectSytem=/" "$UD/gw-serve.service" \
	    >"$UD/gw-typo.service" &&
	verify gw-typo.service >out 2>&1;
	grep -q "Unknown key.*ProtectSytem" out &&
	sed "s|^ExecStart=[^ ]*|ExecStart=/usr/sbin/gw-nothere|" \
	    "$UD/gw-serve.service" >"$UD/gw-noexec.service" &&
	test_must_fail verify gw-noexec.service >out 2>&1 &&
	grep -q "gw-nothere is not executable" out &&
	sed "s|^Documentation=.*|Documentation=man:gw-nothere(8)|" \
	    "$UD/gw-serve.service" >"$UD/gw-noman.service" &&
	test_must_fail verify gw-noman.service >out 2>&1 &&
	grep -q "man gw-nothere(8)" out &&
	rm "$UD/gw-typo.service" "$UD/gw-noexec.service" \
	    "$UD/gw-noman.service"
'

# --- gw-serve in the sandbox of gw-serve.service ------------------------------

UNIT=$UD/gw-serve.service
SERVE=$R$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$UNIT" 2>/dev/null)

# The system calls of PROG (from its execve on) and of its children in the
# "strace -f" TRACE, one a line, sorted.
traced_syscalls() {
	our_lines "$1" "$2" | awk '
	/^<\.\.\. [a-z0-9_]+ resumed>/ { next }
	match($0, /^[a-z0-9_]+\(/) { print substr($0, 1, RLENGTH - 1) }' |
	    LC_ALL=C sort -u
}

# our_lines PROG TRACE: the lines of TRACE that PROG and its children
# wrote, without the PID.
our_lines() {
	awk -v prog="$1" '
	{
		pid = $1
		line = $0
		sub(/^[0-9]+ +/, "", line)
		if (index(line, "execve(\"" prog "\"") == 1)
			ours[pid] = 1
		if (!(pid in ours))
			next
		print line
		if (line ~ /^(<\.\.\. )?(clone|clone3|fork|vfork)[( ]/ &&
		    match(line, /= [0-9]+$/))
			ours[substr(line, RSTART + 2)] = 1
	}' "$2"
}

# filter_allows UNIT: the system calls the SystemCallFilter= lines of UNIT
# allow, one a line, sorted: the allow lists, less the deny (~) lists, with
# the groups expanded as systemd-analyze syscall-filter lists them.
filter_allows() {
	{
		systemd-analyze syscall-filter --no-pager
		echo "%%"
		sed -n 's/^SystemCallFilter=//p' "$1"
	} | awk '
	function expand(g, out,    i, n, m) {
		n = split(members[g], m, " ")
		for (i = 1; i <= n; i++) {
			if (m[i] ~ /^@/)
				expand(m[i], out)
			else
				out[m[i]] = 1
		}
	}
	!unit && $0 == "%%" { unit = 1; next }
	!unit && /^@/ { g = $1; next }
	!unit && /^[ \t]+[@a-z0-9_]/ && g != "" {
		members[g] = members[g] " " $1
		next
	}
	!unit && /^$/ { g = ""; next }
	unit {
		deny = sub(/^~/, "")
		n = split($0, w, /[ \t]+/)
		for (i = 1; i <= n; i++) {
			if (w[i] == "")
				continue
			split("", one)
			if (w[i] ~ /^@/)
				expand(w[i], one)
			else
				one[w[i]] = 1
			for (s in one) {
				if (deny)
					denied[s] = 1
				else
					allowed[s] = 1
			}
		}
	}
	END {
		for (s in allowed)
			if (!(s in denied))
				print s
	}' | LC_ALL=C sort -u
}

# The configuration: a static route, a proxy with an audit policy (PCRE2,
# whose JIT asks for writable and executable memory) and a rate limit
# (shared memory across the workers), two workers.
write_config() {
	cp "$SRC/audit/default.rules" default.rules &&
	cat >gw.json <<-EOF
	{ "workers": 2,
	  "upstreams": { "up": { "targets": ["http://localhost:$(cat up.port)"] } },
	  "routes": [
	    { "match": { "path": "/hello" }, "static": { "json": { "m": "hi" } } },
	    { "match": { "prefix": "/api" }, "proxy": "up",
	      "policies": [ { "audit": { "rules": "default.rules" } },
	                    { "rate_limit": { "key": "ip", "rate": "1000/s",
	                                      "burst": 100 } } ] } ] }
	EOF
}

# exercise PORT: what the service is asked to do; every answer as expected.
exercise() {
	u_=http://127.0.0.1:$1
	test "$(http_get_status "$u_/hello")" = 200 &&
	test "$(http_get_status "$u_/api/items" -H "Content-Type: application/json" \
	    --data "{\"name\": \"O Brien\"}")" = 200 &&
	test "$(http_get_status "$u_/api/items" -H "Content-Type: application/json" \
	    --data "{\"q\": \"1 union select password from users\"}")" = 403
}

command -v strace >/dev/null 2>&1 && strace -f -qq -o /dev/null true \
    2>/dev/null && test_set_prereq STRACE
command -v gw-test-activate >/dev/null 2>&1 &&
    command -v gw-test-upstream >/dev/null 2>&1 && test_set_prereq HELPERS
gw-test-mdwe true 2>/dev/null && test_set_prereq MDWE
command -v gw-audit >/dev/null 2>&1 && test -f "$SRC/audit/default.rules" &&
    test_set_prereq AUDIT

test_expect_success HELPERS 'an upstream, and a configuration to run' '
	test -x "$SERVE" &&
	gw_start_upstream up &&
	write_config &&
	"$SERVE" --check -c gw.json
'

test_expect_success STRACE,HELPERS 'under strace: activated, serves, reloads, stops' '
	strace -f -qq -e signal=none -s 64 -o trace \
	    gw-test-activate -p sa.port -- "$SERVE" -c gw.json \
	    >sa.out 2>sa.log &
	echo $! >strace.pid &&
	test_atexit "gw_kill_ $!" &&
	wait_for_port_file sa.port 20 "$(cat strace.pid)" &&
	act=$(pgrep -P "$(cat strace.pid)") &&
	test_atexit "gw_kill_ $act" &&
	wait_for_file sa.log &&
	exercise "$(cat sa.port)" &&
	master=$(pgrep -P "$act") &&
	kill -HUP "$master" &&
	n=0 &&
	while ! grep -q "configuration reloaded" sa.log; do
		n=$((n + 1)) && test $n -lt 100 && sleep 0.1 || exit 1
	done &&
	exercise "$(cat sa.port)" &&
	kill "$act" &&
	n=0 &&
	while test_alive "$(cat strace.pid)"; do
		n=$((n + 1)) && test $n -lt 100 && sleep 0.1 || exit 1
	done &&
	our_lines "$SERVE" trace >ours &&
	grep -q "^execve(" ours &&
	grep -q "^accept4(" ours &&
	test "$(grep -cE "^(<\.\.\. )?clone3?[( ].*= [0-9]+$" ours)" -ge 4
'

test_expect_success STRACE,HELPERS 'its system calls are in SystemCallFilter=' '
	traced_syscalls "$SERVE" trace >used &&
	filter_allows "$UNIT" >allowed &&
	test "$(wc -l <used)" -gt 20 &&
	comm -23 used allowed >refused &&
	test_line_count = 0 refused
'

test_expect_success STRACE,HELPERS 'that can fail: ~@network-io refuses accept4' '
	sed "s/^SystemCallFilter=~.*/&\nSystemCallFilter=~@network-io/" "$UNIT" \
	    >narrow.service &&
	filter_allows narrow.service >allowed &&
	comm -23 used allowed >refused &&
	grep -qx accept4 refused
'

# glibc's getaddrinfo() with AI_ADDRCONFIG asks the kernel for the host's
# addresses over a NETLINK_ROUTE socket; when RestrictAddressFamilies=
# refuses it, glibc takes both IPv4 and IPv6 as configured, and gw's
# client would retry without AI_ADDRCONFIG anyway.  That one is expected,
# and the test after shows names still resolve without it.
test_expect_success STRACE,HELPERS 'its sockets are of RestrictAddressFamilies=' '
	families=$(sed -n "s/^RestrictAddressFamilies=//p" "$UNIT") &&
	test -n "$families" &&
	our_lines "$SERVE" trace | grep "^socket(" >sockets &&
	test "$(wc -l <sockets)" -gt 0 &&
	while read -r line; do
		af=${line#socket(} && af=${af%%,*} &&
		case " $families " in
		*" $af "*) ;;
		*)
			test "$af" = AF_NETLINK &&
			case $line in *NETLINK_ROUTE*) ;; *) false ;; esac ||
			{ echo "refused: $line"; exit 1; }
			;;
		esac
	done <sockets
'

test_expect_success STRACE,HELPERS 'upstream names resolve with every socket refused' '
	# LeakSanitizer cannot run under ptrace; ASan'"'"'s other checks still do
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -o refused.trace -e trace=socket \
	    -e inject=socket:error=EAFNOSUPPORT "$SERVE" --check -c gw.json &&
	grep -q "socket(AF_NETLINK.*EAFNOSUPPORT.*INJECTED" refused.trace &&
	sed "s|http://localhost:[0-9]*|http://nonexistent.invalid:80|" gw.json \
	    >unknown.json &&
	test_expect_code 78 "$SERVE" --check -c unknown.json 2>err &&
	grep -q "cannot resolve .nonexistent.invalid." err
'

test_expect_success STRACE,HELPERS 'it opens no file to write (ProtectSystem=strict)' '
	grep -qx "ProtectSystem=strict" "$UNIT" &&
	our_lines "$SERVE" trace |
	    grep -E "^(open|openat|openat2|creat)\(" >opens &&
	grep -q "gw.json" opens &&
	! grep -E "O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|^creat" opens &&
	fs="mkdir|mkdirat|unlink|unlinkat|rename|renameat2?|link|linkat" &&
	fs="$fs|symlink|symlinkat|truncate|chmod|fchmodat|chown|fchownat" &&
	! grep -E "^($fs)\(" ours
'

test_expect_success STRACE,HELPERS 'it reads only its own /proc (ProcSubset=pid)' '
	grep -qx "ProcSubset=pid" "$UNIT" &&
	grep "\"/proc/" opens >procs;
	! grep -Ev "\"/proc/(self|thread-self|[0-9]+)/" procs
'

test_expect_success STRACE,HELPERS 'the PCRE2 JIT asks for W+X memory (MDWE refuses)' '
	grep -qx "MemoryDenyWriteExecute=yes" "$UNIT" &&
	grep -E "^(mmap|mprotect)\(.*PROT_WRITE\|PROT_EXEC" ours >wx &&
	test "$(wc -l <wx)" -gt 0
'

test_expect_success MDWE,HELPERS 'without W+X memory it answers the same' '
	gw_start_bg_ mdwe mdwe.port gw-test-activate -p mdwe.port -- \
	    gw-test-mdwe "$SERVE" -c gw.json &&
	wait_for_file mdwe.log &&
	exercise "$(cat mdwe.port)" &&
	gw_stop mdwe
'

test_expect_success MDWE,AUDIT 'gw-audit finds the same with the JIT and without' '
	cp "$SRC/audit/default.rules" default.rules &&
	printf "{\"q\": \"1 union select x from y\", \"p\": \"../../etc/passwd\"}" \
	    >threat.json &&
	test_expect_code 1 gw-audit -r default.rules threat.json >jit.out &&
	test_expect_code 1 gw-test-mdwe gw-audit -r default.rules threat.json \
	    >mdwe.out &&
	test_cmp jit.out mdwe.out &&
	test "$(wc -l <jit.out)" -ge 2
'

test_done
