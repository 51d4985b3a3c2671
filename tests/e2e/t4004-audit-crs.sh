#!/bin/sh
test_description='gw-audit and the default rules against the OWASP CRS regression tests'
. "$(dirname "$0")/lib.sh"

test_skip_unless_cmd gw-audit python3

CORPORA=${GW_CORPORA:-$GW_SRCDIR/../shared/corpora}
CRS=$CORPORA/crs-regression/tests
RULES=$GW_SRCDIR/audit/default.rules
REPLAY=$GW_SRCDIR/tests/helpers/gw-audit-crs.py

test -d "$CRS" || test_skip_all "no CRS regression tests in $CRS"
python3 -c 'import yaml' 2>/dev/null ||
    test_skip_all "python3 has no yaml module (python3-yaml)"

test_expect_success 'detection floors at paranoia level 1, and few false positives' '
	python3 "$REPLAY" -a gw-audit -r "$RULES" -p 1 \
	    --min-detect 930=90 --min-detect 931=50 --min-detect 932=48 \
	    --min-detect 933=72 --min-detect 934=50 --min-detect 941=80 \
	    --min-detect 942=35 --min-detect 944=85 --max-fp 16 \
	    "$CRS" >level1.txt &&
	cat level1.txt | sed -e "s/^/# /" >&2
'

test_expect_success 'higher paranoia levels detect more' '
	python3 "$REPLAY" -a gw-audit -r "$RULES" -p 1,4 --json "$CRS" \
	    >levels.json &&
	python3 -c "import json, sys
r = json.load(open(sys.argv[1]))
d1 = sum(v[1] for v in r[\"1\"].values())
d4 = sum(v[1] for v in r[\"4\"].values())
print(d1, d4)
sys.exit(0 if d4 > d1 else 1)" levels.json
'

# The requests of the whole suite, scanned with and without the
# prefilter: a literal that a match may lack would show here.
test_expect_success 'the prefilters of default.rules are sound on every CRS request' '
	python3 - "$CRS" <<-\EOF &&
	import importlib.util, os, sys
	spec = importlib.util.spec_from_file_location("crs",
	    os.environ["GW_SRCDIR"] + "/tests/helpers/gw-audit-crs.py")
	crs = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(crs)
	os.makedirs("reqs", exist_ok=True)
	for n, c in enumerate(crs.load(sys.argv[1], set())):
	    with open("reqs/%05d.http" % n, "wb") as fp:
	        fp.write(c[4])
	EOF
	ls reqs >list &&
	test_line_count -ge 4000 list &&
	(cd reqs && gw-audit -f http -j -p 4 -r "$RULES" *.http >../with.json;
	    test $? -le 65) &&
	(cd reqs && gw-audit -f http -j -p 4 --no-prefilter -r "$RULES" \
	    *.http >../without.json; test $? -le 65) &&
	test_cmp with.json without.json
'

test_done
