/*
 * jsonxml_test.c: JSON <-> XML, lossless (fn:json-to-xml) and friendly.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "jcheck.h"
#include "json.h"
#include "jsonxml.h"
#include "xml.h"
#include "tap.h"

#include "tmpdir.h"

/* json -> xml -> json; returns the final text (static) or NULL. */
static const char *
round_trip(const char *json, size_t len, enum gw_jx_dup dup, unsigned flags,
    struct gw_err *err)
{
	static struct gw_buf	back;
	struct gw_buf		x;
	struct gw_jx_opts	o;

	memset(&o, 0, sizeof(o));
	o.dup = dup;
	o.flags = flags;
	gw_buf_init(&x, 0);
	gw_buf_release(&back);
	gw_buf_init(&back, 0);
	if (gw_jx_json_to_xml(json, len, &o, &x, err) == -1)
		goto fail;
	o.flags = 0;	/* the XML indented, the JSON compact */
	if (gw_jx_xml_to_json(x.p, x.len, &o, &back, err) == -1) {
 fail:
		gw_buf_release(&x);
		return NULL;
	}
	gw_buf_release(&x);
	return gw_buf_cstr(&back, NULL);
}

static const char *
norm(const char *json, size_t len, enum gw_jx_dup dup)
{
	static struct gw_buf	b;
	struct gw_jx_opts	o;

	memset(&o, 0, sizeof(o));
	o.dup = dup;
	gw_buf_release(&b);
	gw_buf_init(&b, 0);
	if (gw_jx_json_normalize(json, len, &o, &b, NULL) == -1)
		return "(error)";
	return gw_buf_cstr(&b, NULL);
}

static void
test_lossless(void)
{
	static const struct {
		const char	*json;
		size_t		 len;
	} cases[] = {
		{ "{\"n\":[1.0,1e400,-0,0.1e-5,-12E+3,123456789012345678901]}",
		    0 },
		{ "[[],[{}],[1],{\"\":\"\"}]", 0 },
		{ "{\"a b\":1,\"<&>\\\"'\":2,\"\\u00e9t\\u00e9\":\"\\ud83d\\ude00"
		    "\"}", 0 },
		{ "[\"tab\\tnl\\ncr\\rend\",\"\\u0001\\u001f\",\"a\\\\b\"]", 0 },
		{ "{\"\\u0007key\":\"\\uffff\\ufffe\"}", 0 },
		{ "[\"nul\\u0000in\"]", 0 },
		{ "\"top\"", 0 },
		{ "42", 0 },
		{ "null", 0 },
		{ "[true,false,null]", 0 },
		{ "{\"k\\u0000\":[\"]]>\"]}", 0 },
	};
	struct gw_err	err;
	struct gw_buf	x;
	const char	*got;

	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		size_t len = cases[i].len > 0 ? cases[i].len :
		    strlen(cases[i].json);

		got = round_trip(cases[i].json, len, GW_JX_DUP_REJECT, 0, &err);
		ok(got != NULL, "round trip %zu: %s", i, got == NULL ? err.msg :
		    "");
		is_str(got, norm(cases[i].json, len, GW_JX_DUP_REJECT),
		    "comes back exactly: %s", cases[i].json);
		got = round_trip(cases[i].json, len, GW_JX_DUP_REJECT,
		    GW_JX_INDENT, &err);
		is_str(got != NULL ? got : "", norm(cases[i].json, len,
		    GW_JX_DUP_REJECT), "indented XML too");
	}
	gw_buf_init(&x, 0);
	ok(gw_jx_json_to_xml("{\"a\":[1,\"x\\u0001\"],\"b\\u0002\":null}", 34,
	    NULL, &x, &err) == 0, "json to xml");
	is_str(gw_buf_cstr(&x, NULL), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "\n<map xmlns=\"http://www.w3.org/2005/xpath-functions\"><array "
	    "key=\"a\"><number>1</number><string escaped=\"true\">x\\u0001"
	    "</string></array><null key=\"b\\u0002\" escaped-key=\"true\"/>"
	    "</map>\n", "in the fn:json-to-xml representation, escaped where "
	    "XML cannot carry a character");
	gw_buf_reset(&x);
	ok(gw_jx_json_to_xml("{\"a\":1,\n\"a\":2}", 15, NULL, &x, &err) == -1 &&
	    err.code == GW_E_PROTO, "duplicate keys are refused");
	is_str(err.msg, "2:1: duplicate key 'a'", "at the second key");
	is_int(x.len, 0, "and nothing is left in the output");
	is_str(round_trip("{\"a\":1,\"b\":{\"x\":[1]},\"a\":{\"c\":2},\"b\":3}",
	    39, GW_JX_DUP_FIRST, 0, &err), "{\"a\":1,\"b\":{\"x\":[1]}}\n",
	    "the first of duplicates kept");
	is_str(round_trip("{\"a\":1,\"a\":2}", 13, GW_JX_DUP_ALL, 0, &err),
	    "{\"a\":1,\"a\":2}\n", "or all of them");
	ok(gw_jx_json_to_xml("[1,]", 4, NULL, &x, &err) == -1 &&
	    strcmp(err.msg, "1:4: trailing comma before ']'") == 0,
	    "bad JSON: %s", err.msg);
	{
		struct gw_jx_opts o;

		memset(&o, 0, sizeof(o));
		o.origin = "in.json";
		ok(gw_jx_json_to_xml("{", 1, &o, &x, &err) == -1 &&
		    strncmp(err.msg, "in.json:", 8) == 0, "named input: %s",
		    err.msg);
	}
	gw_buf_release(&x);
}

static const char *
x2j(const char *xml, enum gw_jx_dup dup, struct gw_err *err)
{
	static struct gw_buf	b;
	struct gw_jx_opts	o;

	memset(&o, 0, sizeof(o));
	o.dup = dup;
	gw_buf_release(&b);
	gw_buf_init(&b, 0);
	if (gw_jx_xml_to_json(xml, strlen(xml), &o, &b, err) == -1)
		return NULL;
	return gw_buf_cstr(&b, NULL);
}

#define FN "xmlns=\"http://www.w3.org/2005/xpath-functions\""

static void
test_xml_to_json(void)
{
	static const struct {
		const char *xml, *want;
	} good[] = {
		{ "<map " FN "><number key=\"n\"> 1.50 </number><boolean "
		    "key=\"b\">1</boolean><boolean key=\"c\"> false"
		    "</boolean><null key=\"z\"> </null></map>",
		    "{\"n\":1.50,\"b\":true,\"c\":false,\"z\":null}\n" },
		{ "<array " FN ">\n  <string escaped=\"true\">a\\u0041\\\\"
		    "\\n\\ud83d\\ude00</string>\n  <string>\\n</string>\n"
		    "</array>", "[\"aA\\\\\\n\xf0\x9f\x98\x80\",\"\\\\n\"]\n" },
		{ "<f:map xmlns:f=\"http://www.w3.org/2005/xpath-functions\" "
		    "xmlns:o=\"urn:o\" o:x=\"ignored\"><f:string key=\"k\\u0041\" "
		    "escaped-key=\"true\">v</f:string></f:map>",
		    "{\"kA\":\"v\"}\n" },
		{ "<string " FN "><!-- c -->a<?pi?>b</string>", "\"ab\"\n" },
	};
	static const struct {
		const char *xml, *msg;
	} bad[] = {
		{ "<map><string key=\"a\">x</string></map>", "not in the "
		    "namespace" },
		{ "<map " FN "><thing key=\"a\"/></map>", "unknown element "
		    "'thing'" },
		{ "<map " FN ">text</map>", "text in a map" },
		{ "<map " FN "><string>x</string></map>", "has no key" },
		{ "<array " FN "><string key=\"a\">x</string></array>", "in an "
		    "array has a key" },
		{ "<number " FN " key=\"a\">1</number>", "at the top has a key" },
		{ "<number " FN ">1.</number>", "not a JSON number" },
		{ "<number " FN ">NaN</number>", "not a JSON number" },
		{ "<number " FN "></number>", "not a JSON number" },
		{ "<boolean " FN ">yes</boolean>", "not true or false" },
		{ "<null " FN ">x</null>", "null is not empty" },
		{ "<map " FN "><null key=\"a\"/><null key=\"a\"/></map>",
		    "duplicate key 'a'" },
		{ "<string " FN " escaped=\"true\">\\x</string>", "bad escape" },
		{ "<string " FN " escaped=\"true\">\\ud800</string>",
		    "lone surrogate" },
		{ "<string " FN "><map/></string>", "inside a string" },
		{ "<number " FN " escaped=\"true\">1</number>", "escaped on a "
		    "number" },
		{ "<map " FN " other=\"1\"/>", "unknown attribute 'other'" },
		{ "<map " FN "><string key=\"a\">x</string>", "premature end" },
	};
	struct gw_err	err;
	const char	*got;

	for (size_t i = 0; i < GW_ARRAY_LEN(good); i++) {
		got = x2j(good[i].xml, GW_JX_DUP_REJECT, &err);
		is_str(got != NULL ? got : err.msg, good[i].want,
		    "xml to json %zu", i);
	}
	for (size_t i = 0; i < GW_ARRAY_LEN(bad); i++) {
		got = x2j(bad[i].xml, GW_JX_DUP_REJECT, &err);
		ok(got == NULL && err.code == GW_E_PROTO &&
		    strstr(err.msg, bad[i].msg) != NULL && err.msg[0] == '1',
		    "refused, placed: %s", got == NULL ? err.msg : got);
	}
	is_str(x2j("<map " FN "><null key=\"a\"/><map key=\"a\"><null key=\"b\""
	    "/></map><null key=\"c\"/></map>", GW_JX_DUP_FIRST, &err),
	    "{\"a\":null,\"c\":null}\n", "the first of duplicate keys");
}

static void
test_normalize(void)
{
	struct gw_buf		b;
	struct gw_err		err;
	struct gw_jx_opts	o;

	gw_buf_init(&b, 0);
	memset(&o, 0, sizeof(o));
	o.flags = GW_JX_INDENT;
	ok(gw_jx_json_normalize(" { \"a\" : [ 1 , {} , [] ], \"b\":{\"c\":"
	    "\"\\/\"} } ", 43, &o, &b, &err) == 0, "normalize, indented");
	is_str(gw_buf_cstr(&b, NULL), "{\n  \"a\": [\n    1,\n    {},\n    []\n"
	    "  ],\n  \"b\": {\n    \"c\": \"/\"\n  }\n}\n", "two spaces a level");
	gw_buf_release(&b);
}

static void
test_canonical(void)
{
	static const struct {
		const char	*s;
		int		 ok;
	} t[] = {
		{ "0", 1 }, { "7", 1 }, { "-12.5", 1 }, { "0.25", 1 },
		{ "123456789012345", 1 }, { "-0.001", 1 },
		{ "007", 0 }, { "0E42", 0 }, { "1.0", 0 }, { "1e5", 0 },
		{ "1234567890123456", 0 }, { "-0", 0 }, { "-0.0", 0 },
		{ "+1", 0 }, { ".5", 0 }, { "5.", 0 }, { "", 0 }, { "1 ", 0 },
		{ "0x10", 0 }, { "Infinity", 0 },
	};

	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++)
		ok(gw_jx_canonical_number(t[i].s, strlen(t[i].s)) == t[i].ok,
		    "'%s' is %scanonical", t[i].s, t[i].ok ? "" : "not ");
}

static const char *
fj(struct gw_jx_friendly *f, const char *json, struct gw_err *err)
{
	static struct gw_buf b;

	gw_buf_release(&b);
	gw_buf_init(&b, 0);
	f->o.flags |= GW_JX_NO_DECL;
	if (gw_jx_friendly_json_to_xml(json, strlen(json), f, &b, err) == -1)
		return NULL;
	return gw_buf_cstr(&b, NULL);
}

static const char *
fx(struct gw_jx_friendly *f, const char *xml, struct gw_err *err)
{
	static struct gw_buf b;

	gw_buf_release(&b);
	gw_buf_init(&b, 0);
	if (gw_jx_friendly_xml_to_json(xml, strlen(xml), f, &b, err) == -1)
		return NULL;
	return gw_buf_cstr(&b, NULL);
}

static void
test_friendly_to_xml(void)
{
	struct gw_jx_friendly	f;
	struct gw_err		err;
	const char		*got;

	ok(gw_jx_friendly_init(&f, GW_JX_PRESET_APIGEE, &err) == 0, "defaults");
	is_str(fj(&f, "{\"Add\":{\"intA\":1,\"intB\":2}}", &err),
	    "<Add><intA>1</intA><intB>2</intB></Add>\n",
	    "one member: the root");
	is_str(fj(&f, "{\"a\":1,\"b\":true}", &err),
	    "<Root><a>1</a><b>true</b></Root>\n", "more: wrapped in Root");
	is_str(fj(&f, "[1,[2,3],{\"x\":\"y\"}]", &err), "<Array><Item>1</Item>"
	    "<Item><Item>2</Item><Item>3</Item></Item><Item><x>y</x></Item>"
	    "</Array>\n", "arrays: Array and Item");
	is_str(fj(&f, "\"a < b\"", &err), "<Root>a &lt; b</Root>\n",
	    "a scalar");
	is_str(fj(&f, "{\"a\":{\"b\":[1,2],\"@id\":\"x\",\"#text\":\"t\","
	    "\"1st key\":null}}", &err), "<a id=\"x\">t<b>1</b><b>2</b>"
	    "<_1st_key/></a>\n", "attributes after children, text, names made "
	    "valid, null empty");
	f.root = strdup("Add");
	f.ns = strdup("http://tempuri.org/");
	is_str(fj(&f, "{\"intA\":1,\"intB\":2}", &err), "<Add xmlns=\"http://"
	    "tempuri.org/\"><intA>1</intA><intB>2</intB></Add>\n",
	    "root and namespace options");
	is_str(fj(&f, "[1]", &err), "<Add xmlns=\"http://tempuri.org/\"><Item>"
	    "1</Item></Add>\n", "an array under the root");
	free(f.root);
	f.root = NULL;
	is_str(fj(&f, "{\"a\":1}", &err), "<a xmlns=\"http://tempuri.org/\">1"
	    "</a>\n", "the namespace on a root found");
	free(f.ns);
	f.ns = NULL;
	f.nil = 1;
	is_str(fj(&f, "{\"a\":{\"b\":null}}", &err), "<a><b xmlns:xsi=\""
	    "http://www.w3.org/2001/XMLSchema-instance\" xsi:nil=\"true\"/></a>"
	    "\n", "null as xsi:nil (the declaration first, as libxml2 writes "
	    "it)");
	f.nil = 0;
	f.null_value = strdup("NULL");
	is_str(fj(&f, "{\"a\":{\"b\":null,\"@c\":null}}", &err),
	    "<a c=\"NULL\"><b>NULL</b></a>\n", "null as a text");
	got = fj(&f, "{\"a\":{\"@c\":1,\"@c\":2}}", &err);
	ok(got == NULL && strstr(err.msg, "duplicate key") != NULL,
	    "duplicate keys: %s", err.msg);
	f.o.dup = GW_JX_DUP_ALL;
	got = fj(&f, "{\"a\":{\"@c\":1,\"@c\":2}}", &err);
	ok(got == NULL && strstr(err.msg, "attribute 'c' given twice") != NULL,
	    "duplicate attributes even when keys may repeat: %s", err.msg);
	f.o.dup = GW_JX_DUP_REJECT;
	got = fj(&f, "{\"a\":{\"@c\":[1]}}", &err);
	ok(got == NULL && strstr(err.msg, "must be a string") != NULL,
	    "an array as attribute: %s", err.msg);
	got = fj(&f, "{\"a\":\"\\u0001\"}", &err);
	ok(got == NULL && strstr(err.msg, "XML cannot carry") != NULL,
	    "a character XML cannot carry");
	f.ns_separator = strdup(":");
	f.ns_block = strdup("#ns");
	is_str(fj(&f, "{\"s:E\":{\"#ns\":{\"s\":\"urn:s\",\"$default\":\"urn:d"
	    "\"},\"s:B\":{\"x\":1}}}", &err), "<s:E xmlns:s=\"urn:s\" "
	    "xmlns=\"urn:d\"><s:B><x>1</x></s:B></s:E>\n",
	    "prefixes and a namespace block");
	got = fj(&f, "{\"q:E\":1}", &err);
	ok(got == NULL && strstr(err.msg, "undeclared prefix") != NULL,
	    "an undeclared prefix: %s", err.msg);
	f.o.flags |= GW_JX_INDENT;
	is_str(fj(&f, "{\"a\":{\"b\":[1,2]}}", &err), "<a>\n  <b>1</b>\n  "
	    "<b>2</b>\n</a>\n", "indented");
	gw_jx_friendly_release(&f);

	ok(gw_jx_friendly_init(&f, GW_JX_PRESET_BADGERFISH, &err) == 0,
	    "badgerfish");
	is_str(fj(&f, "{\"alice\":{\"$\":\"bob\",\"@charlie\":\"david\","
	    "\"@xmlns\":{\"$\":\"http://some/\",\"x\":\"urn:x\"},\"x:e\":"
	    "[{\"$\":\"1\"},{\"$\":\"2\"}]}}", &err), "<alice xmlns=\"http://"
	    "some/\" xmlns:x=\"urn:x\" charlie=\"david\">bob<x:e>1</x:e><x:e>2"
	    "</x:e></alice>\n", "the Badgerfish convention");
	gw_jx_friendly_release(&f);
}

static void
test_friendly_to_json(void)
{
	struct gw_jx_friendly	f;
	struct gw_err		err;
	const char		*got;

	ok(gw_jx_friendly_init(&f, GW_JX_PRESET_APIGEE, &err) == 0, "defaults");
	is_str(fx(&f, "<a id=\"7\">hi<b>1</b><c/><b>2</b><d x=\"1\">t</d></a>",
	    &err), "{\"a\":{\"@id\":\"7\",\"#text\":\"hi\",\"b\":[\"1\",\"2\"],"
	    "\"c\":\"\",\"d\":{\"@x\":\"1\",\"#text\":\"t\"}}}\n",
	    "repeated siblings are arrays (in first-seen order), text kept "
	    "as text");
	is_str(fx(&f, "<a>\n  <b>1</b>\n</a>", &err), "{\"a\":{\"b\":\"1\"}}\n",
	    "indentation is not text; one element is not an array");
	f.recognize_number = f.recognize_boolean = f.recognize_null = 1;
	is_str(fx(&f, "<a><n>7</n><m>-1.5</m><z>007</z><e>0E42</e><t>true</t>"
	    "<f>False</f><x/><y>12345678901234567</y></a>", &err),
	    "{\"a\":{\"n\":7,\"m\":-1.5,\"z\":\"007\",\"e\":\"0E42\",\"t\":true,"
	    "\"f\":\"False\",\"x\":null,\"y\":\"12345678901234567\"}}\n",
	    "numbers, booleans and null only when canonical");
	f.strip_levels = 3;
	is_str(fx(&f, "<s:Envelope xmlns:s=\"urn:s\"><s:Body><R xmlns=\"urn:t\">"
	    "<v>5</v></R></s:Body></s:Envelope>", &err), "{\"v\":5}\n",
	    "strip levels");
	f.strip_levels = 9;
	is_str(fx(&f, "<a><b><c>1</c><d>2</d></b></a>", &err),
	    "{\"c\":1,\"d\":2}\n", "stripping stops at many members");
	f.strip_levels = 0;
	f.array_paths = calloc(2, sizeof(char *));
	f.array_paths[0] = strdup("a/list/item");
	is_str(fx(&f, "<a><list><item>1</item></list><item>2</item></a>",
	    &err), "{\"a\":{\"list\":{\"item\":[1]},\"item\":2}}\n",
	    "a path forced to an array");
	f.nil = 1;
	is_str(fx(&f, "<a xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">"
	    "<b i:nil=\"true\" x=\"1\"/><c i:nil=\"false\">3</c></a>", &err),
	    "{\"a\":{\"b\":null,\"c\":3}}\n", "xsi:nil");
	gw_jx_friendly_release(&f);

	ok(gw_jx_friendly_init(&f, GW_JX_PRESET_APIGEE, &err) == 0, "again");
	f.ns_separator = strdup(":");
	f.ns_block = strdup("#namespaces");
	f.attr_block = strdup("#attrs");
	f.text_always = 1;
	is_str(fx(&f, "<p:a xmlns:p=\"urn:p\" xmlns=\"urn:d\" p:k=\"v\"><b>x</b>"
	    "</p:a>", &err), "{\"p:a\":{\"#namespaces\":{\"p\":\"urn:p\","
	    "\"$default\":\"urn:d\"},\"#attrs\":{\"p:k\":\"v\"},\"b\":{\"#text\":"
	    "\"x\"}}}\n", "prefixes, namespace and attribute blocks, text "
	    "always");
	gw_jx_friendly_release(&f);

	ok(gw_jx_friendly_init(&f, GW_JX_PRESET_BADGERFISH, &err) == 0,
	    "badgerfish");
	is_str(fx(&f, "<alice xmlns=\"http://some/\" charlie=\"david\">bob<x:e "
	    "xmlns:x=\"urn:x\">1</x:e><empty/></alice>", &err),
	    "{\"alice\":{\"@xmlns\":{\"$\":\"http://some/\"},\"@charlie\":"
	    "\"david\",\"$\":\"bob\",\"x:e\":{\"@xmlns\":{\"x\":\"urn:x\"},\"$\":"
	    "\"1\"},\"empty\":{}}}\n", "Badgerfish");
	got = fx(&f, "<a><b></a>", &err);
	ok(got == NULL && err.code == GW_E_PROTO && strncmp(err.msg, "1:", 2) ==
	    0, "not well-formed: %s", err.msg);
	gw_jx_friendly_release(&f);
}

static void
test_schema(void)
{
	struct gw_jx_schema	*s;
	struct gw_jx_friendly	 f;
	struct gw_err		 err;
	int			 rc;

	put("common.xsd", "<xs:schema xmlns:xs=\"http://www.w3.org/2001/"
	    "XMLSchema\" targetNamespace=\"urn:c\" xmlns:c=\"urn:c\">"
	    "<xs:group name=\"g\"><xs:sequence><xs:element name=\"inGroup\"/>"
	    "</xs:sequence></xs:group>"
	    "<xs:element name=\"Ref\" type=\"xs:string\"/></xs:schema>\n");
	put("main.xsd", "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\""
	    " targetNamespace=\"urn:t\" xmlns:t=\"urn:t\" xmlns:c=\"urn:c\" "
	    "elementFormDefault=\"qualified\">"
	    "<xs:import namespace=\"urn:c\" schemaLocation=\"common.xsd\"/>"
	    "<xs:element name=\"list\"><xs:complexType><xs:sequence>"
	    "<xs:element name=\"item\" maxOccurs=\"unbounded\"/>"
	    "<xs:element name=\"one\"/>"
	    "<xs:element ref=\"c:Ref\" maxOccurs=\"2\"/>"
	    "<xs:element name=\"local\" form=\"unqualified\" maxOccurs=\"5\"/>"
	    "<xs:sequence maxOccurs=\"unbounded\"><xs:element name=\"pair\"/>"
	    "</xs:sequence><xs:group ref=\"c:g\" maxOccurs=\"3\"/>"
	    "</xs:sequence></xs:complexType></xs:element></xs:schema>\n");
	rc = gw_jx_schema_load(at("main.xsd"), &s, &err);
	ok(rc == 0, "a schema loads: %s", rc == 0 ? "" : err.msg);
	ok(gw_jx_schema_repeats(s, "urn:t", "item"), "maxOccurs=unbounded");
	ok(!gw_jx_schema_repeats(s, "urn:t", "one"), "maxOccurs=1");
	ok(gw_jx_schema_repeats(s, "urn:c", "Ref"), "a reference, imported");
	ok(gw_jx_schema_repeats(s, NULL, "local"), "an unqualified element");
	ok(gw_jx_schema_repeats(s, "urn:t", "pair"), "in a repeating sequence");
	ok(gw_jx_schema_repeats(s, NULL, "inGroup") ||
	    gw_jx_schema_repeats(s, "urn:c", "inGroup"), "in a repeating group");
	is_int(gw_jx_schema_count(s), 5, "five names");
	ok(gw_jx_friendly_init(&f, GW_JX_PRESET_APIGEE, &err) == 0, "friendly");
	f.schema = s;
	is_str(fx(&f, "<list xmlns=\"urn:t\"><item>x</item><one>1</one><pair>p"
	    "</pair></list>", &err), "{\"list\":{\"item\":[\"x\"],\"one\":\"1\","
	    "\"pair\":[\"p\"]}}\n", "arrays from the schema, even of one");
	gw_jx_friendly_release(&f);
	ok(gw_jx_schema_load(at("none.xsd"), &s, &err) == -1, "a missing "
	    "schema");
	put("bad.xsd", "<notaschema/>");
	ok(gw_jx_schema_load(at("bad.xsd"), &s, &err) == -1 &&
	    strstr(err.msg, "not an XML Schema") != NULL, "not a schema");
	put("svc.wsdl", "<definitions xmlns=\"http://schemas.xmlsoap.org/wsdl/\""
	    " xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"><types><xs:schema "
	    "targetNamespace=\"urn:w\" elementFormDefault=\"qualified\">"
	    "<xs:element name=\"R\"><xs:complexType><xs:sequence><xs:element "
	    "name=\"v\" maxOccurs=\"unbounded\"/></xs:sequence>"
	    "</xs:complexType></xs:element></xs:schema></types></definitions>"
	    "\n");
	ok(gw_jx_schema_load(at("svc.wsdl"), &s, &err) == 0 &&
	    gw_jx_schema_repeats(s, "urn:w", "v"),
	    "a WSDL's types read as a schema");
	gw_jx_schema_free(s);
}

static void
test_options(void)
{
	struct gw_jx_friendly	 f;
	struct gw_jdoc		*doc;
	struct gw_jcheck	*ck;
	struct gw_err		 err;
	size_t			 len;
	static const char	 good[] = "{ \"preset\": \"badgerfish\", "
				    "\"root\": \"R\", \"namespace\": \"urn:x\","
				    " \"recognize_number\": true, "
				    "\"array_paths\": [\"a/b\"], "
				    "\"duplicates\": \"first\", \"indent\": "
				    "true, \"attribute_prefix\": \"\" }";
	static const char	 bad[] = "{ \"atribute_prefix\": \"@\", "
				    "\"root\": \"1x\", \"strip_levels\": 99, "
				    "\"schema\": \"nope.xsd\" }";

	ok(gw_jdoc_parse(good, sizeof(good) - 1, "o.json", 0, &doc, &err) == 0,
	    "options");
	ck = gw_jcheck_new(doc, dir, &err);
	memset(&f, 0, sizeof(f));
	ok(gw_jx_friendly_parse(ck, NULL, NULL, gw_jdoc_root(doc), &f) == 0,
	    "parse: %s", gw_jcheck_report(ck, NULL));
	ok(f.text_always && strcmp(f.text_name, "$") == 0, "the preset");
	ok(strcmp(f.root, "R") == 0 && strcmp(f.ns, "urn:x") == 0 &&
	    f.recognize_number && f.o.dup == GW_JX_DUP_FIRST &&
	    (f.o.flags & GW_JX_INDENT) && strcmp(f.array_paths[0], "a/b") ==
	    0, "the options");
	ok(f.attr_prefix == NULL, "\"\" turns a name off");
	gw_jx_friendly_release(&f);
	gw_jcheck_free(ck);
	gw_jdoc_free(doc);

	ok(gw_jdoc_parse(bad, sizeof(bad) - 1, "o.json", 0, &doc, &err) == 0,
	    "bad options");
	ck = gw_jcheck_new(doc, dir, &err);
	memset(&f, 0, sizeof(f));
	ok(gw_jx_friendly_parse(ck, NULL, NULL, gw_jdoc_root(doc), &f) == -1,
	    "are refused");
	(void)gw_jcheck_report(ck, &len);
	ok(strstr(gw_jcheck_report(ck, NULL), "did you mean "
	    "'attribute_prefix'") != NULL, "a typo, with a suggestion");
	gw_jx_friendly_release(&f);
	gw_jcheck_free(ck);
	gw_jdoc_free(doc);
}

struct sink {
	struct gw_buf	all;
	int		calls;
};

static int
flush(void *arg, const char *p, size_t len, struct gw_err *err)
{
	struct sink *s = arg;

	s->calls++;
	return gw_buf_append(&s->all, p, len, err);
}

static void
test_flush(void)
{
	struct gw_buf		 in, out;
	struct gw_jx_opts	 o;
	struct gw_err		 err;
	struct sink		 s;

	gw_buf_init(&in, 0);
	gw_buf_init(&out, 0);
	memset(&s, 0, sizeof(s));
	gw_buf_init(&s.all, 0);
	(void)gw_buf_putc(&in, '[', NULL);
	for (int i = 0; i < 50000; i++)
		(void)gw_buf_printf(&in, NULL, "%s{\"k%d\":\"value %d\"}",
		    i > 0 ? "," : "", i, i);
	(void)gw_buf_putc(&in, ']', NULL);
	memset(&o, 0, sizeof(o));
	o.flush = flush;
	o.flush_arg = &s;
	ok(gw_jx_json_to_xml(in.p, in.len, &o, &out, &err) == 0, "a large "
	    "conversion with a flush function");
	ok(s.calls > 10 && out.len == 0, "went out in pieces (%d)", s.calls);
	gw_buf_reset(&out);
	ok(gw_jx_xml_to_json(s.all.p, s.all.len, NULL, &out, &err) == 0 &&
	    out.len == in.len + 1 && memcmp(out.p, in.p, in.len) == 0,
	    "and comes back whole");
	gw_buf_release(&in);
	gw_buf_release(&out);
	gw_buf_release(&s.all);
}

int
main(void)
{
	tmpdir_make("gw-jsonxml-test");
	test_lossless();
	test_xml_to_json();
	test_normalize();
	test_canonical();
	test_friendly_to_xml();
	test_friendly_to_json();
	test_schema();
	test_options();
	test_flush();
	tmpdir_remove();
	(void)round_trip("1", 1, GW_JX_DUP_REJECT, 0, NULL);
	return done_testing();
}
