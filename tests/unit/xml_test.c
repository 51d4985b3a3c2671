/*
 * xml_test.c: safe parsing, the tree and streaming readers, writing,
 * C14N, XPath, and stylesheets (cache, parameters, errors, security).
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "xml.h"
#include "tap.h"

#include "tmpdir.h"

static int
parses(const char *s, struct gw_err *err)
{
	struct gw_xml_doc *d;

	if (gw_xml_parse(s, strlen(s), NULL, NULL, &d, err) == -1)
		return 0;
	gw_xml_doc_free(d);
	return 1;
}

static void
test_parse(void)
{
	struct gw_xml_doc	*d;
	struct gw_err		 err;
	struct gw_buf		 b;
	struct gw_xml_limits	 lim;

	gw_buf_init(&b, 0);
	ok(gw_xml_parse("<a x='1&amp;2'>t&lt;<b/></a>", 28, "in.xml", NULL,
	    &d, &err) == 0, "a small document parses");
	ok(gw_xml_serialize(d, 0, &b, &err) == 0, "and serialises");
	is_str(gw_buf_cstr(&b, NULL), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "\n<a x=\"1&amp;2\">t&lt;<b/></a>\n", "with a declaration");
	gw_buf_reset(&b);
	ok(gw_xml_serialize(d, GW_XML_NO_DECL, &b, &err) == 0, "without one");
	is_str(gw_buf_cstr(&b, NULL), "<a x=\"1&amp;2\">t&lt;<b/></a>",
	    "no declaration, no final newline");
	is_str(gw_xml_doc_origin(d), "in.xml", "the origin is kept");
	gw_xml_doc_free(d);

	ok(!parses("<a><b></a>", &err), "mismatched tags are refused");
	is_int(err.code, GW_E_PROTO, "as GW_E_PROTO");
	is_str(err.msg, "1:11: opening and ending tag mismatch: b line 1 and a",
	    "with line:col and no origin");
	ok(gw_xml_parse("<a>", 3, "f.xml", NULL, &d, &err) == -1 &&
	    strcmp(err.msg, "f.xml:1:4: premature end of data in element "
	    "'a'") == 0, "a truncated document says so: %s", err.msg);
	ok(!parses("", &err) && strcmp(err.msg, "1:1: document is empty") ==
	    0, "an empty document: %s", err.msg);
	ok(!parses("  \n ", &err), "a blank one too");
	ok(!parses("<a/><b/>", &err) && strstr(err.msg, "extra content") !=
	    NULL, "two roots: %s", err.msg);
	ok(parses("<a><![CDATA[x<y]]></a>", &err), "CDATA reads");
	ok(parses("\xef\xbb\xbf<a/>", &err), "a byte order mark is fine");
	ok(parses("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xe9</a>",
	    &err), "Latin-1 is converted");
	ok(gw_xml_parse("<?xml version=\"1.0\" encoding=\"UTF-7\"?>\n"
	    "<a>\xe2\x8d\x82</a>", 49, "u.xml", NULL, &d, &err) == -1 &&
	    strncmp(err.msg, "u.xml:2:", 8) == 0,
	    "bytes that are not UTF-7: the error says where: %s", err.msg);

	/* an XHTML doctype: still serialised as XML, nothing added */
	ok(gw_xml_parse("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" "
	    "\"x.dtd\"><html xmlns=\"http://www.w3.org/1999/xhtml\"><head/>"
	    "<body><br/><p/></body></html>", 144, NULL, NULL, &d, &err) == 0,
	    "an XHTML document parses: %s", err.msg);
	gw_buf_reset(&b);
	ok(gw_xml_serialize(d, GW_XML_NO_DECL, &b, &err) == 0, "and "
	    "serialises");
	ok(strstr(gw_buf_cstr(&b, NULL), "\"x.dtd\">\n<html xmlns=\"http://"
	    "www.w3.org/1999/xhtml\"><head/><body><br/><p/></body></html>") !=
	    NULL, "as XML, not as XHTML for browsers: %s", gw_buf_cstr(&b, NULL));
	gw_xml_doc_free(d);

	/* entities: refused outright */
	ok(!parses("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", &err) &&
	    strstr(err.msg, "entity declarations are not allowed ('x')") !=
	    NULL, "an internal entity is refused: %s", err.msg);
	ok(!parses("<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
	    "<a>&x;</a>", &err), "an external entity (XXE) is refused");
	ok(!parses("<!DOCTYPE a [<!ENTITY % p SYSTEM \"http://x/\"> %p;]><a/>",
	    &err), "a parameter entity is refused");
	ok(!parses("<!DOCTYPE a [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
	    "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;"
	    "&b;&b;&b;&b;&b;\">]><a>&c;</a>", &err), "a billion laughs, too");
	ok(!parses("<!DOCTYPE a SYSTEM \"http://127.0.0.1:1/x.dtd\"><a>&x;</a>",
	    &err) && strstr(err.msg, "'&x;'") != NULL,
	    "an entity an unloaded DTD would declare: %s", err.msg);
	ok(!parses("<!DOCTYPE a SYSTEM \"x.dtd\"><a b=\"&x;\"/>", &err),
	    "the same in an attribute");
	ok(parses("<!DOCTYPE a SYSTEM \"http://127.0.0.1:1/x.dtd\"><a/>",
	    &err), "a DOCTYPE alone is fine: nothing is fetched");
	ok(parses("<!DOCTYPE a [<!ELEMENT a ANY>]><a>&amp;&#65;</a>", &err),
	    "predefined entities and character references are fine");

	/* limits */
	memset(&lim, 0, sizeof(lim));
	lim.max_depth = 3;
	ok(gw_xml_parse("<a><b><c/></b></a>", 18, NULL, &lim, &d, &err) == 0,
	    "depth 3 of 3");
	gw_xml_doc_free(d);
	ok(gw_xml_parse("<a><b><c><d/></c></b></a>", 25, NULL, &lim, &d,
	    &err) == -1 && err.code == GW_E_LIMIT && strstr(err.msg,
	    "deeper than 3") != NULL, "depth 4 of 3: %s", err.msg);
	lim.max_depth = 0;
	lim.max_bytes = 5;
	ok(gw_xml_parse("<a></a>", 7, NULL, &lim, &d, &err) == -1 &&
	    err.code == GW_E_LIMIT, "over max_bytes");
	{
		char *deep = malloc(20 * 300 + 1);
		size_t n = 0;

		for (int i = 0; i < 300; i++)
			n += (size_t)sprintf(deep + n, "<a>");
		ok(gw_xml_parse(deep, n, NULL, NULL, &d, &err) == -1 &&
		    err.code == GW_E_LIMIT, "the default depth limit: %s",
		    err.msg);
		free(deep);
	}
	gw_buf_release(&b);
}

static void
test_tree(void)
{
	static const char doc[] =
	    "<e:Env xmlns:e=\"urn:e\" xmlns:t=\"urn:t\" xmlns:x=\"urn:x\">\n"
	    "  <e:Body><t:R a=\"1\" x:b=\"2\">one <i>two</i> three"
	    "<q>t:Code</q><!-- c --></t:R></e:Body></e:Env>";
	static const char *const drop[] = { "urn:e", NULL };
	struct gw_xml_doc	*d, *sub;
	struct gw_xml_node	*root, *body, *r, *q;
	struct gw_xml_iter	 it;
	struct gw_xml_attr	 a;
	struct gw_err		 err;
	struct gw_buf		 b;
	const char		*uri, *local, *prefix;
	int			 n = 0;

	gw_buf_init(&b, 0);
	if (gw_xml_parse(doc, sizeof(doc) - 1, NULL, NULL, &d, &err) == -1) {
		ok(0, "parse: %s", err.msg);
		return;
	}
	root = gw_xml_root(d);
	ok(gw_xml_is(root, "urn:e", "Env"), "the root");
	is_str(gw_xml_prefix(root), "e", "its prefix");
	ok(gw_xml_type(gw_xml_first(root)) == GW_XML_TEXT, "first child: text");
	body = gw_xml_first_elem(root);
	ok(gw_xml_is(body, "urn:e", "Body"), "first element child");
	r = gw_xml_first_elem(body);
	ok(gw_xml_is(r, "urn:t", "R") && gw_xml_line(r) == 2, "line numbers");
	ok(gw_xml_parent(r) == body, "parent");
	is_str(gw_xml_attr_get(r, NULL, "a"), "1", "an attribute");
	is_str(gw_xml_attr_get(r, "urn:x", "b"), "2", "a namespaced one");
	ok(gw_xml_attr_get(r, NULL, "b") == NULL, "not without its namespace");
	gw_xml_attr_iter(&it, r);
	while (gw_xml_attr_next(&it, &a))
		n++;
	is_int(n, 2, "attributes iterate");
	ok(gw_xml_content(r, &b, &err) == 0, "content");
	is_str(gw_buf_cstr(&b, NULL), "one two threet:Code", "is the text");
	ok(!gw_xml_is_blank(r) && gw_xml_is_blank(gw_xml_first_elem(
	    gw_xml_first_elem(r)) != NULL ? gw_xml_next_elem(gw_xml_first_elem(
	    r)) : r) == 0, "blank");
	q = gw_xml_next_elem(gw_xml_first_elem(r));
	ok(gw_xml_qname(q, "t:Code", &uri, &local, &err) == 0 &&
	    strcmp(uri, "urn:t") == 0 && strcmp(local, "Code") == 0,
	    "a QName in content resolves");
	ok(gw_xml_qname(q, "zz:Code", &uri, &local, &err) == -1 &&
	    strstr(err.msg, "'zz'") != NULL, "an undeclared prefix does not");
	ok(gw_xml_qname(q, "Code", &uri, &local, &err) == 0 && uri == NULL,
	    "no prefix, no default namespace");
	gw_xml_nsdecl_iter(&it, root);
	n = 0;
	while (gw_xml_nsdecl_next(&it, &prefix, &uri))
		n++;
	is_int(n, 3, "namespace declarations");

	sub = gw_xml_doc_from_node(r, drop, &err);
	ok(sub != NULL, "a node as a document");
	gw_buf_reset(&b);
	ok(gw_xml_serialize(sub, GW_XML_NO_DECL, &b, &err) == 0, "serialised");
	ok(strstr(gw_buf_cstr(&b, NULL), "xmlns:x=\"urn:x\"") != NULL &&
	    strstr(gw_buf_cstr(&b, NULL), "xmlns:t=\"urn:t\"") != NULL &&
	    strstr(gw_buf_cstr(&b, NULL), "urn:e") == NULL, "in-scope namespaces come along, "
	    "dropped ones not: %s", gw_buf_cstr(&b, NULL));
	gw_xml_doc_free(sub);

	gw_buf_reset(&b);
	ok(gw_xml_xpath(d, "count(//t:R/@*)", (const char *const[]){ "t",
	    "urn:t", NULL }, &b, &err) == 0, "XPath");
	is_str(gw_buf_cstr(&b, NULL), "2", "its string value");
	ok(gw_xml_xpath(d, "foo((", NULL, &b, &err) == -1 &&
	    err.code == GW_E_INVAL, "a bad expression: %s", err.msg);
	gw_xml_doc_free(d);
	gw_buf_release(&b);
}

static void
test_c14n(void)
{
	struct gw_xml_doc	*a, *c;
	struct gw_buf		 ba, bc;
	struct gw_err		 err;
	static const char	 x[] = "<r xmlns:p=\"urn:u\" b='2' a='1'>\n  <p:x/>\n"
				    "  <y> t </y>\n</r>";
	static const char	 y[] = "<r a=\"1\" b=\"2\" xmlns:p=\"urn:u\"><p:x>"
				    "</p:x><y> t </y></r>";

	gw_buf_init(&ba, 0);
	gw_buf_init(&bc, 0);
	ok(gw_xml_parse(x, sizeof(x) - 1, NULL, NULL, &a, &err) == 0 &&
	    gw_xml_parse(y, sizeof(y) - 1, NULL, NULL, &c, &err) == 0,
	    "two documents");
	ok(gw_xml_c14n(a, GW_XML_C14N_TRIM, &ba, &err) == 0 &&
	    gw_xml_c14n(c, GW_XML_C14N_TRIM, &bc, &err) == 0, "canonical");
	ok(ba.len == bc.len && memcmp(ba.p, bc.p, ba.len) == 0,
	    "indentation and attribute order aside, the same");
	gw_buf_reset(&ba);
	ok(gw_xml_c14n(a, 0, &ba, &err) == 0 && (ba.len != bc.len ||
	    memcmp(ba.p, bc.p, ba.len) != 0), "without trimming, not");
	gw_xml_doc_free(a);
	gw_xml_doc_free(c);
	gw_buf_release(&ba);
	gw_buf_release(&bc);
}

struct events {
	struct gw_buf	b;
	int		fail_at;
	int		n;
};

static int
ev_start(void *arg, const struct gw_xml_start *e, struct gw_err *err)
{
	struct events *ev = arg;

	if (++ev->n == ev->fail_at)
		return gw_err_set(err, GW_E_PROTO, "stop at %s", e->local);
	(void)gw_buf_printf(&ev->b, NULL, "<%s%s%s|%zu", e->uri != NULL ?
	    e->uri : "", e->uri != NULL ? "|" : "", e->local, e->depth);
	for (size_t i = 0; i < e->nattrs; i++)
		(void)gw_buf_printf(&ev->b, NULL, " %s=%s", e->attrs[i].local,
		    e->attrs[i].value);
	for (size_t i = 0; i < e->nnsdecl; i++)
		(void)gw_buf_printf(&ev->b, NULL, " ns(%s)", e->nsdecl[2 * i] !=
		    NULL ? e->nsdecl[2 * i] : "");
	(void)gw_buf_putc(&ev->b, '>', NULL);
	return 0;
}

static int
ev_end(void *arg, struct gw_err *err)
{
	struct events *ev = arg;

	(void)err;
	return gw_buf_puts(&ev->b, "</>", NULL);
}

static int
ev_text(void *arg, const char *p, size_t len, struct gw_err *err)
{
	struct events *ev = arg;

	(void)err;
	return gw_buf_append(&ev->b, p, len, NULL);
}

static void
test_sax(void)
{
	static const struct gw_xml_handler h = { ev_start, ev_end, ev_text };
	static const char doc[] = "<a xmlns=\"u\" xmlns:p=\"v\" x=\"1&amp;2&lt;\""
	    "><p:b y='&#38;'>t&amp;<![CDATA[<c>]]></p:b>\n</a>";
	struct events	ev;
	struct gw_err	err;

	memset(&ev, 0, sizeof(ev));
	gw_buf_init(&ev.b, 0);
	ok(gw_xml_sax(doc, sizeof(doc) - 1, NULL, NULL, &h, &ev, &err) == 0,
	    "streaming");
	is_str(gw_buf_cstr(&ev.b, NULL), "<u|a|1 x=1&2< ns() ns(p)><v|b|2 y=&>"
	    "t&<c></>\n</>", "events, attributes decoded, CDATA as text");
	gw_buf_reset(&ev.b);
	ev.n = 0;
	ev.fail_at = 2;
	ok(gw_xml_sax(doc, sizeof(doc) - 1, "d.xml", NULL, &h, &ev, &err) ==
	    -1, "a callback stops it");
	is_str(err.msg, "d.xml:1:56: stop at b", "with its message, placed");
	ev.fail_at = 0;
	ok(gw_xml_sax("<a>&x;</a>", 10, NULL, NULL, &h, &ev, &err) == -1,
	    "entities are refused when streaming too");
	ok(gw_xml_sax("<!DOCTYPE a [<!ENTITY x 'y'>]><a/>", 34, NULL, NULL, &h,
	    &ev, &err) == -1, "and their declarations");
	gw_buf_release(&ev.b);
}

static void
test_chars(void)
{
	struct gw_buf b;

	gw_buf_init(&b, 0);
	ok(gw_xml_valid_chars("a\tb\n\r\xc3\xa9\xf0\x9f\x98\x80", 11),
	    "text XML allows");
	ok(!gw_xml_valid_chars("a\x01", 2), "a control character is not");
	ok(!gw_xml_valid_chars("\xef\xbf\xbe", 3), "nor U+FFFE");
	ok(!gw_xml_valid_chars("\xff", 1), "nor bad UTF-8");
	ok(gw_xml_valid_name("a.b-c_d", 7, 0) && gw_xml_valid_name("p:a", 3, 1),
	    "names");
	ok(!gw_xml_valid_name("p:a", 3, 0) && !gw_xml_valid_name("1a", 2, 0) &&
	    !gw_xml_valid_name(":a", 2, 1) && !gw_xml_valid_name("a:", 2, 1) &&
	    !gw_xml_valid_name("a:b:c", 5, 1) && !gw_xml_valid_name("", 0, 0),
	    "not names");
	ok(gw_xml_escape_append(&b, "<&>\"\r\t\n", 7, 1, NULL) == 0, "escape");
	is_str(gw_buf_cstr(&b, NULL), "&lt;&amp;&gt;&quot;&#13;&#9;&#10;",
	    "attribute escapes");
	gw_buf_reset(&b);
	(void)gw_xml_escape_append(&b, "<&>\"\r\t\n", 7, 0, NULL);
	is_str(gw_buf_cstr(&b, NULL), "&lt;&amp;&gt;\"&#13;\t\n", "text escapes");
	gw_buf_release(&b);
}

static char *msgs;

static void
on_msg(void *arg, const char *text)
{
	size_t n = msgs != NULL ? strlen(msgs) : 0;

	(void)arg;
	msgs = realloc(msgs, n + strlen(text) + 2);
	(void)sprintf(msgs + n, "%s|", text);
}

static int
apply(struct gw_xslt *x, const char *in, const struct gw_xslt_param *p,
    size_t np, struct gw_buf *out, struct gw_err *err)
{
	struct gw_xml_doc	*d, *r;
	int			 rc = -1;

	if (gw_xml_parse(in, strlen(in), NULL, NULL, &d, err) == -1)
		return -1;
	if (gw_xslt_apply(x, d, p, np, &r, err) == 0) {
		rc = gw_xslt_serialize(x, r, out, err);
		gw_xml_doc_free(r);
	}
	gw_xml_doc_free(d);
	return rc;
}

#define XSL_HEAD "<xsl:stylesheet version=\"1.0\" " \
    "xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">"

static void
test_xslt(void)
{
	struct gw_xslt		*x, *y;
	struct gw_err		 err;
	struct gw_buf		 b;
	struct gw_xslt_param	 p[3];
	struct timeval		 tv[2];
	char			 path[PATH_MAX * 3];

	gw_buf_init(&b, 0);
	gw_xslt_set_message_fn(on_msg, NULL);
	put("id.xsl", XSL_HEAD "<xsl:param name=\"s\"/><xsl:param name=\"e\"/>"
	    "<xsl:template match=\"/\"><r s=\"{$s}\" e=\"{$e}\">"
	    "<xsl:value-of select=\"a\"/></r><xsl:message>seen "
	    "<xsl:value-of select=\"a\"/></xsl:message></xsl:template>"
	    "</xsl:stylesheet>\n");
	ok(gw_xslt_load(at("id.xsl"), 0, &x, &err) == 0, "a stylesheet loads");
	p[0].name = "s";
	p[0].value = "it's \"quoted\"";
	p[0].literal = 1;
	p[1].name = "e";
	p[1].value = "1 + 2";
	p[1].literal = 0;
	ok(apply(x, "<a>v</a>", p, 2, &b, &err) == 0, "and runs");
	is_str(gw_buf_cstr(&b, NULL), "<?xml version=\"1.0\"?>\n<r s=\"it's "
	    "&quot;quoted&quot;\" e=\"3\">v</r>\n",
	    "string and XPath parameters, serialised as xsl:output says");
	is_str(msgs, "seen v|", "xsl:message text reaches the message function");
	is_str(gw_xslt_method(x), "xml", "method");
	is_str(gw_xslt_media_type(x), "application/xml", "media type");
	ok(gw_xslt_load(at("id.xsl"), 0, &y, &err) == 0 && y == x,
	    "loading it again finds it in the cache");
	is_int(gw_xslt_cache_size(), 1, "one entry");
	gw_xslt_unref(y);
	/* a change on disk makes a new compilation */
	(void)snprintf(path, sizeof(path), "%s", at("id.xsl"));
	tv[0].tv_sec = tv[1].tv_sec = 1000000000;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	(void)utimes(path, tv);
	ok(gw_xslt_load(at("id.xsl"), 0, &y, &err) == 0 && y != x,
	    "a changed file compiles again");
	is_int(gw_xslt_cache_size(), 2, "the old one stays while it is used");
	gw_xslt_unref(x);
	is_int(gw_xslt_cache_size(), 1, "and goes with its last reference");
	gw_xslt_unref(y);
	is_int(gw_xslt_cache_size(), 0, "the cache is empty");

	put("text.xsl", XSL_HEAD "<xsl:output method=\"text\"/>"
	    "<xsl:template match=\"/\">{\"a\":\"<xsl:value-of select=\"a\"/>\"}"
	    "</xsl:template></xsl:stylesheet>\n");
	gw_buf_reset(&b);
	ok(gw_xslt_load(at("text.xsl"), 0, &x, &err) == 0 &&
	    apply(x, "<a>v</a>", NULL, 0, &b, &err) == 0, "a text stylesheet");
	is_str(gw_buf_cstr(&b, NULL), "{\"a\":\"v\"}", "writes text");
	is_str(gw_xslt_media_type(x), "text/plain", "as text/plain");
	gw_xslt_unref(x);

	/* errors as file:line: message */
	put("bad.xsl", XSL_HEAD "\n<xsl:template match=\"/\">\n<xsl:value-of "
	    "select=\"foo((\"/>\n</xsl:template></xsl:stylesheet>\n");
	ok(gw_xslt_load(at("bad.xsl"), 0, &x, &err) == -1 &&
	    err.code == GW_E_CONFIG, "a bad expression fails to compile");
	(void)snprintf(path, sizeof(path), "%.4096s:3: xsl:value-of : could "
	    "not compile select expression 'foo(('", at("bad.xsl"));
	ok(strncmp(err.msg, path, strlen(path)) == 0, "as file:line: %s",
	    err.msg);
	put("nwf.xsl", XSL_HEAD "<xsl:template match=\"/\"><x>\n"
	    "</xsl:template></xsl:stylesheet>\n");
	ok(gw_xslt_load(at("nwf.xsl"), 0, &x, &err) == -1 &&
	    strstr(err.msg, "nwf.xsl:2:") != NULL, "not well-formed: %s",
	    err.msg);
	ok(gw_xslt_load(at("missing.xsl"), 0, &x, &err) == -1 &&
	    err.code == GW_E_NOTFOUND, "a missing file");
	put("term.xsl", XSL_HEAD "<xsl:template match=\"/\"><xsl:message "
	    "terminate=\"yes\">no <xsl:value-of select=\"name(*)\"/>"
	    "</xsl:message></xsl:template></xsl:stylesheet>\n");
	ok(gw_xslt_load(at("term.xsl"), 0, &x, &err) == 0 &&
	    apply(x, "<a/>", NULL, 0, &b, &err) == -1 && err.code ==
	    GW_E_PROTO && strstr(err.msg, "terminated by xsl:message: no a") !=
	    NULL, "a terminating message fails the run: %s", err.msg);
	gw_xslt_unref(x);
	put("var.xsl", XSL_HEAD "<xsl:template match=\"/\">\n<xsl:value-of "
	    "select=\"$nope\"/></xsl:template></xsl:stylesheet>\n");
	ok(gw_xslt_load(at("var.xsl"), 0, &x, &err) == 0 &&
	    apply(x, "<a/>", NULL, 0, &b, &err) == -1 && strstr(err.msg,
	    "var.xsl:2: variable 'nope' has not been declared") != NULL,
	    "a run-time error: %s", err.msg);
	gw_xslt_unref(x);

	/* security */
	put("data.xml", "<d>inside</d>");
	put("doc.xsl", XSL_HEAD "<xsl:param name=\"f\"/><xsl:template "
	    "match=\"/\"><r><xsl:value-of select=\"document($f)\"/></r>"
	    "</xsl:template></xsl:stylesheet>\n");
	ok(gw_xslt_load(at("doc.xsl"), 0, &x, &err) == 0, "document()");
	p[0].name = "f";
	p[0].value = at("data.xml");
	p[0].literal = 1;
	gw_buf_reset(&b);
	ok(apply(x, "<a/>", p, 1, &b, &err) == 0 && strstr(gw_buf_cstr(&b, NULL), "inside") !=
	    NULL, "reads a file beside the stylesheet");
	p[0].value = "/etc/hostname";
	ok(apply(x, "<a/>", p, 1, &b, &err) == -1 && strstr(err.msg,
	    "refused") != NULL, "not one outside its folder: %s", err.msg);
	p[0].value = "http://127.0.0.1:1/x.xml";
	ok(apply(x, "<a/>", p, 1, &b, &err) == -1 && strstr(err.msg,
	    "refused") != NULL, "nor the network: %s", err.msg);
	gw_xslt_unref(x);
	ok(gw_xslt_load(at("doc.xsl"), GW_XSLT_READ_ANY, &x, &err) == 0,
	    "with GW_XSLT_READ_ANY");
	p[0].value = "/proc/self/status";
	gw_err_clear(&err);
	ok(apply(x, "<a/>", p, 1, &b, &err) == 0 || strstr(err.msg,
	    "refused") == NULL, "the read is allowed (it fails as not XML): %s",
	    err.msg);
	gw_xslt_unref(x);
	put("xxe.xml", "<!DOCTYPE d [<!ENTITY x SYSTEM \"/etc/passwd\">]><d>&x;"
	    "</d>");
	ok(gw_xslt_load(at("doc.xsl"), 0, &x, &err) == 0, "document() again");
	p[0].value = at("xxe.xml");
	ok(apply(x, "<a/>", p, 1, &b, &err) == -1 || strstr(gw_buf_cstr(&b, NULL), "root:") ==
	    NULL, "documents it reads are parsed safely");
	gw_xslt_unref(x);
	put("write.xsl", "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://"
	    "www.w3.org/1999/XSL/Transform\" xmlns:exsl=\"http://exslt.org/"
	    "common\" extension-element-prefixes=\"exsl\"><xsl:template "
	    "match=\"/\"><exsl:document href=\"written.txt\">x</exsl:document>"
	    "<ok/></xsl:template></xsl:stylesheet>\n");
	ok(gw_xslt_load(at("write.xsl"), 0, &x, &err) == 0 &&
	    apply(x, "<a/>", NULL, 0, &b, &err) == -1 && strstr(err.msg,
	    "refused") != NULL, "writing a file is refused: %s", err.msg);
	ok(access(at("written.txt"), F_OK) == -1, "and nothing was written");
	gw_xslt_unref(x);
	(void)snprintf(path, sizeof(path), "%s/sub", dir);
	(void)mkdir(path, 0700);
	put("sub/imp.xsl", XSL_HEAD "<xsl:import href=\"../id.xsl\"/>"
	    "</xsl:stylesheet>\n");
	ok(gw_xslt_load(at("sub/imp.xsl"), 0, &x, &err) == -1 &&
	    strstr(err.msg, "denied") != NULL,
	    "importing from outside the folder is refused: %s", err.msg);
	ok(gw_xslt_load(at("sub/imp.xsl"), GW_XSLT_READ_ANY, &x, &err) == 0,
	    "unless allowed");
	gw_xslt_unref(x);
	put("imp2.xsl", XSL_HEAD "<xsl:import href=\"sub/inc.xsl\"/>"
	    "</xsl:stylesheet>\n");
	put("sub/inc.xsl", XSL_HEAD "<xsl:template match=\"/\"><one/>"
	    "</xsl:template></xsl:stylesheet>\n");
	gw_buf_reset(&b);
	ok(gw_xslt_load(at("imp2.xsl"), 0, &x, &err) == 0 &&
	    apply(x, "<a/>", NULL, 0, &b, &err) == 0 && strstr(gw_buf_cstr(&b, NULL), "<one/>") !=
	    NULL, "importing from below the folder works");
	/* a change in an imported file is a change of the stylesheet */
	tv[0].tv_sec = tv[1].tv_sec = 1000000000;
	(void)snprintf(path, sizeof(path), "%s", at("sub/inc.xsl"));
	(void)utimes(path, tv);
	ok(gw_xslt_load(at("imp2.xsl"), 0, &y, &err) == 0 && y != x,
	    "a changed import compiles the stylesheet again");
	gw_xslt_unref(x);
	gw_xslt_unref(y);

	{
		static const char text[] = XSL_HEAD "<xsl:template match=\"/\">"
		    "<t/></xsl:template></xsl:stylesheet>";

		ok(gw_xslt_parse(text, sizeof(text) - 1, "mem", 0, &x,
		    &err) == 0, "a stylesheet from memory: %s", err.msg);
	}
	gw_xslt_unref(x);
	gw_buf_release(&b);
	free(msgs);
}

int
main(void)
{
	tmpdir_make("gw-xml-test");
	test_parse();
	test_tree();
	test_c14n();
	test_sax();
	test_chars();
	test_xslt();
	tmpdir_remove();
	return done_testing();
}
