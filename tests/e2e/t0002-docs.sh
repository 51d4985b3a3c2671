#!/bin/sh
test_description='usage(), the man pages, gw.conf.5, gw.schema.json and the completions agree'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-serve

# Every program of cmd/ is checked the same way (usage, SYNOPSIS, options,
# completions); gw-serve's configuration keys and values besides.
SRC=$GW_SRCDIR
MAN8=$SRC/man/gw-serve.8
MAN5=$SRC/man/gw.conf.5
# Policy modules document their keys in pages of their own, which say so
# with the comment line '.\" gw.conf policies' (gw.conf.5 points to them).
POLICY_PAGES=$(grep -l '^\.\\" gw\.conf policies' "$SRC"/man/*.5 2>/dev/null)
SCHEMA=$SRC/gw.schema.json
LOADER=$SRC/libcore/cfg-parse.c

# --- extracting option and key lists ------------------------------------------

# expand_opts: option words on stdin, one per line ("-hVv", "-c", "--check");
# each option on stdout, sorted: "-hVv" gives -V, -h, -v.
expand_opts() {
	while read -r o_; do
		case $o_ in
		--?*|-?)
			echo "$o_"
			;;
		-*)
			o_=${o_#-}
			while test -n "$o_"; do
				r_=${o_#?}
				echo "-${o_%"$r_"}"
				o_=$r_
			done
			;;
		esac
	done | LC_ALL=C sort -u
}

# The options of "$TOOL -h": every "[-x" or "[--xyz" word.
usage_opts() {
	"$TOOL" -h | tr ' ' '\n' |
	    sed -n 's/^\[\(-[-A-Za-z0-9]*\).*/\1/p' | expand_opts
}

# The options of the SYNOPSIS of $MAN: ".Op Fl x ...".
synopsis_opts() {
	sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /s/^\.Op Fl \([^ ]*\).*/-\1/p' "$MAN" |
	    expand_opts
}

# The options described in $MAN: every "Fl x" of the ".It" lines of the
# first list of DESCRIPTION.
manlist_opts() {
	awk '/^\.Sh DESCRIPTION/ { d = 1 }
	    d && !l && /^\.Bl / { l = 1; next }
	    l && /^\.El/ { exit }
	    l && /^\.It Fl / {
		for (i = 2; i < NF; i++)
			if ($i == "Fl")
				print "-" $(i + 1)
	    }' "$MAN" | expand_opts
}

# Every long option of the getopt_long() table of cmd/$TOOL.c.
longopts() {
	sed -n 's/^[[:space:]]*{ "\([a-z][-a-z]*\)", [a-z_]*, NULL, .*/--\1/p' \
	    "$SRC/cmd/$TOOL.c" | LC_ALL=C sort -u
}

# The keys of every "keys[] = { ... }" array of the configuration loader.
# The configuration loader and every policy module read keys through
# keys[] arrays; policy modules are the files defining a gw_policy_type,
# and the name of each type they define is a key too (of a "policies"
# entry).
loader_keys() {
	for f_ in "$LOADER" "$SRC/libcore/orch.c" $(grep -l "^const struct gw_policy_type gw_policy_" \
	    "$SRC"/libcore/*.c 2>/dev/null); do
		awk '/^[[:space:]]*(static )?const char \*const ([a-z]+_)?keys\[\] = \{/ { k = 1 } k { print } k && /\};/ { k = 0 }
		    FILENAME != loader && /^[[:space:]]*\.name = "/ { print }' \
		    loader="$LOADER" "$f_"
	done | grep -o '"[^"]*"' | tr -d '"' | LC_ALL=C sort -u
}

# The keys described in gw.conf.5 and the policy pages: ".It Ic key".
man5_keys() {
	# shellcheck disable=SC2086
	sed -n 's/^\.It Ic \([^ ]*\).*/\1/p' "$MAN5" $POLICY_PAGES |
	    LC_ALL=C sort -u
}

# The property names at every level of gw.schema.json.
schema_keys() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c '
import json, sys
keys = set()
def walk(v):
    if isinstance(v, dict):
        if isinstance(v.get("properties"), dict):
            keys.update(v["properties"])
        for x in v.values():
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
walk(json.load(open(sys.argv[1])))
print("\n".join(sorted(keys)))' "$SCHEMA"
	else
		jq -r '[.. | objects | select(has("properties")) |
		    .properties | keys[]] | unique[]' "$SCHEMA"
	fi | LC_ALL=C sort -u
}

# literal_block N FILE: the Nth literal display of the EXAMPLES of a page,
# with the mdoc escapes \e and \& undone.
literal_block() {
	awk -v want="$1" '/^\.Sh EXAMPLES/ { ex = 1 }
	    ex && /^\.Sh / && !/EXAMPLES/ { exit }
	    ex && /^\.Bd -literal/ { n++; if (n == want) { on = 1; next } }
	    on && /^\.Ed/ { exit }
	    on { print }' "$2" | sed -e 's/\\e/\\/g' -e 's/\\&//g'
}

if command -v jq >/dev/null 2>&1 || command -v python3 >/dev/null 2>&1; then
	test_set_prereq JSONTOOL
fi
if command -v python3 >/dev/null 2>&1 &&
    python3 -c 'import jsonschema' >/dev/null 2>&1; then
	test_set_prereq JSONSCHEMA
fi
if grep -q 'keys\[\] = {' "$LOADER" 2>/dev/null; then
	test_set_prereq LOADER
fi
command -v python3 >/dev/null 2>&1 && test_set_prereq PYTHON
command -v mandoc >/dev/null 2>&1 && test_set_prereq MANDOC
command -v zsh >/dev/null 2>&1 && test_set_prereq ZSH
command -v fish >/dev/null 2>&1 && test_set_prereq FISH

# --- every program: options, man page, completions ----------------------------------------------------------------

mkdir -p "$TEST_DIRECTORY/fakebin" "$TEST_DIRECTORY/files/dir"
: >"$TEST_DIRECTORY/files/a.json"
: >"$TEST_DIRECTORY/files/b.txt"
printf '%s\n' err warning notice info debug | LC_ALL=C sort >"$TEST_DIRECTORY/levels"

# bash_complete WORD...: what the bash completion offers for the last word,
# with bash-completion loaded when it is installed.
bash_complete() {
	(cd "$TEST_DIRECTORY/files" &&
	PATH=$TEST_DIRECTORY/fakebin:$PATH bash --norc --noprofile -c '
	tool=$1; shift
	for f in /usr/share/bash-completion/bash_completion \
	    /usr/local/share/bash-completion/bash_completion \
	    /etc/bash_completion; do
		if test -f "$f"; then . "$f"; break; fi
	done
	. "$0" || exit 1
	fn=$(complete -p "$tool" 2>/dev/null |
	    sed -n "s/.*-F \([^ ]*\).*/\1/p")
	test -n "$fn" || { echo >&2 "no completion function for $tool"; exit 1; }
	COMP_WORDS=("$tool" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	"$fn" "$tool" "${COMP_WORDS[COMP_CWORD]}" \
	    "${COMP_WORDS[COMP_CWORD - 1]}"
	printf "%s\n" "${COMPREPLY[@]}"' \
	    "$SRC/completions/bash/$TOOL" "$TOOL" "$@") | sed -e "/^$/d" |
	    LC_ALL=C sort -u
}

# fish_complete LINE: what the fish completion offers at the end of LINE.
fish_complete() {
	(cd "$TEST_DIRECTORY/files" &&
	PATH=$TEST_DIRECTORY/fakebin:$PATH fish --no-config -c '
	source $argv[1]; or exit 1
	complete -C"$argv[2]"' "$SRC/completions/fish/$TOOL.fish" "$1") |
	    cut -f1 | LC_ALL=C sort -u
}

# zsh_complete LINE: what the zsh completion offers at the end of LINE, from
# an interactive zsh -f on a pseudo-terminal, with compinit.
cat >"$TEST_DIRECTORY/zcomp.zsh" <<'EOF'
zmodload zsh/zpty || exit 1
out=$1 line=$2 fdir=$3
zpty z zsh -f -i
zpty -w z "PS1=''; PROMPT=''; fpath=($fdir \$fpath)"
zpty -w z 'autoload -Uz compinit && compinit -u -D'
zpty -w z 'LISTMAX=100000; unsetopt beep'
zpty -w z "compadd() { local -a m; builtin compadd -O m \"\$@\"; print -lr -- \$m >>$out; builtin compadd \"\$@\"; }"
zpty -w z 'bindkey "^I" complete-word'
# wait_for WORD: read the terminal until WORD comes (it is typed as WO""RD,
# so that the echo of the typing does not count)
wait_for() {
	local buf= chunk i
	for i in {1..200}; do
		while zpty -rt z chunk 2>/dev/null; do
			buf+=$chunk
		done
		[[ $buf == *$1* ]] && return 0
		sleep 0.05
	done
	print -u2 "zsh: no $1 from the terminal"
	return 1
}
# with typeahead zle skips the completion: wait for the prompt first
zpty -w z 'print __RE""ADY__'
wait_for __READY__ || exit 1
zpty -w -n z "$line"$'\t'
# the completion is over once what it adds stops growing
size=-1
for i in {1..100}; do
	sleep 0.1
	n=$(wc -c <$out)
	(( n > 0 && n == size )) && break
	size=$n
done
zpty -w -n z $'\C-e\C-u'
zpty -w z 'print __DO""NE__'
wait_for __DONE__
st=$?
zpty -d z
exit $st
EOF
zsh_complete() {
	rm -f "$TEST_DIRECTORY/zsh.out" &&
	: >"$TEST_DIRECTORY/zsh.out" &&
	(cd "$TEST_DIRECTORY/files" &&
	PATH=$TEST_DIRECTORY/fakebin:$PATH zsh -f "$TEST_DIRECTORY/zcomp.zsh" \
	    "$TEST_DIRECTORY/zsh.out" "$1" "$SRC/completions/zsh") &&
	sed -e "/^$/d" "$TEST_DIRECTORY/zsh.out" | LC_ALL=C sort -u
}


# check_tool TOOL: usage(), the man page and the completions of one program
# agree, and its completions never run it.
check_tool() {
	TOOL=$1
	MAN=
	for m_ in "$SRC/man/$TOOL.1" "$SRC/man/$TOOL.8"; do
		test -f "$m_" && MAN=$m_
	done
	printf '#!/bin/sh\n: >"%s/%s-ran"\n' "$TEST_DIRECTORY" "$TOOL" \
	    >"$TEST_DIRECTORY/fakebin/$TOOL"
	chmod +x "$TEST_DIRECTORY/fakebin/$TOOL"

	test_expect_success "$TOOL: a man page in section 1 or 8" '
		test -n "$MAN"
	'

	test_expect_success "$TOOL: usage() lists options" '
		usage_opts >"$TOOL.usage" &&
		test_line_count -ge 2 "$TOOL.usage" &&
		grep -qx -- "-h" "$TOOL.usage"
	'

	test_expect_success "$TOOL: the SYNOPSIS has the options of usage()" '
		synopsis_opts >"$TOOL.synopsis" &&
		test_cmp "$TOOL.usage" "$TOOL.synopsis"
	'

	test_expect_success "$TOOL: the SYNOPSIS reads as usage() prints it" '
		"$TOOL" -h | sed -e "s/^usage: //" | tr -s " \n" "  " |
		    sed -e "s/ *$//" >usage.txt &&
		{ mandoc -Tascii "$MAN" 2>/dev/null || nroff -mandoc "$MAN"; } |
		    sed -e "s/.$(printf "\b")//g" |
		    awk "/^SYNOPSIS/ { s = 1; next } s && /^[A-Z]/ { exit } s" |
		    tr -s " \n" "  " | sed -e "s/^ *//" -e "s/ *$//" \
		    >synopsis.txt &&
		test_cmp usage.txt synopsis.txt
	'

	test_expect_success "$TOOL: every long option is in usage() or an alias" '
		longopts >"$TOOL.long" &&
		optstring=$(sed -n "s/.*getopt_long(argc, argv, \"\([^\"]*\)\".*/\1/p" \
		    "$SRC/cmd/$TOOL.c") &&
		sed -n "s/^[[:space:]]*{ \"\([a-z][-a-z]*\)\", [a-z_]*, NULL, .\(.\)..*/\1 \2/p" \
		    "$SRC/cmd/$TOOL.c" >long.vals &&
		while read -r name val
		do
			case $optstring in
			*"$val"*) grep -qx -- "-$val" "$TOOL.usage" ;;
			*) grep -qx -- "--$name" "$TOOL.usage" ;;
			esac || { echo >&2 "--$name is not in usage()"; exit 1; }
		done <long.vals &&
		cat "$TOOL.usage" "$TOOL.long" | LC_ALL=C sort -u >"$TOOL.all"
	'

	test_expect_success "$TOOL: the man page describes every option" '
		manlist_opts >"$TOOL.manlist" &&
		test_cmp "$TOOL.all" "$TOOL.manlist"
	'

	test_expect_success "$TOOL: bash completion loads, offers every option" '
		bash -n "$SRC/completions/bash/$TOOL" &&
		bash_complete - >"$TOOL.bash" &&
		test_cmp "$TOOL.all" "$TOOL.bash"
	'

	test_expect_success ZSH "$TOOL: zsh completion loads, offers every option" '
		zsh -n "$SRC/completions/zsh/_$TOOL" &&
		zsh -f -c "fpath=(\$1 \$fpath); autoload -Uz compinit &&
		    compinit -u -D && autoload +X _$TOOL &&
		    print -r -- \$_comps[$TOOL]" zsh "$SRC/completions/zsh" >got &&
		echo "_$TOOL" >expect &&
		test_cmp expect got &&
		zsh_complete "$TOOL -" >"$TOOL.zsh" &&
		test_cmp "$TOOL.all" "$TOOL.zsh"
	'

	test_expect_success FISH "$TOOL: fish completion loads, offers every option" '
		fish --no-execute "$SRC/completions/fish/$TOOL.fish" &&
		fish_complete "$TOOL -" >"$TOOL.fish" &&
		test_cmp "$TOOL.all" "$TOOL.fish"
	'

	test_expect_success "$TOOL: no completion ran the program" '
		test_path_is_missing "$TOOL-ran"
	'
}

for c_ in "$SRC"/cmd/gw-*.c; do
	t_=${c_##*/}
	check_tool "${t_%.c}"
done
TOOL=gw-serve
MAN=$MAN8

# --- gw-serve: what its completions offer after an option -----------------------

test_expect_success 'bash: *.json after -c, levels, files after --port-file' '
	bash_complete -c "" >got &&
	printf "a.json\ndir\n" >expect &&
	test_cmp expect got &&
	bash_complete --config "" >got &&
	test_cmp expect got &&
	bash_complete --log-level "" >got &&
	test_cmp levels got &&
	bash_complete --port-file "" >got &&
	printf "a.json\nb.txt\ndir\n" >expect &&
	test_cmp expect got
'

test_expect_success ZSH 'zsh: *.json after -c, levels, files after --port-file' '
	zsh_complete "gw-serve -c " >got &&
	printf "a.json\ndir\n" >expect &&
	test_cmp expect got &&
	zsh_complete "gw-serve --log-level " >got &&
	test_cmp levels got &&
	zsh_complete "gw-serve --port-file " >got &&
	printf "a.json\nb.txt\ndir\n" >expect &&
	test_cmp expect got
'

test_expect_success FISH 'fish: *.json after -c, levels, files after --port-file' '
	fish_complete "gw-serve -c " >got &&
	printf "a.json\ndir/\n" >expect &&
	test_cmp expect got &&
	fish_complete "gw-serve --log-level " >got &&
	test_cmp levels got &&
	fish_complete "gw-serve --port-file " >got &&
	printf "a.json\nb.txt\ndir/\n" >expect &&
	test_cmp expect got
'

test_expect_success 'no completion ran gw-serve' '
	test_path_is_missing gw-serve-ran
'

# --- configuration keys -----------------------------------------------------------

if test_have_prereq LOADER; then
	test_expect_success 'the loader has keys[] arrays' '
		loader_keys >loader.keys &&
		test_line_count -ge 30 loader.keys
	'

	test_expect_success 'gw.conf.5 describes every key the loader takes' '
		man5_keys >man5.keys &&
		test_cmp loader.keys man5.keys
	'

	test_expect_success JSONTOOL 'gw.schema.json has every key the loader takes' '
		schema_keys >schema.keys &&
		test_cmp loader.keys schema.keys
	'
else
	test_skip 'gw.conf.5 and gw.schema.json have the keys of the loader' \
	    "libcore/cfg-parse.c has no keys[] arrays yet"
fi

test_expect_success JSONTOOL 'gw.schema.json is JSON and every key has a description' '
	if ! command -v python3 >/dev/null 2>&1
	then
		jq -r "[.. | objects | .properties? // {} | to_entries[] |
		    select((.value | type) == \"object\" and
		    (.value | has(\"description\") | not)) | .key] | unique[]" \
		    "$SCHEMA" >undescribed
	else
		python3 -c "
import json, sys
bad = set()
def walk(v):
    if isinstance(v, dict):
        for k, p in (v.get(\"properties\") or {}).items():
            if isinstance(p, dict) and \"description\" not in p:
                bad.add(k)
        for x in v.values():
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
walk(json.load(open(sys.argv[1])))
print(\"\n\".join(sorted(bad)))" "$SCHEMA" | sed -e "/^$/d" >undescribed
	fi &&
	test_line_count = 0 undescribed
'

# jq would turn 4611686018427387903 into a double: python only
test_expect_success PYTHON 'the ranges and defaults of the schema are in gw.conf.5' '
	python3 -c "
import json, sys
out = set()
def walk(v):
    if isinstance(v, dict):
        for p in (v.get(\"properties\") or {}).values():
            if isinstance(p, dict) and p.get(\"type\") == \"integer\" and \"default\" in p:
                out.add(\"%s %s %s\" % (p[\"minimum\"], p[\"maximum\"], p[\"default\"]))
        for x in v.values():
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
walk(json.load(open(sys.argv[1])))
print(\"\n\".join(sorted(out)))" "$SCHEMA" >ranges &&
	test_line_count -ge 10 ranges &&
	while read -r min max def
	do
		# shellcheck disable=SC2086
		grep -qi "from $min to $max" "$MAN5" $POLICY_PAGES &&
		# shellcheck disable=SC2086
		grep -Eq "default is $def\\.|default, $def," "$MAN5" \
		    $POLICY_PAGES ||
		{ echo >&2 "gw.conf.5 lacks from $min to $max, default $def"
		  exit 1; }
	done <ranges
'

# --- examples ---------------------------------------------------------------------

test_expect_success 'the EXAMPLES configurations of gw.conf.5 are there' '
	literal_block 1 "$MAN5" >example1.json &&
	literal_block 2 "$MAN5" >example2.json &&
	grep -q "\"routes\"" example1.json &&
	grep -q "\"routes\"" example2.json
'

test_expect_success LOADER 'gw-serve --check takes the EXAMPLES of gw.conf.5' '
	gw-serve --check -c example1.json &&
	gw-serve --check -c example2.json
'

test_expect_success LOADER 'gw-serve --check takes examples/gw.json' '
	gw-serve --check -c "$SRC/examples/gw.json"
'

# validate.py SCHEMA FILE...: check files of JSON with comments against SCHEMA.
cat >"$TEST_DIRECTORY/validate.py" <<'EOF'
import json, sys
import jsonschema

def strip(t):
    out, i, n, ins = [], 0, len(t), False
    while i < n:
        c = t[i]
        if ins:
            out.append(c)
            if c == "\\":
                out.append(t[i + 1])
                i += 2
                continue
            ins = c != '"'
        elif c == '"':
            ins = True
            out.append(c)
        elif t.startswith("//", i):
            j = t.find("\n", i)
            i = n if j < 0 else j
            continue
        elif t.startswith("/*", i):
            j = t.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
rc = 0
for f in sys.argv[2:]:
    doc = json.loads(strip(open(f, encoding="utf-8-sig").read()))
    for e in v.iter_errors(doc):
        print("%s: %s: %s" % (f, "/".join(map(str, e.absolute_path)),
            e.message))
        rc = 1
sys.exit(rc)
EOF

test_expect_success JSONSCHEMA 'the examples are valid by gw.schema.json' '
	python3 validate.py "$SCHEMA" "$SRC/examples/gw.json" example1.json \
	    example2.json
'

test_expect_success JSONSCHEMA 'gw.schema.json refuses what the loader refuses' '
	printf "{ \"workerz\": 2, \"routes\": [] }\n" >typo.json &&
	test_must_fail python3 validate.py "$SCHEMA" typo.json &&
	printf "{ \"routes\": [ { \"proxy\": \"u\", \"static\": {} } ] }\n" \
	    >two.json &&
	test_must_fail python3 validate.py "$SCHEMA" two.json &&
	printf "{ \"upstreams\": { \"u\": { \"targets\": [], \"retries\": 4 } } }\n" \
	    >range.json &&
	test_must_fail python3 validate.py "$SCHEMA" range.json
'

# --- the problem statuses ---------------------------------------------------------

test_expect_success 'gw-serve.8 lists every problem status and slug' '
	grep -ho -e "[0-9]\{3\}, \"[a-z][a-z-]*\"" \
	    -e "== [0-9]\{3\} ? \"[a-z][a-z-]*\"" "$SRC"/libcore/*.c |
	    sed -e "s/^== //" -e "s/[,?]//" -e "s/\"//g" |
	    LC_ALL=C sort -u >slugs &&
	test_line_count -ge 10 slugs &&
	while read -r status slug
	do
		grep -q "^\.It $status Ta $slug Ta" "$MAN8" ||
		{ echo >&2 "gw-serve.8 lacks $status $slug"; exit 1; }
	done <slugs
'

# --- man pages ----------------------------------------------------------------------

test_expect_success MANDOC 'the man pages are clean under mandoc -Tlint -Wwarning' '
	for f in "$SRC"/man/*.[1-9]
	do
		mandoc -Tlint -Wwarning "$f" || exit 1
	done
'

test_done
