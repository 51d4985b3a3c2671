#!/bin/sh
test_description='make install and make uninstall, with DESTDIR, for PREFIX=/usr and /usr/local'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd make gw-serve curl cmp

# The installation is compared with what the tree holds, file by file:
# every program of cmd/, man page of man/, completion of completions/, unit
# of systemd/, stylesheet of xslt/, file of examples/, and gw.schema.json;
# nothing missing, nothing more.  Where each goes is where Debian puts it
# (and, when the tools are here, where bash-completion, fish, zsh and
# systemd say they look).  make runs with "-o all": the programs come from
# $GW_BUILD as they are (an ASan build stays one), and nothing is rebuilt.
SRC=$GW_SRCDIR

# gw_make ARGS...: make in the source tree with nothing inherited (a make
# check passes its command line down in MAKEFLAGS; the install directories
# may come from the environment).
gw_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BINDIR -u SBINDIR \
	    -u DATADIR -u MANDIR -u SYSCONFDIR -u UNITDIR -u DOCDIR \
	    -u ZSHCOMPDIR -u DESTDIR -u PREFIX \
	    make -s -C "$SRC" -o all BUILD="$GW_BUILD" "$@"
}

# expected D P: the files an installation with DESTDIR=D PREFIX=P should
# hold, one a line; gw-serve and the zsh completions in whichever of their
# two places they are, the audit rule sets if they are installed at all
# (other tests say which is right).
expected() {
	d_=$1$2
	sbin_=bin
	test -e "$d_/sbin/gw-serve" && sbin_=sbin
	zsh_=site-functions
	test -d "$d_/share/zsh/vendor-completions" && zsh_=vendor-completions
	for c_ in "$SRC"/cmd/gw-*.c; do
		t_=${c_##*/}
		t_=${t_%.c}
		case $t_ in
		gw-serve) echo "$d_/$sbin_/$t_" ;;
		*) echo "$d_/bin/$t_" ;;
		esac
	done
	for m_ in "$SRC"/man/*.[1-9]; do
		echo "$d_/share/man/man${m_##*.}/${m_##*/}"
	done
	for f_ in "$SRC"/completions/bash/*; do
		echo "$d_/share/bash-completion/completions/${f_##*/}"
	done
	for f_ in "$SRC"/completions/zsh/*; do
		echo "$d_/share/zsh/$zsh_/${f_##*/}"
	done
	for f_ in "$SRC"/completions/fish/*; do
		echo "$d_/share/fish/vendor_completions.d/${f_##*/}"
	done
	for f_ in "$SRC"/systemd/*.service "$SRC"/systemd/*.socket; do
		test -f "$f_" && echo "$d_/lib/systemd/system/${f_##*/}"
	done
	for f_ in "$SRC"/xslt/*.xsl; do
		test -f "$f_" && echo "$d_/share/gw/xslt/${f_##*/}"
	done
	if test -d "$d_/share/gw/audit"; then
		for f_ in "$SRC"/audit/*.rules; do
			test -f "$f_" && echo "$d_/share/gw/audit/${f_##*/}"
		done
	fi
	(cd "$SRC/examples" && find . -type f) | sed "s|^\./|$d_/share/gw/examples/|"
	echo "$d_/share/gw/gw.schema.json"
}

# installed D: every file (and symlink) under D, sorted.
installed() {
	find "$1" ! -type d | LC_ALL=C sort
}

# serve_of D P: the installed gw-serve.
serve_of() {
	if test -e "$1$2/sbin/gw-serve"; then
		echo "$1$2/sbin/gw-serve"
	else
		echo "$1$2/bin/gw-serve"
	fi
}

# exec_start UNIT: the program and arguments of ExecStart= in UNIT.
exec_start() {
	sed -n 's/^ExecStart=//p' "$1"
}

# in_list DIR: DIR is one of the lines of stdin.
in_list() {
	grep -qx "$1"
}

test_have_zsh_fpath() {
	command -v zsh >/dev/null 2>&1 &&
	    zsh -fc 'print -l $fpath' >/dev/null 2>&1
}
test_have_zsh_fpath && test_set_prereq ZSH
pkg-config --exists bash-completion 2>/dev/null && test_set_prereq BASHCOMP
pkg-config --exists fish 2>/dev/null && test_set_prereq FISHPC
command -v systemd-analyze >/dev/null 2>&1 &&
    systemd-analyze unit-paths >/dev/null 2>&1 && test_set_prereq UNITPATHS

# The installations go outside $GW_BUILD: the Makefile includes every
# "*.d" under $(BUILD) as a dependency file, and these trees hold
# fish/vendor_completions.d.
ROOTS=$(mktemp -d "${TMPDIR:-/tmp}/gw-t0003.XXXXXX") ||
    { echo "Bail out! mktemp"; exit 1; }
if test "$GW_TEST_KEEP" != 1; then
	test_atexit "rm -rf '$ROOTS'"
fi

# --- PREFIX=/usr --------------------------------------------------------------

D=$ROOTS/usr-root

test_expect_success 'make install DESTDIR PREFIX=/usr' '
	gw_make install DESTDIR="$D" PREFIX=/usr >install.out 2>&1 ||
	    { cat install.out; exit 1; }
'

test_expect_success 'every file of the tree is installed, and nothing else' '
	expected "$D" /usr | LC_ALL=C sort >expect &&
	installed "$D" >actual &&
	test_cmp expect actual
'

test_expect_success 'gw-serve in /usr/sbin or /usr/bin, not both' '
	test -x "$D/usr/sbin/gw-serve" || test -x "$D/usr/bin/gw-serve" &&
	! { test -e "$D/usr/sbin/gw-serve" && test -e "$D/usr/bin/gw-serve"; }
'

test_expect_success 'programs are the built ones, mode 755; data 644' '
	for c in "$SRC"/cmd/gw-*.c; do
		t=${c##*/} && t=${t%.c} &&
		if test $t = gw-serve; then f=$(serve_of "$D" /usr)
		else f=$D/usr/bin/$t; fi &&
		cmp "$GW_BUILD/$t" "$f" &&
		test "$(stat -c %a "$f")" = 755 || exit 1
	done &&
	find "$D/usr/share" "$D/usr/lib" -type f ! -perm 644 >wrong &&
	test_line_count = 0 wrong
'

test_expect_success 'man pages by section in /usr/share/man' '
	for m in "$SRC"/man/*.[1-9]; do
		cmp "$m" "$D/usr/share/man/man${m##*.}/${m##*/}" || exit 1
	done &&
	test -f "$D/usr/share/man/man8/gw-serve.8" &&
	test -f "$D/usr/share/man/man5/gw.conf.5"
'

test_expect_success 'no empty directory is made for nothing' '
	find "$D" -type d -empty >empty &&
	test_line_count = 0 empty
'

test_expect_success ZSH 'zsh completions are in the fpath of Debian zsh' '
	zsh -fc "print -l \$fpath" >fpath &&
	in_list /usr/share/zsh/vendor-completions <fpath &&
	test -f "$D/usr/share/zsh/vendor-completions/_gw-serve"
'

test_expect_success 'the audit rule sets are in /usr/share/gw/audit' '
	for f in "$SRC"/audit/*.rules; do
		cmp "$f" "$D/usr/share/gw/audit/${f##*/}" || exit 1
	done
'

test_expect_success BASHCOMP 'bash completions where bash-completion looks' '
	dir=$(pkg-config --variable=completionsdir bash-completion) &&
	test -f "$D$dir/gw-serve"
'

test_expect_success FISHPC 'fish completions are where fish looks' '
	dir=$(pkg-config --variable=completionsdir fish) &&
	test -f "$D$dir/gw-serve.fish"
'

test_expect_success UNITPATHS 'units are in a directory systemd reads' '
	systemd-analyze unit-paths >paths &&
	in_list /usr/lib/systemd/system <paths &&
	test -f "$D/usr/lib/systemd/system/gw-serve.service" &&
	test -f "$D/usr/lib/systemd/system/gw-serve.socket"
'

test_expect_success 'the units run the installed gw-serve, no @DIR@ is left' '
	! grep -n "@[A-Z]*@" "$D"/usr/lib/systemd/system/* &&
	for u in "$D"/usr/lib/systemd/system/*.service; do
		set -- $(exec_start "$u") &&
		test "$D$1" = "$(serve_of "$D" /usr)" &&
		cmp "$GW_BUILD/gw-serve" "$D$1" || exit 1
	done
'

test_expect_success 'the units read /etc/gw/gw.json (ConfigurationDirectory)' '
	for u in "$D"/usr/lib/systemd/system/*.service; do
		grep -qx "ConfigurationDirectory=gw" "$u" &&
		exec_start "$u" >cmd &&
		grep -q " -c /etc/gw/gw.json\$" cmd || exit 1
	done
'

test_expect_success 'the installed gw-serve checks the installed example' '
	"$(serve_of "$D" /usr)" --check -c "$D/usr/share/gw/examples/gw.json"
'

test_expect_success 'the installed gw-serve serves the installed example' '
	gw_start_bg_ inst inst.port "$(serve_of "$D" /usr)" \
	    -c "$D/usr/share/gw/examples/gw.json" --workers 1 \
	    --listen 127.0.0.1:0 --port-file inst.port &&
	curl -sS -o hello "http://127.0.0.1:$(cat inst.port)/hello" &&
	grep -q "hello from gw" hello &&
	curl -sS -o items "http://127.0.0.1:$(cat inst.port)/backend/items" &&
	cmp "$SRC/examples/items.json" items &&
	gw_stop inst
'

test_expect_success 'a file the example names is gone: --check says which' '
	cp -R "$D/usr/share/gw/examples" ex &&
	rm ex/items.json &&
	test_expect_code 78 "$(serve_of "$D" /usr)" --check -c ex/gw.json \
	    2>err &&
	grep -q "gw.json:[0-9]*:[0-9]*: routes\[[0-9]*\]\.static\.file: .*items.json" err
'

test_expect_success 'make uninstall removes every file it installed' '
	gw_make uninstall DESTDIR="$D" PREFIX=/usr >uninstall.out 2>&1 ||
	    { cat uninstall.out; exit 1; } &&
	installed "$D" >left &&
	test_line_count = 0 left
'

test_expect_success 'make uninstall again is harmless' '
	gw_make uninstall DESTDIR="$D" PREFIX=/usr &&
	installed "$D" >left &&
	test_line_count = 0 left
'

test_expect_success 'uninstall leaves what it did not install' '
	mkdir -p "$D/usr/bin" "$D/usr/share/man/man1" &&
	echo other >"$D/usr/bin/other-tool" &&
	echo other >"$D/usr/share/man/man1/other.1" &&
	gw_make install DESTDIR="$D" PREFIX=/usr &&
	gw_make uninstall DESTDIR="$D" PREFIX=/usr &&
	installed "$D" >left &&
	printf "%s\n" "$D/usr/bin/other-tool" "$D/usr/share/man/man1/other.1" |
	    LC_ALL=C sort >expect &&
	test_cmp expect left
'

# --- PREFIX=/usr/local --------------------------------------------------------

L=$ROOTS/local-root

test_expect_success 'make install DESTDIR PREFIX=/usr/local' '
	gw_make install DESTDIR="$L" PREFIX=/usr/local >install.out 2>&1 ||
	    { cat install.out; exit 1; }
'

test_expect_success 'every file under /usr/local, nothing else' '
	expected "$L" /usr/local | LC_ALL=C sort >expect &&
	installed "$L" >actual &&
	test_cmp expect actual &&
	test_path_is_missing "$L/usr/bin" &&
	test_path_is_missing "$L/usr/share" &&
	test_path_is_missing "$L/etc"
'

test_expect_success ZSH 'zsh completions are in the fpath of zsh' '
	zsh -fc "print -l \$fpath" >fpath &&
	in_list /usr/local/share/zsh/site-functions <fpath &&
	test -f "$L/usr/local/share/zsh/site-functions/_gw-serve"
'

test_expect_success UNITPATHS 'units are in a directory systemd reads' '
	systemd-analyze unit-paths >paths &&
	in_list /usr/local/lib/systemd/system <paths &&
	test -f "$L/usr/local/lib/systemd/system/gw-serve.service"
'

test_expect_success 'the units run it with /usr/local/etc/gw/gw.json' '
	for u in "$L"/usr/local/lib/systemd/system/*.service; do
		set -- $(exec_start "$u") &&
		test "$L$1" = "$(serve_of "$L" /usr/local)" &&
		test "$2 $3" = "-c /usr/local/etc/gw/gw.json" || exit 1
	done
'

test_expect_success 'the installed gw-serve checks the installed example' '
	"$(serve_of "$L" /usr/local)" --check \
	    -c "$L/usr/local/share/gw/examples/gw.json"
'

test_expect_success 'make uninstall PREFIX=/usr/local leaves no file' '
	gw_make uninstall DESTDIR="$L" PREFIX=/usr/local &&
	installed "$L" >left &&
	test_line_count = 0 left
'

# --- a bad install ------------------------------------------------------------

test_expect_success 'make install fails, and says where, on a bad DESTDIR' '
	mkdir "$ROOTS/ro" && : >"$ROOTS/ro/usr" &&
	test_must_fail gw_make install DESTDIR="$ROOTS/ro" PREFIX=/usr \
	    >out 2>&1 &&
	grep -q "ro/usr" out
'

test_done
