#!/bin/sh
# audit-bench.sh: how fast gw-audit scans, side by side with what the
# issue asks it to be compared with.  Run from the top of the tree after
# "make":
#
#	sh bench/audit-bench.sh [BUILD]
#
#  1. mixed requests (the OWASP CRS regression requests of families 930 to
#     944, attacks and clean ones, plus JSON, XML and form bodies of 8 KiB,
#     benign and hostile), through gw-audit's scanner and libmodsecurity 3
#     with Debian's CRS in one process (bench/audit-bench.c), at paranoia
#     level 1: requests/s, MB/s, detection;
#  2. the time one scan of a 1 KiB JSON request takes, which is what the
#     audit policy adds to a proxied request;
#  3. the rule matcher against the number of rules: N generated rules on
#     20 MB of text, with the prefilter, without it, and grep -E -f with
#     the same patterns;
#  4. the structure scanners on large documents: gw-audit (limits only)
#     against xmllint --stream and python3's json module.
#
# Needs python3 with yaml for the CRS requests, libmodsecurity-dev and
# modsecurity-crs for the ModSecurity column (left out without them).
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-build}
CRS=${GW_CORPORA:-../shared/corpora}/crs-regression/tests
TMP=$(mktemp -d "${TMPDIR:-/tmp}/audit-bench.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
GWA=$BUILD/gw-audit
RULES=audit/default.rules
test -x "$GWA" || { echo "no $GWA: run make first" >&2; exit 1; }

# --- 1. mixed requests ------------------------------------------------------
mkdir -p "$TMP/reqs"
python3 - "$CRS" "$TMP/reqs" <<'PY' || exit 1
import importlib.util, os, sys, random
spec = importlib.util.spec_from_file_location("crs", "tests/helpers/gw-audit-crs.py")
crs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(crs)
out = sys.argv[2]
n = 0
for fam, rule, tid, kind, req in crs.load(sys.argv[1], set(
        "930 931 932 933 934 941 942 944".split())):
    with open(os.path.join(out, "%s-%s-%05d" % ("a" if kind == "attack" else "c", fam, n)), "wb") as fp:
        fp.write(req)
    n += 1
random.seed(7)
words = "alpha beta gamma delta order item price name city street note".split()
def req(ctype, body):
    return (("POST /api/items HTTP/1.1\r\nHost: shop.example\r\n"
             "User-Agent: Mozilla/5.0\r\nContent-Type: %s\r\n"
             "Content-Length: %d\r\n\r\n") % (ctype, len(body))).encode() + body
for i in range(50):
    items = ",".join('{"id":%d,"name":"%s %s","price":%d.%02d,"tags":["%s","%s"]}' % (
        j, random.choice(words), random.choice(words), j, j % 100,
        random.choice(words), random.choice(words)) for j in range(80))
    js = ('{"order":%d,"items":[%s]}' % (i, items)).encode()
    xml = ("<order id='%d'>%s</order>" % (i, "".join(
        "<item id='%d'><name>%s %s</name><price>%d</price></item>" % (
        j, random.choice(words), random.choice(words), j) for j in range(120)))).encode()
    form = "&".join("f%d=%s+%s" % (j, random.choice(words), random.choice(words))
                    for j in range(150)).encode()
    bad = random.choice(["1' OR '1'='1", "<script>alert(1)</script>",
                         "; cat /etc/passwd", "${jndi:ldap://x/a}",
                         "../../../../etc/shadow", "{{7*7}}"])
    for kind, b in (("c", js), ("a", js.replace(b'"alpha', ('"' + bad.replace('"', '\\"')).encode(), 1))):
        open(os.path.join(out, "%s-gen-json-%02d" % (kind, i)), "wb").write(req("application/json", b))
    xbad = bad.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;")
    for kind, b in (("c", xml), ("a", xml.replace(b"<name>", ("<name>" + xbad).encode(), 1))):
        open(os.path.join(out, "%s-gen-xml-%02d" % (kind, i)), "wb").write(req("application/xml", b))
    from urllib.parse import quote_plus
    for kind, b in (("c", form), ("a", form.replace(b"f3=", ("f3=" + quote_plus(bad)).encode(), 1))):
        open(os.path.join(out, "%s-gen-form-%02d" % (kind, i)), "wb").write(
            req("application/x-www-form-urlencoded", b))
PY
if pkg-config --exists modsecurity 2>/dev/null &&
    test -f /usr/share/modsecurity-crs/owasp-crs.load; then
	MS_CFLAGS=$(pkg-config --cflags modsecurity)
	MS_LIBS=$(pkg-config --libs modsecurity)
	MS_DEF=
else
	echo "(no libmodsecurity-dev or modsecurity-crs: gw-audit alone)"
	MS_CFLAGS=''
	MS_LIBS=''
	MS_DEF=-DNO_MODSEC
fi
PKGS="libcurl json-c libsystemd openssl libxml-2.0 libxslt libexslt libpcre2-8 hiredis"
# shellcheck disable=SC2046,SC2086
cc -O2 -g -std=c11 -D_GNU_SOURCE $MS_DEF -Ilibcore $(pkg-config --cflags $PKGS) \
    $MS_CFLAGS -o "$TMP/audit-bench" bench/audit-bench.c "$BUILD/libcore.a" \
    $(pkg-config --libs $PKGS) $MS_LIBS -lhttp_parser -lcrypt -lm || exit 1
echo "== 1. mixed requests, one process, alternating rounds"
"$TMP/audit-bench" -p 1 -s 10 "$RULES" "$TMP/reqs"

# --- 2. one 1 KiB JSON request -------------------------------------------------
echo
echo "== 2. one scan of a 1 KiB JSON request (what the audit policy adds)"
python3 - "$TMP/one" <<'PY'
import os, sys, json
os.makedirs(sys.argv[1], exist_ok=True)
body = json.dumps({"customer": {"name": "Ada Lovelace", "email": "ada@example.org",
    "address": {"street": "12 Analytical Row", "city": "London", "zip": "N1 9GU"}},
    "items": [{"sku": "SKU-%04d" % i, "qty": i % 3 + 1, "note": "gift wrap, please"}
              for i in range(12)], "coupon": "WINTER-2026"}).encode()
body = body[:1024] if len(body) > 1024 else body + b" " * (1024 - len(body))
head = ("POST /api/orders?src=web HTTP/1.1\r\nHost: shop.example\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: application/json\r\n"
        "Cookie: session=4f2a9c; lang=en\r\nContent-Type: application/json\r\n"
        "Content-Length: %d\r\n\r\n" % len(body)).encode()
open(os.path.join(sys.argv[1], "c-order"), "wb").write(head + body)
PY
# alone: in rounds of one request beside ModSecurity, its caches would
# be cold every time
"$TMP/audit-bench" -g -p 1 -s 3 "$RULES" "$TMP/one" | sed -n '2,3p'

# --- 3. the rule matcher against the number of rules -------------------------------
echo
echo "== 3. N rules on 20 MB of text: gw-audit with prefilter, without, grep -E -f"
python3 - "$TMP" <<'PY'
import random, sys
random.seed(3)
vocab = ["w%04d" % i for i in range(5000)] + "the of and to in is that it for on".split() * 200
with open(sys.argv[1] + "/text", "w") as fp:
    size = 0
    while size < 20 * 1024 * 1024:
        line = " ".join(random.choice(vocab) for _ in range(14)) + "\n"
        fp.write(line)
        size += len(line)
for n in (10, 100, 1000):
    with open("%s/rules.%d" % (sys.argv[1], n), "w") as r, \
         open("%s/grep.%d" % (sys.argv[1], n), "w") as g:
        for i in range(n):
            word = "x%05d" % (i * 7)
            r.write("rule r%d\n targets text\n prefilter %s\n pattern \\b%s[0-9]?\\b\n" % (i, word, word))
            g.write("\\b%s[0-9]?\\b\n" % word)
PY
printf "%-6s %14s %14s %14s\n" rules "prefilter" "no prefilter" "grep -E -f"
for n in 10 100 1000; do
	a=$( { /usr/bin/time -f '%U %S' "$GWA" -q -f text --max-bytes 0 -r "$TMP/rules.$n" "$TMP/text"; } 2>&1 | tail -n 1)
	b=$( { /usr/bin/time -f '%U %S' "$GWA" -q -f text --max-bytes 0 --no-prefilter -r "$TMP/rules.$n" "$TMP/text"; } 2>&1 | tail -n 1)
	c=$( { /usr/bin/time -f '%U %S' grep -E -c -f "$TMP/grep.$n" "$TMP/text" >/dev/null; } 2>&1 | tail -n 1)
	rate() { echo "20.97 $1" | awk '{ t = $2 + $3; print $1 / (t > 0 ? t : 0.01) }'; }
	printf "%-6s %9.0f MB/s %9.0f MB/s %9.0f MB/s\n" "$n" \
	    "$(rate "$a")" "$(rate "$b")" "$(rate "$c")"
done

# --- 4. structure scanners on large documents -------------------------------------
echo
echo "== 4. large documents, limits only"
{ printf "<a>"; yes "<b c=\"d\">text and more &amp; <![CDATA[x]]></b>" | head -n 1000000; printf "</a>"; } >"$TMP/big.xml"
{ printf "["; yes "\"abcdefghij\", {\"k\": [1.5e3, true, null]}," | head -n 1000000; printf "0]"; } >"$TMP/big.json"
# MB/s of CPU time (user and system), not of wall time: the machine is shared
mb() { echo "$(wc -c <"$1") $2" | awk '{ t = $2 + $3; printf "%.0f MB/s", $1 / 1e6 / (t > 0 ? t : 0.01) }'; }
t=$( { /usr/bin/time -f '%U %S' "$GWA" -q --max-bytes 0 --max-xml-children 0 --max-xml-nodes 0 "$TMP/big.xml"; } 2>&1 | tail -n 1)
echo "gw-audit XML:            $(mb "$TMP/big.xml" "$t")"
if command -v xmllint >/dev/null 2>&1; then
	t=$( { /usr/bin/time -f '%U %S' xmllint --stream --noout "$TMP/big.xml"; } 2>&1 | tail -n 1)
	echo "xmllint --stream:        $(mb "$TMP/big.xml" "$t")"
fi
t=$( { /usr/bin/time -f '%U %S' "$GWA" -q --max-bytes 0 --max-json-items 0 "$TMP/big.json"; } 2>&1 | tail -n 1)
echo "gw-audit JSON:           $(mb "$TMP/big.json" "$t")"
t=$( { /usr/bin/time -f '%U %S' python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$TMP/big.json"; } 2>&1 | tail -n 1)
echo "python3 json.load:       $(mb "$TMP/big.json" "$t")"
